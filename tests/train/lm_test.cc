// Tests of the `lm` workload through its command line (autoglm-train lm ...): learning,
// determinism, the trial protocol, flag errors, divergence, and SIGTERM (pruning).
// Each test trains a tiny model on a 200 kB slice of the corpus and takes a few seconds.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "train/child_process.h"

namespace autoglm::train::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class LmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(corpus_path())) GTEST_SKIP() << corpus_path() << " is missing; run scripts/setup.sh";
    tmp_ = fs::temp_directory_path() /
           ("autoglm-train-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  /// A tiny model on the first 200 kB: about 25 ms per step on one core.
  static std::vector<std::string> tiny(std::vector<std::string> extra) {
    std::vector<std::string> args = {"lm",           "--data",         corpus_path(), "--data-limit", "200000",
                                     "--n-layers",   "2",              "--d-model",   "64",           "--n-heads",
                                     "4",            "--context",      "64",          "--batch-size", "16",
                                     "--eval-batches", "2",            "--lr",        "3e-3",         "--threads",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  /// Runs to completion; returns the --json summary (fails the test when absent).
  static json run_json(const std::vector<std::string>& args, int expected_exit = 0) {
    ChildProcess child(args, /*report_channel=*/false);
    EXPECT_TRUE(child.started());
    const int rc = child.wait(120);
    EXPECT_EQ(rc, expected_exit) << child.err();
    auto lines = lines_of(child.out());
    if (lines.empty()) {
      ADD_FAILURE() << "no JSON summary on stdout; stderr:\n" << child.err();
      return json::object();
    }
    EXPECT_EQ(lines.size(), 1u) << "with --json, stdout holds only the summary:\n" << child.out();
    return json::parse(lines.back());
  }

  fs::path tmp_;
};

TEST_F(LmTest, ValidationLossFallsOver50Steps) {
  json j = run_json(tiny({"--max-steps", "50", "--eval-interval", "10", "--seed", "1", "--json"}));
  ASSERT_EQ(j.value("status", ""), "complete") << j.dump();
  EXPECT_EQ(j["step"], 50);
  const double first = j["first_val_bpb"], last = j["val_bpb"];
  // Uniform guessing over 256 byte values costs 8 bits per byte; after 10 steps the model has
  // learned roughly the unigram distribution, after 50 clearly more.
  EXPECT_LT(first, 8.0);
  EXPECT_LT(last, 8.0);
  EXPECT_GT(last, 1.0);  // a tiny model cannot reach this in 50 steps: guards against a broken metric
  EXPECT_LT(last, first - 0.3) << "first eval " << first << " bpb, final " << last << " bpb";
  EXPECT_GT(j["n_params"].get<long long>(), 100000);
  EXPECT_GT(j["tokens_per_second"].get<double>(), 0.0);
}

TEST_F(LmTest, SameSeedGivesIdenticalResults) {
  // Dropout on, so its random stream is covered too.
  auto args = tiny({"--max-steps", "20", "--eval-interval", "10", "--dropout", "0.1", "--seed", "7", "--json"});
  json a = run_json(args), b = run_json(args);
  ASSERT_TRUE(a.contains("val_bpb") && b.contains("val_bpb"));
  EXPECT_EQ(a["val_bpb"].get<double>(), b["val_bpb"].get<double>());
  EXPECT_EQ(a["first_val_bpb"].get<double>(), b["first_val_bpb"].get<double>());
  EXPECT_EQ(a["train_bpb"].get<double>(), b["train_bpb"].get<double>());

  auto other = tiny({"--max-steps", "20", "--eval-interval", "10", "--dropout", "0.1", "--seed", "8", "--json"});
  json c = run_json(other);
  EXPECT_NE(a["val_bpb"].get<double>(), c["val_bpb"].get<double>()) << "--seed has no effect";
}

TEST_F(LmTest, ValidationWindowsDoNotDependOnBatchSize) {
  // With lr ~ 0 (one update of size 1e-12) the model stays at its initialisation, so equal
  // seeds must give the same validation loss whatever the batch size.
  auto args = [](const char* batch) {
    return tiny({"--max-steps", "1", "--lr", "1e-12", "--dropout", "0", "--seed", "3", "--batch-size", batch, "--json"});
  };
  json a = run_json(args("8")), b = run_json(args("24"));
  EXPECT_NEAR(a["val_bpb"].get<double>(), b["val_bpb"].get<double>(), 1e-6);
}

TEST_F(LmTest, ReportsThroughProtocolChannel) {
  ChildProcess child(tiny({"--max-steps", "25", "--eval-interval", "10", "--seed", "2"}), /*report_channel=*/true);
  ASSERT_TRUE(child.started());
  ASSERT_EQ(child.wait(120), 0) << child.err();

  std::vector<long long> steps;
  std::vector<double> intermediates;
  std::vector<double> finals;
  std::map<std::string, double> attrs;
  for (const auto& line : lines_of(child.report())) {
    json j = json::parse(line);  // every line is one JSON object
    ASSERT_TRUE(j.is_object()) << line;
    if (j.contains("step")) {
      steps.push_back(j["step"]);
      intermediates.push_back(j["value"]);
    } else if (j.contains("attr")) {
      attrs[j["attr"]] = j["value"];
    } else {
      ASSERT_TRUE(j.contains("value")) << line;
      finals.push_back(j["value"]);
    }
  }
  // One intermediate per evaluation (every 10 steps and after the last step), one final value.
  EXPECT_EQ(steps, (std::vector<long long>{10, 20, 25}));
  ASSERT_EQ(finals.size(), 1u) << child.report();
  EXPECT_EQ(finals[0], intermediates.back());
  for (double v : intermediates) EXPECT_TRUE(v > 0 && v < 8.5) << v;
  EXPECT_GT(attrs["n_params"], 0);
  EXPECT_GT(attrs["train_seconds"], 0);
  EXPECT_GT(attrs["tokens_per_second"], 0);

  // Run by hand (no --json) the same metrics are printed on stdout, one line per evaluation.
  int metric_lines = 0;
  for (const auto& line : lines_of(child.out()))
    if (line.find("val_bpb") != std::string::npos) ++metric_lines;
  EXPECT_EQ(metric_lines, 3) << child.out();
}

TEST_F(LmTest, NoReportChannelMeansNoProtocolOutput) {
  ChildProcess child(tiny({"--max-steps", "5", "--eval-interval", "5"}), /*report_channel=*/false);
  ASSERT_EQ(child.wait(120), 0) << child.err();
  EXPECT_EQ(child.out().find("{\"step\""), std::string::npos);
  EXPECT_NE(child.out().find("val_bpb"), std::string::npos);
}

TEST_F(LmTest, BadFlagsExit2WithOneLineNamingTheFlag) {
  const std::vector<UsageCase> cases = {
      {{"--lr", "abc"}, "--lr"},
      {{"--lr", "-1"}, "--lr"},
      {{"--d-model", "100", "--n-heads", "3"}, "--n-heads"},
      {{"--optimizer", "rmsprop"}, "--optimizer"},
      {{"--batch-size", "0"}, "--batch-size"},
      {{"--dropout", "1.5"}, "--dropout"},
      {{"--warmup-frac", "2"}, "--warmup-frac"},
      {{"--threads", "0"}, "--threads"},
      {{"--no-such-flag", "1"}, "--no-such-flag"},
      {{"--data", "/nonexistent/corpus.txt"}, "--data"},
      {{"--data", "/tmp"}, "is a directory"},
      {{"--data-limit", "500", "--context", "64"}, "--data-limit"},
  };
  expect_usage_errors(tiny({}), cases, [](const UsageCase& c, int rc, const std::string& err) {
    const std::string joined = ::testing::PrintToString(c.args);
    EXPECT_EQ(rc, 2) << joined << "\n" << err;
    EXPECT_NE(err.find(c.must_mention), std::string::npos) << joined << ": " << err;
    EXPECT_EQ(lines_of(err).size(), 1u) << joined << ": " << err;
  });
  ChildProcess unknown({"no-such-workload"}, false);
  EXPECT_EQ(unknown.wait(60), 2);
  EXPECT_NE(unknown.err().find("no-such-workload"), std::string::npos);
}

TEST_F(LmTest, DivergenceExits3WithReason) {
  ChildProcess child(tiny({"--optimizer", "sgd", "--lr", "1e6", "--grad-clip", "0", "--warmup-frac", "0",
                           "--max-steps", "50", "--eval-interval", "10"}),
                     /*report_channel=*/true);
  EXPECT_EQ(child.wait(60), 3) << child.err();
  EXPECT_NE(child.err().find("training diverged at step"), std::string::npos) << child.err();
  EXPECT_NE(child.err().find("lower --lr"), std::string::npos) << child.err();
  EXPECT_EQ(child.report().find("{\"value\""), std::string::npos) << "no final value after divergence";
}

TEST_F(LmTest, SigtermStopsPromptlyAndSavesCheckpoint) {
  const std::string ckpt = (tmp_ / "sub" / "model.pt").string();
  ChildProcess child(tiny({"--max-steps", "100000", "--eval-interval", "5", "--checkpoint", ckpt}),
                     /*report_channel=*/true);
  ASSERT_TRUE(child.started());
  // Wait until training is under way (first intermediate value reported).
  ASSERT_TRUE(child.read_until([&] { return child.report().find("\"step\"") != std::string::npos; }, 60))
      << child.err();
  const auto t0 = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  const int rc = child.wait(30);
  const double stop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(rc, 0) << child.err();
  EXPECT_LT(stop_s, 5.0);
  EXPECT_NE(child.err().find("stopped by SIGTERM"), std::string::npos) << child.err();
  EXPECT_EQ(child.report().find("{\"value\""), std::string::npos) << "a pruned trial reports no final value";

  ASSERT_TRUE(fs::exists(ckpt)) << child.err();
  EXPECT_GT(fs::file_size(ckpt), 100000u);  // ~120k float parameters
  std::ifstream in(ckpt + ".json");
  ASSERT_TRUE(in.good());
  json sidecar = json::parse(in);
  EXPECT_EQ(sidecar["workload"], "lm");
  EXPECT_EQ(sidecar["complete"], false);
  EXPECT_GE(sidecar["step"].get<long long>(), 5);
  EXPECT_EQ(sidecar["architecture"]["d_model"], 64);
  EXPECT_EQ(sidecar["hyperparameters"]["lr"], 3e-3);
  EXPECT_FALSE(fs::exists(ckpt + ".tmp"));
}

TEST_F(LmTest, CompletedRunWritesCompleteCheckpoint) {
  const std::string ckpt = (tmp_ / "model.pt").string();
  json j = run_json(tiny({"--max-steps", "5", "--eval-interval", "5", "--checkpoint", ckpt, "--json"}));
  EXPECT_EQ(j["checkpoint"], ckpt);
  ASSERT_TRUE(fs::exists(ckpt));
  std::ifstream in(ckpt + ".json");
  json sidecar = json::parse(in);
  EXPECT_EQ(sidecar["complete"], true);
  EXPECT_EQ(sidecar["step"], 5);
  EXPECT_EQ(sidecar["val_bpb"].get<double>(), j["val_bpb"].get<double>());
}

}  // namespace
}  // namespace autoglm::train::testing
