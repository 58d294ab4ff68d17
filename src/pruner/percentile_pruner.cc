// PercentilePruner / MedianPruner: Optuna 3.1's pruners/_percentile.py decision rule, with the
// percentile computed as numpy.nanpercentile's default ("linear", Hyndman & Fan method 7)
// including its rounding, so that decisions agree with Optuna bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pruners.h"
#include "pruner/validate.h"

namespace autoglm {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Best (min, or max when maximizing) of the trial's intermediate values ignoring NaN; NaN when
/// all are NaN (numpy.nanmin / nanmax).
double best_intermediate_value(const FrozenTrial& trial, StudyDirection direction) {
  double best = kNaN;
  for (const auto& [step, v] : trial.intermediate_values) {
    if (std::isnan(v)) continue;
    if (std::isnan(best) || (direction == StudyDirection::MAXIMIZE ? v > best : v < best)) best = v;
  }
  return best;
}

/// numpy.nanpercentile(values, percentile) with the default linear method; NaN when no value is
/// a number.
double nan_percentile(std::vector<double> values, double percentile) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return std::isnan(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double q = percentile / 100.0;
  const auto n = static_cast<int64_t>(values.size());
  const double virtual_index = static_cast<double>(n - 1) * q;
  // Neighbouring indexes; at or past the last one numpy uses index -1 (the last value) for both.
  int64_t previous = static_cast<int64_t>(std::floor(virtual_index));
  int64_t next = previous + 1;
  if (virtual_index >= static_cast<double>(n - 1)) previous = next = -1;
  if (virtual_index < 0) previous = next = 0;
  const double a = values[previous < 0 ? n - 1 : previous];
  const double b = values[next < 0 ? n - 1 : next];
  const double gamma = virtual_index - static_cast<double>(previous);
  // numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
  const double diff = b - a;
  if (gamma >= 0.5) return b - diff * (1.0 - gamma);
  return a + diff * gamma;
}

}  // namespace

PercentilePruner::PercentilePruner(PercentilePrunerOptions options, const char* registered_name) : options_(options) {
  const std::string what = std::string("pruner '") + registered_name + "'";
  if (!(options_.percentile >= 0.0 && options_.percentile <= 100.0))
    pruner_detail::invalid(what, "percentile", "must be between 0 and 100, got " + pruner_detail::str(options_.percentile) +
                                                   "; e.g. 25.0 keeps the best quarter of the trials at each step");
  if (options_.n_startup_trials < 0)
    pruner_detail::invalid(what, "n_startup_trials", "cannot be negative, got " + std::to_string(options_.n_startup_trials) +
                                                         "; use 0 to prune from the first completed trial on");
  pruner_detail::validate_warmup_interval(what, options_.n_warmup_steps, options_.interval_steps);
  if (options_.n_min_trials < 1)
    pruner_detail::invalid(what, "n_min_trials", "must be at least 1, got " + std::to_string(options_.n_min_trials));
}

bool PercentilePruner::prune(const StudyView& study, const FrozenTrial& trial) {
  const std::vector<FrozenTrial> completed = study.get_trials(std::vector<TrialState>{TrialState::COMPLETE});
  const auto n_completed = static_cast<int64_t>(completed.size());
  if (n_completed == 0 || n_completed < options_.n_startup_trials) return false;
  if (trial.intermediate_values.empty()) return false;
  const int64_t step = trial.intermediate_values.rbegin()->first;
  if (step < options_.n_warmup_steps) return false;
  if (!pruner_detail::is_first_in_interval_step(step, trial.intermediate_values, options_.n_warmup_steps, options_.interval_steps))
    return false;

  const StudyDirection direction = study.direction();
  const double best = best_intermediate_value(trial, direction);
  if (std::isnan(best)) return true;

  std::vector<double> at_step;
  for (const auto& t : completed) {
    auto it = t.intermediate_values.find(step);
    if (it != t.intermediate_values.end()) at_step.push_back(it->second);
  }
  if (static_cast<int64_t>(at_step.size()) < options_.n_min_trials) return false;
  const double percentile = direction == StudyDirection::MAXIMIZE ? 100.0 - options_.percentile : options_.percentile;
  const double p = nan_percentile(std::move(at_step), percentile);
  if (std::isnan(p)) return false;
  return direction == StudyDirection::MAXIMIZE ? best < p : best > p;
}

MedianPruner::MedianPruner(MedianPrunerOptions options)
    : PercentilePruner(PercentilePrunerOptions{50.0, options.n_startup_trials, options.n_warmup_steps,
                                               options.interval_steps, options.n_min_trials},
                       "median") {}

bool NopPruner::prune(const StudyView& study, const FrozenTrial& trial) {
  (void)study;
  (void)trial;
  return false;
}

}  // namespace autoglm
