#include "common/options.h"

#include <algorithm>

namespace autoglm {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string did_you_mean(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = edit_distance(key, c);
    // A prefix / substring match counts as close too ("n_startup" -> "n_startup_trials").
    if (!key.empty() && (c.rfind(key, 0) == 0 || key.rfind(c, 0) == 0)) d = std::min<size_t>(d, 1);
    if (d < best_d) { best_d = d; best = c; }
  }
  if (!best.empty() && best_d <= std::max<size_t>(2, key.size() / 3)) return "; did you mean '" + best + "'?";
  std::string all;
  for (const auto& c : candidates) all += (all.empty() ? "" : ", ") + c;
  return all.empty() ? "" : "; valid: " + all;
}

OptionReader::OptionReader(const nlohmann::json& spec, std::string what, std::set<std::string> ignored)
    : spec_(spec.is_null() ? nlohmann::json::object() : spec), what_(std::move(what)), ignored_(std::move(ignored)) {
  if (!spec_.is_object()) throw ConfigError(what_ + ": options must be a mapping of key: value, got " + spec_.dump());
}

void OptionReader::finish() const {
  for (const auto& [k, v] : spec_.items()) {
    if (ignored_.count(k)) continue;
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    throw ConfigError(what_ + ": unknown option '" + k + "'" + did_you_mean(k, known_));
  }
}

void OptionReader::fail(const std::string& key, const std::string& problem) const {
  throw ConfigError(what_ + ": option '" + key + "' " + problem);
}

}  // namespace autoglm
