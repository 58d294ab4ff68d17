#include "pruner/asha.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <tuple>

namespace autoglm::pruner_detail {

namespace {

bool finished(TrialState s) {
  return s == TrialState::COMPLETE || s == TrialState::PRUNED || s == TrialState::FAIL;
}

/// Value of `t` at the rung whose promotion step is `rung_step`: its first non-NaN intermediate
/// value at a step >= rung_step (what Optuna records as "completed_rung_<k>").
std::optional<double> rung_value(const FrozenTrial& t, int64_t rung_step) {
  for (auto it = t.intermediate_values.lower_bound(rung_step); it != t.intermediate_values.end(); ++it)
    if (!std::isnan(it->second)) return it->second;
  return std::nullopt;
}

/// Optuna's _is_trial_promotable_to_next_rung: `value` must be among the best
/// max(len / reduction_factor, 1) of `competing` (which contains `value`).
bool promotable(double value, std::vector<double>& competing, int64_t reduction_factor, StudyDirection direction) {
  int64_t idx = static_cast<int64_t>(competing.size()) / reduction_factor - 1;
  if (idx < 0) idx = 0;
  std::sort(competing.begin(), competing.end());
  if (direction == StudyDirection::MAXIMIZE) return value >= competing[competing.size() - 1 - idx];
  return value <= competing[idx];
}

}  // namespace

bool FirstCompletion::finished_before(const FrozenTrial& t) const {
  if (numbers.count(t.number)) return true;
  return when && finished(t.state) && t.datetime_complete && *t.datetime_complete <= *when;
}

std::optional<FirstCompletion> find_first_completion(const std::vector<FrozenTrial>& trials) {
  const FrozenTrial* first = nullptr;
  // Order: known completion time first (earliest), then trial number.
  auto key = [](const FrozenTrial& t) {
    return std::make_tuple(!t.datetime_complete.has_value(),
                           t.datetime_complete.value_or(Clock::time_point{}), t.number);
  };
  for (const auto& t : trials) {
    if (t.state != TrialState::COMPLETE || t.intermediate_values.empty()) continue;
    if (!first || key(t) < key(*first)) first = &t;
  }
  if (!first) return std::nullopt;
  FirstCompletion fc;
  fc.when = first->datetime_complete;
  for (const auto& t : trials) {
    if (t.state != TrialState::COMPLETE || t.intermediate_values.empty()) continue;
    bool same = (&t == first) || (fc.when && t.datetime_complete == fc.when);
    if (!same) continue;
    fc.numbers.insert(t.number);
    fc.max_last_step = std::max(fc.max_last_step, t.intermediate_values.rbegin()->first);
  }
  return fc;
}

int64_t promotion_step(int64_t min_resource, int64_t reduction_factor, int64_t exponent) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t r = min_resource;
  for (int64_t i = 0; i < exponent; ++i) {
    if (r > kMax / reduction_factor) return kMax;
    r *= reduction_factor;
  }
  return r;
}

bool asha_prune(const std::vector<FrozenTrial>& trials, const FrozenTrial& trial, StudyDirection direction,
                const AshaParams& p, const FirstCompletion* first_completion) {
  assert(p.min_resource >= 1 && p.reduction_factor >= 2);
  if (trial.intermediate_values.empty()) return false;
  const auto last = std::prev(trial.intermediate_values.end());
  const int64_t step = last->first;
  const double value = last->second;

  // The rungs this trial completed at earlier reports: those whose promotion step is at or below
  // its largest earlier step with a non-NaN value.
  int64_t previous = -1;
  for (auto it = trial.intermediate_values.begin(); it != last; ++it)
    if (!std::isnan(it->second)) previous = it->first;
  int64_t rung = 0;
  auto rung_step = [&](int64_t k) {
    return promotion_step(p.min_resource, p.reduction_factor, p.min_early_stopping_rate + k);
  };
  constexpr int64_t kNever = std::numeric_limits<int64_t>::max();  // saturated promotion step
  while (previous >= rung_step(rung) && rung_step(rung) != kNever) ++rung;

  std::vector<double> competing;
  while (true) {
    const int64_t promotion = rung_step(rung);
    if (step < promotion || promotion == kNever) return false;
    if (std::isnan(value)) return true;
    competing.clear();
    for (const auto& t : trials) {
      if (t.number == trial.number) continue;
      if (first_completion && first_completion->finished_before(t)) continue;
      if (auto v = rung_value(t, promotion)) competing.push_back(*v);
    }
    competing.push_back(value);
    if (static_cast<int64_t>(competing.size()) <= p.bootstrap_count) return true;
    if (!promotable(value, competing, p.reduction_factor, direction)) return true;
    ++rung;
  }
}

}  // namespace autoglm::pruner_detail
