// GridSampler: every grid point once (sequential and parallel), seeded order, taken points from
// history, exhaustion fallback, errors, factory options.
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

GridSamplerOptions grid_3x2(std::optional<uint64_t> seed = 0) {
  GridSamplerOptions o;
  o.search_space["x"] = {int64_t{1}, int64_t{2}, int64_t{3}};
  o.search_space["opt"] = {std::string("sgd"), std::string("adamw")};
  o.seed = seed;
  return o;
}

std::unique_ptr<Study> grid_study(GridSamplerOptions o) {
  return create_study({.storage = open_storage(":memory:"), .sampler = std::make_unique<GridSampler>(std::move(o))});
}

double objective(Trial& t) {
  auto x = t.suggest_int("x", 0, 10);
  auto opt = t.suggest_categorical("opt", std::vector<std::string>{"adamw", "sgd", "lion"});
  return static_cast<double>(x) + (opt == "sgd" ? 0.5 : 0.0);
}

std::multiset<std::string> visited(Study& s) {
  std::multiset<std::string> out;
  for (const auto& t : s.trials())
    out.insert(std::to_string(std::get<int64_t>(t.param("x"))) + "/" + std::get<std::string>(t.param("opt")));
  return out;
}

const std::multiset<std::string> kAll = {"1/sgd", "1/adamw", "2/sgd", "2/adamw", "3/sgd", "3/adamw"};

TEST(GridSampler, VisitsEveryPointOnce) {
  auto study = grid_study(grid_3x2());
  study->optimize(objective, {.n_trials = 6});
  EXPECT_EQ(visited(*study), kAll);
}

TEST(GridSampler, ParallelWorkersVisitEveryPointOnce) {
  GridSamplerOptions o;
  for (int i = 0; i < 5; ++i) o.search_space["a"].push_back(int64_t{i});
  for (int i = 0; i < 8; ++i) o.search_space["b"].push_back(static_cast<double>(i) / 8);
  o.seed = 3;
  auto study = grid_study(o);
  study->optimize(
      [](Trial& t) {
        auto a = t.suggest_int("a", 0, 4);
        double b = t.suggest_float("b", 0.0, 1.0);
        return static_cast<double>(a) + b;
      },
      {.n_trials = 40, .n_jobs = 4});
  std::set<std::pair<int64_t, double>> seen;
  for (const auto& t : study->trials())
    EXPECT_TRUE(seen.emplace(std::get<int64_t>(t.param("a")), std::get<double>(t.param("b"))).second);
  EXPECT_EQ(seen.size(), 40u);
}

TEST(GridSampler, SeedShufflesOrderReproducibly) {
  auto order = [](uint64_t seed) {
    GridSamplerOptions o;
    for (int i = 0; i < 20; ++i) o.search_space["v"].push_back(int64_t{i});
    o.seed = seed;
    auto study = grid_study(o);
    study->optimize([](Trial& t) { return static_cast<double>(t.suggest_int("v", 0, 19)); }, {.n_trials = 20});
    std::vector<int64_t> out;
    for (const auto& t : study->trials()) out.push_back(std::get<int64_t>(t.param("v")));
    return out;
  };
  auto a = order(1), b = order(1), c = order(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 20u);
}

TEST(GridSampler, PointsTakenByEarlierTrialsOfAnyStateAreSkipped) {
  // A study resumed by another process: the grid points of FAIL, RUNNING and COMPLETE trials
  // with matching params are taken.
  GridSampler s(grid_3x2());
  const Distribution dx = IntDistribution{0, 10};
  const Distribution dopt = CategoricalDistribution{{std::string("adamw"), std::string("sgd"), std::string("lion")}};
  std::vector<FrozenTrial> history;
  auto add = [&](int number, TrialState state, int64_t x, double opt) {
    FrozenTrial t;
    t.trial_id = number;
    t.number = number;
    t.state = state;
    t.params = {{"x", static_cast<double>(x)}, {"opt", opt}};
    t.distributions = {{"x", dx}, {"opt", dopt}};
    history.push_back(t);
  };
  add(0, TrialState::COMPLETE, 1, 1);  // 1/sgd
  add(1, TrialState::FAIL, 2, 0);      // 2/adamw
  add(2, TrialState::RUNNING, 3, 1);   // 3/sgd
  add(3, TrialState::PRUNED, 3, 0);    // 3/adamw
  add(4, TrialState::COMPLETE, 7, 2);  // not a grid point: ignored
  HistoryView view("s", {StudyDirection::MINIMIZE}, history);
  std::set<std::pair<double, double>> got;
  for (int n = 5; n < 7; ++n) {
    FrozenTrial t;
    t.trial_id = n;
    t.number = n;
    got.emplace(s.sample_independent(view, t, "x", dx), s.sample_independent(view, t, "opt", dopt));
  }
  EXPECT_EQ(got, (std::set<std::pair<double, double>>{{1.0, 0.0}, {2.0, 1.0}}));  // 1/adamw, 2/sgd
}

TEST(GridSampler, ExhaustedGridStopsOptimizeAndFurtherTrialsWarnOnceAndRevisit) {
  auto study = grid_study(grid_3x2());
  ::testing::internal::CaptureStderr();
  study->optimize(objective, {.n_trials = 9});  // Optuna: the study stops once the grid is covered
  EXPECT_EQ(visited(*study), kAll);
  EXPECT_TRUE(study->sampler_exhausted());
  // ask() past the end: a random grid point, with one warning.
  for (int i = 0; i < 3; ++i) {
    Trial t = study->ask();
    study->tell(t, objective(t));
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  auto v = visited(*study);
  EXPECT_EQ(v.size(), 9u);
  for (const auto& p : v) EXPECT_TRUE(kAll.count(p)) << p;
  EXPECT_THAT(err, ::testing::HasSubstr("are taken"));
  EXPECT_EQ(err.find("are taken"), err.rfind("are taken")) << "warned more than once: " << err;
}

TEST(GridSampler, ARunningTrialCountsAsCoveringItsPoint) {
  auto study = grid_study(grid_3x2());
  study->optimize(objective, {.n_trials = 5});
  EXPECT_FALSE(study->sampler_exhausted());
  Trial last = study->ask();
  objective(last);  // suggests the sixth point; still RUNNING
  EXPECT_TRUE(study->sampler_exhausted());
  EXPECT_FALSE(create_study({.storage = open_storage(":memory:")})->sampler_exhausted());  // TPE never is
}

TEST(GridSampler, UnknownParameterAndValueOutsideDistributionAreConfigErrors) {
  GridSampler s(grid_3x2());
  HistoryView view("s", {StudyDirection::MINIMIZE}, {});
  FrozenTrial t;
  t.trial_id = 0;
  t.number = 0;
  try {
    s.sample_independent(view, t, "lr", FloatDistribution{0.0, 1.0});
    FAIL() << "unknown parameter accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("'lr'"));
  }
  EXPECT_THROW(s.sample_independent(view, t, "x", IntDistribution{10, 20}), ConfigError);
  EXPECT_THROW(s.sample_independent(view, t, "opt", CategoricalDistribution{{std::string("lion")}}), ConfigError);
  // Through a study, the ConfigError fails the trial and stops optimize.
  auto study = grid_study(grid_3x2());
  EXPECT_THROW(study->optimize([](Trial& t) { return t.suggest_float("lr", 0.0, 1.0); }, {.n_trials = 2}), ConfigError);
}

TEST(GridSampler, FactoryAndRegistry) {
  auto s = make_sampler({{"name", "grid"}, {"search_space", {{"x", {1, 2}}, {"opt", {"a", "b", "c"}}}}, {"seed", 1}});
  EXPECT_EQ(s->name(), "grid");
  EXPECT_EQ(dynamic_cast<GridSampler&>(*s).grid_size(), 6u);
  EXPECT_THAT(registered_samplers(), ::testing::Contains("grid"));
  EXPECT_THROW(make_grid_sampler({{"seed", 1}}), ConfigError);                          // no search_space
  EXPECT_THROW(make_grid_sampler({{"search_space", {{"x", nlohmann::json::array()}}}}), ConfigError);
  EXPECT_THROW(make_grid_sampler({{"search_space", {{"x", 3}}}}), ConfigError);         // not a list
  EXPECT_THROW(make_grid_sampler({{"search_space", {{"x", {1, 1}}}}}), ConfigError);    // duplicate
  EXPECT_THROW(make_grid_sampler({{"search_space", nlohmann::json::object()}}), ConfigError);
  try {
    make_grid_sampler({{"search_spce", {{"x", {1}}}}});
    FAIL() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did you mean 'search_space'"));
  }
}

}  // namespace
}  // namespace autoglm
