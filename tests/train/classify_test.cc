// Tests of the `classify` workload: its torch-free data helpers (cleanup, stratified split,
// n-gram hashing) in-process, and the workload itself through its command line
// (autoglm-train classify ...) on a 300-message stratified slice of the SpamAssassin corpus:
// the trial protocol and every final metric, beating the majority class, bad input (exit 2),
// divergence (exit 3), SIGTERM, and --init-checkpoint from a tiny lm checkpoint. About 25 s in all.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/error.h"
#include "train/child_process.h"
#include "train/classify_data.h"

namespace autoglm::train::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string spam_corpus_path() { return std::string(AUTOGLM_SOURCE_DIR) + "/data/spam-assassin"; }

// ------------------------------------------------------------------------------------------------
// Data helpers (no corpus needed)

TEST(ClassifyData, CleanKeepsSubjectAndBodyOnly) {
  const std::string raw =
      "From: someone@example.com\nSubject: Cheap   PILLS\n  now\nX-Spam: yes\n\nHello\tWORLD=\n!\r\n=3D=20x\n";
  EXPECT_EQ(clean_message(raw, 1000), "cheap pills now hello world! = x");
  EXPECT_EQ(clean_message(raw, 5), "cheap");
  // No header/body separator: everything is header, only the subject is kept.
  EXPECT_EQ(clean_message("Subject: hi\nFrom: x", 100), "hi");
  // Nothing left: one space, never empty.
  EXPECT_EQ(clean_message("From: x\n\n \n", 100), " ");
  EXPECT_EQ(clean_message("", 100), " ");
}

TEST(ClassifyData, GroupLabels) {
  EXPECT_EQ(group_label("spam-1"), 1);
  EXPECT_EQ(group_label("easy-ham-2"), 0);
  EXPECT_EQ(group_label("hard-ham-1"), 0);
  EXPECT_EQ(group_label("node_modules"), -1);
}

std::vector<Message> synthetic(int n_ham, int n_spam) {
  std::vector<Message> v;
  for (int i = 0; i < n_ham; ++i) v.push_back({"ham " + std::to_string(i), 0});
  for (int i = 0; i < n_spam; ++i) v.push_back({"spam " + std::to_string(i), 1});
  return v;
}

TEST(ClassifyData, SplitIsStratifiedDisjointAndDeterministic) {
  const SplitData a = stratified_split(synthetic(700, 300), 0, 5);
  auto spam = [](const std::vector<Message>& v) {
    return std::count_if(v.begin(), v.end(), [](const Message& m) { return m.label == 1; });
  };
  EXPECT_EQ(a.train.size(), 700u);
  EXPECT_EQ(a.validation.size(), 150u);
  EXPECT_EQ(a.test.size(), 150u);
  EXPECT_EQ(spam(a.validation), 45);
  EXPECT_EQ(spam(a.test), 45);
  std::set<std::string> seen;
  for (const auto* split : {&a.train, &a.validation, &a.test})
    for (const auto& m : *split) EXPECT_TRUE(seen.insert(m.text).second) << m.text << " in two splits";
  const SplitData b = stratified_split(synthetic(700, 300), 0, 5);
  const SplitData c = stratified_split(synthetic(700, 300), 0, 6);
  ASSERT_EQ(a.validation.size(), b.validation.size());
  for (size_t i = 0; i < a.validation.size(); ++i) EXPECT_EQ(a.validation[i].text, b.validation[i].text);
  bool differs = false;
  for (size_t i = 0; i < a.validation.size(); ++i) differs |= a.validation[i].text != c.validation[i].text;
  EXPECT_TRUE(differs) << "--split-seed has no effect";

  const SplitData limited = stratified_split(synthetic(700, 300), 100, 5);
  EXPECT_EQ(limited.train.size() + limited.validation.size() + limited.test.size(), 100u);
  EXPECT_EQ(spam(limited.train) + spam(limited.validation) + spam(limited.test), 30);
  EXPECT_THROW(stratified_split(synthetic(700, 300), 5, 0), autoglm::ConfigError);
}

TEST(ClassifyData, HashedNgramsCountAndRange) {
  std::vector<int64_t> ids;
  hashed_ngrams("abcd", 3, 1000, ids);
  EXPECT_EQ(ids.size(), 4u + 3u + 2u);
  for (int64_t id : ids) EXPECT_TRUE(id >= 0 && id < 1000);
  std::vector<int64_t> again;
  hashed_ngrams("abcd", 3, 1000, again);
  EXPECT_EQ(ids, again);
}

// ------------------------------------------------------------------------------------------------
// The workload through its command line

class ClassifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(spam_corpus_path()))
      GTEST_SKIP() << spam_corpus_path() << " is missing; run scripts/setup.sh to fetch the SpamAssassin corpus";
    tmp_ = fs::temp_directory_path() / ("autoglm-classify-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(tmp_);
    fs::create_directories(tmp_);
  }
  void TearDown() override {
    if (!tmp_.empty()) fs::remove_all(tmp_);
  }

  /// 300 messages (210 train, 45 validation, 45 test), 2 epochs of 14 steps.
  static std::vector<std::string> small(std::vector<std::string> extra) {
    std::vector<std::string> args = {"classify", "--data",       spam_corpus_path(), "--data-limit", "300",
                                     "--epochs", "2",            "--batch-size",     "16",           "--threads",
                                     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  struct Reports {
    std::vector<long long> steps;
    std::vector<json> step_metrics;
    json metrics = json::object();
    std::vector<double> finals;
  };

  static Reports parse_reports(const std::string& report) {
    Reports r;
    for (const auto& line : lines_of(report)) {
      json j = json::parse(line);
      EXPECT_TRUE(j.is_object()) << line;
      if (j.contains("step")) {
        r.steps.push_back(j["step"]);
        r.step_metrics.push_back(j["metrics"]);
      } else if (j.contains("metrics")) {
        r.metrics = j["metrics"];
      } else if (j.contains("value")) {
        r.finals.push_back(j["value"]);
      }
    }
    return r;
  }

  fs::path tmp_;
};

TEST_F(ClassifyTest, BagReportsEveryMetricInRangeAndBeatsMajority) {
  ChildProcess child(small({"--seed", "1"}), /*report_channel=*/true);
  ASSERT_TRUE(child.started());
  ASSERT_EQ(child.wait(120), 0) << child.err();
  const Reports r = parse_reports(child.report());
  EXPECT_EQ(r.steps, (std::vector<long long>{1, 2}));
  for (const auto& m : r.step_metrics) {
    ASSERT_TRUE(m.contains("val_loss") && m.contains("val_f1")) << m.dump();
    EXPECT_GT(m["val_loss"].get<double>(), 0.0);
    EXPECT_TRUE(m["val_f1"].get<double>() >= 0.0 && m["val_f1"].get<double>() <= 1.0);
  }
  const json& m = r.metrics;
  for (const char* key : {"accuracy", "precision", "recall", "f1", "roc_auc", "test_accuracy", "test_precision",
                          "test_recall", "test_f1", "test_roc_auc"}) {
    ASSERT_TRUE(m.contains(key) && m[key].is_number()) << key << " missing: " << m.dump();
    const double v = m[key];
    EXPECT_TRUE(v >= 0.0 && v <= 1.0) << key << " = " << v;
  }
  for (const char* key : {"latency_ms", "latency_ms_batch", "train_seconds"}) {
    ASSERT_TRUE(m.contains(key)) << key << " missing: " << m.dump();
    EXPECT_GT(m[key].get<double>(), 0.0) << key;
  }
  ASSERT_TRUE(m.contains("param_count"));
  EXPECT_TRUE(m["param_count"].is_number_integer()) << m["param_count"];
  EXPECT_GT(m["param_count"].get<long long>(), 0);
  // 32 bytes of embedding per bucket dominate the default bag model.
  EXPECT_EQ(m["param_count"].get<long long>(), 65536LL * 32 + 32 + 1);

  // Validation has 45 messages, 14 of them spam (stratified): the majority class (ham) scores
  // accuracy 31/45 and F1 0.
  EXPECT_GT(m["accuracy"].get<double>(), 31.0 / 45.0 + 1e-9) << child.out();
  EXPECT_GT(m["f1"].get<double>(), 0.5) << child.out();
  ASSERT_EQ(r.finals.size(), 1u) << child.report();
  EXPECT_EQ(r.finals[0], m["f1"].get<double>());
  EXPECT_NE(child.out().find("validation"), std::string::npos) << child.out();
  EXPECT_NE(child.out().find("latency"), std::string::npos) << child.out();
}

TEST_F(ClassifyTest, BadInputExits2WithOneLineNamingTheFlag) {
  const fs::path empty = tmp_ / "empty";
  fs::create_directories(empty);
  const std::vector<UsageCase> cases = {
      {{"--data", "/nonexistent/spam"}, "--data"},
      {{"--data", empty.string()}, "--data"},
      {{"--model", "svm"}, "--model"},
      {{"--lr", "-1"}, "--lr"},
      {{"--batch-size", "-1"}, "--batch-size"},
      {{"--threshold", "1.5"}, "--threshold"},
      {{"--ngram", "0"}, "--ngram"},
      {{"--class-weight", "0"}, "--class-weight"},
      {{"--data-limit", "5"}, "--data-limit"},
      {{"--model", "transformer", "--d-model", "30", "--n-heads", "4"}, "--n-heads"},
      {{"--init-checkpoint", "x.pt"}, "--init-checkpoint"},
      {{"--no-such-flag", "1"}, "--no-such-flag"},
  };
  expect_usage_errors(small({}), cases, [](const UsageCase& c, int rc, const std::string& err) {
    const std::string joined = ::testing::PrintToString(c.args);
    EXPECT_EQ(rc, 2) << joined << "\n" << err;
    EXPECT_NE(err.find(c.must_mention), std::string::npos) << joined << ": " << err;
    EXPECT_EQ(lines_of(err).size(), 1u) << joined << ": " << err;
  });
}

TEST_F(ClassifyTest, TransformerFromLmCheckpoint) {
  // A tiny lm: 2 layers, d_model 32, context 64, 10 steps on the Moby Dick corpus.
  const std::string moby = std::string(AUTOGLM_SOURCE_DIR) + "/data/moby-dick.txt";
  if (!fs::exists(moby)) GTEST_SKIP() << moby << " is missing; run scripts/setup.sh";
  const std::string ckpt = (tmp_ / "lm.pt").string();
  ChildProcess lm({"lm", "--data", moby, "--data-limit", "100000", "--n-layers", "2", "--d-model", "32", "--n-heads",
                   "4", "--context", "64", "--batch-size", "8", "--max-steps", "10", "--eval-interval", "10",
                   "--eval-batches", "1", "--threads", "1", "--checkpoint", ckpt},
                  false);
  ASSERT_EQ(lm.wait(120), 0) << lm.err();
  ASSERT_TRUE(fs::exists(ckpt + ".json"));

  auto transformer = [&](std::vector<std::string> extra) {
    std::vector<std::string> args =
        small({"--model", "transformer", "--n-layers", "2", "--d-model", "32", "--n-heads", "4", "--context", "64",
               "--epochs", "1", "--init-checkpoint", ckpt});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  // Matching architecture: trains (head only, causal as the lm) and reports.
  ChildProcess ok(transformer({"--train-head-only", "--attention", "causal", "--lr", "1e-2"}), true);
  // Mismatched: other width, and a context beyond the checkpoint's positions.
  ChildProcess wide(transformer({"--d-model", "64"}), false);
  ChildProcess longer(transformer({"--context", "128"}), false);

  ASSERT_EQ(ok.wait(120), 0) << ok.err();
  EXPECT_NE(ok.out().find("initialised"), std::string::npos) << ok.out();
  const Reports r = parse_reports(ok.report());
  ASSERT_TRUE(r.metrics.contains("f1")) << ok.report();
  ASSERT_EQ(r.finals.size(), 1u);
  // Frozen encoder: only the head (32 weights + 1 bias) trains; param_count counts all.
  EXPECT_EQ(r.metrics["trainable_param_count"].get<long long>(), 33);
  EXPECT_GT(r.metrics["param_count"].get<long long>(), 20000);
  EXPECT_GT(r.metrics["latency_ms"].get<double>(), 0.0);

  for (ChildProcess* bad : {&wide, &longer}) {
    EXPECT_EQ(bad->wait(60), 2) << bad->err();
    EXPECT_EQ(lines_of(bad->err()).size(), 1u) << bad->err();
    EXPECT_NE(bad->err().find("--init-checkpoint"), std::string::npos) << bad->err();
    EXPECT_NE(bad->err().find("architecture differs"), std::string::npos) << bad->err();
    EXPECT_NE(bad->err().find("d_model 32"), std::string::npos) << bad->err();  // the checkpoint's
  }
  EXPECT_NE(wide.err().find("d_model 64"), std::string::npos) << wide.err();     // this classifier's
  EXPECT_NE(longer.err().find("context 128"), std::string::npos) << longer.err();

  // Not an lm checkpoint at all.
  { std::ofstream(tmp_ / "junk.pt") << "junk"; }
  { std::ofstream(tmp_ / "junk.pt.json") << "{\"workload\": \"lm\", \"architecture\": {\"n_layers\": 2, \"d_model\": 32, \"n_heads\": 4, \"context\": 64}}"; }
  ChildProcess junk(transformer({"--init-checkpoint", (tmp_ / "junk.pt").string()}), false);
  EXPECT_EQ(junk.wait(60), 2) << junk.err();
  EXPECT_EQ(lines_of(junk.err()).size(), 1u) << junk.err();
  EXPECT_NE(junk.err().find("cannot load"), std::string::npos) << junk.err();
}

TEST_F(ClassifyTest, DivergenceExits3WithReason) {
  ChildProcess child(small({"--optimizer", "sgd", "--lr", "1e6", "--momentum", "0.99", "--grad-clip", "0",
                            "--batch-size", "8", "--epochs", "20"}),
                     /*report_channel=*/true);
  EXPECT_EQ(child.wait(60), 3) << child.err();
  EXPECT_NE(child.err().find("training diverged at epoch"), std::string::npos) << child.err();
  EXPECT_NE(child.err().find("lower --lr"), std::string::npos) << child.err();
  EXPECT_EQ(child.report().find("{\"value\""), std::string::npos) << "no final value after divergence";
}

TEST_F(ClassifyTest, SigtermStopsWithoutFinalValue) {
  ChildProcess child(small({"--epochs", "1000"}), /*report_channel=*/true);
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(child.read_until([&] { return child.report().find("\"step\"") != std::string::npos; }, 60))
      << child.err();
  child.signal(SIGTERM);
  EXPECT_EQ(child.wait(30), 0) << child.err();
  EXPECT_NE(child.err().find("stopped by SIGTERM"), std::string::npos) << child.err();
  EXPECT_EQ(child.report().find("{\"value\""), std::string::npos) << "a pruned trial reports no final value";
}

}  // namespace
}  // namespace autoglm::train::testing
