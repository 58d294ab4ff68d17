#include "executor/protocol.h"

#include "common/text.h"

#include <cctype>
#include <cmath>
#include <limits>

namespace autoglm::protocol {
namespace {

// Strings that stand for the non-finite literals between the rewrite and the parse. They start
// with U+0001, which JSON text can only contain escaped, so a program would have to write
// "\u0001autoglm:nan" on purpose to collide with them.
constexpr const char* kNanSentinel = "\x01" "autoglm:nan";
constexpr const char* kInfSentinel = "\x01" "autoglm:inf";
constexpr const char* kNegInfSentinel = "\x01" "autoglm:-inf";


bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// Replaces NaN / Infinity literals outside strings by sentinel strings.
std::string rewrite_non_finite(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (in_string) {
      out += c;
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      ++i;
      continue;
    }
    bool signed_word = (c == '-' || c == '+') && i + 1 < s.size() && is_alpha(s[i + 1]);
    if (is_alpha(c) || signed_word) {
      size_t j = i + (signed_word ? 1 : 0);
      while (j < s.size() && is_alpha(s[j])) ++j;
      std::string_view token = s.substr(i, j - i);
      std::string word = ascii_lower(signed_word ? token.substr(1) : token);
      bool negative = signed_word && c == '-';
      if (word == "nan") out += "\"\\u0001autoglm:nan\"";
      else if (word == "inf" || word == "infinity") out += negative ? "\"\\u0001autoglm:-inf\"" : "\"\\u0001autoglm:inf\"";
      else out.append(token);
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

void restore_non_finite(nlohmann::json& j) {
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == kNanSentinel) j = std::numeric_limits<double>::quiet_NaN();
    else if (s == kInfSentinel) j = std::numeric_limits<double>::infinity();
    else if (s == kNegInfSentinel) j = -std::numeric_limits<double>::infinity();
  } else if (j.is_structured()) {
    for (auto& v : j) restore_non_finite(v);
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

ParseResult problem(std::string p) { return ParseResult{std::nullopt, std::move(p)}; }

// Reads "step": a non-negative integer (an integral float such as 3.0 is accepted).
std::optional<std::string> read_step(const nlohmann::json& j, int64_t& step) {
  const auto& s = j.at("step");
  if (s.is_number_integer()) {
    if (s.is_number_unsigned() && s.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return "\"step\" is too large";
    step = s.get<int64_t>();
  } else if (s.is_number_float()) {
    double d = s.get<double>();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9e15) return "\"step\" must be an integer, got " + s.dump();
    step = static_cast<int64_t>(d);
  } else {
    return "\"step\" must be an integer, got " + s.dump();
  }
  if (step < 0) return "\"step\" must be >= 0, got " + std::to_string(step);
  return std::nullopt;
}

}  // namespace

std::optional<double> as_number(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  return std::nullopt;
}

nlohmann::json parse_relaxed_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(rewrite_non_finite(text));
  restore_non_finite(j);
  return j;
}

ParseResult parse_line(std::string_view raw) {
  std::string_view line = trim(raw);
  if (line.empty()) return {};
  nlohmann::json j;
  try {
    j = parse_relaxed_json(line);
  } catch (const nlohmann::json::exception&) {
    return problem("not JSON");
  }
  if (!j.is_object()) return problem("not a JSON object");
  Message m;
  if (j.contains("attr")) {
    if (!j["attr"].is_string() || j["attr"].get_ref<const std::string&>().empty())
      return problem("\"attr\" must be a non-empty string");
    if (!j.contains("value")) return problem("an \"attr\" line needs a \"value\"");
    m.kind = MessageKind::kAttr;
    m.key = j["attr"].get<std::string>();
    m.attr_value = j["value"];
    return {m, ""};
  }
  if (j.contains("metrics")) {
    const auto& mj = j["metrics"];
    if (!mj.is_object() || mj.empty()) return problem("\"metrics\" must be a non-empty object of name -> value");
    if (j.contains("step")) {
      int64_t step = 0;
      if (auto err = read_step(j, step)) return problem(*err);
      m.step = step;
    }
    m.kind = MessageKind::kMetrics;
    for (const auto& [k, v] : mj.items()) {
      if (k.empty()) return problem("a metric name is empty");
      m.metrics[k] = v;
    }
    return {m, ""};
  }
  if (j.contains("step")) {
    int64_t step = 0;
    if (auto err = read_step(j, step)) return problem(*err);
    if (!j.contains("value")) return problem("a \"step\" line needs a \"value\"");
    auto v = as_number(j["value"]);
    if (!v) return problem("\"value\" must be a number, got " + j["value"].dump());
    m.kind = MessageKind::kIntermediate;
    m.step = step;
    m.values = {*v};
    return {m, ""};
  }
  if (j.contains("values")) {
    const auto& a = j["values"];
    if (!a.is_array() || a.empty()) return problem("\"values\" must be a non-empty array of numbers");
    for (const auto& e : a) {
      auto v = as_number(e);
      if (!v) return problem("\"values\" must hold only numbers, got " + e.dump());
      m.values.push_back(*v);
    }
    m.kind = MessageKind::kFinal;
    return {m, ""};
  }
  if (j.contains("value")) {
    auto v = as_number(j["value"]);
    if (!v) return problem("\"value\" must be a number, got " + j["value"].dump());
    m.kind = MessageKind::kFinal;
    m.values = {*v};
    return {m, ""};
  }
  return problem("no known field (expected \"step\"+\"value\", \"value\", \"values\", \"attr\" or \"metrics\")");
}

void LineBuffer::feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line,
                      const std::function<void()>& on_too_long) {
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view chunk = nl == std::string_view::npos ? bytes : bytes.substr(0, nl);
    if (!skipping_) {
      if (pending_.size() + chunk.size() > max_line_bytes_) {
        pending_.clear();
        skipping_ = true;
        on_too_long();
      } else {
        pending_.append(chunk);
      }
    }
    if (nl == std::string_view::npos) return;
    if (!skipping_) {
      std::string line = std::move(pending_);
      pending_.clear();
      on_line(line);
    }
    skipping_ = false;
    bytes.remove_prefix(nl + 1);
  }
}

std::string LineBuffer::take_partial() {
  std::string out = std::move(pending_);
  pending_.clear();
  bool was_skipping = skipping_;
  skipping_ = false;
  return was_skipping ? std::string() : out;
}

}  // namespace autoglm::protocol
