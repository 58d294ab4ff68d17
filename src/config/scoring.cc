#include "autoglm/scoring.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "autoglm/error.h"
#include "common/options.h"

namespace autoglm {

nlohmann::json ScoringConfig::to_json() const {
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : metrics) {
    nlohmann::json j = {{"name", m.name}, {"direction", to_string(m.direction)}};
    if (m.low) j["low"] = *m.low;
    if (m.high) j["high"] = *m.high;
    ms.push_back(j);
  }
  nlohmann::json out = {{"metrics", ms}, {"weights", weights}};
  if (ahp) out["consistency_ratio"] = ahp->consistency_ratio;
  return out;
}

ScoringConfig ScoringConfig::from_json(const nlohmann::json& j) {
  auto bad = [&] {
    return ConfigError("stored scoring spec is malformed: " + j.dump() +
                       "; it is written by `autoglm tune` from the config's `scoring` block");
  };
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_array() || !j.contains("weights") ||
      !j["weights"].is_array() || j["metrics"].size() != j["weights"].size())
    throw bad();
  ScoringConfig s;
  for (const auto& m : j["metrics"]) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("direction") ||
        !m["direction"].is_string())
      throw bad();
    ScoringMetric sm;
    sm.name = m["name"].get<std::string>();
    sm.direction = study_direction_from_string(m["direction"].get<std::string>());
    if (m.contains("low") && m["low"].is_number()) sm.low = m["low"].get<double>();
    if (m.contains("high") && m["high"].is_number()) sm.high = m["high"].get<double>();
    s.metrics.push_back(sm);
  }
  for (const auto& w : j["weights"]) {
    if (!w.is_number()) throw bad();
    s.weights.push_back(w.get<double>());
  }
  return s;
}

std::optional<std::vector<double>> scoring_metrics_of(const ScoringConfig& scoring, const FrozenTrial& trial) {
  std::vector<double> raw;
  for (const auto& m : scoring.metrics) {
    auto it = trial.user_attrs.find(m.name);
    if (it == trial.user_attrs.end() || !it->second.is_number()) return std::nullopt;
    const double v = it->second.get<double>();
    if (!std::isfinite(v)) return std::nullopt;
    raw.push_back(v);
  }
  return raw;
}

std::vector<std::pair<double, double>> scoring_ranges(const ScoringConfig& scoring,
                                                      const std::vector<std::vector<double>>& observed) {
  std::vector<std::pair<double, double>> ranges;
  for (size_t k = 0; k < scoring.metrics.size(); ++k) {
    const auto& m = scoring.metrics[k];
    if (m.low && m.high) {
      ranges.emplace_back(*m.low, *m.high);
      continue;
    }
    bool any = false;
    double lo = 0.0, hi = 0.0;
    for (const auto& row : observed) {
      if (row.size() != scoring.metrics.size() || !std::isfinite(row[k])) continue;
      lo = any ? std::min(lo, row[k]) : row[k];
      hi = any ? std::max(hi, row[k]) : row[k];
      any = true;
    }
    ranges.emplace_back(lo, hi);
  }
  return ranges;
}

double score_of(const ScoringConfig& scoring, const std::vector<double>& raw,
                const std::vector<std::pair<double, double>>& ranges) {
  const size_t n = scoring.metrics.size();
  if (raw.size() != n || ranges.size() != n || scoring.weights.size() != n)
    throw ConfigError("score: expected " + std::to_string(n) + " metric values, got " + std::to_string(raw.size()));
  double score = 0.0;
  for (size_t k = 0; k < n; ++k) {
    if (!std::isfinite(raw[k]))
      throw Error("score: metric '" + scoring.metrics[k].name + "' is not a finite number (" + std::to_string(raw[k]) +
                  "); the trial fails");
    const auto [lo, hi] = ranges[k];
    if (!(hi > lo)) continue;  // not varied yet: contributes 0
    double x = (raw[k] - lo) / (hi - lo);
    if (scoring.metrics[k].direction == StudyDirection::MINIMIZE) x = 1.0 - x;
    score += scoring.weights[k] * std::clamp(x, 0.0, 1.0);
  }
  return score;
}

ScoringConfig reweighted(const ScoringConfig& scoring, const std::string& weights_text) {
  std::vector<std::string> names;
  for (const auto& m : scoring.metrics) names.push_back(m.name);
  std::vector<std::string> items;
  {
    std::stringstream ss(weights_text);
    std::string item;
    while (std::getline(ss, item, ',')) items.push_back(item);
    if (!weights_text.empty() && weights_text.back() == ',') items.push_back("");
  }
  for (const auto& item : items)
    if (item.empty()) throw ConfigError("--weights: an empty item in '" + weights_text + "'; write NAME=W,... or W1,W2,...");
  auto number = [&](const std::string& text, const std::string& what) {
    try {
      size_t used = 0;
      double v = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
      return v;
    } catch (const std::exception&) {
      throw ConfigError("--weights: " + what + ": '" + text + "' is not a number; write NAME=W,... or W1,W2,...");
    }
  };
  std::vector<double> plain(names.size(), 0.0);
  const bool named = weights_text.find('=') != std::string::npos;
  if (named) {
    std::vector<bool> seen(names.size(), false);
    for (const auto& item : items) {
      const auto eq = item.find('=');
      if (eq == std::string::npos)
        throw ConfigError("--weights: '" + item + "' has no '='; write NAME=W for every metric (e.g. " + names.front() +
                          "=2)");
      const std::string name = item.substr(0, eq);
      const auto it = std::find(names.begin(), names.end(), name);
      if (it == names.end()) {
        std::string known;
        for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
        const std::string hint = did_you_mean(name, names);
        throw ConfigError("--weights: unknown metric '" + name + "'" +
                          (hint.rfind("; did you mean", 0) == 0 ? hint + " (metrics: " + known + ")" : "; the metrics are " + known));
      }
      const size_t k = static_cast<size_t>(it - names.begin());
      if (seen[k]) throw ConfigError("--weights: metric '" + name + "' is given twice");
      seen[k] = true;
      plain[k] = number(item.substr(eq + 1), name);
    }
  } else {
    if (items.size() != names.size())
      throw ConfigError("--weights: " + std::to_string(items.size()) + " weight(s) given for " +
                        std::to_string(names.size()) + " metrics; give one per metric in order or NAME=W pairs");
    for (size_t k = 0; k < items.size(); ++k) plain[k] = number(items[k], names[k]);
  }
  ScoringConfig out = scoring;
  try {
    out.weights = normalize_weights(plain, names);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("--weights: ") + e.what());
  }
  out.ahp.reset();
  return out;
}

}  // namespace autoglm
