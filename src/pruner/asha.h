// Private helpers shared by SuccessiveHalvingPruner and HyperbandPruner: the asynchronous
// successive-halving decision derived purely from intermediate values (see the file comment of
// include/autoglm/pruners.h for the definition of a rung value and how it relates to Optuna's
// "completed_rung_<k>" attributes).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "autoglm/frozen_trial.h"

namespace autoglm::pruner_detail {

/// The first completed trial(s) of a study, which "auto" resources are estimated from (Optuna
/// fixes them at the first prune() call after a trial completed).
struct FirstCompletion {
  /// datetime_complete of the first completed trial, when known.
  std::optional<Clock::time_point> when;
  /// Numbers of the trials taken as completed first (those completed at `when`, or the
  /// lowest-numbered COMPLETE trial when times are unknown).
  std::set<int> numbers;
  /// Largest last step among them.
  int64_t max_last_step = 0;

  /// True when `t` finished no later than the first completion: Optuna's pruner had recorded
  /// nothing for it, so it takes no part in rung competitions.
  bool finished_before(const FrozenTrial& t) const;
};

/// The earliest-completed COMPLETE trial(s) having intermediate values, or nullopt when no such
/// trial exists yet.
std::optional<FirstCompletion> find_first_completion(const std::vector<FrozenTrial>& trials);

/// min_resource * reduction_factor^exponent, saturated at INT64_MAX.
int64_t promotion_step(int64_t min_resource, int64_t reduction_factor, int64_t exponent);

struct AshaParams {
  int64_t min_resource = 1;
  int64_t reduction_factor = 4;
  int64_t min_early_stopping_rate = 0;
  int64_t bootstrap_count = 0;
};

/// Optuna 3.1's SuccessiveHalvingPruner.prune decision for `trial` against `trials` (the study, or
/// one Hyperband bracket of it; `trial` itself may be among them and is skipped by number).
/// `first_completion`, when given, excludes the trials that finished before it.
bool asha_prune(const std::vector<FrozenTrial>& trials, const FrozenTrial& trial, StudyDirection direction,
                const AshaParams& params, const FirstCompletion* first_completion);

}  // namespace autoglm::pruner_detail
