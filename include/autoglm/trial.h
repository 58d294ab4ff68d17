// Trial: the define-by-run handle an objective receives.
//
// Each suggest_* call asks the study's sampler for a value (or returns the fixed value of an
// enqueued trial), validates the distribution, and records the parameter in storage at once.
// Suggesting the same name twice in one trial returns the first value when the distribution is
// equal, and throws ConfigError naming the parameter when it differs.
//
// Ownership: a Trial refers to its Study, which must outlive it. A Trial is used by one thread
// (the worker running its objective); different trials may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"

namespace autoglm {

class Study;

class Trial {
 public:
  Trial(Study* study, int64_t trial_id);

  /// Float in [low, high]; `log` samples in log space (low > 0); `step` discretizes.
  /// Throws ConfigError on an invalid range, naming `name`.
  double suggest_float(const std::string& name, double low, double high, bool log = false,
                       std::optional<double> step = std::nullopt);
  /// Integer in [low, high] inclusive (Optuna's signature: step before log).
  int64_t suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step = 1, bool log = false);
  /// One of `choices` (null / bool / int / float / string).
  ParamValue suggest_categorical(const std::string& name, const std::vector<ParamValue>& choices);
  /// Convenience overload for string choices.
  std::string suggest_categorical(const std::string& name, const std::vector<std::string>& choices);
  /// Generic form used by YAML-driven studies.
  ParamValue suggest(const std::string& name, const Distribution& distribution);

  /// Records an intermediate objective value at `step` (e.g. validation loss after `step`
  /// training steps). Optuna's argument order: value first. A repeated step keeps the first
  /// value. Non-finite values are stored as given (NaN allowed, as in Optuna).
  void report(double value, int64_t step);
  /// Asks the study's pruner whether this trial should stop now.
  bool should_prune();

  void set_user_attr(const std::string& key, const nlohmann::json& value);
  void set_system_attr(const std::string& key, const nlohmann::json& value);

  int number() const { return number_; }
  int64_t trial_id() const { return trial_id_; }
  /// Parameters suggested so far (external values).
  std::map<std::string, ParamValue> params() const;
  /// Current snapshot of this trial from storage.
  FrozenTrial snapshot() const;
  Study& study() { return *study_; }

 private:
  Study* study_;
  int64_t trial_id_;
  int number_;
  /// Fixed parameters of an enqueued trial (external values), applied on first suggest.
  std::map<std::string, ParamValue> fixed_params_;
  /// Relative (joint) proposal computed once at trial start.
  SearchSpace relative_space_;
  std::map<std::string, double> relative_params_;
  /// Parameters recorded in this trial so far, cached to avoid storage reads.
  std::map<std::string, std::pair<double, Distribution>> cache_;
  /// Steps already reported (a repeated step keeps the first value, as in Optuna).
  std::set<int64_t> reported_steps_;
  friend class Study;
};

}  // namespace autoglm
