// TPESampler: Optuna 3.1's TPE (independent and multivariate) over the kernels of
// parzen_estimator.h. See samplers.h for the behaviour and its sources.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <iostream>
#include <limits>
#include <numeric>
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
std::vector<SearchSpace> group_decomposed_search_space(const std::vector<const FrozenTrial*>& trials) {
  std::vector<SearchSpace> groups;
  for (const FrozenTrial* tp : trials) {
    const FrozenTrial& t = *tp;
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

/// The COMPLETE and PRUNED trials of a finished-trials snapshot, in its order (which is the order
/// of get_trials({COMPLETE, PRUNED})).
std::vector<const FrozenTrial*> complete_or_pruned(const std::vector<FrozenTrial>& finished) {
  std::vector<const FrozenTrial*> out;
  out.reserve(finished.size());
  for (const FrozenTrial& t : finished)
    if (t.state == TrialState::COMPLETE || t.state == TrialState::PRUNED) out.push_back(&t);
  return out;
}

/// The value of `name` in `t` (NaN where the trial lacks it or its distribution is of another kind
/// than `reference`), as get_observation_pairs reads it.
double observed_value(const FrozenTrial& t, const std::string& name, const Distribution& reference) {
  auto it = t.params.find(name);
  if (it == t.params.end()) return std::numeric_limits<double>::quiet_NaN();
  auto dist = t.distributions.find(name);
  if (dist != t.distributions.end() && dist->second.index() != reference.index())
    return std::numeric_limits<double>::quiet_NaN();
  return it->second;
}

/// The estimator parameters of l(x) in a multi-objective study: `p` with the weights function
/// replaced by the given per-observation weights (multi_objective_below_weights, restricted to the
/// observations used), as Optuna 3.1 passes predetermined weights to the below estimator.
tpe::ParzenEstimatorParameters below_parameters(const tpe::ParzenEstimatorParameters& p, std::vector<double> weights) {
  tpe::ParzenEstimatorParameters out = p;
  out.weights = [w = std::move(weights)](int n) {
    assert(static_cast<size_t>(n) == w.size());
    (void)n;
    return w;
  };
  return out;
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

// Observations for independent sampling, kept across trials. At a trial's first independent
// suggestion the history is read (finished_trials_snapshot, or get_trials with constant_liar) and
// held until after_trial. When it is the same list object as last time and still starts with the
// same observations (a Study appends finished trials in place), only the new observations are
// added; otherwise everything is rebuilt. Per parameter name a column keeps the values, their
// sort order (for the bandwidth rule) and the truncation masses of g's components, extended
// lazily when the name is suggested.
struct TPESampler::Observations {
  struct Column {
    Distribution distribution;      // the distribution the column was built for
    std::vector<double> internal;   // per observation; NaN: missing or of another kind
    std::vector<double> transformed;  // the same in the estimator's space
    std::vector<int> sorted;        // observations with a value, by (transformed, index)
    tpe::ParzenEstimator::MassMemo memo;  // g's masses by observation index
  };

  const StudyView* study = nullptr;
  std::string study_name;
  std::vector<StudyDirection> directions;
  std::weak_ptr<const std::vector<FrozenTrial>> source;  // the list the observations came from
  bool from_liar = false;

  // The trial being sampled and what it holds.
  int64_t trial_id = -1;
  int trial_number = -1;
  bool active = false;
  std::shared_ptr<const std::vector<FrozenTrial>> snapshot;
  std::vector<FrozenTrial> liar_trials;        // constant_liar: get_trials(COMPLETE, PRUNED, RUNNING)
  std::vector<const FrozenTrial*> trials;      // the observations' trials (valid while held)
  bool split_done = false;
  std::vector<int> below, above;
  /// Multi-objective: the weight of each observation of `below` in l(x) (same order); empty for a
  /// single objective (the weights function applies).
  std::vector<double> below_weights;
  std::vector<char> is_below;
  tpe::ParzenEstimator::WeightsMemo above_weights;  // g's weights, shared by the trial's parameters

  // Observations, in history order.
  std::vector<int64_t> ids;  // trial ids
  std::vector<tpe::Score> scores;
  std::vector<double> violations;  // total constraint violation per observation (0: feasible)
  int n_finished = 0;
  std::map<std::string, Column> columns;
  /// Single objective: the observations ranked as split_observation_pairs ranks them, by
  /// (step_key, value with NaN last, index), kept sorted as observations are added.
  std::vector<int> ranked;
  std::vector<int> position;  // scratch: observation -> index among g's components

  void reset() {
    ids.clear();
    scores.clear();
    violations.clear();
    n_finished = 0;
    columns.clear();
    ranked.clear();
  }

  /// Whether observation a ranks before observation b (single objective): feasible ones first
  /// (violation 0), infeasible ones by violation then index; feasible ones by Score.
  bool ranks_before(int a, int b) const {
    const double va = violations[a], vb = violations[b];
    if (va != vb) return va < vb;
    if (va != 0.0) return a < b;
    const tpe::Score &x = scores[a], &y = scores[b];
    if (x.step_key != y.step_key) return x.step_key < y.step_key;
    const double u = x.values[0], v = y.values[0];
    if (std::isnan(u) != std::isnan(v)) return std::isnan(v);
    if (!std::isnan(u) && u != v) return u < v;
    return a < b;
  }

  /// Adds observation `i` (the last one) to `ranked`.
  void rank(int i) {
    ranked.insert(std::upper_bound(ranked.begin(), ranked.end(), i, [&](int a, int b) { return ranks_before(a, b); }),
                  i);
  }

  /// split_observation_pairs(scores, n_below): for a single objective from `ranked` (the first
  /// n_below, then ascending), O(n) instead of a selection over the scores.
  void split(int n_below, bool single_objective) {
    below_weights.clear();
    if (!single_objective) {
      std::tie(below, above) = tpe::split_observation_pairs(scores, n_below, &violations);
      below_weights = tpe::multi_objective_below_weights(scores, below, &violations);
    } else {
      const int n = static_cast<int>(scores.size());
      n_below = std::clamp(n_below, 0, n);
      below.assign(ranked.begin(), ranked.begin() + n_below);
      std::sort(below.begin(), below.end());
      above.clear();
      above.reserve(n - n_below);
      size_t j = 0;
      for (int i = 0; i < n; ++i) {
        if (j < below.size() && below[j] == i) { ++j; continue; }
        above.push_back(i);
      }
    }
    is_below.assign(scores.size(), 0);
    for (int i : below) is_below[i] = 1;
  }

  /// The column of `name` for `distribution`, extended to every observation.
  Column& column(const std::string& name, const Distribution& distribution) {
    auto it = columns.find(name);
    if (it == columns.end() || !(it->second.distribution == distribution)) {
      if (it != columns.end()) columns.erase(it);
      it = columns.emplace(name, Column{distribution, {}, {}, {}, {}}).first;
    }
    Column& col = it->second;
    const size_t known = col.internal.size();
    std::vector<int> added;
    for (size_t j = known; j < trials.size(); ++j) {
      double v = observed_value(*trials[j], name, distribution);
      const double x = std::isnan(v) ? v : tpe::to_parzen_space(distribution, v);
      if (std::isnan(x)) v = x;  // (a value outside a log distribution's domain: missing too)
      col.internal.push_back(v);
      col.transformed.push_back(x);
      if (!std::isnan(x)) added.push_back(static_cast<int>(j));
    }
    // Into the (value, index) order: the new indices are the largest, so they go after equal values.
    auto by_value = [&](int a, int b) { return col.transformed[a] < col.transformed[b]; };
    if (added.size() <= 8) {
      for (int j : added) col.sorted.insert(std::upper_bound(col.sorted.begin(), col.sorted.end(), j, by_value), j);
    } else {  // many at once (a rebuilt history): sort them and merge
      std::stable_sort(added.begin(), added.end(), by_value);
      std::vector<int> merged(col.sorted.size() + added.size());
      std::merge(col.sorted.begin(), col.sorted.end(), added.begin(), added.end(), merged.begin(), by_value);
      col.sorted = std::move(merged);
    }
    return col;
  }
};

TPESampler::TPESampler(TPESamplerOptions options)
    : options_(std::move(options)), observations_(std::make_unique<Observations>()) {
  options_.validate();
  const uint64_t seed = seed_or_random(options_.seed);
  rng_.seed(seed);
  startup_rng_.seed(startup_seed(seed));
}

TPESampler::~TPESampler() = default;

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

void TPESampler::begin_trial_(const StudyView& study, const FrozenTrial& trial) {
  Observations& o = *observations_;
  o.trial_id = trial.trial_id;
  o.trial_number = trial.number;
  o.active = true;
  o.split_done = false;
  o.above_weights = {};
  o.trials.clear();
  o.liar_trials.clear();
  o.snapshot.reset();
  const std::vector<StudyDirection> directions = study.directions();
  const std::string name = study.study_name();
  bool extend = o.study == &study && o.study_name == name && o.directions == directions && !o.from_liar;
  if (options_.constant_liar) {
    // RUNNING trials come and go: read them with the history and rebuild every trial.
    o.liar_trials = study.get_trials(observed_states(true));
    for (const FrozenTrial& t : o.liar_trials)
      if (tpe::observation_score(t, directions, true)) o.trials.push_back(&t);
    extend = false;
    o.from_liar = true;
    o.source.reset();
  } else {
    o.snapshot = study.finished_trials_snapshot();
    extend = extend && o.source.lock() == o.snapshot;
    o.from_liar = false;
    o.source = o.snapshot;
    o.trials.reserve(o.snapshot->size());
    const bool multi = directions.size() > 1;
    for (const FrozenTrial& t : *o.snapshot)  // the trials observation_score accepts
      if ((t.state == TrialState::COMPLETE && t.values.size() == directions.size()) ||
          (t.state == TrialState::PRUNED && !multi))
        o.trials.push_back(&t);
  }
  o.study = &study;
  o.study_name = name;
  o.directions = directions;
  if (extend && o.ids.size() <= o.trials.size()) {
    for (size_t j = 0; j < o.ids.size(); ++j)
      if (o.trials[j]->trial_id != o.ids[j]) {
        extend = false;
        break;
      }
  } else {
    extend = false;
  }
  if (!extend) o.reset();
  const size_t known = o.ids.size();
  for (size_t j = known; j < o.trials.size(); ++j) {
    const FrozenTrial& t = *o.trials[j];
    o.ids.push_back(t.trial_id);
    o.scores.push_back(*tpe::observation_score(t, directions, options_.constant_liar));
    o.violations.push_back(constraint_violation(t));
    if (t.state != TrialState::RUNNING) ++o.n_finished;
  }
  if (directions.size() == 1) {
    if (known == 0) {  // rebuilt: one sort
      o.ranked.resize(o.ids.size());
      std::iota(o.ranked.begin(), o.ranked.end(), 0);
      std::sort(o.ranked.begin(), o.ranked.end(), [&](int a, int b) { return o.ranks_before(a, b); });
    } else {
      for (size_t j = known; j < o.ids.size(); ++j) o.rank(static_cast<int>(j));
    }
  }
}

void TPESampler::after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                             const std::vector<double>& values) {
  (void)state; (void)values;
  std::lock_guard<std::mutex> lock(history_mutex_);
  Observations& o = *observations_;
  if (o.study != &study || o.trial_id != trial.trial_id || o.trial_number != trial.number) return;
  o.active = false;
  o.trials.clear();
  o.liar_trials.clear();
  o.snapshot.reset();
}

SearchSpace TPESampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  if (!options_.multivariate) return {};
  const auto finished = study.finished_trials_snapshot();
  const std::vector<const FrozenTrial*> trials = complete_or_pruned(*finished);
  SearchSpace out;
  if (options_.group) {
    for (const SearchSpace& g : group_decomposed_search_space(trials))
      for (const auto& [name, d] : g)
        if (!single_valued(d)) out.emplace(name, d);
    return out;
  }
  // Intersection search space: the names present with an equal distribution in every finished trial.
  bool first = true;
  for (const FrozenTrial* tp : trials) {
    const FrozenTrial& t = *tp;
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
  std::shared_ptr<const std::vector<FrozenTrial>> snapshot;
  std::vector<FrozenTrial> liar_trials;
  std::vector<const FrozenTrial*> trials;
  if (options_.constant_liar) {
    liar_trials = study.get_trials(observed_states(true));
    for (const FrozenTrial& t : liar_trials) trials.push_back(&t);
  } else {
    snapshot = study.finished_trials_snapshot();
    trials = complete_or_pruned(*snapshot);
  }
  const std::vector<StudyDirection> directions = study.directions();
  if (!options_.group) return sample_group_(trials, directions, search_space);

  std::vector<const FrozenTrial*> finished;
  for (const FrozenTrial* t : trials)
    if (t->state == TrialState::COMPLETE || t->state == TrialState::PRUNED) finished.push_back(t);
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

std::map<std::string, double> TPESampler::sample_group_(const std::vector<const FrozenTrial*>& trials,
                                                        const std::vector<StudyDirection>& directions,
                                                        const SearchSpace& search_space) {
  std::vector<std::string> names;
  for (const auto& [name, d] : search_space) names.push_back(name);
  const tpe::ObservationPairs pairs =
      tpe::get_observation_pairs(trials, names, directions, options_.constant_liar, &search_space);
  if (pairs.n_finished < options_.n_startup_trials) return {};

  const auto [below_idx, above_idx] =
      tpe::split_observation_pairs(pairs.scores, options_.gamma(pairs.n_finished), &pairs.violations);
  const bool multi = directions.size() > 1;
  const std::vector<double> weights =
      multi ? tpe::multi_objective_below_weights(pairs.scores, below_idx, &pairs.violations) : std::vector<double>{};
  // An observation is used when it has every parameter of the group; `kept_weights` receives the
  // weights (multi-objective) of the used ones.
  auto columns = [&](const std::vector<int>& idx, std::vector<double>* kept_weights) {
    tpe::ParamColumns cols;
    for (const auto& name : names) cols[name];
    for (size_t j = 0; j < idx.size(); ++j) {
      const int i = idx[j];
      bool complete = true;
      for (const auto& name : names) complete = complete && !std::isnan(pairs.values.at(name)[i]);
      if (!complete) continue;
      for (const auto& name : names) cols[name].push_back(pairs.values.at(name)[i]);
      if (kept_weights) kept_weights->push_back(weights[j]);
    }
    return cols;
  };
  tpe::ParzenEstimatorParameters p{options_.consider_prior, options_.prior_weight, options_.consider_magic_clip,
                                   options_.consider_endpoints, options_.weights, /*multivariate=*/true,
                                   options_.exact_log_pdf};
  if (!multi)
    return tpe::sample_and_compare(columns(below_idx, nullptr), columns(above_idx, nullptr), search_space, p,
                                   options_.n_ei_candidates, rng_, &rng_mutex_);
  std::vector<double> kept;
  const tpe::ParamColumns below = columns(below_idx, &kept);
  const tpe::ParzenEstimatorParameters p_below = below_parameters(p, std::move(kept));
  return tpe::sample_and_compare(below, columns(above_idx, nullptr), search_space, p, options_.n_ei_candidates, rng_,
                                 &rng_mutex_, &p_below);
}

double TPESampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                      const Distribution& distribution) {
  double single = 0.0;
  if (single_valued(distribution, &single)) return single;

  std::lock_guard<std::mutex> history_lock(history_mutex_);
  Observations& o = *observations_;
  if (!o.active || o.study != &study || o.trial_id != trial.trial_id || o.trial_number != trial.number)
    begin_trial_(study, trial);
  Observations::Column& col = o.column(name, distribution);

  if (options_.multivariate && options_.warn_independent_sampling &&
      o.n_finished >= std::max(options_.n_startup_trials, 1) && !col.sorted.empty())
    warn_independent_(trial.number, name);

  if (o.n_finished < options_.n_startup_trials) {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    return RandomSampler::sample(startup_rng_, distribution);
  }

  if (!o.split_done) {
    o.split(options_.gamma(o.n_finished), o.directions.size() == 1);
    o.split_done = true;
  }
  tpe::ParzenEstimatorParameters p{options_.consider_prior, options_.prior_weight, options_.consider_magic_clip,
                                   options_.consider_endpoints, options_.weights, /*multivariate=*/false,
                                   options_.exact_log_pdf};
  const SearchSpace space{{name, distribution}};
  tpe::ParamColumns below, above;
  auto& below_col = below[name];
  std::vector<double> kept;  // multi-objective: the weights of the observations in below_col
  for (size_t j = 0; j < o.below.size(); ++j) {
    const int i = o.below[j];
    if (std::isnan(col.internal[i])) continue;
    below_col.push_back(col.internal[i]);
    if (!o.below_weights.empty()) kept.push_back(o.below_weights[j]);
  }
  const bool multi = o.directions.size() > 1;
  const tpe::ParzenEstimatorParameters p_below = multi ? below_parameters(p, std::move(kept)) : p;
  if (std::holds_alternative<CategoricalDistribution>(distribution)) {
    auto& above_col = above[name];
    for (int i : o.above)
      if (!std::isnan(col.internal[i])) above_col.push_back(col.internal[i]);
    return tpe::sample_and_compare(below, above, space, p, options_.n_ei_candidates, rng_, &rng_mutex_, &p_below)
        .at(name);
  }
  // g(x) from the kept sort order and masses: the observations above, in history order, and their
  // stable argsort (the column's order restricted to them).
  std::vector<double> xs;
  std::vector<int> ids, order;
  std::vector<int>& position = o.position;
  position.assign(o.scores.size(), -1);
  xs.reserve(o.above.size());
  ids.reserve(o.above.size());
  for (int i : o.above)
    if (!std::isnan(col.internal[i])) {
      position[i] = static_cast<int>(xs.size());
      xs.push_back(col.internal[i]);
      ids.push_back(i);
    }
  order.reserve(xs.size());
  for (int i : col.sorted)
    if (position[i] >= 0) order.push_back(position[i]);
  const tpe::ParzenEstimator l(below, space, p_below);
  const tpe::ParzenEstimator g = tpe::ParzenEstimator::univariate(name, distribution, xs, order, p, &ids, &col.memo,
                                                                     &o.above_weights);
  tpe::ParamColumns candidates;
  {
    std::lock_guard<std::mutex> lock(rng_mutex_);
    candidates = l.sample(rng_, options_.n_ei_candidates);
  }
  const int best = tpe::argmax_log_ratio(l.log_pdf(candidates), g.log_pdf(candidates));
  return candidates.at(name)[best];
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
