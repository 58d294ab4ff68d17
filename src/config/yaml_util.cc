#include "config/yaml_util.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>

#include "common/options.h"

namespace autoglm::config_internal {

std::string Source::at(const YAML::Node& node) const { return at_line(line_of(node)); }

std::string Source::at_line(int line) const {
  if (line > 0) return origin_ + ":" + std::to_string(line) + ": ";
  return origin_ + ": ";
}

void Source::fail(const YAML::Node& node, const std::string& key, const std::string& problem) const {
  throw ConfigError(at(node) + (key.empty() ? "" : key + ": ") + problem);
}

int line_of(const YAML::Node& node) {
  if (!node.IsDefined()) return 0;
  const YAML::Mark m = node.Mark();
  if (m.is_null() || m.line < 0) return 0;
  return m.line + 1;
}

namespace {

const std::regex kIntRe("[-+]?[0-9]+");
const std::regex kHexRe("0x[0-9a-fA-F]+");
const std::regex kFloatRe("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
const std::regex kInfRe("[-+]?\\.(inf|Inf|INF)");
const std::regex kNanRe("\\.(nan|NaN|NAN)");
// Seconds with an optional unit: "90", "1.5", "90s", "30m", "2h", "1d".
const std::regex kDurationRe("\\s*([-+]?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?)\\s*(s|sec|m|min|h|d)?\\s*");

bool is_quoted_or_str(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

}  // namespace

ScalarKind scalar_kind(const YAML::Node& node) {
  if (node.IsNull()) return ScalarKind::kNull;
  if (is_quoted_or_str(node)) return ScalarKind::kString;
  const std::string& s = node.Scalar();
  if (s == "~" || s == "null" || s == "Null" || s == "NULL" || s.empty()) return ScalarKind::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE")
    return ScalarKind::kBool;
  if (std::regex_match(s, kIntRe) || std::regex_match(s, kHexRe)) return ScalarKind::kInt;
  if (std::regex_match(s, kFloatRe) || std::regex_match(s, kInfRe) || std::regex_match(s, kNanRe))
    return ScalarKind::kFloat;
  return ScalarKind::kString;
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing (null)";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  switch (scalar_kind(node)) {
    case ScalarKind::kBool: return "the boolean " + node.Scalar();
    case ScalarKind::kInt:
    case ScalarKind::kFloat: return "the number " + node.Scalar();
    default: return "the string '" + node.Scalar() + "'";
  }
}

std::optional<double> parse_number(const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  if (errno == ERANGE && std::isinf(v)) return std::nullopt;  // overflow; an underflow keeps its tiny value
  return v;
}

bool duration_out_of_range(const std::string& text) {
  return std::regex_match(text, kDurationRe) && !parse_duration(text);
}

std::optional<double> parse_duration(const std::string& text) {
  std::smatch m;
  if (!std::regex_match(text, m, kDurationRe)) return std::nullopt;
  std::optional<double> v = parse_number(m[1].str());
  if (!v) return std::nullopt;
  const std::string unit = m[4].str();
  if (unit == "m" || unit == "min") *v *= 60;
  else if (unit == "h") *v *= 3600;
  else if (unit == "d") *v *= 86400;
  if (!std::isfinite(*v)) return std::nullopt;
  return v;
}

namespace {

// A number scalar (matched by kIntRe, kFloatRe, kInfRe or kNanRe) as a double. A value beyond the
// range of a double ("1e400") is refused; one too small to represent ("1e-400") becomes 0 or a
// subnormal, as in other YAML readers.
double parse_float(const Source& src, const YAML::Node& node, const std::string& key) {
  const std::string& s = node.Scalar();
  if (std::regex_match(s, kInfRe)) return s[0] == '-' ? -std::numeric_limits<double>::infinity()
                                                      : std::numeric_limits<double>::infinity();
  if (std::regex_match(s, kNanRe)) return std::numeric_limits<double>::quiet_NaN();
  std::optional<double> v = parse_number(s);
  if (!v) src.fail(node, key, s + " is out of range for a number; use a value between -1.7e308 and 1.7e308");
  return *v;
}

bool parse_int(const std::string& s, int64_t* out) {
  try {
    size_t pos = 0;
    long long v = std::stoll(s, &pos, std::regex_match(s, kHexRe) ? 16 : 10);
    if (pos != s.size()) return false;
    *out = v;
    return true;
  } catch (const std::exception&) {
    return false;  // out of range
  }
}

}  // namespace

nlohmann::json to_json(const Source& src, const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || node.IsNull()) return nullptr;
  if (node.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& e : read_mapping(src, node, key)) j[e.key] = to_json(src, e.value, join_key(key, e.key));
    return j;
  }
  if (node.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    size_t i = 0;
    for (const auto& item : node) j.push_back(to_json(src, item, key + "[" + std::to_string(i++) + "]"));
    return j;
  }
  const std::string& s = node.Scalar();
  switch (scalar_kind(node)) {
    case ScalarKind::kNull: return nullptr;
    case ScalarKind::kBool: return s[0] == 't' || s[0] == 'T';
    case ScalarKind::kInt: {
      int64_t v;
      if (parse_int(s, &v)) return v;
      return parse_float(src, node, key);
    }
    case ScalarKind::kFloat: {
      double v = parse_float(src, node, key);
      if (!std::isfinite(v)) src.fail(node, key, "JSON options cannot hold " + s + "; use a finite number");
      return v;
    }
    case ScalarKind::kString: return s;
  }
  return s;
}

ParamValue to_param_value(const Source& src, const YAML::Node& node, const std::string& key) {
  if (!node.IsDefined() || node.IsNull()) return std::monostate{};
  if (!node.IsScalar())
    src.fail(node, key, "expected a single value (string, number, boolean or null), got " + describe(node));
  const std::string& s = node.Scalar();
  switch (scalar_kind(node)) {
    case ScalarKind::kNull: return std::monostate{};
    case ScalarKind::kBool: return s[0] == 't' || s[0] == 'T';
    case ScalarKind::kInt: {
      int64_t v;
      if (parse_int(s, &v)) return v;
      return parse_float(src, node, key);
    }
    case ScalarKind::kFloat: return parse_float(src, node, key);
    case ScalarKind::kString: return s;
  }
  return s;
}

bool read_bool(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar() && !is_quoted_or_str(node)) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "Yes" || s == "on") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "No" || s == "off") return false;
  }
  src.fail(node, key, "expected true or false, got " + describe(node));
}

int64_t read_int(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    ScalarKind k = scalar_kind(node);
    int64_t v;
    if (k == ScalarKind::kInt && parse_int(node.Scalar(), &v)) return v;
    if (k == ScalarKind::kFloat) {
      double d = parse_float(src, node, key);
      if (std::isfinite(d) && d == std::round(d) && std::abs(d) < 9.0e15) return static_cast<int64_t>(d);
    }
  }
  src.fail(node, key, "expected an integer, got " + describe(node));
}

double read_double(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar()) {
    ScalarKind k = scalar_kind(node);
    if (k == ScalarKind::kInt || k == ScalarKind::kFloat) return parse_float(src, node, key);
  }
  src.fail(node, key, "expected a number, got " + describe(node));
}

std::string read_string(const Source& src, const YAML::Node& node, const std::string& key) {
  if (node.IsScalar() && scalar_kind(node) != ScalarKind::kNull) return node.Scalar();
  src.fail(node, key, "expected a string, got " + describe(node));
}

double read_seconds(const Source& src, const YAML::Node& node, const std::string& key) {
  double v = 0;
  if (node.IsScalar() && (scalar_kind(node) == ScalarKind::kInt || scalar_kind(node) == ScalarKind::kFloat)) {
    v = parse_float(src, node, key);
  } else if (node.IsScalar() && scalar_kind(node) == ScalarKind::kString) {
    const std::string s = node.Scalar();
    std::optional<double> d = parse_duration(s);
    if (!d && duration_out_of_range(s))
      src.fail(node, key, "'" + s + "' is out of range for a number; give a duration like 90s, 30m, 2h, 1d");
    if (!d) src.fail(node, key, "expected seconds (a number) or a duration like 90s, 30m, 2h, 1d; got '" + s + "'");
    v = *d;
  } else {
    src.fail(node, key, "expected seconds (a number) or a duration like 30m; got " + describe(node));
  }
  if (!std::isfinite(v) || v <= 0) src.fail(node, key, "must be > 0 seconds, got " + node.Scalar());
  return v;
}

std::vector<Entry> read_mapping(const Source& src, const YAML::Node& node, const std::string& what,
                                const std::vector<std::string>& allowed) {
  if (!node.IsMap()) src.fail(node, what, "expected a mapping (key: value lines), got " + describe(node));
  std::vector<Entry> out;
  std::map<std::string, int> seen;  // key -> line
  for (const auto& kv : node) {
    const YAML::Node k = kv.first;
    if (!k.IsScalar()) src.fail(k, what, "keys must be plain names, got " + describe(k));
    const std::string key = k.Scalar();
    const std::string full = join_key(what, key);
    if (auto s = seen.find(key); s != seen.end())
      src.fail(k, full, "declared twice (first at line " + std::to_string(s->second) + "); keep one");
    seen[key] = line_of(k);
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      src.fail(k, what.empty() ? "" : what, "unknown key '" + key + "'" + did_you_mean(key, allowed));
    out.push_back({key, k, kv.second});
  }
  return out;
}

}  // namespace autoglm::config_internal
