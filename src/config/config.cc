#include "autoglm/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "common/options.h"
#include "config/multi_config.h"
#include "config/yaml_util.h"

namespace autoglm {

using config_internal::describe;
using config_internal::Entry;
using config_internal::join_key;
using config_internal::line_of;
using config_internal::read_bool;
using config_internal::read_double;
using config_internal::read_int;
using config_internal::read_mapping;
using config_internal::read_seconds;
using config_internal::read_string;
using config_internal::ScalarKind;
using config_internal::scalar_kind;
using config_internal::Source;
using config_internal::to_param_value;

namespace {

// Placeholders every command may use besides the parameters.
const std::vector<std::string> kBuiltinPlaceholders = {"trial_number", "study_name"};

// ---------------------------------------------------------------------------------------------
// Value comparisons for `when` (an int written for a float parent still matches by value).

bool same_value(const ParamValue& a, const ParamValue& b) {
  if (a == b) return true;
  auto num = [](const ParamValue& v) -> std::optional<double> {
    if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  };
  auto x = num(a), y = num(b);
  return x && y && *x == *y;
}

// ---------------------------------------------------------------------------------------------
// Placeholders: "{name}" (and "{{" for a literal brace).

// Replaces "{name}" by `value` (leaving "{{name}" escapes alone).
std::string replace_placeholder(const std::string& text, const std::string& name, const std::string& value) {
  std::string out;
  const std::string pat = "{" + name + "}";
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, 2, "{{") == 0) { out += "{{"; i += 2; continue; }
    if (text.compare(i, pat.size(), pat) == 0) { out += value; i += pat.size(); continue; }
    out += text[i++];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Search space.

const std::vector<std::string> kParamKeys = {"type", "low", "high", "range", "min", "max", "log",
                                             "scale", "step", "choices", "values", "when"};

enum class Kind { kUnset, kFloat, kInt, kCategorical };

Kind parse_type(const Source& src, const YAML::Node& node, const std::string& key) {
  const std::string t = read_string(src, node, key);
  if (t == "float" || t == "real" || t == "double") return Kind::kFloat;
  if (t == "int" || t == "integer") return Kind::kInt;
  if (t == "categorical" || t == "choice") return Kind::kCategorical;
  src.fail(node, key, "unknown type '" + t + "'" + did_you_mean(t, {"float", "int", "categorical"}));
}

bool written_as_float(const YAML::Node& node) {
  return node.IsScalar() && scalar_kind(node) == ScalarKind::kFloat;
}

std::string fmt(const ParamValue& v) {
  if (std::holds_alternative<std::string>(v)) return "'" + std::get<std::string>(v) + "'";
  return to_string(v);
}

ParamSpec parse_param(const Source& src, const std::string& name, const YAML::Node& name_node,
                      const YAML::Node& node, const std::vector<ParamSpec>& earlier) {
  const std::string key = "space." + name;
  ParamSpec spec;
  spec.name = name;
  spec.line = line_of(name_node.IsDefined() ? name_node : node);
  if (name.empty()) src.fail(node, "space", "a parameter needs a non-empty name");

  // Shorthand: `optimizer: [adamw, sgd]` is a categorical parameter.
  if (node.IsSequence()) {
    CategoricalDistribution c;
    size_t i = 0;
    for (const auto& item : node) c.choices.push_back(to_param_value(src, item, key + "[" + std::to_string(i++) + "]"));
    if (c.choices.empty()) src.fail(node, key, "choices are empty; list at least one choice");
    spec.distribution = c;
    try {
      validate_distribution(spec.distribution, name);
    } catch (const ConfigError& e) {
      throw ConfigError(src.at(node) + e.what());
    }
    return spec;
  }
  if (!node.IsMap())
    src.fail(node, key,
             "expected a mapping like {type: float, low: 0.0, high: 1.0} or a list of choices, got " + describe(node));

  Kind kind = Kind::kUnset;
  // Unset until their key is seen (a default-constructed YAML::Node counts as defined).
  YAML::Node type_node{YAML::NodeType::Undefined};
  YAML::Node low_node{YAML::NodeType::Undefined};
  YAML::Node high_node{YAML::NodeType::Undefined};
  YAML::Node bounds_node{YAML::NodeType::Undefined};
  YAML::Node step_node{YAML::NodeType::Undefined};
  YAML::Node choices_node{YAML::NodeType::Undefined};
  YAML::Node when_node{YAML::NodeType::Undefined};
  std::string bounds_form;  // "low/high", "range" or "min/max"
  std::optional<bool> log;
  YAML::Node log_node{YAML::NodeType::Undefined};
  for (const Entry& e : read_mapping(src, node, key, kParamKeys)) {
    const std::string k = join_key(key, e.key);
    auto set_bounds_form = [&](const std::string& form) {
      if (!bounds_form.empty() && bounds_form != form)
        src.fail(e.key_node, key, "bounds given twice (" + bounds_form + " and " + form +
                                      "); use one of low/high, range: [low, high] or min/max");
      bounds_form = form;
    };
    if (e.key == "type") {
      type_node = e.value;
      kind = parse_type(src, e.value, k);
    } else if (e.key == "low" || e.key == "min") {
      set_bounds_form(e.key == "low" ? "low/high" : "min/max");
      low_node = e.value;
    } else if (e.key == "high" || e.key == "max") {
      set_bounds_form(e.key == "high" ? "low/high" : "min/max");
      high_node = e.value;
    } else if (e.key == "range") {
      set_bounds_form("range");
      if (!e.value.IsSequence() || e.value.size() != 2)
        src.fail(e.value, k, "expected a list of two bounds [low, high], got " + describe(e.value));
      bounds_node = e.value;
      low_node = e.value[0];
      high_node = e.value[1];
    } else if (e.key == "log") {
      bool v = read_bool(src, e.value, k);
      if (log && *log != v) src.fail(e.value, k, "contradicts `scale`; keep one of them");
      log = v;
      log_node = e.value;
    } else if (e.key == "scale") {
      std::string s = read_string(src, e.value, k);
      if (s != "log" && s != "linear")
        src.fail(e.value, k, "expected 'log' or 'linear', got '" + s + "'" + did_you_mean(s, {"log", "linear"}));
      if (log && *log != (s == "log")) src.fail(e.value, k, "contradicts `log`; keep one of them");
      log = (s == "log");
      log_node = e.value;
    } else if (e.key == "step") {
      step_node = e.value;
    } else if (e.key == "choices" || e.key == "values") {
      if (choices_node.IsDefined())
        src.fail(e.key_node, key, "give the list once, as either `choices` or `values`");
      if (!e.value.IsSequence()) src.fail(e.value, k, "expected a list of values, got " + describe(e.value));
      choices_node = e.value;
    } else if (e.key == "when") {
      when_node = e.value;
    }
  }

  const bool has_bounds = low_node.IsDefined() || high_node.IsDefined();
  if (has_bounds && choices_node.IsDefined())
    src.fail(node, key, "give either bounds (low/high) or a list of values, not both");
  if (has_bounds && (!low_node.IsDefined() || !high_node.IsDefined()))
    src.fail(node, key, std::string("missing the ") + (low_node.IsDefined() ? "upper" : "lower") +
                            " bound; give both low and high (or range: [low, high])");
  if (!has_bounds && !choices_node.IsDefined())
    src.fail(node, key, "no domain; give low/high (or range: [low, high]) for a number, or choices: [...]");

  // Type inference (docs/config.md "Types"): a list -> categorical; bounds written with a decimal
  // point or an exponent -> float; integer-only bounds need an explicit type.
  if (kind == Kind::kUnset) {
    if (choices_node.IsDefined()) {
      kind = Kind::kCategorical;
    } else if (written_as_float(low_node) || written_as_float(high_node) || written_as_float(step_node)) {
      kind = Kind::kFloat;
    } else {
      src.fail(node, key, "cannot tell int from float: the bounds " + low_node.Scalar() + " and " + high_node.Scalar() +
                              " are integers; add `type: int` or `type: float` (or write them as " +
                              low_node.Scalar() + ".0 and " + high_node.Scalar() + ".0)");
    }
  }

  if (choices_node.IsDefined()) {
    if (kind == Kind::kCategorical || kind == Kind::kFloat || kind == Kind::kInt) {
      if (log) src.fail(log_node, key, "`log` applies to low/high bounds, not to a list of values; drop it");
      if (step_node.IsDefined()) src.fail(step_node, key, "`step` applies to low/high bounds, not to a list; drop it");
    }
    CategoricalDistribution c;
    size_t i = 0;
    for (const auto& item : choices_node) {
      const std::string k = key + ".values[" + std::to_string(i++) + "]";
      ParamValue v = to_param_value(src, item, k);
      if (kind == Kind::kInt) {
        if (!std::holds_alternative<int64_t>(v)) src.fail(item, k, "expected an integer for type int, got " + describe(item));
      } else if (kind == Kind::kFloat) {
        if (auto* iv = std::get_if<int64_t>(&v)) v = static_cast<double>(*iv);
        if (!std::holds_alternative<double>(v)) src.fail(item, k, "expected a number for type float, got " + describe(item));
      }
      c.choices.push_back(std::move(v));
    }
    if (c.choices.empty()) src.fail(choices_node, key, "choices are empty; list at least one choice");
    spec.distribution = c;
    // `type: int, values: [a, a+s, a+2s, ...]` (sorted, evenly spaced) is an int range with a step,
    // which samplers treat as ordered; any other list is categorical.
    if (kind == Kind::kInt) {
      std::vector<int64_t> v;
      for (const auto& x : c.choices) v.push_back(std::get<int64_t>(x));
      bool arithmetic = v.size() >= 2 && v[1] > v[0];
      for (size_t j = 2; arithmetic && j < v.size(); ++j) arithmetic = v[j] - v[j - 1] == v[1] - v[0];
      if (arithmetic) spec.distribution = IntDistribution{v.front(), v.back(), false, v[1] - v[0]};
    }
  } else if (kind == Kind::kCategorical) {
    src.fail(type_node, key, "type categorical needs `choices: [...]`, not low/high bounds");
  } else if (kind == Kind::kInt) {
    IntDistribution d;
    d.low = read_int(src, low_node, key + (bounds_form == "range" ? ".range[0]" : bounds_form == "min/max" ? ".min" : ".low"));
    d.high = read_int(src, high_node, key + (bounds_form == "range" ? ".range[1]" : bounds_form == "min/max" ? ".max" : ".high"));
    d.log = log.value_or(false);
    if (step_node.IsDefined()) d.step = read_int(src, step_node, key + ".step");
    spec.distribution = d;
  } else {
    FloatDistribution d;
    d.low = read_double(src, low_node, key + (bounds_form == "range" ? ".range[0]" : bounds_form == "min/max" ? ".min" : ".low"));
    d.high = read_double(src, high_node, key + (bounds_form == "range" ? ".range[1]" : bounds_form == "min/max" ? ".max" : ".high"));
    d.log = log.value_or(false);
    if (step_node.IsDefined()) d.step = read_double(src, step_node, key + ".step");
    spec.distribution = d;
  }
  try {
    validate_distribution(spec.distribution, name);
  } catch (const ConfigError& e) {
    throw ConfigError(src.at(node) + e.what());
  }

  // Conditions.
  if (when_node.IsDefined()) {
    for (const Entry& c : read_mapping(src, when_node, key + ".when")) {
      auto parent = std::find_if(earlier.begin(), earlier.end(), [&](const ParamSpec& p) { return p.name == c.key; });
      if (c.key == name) src.fail(c.key_node, key + ".when", "a parameter cannot depend on itself");
      if (parent == earlier.end()) {
        std::vector<std::string> names;
        for (const auto& p : earlier) names.push_back(p.name);
        src.fail(c.key_node, key + ".when",
                 "parameter '" + name + "' depends on unknown parameter '" + c.key +
                     "'; a `when` may only refer to a parameter declared above it" + did_you_mean(c.key, names));
      }
      ParamCondition cond;
      cond.parent = c.key;
      std::vector<YAML::Node> items;
      if (c.value.IsSequence()) {
        for (const auto& item : c.value) items.push_back(item);
        if (items.empty()) src.fail(c.value, key + ".when." + c.key, "empty list; give at least one value");
      } else {
        items.push_back(c.value);
      }
      for (const auto& item : items) {
        ParamValue v = to_param_value(src, item, key + ".when." + c.key);
        try {
          to_internal(parent->distribution, v, c.key);
        } catch (const ConfigError&) {
          std::vector<std::string> choices;
          if (auto* cd = std::get_if<CategoricalDistribution>(&parent->distribution))
            for (const auto& ch : cd->choices) choices.push_back(to_string(ch));
          src.fail(item, key + ".when." + c.key,
                   fmt(v) + " is not a possible value of '" + c.key + "' (" + to_string(parent->distribution) + ")" +
                       (choices.empty() ? std::string() : did_you_mean(to_string(v), choices)));
        }
        cond.values.push_back(std::move(v));
      }
      spec.when.push_back(std::move(cond));
    }
  }
  return spec;
}

std::vector<ParamSpec> parse_space(const Source& src, const YAML::Node& node) {
  std::vector<ParamSpec> space;
  auto check_unique = [&](const std::string& name, const YAML::Node& at) {
    for (const auto& p : space)
      if (p.name == name)
        src.fail(at, "space." + name, "declared twice (first at line " + std::to_string(p.line) + "); keep one");
  };
  if (node.IsMap()) {
    for (const Entry& e : read_mapping(src, node, "space")) {
      check_unique(e.key, e.key_node);
      space.push_back(parse_param(src, e.key, e.key_node, e.value, space));
    }
  } else if (node.IsSequence()) {
    // List form: - {name: lr, type: float, low: 1e-5, high: 1e-2}
    for (const auto& item : node) {
      if (!item.IsMap() || !item["name"])
        src.fail(item, "space", "each list item needs a `name` (or write space as a mapping name: {...})");
      const std::string name = read_string(src, item["name"], "space[].name");
      check_unique(name, item);
      YAML::Node rest(YAML::NodeType::Map);
      for (auto it = item.begin(); it != item.end(); ++it)
        if (it->first.Scalar() != "name") rest[it->first] = it->second;
      // `rest` loses marks; parse the original node minus `name` by re-checking keys here.
      for (auto it = item.begin(); it != item.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (k != "name" && std::find(kParamKeys.begin(), kParamKeys.end(), k) == kParamKeys.end()) {
          std::vector<std::string> allowed = kParamKeys;
          allowed.push_back("name");
          src.fail(it->first, "space." + name, "unknown key '" + k + "'" + did_you_mean(k, allowed));
        }
      }
      ParamSpec p = parse_param(src, name, item["name"], rest, space);
      p.line = line_of(item);
      space.push_back(std::move(p));
    }
  } else {
    src.fail(node, "space", "expected a mapping of parameter name: {type: ..., ...}, got " + describe(node));
  }
  if (space.empty()) src.fail(node, "space", "is empty; declare at least one parameter");
  return space;
}

// ---------------------------------------------------------------------------------------------
// Objective.

const std::vector<std::string> kObjectiveKeys = {"command", "function", "shift_seed", "env", "timeout", "grace_period",
                                                 "metric", "metrics", "log_dir", "working_dir", "value_name"};
// Keys that only make sense for a command (a built-in function runs in-process).
const std::vector<std::string> kCommandOnlyKeys = {"env", "timeout", "grace_period", "metric", "metrics", "log_dir", "working_dir"};

std::vector<std::string> read_command(const Source& src, const YAML::Node& node, const std::string& key) {
  std::vector<std::string> argv;
  if (node.IsScalar() && scalar_kind(node) != ScalarKind::kNull) {
    try {
      argv = split_command_line(node.Scalar());
    } catch (const ConfigError& e) {
      src.fail(node, key, e.what());
    }
  } else if (node.IsSequence()) {
    size_t i = 0;
    for (const auto& item : node) {
      const std::string k = key + "[" + std::to_string(i++) + "]";
      if (!item.IsScalar() || scalar_kind(item) == ScalarKind::kNull)
        src.fail(item, k, "expected a string argument, got " + describe(item));
      argv.push_back(item.Scalar());
    }
  } else {
    src.fail(node, key, "expected a command: a string (\"python3 train.py --lr {lr}\") or a list of arguments, got " +
                            describe(node));
  }
  if (argv.empty() || argv[0].empty()) src.fail(node, key, "is empty; give the program to run for each trial");
  return argv;
}

ObjectiveConfig parse_objective(const Source& src, const YAML::Node& node) {
  ObjectiveConfig obj;
  if (!node.IsMap()) {  // shorthand: objective: "python3 train.py --lr {lr}"
    obj.command = read_command(src, node, "objective");
    return obj;
  }
  bool has_command = false;
  YAML::Node command_key{YAML::NodeType::Undefined};
  YAML::Node shift_seed_key{YAML::NodeType::Undefined};
  std::optional<uint64_t> shift_seed;
  std::vector<Entry> command_only;
  for (const Entry& e : read_mapping(src, node, "objective", kObjectiveKeys)) {
    const std::string k = "objective." + e.key;
    if (std::find(kCommandOnlyKeys.begin(), kCommandOnlyKeys.end(), e.key) != kCommandOnlyKeys.end())
      command_only.push_back(e);
    if (e.key == "command") {
      obj.command = read_command(src, e.value, k);
      has_command = true;
      command_key = e.key_node;
    } else if (e.key == "function") {
      BuiltinObjective f;
      f.name = read_string(src, e.value, k);
      f.line = line_of(e.value);
      if (!is_multi_objective_function(f.name)) {
        try {
          (void)objectives::fixed_dimension(f.name);  // refuses an unknown name, with did-you-mean
        } catch (const ConfigError&) {
          std::vector<std::string> all = objectives::function_names();
          for (const auto& m : objectives::multi_function_names()) all.push_back(m);
          src.fail(e.value, k, "unknown built-in function '" + f.name + "'" + did_you_mean(f.name, all));
        }
      }
      obj.function = std::move(f);
    } else if (e.key == "shift_seed") {
      int64_t v = read_int(src, e.value, k);
      if (v < 0) src.fail(e.value, k, "must be >= 0, got " + e.value.Scalar());
      shift_seed = static_cast<uint64_t>(v);
      shift_seed_key = e.key_node;
    } else if (e.key == "env") {
      for (const Entry& v : read_mapping(src, e.value, k)) {
        if (!v.value.IsScalar()) src.fail(v.value, k + "." + v.key, "expected a string, got " + describe(v.value));
        obj.env[v.key] = v.value.IsNull() ? "" : v.value.Scalar();
      }
    } else if (e.key == "timeout") {
      obj.timeout_seconds = read_seconds(src, e.value, k);
    } else if (e.key == "grace_period") {
      double g = read_double(src, e.value, k);
      if (!(g >= 0) || !std::isfinite(g)) src.fail(e.value, k, "must be >= 0 seconds");
      obj.grace_period_seconds = g;
    } else if (e.key == "metric" || e.key == "metrics") {
      if (!obj.metrics.empty()) src.fail(e.key_node, k, "the metrics are given twice (metric and metrics); keep one");
      if (e.value.IsSequence()) {
        if (e.value.size() == 0) src.fail(e.value, k, "is empty; name one metric per direction");
        size_t i = 0;
        for (const auto& m : e.value) {
          const std::string mk = k + "[" + std::to_string(i++) + "]";
          obj.metrics.push_back(read_string(src, m, mk));
          if (obj.metrics.back().empty()) src.fail(m, mk, "empty metric name");
          if (std::count(obj.metrics.begin(), obj.metrics.end(), obj.metrics.back()) > 1)
            src.fail(m, mk, "metric '" + obj.metrics.back() + "' is listed twice");
        }
      } else {
        obj.metrics.push_back(read_string(src, e.value, k));
        if (obj.metrics.back().empty()) src.fail(e.value, k, "empty metric name; name the metric to optimize or omit it");
      }
    } else if (e.key == "log_dir") {
      obj.log_dir = read_string(src, e.value, k);
    } else if (e.key == "value_name") {
      obj.value_name = read_string(src, e.value, k);
    } else if (e.key == "working_dir") {
      obj.working_directory = read_string(src, e.value, k);
    }
  }
  if (obj.function) {
    if (has_command)
      src.fail(command_key, "objective",
               "give either `command` (a program run for each trial) or `function` (a built-in function), not both");
    for (const Entry& e : command_only)
      src.fail(e.key_node, "objective." + e.key,
               "applies to a `command`; the built-in function " + obj.function->name + " runs in-process, remove it");
    obj.function->shift_seed = shift_seed;
    return obj;
  }
  if (shift_seed_key.IsDefined())
    src.fail(shift_seed_key, "objective.shift_seed", "applies to a built-in `function`; add `function: NAME` or remove it");
  if (!has_command)
    src.fail(node, "objective",
             "missing `command`: the program to run for each trial (or `function: NAME` for a built-in function)");
  return obj;
}

// "x12" -> 12; nullopt for anything else ("x", "x01", "y0", "X1").
std::optional<int> coordinate_index(const std::string& name) {
  if (name.size() < 2 || name.size() > 7 || name[0] != 'x') return std::nullopt;
  if (name[1] == '0' && name.size() > 2) return std::nullopt;
  int v = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v;
}

// A built-in function's space: parameters x0 ... x{d-1}, each float or int and unconditional,
// in a dimension the function has; the study has a single objective and no GPUs. Messages carry
// "<file>:<line>: " (the parameter's line, or the line of `function:`).
void check_builtin_objective(const StudyConfig& cfg) {
  const BuiltinObjective& fn = *cfg.objective.function;
  const Source src(cfg.source);
  const int d = static_cast<int>(cfg.space.size());
  const std::string names = d == 1 ? "x0" : d == 2 ? "x0, x1" : "x0 ... x" + std::to_string(d - 1);
  auto fail_param = [&](const ParamSpec& p, const std::string& problem) {
    throw ConfigError(src.at_line(p.line) + "space." + p.name + ": " + problem);
  };
  std::vector<bool> seen(cfg.space.size(), false);
  const ParamSpec* beyond = nullptr;  // first x<i> with i >= d
  for (const auto& p : cfg.space) {
    const auto i = coordinate_index(p.name);
    if (!i)
      fail_param(p, "the built-in function " + fn.name + " takes parameters named x0, x1, ... (one per coordinate); rename '" +
                        p.name + "' (this space of " + std::to_string(d) + " parameters needs " + names + ")");
    if (std::holds_alternative<CategoricalDistribution>(p.distribution))
      fail_param(p, "a coordinate of the built-in function " + fn.name +
                        " is a number; declare it as {type: float, low: ..., high: ...} (or type: int), not categorical");
    if (!p.when.empty())
      fail_param(p, "a coordinate of the built-in function " + fn.name + " is needed in every trial; remove `when`");
    if (*i < d) seen[*i] = true;
    else if (!beyond) beyond = &p;
  }
  const bool multi = is_multi_objective_function(fn.name);
  if (!cfg.constraints.empty() || cfg.scoring)
    throw ConfigError(src.at_line(fn.line) + "objective.function: `constraints` and `scoring` need metrics reported "
                      "by a command; remove them for a built-in function");
  if (multi && fn.name != "dtlz2" && cfg.directions.size() != 2)
    throw ConfigError(src.at_line(fn.line) + "objective.function: " + fn.name + " has 2 objectives, the config gives " +
                      std::to_string(cfg.directions.size()) +
                      " direction(s); write `directions: [minimize, minimize]` or leave directions out");
  if (multi && cfg.directions.size() < 2)
    throw ConfigError(src.at_line(fn.line) + "objective.function: dtlz2 has M >= 2 objectives, one per direction; write "
                      "`directions: [minimize, minimize, ...]` or leave directions out (M = 2)");
  try {
    if (multi) (void)objectives::make_multi_problem(fn.name, d, static_cast<int>(cfg.directions.size()));
    else (void)objectives::make_problem(fn.name, d);
  } catch (const ConfigError& e) {
    throw ConfigError(src.at_line(fn.line) + "objective.function: " + e.what());
  }
  for (int i = 0; i < d; ++i) {
    if (seen[i]) continue;
    std::string declared;
    for (const auto& p : cfg.space) declared += (declared.empty() ? "" : ", ") + p.name;
    fail_param(*beyond, "missing x" + std::to_string(i) + ": the " + std::to_string(d) + " parameters of " + fn.name +
                            " here are " + names + ", the space declares " + declared + "; number them from x0");
  }
  if (!multi && cfg.directions.size() != 1)
    throw ConfigError(src.at_line(fn.line) + "objective.function: " + fn.name + " has one objective; use "
                      "`direction: minimize` instead of `directions`");
  if (multi) {
    if (fn.shift_seed)
      throw ConfigError(src.at_line(fn.line) + "objective.shift_seed: " + fn.name +
                        " is used as published (its reference point and front are fixed); remove shift_seed");
    for (auto dir : cfg.directions)
      if (dir != StudyDirection::MINIMIZE)
        throw ConfigError(src.at_line(fn.line) + "objective.function: every objective of " + fn.name +
                          " is minimized; write `directions: [minimize, minimize" +
                          (cfg.directions.size() > 2 ? ", ...]" : "]") + "` or leave `directions` out");
  }
  if (!cfg.gpus.empty())
    throw ConfigError(src.at_line(fn.line) + "objective.function: a built-in function runs in-process and uses no GPU; "
                      "remove `gpus`");
}

void check_placeholders(const Source& src, const YAML::Node& node, const std::string& key, const std::string& text,
                        const std::vector<ParamSpec>& space) {
  std::vector<std::string> known = kBuiltinPlaceholders;
  for (const auto& p : space) known.push_back(p.name);
  std::vector<std::string> names;
  try {
    names = placeholder_names(text);
  } catch (const ConfigError& e) {
    src.fail(node, key, e.what());
  }
  for (const auto& name : names) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    src.fail(node, key,
             "unknown placeholder '{" + name + "}' in '" + text +
                 "'; placeholders name a parameter of `space`, {trial_number}, {study_name} or {config_dir} "
                 "(write {{ for a literal brace)" +
                 did_you_mean(name, known));
  }
}

// A program given as a path ("./train.sh", "/opt/bin/run") must exist and be executable, resolved
// as the executor will: a relative path from the objective's working_dir, else from the directory
// autoglm runs in. (A bare name is looked up in PATH by validate_command_spec; a program that
// depends on a placeholder is only known when a trial runs.)
void check_program_path(const Source& src, const YAML::Node& node, const ObjectiveConfig& obj) {
  namespace fs = std::filesystem;
  std::string program;
  try {
    program = substitute_placeholders(obj.command[0], {});  // "{{" -> "{"
  } catch (const ConfigError&) {
    return;
  }
  if (program.find('/') == std::string::npos) return;
  fs::path p(program);
  std::error_code ec;
  if (p.is_relative()) {
    fs::path base = obj.working_directory.empty() ? fs::current_path(ec) : fs::absolute(obj.working_directory, ec);
    if (ec) return;  // no usable base (the working_dir check reports a missing one)
    p = (base / p).lexically_normal();
  }
  const bool relative = p.string() != program;
  const std::string where = relative ? " (resolved to " + p.string() + ")" : "";
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0)
    src.fail(node, "objective.command",
             "program '" + program + "' does not exist" + where + "; fix the path" +
                 (relative ? " (relative paths start from working_dir, else the directory autoglm runs in)" : "") +
                 " or give a program name found in PATH");
  if (S_ISDIR(st.st_mode))
    src.fail(node, "objective.command", "program '" + program + "' is a directory" + where + "; give the program file");
  if (!S_ISREG(st.st_mode) || ::access(p.c_str(), X_OK) != 0)
    src.fail(node, "objective.command",
             "program '" + program + "' is not executable" + where +
                 "; make it executable (chmod +x) or run it through its interpreter, e.g. [python3, " + program + ", ...]");
}

// ---------------------------------------------------------------------------------------------
// Baseline.

std::string describe_condition(const ParamSpec& p) {
  std::string s;
  for (const auto& c : p.when) {
    if (!s.empty()) s += " and ";
    s += c.parent + " is ";
    for (size_t i = 0; i < c.values.size(); ++i) s += (i ? " or " : "") + to_string(c.values[i]);
  }
  return s;
}

std::map<std::string, ParamValue> parse_baseline(const Source& src, const YAML::Node& node, const std::string& key,
                                                 const std::vector<ParamSpec>& space) {
  std::map<std::string, ParamValue> out;
  std::map<std::string, YAML::Node> nodes;
  std::vector<std::string> names;
  for (const auto& p : space) names.push_back(p.name);
  for (const Entry& e : read_mapping(src, node, key)) {
    auto p = std::find_if(space.begin(), space.end(), [&](const ParamSpec& s) { return s.name == e.key; });
    if (p == space.end())
      src.fail(e.key_node, key, "unknown parameter '" + e.key + "' (not in `space`)" + did_you_mean(e.key, names));
    ParamValue v = to_param_value(src, e.value, key + "." + e.key);
    // Normalize numbers to the distribution's kind.
    if (std::holds_alternative<FloatDistribution>(p->distribution)) {
      if (auto* i = std::get_if<int64_t>(&v)) v = static_cast<double>(*i);
    } else if (std::holds_alternative<IntDistribution>(p->distribution)) {
      if (auto* d = std::get_if<double>(&v); d && *d == std::round(*d)) v = static_cast<int64_t>(*d);
    } else if (auto* cd = std::get_if<CategoricalDistribution>(&p->distribution)) {
      for (const auto& ch : cd->choices)
        if (same_value(ch, v)) { v = ch; break; }
    }
    try {
      double internal = to_internal(p->distribution, v, e.key);
      if (!contains(p->distribution, internal)) throw ConfigError("outside");
    } catch (const ConfigError&) {
      src.fail(e.value, key + "." + e.key,
               "value " + fmt(v) + " is not in the search space of '" + e.key + "' (" + to_string(p->distribution) +
                   "); pick a value inside it");
    }
    out[e.key] = v;
    nodes[e.key] = e.value;
  }
  // Every active parameter needs a value; inactive ones must not have one.
  std::map<std::string, ParamValue> active;
  for (const auto& p : space) {
    bool on = p.active(active);
    auto it = out.find(p.name);
    if (on && it == out.end())
      src.fail(node, key, "missing a value for '" + p.name + "' (" + to_string(p.distribution) +
                              "); the baseline must give every parameter that it uses a value");
    if (!on && it != out.end())
      src.fail(nodes[p.name], key + "." + p.name,
               "'" + p.name + "' is only used when " + describe_condition(p) + ", which this baseline does not set; remove it");
    if (on) active[p.name] = it->second;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Top level.

const std::vector<std::string> kTopKeys = {
    "study",  "study_name", "description", "storage", "direction", "directions", "space",          "sampler",
    "pruner", "objective",  "n_trials",    "timeout", "n_jobs",    "seed",       "gpus",           "gpus_per_trial",
    "baseline", "default_params", "constraints", "scoring", "n_complete", "heartbeat_interval",
    "heartbeat_grace_period", "max_retries"};

StudyDirection parse_direction(const Source& src, const YAML::Node& node, const std::string& key) {
  const std::string s = read_string(src, node, key);
  if (s == "minimize" || s == "min") return StudyDirection::MINIMIZE;
  if (s == "maximize" || s == "max") return StudyDirection::MAXIMIZE;
  src.fail(node, key, "expected minimize or maximize, got '" + s + "'" + did_you_mean(s, {"minimize", "maximize"}));
}

nlohmann::json parse_algorithm_spec(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar() && scalar_kind(node) == ScalarKind::kString) return {{"name", node.Scalar()}};
  if (!node.IsMap())
    src.fail(node, key, "expected a name (" + key + ": tpe) or a mapping ({name: tpe, seed: 0}), got " + describe(node));
  nlohmann::json j = config_internal::to_json(src, node, key);
  if (!j.contains("name") || !j["name"].is_string())
    src.fail(node, key, "missing `name` (the " + key + " to use, e.g. {name: " + (key == "sampler" ? "tpe" : "median") +
                            ", ...})");
  return j;
}

std::string default_study_name(const std::string& origin) {
  std::filesystem::path p(origin);
  if (p.extension() == ".yaml" || p.extension() == ".yml") return p.stem().string();
  return "study";
}

std::string config_dir_of(const std::string& origin) {
  std::filesystem::path p(origin);
  if (p.extension() != ".yaml" && p.extension() != ".yml") return std::filesystem::current_path().string();
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  if (ec) return std::filesystem::current_path().string();
  return abs.lexically_normal().parent_path().string();
}

// The command's placeholders, environment, program and log_dir (after {config_dir} expansion).
void check_command_objective(const Source& src, const YAML::Node& objective_node, StudyConfig& cfg) {
  const std::string& origin = src.origin();
  // {config_dir} is expanded now; the other placeholders must name a parameter or a built-in.
  // The executor substitutes placeholders in the command and env once more, so there a brace in
  // the directory is escaped ("{" -> "{{"; "}" is always literal) and "/tmp/a{x}" stays itself;
  // log_dir and working_dir are used as they are.
  const std::string config_dir = config_dir_of(origin);
  std::string escaped_dir;
  for (char c : config_dir) escaped_dir += c == '{' ? std::string("{{") : std::string(1, c);
  auto expand = [&](std::string& s, const std::string& dir) { s = replace_placeholder(s, "config_dir", dir); };
  for (auto& a : cfg.objective.command) expand(a, escaped_dir);
  for (auto& [name, value] : cfg.objective.env) expand(value, escaped_dir);
  expand(cfg.objective.log_dir, config_dir);
  expand(cfg.objective.working_directory, config_dir);
  const YAML::Node cmd_node = objective_node.IsMap() ? objective_node["command"] : objective_node;
  for (const auto& a : cfg.objective.command) check_placeholders(src, cmd_node, "objective.command", a, cfg.space);
  for (const auto& [name, value] : cfg.objective.env)
    check_placeholders(src, objective_node["env"], "objective.env." + name, value, cfg.space);

  // The executor's own checks (env keys, PATH lookup of the program, ...). `autoglm` and
  // `autoglm-train` are resolved by the CLI beside its own binary, so they skip the PATH lookup.
  {
    CommandSpec probe = make_command_spec(cfg.objective, cfg.space, {}, "");
    probe.argv = cfg.objective.command;
    probe.env = cfg.objective.env;
    if (probe.argv[0] == "autoglm" || probe.argv[0] == "autoglm-train") probe.argv[0] = "/bin/sh";
    std::set<std::string> names;
    for (const auto& p : cfg.space) names.insert(p.name);
    try {
      validate_command_spec(probe, names);
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      throw ConfigError(src.at(objective_node) + (msg.rfind("objective", 0) == 0 ? "" : "objective: ") + msg);
    }
  }
  check_program_path(src, cmd_node, cfg.objective);
  if (!cfg.objective.log_dir.empty()) {
    const std::string problem = log_dir_problem(cfg.objective.log_dir);
    if (!problem.empty()) src.fail(objective_node["log_dir"], "objective.log_dir", problem);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

bool ParamSpec::active(const std::map<std::string, ParamValue>& sampled) const {
  for (const auto& c : when) {
    auto it = sampled.find(c.parent);
    if (it == sampled.end()) return false;
    bool any = false;
    for (const auto& v : c.values) any = any || same_value(it->second, v);
    if (!any) return false;
  }
  return true;
}

nlohmann::json StudyConfig::sampler_spec() const {
  nlohmann::json s = sampler;
  if (seed && !s.contains("seed")) s["seed"] = *seed;
  return s;
}

std::vector<std::string> split_command_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) throw ConfigError("unterminated single quote in command '" + line + "'");
      cur += line.substr(i + 1, end - i - 1);
      i = end;
      in_word = true;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() && std::string("\"\\$`").find(line[j + 1]) != std::string::npos)
          cur += line[++j];
        else
          cur += line[j];
      }
      if (j >= line.size()) throw ConfigError("unterminated double quote in command '" + line + "'");
      i = j;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 < line.size()) cur += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

StudyConfig parse_study_config(const std::string& yaml_text, const std::string& origin) {
  Source src(origin);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(src.at_line(e.mark.is_null() ? 0 : e.mark.line + 1) + "YAML syntax error: " + e.msg +
                      "; check the indentation and brackets on this line or the one before");
  }
  if (!root.IsDefined() || root.IsNull())
    throw ConfigError(origin + ": the config is empty; it needs at least `space` and `objective` (see docs/config.md)");
  if (!root.IsMap())
    src.fail(root, "", "the config must be a mapping of key: value lines (space:, objective:, ...), got " + describe(root));

  StudyConfig cfg;
  cfg.source = origin;
  cfg.study_name = default_study_name(origin);
  // Unset until their key is seen (a default-constructed YAML::Node counts as defined).
  YAML::Node space_node{YAML::NodeType::Undefined};
  YAML::Node objective_node{YAML::NodeType::Undefined};
  YAML::Node baseline_node{YAML::NodeType::Undefined};
  YAML::Node direction_node{YAML::NodeType::Undefined};
  YAML::Node directions_node{YAML::NodeType::Undefined};
  YAML::Node study_node{YAML::NodeType::Undefined};
  YAML::Node gpt_node{YAML::NodeType::Undefined};
  YAML::Node pruner_node{YAML::NodeType::Undefined};
  std::string baseline_key;
  for (const Entry& e : read_mapping(src, root, "", kTopKeys)) {
    const std::string& k = e.key;
    if (k == "study" || k == "study_name") {
      if (study_node.IsDefined()) src.fail(e.key_node, k, "the study name is given twice (study and study_name); keep one");
      study_node = e.value;
      cfg.study_name = read_string(src, e.value, k);
      if (cfg.study_name.empty()) src.fail(e.value, k, "must not be empty");
    } else if (k == "description") {
      read_string(src, e.value, k);
    } else if (k == "storage") {
      cfg.storage = read_string(src, e.value, k);
    } else if (k == "direction") {
      direction_node = e.value;
      cfg.directions = {parse_direction(src, e.value, k)};
    } else if (k == "directions") {
      directions_node = e.value;
      if (!e.value.IsSequence() || e.value.size() == 0)
        src.fail(e.value, k, "expected a non-empty list like [minimize, maximize], got " + describe(e.value));
      cfg.directions.clear();
      size_t i = 0;
      for (const auto& d : e.value) cfg.directions.push_back(parse_direction(src, d, k + "[" + std::to_string(i++) + "]"));
    } else if (k == "space") {
      space_node = e.value;
    } else if (k == "sampler") {
      cfg.sampler = parse_algorithm_spec(src, e.value, k);
    } else if (k == "pruner") {
      pruner_node = e.value;
      cfg.pruner = parse_algorithm_spec(src, e.value, k);
    } else if (k == "objective") {
      objective_node = e.value;
    } else if (k == "n_trials") {
      int64_t n = read_int(src, e.value, k);
      if (n < 1 || n > 10'000'000) src.fail(e.value, k, "must be a positive number of trials, got " + e.value.Scalar());
      cfg.n_trials = static_cast<int>(n);
    } else if (k == "n_complete") {
      int64_t n = read_int(src, e.value, k);
      if (n < 1 || n > 10'000'000) src.fail(e.value, k, "must be a positive number of trials, got " + e.value.Scalar());
      cfg.n_complete = static_cast<int>(n);
    } else if (k == "heartbeat_interval") {
      // 0 (also written 0.0 or 0s) disables heartbeats; any other value is a positive duration.
      const std::optional<double> zero = e.value.IsScalar() ? config_internal::parse_duration(e.value.Scalar()) : std::nullopt;
      cfg.heartbeat_interval_seconds = zero && *zero == 0.0 ? 0.0 : read_seconds(src, e.value, k);
    } else if (k == "heartbeat_grace_period") {
      cfg.heartbeat_grace_seconds = read_seconds(src, e.value, k);
    } else if (k == "max_retries") {
      int64_t n = read_int(src, e.value, k);
      if (n < 0 || n > 1000) src.fail(e.value, k, "must be between 0 and 1000, got " + e.value.Scalar());
      cfg.max_retries = static_cast<int>(n);
    } else if (k == "timeout") {
      cfg.timeout_seconds = read_seconds(src, e.value, k);
    } else if (k == "n_jobs") {
      int64_t n = read_int(src, e.value, k);
      if (n < 1 || n > 4096) src.fail(e.value, k, "must be >= 1 (trials run in parallel), got " + e.value.Scalar());
      cfg.n_jobs = static_cast<int>(n);
    } else if (k == "seed") {
      int64_t s = read_int(src, e.value, k);
      if (s < 0) src.fail(e.value, k, "must be >= 0, got " + e.value.Scalar());
      cfg.seed = static_cast<uint64_t>(s);
    } else if (k == "gpus") {
      if (!e.value.IsSequence()) src.fail(e.value, k, "expected a list of GPU ids like [0, 1], got " + describe(e.value));
      size_t i = 0;
      for (const auto& g : e.value) {
        const std::string gk = k + "[" + std::to_string(i++) + "]";
        int64_t id = read_int(src, g, gk);
        if (id < 0) src.fail(g, gk, "GPU ids are >= 0, got " + g.Scalar());
        if (std::find(cfg.gpus.begin(), cfg.gpus.end(), id) != cfg.gpus.end())
          src.fail(g, gk, "GPU " + g.Scalar() + " is listed twice");
        cfg.gpus.push_back(static_cast<int>(id));
      }
    } else if (k == "gpus_per_trial") {
      gpt_node = e.value;
      int64_t n = read_int(src, e.value, k);
      if (n < 1) src.fail(e.value, k, "must be >= 1, got " + e.value.Scalar());
      cfg.gpus_per_trial = static_cast<int>(n);
    } else if (k == "constraints") {
      cfg.constraints = config_internal::parse_constraints(src, e.value);
    } else if (k == "scoring") {
      cfg.scoring = config_internal::parse_scoring(src, e.value);
    } else if (k == "baseline" || k == "default_params") {
      if (baseline_node.IsDefined())
        src.fail(e.key_node, k, "the baseline is given twice (baseline and default_params); keep one");
      baseline_node = e.value;
      baseline_key = k;
    }
  }
  if (direction_node.IsDefined() && directions_node.IsDefined())
    src.fail(directions_node, "directions", "give either `direction` or `directions`, not both");
  if (!space_node.IsDefined()) src.fail(root, "", "missing `space`: the hyperparameters to tune (see docs/config.md)");
  if (!objective_node.IsDefined())
    src.fail(root, "", "missing `objective`: the command that runs one trial (see docs/config.md)");

  cfg.space = parse_space(src, space_node);
  cfg.objective = parse_objective(src, objective_node);
  const bool directions_given = direction_node.IsDefined() || directions_node.IsDefined();
  // A built-in multi-objective function minimizes its objectives: 2 unless `directions` says more.
  if (cfg.objective.function && is_multi_objective_function(cfg.objective.function->name) && !directions_given)
    cfg.directions.assign(2, StudyDirection::MINIMIZE);
  if (cfg.scoring) {
    // The study maximizes the score; the metrics come from `scoring`, not `objective.metric`.
    if (directions_given && (cfg.directions.size() != 1 || cfg.directions[0] != StudyDirection::MAXIMIZE))
      src.fail(directions_node.IsDefined() ? directions_node : direction_node,
               directions_node.IsDefined() ? "directions" : "direction",
               "with `scoring` the study maximizes one weighted score; remove it (or write `direction: maximize`)");
    cfg.directions = {StudyDirection::MAXIMIZE};
    if (!cfg.objective.metrics.empty())
      src.fail(objective_node["metric"] ? objective_node["metric"] : objective_node["metrics"], "objective.metric",
               "with `scoring` the metrics are listed in scoring.metrics; remove objective.metric");
  } else if (!cfg.objective.metrics.empty() && cfg.objective.metrics.size() != cfg.directions.size()) {
    src.fail(objective_node["metric"] ? objective_node["metric"] : objective_node["metrics"], "objective.metric",
             "names " + std::to_string(cfg.objective.metrics.size()) + " metric(s) but the study has " +
                 std::to_string(cfg.directions.size()) + " direction(s); give one metric per direction, in order");
  }
  if (cfg.directions.size() > 1) {
    // Pruning needs intermediate values, which multi-objective studies do not have (as in Optuna).
    const std::string pruner = cfg.pruner.value("name", std::string());
    if (pruner_node.IsDefined() && pruner != "nop" && pruner != "none")
      src.fail(pruner_node, "pruner",
               "pruner '" + pruner + "' cannot be used with a multi-objective study (" +
                   std::to_string(cfg.directions.size()) +
                   " directions): pruners compare intermediate values of one objective, as in Optuna; remove `pruner` "
                   "or write `pruner: none`");
    cfg.pruner = {{"name", "nop"}};
  }
  if (cfg.objective.function) check_builtin_objective(cfg);
  else check_command_objective(src, objective_node, cfg);

  if (!cfg.gpus.empty() && cfg.gpus_per_trial > static_cast<int>(cfg.gpus.size()))
    src.fail(gpt_node, "gpus_per_trial",
             "is " + std::to_string(cfg.gpus_per_trial) + " but only " + std::to_string(cfg.gpus.size()) +
                 " GPUs are listed in `gpus`; lower it or list more GPUs");

  if (baseline_node.IsDefined()) {
    if (cfg.directions.size() != 1)
      src.fail(baseline_node, baseline_key, "a baseline comparison needs a single objective (one direction)");
    cfg.baseline = parse_baseline(src, baseline_node, baseline_key, cfg.space);
  }

  // Sampler and pruner: built once so that their option errors surface now.
  try {
    validate_study_config(cfg);
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    if (msg.rfind(origin, 0) == 0) throw;
    YAML::Node at = root;
    if (msg.find("sampler") != std::string::npos && root["sampler"]) at = root["sampler"];
    else if (msg.find("pruner") != std::string::npos && root["pruner"]) at = root["pruner"];
    throw ConfigError(src.at(at) + msg);
  }
  return cfg;
}

namespace {

/// A grid sampler's `search_space` must match the declared space before anything is stored:
/// every grid name is a parameter (did-you-mean otherwise), every parameter has a list, and
/// every value lies in its parameter's distribution (the sampler alone only finds out at the
/// first trial, after the study was created). Throws ConfigError.
void check_grid_against_space(const StudyConfig& cfg) {
  const nlohmann::json spec = cfg.sampler_spec();
  if (!spec.is_object() || spec.value("name", std::string()) != "grid" || !spec.contains("search_space")) return;
  const nlohmann::json& grid = spec.at("search_space");
  if (!grid.is_object()) return;  // make_sampler already refused it
  std::vector<std::string> names;
  for (const auto& p : cfg.space) names.push_back(p.name);
  for (const auto& [key, values] : grid.items()) {
    const auto it = std::find_if(cfg.space.begin(), cfg.space.end(), [&](const ParamSpec& p) { return p.name == key; });
    if (it == cfg.space.end())
      throw ConfigError("sampler 'grid': search_space names '" + key + "', which is not a parameter of the space" +
                        did_you_mean(key, names) + "; list values only for declared parameters");
    for (const auto& v : values) {
      try {
        (void)to_internal(it->distribution, param_value_from_json(v), key);
      } catch (const Error& e) {
        throw ConfigError(std::string("sampler 'grid': search_space value does not fit the parameter's distribution: ") +
                          e.what());
      }
    }
  }
  for (const auto& p : cfg.space)
    if (!grid.contains(p.name))
      throw ConfigError("sampler 'grid': parameter '" + p.name +
                        "' of the space has no values in search_space; add a list of values for it");
}

}  // namespace

void validate_study_config(const StudyConfig& cfg) {
  if (cfg.space.empty()) throw ConfigError("space: is empty; declare at least one parameter");
  if (cfg.objective.function) {
    if (!cfg.objective.command.empty())
      throw ConfigError("objective: give either `command` or `function` (a built-in function), not both");
    check_builtin_objective(cfg);
  } else if (cfg.objective.command.empty()) {
    throw ConfigError("objective.command: is empty; give the program to run");
  }
  if (cfg.directions.empty()) throw ConfigError("directions: give at least one direction");
  if (cfg.scoring && (cfg.directions.size() != 1 || cfg.directions[0] != StudyDirection::MAXIMIZE))
    throw ConfigError("scoring: the study maximizes one weighted score; set directions to [maximize]");
  if (!cfg.scoring && !cfg.objective.metrics.empty() && cfg.objective.metrics.size() != cfg.directions.size())
    throw ConfigError("objective.metric: names " + std::to_string(cfg.objective.metrics.size()) +
                      " metric(s) but the study has " + std::to_string(cfg.directions.size()) + " direction(s)");
  if (cfg.directions.size() > 1) {
    const std::string pruner = cfg.pruner.value("name", std::string());
    if (pruner != "nop" && pruner != "none")
      throw ConfigError("pruner: '" + pruner + "' cannot be used with a multi-objective study; use `pruner: none`");
    const std::string sampler = cfg.sampler.value("name", std::string());
    if (sampler == "cmaes" || sampler == "gp")
      throw ConfigError("sampler: '" + sampler + "' optimizes a single objective; for " +
                        std::to_string(cfg.directions.size()) +
                        " directions use nsga2, tpe (multi-objective TPE), auto, random, qmc or grid");
  }
  if (cfg.n_trials && *cfg.n_trials < 1) throw ConfigError("n_trials: must be >= 1, got " + std::to_string(*cfg.n_trials));
  if (cfg.n_complete && *cfg.n_complete < 1)
    throw ConfigError("n_complete: must be >= 1, got " + std::to_string(*cfg.n_complete));
  if (cfg.n_trials && cfg.n_complete)
    throw ConfigError("n_trials and n_complete are exclusive: n_trials counts trials with a result (COMPLETE or PRUNED), "
                      "n_complete only COMPLETE ones; keep one");
  if (cfg.heartbeat_interval_seconds < 0)
    throw ConfigError("heartbeat_interval: must be >= 0 seconds (0 disables heartbeats)");
  if (cfg.heartbeat_interval_seconds > 0 && !(cfg.heartbeat_grace_seconds > cfg.heartbeat_interval_seconds)) {
    char text[160];
    std::snprintf(text, sizeof text, "heartbeat_grace_period (%g s) must be longer than heartbeat_interval (%g s)",
                  cfg.heartbeat_grace_seconds, cfg.heartbeat_interval_seconds);
    throw ConfigError(std::string(text) + ", or a live trial would be failed as stale; e.g. heartbeat_grace_period: 6 x "
                      "the interval");
  }
  if (cfg.max_retries < 0) throw ConfigError("max_retries: must be >= 0, got " + std::to_string(cfg.max_retries));
  if (cfg.n_jobs < 1) throw ConfigError("n_jobs: must be >= 1, got " + std::to_string(cfg.n_jobs));
  if (cfg.timeout_seconds && !(*cfg.timeout_seconds > 0)) throw ConfigError("timeout: must be > 0 seconds");
  if (cfg.study_name.empty()) throw ConfigError("study: the study name must not be empty");
  (void)make_sampler(cfg.sampler_spec());
  check_grid_against_space(cfg);
  (void)make_pruner(cfg.pruner_spec());
}

double parse_duration_seconds(const std::string& text, const std::string& what) {
  std::optional<double> v = config_internal::parse_duration(text);
  if (!v && config_internal::duration_out_of_range(text))
    throw ConfigError(what + ": '" + text + "' is out of range for a number; give a duration like 90s, 30m, 2h, 1d");
  if (!v) throw ConfigError(what + ": expected seconds (a number) or a duration like 90s, 30m, 2h, 1d; got '" + text + "'");
  if (!(*v > 0)) throw ConfigError(what + ": must be > 0 seconds, got '" + text + "'");
  return *v;
}

std::string log_dir_problem(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  if (ec) return "cannot resolve the log folder '" + dir + "': " + ec.message();
  p = p.lexically_normal();
  if (p.has_parent_path() && p.filename().empty()) p = p.parent_path();  // "logs/" -> "logs"
  struct stat st {};
  if (::stat(p.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return "the log folder " + p.string() + " exists and is not a directory; point it at a directory (or move the file away)";
    if (::access(p.c_str(), W_OK | X_OK) != 0)
      return "the log folder " + p.string() + " is not writable; fix its permissions or choose another folder";
    return "";
  }
  // Missing: it will be created, so its nearest existing ancestor must be a writable directory.
  fs::path a = p;
  while (true) {
    if (a == a.root_path() || !a.has_parent_path()) break;
    a = a.parent_path();
    if (::stat(a.c_str(), &st) == 0) break;
    if (errno != ENOENT && errno != ENOTDIR)
      return "cannot check the log folder " + p.string() + ": " + a.string() + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode))
    return "cannot create the log folder " + p.string() + ": " + a.string() + " is not a directory; choose another folder";
  if (::access(a.c_str(), W_OK | X_OK) != 0)
    return "cannot create the log folder " + p.string() + ": " + a.string() + " is not writable; choose another folder";
  // access() says yes to root everywhere; a probe directory, made and removed at once, tells
  // whether the file system really takes a new directory there (/proc does not).
  std::string probe = (a / ".autoglm-probe-XXXXXX").string();
  if (::mkdtemp(probe.data()) == nullptr)
    return "cannot create the log folder " + p.string() + ": " + a.string() + " does not accept new directories (" +
           std::strerror(errno) + "); choose another folder";
  ::rmdir(probe.c_str());
  return "";
}

StudyConfig load_study_config(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw ConfigError("config file '" + path + "' does not exist; check the path (see examples/ for samples)");
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("config file '" + path + "' is a directory; give the path of a .yaml file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file '" + path + "'; check its permissions");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_study_config(ss.str(), path);
}

std::vector<std::string> active_parameters(const std::vector<ParamSpec>& space,
                                           const std::map<std::string, ParamValue>& values) {
  std::vector<std::string> out;
  std::map<std::string, ParamValue> seen;
  for (const auto& p : space) {
    if (!p.active(seen)) continue;
    out.push_back(p.name);
    if (auto it = values.find(p.name); it != values.end()) seen[p.name] = it->second;
  }
  return out;
}

std::map<std::string, ParamValue> suggest_space(Trial& trial, const std::vector<ParamSpec>& space) {
  std::map<std::string, ParamValue> out;
  for (const auto& p : space) {
    if (!p.active(out)) continue;
    out[p.name] = trial.suggest(p.name, p.distribution);
  }
  return out;
}

objectives::Problem make_builtin_problem(const StudyConfig& config) {
  if (!config.objective.function)
    throw ConfigError("objective: not a built-in function (the objective is a command)");
  const BuiltinObjective& fn = *config.objective.function;
  objectives::Problem p = objectives::make_problem(fn.name, static_cast<int>(config.space.size()));
  if (fn.shift_seed) p = objectives::shifted(p, *fn.shift_seed);
  return p;
}

std::vector<double> builtin_point(const std::map<std::string, ParamValue>& params, int dim) {
  std::vector<double> x(static_cast<size_t>(dim));
  for (int i = 0; i < dim; ++i) {
    const std::string name = "x" + std::to_string(i);
    auto it = params.find(name);
    if (it == params.end()) throw ConfigError("space: no value for " + name + ", a coordinate of the built-in function");
    if (auto* d = std::get_if<double>(&it->second)) x[i] = *d;
    else if (auto* n = std::get_if<int64_t>(&it->second)) x[i] = static_cast<double>(*n);
    else throw ConfigError("space." + name + ": a coordinate of the built-in function must be a number, got " + to_string(it->second));
  }
  return x;
}

CommandSpec make_command_spec(const ObjectiveConfig& objective, const std::vector<ParamSpec>& space,
                              const std::map<std::string, ParamValue>& params, const std::string& log_dir) {
  auto mentions_inactive = [&](const std::string& text) {
    for (const auto& name : placeholder_names(text)) {
      bool in_space = std::any_of(space.begin(), space.end(), [&](const ParamSpec& p) { return p.name == name; });
      if (in_space && !params.count(name)) return true;
    }
    return false;
  };
  CommandSpec spec;
  std::vector<bool> kept_plain;  // whether each kept argument had no placeholder
  for (const auto& arg : objective.command) {
    if (mentions_inactive(arg)) {
      const auto names = placeholder_names(arg);
      const bool lone = names.size() == 1 && arg == "{" + names[0] + "}";
      if (lone && spec.argv.size() > 1 && kept_plain.back() && spec.argv.back().rfind("-", 0) == 0) {
        spec.argv.pop_back();
        kept_plain.pop_back();
      }
      continue;
    }
    spec.argv.push_back(arg);
    kept_plain.push_back(placeholder_names(arg).empty());
  }
  for (const auto& [k, v] : objective.env)
    if (!mentions_inactive(v)) spec.env[k] = v;
  spec.working_directory = objective.working_directory;
  spec.timeout_seconds = objective.timeout_seconds;
  spec.grace_period_seconds = objective.grace_period_seconds;
  spec.metrics = objective.metrics;
  if (objective.metrics.size() == 1) spec.intermediate_metric = objective.metrics[0];
  spec.log_dir = log_dir;
  for (const auto& p : space) spec.search_space_params.insert(p.name);
  return spec;
}

bool is_multi_objective_function(const std::string& name) {
  const auto names = objectives::multi_function_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

objectives::MultiProblem make_builtin_multi_problem(const StudyConfig& config) {
  if (!config.objective.function || !is_multi_objective_function(config.objective.function->name))
    throw ConfigError("objective: not a built-in multi-objective function");
  return objectives::make_multi_problem(config.objective.function->name, static_cast<int>(config.space.size()),
                                        static_cast<int>(config.directions.size()));
}

std::vector<double> constraint_values_of(const std::vector<ConstraintSpec>& constraints,
                                         const std::map<std::string, double>& metrics) {
  std::vector<double> out;
  for (const auto& c : constraints) {
    auto it = metrics.find(c.metric);
    if (it == metrics.end())
      throw Error("constraint metric '" + c.metric + "' was never reported (write {\"metrics\": {\"" + c.metric +
                  "\": V}} to fd 3)");
    if (c.max) out.push_back(it->second - *c.max);
    if (c.min) out.push_back(*c.min - it->second);
  }
  return out;
}

}  // namespace autoglm
