// Engine side of the trial protocol (docs/protocol.md): parsing the JSON lines a command trial
// writes to its report channel. Pure functions and a small line buffer; no I/O, no locking
// (each run owns its LineBuffer).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoglm::protocol {

enum class MessageKind {
  kIntermediate,  ///< {"step": N, "value": V}
  kFinal,         ///< {"value": V} or {"values": [V1, V2, ...]}
  kAttr,          ///< {"attr": "key", "value": J}
  kMetrics,       ///< {"metrics": {"name": V, ...}} with an optional "step"
};

struct Message {
  MessageKind kind = MessageKind::kFinal;
  std::optional<int64_t> step;                     ///< kIntermediate (always), kMetrics (optional).
  std::vector<double> values;                      ///< kIntermediate: one; kFinal: one or more.
  std::string key;                                 ///< kAttr.
  nlohmann::json attr_value;                       ///< kAttr: any JSON (NaN / Infinity as doubles).
  std::map<std::string, nlohmann::json> metrics;   ///< kMetrics: name -> value (any JSON).
};

struct ParseResult {
  /// The message; nullopt for a blank line (problem empty) or a malformed one (problem set).
  std::optional<Message> message;
  /// Why the line was refused, e.g. "not JSON" or "\"value\" must be a number"; empty if fine.
  std::string problem;
};

/// Parses one line (without its '\n'; a trailing '\r' and surrounding blanks are ignored).
/// Extra, unknown keys are ignored (reserved for future use, e.g. "time").
ParseResult parse_line(std::string_view line);

/// nlohmann::json::parse plus the non-standard literals NaN, Infinity, -Infinity (and their
/// lower-case / "inf" / "nan" spellings, as printf writes them) outside strings, which become
/// doubles. Throws nlohmann::json::parse_error on invalid text.
nlohmann::json parse_relaxed_json(std::string_view text);

/// The double in `j` when it is a number (NaN and infinities included), else nullopt.
std::optional<double> as_number(const nlohmann::json& j);

/// Splits a byte stream into lines. Lines longer than `max_line_bytes` are reported once as
/// too long and skipped up to their newline.
class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line_bytes = 1 << 20) : max_line_bytes_(max_line_bytes) {}
  /// Feeds bytes; calls on_line(line) for each complete line, on_too_long() for each overlong one.
  void feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line,
            const std::function<void()>& on_too_long);
  /// The bytes of an unfinished last line (empty when the stream ended with '\n'); clears them.
  std::string take_partial();

 private:
  size_t max_line_bytes_;
  std::string pending_;
  bool skipping_ = false;  ///< Inside an overlong line, dropping bytes up to the next '\n'.
};

}  // namespace autoglm::protocol
