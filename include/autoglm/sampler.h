// Sampler: proposes parameter values for a trial from the study's history.
//
// The interface follows Optuna's BaseSampler (samplers/_base.py):
//  - relative sampling: before the objective runs, `infer_relative_search_space` picks the
//    parameters to sample jointly and `sample_relative` proposes them (multivariate TPE, GP,
//    CMA-ES); parameters it does not cover are sampled by
//  - independent sampling: `sample_independent`, once per suggest call.
// All values are in the internal representation (see distribution.h).
//
// Thread-safety: a sampler may be called from several worker threads of one study at once;
// implementations guard their random state with a mutex. With one worker and a fixed seed, the
// sequence of suggestions is deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/study_view.h"

namespace autoglm {

class Sampler {
 public:
  virtual ~Sampler() = default;

  /// Parameters to sample jointly for `trial` (default: none).
  virtual SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
    (void)study; (void)trial;
    return {};
  }
  /// Joint proposal for `search_space`, internal values keyed by name (default: none).
  virtual std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                        const SearchSpace& search_space) {
    (void)study; (void)trial; (void)search_space;
    return {};
  }
  /// Proposal for one parameter; returns an internal value contained in `distribution`.
  virtual double sample_independent(const StudyView& study, const FrozenTrial& trial,
                                    const std::string& name, const Distribution& distribution) = 0;
  /// Hooks with no-op defaults.
  virtual void before_trial(const StudyView& study, const FrozenTrial& trial) { (void)study; (void)trial; }
  virtual void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                           const std::vector<double>& values) {
    (void)study; (void)trial; (void)state; (void)values;
  }
  /// True when the sampler has no new point to propose for `study` (a grid every point of which
  /// is finished or running). The front ends then start no new trial, as Optuna's GridSampler
  /// stops the study. Called after each finished trial; default false.
  virtual bool exhausted(const StudyView& study) {
    (void)study;
    return false;
  }
  /// Re-seeds the random state (used to give parallel workers different streams).
  virtual void reseed(uint64_t seed) = 0;
  /// Registered name ("random", "tpe", ...).
  virtual std::string name() const = 0;
};

/// Builds a sampler from a spec such as {"name": "tpe", "seed": 0, "n_startup_trials": 10}.
/// Unknown names or option keys throw ConfigError with a did-you-mean suggestion.
/// `register_builtins()` must have been called (it is idempotent).
std::unique_ptr<Sampler> make_sampler(const nlohmann::json& spec);

using SamplerFactory = std::function<std::unique_ptr<Sampler>(const nlohmann::json& options)>;
/// Adds a sampler factory under `name` (replacing an existing one). Thread-safe.
void register_sampler(const std::string& name, SamplerFactory factory);
std::vector<std::string> registered_samplers();

}  // namespace autoglm
