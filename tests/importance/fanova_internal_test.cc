// The fANOVA kernels of src/importance/ (private headers): exact decompositions of hand-built
// trees, agreement of the two marginal methods, and completeness of the decomposition on fitted
// trees (V_{all columns} = V; in 2-D, V_x + V_y + pure pair = V).
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "importance/fanova.h"
#include "importance/random_forest.h"

namespace autoglm::importance {
namespace {

// f = 1[x > 0.5 and y > 0.5] on [0, 1]^2.
RegressionTree corner_tree() {
  RegressionTree t;
  t.nodes.resize(5);
  t.nodes[0] = {0, 0.5, 1, 2, 0.25};
  t.nodes[1] = {-1, 0.0, -1, -1, 0.0};
  t.nodes[2] = {1, 0.5, 3, 4, 0.5};
  t.nodes[3] = {-1, 0.0, -1, -1, 0.0};
  t.nodes[4] = {-1, 0.0, -1, -1, 1.0};
  return t;
}

TEST(FanovaKernelTest, HandBuiltTreeIsExact) {
  const TreeBoxes T = to_boxes(corner_tree(), {0.0, 0.0}, {1.0, 1.0});
  ASSERT_EQ(T.L, 3);
  EXPECT_DOUBLE_EQ(T.variance, 0.25 - 0.0625);  // p(1-p), p = 1/4
  for (auto m : {MarginalMethod::kGrid, MarginalMethod::kOverlap}) {
    EXPECT_NEAR(group_variance(T, {1, 0}, m), 0.0625, 1e-15);  // a_x = 0 | 0.5
    EXPECT_NEAR(group_variance(T, {0, 1}, m), 0.0625, 1e-15);
    EXPECT_NEAR(group_variance(T, {1, 1}, m), 0.1875, 1e-15);  // the whole function
  }
}

TEST(FanovaKernelTest, BoundsScaleTheVolumes) {
  // Same tree on x in [0, 2]: the split at 0.5 leaves 1/4 of the x-range on the left.
  const TreeBoxes T = to_boxes(corner_tree(), {0.0, 0.0}, {2.0, 1.0});
  // p = P(x > 0.5) P(y > 0.5) = 3/4 * 1/2 = 3/8.
  EXPECT_NEAR(T.variance, 3.0 / 8 * 5.0 / 8, 1e-15);
  // a_x = 0 w.p. 1/4, 0.5 w.p. 3/4: variance 0.25 * 3/16.
  EXPECT_NEAR(group_variance(T, {1, 0}), 0.25 * 3.0 / 16, 1e-15);
}

TEST(FanovaKernelTest, FittedTreesDecomposeCompletely) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = 300;
  // Columns: x, y, and a one-hot pair (c0, c1) of a 2-choice categorical.
  std::vector<double> X, y;
  for (int k = 0; k < n; ++k) {
    const double a = u(rng), b = u(rng);
    const int c = u(rng) < 0.5;
    X.insert(X.end(), {a, b, c == 0 ? 1.0 : 0.0, c == 1 ? 1.0 : 0.0});
    y.push_back(std::sin(6 * a) * b + c * a + 0.1 * u(rng));
  }
  ForestOptions opt;
  opt.n_trees = 8;
  opt.seed = 5;
  const auto trees = fit_forest(X, y, 4, opt);
  ASSERT_EQ(trees.size(), 8u);
  // The forest fits its training data (full-depth trees on bootstrap samples).
  double sse = 0.0, sst = 0.0, mean = 0.0;
  for (double v : y) mean += v / n;
  for (int k = 0; k < n; ++k) {
    double p = 0.0;
    for (const auto& t : trees) p += t.predict(&X[4 * k]) / trees.size();
    sse += (p - y[k]) * (p - y[k]);
    sst += (y[k] - mean) * (y[k] - mean);
  }
  EXPECT_LT(sse / sst, 0.1);

  const std::vector<double> low{0, 0, 0, 0}, high{1, 1, 1, 1};
  for (const auto& tree : trees) {
    const TreeBoxes T = to_boxes(tree, low, high);
    ASSERT_GT(T.variance, 0.0);
    const double tol = 1e-9 * T.variance;
    EXPECT_NEAR(group_variance(T, {1, 1, 1, 1}), T.variance, tol);
    EXPECT_NEAR(group_variance(T, {1, 1, 1, 1}, MarginalMethod::kOverlap), T.variance, tol);
    for (const std::vector<char>& S : {std::vector<char>{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 1}, {1, 1, 0, 0}, {1, 0, 1, 1}}) {
      const double g = group_variance(T, S, MarginalMethod::kGrid);
      EXPECT_NEAR(g, group_variance(T, S, MarginalMethod::kOverlap), tol);
      EXPECT_LE(g, T.variance + tol);
      EXPECT_GE(g, 0.0);
    }
    // Fixing the one-hot pair at (0, 0) / (1, 1) is off the data; still a valid box measure.
    const double vx = group_variance(T, {1, 0, 0, 0}), vc = group_variance(T, {0, 0, 1, 1});
    EXPECT_LE(vx + vc, T.variance + tol);
  }
}

TEST(FanovaKernelTest, ForestIsDeterministicPerSeedAndThreadCount) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> X, y;
  for (int k = 0; k < 100; ++k) {
    X.push_back(u(rng)), X.push_back(u(rng));
    y.push_back(X[2 * k] + X[2 * k + 1] * X[2 * k + 1]);
  }
  ForestOptions a;
  a.n_trees = 6;
  a.n_threads = 1;
  ForestOptions b = a;
  b.n_threads = 3;
  const auto ta = fit_forest(X, y, 2, a), tb = fit_forest(X, y, 2, b);
  for (int t = 0; t < 6; ++t) {
    ASSERT_EQ(ta[t].nodes.size(), tb[t].nodes.size());
    for (size_t k = 0; k < ta[t].nodes.size(); ++k) {
      EXPECT_EQ(ta[t].nodes[k].threshold, tb[t].nodes[k].threshold);
      EXPECT_EQ(ta[t].nodes[k].value, tb[t].nodes[k].value);
    }
  }
}

}  // namespace
}  // namespace autoglm::importance
