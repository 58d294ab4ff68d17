// Multi-objective test problems (include/autoglm/objectives.h, "multi-objective test problems"):
// the true Pareto fronts, hand-computed values, the maximal hypervolumes against a numerical
// integral of the front (a staircase sum written here, independent of the hypervolume library),
// and the one-line errors.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/objectives.h"

namespace autoglm::objectives {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr double kPi = std::numbers::pi;

std::string multi_error_of(const std::string& name, int dim, int n_objectives = 2) {
  try {
    make_multi_problem(name, dim, n_objectives);
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "expected a ConfigError for " << name << " d=" << dim << " M=" << n_objectives;
  return "";
}

// 2-D hypervolume (minimization) of a point set with respect to `ref`: sort by f0 and sum the
// staircase: on [f0_i, f0_{i+1}) the dominated height is ref1 - min_{j <= i} f1_j.
double staircase_hv(std::vector<std::pair<double, double>> pts, double ref0, double ref1) {
  std::sort(pts.begin(), pts.end());
  double hv = 0.0, best = ref1;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (pts[i].first >= ref0) break;
    best = std::min(best, pts[i].second);
    const double next = i + 1 < pts.size() ? std::min(pts[i + 1].first, ref0) : ref0;
    hv += (next - pts[i].first) * std::max(0.0, ref1 - best);
  }
  return hv;
}

TEST(MultiObjectives, NamesAndShapes) {
  EXPECT_THAT(multi_function_names(), ElementsAre("dtlz2", "zdt1", "zdt2", "zdt3"));
  for (const auto& name : multi_function_names()) {
    const int m = name == "dtlz2" ? 3 : 2;
    const MultiProblem p = make_multi_problem(name, 5, m);
    EXPECT_EQ(p.name, name);
    EXPECT_EQ(p.dim, 5);
    EXPECT_EQ(p.n_objectives, m);
    EXPECT_EQ(p.low, std::vector<double>(5, 0.0));
    EXPECT_EQ(p.high, std::vector<double>(5, 1.0));
    EXPECT_EQ(p.reference_point, std::vector<double>(static_cast<size_t>(m), name == "dtlz2" ? 1.1 : 11.0));
    EXPECT_EQ(p(std::vector<double>(5, 0.3)).size(), static_cast<size_t>(m));
  }
  // Default n_objectives = 2.
  EXPECT_EQ(make_multi_problem("dtlz2", 4).n_objectives, 2);
  EXPECT_EQ(make_multi_problem("zdt1", 30).n_objectives, 2);
}

TEST(MultiObjectives, MaxHypervolumes) {
  EXPECT_DOUBLE_EQ(make_multi_problem("zdt1", 30).max_hypervolume, 120.0 + 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(make_multi_problem("zdt2", 30).max_hypervolume, 120.0 + 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(make_multi_problem("zdt3", 30).max_hypervolume, 128.77811613069076);
  // REFERENCE.md: 0.424602 (M=2), 0.807401 (M=3); closed forms 1.21 - pi/4, 1.331 - pi/6.
  EXPECT_NEAR(make_multi_problem("dtlz2", 2, 2).max_hypervolume, 0.424602, 1e-6);
  EXPECT_DOUBLE_EQ(make_multi_problem("dtlz2", 2, 2).max_hypervolume, 1.21 - kPi / 4.0);
  EXPECT_NEAR(make_multi_problem("dtlz2", 12, 3).max_hypervolume, 0.807401, 1e-6);
  EXPECT_NEAR(make_multi_problem("dtlz2", 12, 3).max_hypervolume, 1.331 - kPi / 6.0, 1e-14);
  // M = 4: the unit ball's volume is pi^2 / 2, its positive orthant pi^2 / 32.
  EXPECT_NEAR(make_multi_problem("dtlz2", 6, 4).max_hypervolume, std::pow(1.1, 4) - kPi * kPi / 32.0, 1e-14);
}

TEST(MultiObjectives, ZdtParetoFrontHasGOne) {
  // On the front (x1 ... = 0) g = 1, so f1 = h(f0): 1 - sqrt(f0), 1 - f0^2, 1 - sqrt(f0) - f0 sin(10 pi f0).
  for (int d : {2, 3, 30}) {
    const MultiProblem z1 = make_multi_problem("zdt1", d), z2 = make_multi_problem("zdt2", d),
                       z3 = make_multi_problem("zdt3", d);
    for (double x0 : {0.0, 0.1, 0.25, 0.5, 0.83, 1.0}) {
      std::vector<double> x(static_cast<size_t>(d), 0.0);
      x[0] = x0;
      EXPECT_THAT(z1(x), ElementsAre(x0, ::testing::DoubleNear(1.0 - std::sqrt(x0), 1e-15)));
      EXPECT_THAT(z2(x), ElementsAre(x0, ::testing::DoubleNear(1.0 - x0 * x0, 1e-15)));
      EXPECT_THAT(z3(x), ElementsAre(x0, ::testing::DoubleNear(1.0 - std::sqrt(x0) - x0 * std::sin(10 * kPi * x0),
                                                                1e-15)));
    }
  }
}

TEST(MultiObjectives, ZdtHandComputedValues) {
  // d = 2, x = (0.25, 0.5): g = 1 + 9 * 0.5 = 5.5; g sqrt(f0/g) = sqrt(f0 g) = sqrt(1.375).
  const std::vector<double> x = {0.25, 0.5};
  EXPECT_THAT(make_multi_problem("zdt1", 2)(x), ElementsAre(0.25, ::testing::DoubleNear(5.5 - std::sqrt(1.375), 1e-14)));
  EXPECT_THAT(make_multi_problem("zdt2", 2)(x), ElementsAre(0.25, ::testing::DoubleNear(5.5 - 0.0625 / 5.5, 1e-14)));
  // sin(10 pi * 0.25) = sin(2.5 pi) = 1.
  EXPECT_THAT(make_multi_problem("zdt3", 2)(x),
              ElementsAre(0.25, ::testing::DoubleNear(5.5 - std::sqrt(1.375) - 0.25, 1e-14)));
  // d = 3, x = (1, 1, 0): g = 1 + 9 * mean(1, 0) = 5.5; f1 = 5.5 - sqrt(5.5).
  EXPECT_THAT(make_multi_problem("zdt1", 3)({1.0, 1.0, 0.0}),
              ElementsAre(1.0, ::testing::DoubleNear(5.5 - std::sqrt(5.5), 1e-14)));
  // x = 1 everywhere: g = 10; zdt2 f1 = 10 - 1/10.
  EXPECT_THAT(make_multi_problem("zdt2", 4)({1.0, 1.0, 1.0, 1.0}), ElementsAre(1.0, ::testing::DoubleNear(9.9, 1e-14)));
}

TEST(MultiObjectives, Dtlz2ParetoFrontIsTheUnitSphere) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int m : {2, 3, 5}) {
    for (int d : {m, m + 1, m + 9}) {
      const MultiProblem p = make_multi_problem("dtlz2", d, m);
      for (int rep = 0; rep < 50; ++rep) {
        std::vector<double> x(static_cast<size_t>(d), 0.5);  // the last k = d - M + 1 stay 0.5
        for (int j = 0; j < m - 1; ++j) x[static_cast<size_t>(j)] = u(rng);
        const auto f = p(x);
        ASSERT_EQ(f.size(), static_cast<size_t>(m));
        double s = 0.0;
        for (double v : f) {
          EXPECT_GE(v, -1e-15);
          s += v * v;
        }
        EXPECT_NEAR(s, 1.0, 1e-12) << "M=" << m << " d=" << d;
        // Off the front: sum f_i^2 = (1 + g)^2.
        x.back() = 0.9;  // g = 0.16
        double s2 = 0.0;
        for (double v : p(x)) s2 += v * v;
        EXPECT_NEAR(s2, 1.16 * 1.16, 1e-12);
      }
    }
  }
}

TEST(MultiObjectives, Dtlz2HandComputedValues) {
  // M = 3, front: x = (0, 0, 0.5) -> (1, 0, 0); (0.5, 0.5, 0.5) -> (1/2, 1/2, sqrt(2)/2).
  const MultiProblem p3 = make_multi_problem("dtlz2", 3, 3);
  EXPECT_THAT(p3({0.0, 0.0, 0.5}), ElementsAre(1.0, 0.0, 0.0));
  const double h = std::sqrt(0.5);
  EXPECT_THAT(p3({0.5, 0.5, 0.5}), ElementsAre(::testing::DoubleNear(0.5, 1e-15), ::testing::DoubleNear(0.5, 1e-15),
                                              ::testing::DoubleNear(h, 1e-15)));
  // x0 = 1: f0 = f1 = cos(pi/2) ~ 0, f2 = sin(pi/2) = 1.
  EXPECT_THAT(p3({1.0, 0.3, 0.5}), ElementsAre(::testing::DoubleNear(0.0, 1e-15), ::testing::DoubleNear(0.0, 1e-15),
                                              ::testing::DoubleNear(1.0, 1e-15)));
  // M = 2, d = 3, x = (1/3, 0.5, 1): k = 2, g = 0.25; f = 1.25 (cos(pi/6), sin(pi/6)).
  const MultiProblem p2 = make_multi_problem("dtlz2", 3, 2);
  EXPECT_THAT(p2({1.0 / 3.0, 0.5, 1.0}), ElementsAre(::testing::DoubleNear(1.25 * std::sqrt(3.0) / 2.0, 1e-15),
                                                    ::testing::DoubleNear(0.625, 1e-15)));
}

TEST(MultiObjectives, FiniteOnRandomPoints) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const auto& name : multi_function_names()) {
    for (int m : {2, 3}) {
      if (name != "dtlz2" && m != 2) continue;
      for (int d : {m, 10, 30}) {
        const MultiProblem p = make_multi_problem(name, d, m);
        for (int rep = 0; rep < 200; ++rep) {
          std::vector<double> x(static_cast<size_t>(d));
          for (auto& v : x) v = u(rng);
          if (rep == 0) std::fill(x.begin(), x.end(), 0.0);  // corners too
          if (rep == 1) std::fill(x.begin(), x.end(), 1.0);
          const auto f = p(x);
          ASSERT_EQ(f.size(), static_cast<size_t>(m));
          for (double v : f) EXPECT_TRUE(std::isfinite(v)) << name << " d=" << d << " M=" << m;
        }
      }
    }
  }
}

// The front sampled densely through the problem's own f (x1 ... = 0), its hypervolume summed as
// a staircase: a lower bound that converges at O(1 / n) to max_hypervolume.
TEST(MultiObjectives, ZdtMaxHypervolumeMatchesIntegralOfTheFront) {
  constexpr int kN = 200000;
  for (const std::string name : {"zdt1", "zdt2", "zdt3"}) {
    const MultiProblem p = make_multi_problem(name, 5);
    std::vector<std::pair<double, double>> pts;
    pts.reserve(kN + 1);
    std::vector<double> x(5, 0.0);
    for (int i = 0; i <= kN; ++i) {
      x[0] = static_cast<double>(i) / kN;
      const auto f = p(x);
      pts.emplace_back(f[0], f[1]);
    }
    const double hv = staircase_hv(pts, p.reference_point[0], p.reference_point[1]);
    EXPECT_NEAR(hv, p.max_hypervolume, 1e-3) << name;
    EXPECT_LE(hv, p.max_hypervolume + 1e-9) << name;  // a sample of the front never beats it
  }
}

TEST(MultiObjectives, Dtlz2MaxHypervolumeMatchesIntegralOfTheFront) {
  constexpr int kN = 200000;
  const MultiProblem p = make_multi_problem("dtlz2", 4, 2);
  std::vector<std::pair<double, double>> pts;
  for (int i = 0; i <= kN; ++i) {
    const auto f = p({static_cast<double>(i) / kN, 0.5, 0.5, 0.5});
    pts.emplace_back(f[0], f[1]);
  }
  EXPECT_NEAR(staircase_hv(pts, 1.1, 1.1), p.max_hypervolume, 1e-4);
}

TEST(MultiObjectives, ErrorsAreOneLineConfigErrors) {
  EXPECT_THAT(multi_error_of("zdt4", 5), AllOf(HasSubstr("unknown multi-objective function 'zdt4'"),
                                               HasSubstr("did you mean 'zdt")));
  EXPECT_THAT(multi_error_of("dtlz", 5), HasSubstr("did you mean 'dtlz2'"));
  EXPECT_THAT(multi_error_of("quux", 5), AllOf(HasSubstr("'quux'"), HasSubstr("dtlz2"), HasSubstr("zdt3")));
  EXPECT_THAT(multi_error_of("branin", 2), HasSubstr("unknown multi-objective function 'branin'"));
  EXPECT_THAT(multi_error_of("zdt1", 1),
              AllOf(HasSubstr("zdt1 needs at least 2 parameters (x0, x1)"), HasSubstr("the space has 1")));
  EXPECT_THAT(multi_error_of("zdt2", 0), HasSubstr("the space has 0"));
  EXPECT_THAT(multi_error_of("zdt3", 5, 3), AllOf(HasSubstr("zdt3 has 2 objectives"), HasSubstr("got 3")));
  EXPECT_THAT(multi_error_of("dtlz2", 5, 1), HasSubstr("dtlz2 needs at least 2 objectives, got 1"));
  EXPECT_THAT(multi_error_of("dtlz2", 2, 3), AllOf(HasSubstr("dtlz2 with 3 objectives needs at least 3 parameters"),
                                                   HasSubstr("x0 ... x2"), HasSubstr("the space has 2")));
  EXPECT_NO_THROW(make_multi_problem("dtlz2", 3, 3));
  EXPECT_NO_THROW(make_multi_problem("zdt1", 2));
}

}  // namespace
}  // namespace autoglm::objectives
