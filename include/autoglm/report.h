// Client side of the trial protocol (docs/protocol.md), for C++ programs run as command
// trials (the built-in `autoglm train` workloads use it). Header-only, no dependencies.
//
// When the program runs under the engine, AUTOGLM_REPORT_FD names the protocol channel and
// each call writes one JSON line there; run by hand, the calls do nothing (the program prints
// its own metrics). Thread-safety: calls are serialized by the caller (one training loop).
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace autoglm::report {

/// File descriptor of the protocol channel, or -1 when not running under the engine.
inline int channel_fd() {
  const char* s = std::getenv("AUTOGLM_REPORT_FD");
  return s ? std::atoi(s) : -1;
}

inline std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  // Shortest representation that round-trips (0.1, not 0.10000000000000001).
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

/// JSON string literal for `s` (quotes, backslashes and control characters escaped).
inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c < 0x20) { char b[8]; std::snprintf(b, sizeof b, "\\u%04x", c); out += b; }
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

inline void write_line(const std::string& line) {
  int fd = channel_fd();
  if (fd < 0) return;
  std::string s = line + "\n";
  const char* p = s.data();
  size_t left = s.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) return;  // engine gone: nothing to report to
    p += n;
    left -= static_cast<size_t>(n);
  }
}

/// Intermediate value at `step` (e.g. validation bits per byte after `step` training steps).
inline void intermediate(long long step, double value) {
  write_line("{\"step\": " + std::to_string(step) + ", \"value\": " + format_number(value) + "}");
}
/// Final objective value.
inline void final_value(double value) { write_line("{\"value\": " + format_number(value) + "}"); }
/// A user attribute with a numeric value (stored with the trial).
inline void attr(const std::string& key, double value) {
  write_line("{\"attr\": " + quote(key) + ", \"value\": " + format_number(value) + "}");
}

}  // namespace autoglm::report
