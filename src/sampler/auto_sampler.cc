// AutoSampler: chooses GP, TPE or CMA-ES per trial from the study's history and delegates the
// trial to it (the rule is documented in include/autoglm/auto_sampler.h).
#include "autoglm/auto_sampler.h"

#include <algorithm>

#include <iostream>
#include <set>

#include "autoglm/error.h"
#include "autoglm/gp_sampler.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

/// SplitMix64 finalizer (Steele et al. 2014): decorrelates the delegates' seeds.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string plural(int n, const std::string& word) { return std::to_string(n) + " " + word; }

/// "4 continuous parameters", "2 continuous + 1 integer + 1 categorical parameters".
std::string describe_space(int n_float, int n_int, int n_cat) {
  std::string s;
  auto add = [&s](int n, const char* kind) {
    if (n == 0) return;
    s += (s.empty() ? "" : " + ") + std::to_string(n) + " " + kind;
  };
  add(n_float, "continuous");
  add(n_int, "integer");
  add(n_cat, "categorical");
  if (s.empty()) s = "0";
  return s + (n_float + n_int + n_cat == 1 ? " parameter" : " parameters");
}

const char* kJointTpe = "multivariate, group, constant_liar";

}  // namespace

void AutoSamplerOptions::validate() const {
  if (gp_max_trials < 1)
    throw ConfigError("sampler 'auto': option 'gp_max_trials' must be >= 1 (COMPLETE trials sampled by the GP), got " +
                      std::to_string(gp_max_trials));
  if (max_gp_dims < 1)
    throw ConfigError("sampler 'auto': option 'max_gp_dims' must be >= 1 (parameters the GP handles), got " +
                      std::to_string(max_gp_dims));
}

AutoSampler::AutoSampler(AutoSamplerOptions options) : options_(std::move(options)) {
  options_.validate();
  seed_ = seed_or_random(options_.seed);
}

AutoSampler::~AutoSampler() = default;

std::string AutoSampler::choice_name(Choice choice) {
  switch (choice) {
    case Choice::kGP: return "gp";
    case Choice::kTPE: return "tpe";
    case Choice::kTPEMultivariate: return "tpe";
    case Choice::kCmaEs: return "cmaes";
  }
  return "?";
}

AutoSampler::Decision AutoSampler::decide(const StudyView& study, const AutoSamplerOptions& options) {
  // 1. Several objectives.
  const size_t n_objectives = study.directions().size();
  if (n_objectives > 1)
    return {Choice::kTPE,
            "multi-objective study (" + std::to_string(n_objectives) + " objectives); multivariate, group"};

  // 2. The space of the COMPLETE trials.
  // The shared snapshot of the finished trials (no copy of the history per trial).
  const std::shared_ptr<const std::vector<FrozenTrial>> finished = study.finished_trials_snapshot();
  std::vector<const FrozenTrial*> complete;
  for (const FrozenTrial& t : *finished)
    if (t.state == TrialState::COMPLETE) complete.push_back(&t);
  const int n_complete = static_cast<int>(complete.size());
  if (complete.empty())
    return {Choice::kGP,
            "no COMPLETE trial yet: the GP's space-filling Sobol start-up phase; decided again at every trial from "
            "the COMPLETE trials"};
  if (std::any_of(complete.begin(), complete.end(), [](const FrozenTrial* t) { return constraint_values(*t).has_value(); }))
    return {Choice::kTPE, std::string("constrained study (trials carry constraint values; TPE ranks infeasible trials "
                                      "last); ") + kJointTpe};
  SearchSpace intersection(complete.front()->distributions.begin(), complete.front()->distributions.end());
  std::set<std::string> seen;  // the union's names
  for (const FrozenTrial* t : complete) {
    for (const auto& [name, d] : t->distributions) seen.insert(name);
    for (auto it = intersection.begin(); it != intersection.end();) {
      auto other = t->distributions.find(it->first);
      if (other == t->distributions.end() || !(other->second == it->second)) it = intersection.erase(it);
      else ++it;
    }
  }
  // The intersection's names are a subset of the union's; equal sizes mean equal spaces.
  if (seen.size() != intersection.size())
    return {Choice::kTPE, "conditional search space: " + plural(static_cast<int>(seen.size()), "parameters seen") +
                              ", " + std::to_string(intersection.size()) +
                              " of them in every COMPLETE trial with one distribution; " + kJointTpe};

  int n_float = 0, n_int = 0, n_cat = 0;
  for (const auto& [name, d] : intersection) {
    if (is_single(d)) continue;
    if (std::holds_alternative<FloatDistribution>(d)) ++n_float;
    else if (std::holds_alternative<IntDistribution>(d)) ++n_int;
    else ++n_cat;
  }
  const std::string space = describe_space(n_float, n_int, n_cat);
  const int n_numeric = n_float + n_int;
  if (n_cat > n_numeric)
    return {Choice::kTPE, space + ": categorical-heavy search space (" + std::to_string(n_cat) + " categorical > " +
                              std::to_string(n_numeric) + " numeric); " + kJointTpe};
  const int dims = n_numeric + n_cat;
  if (dims > options.max_gp_dims)
    return {Choice::kTPE, space + ": more than max_gp_dims " + std::to_string(options.max_gp_dims) + "; " + kJointTpe};

  // 3. GP while it is affordable, then CMA-ES or multivariate TPE.
  if (n_complete < options.gp_max_trials)
    return {Choice::kGP, space + ", no conditional or categorical-heavy space, trial " + std::to_string(n_complete) +
                             " of the GP phase <= " + std::to_string(options.gp_max_trials) + " trials"};
  const std::string past = space + ", " + std::to_string(n_complete) + " COMPLETE trials >= gp_max_trials " +
                           std::to_string(options.gp_max_trials);
  if (n_cat == 0) return {Choice::kCmaEs, past + "; restart_strategy ipop"};
  return {Choice::kTPEMultivariate, past + ", with categorical parameters; multivariate"};
}

uint64_t AutoSampler::derived_seed_(Choice choice) const {
  return splitmix64(seed_ ^ splitmix64(static_cast<uint64_t>(choice) + 1));
}

Sampler& AutoSampler::delegate_(Choice choice, bool multi_objective) {
  auto it = samplers_.find(choice);
  if (it != samplers_.end()) return *it->second;
  const uint64_t seed = derived_seed_(choice);
  std::unique_ptr<Sampler> s;
  switch (choice) {
    case Choice::kGP:
      s = make_gp_sampler(nlohmann::json{{"seed", seed}});
      break;
    case Choice::kTPE: {
      TPESamplerOptions o;
      o.seed = seed;
      o.multivariate = true;
      o.group = true;
      // The liar only acts on single-objective studies (TPESamplerOptions): left off otherwise.
      o.constant_liar = !multi_objective;
      s = std::make_unique<TPESampler>(std::move(o));
      break;
    }
    case Choice::kTPEMultivariate: {
      TPESamplerOptions o;
      o.seed = seed;
      o.multivariate = true;
      s = std::make_unique<TPESampler>(std::move(o));
      break;
    }
    case Choice::kCmaEs: {
      CmaEsSamplerOptions o;
      o.seed = seed;
      o.restart_strategy = "ipop";
      s = std::make_unique<CmaEsSampler>(std::move(o));
      break;
    }
  }
  return *samplers_.emplace(choice, std::move(s)).first->second;
}

Sampler& AutoSampler::delegate_for_(const StudyView& study, const FrozenTrial& trial) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = running_.find(trial.number); it != running_.end()) return *samplers_.at(it->second);
  }
  const Decision d = decide(study, options_);  // reads the history: outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  running_[trial.number] = d.choice;
  if (printed_ != d.choice) {
    printed_ = d.choice;
    std::cerr << ("auto sampler: " + choice_name(d.choice) + " (" + d.reason + ")\n") << std::flush;
  }
  return delegate_(d.choice, study.directions().size() > 1);
}

void AutoSampler::before_trial(const StudyView& study, const FrozenTrial& trial) {
  {
    // A new trial is decided afresh (its number may have been seen by an aborted ask).
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(trial.number);
  }
  delegate_for_(study, trial).before_trial(study, trial);
}

SearchSpace AutoSampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  return delegate_for_(study, trial).infer_relative_search_space(study, trial);
}

std::map<std::string, double> AutoSampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                           const SearchSpace& search_space) {
  return delegate_for_(study, trial).sample_relative(study, trial, search_space);
}

double AutoSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                       const Distribution& distribution) {
  return delegate_for_(study, trial).sample_independent(study, trial, name, distribution);
}

void AutoSampler::after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                              const std::vector<double>& values) {
  Sampler* s = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = running_.find(trial.number);
    if (it == running_.end()) return;  // not started through this sampler: nothing of it to update
    s = samplers_.at(it->second).get();
    running_.erase(it);
  }
  s->after_trial(study, trial, state, values);
}

void AutoSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  for (auto& [choice, s] : samplers_) s->reseed(derived_seed_(choice));
}

std::optional<AutoSampler::Choice> AutoSampler::choice_of(int number) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = running_.find(number);
  if (it == running_.end()) return std::nullopt;
  return it->second;
}

std::optional<AutoSampler::Choice> AutoSampler::last_choice() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return printed_;
}

std::unique_ptr<Sampler> make_auto_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'auto'");
  AutoSamplerOptions o;
  o.seed = r.get_optional<uint64_t>("seed");
  // Read wide so that a huge value is refused rather than truncated.
  const int64_t gp_max_trials = r.get<int64_t>("gp_max_trials", o.gp_max_trials);
  const int64_t max_gp_dims = r.get<int64_t>("max_gp_dims", o.max_gp_dims);
  r.finish();
  if (gp_max_trials < 1 || gp_max_trials > 10'000'000)
    r.fail("gp_max_trials", "must be between 1 and 10000000 (COMPLETE trials sampled by the GP), got " +
                                std::to_string(gp_max_trials));
  if (max_gp_dims < 1 || max_gp_dims > 10'000)
    r.fail("max_gp_dims",
           "must be between 1 and 10000 (parameters the GP handles), got " + std::to_string(max_gp_dims));
  o.gp_max_trials = static_cast<int>(gp_max_trials);
  o.max_gp_dims = static_cast<int>(max_gp_dims);
  return std::make_unique<AutoSampler>(std::move(o));
}

}  // namespace autoglm
