// ThresholdPruner and PatientPruner: Optuna 3.1's rules (optuna/pruners/_threshold.py,
// _patient.py), on a trial's own intermediate values.
#include <cmath>
#include <limits>

#include "autoglm/pruners.h"
#include "common/options.h"
#include "pruner/validate.h"

namespace autoglm {

ThresholdPruner::ThresholdPruner(ThresholdPrunerOptions options) : options_(options) {
  const std::string what = "pruner 'threshold'";
  if (!options_.lower && !options_.upper)
    pruner_detail::invalid(what, "lower", "or 'upper' is required: prune when the latest value is below lower or above upper");
  for (const auto& [key, v] : {std::pair{"lower", options_.lower}, std::pair{"upper", options_.upper}})
    if (v && std::isnan(*v)) pruner_detail::invalid(what, key, "must be a number, got NaN");
  if (options_.lower && options_.upper && *options_.lower > *options_.upper)
    pruner_detail::invalid(what, "lower", "(" + pruner_detail::str(*options_.lower) + ") must not exceed 'upper' (" +
                                              pruner_detail::str(*options_.upper) + ")");
  pruner_detail::validate_warmup_interval(what, options_.n_warmup_steps, options_.interval_steps);
}

bool ThresholdPruner::prune(const StudyView& study, const FrozenTrial& trial) {
  (void)study;
  if (trial.intermediate_values.empty()) return false;
  const auto& [step, latest] = *trial.intermediate_values.rbegin();
  if (step < options_.n_warmup_steps) return false;
  if (!pruner_detail::is_first_in_interval_step(step, trial.intermediate_values, options_.n_warmup_steps,
                                                options_.interval_steps))
    return false;
  if (std::isnan(latest)) return true;
  return (options_.lower && latest < *options_.lower) || (options_.upper && latest > *options_.upper);
}

PatientPruner::PatientPruner(std::unique_ptr<Pruner> wrapped, PatientPrunerOptions options)
    : wrapped_(std::move(wrapped)), options_(options) {
  const std::string what = "pruner 'patient'";
  if (options_.patience < 0)
    pruner_detail::invalid(what, "patience", "cannot be negative, got " + std::to_string(options_.patience));
  if (!(options_.min_delta >= 0.0))
    pruner_detail::invalid(what, "min_delta", "cannot be negative, got " + pruner_detail::str(options_.min_delta));
}

bool PatientPruner::prune(const StudyView& study, const FrozenTrial& trial) {
  const auto& values = trial.intermediate_values;  // ordered by step
  const auto patience = static_cast<size_t>(options_.patience);
  if (values.size() <= patience + 1) return false;
  const bool maximize = study.direction() == StudyDirection::MAXIMIZE;
  // numpy's nanmin / nanmax: NaN values ignored, NaN when every value is NaN.
  auto best_of = [maximize](auto first, auto last) {
    double best = std::numeric_limits<double>::quiet_NaN();
    for (auto it = first; it != last; ++it)
      if (!std::isnan(it->second) && (std::isnan(best) || (maximize ? it->second > best : it->second < best)))
        best = it->second;
    return best;
  };
  const auto split = std::prev(values.end(), static_cast<std::ptrdiff_t>(patience + 1));
  const double before = best_of(values.begin(), split);
  const double after = best_of(split, values.end());
  // A NaN on either side compares false, as in numpy: no pruning.
  const bool stalled = maximize ? before - options_.min_delta > after : before + options_.min_delta < after;
  if (!stalled) return false;
  return wrapped_ ? wrapped_->prune(study, trial) : true;
}

std::unique_ptr<Pruner> make_threshold_pruner(const nlohmann::json& options) {
  OptionReader r(options, "pruner 'threshold'");
  ThresholdPrunerOptions o;
  o.lower = r.get_optional<double>("lower");
  o.upper = r.get_optional<double>("upper");
  o.n_warmup_steps = r.get<int64_t>("n_warmup_steps", o.n_warmup_steps);
  o.interval_steps = r.get<int64_t>("interval_steps", o.interval_steps);
  r.finish();
  return std::make_unique<ThresholdPruner>(o);
}

std::unique_ptr<Pruner> make_patient_pruner(const nlohmann::json& options,
                                            const std::function<std::unique_ptr<Pruner>(const nlohmann::json&)>& make_wrapped) {
  OptionReader r(options, "pruner 'patient'");
  PatientPrunerOptions o;
  const std::optional<int> patience = r.get_optional<int>("patience");
  o.min_delta = r.get<double>("min_delta", o.min_delta);
  const std::optional<nlohmann::json> wrapped = r.get_optional<nlohmann::json>("wrapped_pruner");
  r.finish();
  if (!patience) r.fail("patience", "is required: the number of reports without improvement tolerated, e.g. 3");
  o.patience = *patience;
  return std::make_unique<PatientPruner>(wrapped ? make_wrapped(*wrapped) : nullptr, o);
}

}  // namespace autoglm
