// Placeholder substitution ("{name}") and the text form of parameter values.
#include <charconv>
#include <cmath>
#include <cstdint>

#include "autoglm/error.h"
#include "autoglm/executor.h"

namespace autoglm {
namespace {

// Calls on_literal(text) and on_name(name) for the pieces of `text`, in order.
template <typename OnLiteral, typename OnName>
void scan_placeholders(const std::string& text, OnLiteral&& on_literal, OnName&& on_name) {
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) {
      on_literal(std::string_view(text).substr(i));
      return;
    }
    on_literal(std::string_view(text).substr(i, open - i));
    if (open + 1 < text.size() && text[open + 1] == '{') {  // "{{" -> "{"
      on_literal("{");
      i = open + 2;
      continue;
    }
    size_t close = text.find_first_of("{}", open + 1);
    if (close == std::string::npos || text[close] == '{')
      throw ConfigError("unterminated placeholder at position " + std::to_string(open) + " in '" + text +
                        "'; write '{{' for a literal '{'");
    if (close == open + 1)
      throw ConfigError("empty placeholder '{}' in '" + text + "'; write '{name}' with a parameter name, or '{{}' for a literal '{}'");
    on_name(text.substr(open + 1, close - open - 1));
    i = close + 1;
  }
}

}  // namespace

std::string substitute_placeholders(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  out.reserve(text.size());
  scan_placeholders(
      text, [&](std::string_view lit) { out.append(lit); },
      [&](const std::string& name) {
        auto it = values.find(name);
        if (it == values.end()) {
          std::string known;
          for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
          throw ConfigError("unknown placeholder '{" + name + "}' in '" + text + "'; known: " +
                            (known.empty() ? "(none)" : known) + " (write '{{' for a literal '{')");
        }
        out += it->second;
      });
  return out;
}

std::vector<std::string> placeholder_names(const std::string& text) {
  std::vector<std::string> names;
  scan_placeholders(text, [](std::string_view) {}, [&](const std::string& name) { names.push_back(name); });
  return names;
}

std::string format_placeholder_value(const ParamValue& value) {
  struct Visitor {
    std::string operator()(std::monostate) const { return "null"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(double d) const {
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
      std::string s(buf, res.ptr);
      if (s.find_first_of(".e") == std::string::npos) s += ".0";
      return s;
    }
  };
  return std::visit(Visitor{}, value);
}

}  // namespace autoglm
