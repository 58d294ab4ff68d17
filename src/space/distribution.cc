#include "autoglm/distribution.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "autoglm/error.h"

namespace autoglm {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string fmt_double(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  // Prefer the shortest representation that round-trips.
  for (int p = 1; p <= 17; ++p) {
    std::ostringstream o;
    o.precision(p);
    o << v;
    if (std::stod(o.str()) == v) return o.str();
  }
  return os.str();
}

std::string fmt15(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::string where(std::string_view name) {
  return name.empty() ? std::string("distribution") : "parameter '" + std::string(name) + "'";
}

// True when (high - low) is an integer multiple of step, up to floating-point error.
bool divides(double low, double high, double step) {
  double n = (high - low) / step;
  return std::abs(n - std::round(n)) <= 1e-8 * std::max(1.0, std::abs(n));
}

}  // namespace

void validate_distribution(const Distribution& d, std::string_view name) {
  std::visit(Overloaded{
                 [&](const FloatDistribution& f) {
                   if (!std::isfinite(f.low) || !std::isfinite(f.high))
                     throw ConfigError(where(name) + ": bounds must be finite numbers, got [" + fmt_double(f.low) + ", " +
                                       fmt_double(f.high) + "]");
                   if (f.low > f.high)
                     throw ConfigError(where(name) + ": low (" + fmt_double(f.low) + ") is greater than high (" +
                                       fmt_double(f.high) + "); swap the bounds");
                   if (f.log && f.low <= 0)
                     throw ConfigError(where(name) + ": log scale needs low > 0, got low = " + fmt_double(f.low) +
                                       "; use a positive lower bound or drop log");
                   if (f.step) {
                     if (f.log)
                       throw ConfigError(where(name) + ": step and log cannot be combined; drop one of them");
                     if (!(*f.step > 0) || !std::isfinite(*f.step))
                       throw ConfigError(where(name) + ": step must be a finite number > 0, got " + fmt_double(*f.step));
                     if (!divides(f.low, f.high, *f.step))
                       throw ConfigError(where(name) + ": step " + fmt_double(*f.step) + " does not divide the range [" +
                                         fmt_double(f.low) + ", " + fmt_double(f.high) +
                                         "]; choose a step such that (high - low) / step is a whole number");
                   }
                 },
                 [&](const IntDistribution& i) {
                   if (i.low > i.high)
                     throw ConfigError(where(name) + ": low (" + std::to_string(i.low) + ") is greater than high (" +
                                       std::to_string(i.high) + "); swap the bounds");
                   if (i.step < 1) throw ConfigError(where(name) + ": step must be >= 1, got " + std::to_string(i.step));
                   if (i.log && i.low < 1)
                     throw ConfigError(where(name) + ": log scale needs low >= 1, got low = " + std::to_string(i.low) +
                                       "; use a positive lower bound or drop log");
                   if (i.log && i.step != 1)
                     throw ConfigError(where(name) + ": step and log cannot be combined; drop one of them");
                   if ((i.high - i.low) % i.step != 0)
                     throw ConfigError(where(name) + ": step " + std::to_string(i.step) + " does not divide the range [" +
                                       std::to_string(i.low) + ", " + std::to_string(i.high) +
                                       "]; choose a step such that (high - low) / step is a whole number");
                 },
                 [&](const CategoricalDistribution& c) {
                   if (c.choices.empty())
                     throw ConfigError(where(name) + ": choices are empty; list at least one choice");
                   for (size_t a = 0; a < c.choices.size(); ++a)
                     for (size_t b = a + 1; b < c.choices.size(); ++b)
                       if (c.choices[a] == c.choices[b])
                         throw ConfigError(where(name) + ": choice " + to_string(c.choices[a]) +
                                           " is listed twice; list each choice once");
                   for (const auto& ch : c.choices)
                     if (auto* v = std::get_if<double>(&ch); v && !std::isfinite(*v))
                       throw ConfigError(where(name) + ": choices must be finite numbers, got " + to_string(ch));
                 },
             },
             d);
}

bool is_single(const Distribution& d) {
  return std::visit(Overloaded{
                        [](const FloatDistribution& f) {
                          if (f.low == f.high) return true;
                          if (f.step) return f.high - f.low < *f.step;
                          return false;
                        },
                        [](const IntDistribution& i) { return i.low == i.high || i.high - i.low < i.step; },
                        [](const CategoricalDistribution& c) { return c.choices.size() == 1; },
                    },
                    d);
}

bool contains(const Distribution& d, double x) {
  if (std::isnan(x)) return false;
  return std::visit(Overloaded{
                        [&](const FloatDistribution& f) {
                          if (x < f.low || x > f.high) return false;
                          if (!f.step) return true;
                          double k = (x - f.low) / *f.step;
                          return std::abs(k - std::round(k)) < 1e-8 * std::max(1.0, std::abs(k));
                        },
                        [&](const IntDistribution& i) {
                          if (x != std::round(x)) return false;
                          auto v = static_cast<int64_t>(x);
                          return v >= i.low && v <= i.high && (v - i.low) % i.step == 0;
                        },
                        [&](const CategoricalDistribution& c) {
                          return x == std::round(x) && x >= 0 && x < static_cast<double>(c.choices.size());
                        },
                    },
                    d);
}

double to_internal(const Distribution& d, const ParamValue& v, std::string_view name) {
  auto bad = [&](const std::string& why) -> double {
    throw ConfigError(where(name) + ": value " + to_string(v) + " " + why + " (" + to_string(d) + ")");
  };
  return std::visit(Overloaded{
                        [&](const FloatDistribution&) -> double {
                          double x;
                          if (auto* p = std::get_if<double>(&v)) x = *p;
                          else if (auto* q = std::get_if<int64_t>(&v)) x = static_cast<double>(*q);
                          else return bad("is not a number");
                          if (!contains(d, x)) return bad("is outside the distribution");
                          return x;
                        },
                        [&](const IntDistribution&) -> double {
                          double x;
                          if (auto* q = std::get_if<int64_t>(&v)) x = static_cast<double>(*q);
                          else if (auto* p = std::get_if<double>(&v); p && *p == std::round(*p)) x = *p;
                          else return bad("is not an integer");
                          if (!contains(d, x)) return bad("is outside the distribution");
                          return x;
                        },
                        [&](const CategoricalDistribution& c) -> double {
                          for (size_t k = 0; k < c.choices.size(); ++k)
                            if (c.choices[k] == v) return static_cast<double>(k);
                          // An int given for a float choice (or vice versa) still matches by value.
                          for (size_t k = 0; k < c.choices.size(); ++k) {
                            const auto& ch = c.choices[k];
                            if (auto* a = std::get_if<int64_t>(&ch); a && std::holds_alternative<double>(v) &&
                                                                      static_cast<double>(*a) == std::get<double>(v))
                              return static_cast<double>(k);
                            if (auto* a = std::get_if<double>(&ch); a && std::holds_alternative<int64_t>(v) &&
                                                                     *a == static_cast<double>(std::get<int64_t>(v)))
                              return static_cast<double>(k);
                          }
                          return bad("is not one of the choices");
                        },
                    },
                    d);
}

ParamValue to_external(const Distribution& d, double x) {
  return std::visit(Overloaded{
                        [&](const FloatDistribution& f) -> ParamValue {
                          if (f.step) {
                            // Snap to the grid to remove floating-point noise.
                            double k = std::round((x - f.low) / *f.step);
                            double v = f.low + k * *f.step;
                            // 0.1 + 1 * 0.05 is 0.15000000000000002: keep 15 significant digits.
                            v = std::strtod(fmt15(v).c_str(), nullptr);
                            return std::min(std::max(v, f.low), f.high);
                          }
                          return x;
                        },
                        [&](const IntDistribution&) -> ParamValue { return static_cast<int64_t>(std::llround(x)); },
                        [&](const CategoricalDistribution& c) -> ParamValue {
                          auto k = static_cast<size_t>(std::llround(x));
                          assert(k < c.choices.size());
                          return c.choices.at(k);
                        },
                    },
                    d);
}

bool compatible(const Distribution& a, const Distribution& b) {
  if (a.index() != b.index()) return false;
  if (auto* ca = std::get_if<CategoricalDistribution>(&a)) return *ca == std::get<CategoricalDistribution>(b);
  return true;
}

std::string to_string(const ParamValue& v) {
  return std::visit(Overloaded{
                        [](std::monostate) -> std::string { return "null"; },
                        [](bool b) -> std::string { return b ? "true" : "false"; },
                        [](int64_t i) -> std::string { return std::to_string(i); },
                        [](double x) -> std::string { return fmt_double(x); },
                        [](const std::string& s) -> std::string { return s; },
                    },
                    v);
}

std::string to_string(const Distribution& d) {
  return std::visit(Overloaded{
                        [](const FloatDistribution& f) {
                          std::string s = "float [" + fmt_double(f.low) + ", " + fmt_double(f.high) + "]";
                          if (f.log) s += " log";
                          if (f.step) s += " step " + fmt_double(*f.step);
                          return s;
                        },
                        [](const IntDistribution& i) {
                          std::string s = "int [" + std::to_string(i.low) + ", " + std::to_string(i.high) + "]";
                          if (i.log) s += " log";
                          if (i.step != 1) s += " step " + std::to_string(i.step);
                          return s;
                        },
                        [](const CategoricalDistribution& c) {
                          std::string s = "categorical [";
                          for (size_t k = 0; k < c.choices.size(); ++k) s += (k ? ", " : "") + to_string(c.choices[k]);
                          return s + "]";
                        },
                    },
                    d);
}

nlohmann::json to_json(const ParamValue& v) {
  return std::visit(Overloaded{
                        [](std::monostate) -> nlohmann::json { return nullptr; },
                        [](bool b) -> nlohmann::json { return b; },
                        [](int64_t i) -> nlohmann::json { return i; },
                        [](double x) -> nlohmann::json { return x; },
                        [](const std::string& s) -> nlohmann::json { return s; },
                    },
                    v);
}

ParamValue param_value_from_json(const nlohmann::json& j) {
  if (j.is_null()) return std::monostate{};
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) return j.get<std::string>();
  throw ConfigError("parameter value must be null, a bool, a number or a string, got " + j.dump());
}

nlohmann::json to_json(const Distribution& d) {
  return std::visit(Overloaded{
                        [](const FloatDistribution& f) {
                          return nlohmann::json{{"name", "FloatDistribution"},
                                                {"attributes",
                                                 {{"low", f.low},
                                                  {"high", f.high},
                                                  {"log", f.log},
                                                  {"step", f.step ? nlohmann::json(*f.step) : nlohmann::json(nullptr)}}}};
                        },
                        [](const IntDistribution& i) {
                          return nlohmann::json{
                              {"name", "IntDistribution"},
                              {"attributes", {{"low", i.low}, {"high", i.high}, {"log", i.log}, {"step", i.step}}}};
                        },
                        [](const CategoricalDistribution& c) {
                          nlohmann::json choices = nlohmann::json::array();
                          for (const auto& ch : c.choices) choices.push_back(to_json(ch));
                          return nlohmann::json{{"name", "CategoricalDistribution"}, {"attributes", {{"choices", choices}}}};
                        },
                    },
                    d);
}

Distribution distribution_from_json(const nlohmann::json& j) {
  try {
    const std::string name = j.at("name").get<std::string>();
    const auto& a = j.at("attributes");
    if (name == "FloatDistribution") {
      FloatDistribution f{a.at("low").get<double>(), a.at("high").get<double>(), a.value("log", false), std::nullopt};
      if (a.contains("step") && !a.at("step").is_null()) f.step = a.at("step").get<double>();
      return f;
    }
    if (name == "IntDistribution")
      return IntDistribution{a.at("low").get<int64_t>(), a.at("high").get<int64_t>(), a.value("log", false),
                             a.value("step", int64_t{1})};
    if (name == "CategoricalDistribution") {
      CategoricalDistribution c;
      for (const auto& ch : a.at("choices")) c.choices.push_back(param_value_from_json(ch));
      return c;
    }
    throw ConfigError("unknown distribution '" + name + "'");
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("malformed distribution JSON: ") + e.what() + ": " + j.dump());
  }
}

}  // namespace autoglm
