// Small text helpers shared by the concepts (header-only, pure, thread-safe).
#pragma once

#include <string>
#include <string_view>

namespace autoglm {

/// `s` with ASCII letters A-Z lowered; other bytes (UTF-8 included) unchanged, independent of
/// the C locale. For case-insensitive matching of names, schemes and headers.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace autoglm
