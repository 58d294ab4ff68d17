// End-to-end tests of built-in objectives (`objective: {function: branin}`): the real `autoglm`
// binary evaluates the function in-process, and `autoglm best` / `autoglm trials` report values
// that equal the function recomputed from the stored parameters.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/objectives.h"
#include "e2e/e2e_util.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;
using autoglm_e2e::kAutoglm;
using autoglm_e2e::Result;

class BuiltinObjectiveE2E : public autoglm_e2e::TempDirTest {
 protected:
  BuiltinObjectiveE2E() : TempDirTest("autoglm-builtin-e2e-") {}

  static std::vector<double> point(const json& params, int dim) {
    std::vector<double> x;
    for (int i = 0; i < dim; ++i) x.push_back(params.at("x" + std::to_string(i)).get<double>());
    return x;
  }
};

const std::string kBraninSpace =
    "space:\n"
    "  x0: {type: float, low: -5.0, high: 10.0}\n"
    "  x1: {type: float, low: 0.0, high: 15.0}\n";

TEST_F(BuiltinObjectiveE2E, BraninTunesInProcessAndBestMatchesTheFunction) {
  write("branin.yaml",
        "study: branin\n"
        "n_trials: 30\n"
        "seed: 0\n"
        "sampler: {name: tpe}\n"
        "pruner: nop\n" +
            kBraninSpace + "objective: {function: branin}\n");
  Result r = run({"tune", "branin.yaml", "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("built-in function branin"));
  EXPECT_THAT(r.out, HasSubstr("30 COMPLETE, 0 PRUNED, 0 FAIL"));
  EXPECT_THAT(r.out, HasSubstr("best trial #"));
  // In-process: no per-trial log folder next to the database.
  EXPECT_FALSE(fs::exists(dir_ / "study-logs"));

  Result b = run({"best", "--study", "branin", "--storage", db_, "--format", "json"});
  ASSERT_EQ(b.code, 0) << b.err;
  json best = json::parse(b.out);
  EXPECT_EQ(best["state"], "COMPLETE");
  const double value = best["value"].get<double>();
  const auto branin = autoglm::objectives::make_problem("branin", 2);
  EXPECT_LT(value, 2.0) << "30 TPE trials (seed 0) on branin, whose minimum is 0.398";
  EXPECT_GE(value, branin.optimum_value - 1e-9);
  EXPECT_DOUBLE_EQ(value, branin(point(best["params"], 2)));

  // Every trial's value is the function at its parameters.
  Result t = run({"trials", "--study", "branin", "--storage", db_, "--format", "json"});
  ASSERT_EQ(t.code, 0) << t.err;
  json trials = json::parse(t.out);
  ASSERT_EQ(trials.size(), 30u);
  for (const auto& trial : trials) EXPECT_DOUBLE_EQ(trial["value"].get<double>(), branin(point(trial["params"], 2)));
}

TEST_F(BuiltinObjectiveE2E, ShiftedFunctionWithParallelJobsResumes) {
  write("shifted.yaml",
        "study: shifted\n"
        "n_trials: 12\n"
        "n_jobs: 3\n"
        "seed: 1\n"
        "sampler: {name: tpe, n_startup_trials: 5}\n" +
            kBraninSpace +
            "objective:\n"
            "  function: branin\n"
            "  shift_seed: 4\n"
            "  value_name: branin\n"
            "baseline: {x0: 0.0, x1: 5.0}\n");
  Result first = run({"tune", "shifted.yaml", "--storage", db_});
  ASSERT_EQ(first.code, 0) << first.out << first.err;
  EXPECT_THAT(first.out, HasSubstr("12 COMPLETE"));
  EXPECT_THAT(first.out, HasSubstr("vs default configuration"));

  Result again = run({"tune", "shifted.yaml", "--storage", db_, "--n-trials", "20"});
  ASSERT_EQ(again.code, 0) << again.out << again.err;
  EXPECT_THAT(again.err, HasSubstr("resuming with 12 finished trial(s); running 8 more"));
  EXPECT_THAT(again.out, HasSubstr("20 COMPLETE, 0 PRUNED, 0 FAIL (+ baseline)"));

  Result t = run({"trials", "--study", "shifted", "--storage", db_, "--format", "json"});
  ASSERT_EQ(t.code, 0) << t.err;
  json trials = json::parse(t.out);
  ASSERT_EQ(trials.size(), 21u);  // 20 + the baseline, run once
  const auto problem = autoglm::objectives::shifted(autoglm::objectives::make_problem("branin", 2), 4);
  const auto plain = autoglm::objectives::make_problem("branin", 2);
  int differs = 0;
  for (const auto& trial : trials) {
    ASSERT_EQ(trial["state"], "COMPLETE");
    const auto x = point(trial["params"], 2);
    EXPECT_DOUBLE_EQ(trial["value"].get<double>(), problem(x));
    if (problem(x) != plain(x)) ++differs;
  }
  EXPECT_EQ(differs, 21) << "the shift_seed must change the function";
}

TEST_F(BuiltinObjectiveE2E, ShippedExampleRuns) {
  const std::string example = std::string(AUTOGLM_SOURCE_DIR) + "/examples/hartmann6.yaml";
  Result r = run({"tune", example, "--storage", db_, "--n-trials", "15"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("15 COMPLETE"));
}

TEST_F(BuiltinObjectiveE2E, BadFunctionIsRefusedWithOneLineAndNothingWritten) {
  write("bad.yaml", kBraninSpace + "objective: {function: brannin}\n");
  Result r = run({"tune", "bad.yaml", "--storage", db_});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:4: objective.function: unknown built-in function 'brannin'; did you mean 'branin'?"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "study.db"));
}

}  // namespace
