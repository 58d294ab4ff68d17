// Private helpers of the pruners: one message format for option validation in the constructors
// and the make_*_pruner factories ("pruner 'NAME': option 'KEY' PROBLEM; FIX", the same as
// OptionReader::fail produces), and Optuna's interval-step rule.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "autoglm/error.h"

namespace autoglm::pruner_detail {

[[noreturn]] inline void invalid(const std::string& what, const std::string& key, const std::string& problem) {
  throw ConfigError(what + ": option '" + key + "' " + problem);
}

/// Shortest text that reads back as `v` (e.g. "25", "12.5", "-1").
inline std::string str(double v) { return nlohmann::json(v).dump(); }

/// Checks the warm-up and interval options every step-based pruner shares.
inline void validate_warmup_interval(const std::string& what, int64_t n_warmup_steps, int64_t interval_steps) {
  if (n_warmup_steps < 0)
    invalid(what, "n_warmup_steps", "cannot be negative, got " + std::to_string(n_warmup_steps) + "; use 0 for no warm-up");
  if (interval_steps < 1)
    invalid(what, "interval_steps", "must be at least 1, got " + std::to_string(interval_steps) +
                                        "; use 1 to check at every step");
}

/// Optuna's _is_first_in_interval_step: true when no earlier report of the trial lies at or
/// after the most recent pruning-check step n_warmup_steps + k * interval_steps <= step.
inline bool is_first_in_interval_step(int64_t step, const std::map<int64_t, double>& intermediate_values,
                                      int64_t n_warmup_steps, int64_t interval_steps) {
  const int64_t nearest_lower_pruning_step = (step - n_warmup_steps) / interval_steps * interval_steps + n_warmup_steps;
  int64_t second_last_step = -1;
  for (const auto& [s, v] : intermediate_values)
    if (s != step && s > second_last_step) second_last_step = s;
  return second_last_step < nearest_lower_pruning_step;
}

}  // namespace autoglm::pruner_detail
