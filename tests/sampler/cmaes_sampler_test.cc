// CmaEsSampler: convergence on a sphere (5-D, and 10-D to 1e-6) and a rotated ellipsoid, the
// integer margin (CMA-ES with Margin), distributions respected, reproducibility, maximize,
// failed/pruned trials, IPOP restarts, factory options.
#include <cmath>
#include <iostream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "sampler/mixed_objective.h"

namespace autoglm {
namespace {

std::unique_ptr<Study> make_study(std::unique_ptr<Sampler> s, StudyDirection dir = StudyDirection::MINIMIZE) {
  return create_study({.storage = open_storage(":memory:"), .directions = {dir}, .sampler = std::move(s)});
}

double sphere(Trial& t) {
  double f = 0;
  for (int i = 0; i < 5; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -1.0, 1.0);
    f += (x - 0.3) * (x - 0.3);
  }
  return f;
}

// Seeds 0..14: best after 300 trials 7.9e-6 .. 4.2e-4 (11 of 15 below 1e-4); random 0.07 .. 0.33.
TEST(CmaEsSampler, ConvergesOnSphereAndBeatsRandom) {
  auto cma = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 1}));
  cma->optimize(sphere, {.n_trials = 300});
  auto rnd = make_study(std::make_unique<RandomSampler>(RandomSamplerOptions{.seed = 1}));
  rnd->optimize(sphere, {.n_trials = 300});
  EXPECT_LT(cma->best_value(), 1e-4);
  EXPECT_LT(cma->best_value(), 1e-2 * rnd->best_value());
}

/// Evaluations until `objective` first returns a value <= target (0 when never within n_trials).
int evaluations_to_reach(std::unique_ptr<Study>& study, const Objective& objective, double target, int n_trials) {
  int reached = 0;
  study->optimize(objective, {.n_trials = n_trials,
                              .callbacks = {[&](Study& s, const FrozenTrial& t) {
                                if (t.value() && *t.value() <= target && reached == 0) {
                                  reached = t.number + 1;
                                  s.stop();
                                }
                              }}});
  return reached;
}

double shifted_sphere_10d(Trial& t) {
  double f = 0;
  for (int i = 0; i < 10; ++i) {
    const double x = t.suggest_float("x" + std::to_string(i), -5.0, 5.0);
    f += (x - 1.234) * (x - 1.234);
  }
  return f;
}

// 10-D sphere over [-5, 5]^10 with the optimum at 1.234 in every coordinate (away from the centre
// 0 where the search starts): f < 1e-6 took 952 .. 1,217 evaluations over seeds 0 .. 29 (a
// generation of lambda = 10 shrinks f by ~1.16x; sigma0 = 1/6 of the cube).
TEST(CmaEsSampler, ConvergesOnShiftedTenDimensionalSphere) {
  auto study = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 0}));
  const int evaluations = evaluations_to_reach(study, shifted_sphere_10d, 1e-6, 2000);
  std::cout << "[ figures  ] 10-D shifted sphere, seed 0: f < 1e-6 after " << evaluations << " evaluations\n";
  EXPECT_GT(evaluations, 0) << "best " << study->best_value();
  EXPECT_LE(evaluations, 2000);
  EXPECT_LT(study->best_value(), 1e-6);
}

double integer_quadratic(Trial& t) {
  double f = 0;
  for (int i = 0; i < 6; ++i) {
    const auto x = t.suggest_int("x" + std::to_string(i), -10, 10);
    f += static_cast<double>((x - 3) * (x - 3));
  }
  return f;
}

// 6 ints in [-10, 10], f = sum (x_i - 3)^2. With the margin (default) seeds 0 .. 19 reached 0
// after 160 .. 232 evaluations. On this instance the run without the margin is the same (the
// correction never triggers before the optimum is found: the step size is still wider than a
// cell); where the plain run does stall is the integer ellipsoid below.
TEST(CmaEsSampler, MarginReachesIntegerOptimum) {
  auto study = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 0}));
  const int evaluations = evaluations_to_reach(study, integer_quadratic, 0.0, 600);
  EXPECT_GT(evaluations, 0) << "best " << study->best_value();
  EXPECT_EQ(study->best_value(), 0.0);
}

double integer_ellipsoid(Trial& t) {
  double f = 0;
  for (int i = 0; i < 6; ++i) {
    const auto x = t.suggest_int("x" + std::to_string(i), -10, 10);
    f += std::pow(10.0, i) * static_cast<double>((x - 3) * (x - 3));
  }
  return f;
}

// The integer ellipsoid sum_i 10^i (x_i - 3)^2 over 6 ints in [-10, 10], 1,500 evaluations: the
// step size adapts to the steep coordinates and falls below a cell's width on the flat ones, which
// then stop moving. Without the margin seeds 1, 4 and 5 stalled at f = 9, 4 and 1 (5 of seeds
// 0 .. 14 stalled); with it every seed 0 .. 14 reached 0 (at most 1,412 evaluations).
TEST(CmaEsSampler, MarginKeepsIntegerCoordinatesMoving) {
  for (uint64_t seed : {1, 4, 5}) {
    auto with = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = seed}));
    EXPECT_GT(evaluations_to_reach(with, integer_ellipsoid, 0.0, 1500), 0) << "seed " << seed;
    auto without = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = seed, .with_margin = false}));
    evaluations_to_reach(without, integer_ellipsoid, 0.0, 1500);
    std::cout << "[ figures  ] integer ellipsoid, seed " << seed << ": best " << with->best_value()
              << " with the margin, " << without->best_value() << " without\n";
  }
}

TEST(CmaEsSampler, AdaptsCovarianceOnRotatedEllipsoid) {
  // f(x) = sum_i 10^(3 i / (n - 1)) (R (x - c))_i^2 with R a fixed rotation (Givens products).
  auto objective = [](Trial& t) {
    const int n = 4;
    std::vector<double> x(n);
    for (int i = 0; i < n; ++i) x[i] = t.suggest_float("x" + std::to_string(i), -1.0, 1.0) - 0.2;
    for (int i = 0; i + 1 < n; ++i) {  // rotate by 0.7 rad in each plane (i, i+1)
      const double c = std::cos(0.7), s = std::sin(0.7), a = x[i], b = x[i + 1];
      x[i] = c * a - s * b;
      x[i + 1] = s * a + c * b;
    }
    double f = 0;
    for (int i = 0; i < n; ++i) f += std::pow(10.0, 3.0 * i / (n - 1)) * x[i] * x[i];
    return f;
  };
  auto sampler = std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 3});
  auto* raw = sampler.get();
  auto study = make_study(std::move(sampler));
  study->optimize(objective, {.n_trials = 600});
  // Seeds 0..14 reached 1.4e-6 .. 1.3e-2 (median 6e-4); random search on the sphere: ~0.2.
  EXPECT_LT(study->best_value(), 2e-2);
  EXPECT_GT(raw->generations(), 50);
}

using test::mixed_objective;

TEST(CmaEsSampler, ValuesStayInsideDistributionsAndAreReproducible) {
  auto run = [](uint64_t seed) {
    auto s = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = seed}));
    s->optimize(mixed_objective, {.n_trials = 120});
    return s;
  };
  auto x = run(5), y = run(5), z = run(6);
  auto tx = x->trials(), ty = y->trials(), tz = z->trials();
  ASSERT_EQ(tx.size(), 120u);
  ASSERT_EQ(ty.size(), 120u);
  bool differs = false;
  for (size_t i = 0; i < tx.size(); ++i) {
    for (const auto& [name, v] : tx[i].params) EXPECT_TRUE(contains(tx[i].distributions.at(name), v)) << name << "=" << v;
    EXPECT_EQ(tx[i].params, ty[i].params) << "trial " << i;
    differs = differs || tx[i].params != tz[i].params;
  }
  EXPECT_TRUE(differs);
  EXPECT_LT(x->best_value(), 0.6);
}

TEST(CmaEsSampler, Maximize) {
  auto s = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 1}), StudyDirection::MAXIMIZE);
  s->optimize([](Trial& t) { return -sphere(t); }, {.n_trials = 300});
  EXPECT_GT(s->best_value(), -1e-4);  // the mirror of the minimizing run with seed 1
}

TEST(CmaEsSampler, FailedAndPrunedTrialsAreReplaced) {
  auto sampler = std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 4});
  auto* raw = sampler.get();
  auto s = make_study(std::move(sampler));
  s->optimize(
      [](Trial& t) {
        const double f = sphere(t);
        if (t.number() % 5 == 3) throw TrialPruned();
        if (t.number() % 7 == 4) throw std::runtime_error("boom");
        return f;
      },
      {.n_trials = 300});
  EXPECT_LT(s->best_value(), 1e-2);
  EXPECT_GT(raw->generations(), 20);
}

TEST(CmaEsSampler, IpopRestartsOnCollapse) {
  for (bool margin : {true, false}) {
    auto sampler = std::make_unique<CmaEsSampler>(
        CmaEsSamplerOptions{.seed = 8, .restart_strategy = "ipop", .with_margin = margin});
    auto* raw = sampler.get();
    auto s = make_study(std::move(sampler));
    // Integer parameters: once the rounded optimum is found every candidate of a generation has the
    // same value (TolFun), with or without the margin (which keeps candidates moving to
    // neighbouring values but not to better ones).
    s->optimize(
        [](Trial& t) {
          const auto a = t.suggest_int("a", 0, 4), b = t.suggest_int("b", 0, 4);
          return static_cast<double>((a - 1) * (a - 1) + (b - 3) * (b - 3));
        },
        {.n_trials = 400});
    EXPECT_EQ(s->best_value(), 0.0) << "margin " << margin;
    EXPECT_GE(raw->restarts(), 1) << "margin " << margin;
  }
}

// IPOP on a shifted 4-D Rastrigin: each restart (once the step size has collapsed on a local
// minimum) doubles the population (8, 16, 32) and starts from a random mean; 5,000 evaluations
// gave 2 restarts on seeds 0 .. 5 and best values 0.995 .. 1.99 (the local minima next to the
// global one; the restarts did not find the global minimum within this budget).
TEST(CmaEsSampler, IpopRestartsOnMultimodalProblem) {
  auto rastrigin = [](Trial& t) {
    double f = 0;
    for (int i = 0; i < 4; ++i) {
      const double x = t.suggest_float("x" + std::to_string(i), -5.12, 5.12) - 1.1;
      f += x * x - 10.0 * std::cos(2.0 * M_PI * x) + 10.0;
    }
    return f;
  };
  auto sampler = std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 0, .restart_strategy = "ipop"});
  auto* raw = sampler.get();
  auto ipop = make_study(std::move(sampler));
  ipop->optimize(rastrigin, {.n_trials = 5000});
  std::cout << "[ figures  ] 4-D Rastrigin, 5,000 evaluations: ipop best " << ipop->best_value() << " after "
            << raw->restarts() << " restarts, " << raw->generations() << " generations\n";
  EXPECT_GE(raw->restarts(), 2);
  // 8 + 16 + 32 per generation: fewer generations than 5,000 / 8 once the population grew.
  EXPECT_LT(raw->generations(), 5000 / 8);
  EXPECT_LT(ipop->best_value(), 2.5);
}

TEST(CmaEsSampler, ParallelWorkers) {
  auto s = make_study(std::make_unique<CmaEsSampler>(CmaEsSamplerOptions{.seed = 2}));
  s->optimize(sphere, {.n_trials = 200, .n_jobs = 3});
  ASSERT_EQ(s->trials().size(), 200u);
  for (const auto& t : s->trials())
    for (const auto& [name, v] : t.params) EXPECT_TRUE(contains(t.distributions.at(name), v)) << name;
  EXPECT_LT(s->best_value(), 1e-2);
}

TEST(CmaEsSampler, FactoryAndRegistry) {
  auto s = make_sampler({{"name", "cmaes"}, {"seed", 1}, {"sigma0", 0.2}, {"n_startup_trials", 3},
                         {"restart_strategy", "ipop"}, {"popsize", 12}, {"with_margin", false}, {"margin", 0.01}});
  EXPECT_EQ(s->name(), "cmaes");
  const auto& o = dynamic_cast<CmaEsSampler&>(*s).options();
  EXPECT_EQ(o.sigma0, 0.2);
  EXPECT_EQ(o.n_startup_trials, 3);
  EXPECT_EQ(o.restart_strategy, "ipop");
  EXPECT_EQ(o.popsize, 12);
  EXPECT_FALSE(o.with_margin);
  EXPECT_EQ(o.margin, 0.01);
  EXPECT_TRUE(dynamic_cast<CmaEsSampler&>(*make_sampler({{"name", "cmaes"}})).options().with_margin);
  EXPECT_THAT(registered_samplers(), ::testing::Contains("cmaes"));
  try {
    make_cmaes_sampler({{"sigma", 0.1}});
    FAIL() << "unknown option accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did you mean 'sigma0'"));
  }
  try {
    make_cmaes_sampler({{"restart_strategy", "ipp"}});
    FAIL() << "unknown restart_strategy accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did you mean 'ipop'"));
  }
  EXPECT_THROW(make_cmaes_sampler({{"sigma0", -1.0}}), ConfigError);
  EXPECT_THROW(make_cmaes_sampler({{"popsize", 1}}), ConfigError);
  EXPECT_THROW(make_cmaes_sampler({{"margin", 0.0}}), ConfigError);
  EXPECT_THROW(make_cmaes_sampler({{"margin", 0.5}}), ConfigError);
}

}  // namespace
}  // namespace autoglm
