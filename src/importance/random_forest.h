// Random-forest regressor for fANOVA (private to src/importance/).
//
// CART regression trees (Breiman et al. 1984, "Classification and Regression Trees", ch. 8):
// each node is split on the feature and threshold that most reduce the weighted sum of squared
// errors (variance reduction); thresholds are midpoints between consecutive distinct values.
// Bagging (Breiman 2001, "Random Forests"): each tree is fitted on a bootstrap sample of the n
// rows (n draws with replacement, kept as integer row weights), and every feature is considered
// at each split (scikit-learn's RandomForestRegressor with max_features=1.0, the forest Optuna
// 3.1's fANOVA uses), in an order shuffled per node so that exact ties between features are
// broken at random as scikit-learn does.
//
// Fitting uses per-feature presorted row orders partitioned stably at each split, so one tree
// costs O(depth x rows x features) after a single O(features x rows log rows) sort.
// Deterministic for a fixed seed, independent of the number of threads: tree t draws from its
// own std::mt19937_64 seeded from (seed, t). Pure; safe to call concurrently.
#pragma once

#include <cstdint>
#include <vector>

namespace autoglm::importance {

struct ForestOptions {
  int n_trees = 64;
  int max_depth = 64;
  int min_samples_split = 2;  ///< Distinct rows a node needs to be split.
  int min_samples_leaf = 1;   ///< Distinct rows each child keeps at least.
  uint64_t seed = 0;
  /// Worker threads over trees; 0: std::thread::hardware_concurrency(). Results do not depend
  /// on it.
  int n_threads = 0;
};

struct TreeNode {
  int feature = -1;        ///< Split feature; -1 for a leaf.
  double threshold = 0.0;  ///< Rows with x[feature] <= threshold go left.
  int left = -1;
  int right = -1;
  double value = 0.0;  ///< Weighted mean of the node's targets (the prediction at a leaf).
};

/// nodes[0] is the root.
struct RegressionTree {
  std::vector<TreeNode> nodes;
  double predict(const double* x) const;
};

/// Fits options.n_trees trees on X (row-major, shape (n_rows, n_features)) and y (shape
/// (n_rows)). Requires n_rows >= 1, n_features >= 1 and finite inputs (asserted).
std::vector<RegressionTree> fit_forest(const std::vector<double>& X, const std::vector<double>& y,
                                       int n_features, const ForestOptions& options);

}  // namespace autoglm::importance
