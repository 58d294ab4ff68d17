// Private helpers for reading YAML with precise, one-line errors: scalar typing (YAML 1.2 core
// schema), "file:line: key: problem" messages, mappings checked for unknown and duplicate keys.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "autoglm/distribution.h"
#include "autoglm/error.h"

namespace autoglm::config_internal {

/// Where a config comes from; builds message prefixes.
class Source {
 public:
  explicit Source(std::string origin) : origin_(std::move(origin)) {}
  const std::string& origin() const { return origin_; }
  /// "file:line: " for a node with a mark, else "file: ".
  std::string at(const YAML::Node& node) const;
  std::string at_line(int line) const;
  /// Throws ConfigError("<file>:<line>: <key>: <problem>").
  [[noreturn]] void fail(const YAML::Node& node, const std::string& key, const std::string& problem) const;

 private:
  std::string origin_;
};

/// 1-based line of a node, 0 when unknown.
int line_of(const YAML::Node& node);

/// A scalar's kind under the YAML 1.2 core schema (quoted scalars are strings).
enum class ScalarKind { kNull, kBool, kInt, kFloat, kString };
ScalarKind scalar_kind(const YAML::Node& node);
/// Short name of a node's type for messages: "a mapping", "a list", "the string 'x'", "the number 3".
std::string describe(const YAML::Node& node);

/// Converts any node to JSON (mappings: duplicate keys refused; scalars typed by scalar_kind).
nlohmann::json to_json(const Source& src, const YAML::Node& node, const std::string& key);
/// A scalar as a ParamValue (null, bool, int, float or string); refuses lists and mappings.
ParamValue to_param_value(const Source& src, const YAML::Node& node, const std::string& key);

/// Typed readers; each throws ConfigError naming `key` and the expected type.
bool read_bool(const Source& src, const YAML::Node& node, const std::string& key);
int64_t read_int(const Source& src, const YAML::Node& node, const std::string& key);
double read_double(const Source& src, const YAML::Node& node, const std::string& key);
std::string read_string(const Source& src, const YAML::Node& node, const std::string& key);
/// Seconds: a number, or a string with a unit ("90s", "30m", "2h", "1d"). Must be > 0.
double read_seconds(const Source& src, const YAML::Node& node, const std::string& key);

/// A decimal number as a double (strtod syntax, the whole text); nullopt when it is not one or
/// overflows a double ("1e400"). An underflow keeps its tiny value (0 or a subnormal).
std::optional<double> parse_number(const std::string& text);
/// Seconds from "90", "1.5", "90s", "30m", "2h" or "1d" (surrounding spaces allowed); nullopt when
/// the text is not such a duration or is out of range for a number.
std::optional<double> parse_duration(const std::string& text);
/// True when `text` is written like a duration but is out of range for a number ("1e400s").
bool duration_out_of_range(const std::string& text);

/// Entries of a mapping in file order. Refuses non-mappings, duplicate keys (naming both lines),
/// non-scalar keys, and (when `allowed` is non-empty) unknown keys with a did-you-mean.
struct Entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};
std::vector<Entry> read_mapping(const Source& src, const YAML::Node& node, const std::string& what,
                                const std::vector<std::string>& allowed = {});

/// Joins "a.b" style key paths.
inline std::string join_key(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

}  // namespace autoglm::config_internal
