// Tests of dominance and non-dominated sorting (include/autoglm/pareto.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pareto.h"
#include "multi_objective/points_test_util.h"

namespace autoglm {
namespace {

using Points = std::vector<std::vector<double>>;

// Reference: peel the non-dominated set off again and again, O(n^2 m) per front.
std::vector<int> brute_force_ranks(const Points& points) {
  const std::size_t n = points.size();
  std::vector<int> ranks(n, -1);
  std::size_t assigned = 0;
  for (int rank = 0; assigned < n; ++rank) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < n; ++i) {
      if (ranks[i] != -1) continue;
      bool dominated = false;
      for (std::size_t j = 0; j < n && !dominated; ++j) {
        if (ranks[j] == -1 && j != i) dominated = dominates(points[j], points[i]);
      }
      if (!dominated) front.push_back(i);
    }
    for (const std::size_t i : front) ranks[i] = rank;
    assigned += front.size();
  }
  return ranks;
}

using test::random_integer_points;

TEST(Dominates, Basics) {
  EXPECT_TRUE(dominates({1, 2}, {2, 2}));
  EXPECT_TRUE(dominates({1, 1, 1}, {1, 1, 2}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2}));  // equal
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));  // incomparable
  EXPECT_FALSE(dominates({2, 2}, {1, 2}));
  EXPECT_TRUE(dominates({-std::numeric_limits<double>::infinity()}, {0.0}));
  EXPECT_THROW(dominates({1, 2}, {1, 2, 3}), ConfigError);
}

TEST(NonDominatedRanks, HandExample2D) {
  const Points points = {{1, 3}, {2, 2}, {3, 1}, {2, 3}, {3, 3}, {2, 2}, {1, 4}, {4, 4}, {0, 5}};
  // Front 0: (1,3) (2,2) (3,1) (2,2) (0,5). (1,4) dominated by (1,3); (2,3) by (2,2);
  // (3,3) by (2,3) -> rank 2; (4,4) by (3,3) -> rank 3.
  EXPECT_THAT(non_dominated_ranks(points), ::testing::ElementsAre(0, 0, 0, 1, 2, 0, 1, 3, 0));
  EXPECT_THAT(pareto_front_indices(points), ::testing::ElementsAre(0, 1, 2, 5, 8));
}

TEST(NonDominatedRanks, HandExample3D) {
  const Points points = {{1, 1, 1}, {1, 1, 1}, {2, 2, 2}, {0, 3, 3}, {3, 3, 0}, {3, 3, 3}};
  EXPECT_THAT(non_dominated_ranks(points), ::testing::ElementsAre(0, 0, 1, 0, 0, 2));
}

TEST(NonDominatedRanks, EmptyAndSingle) {
  EXPECT_TRUE(non_dominated_ranks({}).empty());
  EXPECT_THAT(non_dominated_ranks({{1.0, 2.0}}), ::testing::ElementsAre(0));
  EXPECT_THAT(non_dominated_ranks({{3.0}, {1.0}, {1.0}, {2.0}}),
              ::testing::ElementsAre(2, 0, 0, 1));
}

TEST(NonDominatedRanks, MatchesBruteForceWithTies) {
  for (const std::size_t m : {1u, 2u, 3u, 4u}) {
    for (unsigned seed = 0; seed < 20; ++seed) {
      // Few distinct values: many ties in single objectives and many duplicates.
      const int max_value = static_cast<int>(seed % 3) * 3 + 3;
      const Points points = random_integer_points(150 + seed, m, max_value, seed * 31 + m);
      ASSERT_EQ(non_dominated_ranks(points), brute_force_ranks(points))
          << "m=" << m << " seed=" << seed;
    }
  }
}

TEST(NonDominatedRanks, MatchesBruteForceContinuous) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist;
  for (const std::size_t m : {2u, 3u, 5u}) {
    Points points(300, std::vector<double>(m));
    for (auto& p : points) {
      for (auto& v : p) v = dist(rng);
    }
    EXPECT_EQ(non_dominated_ranks(points), brute_force_ranks(points)) << "m=" << m;
  }
}

TEST(NonDominatedRanks, RejectsBadInput) {
  EXPECT_THROW(non_dominated_ranks({{1, 2}, {1, 2, 3}}), ConfigError);
  EXPECT_THROW(non_dominated_ranks({{1, std::nan("")}}), ConfigError);
  EXPECT_THROW(pareto_front_indices({{1}, {}}), ConfigError);
}

TEST(NonDominatedRanks, Timing10000Points2D) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  Points points(10000, std::vector<double>(2));
  for (auto& p : points) {
    p[0] = dist(rng);
    p[1] = dist(rng);
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<int> ranks = non_dominated_ranks(points);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("non_dominated_ranks: 10,000 points, 2 objectives: %.3f ms (target < 50 ms)\n", ms);
  ASSERT_EQ(ranks.size(), points.size());
  // Spot check against the definition: no point is dominated by a point of its own or a higher
  // rank, and every point of rank r > 0 is dominated by some point of rank r - 1.
  for (std::size_t i = 0; i < points.size(); i += 97) {
    bool has_parent = ranks[i] == 0;
    for (std::size_t j = 0; j < points.size(); ++j) {
      if (dominates(points[j], points[i])) {
        EXPECT_LT(ranks[j], ranks[i]);
        if (ranks[j] == ranks[i] - 1) has_parent = true;
      }
    }
    EXPECT_TRUE(has_parent) << i;
  }
}

TEST(DefaultReferencePoint, NadirPlusMargin) {
  const std::vector<double> ref = default_reference_point({{0, 5, 2}, {10, 1, 2}, {4, 3, 2}});
  ASSERT_EQ(ref.size(), 3u);
  EXPECT_DOUBLE_EQ(ref[0], 11.0);  // 10 + 0.1 * 10
  EXPECT_DOUBLE_EQ(ref[1], 5.4);   // 5 + 0.1 * 4
  EXPECT_DOUBLE_EQ(ref[2], 3.0);   // range 0: 2 + 1
  EXPECT_THAT(default_reference_point({{-1.0, 7.0}}), ::testing::ElementsAre(0.0, 8.0));
  EXPECT_THROW(default_reference_point({}), ConfigError);
  EXPECT_THROW(default_reference_point({{1.0}, {std::nan("")}}), ConfigError);
}

}  // namespace
}  // namespace autoglm
