// Multi-objective and constrained sampling: MOTPE's hypervolume subset selection and l(x)
// weights (hand-computed values), constrained TPE splits and optimization, reproducibility of
// MOTPE and NSGA-II by seed, NSGA-II's polynomial mutation (bounds, grids, constraints, factory),
// (The hypervolume-gap comparison with Optuna is a script, not a test: see the report of the change.)
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/nsga2_sampler.h"
#include "autoglm/pareto.h"
#include "autoglm/samplers.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "sampler/parzen_estimator.h"

namespace autoglm {
namespace {

using ::testing::HasSubstr;
using Points = std::vector<std::vector<double>>;

std::unique_ptr<Study> make_study(std::unique_ptr<Sampler> s, std::vector<StudyDirection> dirs) {
  return create_study({.storage = open_storage(":memory:"), .directions = std::move(dirs), .sampler = std::move(s)});
}

std::vector<StudyDirection> minimize(int m) { return std::vector<StudyDirection>(m, StudyDirection::MINIMIZE); }

/// ZDT1 (Zitzler, Deb, Thiele 2000) on [0, 1]^d: f0 = x0, g = 1 + 9 mean(x1 ... x{d-1}),
/// f1 = g (1 - sqrt(f0 / g)); reference point (11, 11), front hypervolume 120 + 2/3. Defined here
/// because sampler_test does not link autoglm_objectives (objectives.h has the shared one).
std::vector<double> zdt1(const std::vector<double>& x) {
  double s = 0;
  for (size_t j = 1; j < x.size(); ++j) s += x[j];
  const double g = 1 + 9 * s / static_cast<double>(x.size() - 1);
  return {x[0], g * (1 - std::sqrt(x[0] / g))};
}
constexpr double kZdt1MaxHypervolume = 120.0 + 2.0 / 3.0;

/// Runs zdt1 in dimension d (parameters x0 ... x{d-1} in [0, 1]) for n trials; returns the study.
std::unique_ptr<Study> run_zdt1(int d, std::unique_ptr<Sampler> sampler, int n_trials) {
  auto study = make_study(std::move(sampler), minimize(2));
  study->optimize(
      [&](Trial& t) {
        std::vector<double> x(d);
        for (int j = 0; j < d; ++j) x[j] = t.suggest_float("x" + std::to_string(j), 0.0, 1.0);
        return zdt1(x);
      },
      {.n_trials = n_trials});
  return study;
}

double zdt1_hypervolume_gap(const Study& study) {
  Points pts;
  for (const auto& t : study.get_trials(std::vector<TrialState>{TrialState::COMPLETE})) pts.push_back(t.values);
  return kZdt1MaxHypervolume - hypervolume(pts, {11.0, 11.0});
}

std::vector<std::map<std::string, double>> params_of(const Study& study) {
  std::vector<std::map<std::string, double>> out;
  for (const auto& t : study.get_trials()) out.push_back(t.params);
  return out;
}

// ---- hypervolume subset selection and weights ------------------------------------------------

// One front, reference (10, 10). Box volumes alone: P0 (1, 9) 9, P1 (2, 6) 32, P2 (4, 4) 36,
// P3 (7, 2) 24, P4 (9, 0.5) 9.5. Greedy: P2 (36); given P2: P0 3, P1 8, P3 6, P4 3.5 -> P1;
// given P2, P1: P0 1, P3 6, P4 3.5 -> P3; then P4 (1.5) before P0 (1).
TEST(HypervolumeSubsetSelection, GreedyPicksLargestContributionFirst) {
  const Points pts = {{1, 9}, {2, 6}, {4, 4}, {7, 2}, {9, 0.5}};
  EXPECT_EQ(tpe::select_by_hypervolume(pts, 3, {10, 10}), (std::vector<int>{2, 1, 3}));
  EXPECT_EQ(tpe::select_by_hypervolume(pts, 5, {10, 10}), (std::vector<int>{2, 1, 3, 4, 0}));
  EXPECT_EQ(tpe::select_by_hypervolume(pts, 9, {10, 10}).size(), 5u);  // k clamped to n
  EXPECT_TRUE(tpe::select_by_hypervolume(pts, 0, {10, 10}).empty());
  // Non-finite points have no contribution: chosen last, in index order.
  const Points with_inf = {{INFINITY, 0}, {1, 9}, {4, 4}};
  EXPECT_EQ(tpe::select_by_hypervolume(with_inf, 3, {10, 10}), (std::vector<int>{2, 1, 0}));
}

TEST(HypervolumeSubsetSelection, ReferencePointRule) {
  EXPECT_EQ(tpe::hypervolume_reference_point({{1, -5, 0}, {2, -10, 0}}), (std::vector<double>{2.2, -4.5, 1e-12}));
}

TEST(HypervolumeSubsetSelection, SplitFillsBoundaryRankByHypervolume) {
  // Front 0: (0.5, 0.5) (index 5). Front 1: the five points above, in the trial order P3, P0, P4,
  // P1, P2. Reference of the boundary rank: 1.1 x its worst (9, 9) = (9.9, 9.9); contributions
  // alone P2 34.81 > P1 30.81 > P3 22.91; given P2: P1 7.8 > P3 5.8. Trial order would give 0, 1.
  std::vector<tpe::Score> scores;
  for (auto [a, b] : std::vector<std::pair<double, double>>{{7, 2}, {1, 9}, {9, 0.5}, {2, 6}, {4, 4}, {0.5, 0.5}})
    scores.push_back({-INFINITY, {a, b}});
  auto [below, above] = tpe::split_observation_pairs(scores, 3);
  EXPECT_EQ(below, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(above, (std::vector<int>{0, 1, 2}));
  std::tie(below, above) = tpe::split_observation_pairs(scores, 4);  // then P3 (given P2, P1: 5.8)
  EXPECT_EQ(below, (std::vector<int>{0, 3, 4, 5}));
}

TEST(HypervolumeSubsetSelection, BelowWeightsAreNormalisedContributions) {
  // Below set (1, 3), (2, 2), (3, 1), (3, 3); reference 1.1 x (3, 3) = (3.3, 3.3). Exclusive
  // contributions: 1 x 0.3, 1 x 1, 0.3 x 1, 0 (dominated); + 1e-12, divided by the largest.
  std::vector<tpe::Score> scores;
  for (auto [a, b] : std::vector<std::pair<double, double>>{{9, 9}, {1, 3}, {2, 2}, {3, 1}, {3, 3}})
    scores.push_back({-INFINITY, {a, b}});
  const std::vector<double> w = tpe::multi_objective_below_weights(scores, {1, 2, 3, 4});
  ASSERT_EQ(w.size(), 4u);
  EXPECT_NEAR(w[0], 0.3, 1e-9);
  EXPECT_DOUBLE_EQ(w[1], 1.0);
  EXPECT_NEAR(w[2], 0.3, 1e-9);
  EXPECT_GT(w[3], 0.0);
  EXPECT_LT(w[3], 1e-9);
  // Infeasible members get the floor; contributions are computed among the feasible ones.
  const std::vector<double> violations = {0, 0, 0, 0.5, 0};
  const std::vector<double> wc = tpe::multi_objective_below_weights(scores, {1, 2, 3, 4}, &violations);
  EXPECT_LT(wc[2], 1e-9);
  EXPECT_DOUBLE_EQ(wc[1], 1.0);  // (2, 2): now (2, 2) vs (1, 3), (3, 3), reference (3.3, 3.3)
  EXPECT_EQ(tpe::multi_objective_below_weights(scores, {2}), (std::vector<double>{1.0}));
}

// ---- constrained splits ------------------------------------------------------------------------

TEST(ConstrainedTpe, SplitPutsFeasibleFirstThenSmallestViolation) {
  std::vector<tpe::Score> scores;
  for (double v : {5.0, 1.0, 3.0, 2.0, 4.0}) scores.push_back({-INFINITY, {v}});
  const std::vector<double> violations = {0, 2, 0, 0.5, 0.5};
  auto [below, above] = tpe::split_observation_pairs(scores, 2, &violations);
  EXPECT_EQ(below, (std::vector<int>{0, 2}));  // the two feasible ones (1.0 is infeasible)
  EXPECT_EQ(above, (std::vector<int>{1, 3, 4}));
  std::tie(below, above) = tpe::split_observation_pairs(scores, 1, &violations);
  EXPECT_EQ(below, (std::vector<int>{2}));  // best feasible value
  std::tie(below, above) = tpe::split_observation_pairs(scores, 3, &violations);
  EXPECT_EQ(below, (std::vector<int>{0, 2, 3}));  // + smallest violation, ties in trial order
  // No violation > 0: the unconstrained split.
  const std::vector<double> none(5, 0.0);
  EXPECT_EQ(tpe::split_observation_pairs(scores, 2, &none), tpe::split_observation_pairs(scores, 2));

  // Multi-objective: ranks among the feasible only; the infeasible (0, 0) would dominate all.
  std::vector<tpe::Score> mo;
  for (auto [a, b] : std::vector<std::pair<double, double>>{{0, 0}, {1, 3}, {3, 1}, {2, 2}, {4, 4}})
    mo.push_back({-INFINITY, {a, b}});
  const std::vector<double> mv = {1.0, 0, 0, 0, 0};
  std::tie(below, above) = tpe::split_observation_pairs(mo, 3, &mv);
  EXPECT_EQ(below, (std::vector<int>{1, 2, 3}));
  std::tie(below, above) = tpe::split_observation_pairs(mo, 5, &mv);
  EXPECT_EQ(below.size(), 5u);
}

// min x^2 + y^2 subject to x + y >= 1 (c = 1 - x - y <= 0) on [-2, 2]^2; optimum 0.5 at (0.5, 0.5).
// The optimum lies on the constraint boundary, so about half of what l(x) proposes near it is
// infeasible. Random search: 28% of the box is feasible. Measured (60 trials, seeds 0..4), per
// seed best feasible value - 0.5 and feasible share of trials 30..59:
//   independent:  (0.112, 0.83) (0.126, 0.57) (0.046, 0.80) (0.042, 0.63) (0.197, 0.57)
//   multivariate: (0.160, 0.47) (0.048, 0.47) (0.180, 0.43) (0.092, 0.47) (0.183, 0.40)
// Optuna 3.1 (constraints_func) on the same problem: independent gaps 0.047 0.227 0.032 0.129
// 0.034, shares 0.57 0.60 0.77 0.73 0.67; multivariate gaps 0.204 0.094 0.136 0.040 0.108,
// shares 0.47 0.40 0.37 0.53 0.47.
TEST(ConstrainedTpe, FindsConstrainedOptimumAndStaysFeasible) {
  for (bool multivariate : {false, true}) {
    double gap_sum = 0, share_sum = 0;
    std::string figures;
    for (uint64_t seed = 0; seed < 5; ++seed) {
      auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed, .multivariate = multivariate}),
                              minimize(1));
      study->optimize(
          [](Trial& t) {
            const double x = t.suggest_float("x", -2.0, 2.0), y = t.suggest_float("y", -2.0, 2.0);
            t.set_system_attr("constraints", nlohmann::json::array({1.0 - x - y}));
            return x * x + y * y;
          },
          {.n_trials = 60});
      double best = INFINITY;
      int late_feasible = 0;
      for (const auto& t : study->get_trials()) {
        if (is_feasible(t)) best = std::min(best, t.values.at(0));
        if (t.number >= 30 && is_feasible(t)) ++late_feasible;
      }
      const double share = late_feasible / 30.0;
      gap_sum += best - 0.5;
      share_sum += share;
      char buf[64];
      std::snprintf(buf, sizeof buf, " (%.3f, %.2f)", best - 0.5, share);
      figures += buf;
      EXPECT_LT(best - 0.5, 0.25) << "multivariate " << multivariate << " seed " << seed;
      EXPECT_GT(share, multivariate ? 0.33 : 0.5) << "multivariate " << multivariate << " seed " << seed;
    }
    std::cout << "[ figures  ] constrained TPE multivariate " << multivariate << ":" << figures << "\n";
    EXPECT_LT(gap_sum / 5, 0.15) << "multivariate " << multivariate;
    EXPECT_GT(share_sum / 5, multivariate ? 0.4 : 0.6) << "multivariate " << multivariate;
  }
}

TEST(ConstrainedTpe, MultiObjectiveKeepsMostTrialsFeasible) {
  // Two circles on [-5, 5]^2, feasible only for x >= 1 (40% of the box); the constrained Pareto
  // set is y = 0, 1 <= x <= 2, on the boundary again. Feasible among trials 40..79, seeds 0..4:
  // ours 28 25 27 24 22; Optuna 3.1 (constraints_func) 29 26 27 24 26 (multivariate: 21 17 21 16 22,
  // ours 20 in each seed).
  double share_sum = 0;
  std::string figures;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed}), minimize(2));
    study->optimize(
        [](Trial& t) -> std::vector<double> {
          const double x = t.suggest_float("x", -5.0, 5.0), y = t.suggest_float("y", -5.0, 5.0);
          t.set_system_attr("constraints", nlohmann::json::array({1.0 - x}));
          return {x * x + y * y, (x - 2) * (x - 2) + y * y};
        },
        {.n_trials = 80});
    int late_feasible = 0;
    for (const auto& t : study->get_trials())
      if (t.number >= 40) late_feasible += is_feasible(t);
    share_sum += late_feasible / 40.0;
    figures += " " + std::to_string(late_feasible);
  }
  std::cout << "[ figures  ] constrained MOTPE, feasible among trials 40..79 per seed:" << figures << "\n";
  EXPECT_GT(share_sum / 5, 0.55);  // random: 0.4
}

// ---- reproducibility ---------------------------------------------------------------------------

TEST(MultiObjectiveSamplers, ReproducibleBySeedOnZdt1) {
  using Factory = std::function<std::unique_ptr<Sampler>(uint64_t)>;
  const std::map<std::string, Factory> factories = {
      {"tpe", [](uint64_t s) { return std::make_unique<TPESampler>(TPESamplerOptions{.seed = s}); }},
      {"tpe multivariate group",
       [](uint64_t s) {
         return std::make_unique<TPESampler>(TPESamplerOptions{.seed = s, .multivariate = true, .group = true});
       }},
      {"nsga2 polynomial", [](uint64_t s) {
         NSGAIISamplerOptions o;
         o.population_size = 10;
         o.mutation = "polynomial";
         o.seed = s;
         return std::make_unique<NSGAIISampler>(o);
       }}};
  for (const auto& [name, make] : factories) {
    SCOPED_TRACE(name);
    const auto a = params_of(*run_zdt1(4, make(0), 40));
    const auto b = params_of(*run_zdt1(4, make(0), 40));
    const auto c = params_of(*run_zdt1(4, make(1), 40));
    ASSERT_EQ(a.size(), 40u);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    // The model-based phase differs too, not only the start-up draws.
    EXPECT_NE(std::vector(a.begin() + 20, a.end()), std::vector(c.begin() + 20, c.end()));
  }
}

TEST(MultiObjectiveSamplers, MotpeBeatsRandomOnZdt1) {
  double tpe_gap = 0, random_gap = 0;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    tpe_gap += zdt1_hypervolume_gap(
        *run_zdt1(4, std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed, .multivariate = true}), 100));
    random_gap += zdt1_hypervolume_gap(*run_zdt1(4, std::make_unique<RandomSampler>(RandomSamplerOptions{seed}), 100));
  }
  std::cout << "[ figures  ] zdt1 d=4, 100 trials, mean HV gap over 3 seeds: MOTPE " << tpe_gap / 3 << ", random "
            << random_gap / 3 << "\n";
  EXPECT_LT(tpe_gap, 0.75 * random_gap);
}

// ---- NSGA-II polynomial mutation ---------------------------------------------------------------

TEST(Nsga2PolynomialMutation, PerturbationsAreSmallWithLargeEta) {
  // A child of two equal parents differs from them only through mutation; with eta = 20 the
  // polynomial step is within 0.2 of the unit range in > 95% of draws (P(|delta| > 0.2) is about
  // 0.8^21 / 2 ~ 0.5% each side for a parent in the middle).
  NSGAIISamplerOptions o;
  o.population_size = 4;
  o.mutation = "polynomial";
  o.mutation_prob = 1.0;
  o.crossover_prob = 0.0;
  o.seed = 3;
  NSGAIISampler sampler(o);
  const Distribution d = FloatDistribution{0.0, 1.0};
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 4; ++i) {
    FrozenTrial t;
    t.number = t.trial_id = i;
    t.state = TrialState::COMPLETE;
    t.values = {static_cast<double>(i), static_cast<double>(-i)};
    t.params = {{"x", 0.5}};
    t.distributions = {{"x", d}};
    trials.push_back(t);
  }
  HistoryView history("poly", minimize(2), trials);
  int near = 0, moved = 0;
  for (int k = 0; k < 400; ++k) {
    FrozenTrial child;
    child.number = 4 + k;
    child.trial_id = 4 + k;
    const double x = sampler.sample_relative(history, child, {{"x", d}}).at("x");
    near += std::abs(x - 0.5) <= 0.2;
    moved += x != 0.5;
  }
  EXPECT_GT(near, 380);
  EXPECT_GT(moved, 390);
}

TEST(Nsga2PolynomialMutation, ConstrainedFinalGenerationMostlyFeasible) {
  NSGAIISamplerOptions o;
  o.population_size = 20;
  o.mutation = "polynomial";
  o.seed = 0;
  auto study = make_study(std::make_unique<NSGAIISampler>(o), minimize(2));
  study->optimize(
      [](Trial& t) -> std::vector<double> {
        const double x = t.suggest_float("x", -5.0, 5.0), y = t.suggest_float("y", -5.0, 5.0);
        t.set_system_attr("constraints", nlohmann::json::array({1.0 - x}));
        return {x * x + y * y, (x - 2) * (x - 2) + y * y};
      },
      {.n_trials = 200});
  const auto trials = study->get_trials();
  int last = 0, last_feasible = 0;
  for (const auto& t : trials)
    if (t.number >= 180) {
      ++last;
      last_feasible += is_feasible(t);
    }
  std::cout << "[ figures  ] nsga2 polynomial, constrained: feasible in the last generation " << last_feasible << " / "
            << last << "\n";
  EXPECT_GE(last_feasible, 16);  // random search: 40%
  const auto pop = NSGAIISampler::select_population(trials, minimize(2), 20);
  int pop_feasible = 0;
  for (const auto& m : pop) pop_feasible += is_feasible(trials[m.number]);
  EXPECT_EQ(pop_feasible, 20);
}

}  // namespace
}  // namespace autoglm
