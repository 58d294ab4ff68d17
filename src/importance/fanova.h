// fANOVA over a regression forest (private to src/importance/).
//
// Hutter, Hoos, Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter Importance",
// ICML 2014. A regression tree is a piecewise-constant function over the bounded box
// Theta = prod_d [low_d, high_d]; its leaves partition Theta into boxes. For a group S of input
// columns the marginal a_S(x_S) = (1/|Theta_~S|) * integral f(x_S, x_~S) dx_~S (Eq. 3) is
// piecewise constant on the grid that the tree's split thresholds draw on the columns of S, and
//   a_S(cell) = sum over leaves l whose box covers the cell of  v_l * prod_{d not in S} frac_ld,
// frac_ld = (width of l's box along d) / (high_d - low_d). Its variance over the uniform measure
// of Theta_S is V_S (Eq. 6); V = Var(f) over Theta is the total (Eq. 5); the importance of S is
// V_S / V and the pure pairwise component of (S_i, S_j) is V_{S_i u S_j} - V_{S_i} - V_{S_j}
// (Eq. 4, 7). Both are averaged over the trees with V > 0 (Sec. 3.2).
//
// Computation (exact, no sampling): per group, leaves with an identical box along S are merged,
// then either the grid is filled by an N-dimensional difference array (2^|S| corner updates per
// box; or a direct fill when the box holds fewer cells) and reduced in one pass, or, when the
// grid would be larger than the merged boxes squared, Var = sum_{u,u'} F_u F_u' |B_u n B_u'| -
// (sum_u F_u |B_u|)^2 over pairs of merged boxes. Cost per tree and group: O(leaves x columns +
// cells).
#pragma once

#include <vector>

#include "importance/random_forest.h"

namespace autoglm::importance {

struct FanovaInput {
  std::vector<double> X;  ///< Row-major, shape (n_rows, n_columns).
  std::vector<double> y;  ///< Shape (n_rows).
  std::vector<double> low, high;  ///< Shape (n_columns): the box Theta (high > low).
  std::vector<std::vector<int>> groups;  ///< Columns of each parameter (one-hot: several).
};

struct FanovaOutput {
  /// Shape (n_groups): V_S / V averaged over trees with V > 0 (not normalised).
  std::vector<double> main;
  /// Shape (n_groups, n_groups) when pairs were asked: off-diagonal the pure pair fraction
  /// max(0, V_ij - V_i - V_j) / V averaged over the trees; diagonal = main. Empty otherwise.
  std::vector<std::vector<double>> pairs;
  int n_trees_with_variance = 0;
};

// ---- one tree (exposed for tests) ----

/// A tree as leaf boxes on the grid its thresholds draw on each column.
struct TreeBoxes {
  int C = 0;                                   ///< Columns.
  std::vector<std::vector<double>> cell_frac;  ///< Per column: cell widths / (high - low).
  std::vector<std::vector<double>> cum_frac;   ///< Per column: prefix sums of cell_frac (cells + 1).
  int L = 0;                                   ///< Leaves.
  std::vector<double> value;                   ///< Shape (L): leaf value minus the tree's mean over Theta.
  std::vector<int> lo, hi;                     ///< Shape (L, C): cell range [lo, hi) of each leaf.
  std::vector<double> frac;                    ///< Shape (L, C): box width / (high - low).
  double variance = 0.0;                       ///< V = Var(f) over Theta.
};
/// Thresholds outside [low, high] are clamped to it.
TreeBoxes to_boxes(const RegressionTree& tree, const std::vector<double>& low, const std::vector<double>& high);

/// kGrid: difference array over the grid; kOverlap: pairwise box overlaps; kAuto: the cheaper.
enum class MarginalMethod { kAuto, kGrid, kOverlap };
/// V_S of one tree; `in_S` has shape (C) (non-zero: column in S). V_S <= V; V_{all} = V.
double group_variance(const TreeBoxes& tree, const std::vector<char>& in_S,
                      MarginalMethod method = MarginalMethod::kAuto);

/// Fits the forest on `input` and decomposes every tree. Threads over trees as the forest does.
FanovaOutput fanova(const FanovaInput& input, const ForestOptions& forest, bool pairs);

}  // namespace autoglm::importance
