// FrozenTrial: an immutable snapshot of one trial, the only view of history that samplers,
// pruners and front ends get. Plain value type; copying it is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"

namespace autoglm {

/// Trial life cycle: WAITING (enqueued, not started) -> RUNNING -> COMPLETE | PRUNED | FAIL.
/// A finished state never changes again.
enum class TrialState { WAITING, RUNNING, COMPLETE, PRUNED, FAIL };

/// Whether lower (minimize) or higher (maximize) objective values are better.
enum class StudyDirection { MINIMIZE, MAXIMIZE };

std::string to_string(TrialState s);       // "COMPLETE", ...
TrialState trial_state_from_string(const std::string& s);  // throws ConfigError
bool is_finished(TrialState s);            // COMPLETE, PRUNED or FAIL
std::string to_string(StudyDirection d);   // "minimize" / "maximize"
StudyDirection study_direction_from_string(const std::string& s);  // throws ConfigError

using Clock = std::chrono::system_clock;

struct FrozenTrial {
  int64_t trial_id = -1;  ///< Storage-wide unique id.
  int number = -1;        ///< 0-based number within its study, in creation order.
  TrialState state = TrialState::RUNNING;
  /// Objective values: one per direction for COMPLETE trials; for PRUNED trials the last
  /// intermediate value if any (as Optuna does); empty otherwise.
  std::vector<double> values;
  std::map<std::string, double> params;              ///< Internal representation.
  std::map<std::string, Distribution> distributions;  ///< Same keys as params.
  std::map<int64_t, double> intermediate_values;      ///< step -> value.
  std::map<std::string, nlohmann::json> user_attrs;
  std::map<std::string, nlohmann::json> system_attrs;
  std::optional<Clock::time_point> datetime_start;
  std::optional<Clock::time_point> datetime_complete;
  /// Last heartbeat of the worker running it (Storage::record_heartbeat); nullopt when none.
  std::optional<Clock::time_point> last_heartbeat;

  /// The single objective value; nullopt when there is none. Asserts single-objective use.
  std::optional<double> value() const { return values.empty() ? std::nullopt : std::optional<double>(values[0]); }
  /// External value of parameter `name`; throws NotFoundError if the trial has no such param.
  ParamValue param(const std::string& name) const;
  /// All parameters in external form.
  std::map<std::string, ParamValue> external_params() const;
  /// Largest step with an intermediate value, if any.
  std::optional<int64_t> last_step() const;
  /// Wall-clock duration in seconds (start to complete, or to now while running).
  std::optional<double> duration_seconds() const;
};

/// Constraint values of a trial: its system attr "constraints" (kConstraintsAttr), a JSON array
/// of numbers written by whoever ran the trial (the CLI from the config's `constraints`, or a
/// user); the trial is feasible when every value is <= 0 (Optuna's convention). nullopt when the
/// attr is absent or null. NaN counts as violated. Throws ConfigError naming the trial when the
/// attr is not an array of numbers.
inline constexpr const char* kConstraintsAttr = "constraints";
std::optional<std::vector<double>> constraint_values(const FrozenTrial& trial);
/// Total violation sum(max(0, c_i)) of the trial's constraints: 0 when feasible or without
/// constraints, +infinity when a value is NaN. Throws as constraint_values.
double constraint_violation(const FrozenTrial& trial);
/// constraint_violation(trial) == 0.
inline bool is_feasible(const FrozenTrial& trial) { return constraint_violation(trial) == 0.0; }

/// Text form of a time point, ISO-8601 UTC with microseconds ("2026-11-29T23:47:06.123456Z").
std::string format_time(Clock::time_point t);
Clock::time_point parse_time(const std::string& s);

}  // namespace autoglm
