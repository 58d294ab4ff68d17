// TPESampler: Optuna 3.1's TPE (independent and multivariate) over the kernels of
// parzen_estimator.h. See samplers.h for the behaviour and its sources.
#include <cmath>
#include <iostream>
#include <set>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/parzen_estimator.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {


/// The start-up (random) phase draws from its own stream, derived from the seed, so that the
/// TPE proposals do not depend on how many random draws preceded them.
uint64_t startup_seed(uint64_t seed) { return seed ^ 0x9E3779B97F4A7C15ULL; }

/// True when `d` has a single possible value; `value` receives its internal representation.
bool single_valued(const Distribution& d, double* value = nullptr) {
  if (auto f = std::get_if<FloatDistribution>(&d)) {
    if (f->low != f->high) return false;
    if (value) *value = f->low;
    return true;
  }
  if (auto i = std::get_if<IntDistribution>(&d)) {
    if (i->low != i->high) return false;
    if (value) *value = static_cast<double>(i->low);
    return true;
  }
  const auto& c = std::get<CategoricalDistribution>(d);
  if (c.choices.size() != 1) return false;
  if (value) *value = 0.0;
  return true;
}

/// Optuna's _SearchSpaceGroup: a partition of the parameters seen in `trials` such that each
/// trial's parameter set is a union of whole groups (each group keeps the first distribution
/// seen for a name).
std::vector<SearchSpace> group_decomposed_search_space(const std::vector<FrozenTrial>& trials) {
  std::vector<SearchSpace> groups;
  for (const FrozenTrial& t : trials) {
    std::set<std::string> rest;
    for (const auto& [name, d] : t.distributions) rest.insert(name);
    std::vector<SearchSpace> next;
    for (const SearchSpace& g : groups) {
      SearchSpace inside, outside;
      for (const auto& [name, d] : g) {
        if (t.distributions.count(name)) inside.emplace(name, d);
        else outside.emplace(name, d);
        rest.erase(name);
      }
      if (!inside.empty()) next.push_back(std::move(inside));
      if (!outside.empty()) next.push_back(std::move(outside));
    }
    SearchSpace fresh;
    for (const auto& name : rest) fresh.emplace(name, t.distributions.at(name));
    if (!fresh.empty()) next.push_back(std::move(fresh));
    groups = std::move(next);
  }
  return groups;
}

std::vector<TrialState> observed_states(bool constant_liar) {
  if (constant_liar) return {TrialState::COMPLETE, TrialState::PRUNED, TrialState::RUNNING};
  return {TrialState::COMPLETE, TrialState::PRUNED};
}

}  // namespace

// ---------------------------------------------------------------------------------------------

int default_gamma(int n) { return std::min(static_cast<int>(std::ceil(0.1 * n)), 25); }

int hyperopt_default_gamma(int n) {
  return std::min(static_cast<int>(std::ceil(0.25 * std::sqrt(static_cast<double>(n)))), 25);
}

std::vector<double> default_weights(int n) {
  if (n <= 0) return {};
  if (n < 25) return std::vector<double>(n, 1.0);
  const int n_ramp = n - 25;
  std::vector<double> w;
  w.reserve(n);
  const double start = 1.0 / n;
  for (int i = 0; i < n_ramp; ++i)  // n_ramp evenly spaced points from 1/n to 1, both included
    w.push_back(n_ramp == 1 ? start : (i + 1 == n_ramp ? 1.0 : start + i * (1.0 - start) / (n_ramp - 1)));
  w.insert(w.end(), 25, 1.0);
  return w;
}

void TPESamplerOptions::validate() const {
  const std::string what = "sampler 'tpe': option ";
  if (!(prior_weight > 0.0) || !std::isfinite(prior_weight))
    throw ConfigError(what + "'prior_weight' must be a finite number > 0, got " + std::to_string(prior_weight));
  if (n_startup_trials < 0)
    throw ConfigError(what + "'n_startup_trials' must be >= 0, got " + std::to_string(n_startup_trials));
  if (n_ei_candidates < 1)
    throw ConfigError(what + "'n_ei_candidates' must be >= 1, got " + std::to_string(n_ei_candidates));
  if (group && !multivariate)
    throw ConfigError(what + "'group' needs 'multivariate: true' as well (groups are sampled jointly)");
  if (!gamma) throw ConfigError(what + "'gamma' must be set");
  if (!weights) throw ConfigError(what + "'weights' must be set");
}

TPESampler::TPESampler(TPESamplerOptions options) : options_(std::move(options)) {
  options_.validate();
  const uint64_t seed = seed_or_random(options_.seed);
  rng_.seed(seed);
  startup_rng_.seed(startup_seed(seed));
}

void TPESampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(rng_mutex_);
  rng_.seed(seed);
  startup_rng_.seed(startup_seed(seed));
}

void TPESampler::warn_independent_(int trial_number, const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(warn_mutex_);
    if (!warned_.insert(name).second) return;  // once per parameter, not once per trial
  }
  std::cerr << "[autoglm] warning: parameter '" + name + "' in trial " + std::to_string(trial_number) +
                   " is sampled independently instead of by multivariate TPE (it is not in every finished "
                   "trial, or its distribution changed); optimization may be less effective. Set "
                   "warn_independent_sampling: false to silence this if it is intended.\n";
}

std::shared_ptr<const std::vector<FrozenTrial>> TPESampler::history_for_(const StudyView& study,
                                                                         const FrozenTrial& trial) {
  {
    std::lock_guard<std::mutex> lock(history_mutex_);
    const HistoryCache& c = history_cache_;
    if (c.trials && c.study == &study && c.trial_id == trial.trial_id && c.trial_number == trial.number) return c.trials;
  }
  auto trials = std::make_shared<const std::vector<FrozenTrial>>(study.get_trials(observed_states(options_.constant_liar)));
  std::lock_guard<std::mutex> lock(history_mutex_);
  history_cache_ = HistoryCache{&study, trial.trial_id, trial.number, trials};
  return trials;
}

SearchSpace TPESampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  if (!options_.multivariate) return {};
  const std::vector<FrozenTrial> trials = study.get_trials(std::vector<TrialState>{TrialState::COMPLETE, TrialState::PRUNED});
  SearchSpace out;
  if (options_.group) {
    for (const SearchSpace& g : group_decomposed_search_space(trials))
      for (const auto& [name, d] : g)
        if (!single_valued(d)) out.emplace(name, d);
    return out;
  }
  // Intersection search space: the names present with an equal distribution in every finished trial.
  bool first = true;
  for (const FrozenTrial& t : trials) {
    if (first) {
      out = SearchSpace(t.distributions.begin(), t.distributions.end());
      first = false;
      continue;
    }
    for (auto it = out.begin(); it != out.end();) {
      auto other = t.distributions.find(it->first);
      if (other == t.distributions.end() || !(other->second == it->second)) it = out.erase(it);
      else ++it;
    }
  }
  for (auto it = out.begin(); it != out.end();) {
    if (single_valued(it->second)) it = out.erase(it);
    else ++it;
  }
  return out;
}

std::map<std::string, double> TPESampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                          const SearchSpace& search_space) {
  (void)trial;
  if (search_space.empty()) return {};
  const std::vector<FrozenTrial> trials = study.get_trials(observed_states(options_.constant_liar));
  const std::vector<StudyDirection> directions = study.directions();
  if (!options_.group) return sample_group_(trials, directions, search_space);

  std::vector<FrozenTrial> finished;
  for (const auto& t : trials)
    if (t.state == TrialState::COMPLETE || t.state == TrialState::PRUNED) finished.push_back(t);
  std::map<std::string, double> out;
  for (const SearchSpace& g : group_decomposed_search_space(finished)) {
    SearchSpace sub;
    for (const auto& [name, d] : g) {
      auto it = search_space.find(name);
      if (it != search_space.end() && !single_valued(it->second)) sub.emplace(name, it->second);
    }
    if (sub.empty()) continue;
    auto part = sample_group_(trials, directions, sub);
    out.insert(part.begin(), part.end());
  }
  return out;
}

std::map<std::string, double> TPESampler::sample_group_(const std::vector<FrozenTrial>& trials,
                                                        const std::vector<StudyDirection>& directions,
                                                        const SearchSpace& search_space) {
  std::vector<std::string> names;
  for (const auto& [name, d] : search_space) names.push_back(name);
  const tpe::ObservationPairs pairs =
      tpe::get_observation_pairs(trials, names, directions, options_.constant_liar, &search_space);
  if (pairs.n_finished < options_.n_startup_trials) return {};

  const auto [below_idx, above_idx] = tpe::split_observation_pairs(pairs.scores, options_.gamma(pairs.n_finished));
  // An observation is used when it has every parameter of the group.
  auto columns = [&](const std::vector<int>& idx) {
    tpe::ParamColumns cols;
    for (const auto& name : names) cols[name];
    for (int i : idx) {
      bool complete = true;
      for (const auto& name : names) complete = complete && !std::isnan(pairs.values.at(name)[i]);
      if (!complete) continue;
      for (const auto& name : names) cols[name].push_back(pairs.values.at(name)[i]);
    }
    return cols;
  };
  tpe::ParzenEstimatorParameters p{options_.consider_prior, options_.prior_weight, options_.consider_magic_clip,
                                   options_.consider_endpoints, options_.weights, /*multivariate=*/true,
                                   options_.exact_log_pdf};
  return tpe::sample_and_compare(columns(below_idx), columns(above_idx), search_space, p, options_.n_ei_candidates,
                                 rng_, &rng_mutex_);
}

double TPESampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                      const Distribution& distribution) {
  double single = 0.0;
  if (single_valued(distribution, &single)) return single;

  const auto trials = history_for_(study, trial);
  const SearchSpace space{{name, distribution}};
  const tpe::ObservationPairs pairs =
      tpe::get_observation_pairs(*trials, {name}, study.directions(), options_.constant_liar, &space);
  const std::vector<double>& values = pairs.values.at(name);

  if (options_.multivariate && options_.warn_independent_sampling &&
      pairs.n_finished >= std::max(options_.n_startup_trials, 1)) {
    for (double v : values)
      if (!std::isnan(v)) { warn_independent_(trial.number, name); break; }
  }

  if (pairs.n_finished < options_.n_startup_trials) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    return RandomSampler::sample(startup_rng_, distribution);
  }

  const auto [below_idx, above_idx] = tpe::split_observation_pairs(pairs.scores, options_.gamma(pairs.n_finished));
  auto column = [&](const std::vector<int>& idx) {
    tpe::ParamColumns cols;
    auto& col = cols[name];
    for (int i : idx)
      if (!std::isnan(values[i])) col.push_back(values[i]);
    return cols;
  };
  tpe::ParzenEstimatorParameters p{options_.consider_prior, options_.prior_weight, options_.consider_magic_clip,
                                   options_.consider_endpoints, options_.weights, /*multivariate=*/false,
                                   options_.exact_log_pdf};
  return tpe::sample_and_compare(column(below_idx), column(above_idx), space, p, options_.n_ei_candidates, rng_,
                                 &rng_mutex_)
      .at(name);
}

std::unique_ptr<Sampler> make_tpe_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'tpe'");
  TPESamplerOptions o;
  o.consider_prior = r.get<bool>("consider_prior", o.consider_prior);
  o.prior_weight = r.get<double>("prior_weight", o.prior_weight);
  o.consider_magic_clip = r.get<bool>("consider_magic_clip", o.consider_magic_clip);
  o.consider_endpoints = r.get<bool>("consider_endpoints", o.consider_endpoints);
  o.n_startup_trials = r.get<int>("n_startup_trials", o.n_startup_trials);
  o.n_ei_candidates = r.get<int>("n_ei_candidates", o.n_ei_candidates);
  const std::string gamma = r.get<std::string>("gamma", "default");
  if (gamma == "hyperopt") o.gamma = hyperopt_default_gamma;
  else if (gamma != "default") r.fail("gamma", "must be 'default' or 'hyperopt', got '" + gamma + "'");
  o.seed = r.get_optional<uint64_t>("seed");
  o.multivariate = r.get<bool>("multivariate", o.multivariate);
  o.group = r.get<bool>("group", o.group);
  o.warn_independent_sampling = r.get<bool>("warn_independent_sampling", o.warn_independent_sampling);
  o.constant_liar = r.get<bool>("constant_liar", o.constant_liar);
  o.exact_log_pdf = r.get<bool>("exact_log_pdf", o.exact_log_pdf);
  r.finish();
  return std::make_unique<TPESampler>(std::move(o));
}

}  // namespace autoglm
