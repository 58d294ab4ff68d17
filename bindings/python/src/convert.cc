#include "convert.h"

#include <cmath>

#include <pybind11/chrono.h>
#include <pybind11/stl.h>

#include "autoglm/error.h"

namespace autoglm::python {

py::object to_py(const ParamValue& v) {
  return std::visit(
      [](const auto& x) -> py::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return py::none();
        else if constexpr (std::is_same_v<T, bool>) return py::bool_(x);
        else if constexpr (std::is_same_v<T, int64_t>) return py::int_(x);
        else if constexpr (std::is_same_v<T, double>) return py::float_(x);
        else return py::str(x);
      },
      v);
}

namespace {
std::string type_name(py::handle h) { return py::str(py::type::handle_of(h).attr("__name__")); }
}  // namespace

ParamValue param_from_py(py::handle h, const std::string& what) {
  if (h.is_none()) return std::monostate{};
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  if (py::isinstance<py::float_>(h)) return h.cast<double>();
  // numpy.bool_ has __index__ but is a bool, not the integer 0 / 1.
  if (py::hasattr(h, "dtype")) {
    py::object dtype = h.attr("dtype");  // torch dtypes have no "kind"
    if (py::hasattr(dtype, "kind") && py::str(dtype.attr("kind")).cast<std::string>() == "b")
      return PyObject_IsTrue(h.ptr()) == 1;
  }
  // Python ints, numpy integers and other number-likes through __index__, reals through __float__.
  if (py::isinstance<py::int_>(h) || py::hasattr(h, "__index__")) {
    try {
      return py::int_(py::reinterpret_borrow<py::object>(h)).cast<int64_t>();
    } catch (const py::cast_error&) {
      throw ConfigError(what + " is an integer outside the 64-bit range; use a str or a float");
    }
  }
  if (py::hasattr(h, "__float__")) return py::float_(py::reinterpret_borrow<py::object>(h)).cast<double>();
  throw ConfigError(what + " must be None, bool, int, float or str; got " + type_name(h));
}

py::object json_to_py(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return py::none();
    case nlohmann::json::value_t::boolean: return py::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return py::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return py::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return py::float_(j.get<double>());
    case nlohmann::json::value_t::string: return py::str(j.get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      py::list out;
      for (const auto& e : j) out.append(json_to_py(e));
      return out;
    }
    case nlohmann::json::value_t::object: {
      py::dict out;
      for (const auto& [k, e] : j.items()) out[py::str(k)] = json_to_py(e);
      return out;
    }
    default: return py::none();  // binary / discarded: never stored by the engine
  }
}

namespace {
/// Deeper values are refused (a self-referencing list or dict would recurse forever).
constexpr int kMaxJsonDepth = 500;

nlohmann::json py_to_json(py::handle h, const std::string& what, int depth);
}  // namespace

nlohmann::json py_to_json(py::handle h, const std::string& what) { return py_to_json(h, what, 0); }

namespace {
nlohmann::json py_to_json(py::handle h, const std::string& what, int depth) {
  if (depth > kMaxJsonDepth)
    throw ConfigError(what + " is nested deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels (a list or dict that contains itself?); store a flat value");
  if (h.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(h)) return h.cast<bool>();
  if (py::isinstance<py::str>(h)) return h.cast<std::string>();
  if (py::isinstance<py::int_>(h)) {
    try {
      if (h.cast<py::int_>() >= py::int_(0)) return h.cast<uint64_t>();  // seeds reach 2**64 - 1
      return h.cast<int64_t>();
    } catch (const py::cast_error&) {
      throw ConfigError(what + " is an integer outside the 64-bit range; store it as a str");
    }
  }
  if (py::isinstance<py::float_>(h)) {
    const double v = h.cast<double>();
    // JSON has no NaN or infinity (nlohmann would store null): refuse rather than lose the value.
    if (!std::isfinite(v))
      throw ConfigError(what + " holds " + std::string(std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf")) +
                        ", which JSON cannot represent; store it as a str (or None)");
    return v;
  }
  if (py::isinstance<py::list>(h) || py::isinstance<py::tuple>(h)) {
    nlohmann::json out = nlohmann::json::array();
    for (py::handle e : h) out.push_back(py_to_json(e, what, depth + 1));
    return out;
  }
  if (py::isinstance<py::dict>(h)) {
    nlohmann::json out = nlohmann::json::object();
    for (auto [k, v] : py::reinterpret_borrow<py::dict>(h)) {
      if (!py::isinstance<py::str>(k))
        throw ConfigError(what + " has a dict key of type " + type_name(k) + "; JSON keys must be str");
      out[k.cast<std::string>()] = py_to_json(v, what, depth + 1);
    }
    return out;
  }
  if (py::hasattr(h, "tolist")) return py_to_json(h.attr("tolist")(), what, depth + 1);  // numpy arrays and scalars
  throw ConfigError(what + " must be JSON-serializable (None, bool, int, float, str, list, dict); got " +
                    type_name(h));
}
}  // namespace

py::dict frozen_to_py(const FrozenTrial& t) {
  py::dict d;
  d["number"] = t.number;
  d["trial_id"] = t.trial_id;
  d["state"] = to_string(t.state);
  if (t.values.empty()) d["values"] = py::none();
  else d["values"] = py::cast(t.values);
  py::dict params, dists;
  for (const auto& [name, internal] : t.params) {
    const Distribution& dist = t.distributions.at(name);
    params[py::str(name)] = to_py(to_external(dist, internal));
    dists[py::str(name)] = json_to_py(to_json(dist));
  }
  d["params"] = params;
  d["distributions"] = dists;
  py::dict inter;
  for (const auto& [step, v] : t.intermediate_values) inter[py::int_(step)] = v;
  d["intermediate_values"] = inter;
  py::dict ua, sa;
  for (const auto& [k, v] : t.user_attrs) ua[py::str(k)] = json_to_py(v);
  for (const auto& [k, v] : t.system_attrs) sa[py::str(k)] = json_to_py(v);
  d["user_attrs"] = ua;
  d["system_attrs"] = sa;
  d["datetime_start"] = t.datetime_start ? py::cast(*t.datetime_start) : py::none();
  d["datetime_complete"] = t.datetime_complete ? py::cast(*t.datetime_complete) : py::none();
  return d;
}

FrozenTrial frozen_from_py(const py::dict& d) {
  FrozenTrial t;
  t.state = trial_state_from_string(d["state"].cast<std::string>());
  if (d.contains("values") && !d["values"].is_none()) t.values = d["values"].cast<std::vector<double>>();
  py::dict dists = d.contains("distributions") ? d["distributions"].cast<py::dict>() : py::dict();
  if (d.contains("params")) {
    for (auto [k, v] : d["params"].cast<py::dict>()) {
      const std::string name = k.cast<std::string>();
      if (!dists.contains(k))
        throw ConfigError("parameter '" + name + "' has no distribution; pass distributions={'" + name +
                          "': FloatDistribution(...)} as well");
      Distribution dist = distribution_from_json(py_to_json(dists[k], "distribution of '" + name + "'"));
      validate_distribution(dist, name);
      t.params[name] = to_internal(dist, param_from_py(v, "parameter '" + name + "'"), name);
      t.distributions.emplace(name, std::move(dist));
    }
  }
  if (d.contains("intermediate_values"))
    for (auto [k, v] : d["intermediate_values"].cast<py::dict>()) t.intermediate_values[k.cast<int64_t>()] = v.cast<double>();
  if (d.contains("user_attrs"))
    for (auto [k, v] : d["user_attrs"].cast<py::dict>())
      t.user_attrs[k.cast<std::string>()] = py_to_json(v, "user attr '" + k.cast<std::string>() + "'");
  if (d.contains("system_attrs"))
    for (auto [k, v] : d["system_attrs"].cast<py::dict>())
      t.system_attrs[k.cast<std::string>()] = py_to_json(v, "system attr '" + k.cast<std::string>() + "'");
  if (d.contains("datetime_start") && !d["datetime_start"].is_none())
    t.datetime_start = d["datetime_start"].cast<Clock::time_point>();
  if (d.contains("datetime_complete") && !d["datetime_complete"].is_none())
    t.datetime_complete = d["datetime_complete"].cast<Clock::time_point>();
  return t;
}

py::dict summary_to_py(const StudySummary& s) {
  py::dict d;
  d["study_id"] = s.study_id;
  d["study_name"] = s.study_name;
  py::list dirs;
  for (auto dir : s.directions) dirs.append(to_string(dir));
  d["directions"] = dirs;
  py::dict ua, sa, counts;
  for (const auto& [k, v] : s.user_attrs) ua[py::str(k)] = json_to_py(v);
  for (const auto& [k, v] : s.system_attrs) sa[py::str(k)] = json_to_py(v);
  int n = 0;
  for (const auto& [state, c] : s.n_trials_by_state) {
    counts[py::str(to_string(state))] = c;
    n += c;
  }
  d["user_attrs"] = ua;
  d["system_attrs"] = sa;
  d["n_trials_by_state"] = counts;
  d["n_trials"] = n;
  d["best_trial"] = s.best_trial ? py::object(frozen_to_py(*s.best_trial)) : py::none();
  d["datetime_start"] = s.datetime_start ? py::cast(*s.datetime_start) : py::none();
  return d;
}

}  // namespace autoglm::python
