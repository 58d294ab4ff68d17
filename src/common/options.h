// OptionReader: reads an options object (JSON, converted from YAML or a config string) into a
// plain options struct, refusing unknown keys with a did-you-mean suggestion.
//
//   OptionReader r(spec, "sampler 'tpe'");
//   opts.seed = r.get<uint64_t>("seed", opts.seed);
//   r.finish();   // throws ConfigError: "sampler 'tpe': unknown option 'n_startup'; did you mean 'n_startup_trials'?"
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/error.h"

namespace autoglm {

/// Levenshtein distance (for did-you-mean suggestions).
size_t edit_distance(const std::string& a, const std::string& b);
/// "; did you mean 'x'?" for the closest candidate within a small distance, else "; valid: a, b, c".
std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates);

class OptionReader {
 public:
  /// `spec` must be an object (or null, treated as empty). `what` prefixes error messages.
  /// Keys in `ignored` (e.g. "name") are accepted without being read.
  OptionReader(const nlohmann::json& spec, std::string what, std::set<std::string> ignored = {"name"});

  template <typename T>
  T get(const std::string& key, const T& fallback) {
    known_.push_back(key);
    if (!spec_.contains(key) || spec_.at(key).is_null()) return fallback;
    return convert<T>(key, spec_.at(key));
  }
  template <typename T>
  std::optional<T> get_optional(const std::string& key) {
    known_.push_back(key);
    if (!spec_.contains(key) || spec_.at(key).is_null()) return std::nullopt;
    return convert<T>(key, spec_.at(key));
  }
  bool has(const std::string& key) const { return spec_.contains(key) && !spec_.at(key).is_null(); }
  const nlohmann::json& raw(const std::string& key) {
    known_.push_back(key);
    return spec_.at(key);
  }
  /// Throws ConfigError for the first key that no get() asked for.
  void finish() const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

 private:
  template <typename T>
  T convert(const std::string& key, const nlohmann::json& v) const {
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) fail(key, "must be true or false, got " + v.dump());
      } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) fail(key, "must be an integer, got " + v.dump());
        if constexpr (std::is_unsigned_v<T>) {
          if (v.is_number_integer() && !v.is_number_unsigned() && v.get<long long>() < 0)
            fail(key, "must be >= 0, got " + v.dump());
        }
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number()) fail(key, "must be a number, got " + v.dump());
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) fail(key, "must be a string, got " + v.dump());
      }
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      fail(key, "has the wrong type: " + v.dump());
    }
  }
  nlohmann::json spec_;
  std::string what_;
  std::set<std::string> ignored_;
  std::vector<std::string> known_;
};

}  // namespace autoglm
