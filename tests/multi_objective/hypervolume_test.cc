// Tests of the exact hypervolume and the exclusive contributions (include/autoglm/pareto.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pareto.h"
#include "multi_objective/points_test_util.h"

namespace autoglm {
namespace {

using Points = std::vector<std::vector<double>>;

Points remove_point(const Points& points, std::size_t i) {
  Points out = points;
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(i));
  return out;
}

// Inclusion-exclusion over every subset: exact, for up to ~12 points inside the reference.
double inclusion_exclusion(const Points& points, const std::vector<double>& ref) {
  const std::size_t n = points.size();
  const std::size_t m = ref.size();
  double total = 0.0;
  for (unsigned long mask = 1; mask < (1ul << n); ++mask) {
    std::vector<double> worst(m, -1e300);
    int bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(mask & (1ul << i))) continue;
      ++bits;
      for (std::size_t k = 0; k < m; ++k) worst[k] = std::max(worst[k], points[i][k]);
    }
    double box = 1.0;
    for (std::size_t k = 0; k < m; ++k) box *= std::max(0.0, ref[k] - worst[k]);
    total += (bits % 2 == 1 ? 1.0 : -1.0) * box;
  }
  return total;
}

Points random_points(std::size_t n, std::size_t m, unsigned seed, double lo = 0.0,
                     double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  Points points(n, std::vector<double>(m));
  for (auto& p : points) {
    for (auto& v : p) v = dist(rng);
  }
  return points;
}

using test::random_integer_points;

// Points on the positive unit sphere: mutually non-dominated, the hard case.
Points sphere_points(std::size_t n, std::size_t m, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist;
  Points points(n, std::vector<double>(m));
  for (auto& p : points) {
    double norm = 0.0;
    for (auto& v : p) {
      v = std::abs(dist(rng));
      norm += v * v;
    }
    for (auto& v : p) v /= std::sqrt(norm);
  }
  return points;
}

TEST(Hypervolume, OneObjective) {
  EXPECT_DOUBLE_EQ(hypervolume({{3}, {1}, {2}, {7}}, {5}), 4.0);
  EXPECT_DOUBLE_EQ(hypervolume({{6}}, {5}), 0.0);
}

TEST(Hypervolume, Staircase2D) {
  const Points points = {{1, 3}, {2, 2}, {3, 1}};
  EXPECT_DOUBLE_EQ(hypervolume(points, {4, 4}), 6.0);
  EXPECT_DOUBLE_EQ(detail::hypervolume_wfg(points, {4, 4}), 6.0);
  // Dominated points, duplicates and points outside (or on the border of) the reference change
  // nothing.
  const Points noisy = {{2, 2}, {1, 3}, {3, 3}, {2, 2}, {3, 1}, {5, 0}, {4, 1}, {0, 4}, {2, 3}};
  EXPECT_DOUBLE_EQ(hypervolume(noisy, {4, 4}), 6.0);
  EXPECT_DOUBLE_EQ(detail::hypervolume_wfg(noisy, {4, 4}), 6.0);
  EXPECT_DOUBLE_EQ(hypervolume({{5, 0}, {4, 4}}, {4, 4}), 0.0);
  EXPECT_DOUBLE_EQ(hypervolume({}, {4, 4}), 0.0);
}

TEST(Hypervolume, Boxes3D) {
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {1, 2, 3}), 6.0);
  // 2x2x1 box + 1x1x2 box - their 1x1x1 intersection.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 5.0);
  // Three unit-thick slabs of a 2x2x2 cube around the origin corner: 8 - 1 (the far corner).
  const Points slabs = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  EXPECT_DOUBLE_EQ(hypervolume(slabs, {2, 2, 2}), 7.0);
  const Points noisy = {{1, 0, 0}, {0, 1, 0}, {1, 1, 1}, {0, 0, 1}, {0, 1, 0}, {2, 0, 0}};
  EXPECT_DOUBLE_EQ(hypervolume(noisy, {2, 2, 2}), 7.0);
  EXPECT_DOUBLE_EQ(detail::hypervolume_wfg(noisy, {2, 2, 2}), 7.0);
}

TEST(Hypervolume, Boxes4D) {
  const Points slabs = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}, {0, 0, 0, 1}};
  EXPECT_DOUBLE_EQ(hypervolume(slabs, {2, 2, 2, 2}), 15.0);  // 16 - the far unit corner
  EXPECT_DOUBLE_EQ(hypervolume({{0.5, 0.5, 0.5, 0.5}, {1, 1, 1, 1}}, {1, 1, 1, 1}), 0.0625);
}

TEST(Hypervolume, MatchesInclusionExclusion) {
  for (const std::size_t m : {2u, 3u, 4u, 5u, 6u}) {
    for (unsigned seed = 0; seed < 5; ++seed) {
      const Points points = random_points(10, m, 100 * m + seed);
      const std::vector<double> ref(m, 1.0);
      const double expected = inclusion_exclusion(points, ref);
      EXPECT_NEAR(hypervolume(points, ref), expected, 1e-12) << "m=" << m;
      EXPECT_NEAR(detail::hypervolume_wfg(points, ref), expected, 1e-12) << "m=" << m;
    }
  }
}

TEST(Hypervolume, MatchesMonteCarlo) {
  constexpr int kSamples = 200000;
  for (const std::size_t m : {2u, 3u, 4u, 5u}) {
    const Points points = sphere_points(25, m, static_cast<unsigned>(m));
    const std::vector<double> ref(m, 1.1);
    std::mt19937_64 rng(1234 + m);
    std::uniform_real_distribution<double> dist(0.0, 1.1);
    int hits = 0;
    std::vector<double> x(m);
    for (int s = 0; s < kSamples; ++s) {
      for (auto& v : x) v = dist(rng);
      for (const auto& p : points) {
        bool covered = true;
        for (std::size_t k = 0; k < m && covered; ++k) covered = p[k] <= x[k];
        if (covered) {
          ++hits;
          break;
        }
      }
    }
    const double box = std::pow(1.1, static_cast<double>(m));
    const double frac = static_cast<double>(hits) / kSamples;
    const double estimate = box * frac;
    const double standard_error = box * std::sqrt(frac * (1.0 - frac) / kSamples);
    const double exact = hypervolume(points, ref);
    std::printf("m=%zu: exact %.6f, Monte Carlo %.6f +- %.6f\n", m, exact, estimate,
                standard_error);
    EXPECT_NEAR(exact, estimate, 5.0 * standard_error) << "m=" << m;
  }
}

TEST(Hypervolume, WfgMatchesExact2DAnd3D) {
  for (const std::size_t m : {2u, 3u}) {
    for (unsigned seed = 0; seed < 10; ++seed) {
      // Integer points: ties in every objective, duplicates, points on the reference border.
      const Points ties = random_integer_points(120, m, 8, seed * 7 + m);
      const std::vector<double> ref(m, 8.0);
      EXPECT_NEAR(detail::hypervolume_wfg(ties, ref), hypervolume(ties, ref),
                  1e-9 * hypervolume(ties, ref))
          << "m=" << m << " seed=" << seed;
      const Points front = sphere_points(200, m, seed + 50);
      const std::vector<double> ref2(m, 1.05);
      EXPECT_NEAR(detail::hypervolume_wfg(front, ref2), hypervolume(front, ref2), 1e-12)
          << "m=" << m << " seed=" << seed;
    }
  }
}

TEST(Hypervolume, WfgWithTies4D5D) {
  for (const std::size_t m : {4u, 5u}) {
    // 12 integer points (duplicates likely), some outside the reference: inclusion-exclusion
    // over the points strictly inside.
    const Points points = random_integer_points(12, m, 4, 3 + m);
    const std::vector<double> ref(m, 4.0);
    Points inside;
    for (const auto& p : points) {
      bool in = true;
      for (std::size_t k = 0; k < m; ++k) in = in && p[k] < ref[k];
      if (in) inside.push_back(p);
    }
    EXPECT_NEAR(hypervolume(points, ref), inclusion_exclusion(inside, ref), 1e-9) << "m=" << m;
  }
}

TEST(Hypervolume, Zdt1MaximumHypervolume) {
  // REFERENCE.md: the maximum hypervolume of ZDT1 with reference (11, 11) is 120 + 2/3.
  constexpr std::size_t kN = 100000;
  Points front(kN, std::vector<double>(2));
  for (std::size_t i = 0; i < kN; ++i) {
    const double f0 = static_cast<double>(i) / (kN - 1);
    front[i] = {f0, 1.0 - std::sqrt(f0)};
  }
  EXPECT_NEAR(hypervolume(front, {11, 11}), 120.0 + 2.0 / 3.0, 1e-3);
}

TEST(Hypervolume, Timing1000Points3D) {
  const Points points = sphere_points(1000, 3, 99);
  const auto start = std::chrono::steady_clock::now();
  const double hv = hypervolume(points, {1.1, 1.1, 1.1});
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("hypervolume: 1,000 points, 3 objectives: %.3f ms (target < 10 ms), HV %.6f\n", ms,
              hv);
  // DTLZ2 (REFERENCE.md): the whole sphere front dominates 1.1^3 - pi/6 = 0.807401; a sample of
  // it a bit less.
  EXPECT_LT(hv, 0.807401);
  EXPECT_GT(hv, 0.75);
  EXPECT_NEAR(hv, detail::hypervolume_wfg(points, {1.1, 1.1, 1.1}), 1e-12);
}

TEST(Hypervolume, RejectsBadInput) {
  EXPECT_THROW(hypervolume({{1, 2}}, {3}), ConfigError);
  EXPECT_THROW(hypervolume({{1, 2}}, {3, 3, 3}), ConfigError);
  EXPECT_THROW(hypervolume({{1, 2}, {1}}, {3, 3}), ConfigError);
  EXPECT_THROW(hypervolume({{1, std::nan("")}}, {3, 3}), ConfigError);
  EXPECT_THROW(hypervolume({{1, 2}}, {3, std::nan("")}), ConfigError);
  EXPECT_THROW(detail::hypervolume_wfg({{1, 2}}, {3}), ConfigError);
  EXPECT_THROW(hypervolume_contributions({{1, 2}}, {3}), ConfigError);
}

TEST(HypervolumeContributions, Staircase) {
  const Points points = {{1, 3}, {2, 2}, {3, 1}};
  EXPECT_THAT(hypervolume_contributions(points, {4, 4}), ::testing::ElementsAre(1.0, 1.0, 1.0));
  // Sum check: the exclusive unit cells sum to 3 = HV 6 minus the 3 cells covered twice or more.
  const std::vector<double> c = hypervolume_contributions(points, {4, 4});
  EXPECT_DOUBLE_EQ(c[0] + c[1] + c[2], 3.0);
  // A dominated point, each copy of a duplicated point and an outside point contribute nothing;
  // the duplicated (1, 3) still bounds the contribution of (2, 2).
  const Points noisy = {{1, 3}, {2, 2}, {3, 1}, {3, 3}, {1, 3}, {5, 0}};
  EXPECT_THAT(hypervolume_contributions(noisy, {4, 4}),
              ::testing::ElementsAre(0.0, 1.0, 1.0, 0.0, 0.0, 0.0));
  // Without the duplicate's partner, (1, 3) owns the top row's first cell and (2, 2) grows.
  EXPECT_THAT(hypervolume_contributions({{2, 2}, {3, 1}, {1, 3}}, {4, 4}),
              ::testing::ElementsAre(1.0, 1.0, 1.0));
  EXPECT_THAT(hypervolume_contributions({{2, 2}, {3, 1}}, {4, 4}),
              ::testing::ElementsAre(2.0, 1.0));
  EXPECT_TRUE(hypervolume_contributions({}, {4, 4}).empty());
}

TEST(HypervolumeContributions, MatchDefinition) {
  for (const std::size_t m : {1u, 2u, 3u, 4u, 5u}) {
    for (unsigned seed = 0; seed < 4; ++seed) {
      Points points = seed % 2 == 0 ? random_integer_points(30, m, 5, seed + 10 * m)
                                    : sphere_points(30, m, seed + 10 * m);
      points.push_back(points[3]);  // a duplicate
      const std::vector<double> ref(m, seed % 2 == 0 ? 5.0 : 1.1);
      const double total = hypervolume(points, ref);
      const std::vector<double> contrib = hypervolume_contributions(points, ref);
      ASSERT_EQ(contrib.size(), points.size());
      EXPECT_EQ(contrib[3], 0.0);
      EXPECT_EQ(contrib.back(), 0.0);
      for (std::size_t i = 0; i < points.size(); ++i) {
        EXPECT_NEAR(contrib[i], total - hypervolume(remove_point(points, i), ref),
                    1e-9 * std::max(1.0, total))
            << "m=" << m << " seed=" << seed << " i=" << i;
      }
    }
  }
}

}  // namespace
}  // namespace autoglm
