// Parameter importance (include/autoglm/importance.h): fANOVA and PED-ANOVA on closed-form
// objectives whose importances are known, input errors, determinism, and parity with Optuna
// 3.1's FanovaImportanceEvaluator (tests/data/importance_optuna.json, written by
// scripts/gen_importance_expected.py).
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/error.h"
#include "autoglm/importance.h"
#include "common/importance_study_json.h"

namespace autoglm {
namespace {

using Params = std::map<std::string, double>;

FrozenTrial make_trial(int number, const SearchSpace& space, const Params& params, std::vector<double> values,
                       TrialState state = TrialState::COMPLETE) {
  FrozenTrial t;
  t.trial_id = number;
  t.number = number;
  t.state = state;
  t.values = std::move(values);
  for (const auto& [name, v] : params) {
    t.params[name] = v;
    t.distributions[name] = space.at(name);
  }
  return t;
}

// n trials with x, y, z uniform on [0, 1] and value f(x, y, z).
std::vector<FrozenTrial> uniform_study(int n, uint64_t seed, const std::function<double(double, double, double)>& f) {
  SearchSpace space{{"x", FloatDistribution{0.0, 1.0}}, {"y", FloatDistribution{0.0, 1.0}},
                    {"z", FloatDistribution{0.0, 1.0}}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int k = 0; k < n; ++k) {
    const double x = u(rng), y = u(rng), z = u(rng);
    trials.push_back(make_trial(k, space, {{"x", x}, {"y", y}, {"z", z}}, {f(x, y, z)}));
  }
  return trials;
}

std::map<std::string, double> as_map(const ImportanceResult& r) {
  return {r.importances.begin(), r.importances.end()};
}
std::vector<std::string> ranking(const ImportanceResult& r) {
  std::vector<std::string> names;
  for (const auto& [name, v] : r.importances) names.push_back(name);
  return names;
}
double sum(const ImportanceResult& r) {
  double s = 0.0;
  for (const auto& [name, v] : r.importances) s += v;
  return s;
}
double pair_of(const ImportanceResult& r, const std::string& a, const std::string& b) {
  const auto& p = r.interaction_params;
  const size_t i = std::find(p.begin(), p.end(), a) - p.begin(), j = std::find(p.begin(), p.end(), b) - p.begin();
  EXPECT_LT(i, p.size());
  EXPECT_LT(j, p.size());
  return r.interactions.at(i).at(j);
}

const std::vector<StudyDirection> kMin{StudyDirection::MINIMIZE};

TEST(ImportanceTest, EvaluatorNames) {
  EXPECT_EQ(to_string(ImportanceEvaluator::FANOVA), "fanova");
  EXPECT_EQ(to_string(ImportanceEvaluator::PED_ANOVA), "ped_anova");
  EXPECT_EQ(importance_evaluator_from_string("fANOVA"), ImportanceEvaluator::FANOVA);
  EXPECT_EQ(importance_evaluator_from_string("ped-anova"), ImportanceEvaluator::PED_ANOVA);
  EXPECT_EQ(importance_evaluator_from_string("PedAnova"), ImportanceEvaluator::PED_ANOVA);
  EXPECT_EQ(importance_evaluator_from_string("ped_anova"), ImportanceEvaluator::PED_ANOVA);
  EXPECT_THROW(importance_evaluator_from_string("shap"), ConfigError);
}

TEST(FanovaTest, AdditiveRanksAndMagnitudes) {
  const auto trials = uniform_study(200, 1, [](double x, double y, double) { return 10 * x + y; });
  const ImportanceResult r = evaluate_importance(trials, kMin);
  EXPECT_EQ(r.evaluator, ImportanceEvaluator::FANOVA);
  EXPECT_EQ(r.n_trials, 200);
  EXPECT_THAT(ranking(r), ::testing::ElementsAre("x", "y", "z"));
  const auto m = as_map(r);
  // Exact fANOVA of 10x + y: 100/101 and 1/101; the forest smooths the small y effect away.
  EXPECT_GT(m.at("x"), 0.9);
  EXPECT_GT(m.at("y"), 0.001);  // forests underestimate it (Optuna 3.1: ~0.003)
  EXPECT_LT(m.at("z"), 0.02);
  EXPECT_NEAR(sum(r), 1.0, 1e-12);
  EXPECT_TRUE(r.interactions.empty());
}

TEST(FanovaTest, ProductHasInteractionAdditiveHasNone) {
  ImportanceOptions opt;
  opt.interactions = true;
  // x * y on [0,1]^2: V = 7/144, V_x = V_y = 1/48 (3/7 each), pure pair 1/144 (1/7).
  const auto prod = evaluate_importance(uniform_study(300, 2, [](double x, double y, double) { return x * y; }), kMin, opt);
  ASSERT_EQ(prod.interactions.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(prod.interactions[i][j], prod.interactions[j][i]);
  const double pxy = pair_of(prod, "x", "y");
  EXPECT_GT(pxy, 0.05);
  EXPECT_LT(pxy, 0.35);
  EXPECT_LT(pair_of(prod, "x", "z"), 0.03);
  EXPECT_GT(pair_of(prod, "x", "x"), 0.25);  // diagonal: unnormalised main effect
  const auto add = evaluate_importance(uniform_study(300, 2, [](double x, double y, double) { return x + y; }), kMin, opt);
  EXPECT_LT(pair_of(add, "x", "y"), 0.03);
  EXPECT_GT(pxy, 4 * pair_of(add, "x", "y"));
}

TEST(FanovaTest, SeedDeterminism) {
  const auto trials = uniform_study(150, 3, [](double x, double y, double z) { return 10 * x + 3 * y + 0.0 * z; });
  ImportanceOptions a;
  a.seed = 7;
  a.interactions = true;
  const auto r1 = evaluate_importance(trials, kMin, a);
  const auto r2 = evaluate_importance(trials, kMin, a);
  EXPECT_EQ(r1.importances, r2.importances);
  EXPECT_EQ(r1.interactions, r2.interactions);
  ImportanceOptions b = a;
  b.seed = 8;
  const auto r3 = evaluate_importance(trials, kMin, b);
  EXPECT_NE(r1.importances, r3.importances);
  EXPECT_EQ(ranking(r1), ranking(r3));
}

// lr (log float), layers (int), opt (categorical), fixed (single-valued categorical).
std::vector<FrozenTrial> mixed_study(int n, uint64_t seed) {
  SearchSpace space{{"lr", FloatDistribution{1e-5, 1e-1, true}},
                    {"layers", IntDistribution{1, 8}},
                    {"opt", CategoricalDistribution{{std::string("adam"), std::string("sgd"), std::string("rmsprop")}}},
                    {"fixed", CategoricalDistribution{{std::string("only")}}}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int k = 0; k < n; ++k) {
    const double lr = std::exp(std::log(1e-5) + u(rng) * (std::log(1e-1) - std::log(1e-5)));
    const double layers = 1 + std::floor(u(rng) * 8);
    const double opt = std::floor(u(rng) * 3);
    const double v = 8.0 * (opt == 1) + 20.0 * lr + 0.05 * layers;
    trials.push_back(make_trial(k, space, {{"lr", lr}, {"layers", layers}, {"opt", opt}, {"fixed", 0.0}}, {v}));
  }
  return trials;
}

TEST(FanovaTest, CategoricalLogAndIntParams) {
  const auto trials = mixed_study(300, 4);
  const auto r = evaluate_importance(trials, kMin);
  ASSERT_EQ(r.importances.size(), 4u);
  EXPECT_THAT(ranking(r), ::testing::ElementsAre("opt", "lr", "layers", "fixed"));
  const auto m = as_map(r);
  EXPECT_EQ(m.at("fixed"), 0.0);
  EXPECT_GT(m.at("opt"), 0.5);
  EXPECT_LT(m.at("layers"), 0.05);
  EXPECT_NEAR(sum(r), 1.0, 1e-12);
}

TEST(FanovaTest, ManyChoiceCategoricals) {
  // 40 and 25 choices: the one-hot groups' product grids (2^40 cells) are out of reach, so the
  // marginals go through pairwise box overlaps; must stay exact-ish and fast.
  std::vector<ParamValue> c40, c25;
  for (int k = 0; k < 40; ++k) c40.emplace_back(static_cast<int64_t>(k));
  for (int k = 0; k < 25; ++k) c25.emplace_back(static_cast<int64_t>(k));
  SearchSpace space{{"a", CategoricalDistribution{c40}}, {"b", CategoricalDistribution{c25}}, {"x", FloatDistribution{0.0, 1.0}}};
  std::mt19937_64 rng(14);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int k = 0; k < 400; ++k) {
    const double a = std::floor(u(rng) * 40), b = std::floor(u(rng) * 25), x = u(rng);
    trials.push_back(make_trial(k, space, {{"a", a}, {"b", b}, {"x", x}}, {std::fmod(a * 7, 40.0) / 4 + (b == 3) * 3 + x}));
  }
  ImportanceOptions o;
  o.interactions = true;
  o.n_trees = 16;
  const auto r = evaluate_importance(trials, kMin, o);
  EXPECT_EQ(r.importances.front().first, "a");
  EXPECT_NEAR(sum(r), 1.0, 1e-12);
  for (const auto& row : r.interactions)
    for (double v : row) EXPECT_TRUE(std::isfinite(v) && v >= 0.0);
}

TEST(FanovaTest, ConstantObjectiveGivesZeros) {
  const auto trials = uniform_study(20, 5, [](double, double, double) { return 3.0; });
  for (auto e : {ImportanceEvaluator::FANOVA, ImportanceEvaluator::PED_ANOVA}) {
    ImportanceOptions o;
    o.evaluator = e;
    const auto r = evaluate_importance(trials, kMin, o);
    ASSERT_EQ(r.importances.size(), 3u);
    for (const auto& [name, v] : r.importances) EXPECT_EQ(v, 0.0) << name;
  }
}

TEST(ImportanceTest, SkipsUnfinishedAndNonFiniteTrials) {
  auto trials = uniform_study(50, 6, [](double x, double, double) { return x; });
  SearchSpace space{{"x", FloatDistribution{0.0, 1.0}}, {"y", FloatDistribution{0.0, 1.0}},
                    {"z", FloatDistribution{0.0, 1.0}}};
  trials.push_back(make_trial(50, space, {{"x", 0.5}, {"y", 0.5}, {"z", 0.5}}, {NAN}));
  trials.push_back(make_trial(51, space, {{"x", 0.5}, {"y", 0.5}, {"z", 0.5}}, {INFINITY}));
  trials.push_back(make_trial(52, space, {{"x", 0.5}, {"y", 0.5}, {"z", 0.5}}, {1.0}, TrialState::PRUNED));
  trials.push_back(make_trial(53, space, {{"x", 0.5}}, {1.0}, TrialState::FAIL));
  const auto r = evaluate_importance(trials, kMin);
  EXPECT_EQ(r.n_trials, 50);
  EXPECT_EQ(r.importances.front().first, "x");
}

TEST(ImportanceTest, Errors) {
  const auto trials = uniform_study(30, 7, [](double x, double, double) { return x; });
  const std::vector<FrozenTrial> one(trials.begin(), trials.begin() + 1);
  EXPECT_THROW(evaluate_importance(one, kMin), ConfigError);
  EXPECT_THROW(evaluate_importance({}, kMin), ConfigError);
  ImportanceOptions o;
  o.objective_index = 1;
  try {
    evaluate_importance(trials, kMin, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("objective_index"));
  }
  o.objective_index = -1;
  EXPECT_THROW(evaluate_importance(trials, kMin, o), ConfigError);
  ImportanceOptions p;
  p.params = std::vector<std::string>{"x", "nope"};
  try {
    evaluate_importance(trials, kMin, p);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("'nope'"));
  }
  ImportanceOptions q;
  q.baseline_quantile = 0.0;
  q.evaluator = ImportanceEvaluator::PED_ANOVA;
  EXPECT_THROW(evaluate_importance(trials, kMin, q), ConfigError);
  // A corrupt categorical index (internal value outside the choices) is reported, not indexed.
  SearchSpace cs{{"c", CategoricalDistribution{{std::string("a"), std::string("b")}}}};
  std::vector<FrozenTrial> bad{make_trial(0, cs, {{"c", 0.0}}, {1.0}), make_trial(1, cs, {{"c", 5.0}}, {2.0})};
  for (auto e : {ImportanceEvaluator::FANOVA, ImportanceEvaluator::PED_ANOVA}) {
    ImportanceOptions be;
    be.evaluator = e;
    EXPECT_THROW(evaluate_importance(bad, kMin, be), ConfigError);
  }
  ImportanceOptions t;
  t.n_trees = 0;
  EXPECT_THROW(evaluate_importance(trials, kMin, t), ConfigError);
  EXPECT_THROW(evaluate_importance(trials, {}, {}), ConfigError);
}

TEST(ImportanceTest, ParamsRestrictsAndIntersection) {
  auto trials = uniform_study(60, 8, [](double x, double y, double) { return 10 * x + y; });
  ImportanceOptions o;
  o.params = std::vector<std::string>{"y", "z"};
  const auto r = evaluate_importance(trials, kMin, o);
  ASSERT_EQ(r.importances.size(), 2u);
  EXPECT_EQ(r.importances.front().first, "y");
  // A parameter missing from one trial leaves the default (intersection) search space.
  trials[3].params.erase("z");
  trials[3].distributions.erase("z");
  const auto s = evaluate_importance(trials, kMin);
  EXPECT_EQ(s.importances.size(), 2u);
  EXPECT_EQ(s.n_trials, 60);
  // Asked explicitly, it restricts the trials instead (as Optuna).
  ImportanceOptions z;
  z.params = std::vector<std::string>{"x", "z"};
  EXPECT_EQ(evaluate_importance(trials, kMin, z).n_trials, 59);
}

TEST(ImportanceTest, MultiObjectiveIndex) {
  const auto base = uniform_study(200, 9, [](double, double, double) { return 0.0; });
  std::vector<FrozenTrial> trials;
  for (FrozenTrial t : base) {
    const double x = t.params.at("x"), y = t.params.at("y");
    t.values = {x, 5 * y};
    trials.push_back(t);
  }
  const std::vector<StudyDirection> dirs{StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE};
  for (auto e : {ImportanceEvaluator::FANOVA, ImportanceEvaluator::PED_ANOVA}) {
    ImportanceOptions o;
    o.evaluator = e;
    EXPECT_EQ(evaluate_importance(trials, dirs, o).importances.front().first, "x");
    o.objective_index = 1;
    EXPECT_EQ(evaluate_importance(trials, dirs, o).importances.front().first, "y");
  }
}

// ---- PED-ANOVA ----

TEST(PedAnovaTest, AdditiveRanks) {
  ImportanceOptions o;
  o.evaluator = ImportanceEvaluator::PED_ANOVA;
  const auto trials = uniform_study(1000, 10, [](double x, double y, double) { return 10 * x + y; });
  const auto r = evaluate_importance(trials, kMin, o);
  EXPECT_EQ(r.evaluator, ImportanceEvaluator::PED_ANOVA);
  EXPECT_THAT(ranking(r), ::testing::ElementsAre("x", "y", "z"));
  const auto m = as_map(r);
  EXPECT_GT(m.at("x"), 0.8);
  EXPECT_NEAR(sum(r), 1.0, 1e-12);
  // 200 trials (20 good ones): x still dominates.
  const auto small = evaluate_importance(uniform_study(200, 1, [](double x, double y, double) { return 10 * x + y; }), kMin, o);
  EXPECT_EQ(small.importances.front().first, "x");
  EXPECT_GT(as_map(small).at("x"), 0.7);
}

TEST(PedAnovaTest, DirectionChoosesTheGoodSet) {
  // Only large x is good when maximizing x * (x > 0.8) + 0 * y; minimizing sees a flat region.
  const auto trials = uniform_study(500, 11, [](double x, double y, double) { return x > 0.8 ? x : 0.1 * y; });
  ImportanceOptions o;
  o.evaluator = ImportanceEvaluator::PED_ANOVA;
  const auto mx = evaluate_importance(trials, {StudyDirection::MAXIMIZE}, o);
  EXPECT_EQ(mx.importances.front().first, "x");
  const auto mn = evaluate_importance(trials, {StudyDirection::MINIMIZE}, o);
  EXPECT_EQ(mn.importances.front().first, "y");
}

TEST(PedAnovaTest, TiesAtTheCutoffAreAllGood) {
  // value 1, 2 or 3 is decided by categorical a alone; b has no effect. 11 of 30 trials tie at
  // the best value: taking only the first ceil(0.1 n) = 3 of them (by trial order) would make b's
  // sample of the good set look different from its overall spread.
  const SearchSpace space{{"a", CategoricalDistribution{{std::string("p"), std::string("q"), std::string("r")}}},
                          {"b", CategoricalDistribution{{std::string("u"), std::string("v")}}}};
  std::vector<FrozenTrial> trials;
  for (int k = 0; k < 30; ++k) {
    const int a = k < 11 ? 0 : 1 + k % 2;
    const int b = (k * 7 / 3) % 2;
    trials.push_back(make_trial(k, space, {{"a", a}, {"b", b}}, {1.0 + a}));
  }
  ImportanceOptions o;
  o.evaluator = ImportanceEvaluator::PED_ANOVA;
  const auto r = evaluate_importance(trials, kMin, o);
  EXPECT_EQ(r.importances.front().first, "a");
  EXPECT_LT(as_map(r).at("b"), 0.05) << "b's good-set distribution equals its overall one";
}

TEST(PedAnovaTest, InteractionsAndMixedParams) {
  ImportanceOptions o;
  o.evaluator = ImportanceEvaluator::PED_ANOVA;
  o.interactions = true;
  const auto prod = evaluate_importance(uniform_study(1000, 12, [](double x, double y, double) { return x * y; }), kMin, o);
  ASSERT_EQ(prod.interactions.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < 3; ++j) EXPECT_DOUBLE_EQ(prod.interactions[i][j], prod.interactions[j][i]);
  EXPECT_GT(pair_of(prod, "x", "y"), 5 * pair_of(prod, "x", "z"));
  EXPECT_GT(pair_of(prod, "x", "y"), 0.0);

  // PED-ANOVA asks what sets the best 10% apart, not what explains the global variance (where
  // fANOVA puts opt first): every good trial avoids sgd (D_opt ~ 0.5), but among those the
  // ranking is decided by 0.05 * layers, so good trials have layers in {1, 2} (D_layers ~ 3).
  const auto mixed = evaluate_importance(mixed_study(500, 13), kMin, o);
  EXPECT_EQ(mixed.importances.front().first, "layers");
  EXPECT_GT(as_map(mixed).at("layers"), 0.4);
  EXPECT_GT(as_map(mixed).at("opt"), 0.1);
  EXPECT_GT(as_map(mixed).at("lr"), 0.05);
  EXPECT_EQ(as_map(mixed).at("fixed"), 0.0);
  EXPECT_NEAR(sum(mixed), 1.0, 1e-12);
  // Global baseline (uniform over the domain) also works and is deterministic.
  o.evaluate_on_local = false;
  const auto g1 = evaluate_importance(mixed_study(500, 13), kMin, o);
  EXPECT_EQ(g1.importances.front().first, "layers");
  EXPECT_EQ(g1.importances, evaluate_importance(mixed_study(500, 13), kMin, o).importances);
}

// ---- Parity with Optuna 3.1 ----

TEST(FanovaParityTest, MatchesOptuna31) {
  std::ifstream in(std::string(AUTOGLM_SOURCE_DIR) + "/tests/data/importance_optuna.json");
  ASSERT_TRUE(in) << "missing tests/data/importance_optuna.json (scripts/gen_importance_expected.py)";
  const nlohmann::json j = nlohmann::json::parse(in);
  ASSERT_EQ(j.at("optuna_version"), "3.1.0");
  ASSERT_GE(j.at("studies").size(), 3u);
  for (const auto& s : j.at("studies")) {
    const std::string name = s.at("name");
    SCOPED_TRACE(name);
    const std::vector<StudyDirection> dirs = testing_util::directions_from_json(s.at("directions"));
    const std::vector<FrozenTrial> trials = testing_util::trials_from_json(s.at("trials"));
    ImportanceOptions o;
    o.objective_index = s.at("objective_index");
    const auto r = evaluate_importance(trials, dirs, o);
    const auto ours = as_map(r);
    const auto& expected = s.at("importances").at("0");
    const size_t top_k = s.at("top_k");
    ASSERT_EQ(r.importances.size(), expected.size());
    for (size_t k = 0; k < top_k; ++k) EXPECT_EQ(r.importances[k].first, expected[k][0].get<std::string>()) << "rank " << k;
    for (const auto& e : expected) {
      const std::string p = e[0];
      // Measured: |ours - Optuna| < 0.01 on every parameter; Optuna's own values move by up to
      // 0.017 between its seeds 0, 1, 2 (recorded in the JSON), so 0.03 is forest noise, not drift.
      EXPECT_NEAR(ours.at(p), e[1].get<double>(), 0.03) << p;
    }
  }
}

}  // namespace
}  // namespace autoglm
