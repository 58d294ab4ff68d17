// SuccessiveHalvingPruner (ASHA, Li et al. 2020) with Optuna 3.1's decision rule; see
// include/autoglm/pruners.h and pruner/asha.h.
#include <algorithm>
#include <string>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pruners.h"
#include "pruner/asha.h"
#include "pruner/validate.h"

namespace autoglm {

using pruner_detail::invalid;

SuccessiveHalvingPruner::SuccessiveHalvingPruner(SuccessiveHalvingPrunerOptions options) : options_(options) {
  const std::string what = "pruner 'successive_halving'";
  if (options_.min_resource && *options_.min_resource < 1)
    invalid(what, "min_resource", "must be >= 1 or \"auto\", got " + std::to_string(*options_.min_resource) +
                                      "; give the steps every trial runs before its first rung, or \"auto\"");
  if (options_.reduction_factor < 2)
    invalid(what, "reduction_factor", "must be >= 2, got " + std::to_string(options_.reduction_factor) +
                                          "; use 2 or more (4 is the default: about 1 trial in 4 is promoted)");
  if (options_.min_early_stopping_rate < 0)
    invalid(what, "min_early_stopping_rate",
            "must be >= 0, got " + std::to_string(options_.min_early_stopping_rate) + "; use 0 (the default)");
  if (options_.bootstrap_count < 0)
    invalid(what, "bootstrap_count", "must be >= 0, got " + std::to_string(options_.bootstrap_count) +
                                         "; use 0 (the default)");
  if (options_.bootstrap_count > 0 && !options_.min_resource)
    invalid(what, "bootstrap_count",
            "cannot be used with min_resource \"auto\" (got bootstrap_count " + std::to_string(options_.bootstrap_count) +
                "); give min_resource as a number of steps, or set bootstrap_count to 0");
}

bool SuccessiveHalvingPruner::prune(const StudyView& study, const FrozenTrial& trial) {
  if (trial.intermediate_values.empty()) return false;
  const std::vector<FrozenTrial> trials = study.get_trials();
  pruner_detail::AshaParams params{0, options_.reduction_factor, options_.min_early_stopping_rate,
                                   options_.bootstrap_count};
  std::optional<pruner_detail::FirstCompletion> first;
  if (options_.min_resource) {
    params.min_resource = *options_.min_resource;
  } else {
    // "auto": Optuna's _estimate_min_resource over the first completed trial(s).
    first = pruner_detail::find_first_completion(trials);
    if (!first) return false;
    params.min_resource = std::max<int64_t>(first->max_last_step / 100, 1);
  }
  return pruner_detail::asha_prune(trials, trial, study.direction(), params, first ? &*first : nullptr);
}

}  // namespace autoglm
