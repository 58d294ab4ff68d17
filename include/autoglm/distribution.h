// Distributions: the domain of one hyperparameter (float / int / categorical).
//
// Every parameter value has two representations, as in Optuna:
//  - the external value the objective sees (`ParamValue`: null, bool, int, float or string);
//  - the internal value, a double, that samplers and storage work with:
//      FloatDistribution -> the value itself; IntDistribution -> the integer as double;
//      CategoricalDistribution -> the index of the choice (0-based) as double.
// Distributions are plain value types; all functions here are pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoglm {

/// A categorical choice or an external parameter value: null, bool, int, float or string.
using ParamValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

/// Continuous (or stepped) float in [low, high]. `log`: sampled uniformly in log space
/// (requires low > 0). `step`: values low + k*step only; (high - low) must be a multiple of step.
/// `log` and `step` cannot be combined (as in Optuna).
struct FloatDistribution {
  double low = 0.0;
  double high = 1.0;
  bool log = false;
  std::optional<double> step;
  bool operator==(const FloatDistribution&) const = default;
};

/// Integer in [low, high] (both inclusive). `step` >= 1; (high - low) must be a multiple of step.
/// `log` requires low >= 1 and step == 1.
struct IntDistribution {
  int64_t low = 0;
  int64_t high = 1;
  bool log = false;
  int64_t step = 1;
  bool operator==(const IntDistribution&) const = default;
};

/// One of a non-empty list of choices (bool / int / float / string / null).
struct CategoricalDistribution {
  std::vector<ParamValue> choices;
  bool operator==(const CategoricalDistribution&) const = default;
};

using Distribution = std::variant<FloatDistribution, IntDistribution, CategoricalDistribution>;

/// Throws ConfigError naming `name` and the fix when `d` is invalid: low > high, log with
/// low <= 0, a step that does not divide the range, log combined with step, empty choices,
/// duplicated choices, non-finite bounds.
void validate_distribution(const Distribution& d, std::string_view name);

/// True when the distribution has exactly one possible value.
bool is_single(const Distribution& d);

/// True when `internal` is a valid internal value of `d` (in range, on the step grid, index).
bool contains(const Distribution& d, double internal);

/// External -> internal. Throws ConfigError when the value is not in the distribution.
double to_internal(const Distribution& d, const ParamValue& v, std::string_view name = "");
/// Internal -> external (Float: double; Int: int64_t; Categorical: the choice).
ParamValue to_external(const Distribution& d, double internal);

/// True when two distributions may be used for the same parameter name across trials (same
/// kind; for categorical, same choices). Within one trial a name must keep an equal distribution.
bool compatible(const Distribution& a, const Distribution& b);

/// Human-readable one-liner, e.g. "float [0.0001, 0.1] log" or "categorical [adamw, sgd]".
std::string to_string(const Distribution& d);
std::string to_string(const ParamValue& v);

/// JSON forms, Optuna-compatible: {"name": "FloatDistribution", "attributes": {...}}.
nlohmann::json to_json(const Distribution& d);
Distribution distribution_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ParamValue& v);
/// null -> monostate, bool, integer -> int64_t, number -> double, string. Throws ConfigError otherwise.
ParamValue param_value_from_json(const nlohmann::json& j);

/// Ordered map name -> distribution (the search space of a trial or of a study).
using SearchSpace = std::map<std::string, Distribution>;

}  // namespace autoglm
