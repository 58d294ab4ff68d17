// Weighted scoring of several metrics (issue: "AHP-weighted scoring"): a study that optimizes
// one number, score = sum_k w_k * normalized_k, while every raw metric is kept with the trial so
// it can be re-weighted later (`autoglm best --weights ...`).
//
// Weights come from an AHP pairwise comparison matrix (include/autoglm/ahp.h; Saaty 1980) or
// are given plainly; both are scaled to sum 1. Normalization of metric k to [0, 1]:
//   - with declared bounds [low_k, high_k]: (v - low) / (high - low) when maximized, (high - v) /
//     (high - low) when minimized, clipped to [0, 1];
//   - without bounds: the same with low_k / high_k = the min / max of the metric over the
//     trials observed so far (the COMPLETE trials with every metric, plus the trial being
//     scored). A metric that has not varied yet (min == max) contributes 0.
// So the score lies in [0, 1], higher is better. A stored score whose metrics have no bounds is
// relative to the history when its trial finished; scoring_ranges() over the whole study gives
// the consistent ranking that `autoglm best` prints.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/ahp.h"
#include "autoglm/frozen_trial.h"

namespace autoglm {

/// One metric of the score: a name reported by the trial ({"metrics": {NAME: V}}, stored as
/// the user attr NAME), its direction, and optional declared bounds (both or neither).
struct ScoringMetric {
  std::string name;
  StudyDirection direction = StudyDirection::MAXIMIZE;
  std::optional<double> low;
  std::optional<double> high;
};

struct ScoringConfig {
  std::vector<ScoringMetric> metrics;
  /// One weight per metric, >= 0, summing to 1.
  std::vector<double> weights;
  /// Set when the weights come from a pairwise matrix (its CR, lambda_max, ...).
  std::optional<AhpResult> ahp;

  /// JSON form stored with the study (study user attr "scoring"): {"metrics": [{"name",
  /// "direction", "low"?, "high"?}], "weights": [...], "consistency_ratio"?}.
  nlohmann::json to_json() const;
  /// Inverse of to_json. Throws ConfigError when `j` is not such an object.
  static ScoringConfig from_json(const nlohmann::json& j);
};

/// The raw metric values of `trial` (user attrs named like the metrics), in metric order;
/// nullopt when one is missing or not a finite number.
std::optional<std::vector<double>> scoring_metrics_of(const ScoringConfig& scoring, const FrozenTrial& trial);

/// Normalization range [low_k, high_k] of each metric: the declared bounds, else the min / max
/// over `observed` (rows of raw metric values in metric order; rows of the wrong size are
/// ignored). A metric without bounds and without observations gets [0, 0].
std::vector<std::pair<double, double>> scoring_ranges(const ScoringConfig& scoring,
                                                      const std::vector<std::vector<double>>& observed);

/// The score in [0, 1] of raw metric values (in metric order) under `ranges` (see the header
/// comment; a zero-width range contributes 0). Throws ConfigError on a size mismatch, Error on a
/// non-finite value (a trial that reported one fails; the study goes on).
double score_of(const ScoringConfig& scoring, const std::vector<double>& raw,
                const std::vector<std::pair<double, double>>& ranges);

/// `autoglm best --weights` syntax: "f1=3,latency_ms=1" (names of `scoring`'s metrics; the
/// others get weight 0) or "3,1,..." (one weight per metric, in order). Returns `scoring` with
/// the new weights scaled to sum 1 (ahp cleared). Throws ConfigError naming the problem (unknown
/// name with did-you-mean, wrong count, negative / non-finite / all-zero weights).
ScoringConfig reweighted(const ScoringConfig& scoring, const std::string& weights_text);

}  // namespace autoglm
