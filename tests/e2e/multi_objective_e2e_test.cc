// End-to-end multi-objective studies through the real `autoglm` binary: a command reporting
// named metrics with a constraint, an AHP-weighted score re-ranked with `best --weights`, and a
// built-in ZDT1 study with NSGA-II.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/objectives.h"
#include "autoglm/pareto.h"
#include "e2e/e2e_util.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using autoglm_e2e::kAutoglm;
using autoglm_e2e::Result;

// A "training run": f1 peaks at x = 0.7, latency grows with size, size = 100 x.
const char* kScript = R"(#!/bin/sh
x=$1
awk -v x="$x" 'BEGIN {
  f1 = 0.95 - (x - 0.7) * (x - 0.7);
  lat = 1 + 4 * x;
  printf "{\"metrics\": {\"f1\": %.6f, \"latency_ms\": %.6f, \"size\": %.6f, \"accuracy\": %.6f}}\n", f1, lat, 100 * x, f1 - 0.01
}' >&3
)";

class MultiObjectiveE2E : public autoglm_e2e::TempDirTest {
 protected:
  MultiObjectiveE2E() : TempDirTest("autoglm-mo-e2e-") {}
  void SetUp() override {
    TempDirTest::SetUp();
    write("train.sh", kScript);
    fs::permissions(dir_ / "train.sh", fs::perms::owner_all);
  }
  json trials_json(const std::string& study) {
    Result r = run({"trials", "--study", study, "--storage", db_, "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
  }

};

TEST_F(MultiObjectiveE2E, NamedMetricsConstraintAndParetoFront) {
  write("mo.yaml",
        "study: mo\nn_trials: 14\nseed: 0\nsampler: {name: tpe, n_startup_trials: 5}\n"
        "directions: [maximize, minimize]\n"
        "space:\n  x: {type: float, low: 0.0, high: 1.0}\n"
        "objective: {command: \"./train.sh {x}\", metric: [f1, latency_ms]}\n"
        "constraints:\n  - {metric: size, max: 80}\n");
  Result r = run({"tune", "mo.yaml", "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("14 COMPLETE"));
  EXPECT_THAT(r.out, HasSubstr("Pareto front:"));
  EXPECT_THAT(r.err, HasSubstr(" f1="));

  // Every stored trial has both values, the raw metrics and its constraint value (size - 80).
  json all = trials_json("mo");
  ASSERT_EQ(all.size(), 14u);
  std::vector<std::vector<double>> feasible_points;
  std::vector<int> feasible_numbers;
  for (const auto& t : all) {
    ASSERT_EQ(t.at("values").size(), 2u) << t.dump();
    const double x = t.at("params").at("x").get<double>();
    EXPECT_NEAR(t.at("values")[0].get<double>(), 0.95 - (x - 0.7) * (x - 0.7), 1e-5);
    EXPECT_NEAR(t.at("values")[1].get<double>(), 1 + 4 * x, 1e-5);
    const double c = t.at("constraints")[0].get<double>();
    EXPECT_NEAR(c, 100 * x - 80, 1e-4);
    EXPECT_EQ(t.at("feasible").get<bool>(), c <= 0);
    if (c <= 0) {
      feasible_points.push_back({-t.at("values")[0].get<double>(), t.at("values")[1].get<double>()});
      feasible_numbers.push_back(t.at("number").get<int>());
    }
  }
  ASSERT_FALSE(feasible_points.empty());
  // `best --format json` is exactly the feasible non-dominated set.
  std::vector<int> expected;
  for (size_t i : autoglm::pareto_front_indices(feasible_points)) expected.push_back(feasible_numbers[i]);
  Result best = run({"best", "--study", "mo", "--storage", db_, "--format", "json"});
  ASSERT_EQ(best.code, 0) << best.err;
  std::vector<int> got;
  for (const auto& t : json::parse(best.out)) got.push_back(t.at("number").get<int>());
  EXPECT_EQ(got, expected);

  Result text = run({"best", "--study", "mo", "--storage", db_});
  EXPECT_THAT(text.out, HasSubstr("Pareto front of study 'mo'"));
  EXPECT_THAT(text.out, HasSubstr("max f1, min latency_ms"));
  Result table = run({"trials", "--study", "mo", "--storage", db_});
  EXPECT_THAT(table.out, HasSubstr("f1"));
  EXPECT_THAT(table.out, HasSubstr("latency_ms"));
  EXPECT_THAT(table.out, HasSubstr("feasible"));

  // Re-weighting the objectives: all weight on f1 picks the feasible trial with the best f1.
  Result w = run({"best", "--study", "mo", "--storage", db_, "--weights", "f1=1,latency_ms=0", "--top", "1",
                  "--format", "json"});
  ASSERT_EQ(w.code, 0) << w.err;
  double best_f1 = -1;
  for (const auto& p : feasible_points) best_f1 = std::max(best_f1, -p[0]);
  json top = json::parse(w.out).at("trials");
  ASSERT_EQ(top.size(), 1u);
  EXPECT_DOUBLE_EQ(top[0].at("values")[0].get<double>(), best_f1);
  Result bad = run({"best", "--study", "mo", "--storage", db_, "--weights", "f2=1"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_THAT(bad.err, HasSubstr("unknown metric 'f2'"));
  EXPECT_EQ(run({"best", "--study", "mo", "--storage", db_, "--top", "3"}).code, 2);  // --top needs --weights

  // Resuming with other metrics would relabel the stored values: refused, nothing added.
  write("mo2.yaml",
        "study: mo\nn_trials: 16\ndirections: [maximize, minimize]\nsampler: tpe\n"
        "space:\n  x: {type: float, low: 0.0, high: 1.0}\n"
        "objective: {command: \"./train.sh {x}\", metric: [f1, size]}\n"
        "constraints:\n  - {metric: size, max: 80}\n");
  Result resumed = run({"tune", "mo2.yaml", "--storage", db_});
  EXPECT_EQ(resumed.code, 2);
  EXPECT_THAT(resumed.err, HasSubstr("study 'mo' was tuned with objectives [\"f1\",\"latency_ms\"]"));
  EXPECT_EQ(trials_json("mo").size(), 14u);

  // Every trial infeasible: the Pareto front is empty, which `best` says with exit status 2.
  write("tight.yaml",
        "study: tight\nn_trials: 3\ndirections: [maximize, minimize]\n"
        "space:\n  x: {type: float, low: 0.5, high: 1.0}\n"
        "objective: {command: \"./train.sh {x}\", metric: [f1, latency_ms]}\n"
        "constraints:\n  - {metric: size, max: 10}\n");
  ASSERT_EQ(run({"tune", "tight.yaml", "--storage", db_}).code, 0);
  Result empty = run({"best", "--study", "tight", "--storage", db_});
  EXPECT_EQ(empty.code, 2);
  EXPECT_THAT(empty.err, HasSubstr("none is feasible"));
}

TEST_F(MultiObjectiveE2E, AhpScoreIsMaximizedAndRawMetricsCanBeReweighted) {
  write("ahp.yaml",
        "study: ahp\nn_trials: 10\nseed: 1\nsampler: {name: tpe, n_startup_trials: 4}\n"
        "space:\n  x: {type: float, low: 0.0, high: 1.0}\n"
        "objective: \"./train.sh {x}\"\n"
        "scoring:\n  metrics:\n"
        "    - {name: f1, direction: maximize, bounds: [0.4, 1.0]}\n"
        "    - {name: latency_ms, direction: minimize, bounds: [1, 5]}\n"
        "  ahp: [[1, 3], [\"1/3\", 1]]\n");
  Result r = run({"tune", "ahp.yaml", "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("maximizing the weighted score of f1 0.75, latency_ms 0.25"));
  EXPECT_THAT(r.out, HasSubstr("weights: f1 0.75, latency_ms 0.25"));
  // The stored value is the score of the raw metrics, which stay stored as user attrs.
  for (const auto& t : trials_json("ahp")) {
    const double f1 = t.at("user_attrs").at("f1").get<double>();
    const double lat = t.at("user_attrs").at("latency_ms").get<double>();
    const double expect = 0.75 * std::clamp((f1 - 0.4) / 0.6, 0.0, 1.0) + 0.25 * std::clamp((5 - lat) / 4, 0.0, 1.0);
    EXPECT_NEAR(t.at("values")[0].get<double>(), expect, 1e-9);
  }
  // All weight on latency: the smallest x wins.
  Result w = run({"best", "--study", "ahp", "--storage", db_, "--weights", "latency_ms=1", "--format", "json"});
  ASSERT_EQ(w.code, 0) << w.err;
  json ranked = json::parse(w.out).at("trials");
  double min_x = 2;
  for (const auto& t : trials_json("ahp")) min_x = std::min(min_x, t.at("params").at("x").get<double>());
  EXPECT_DOUBLE_EQ(ranked[0].at("params").at("x").get<double>(), min_x);
}

TEST_F(MultiObjectiveE2E, BuiltinZdt1WithNsga2) {
  std::string space;
  for (int i = 0; i < 5; ++i) space += "  x" + std::to_string(i) + ": {type: float, low: 0.0, high: 1.0}\n";
  write("zdt.yaml", "study: zdt\nn_trials: 40\nseed: 3\nsampler: {name: nsga2, population_size: 10}\nspace:\n" + space +
                        "objective: {function: zdt1}\n");
  Result r = run({"tune", "zdt.yaml", "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("built-in function zdt1 (d=5, 2 objectives, in-process)"));
  const auto zdt1 = autoglm::objectives::make_multi_problem("zdt1", 5);
  Result best = run({"best", "--study", "zdt", "--storage", db_, "--format", "json"});
  ASSERT_EQ(best.code, 0) << best.err;
  json front = json::parse(best.out);
  ASSERT_FALSE(front.empty());
  for (const auto& t : front) {
    std::vector<double> x;
    for (int i = 0; i < 5; ++i) x.push_back(t.at("params").at("x" + std::to_string(i)).get<double>());
    const auto f = zdt1(x);
    EXPECT_DOUBLE_EQ(t.at("values")[0].get<double>(), f[0]);
    EXPECT_DOUBLE_EQ(t.at("values")[1].get<double>(), f[1]);
  }
  // A pruner in a multi-objective config is refused before anything is stored.
  write("zdt-pruned.yaml", "study: zdt2\npruner: median\nspace:\n" + space + "objective: {function: zdt1}\n");
  Result refused = run({"tune", "zdt-pruned.yaml", "--storage", db_});
  EXPECT_EQ(refused.code, 2);
  EXPECT_THAT(refused.err, HasSubstr("cannot be used with a multi-objective study"));
  EXPECT_THAT(run({"studies", "--storage", db_}).out, Not(HasSubstr("zdt2")));
}

}  // namespace
