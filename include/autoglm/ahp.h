// Analytic Hierarchy Process (AHP) weights for scoring several objectives with one number.
//
// Source: T. L. Saaty, "The Analytic Hierarchy Process", McGraw-Hill, 1980 (first published as
// "A scaling method for priorities in hierarchical structures", J. Math. Psychol. 15, 1977).
// A user compares criteria pairwise on Saaty's 1-9 scale; the weights are the principal right
// eigenvector of the comparison matrix; the consistency ratio tells whether the judgements
// contradict each other too much to be trusted.
#pragma once

#include <string>
#include <vector>

namespace autoglm {

/// Result of ahp_weights.
struct AhpResult {
  /// One weight per criterion (same order as `names`), all > 0, summing to 1.
  std::vector<double> weights;
  /// Principal (Perron) eigenvalue of the pairwise matrix; >= n, == n iff fully consistent.
  double lambda_max = 0.0;
  /// CI = (lambda_max - n) / (n - 1); 0 for n = 1, and 0 when lambda_max is within rounding
  /// (1e-12 * n) of n (a consistent matrix).
  double consistency_index = 0.0;
  /// CR = CI / RI(n) (Saaty's random index); 0 for n <= 2.
  double consistency_ratio = 0.0;
  /// The most inconsistent judgement: the pair (worst_i, worst_j), worst_i < worst_j, that
  /// maximizes worst_ratio = max(e, 1/e) with e = a_ij * w_j / w_i (how far the given judgement
  /// is from the ratio w_i / w_j the weights imply; 1 means it agrees). For n = 1 there is no
  /// pair: worst_i = worst_j = -1 and worst_ratio = 1.
  int worst_i = -1;
  int worst_j = -1;
  double worst_ratio = 1.0;
};

/// Saaty's random index RI(n): the mean CI of random reciprocal n x n matrices on the 1-9 scale
/// (Saaty 1980): n = 1, 2: 0; 3: 0.58; 4: 0.90; 5: 1.12; 6: 1.24; 7: 1.32; 8: 1.41; 9: 1.45;
/// 10: 1.49. Saaty's table stops at 10; for n > 10 this returns 1.49 (a slight
/// underestimate of the true RI, so the CR reported for n > 10 errs on the strict side).
double ahp_random_index(int n);

/// AHP weights of n = names.size() >= 1 criteria from their pairwise comparison matrix.
///
/// `pairwise[i][j]` (n x n, unitless) says how much more important criterion i is than j on
/// Saaty's scale: 1 equal, 3 moderate, 5 strong, 7 very strong, 9 extreme (2, 4, 6, 8 between;
/// the reciprocals 1/9..1 say j is more important). Requirements, each violation a one-line
/// autoglm::ConfigError naming the entry and the fix:
///  - square, n rows of n entries each, n = names.size() >= 1 (n = 1 gives weight 1);
///  - every entry positive and finite;
///  - diagonal entries equal to 1 (within 1e-9);
///  - entries within Saaty's scale [1/9, 9] (with the relative tolerance below, so 0.111 passes);
///  - reciprocity a_ji = 1 / a_ij with a relative tolerance of 1e-2, i.e.
///    |a_ij * a_ji - 1| <= 1e-2. This accepts reciprocals written as 3-significant-digit
///    decimals (0.333 for 1/3, 0.143 for 1/7, 0.111 for 1/9: errors <= 2e-3) while refusing a
///    judgement entered twice in the same direction (3 and 3) or a typo (0.5 for 1/3).
///    The matrix is used as given (not symmetrized).
///
/// Weights: the principal right (Perron) eigenvector of the matrix, computed with Eigen's
/// EigenSolver on the general matrix (the eigenvalue with the largest real part), normalized to
/// sum 1. lambda_max, CI and CR as in AhpResult. If CR > max_consistency_ratio (Saaty
/// recommends 0.1) throws ConfigError naming CR, the bound, and the most inconsistent pair with
/// its given judgement and the ratio the other judgements imply. max_consistency_ratio must be
/// finite and >= 0 (ConfigError otherwise); pass a large value to accept any matrix.
AhpResult ahp_weights(const std::vector<std::vector<double>>& pairwise,
                      const std::vector<std::string>& names, double max_consistency_ratio = 0.1);

/// Plain weights (one per name, each finite and >= 0, not all 0) scaled to sum 1.
/// ConfigError (naming the criterion) on a size mismatch, a negative or non-finite weight, or
/// all weights 0.
std::vector<double> normalize_weights(const std::vector<double>& plain,
                                      const std::vector<std::string>& names);

/// Weighted score of one trial's objective values; higher is better.
///
/// Each metric k is mapped to [0, 1]: (v_k - low_k) / (high_k - low_k) if maximize[k], else
/// (high_k - v_k) / (high_k - low_k), then clipped to [0, 1] (so values outside [low, high]
/// count as the bound). score = sum_k weights[k] * normalized_k; with weights summing to 1
/// (ahp_weights, normalize_weights) the score lies in [0, 1].
/// All vectors have the same length (one entry per metric, values in the metric's own units).
/// ConfigError on a length mismatch, a non-finite value / bound / weight, a negative weight, or
/// high_k <= low_k (naming metric k).
double weighted_score(const std::vector<double>& values, const std::vector<double>& weights,
                      const std::vector<double>& lows, const std::vector<double>& highs,
                      const std::vector<bool>& maximize);

}  // namespace autoglm
