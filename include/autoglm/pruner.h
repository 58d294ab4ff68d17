// Pruner: decides from intermediate values whether a RUNNING trial should stop early.
//
// Follows Optuna's BasePruner (pruners/_base.py): `prune(study, trial)` is called after each
// reported intermediate value with a snapshot of the trial (its intermediate values included).
// Pruners are pure functions of history plus their options; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/frozen_trial.h"
#include "autoglm/study_view.h"

namespace autoglm {

class Pruner {
 public:
  virtual ~Pruner() = default;
  /// True when `trial` (RUNNING, with its latest intermediate values) should be stopped.
  virtual bool prune(const StudyView& study, const FrozenTrial& trial) = 0;
  virtual std::string name() const = 0;
};

/// Builds a pruner from a spec such as {"name": "successive_halving", "reduction_factor": 4}.
/// Names: "nop" (or "none"), "median", "percentile", "successive_halving" (alias "asha"),
/// "hyperband", "threshold", "patient" (wrapping another pruner spec).
/// Unknown names / keys throw ConfigError with a did-you-mean suggestion.
std::unique_ptr<Pruner> make_pruner(const nlohmann::json& spec);

using PrunerFactory = std::function<std::unique_ptr<Pruner>(const nlohmann::json& options)>;
void register_pruner(const std::string& name, PrunerFactory factory);
std::vector<std::string> registered_pruners();

/// Registers every built-in sampler and pruner. Idempotent and thread-safe; called by
/// make_sampler / make_pruner / create_study, so users rarely need to call it.
void register_builtins();

}  // namespace autoglm
