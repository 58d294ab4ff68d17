// run_command_trial inside a real Study (in-memory storage): COMPLETE, PRUNED and FAIL trials.
#include <gtest/gtest.h>

#include <cmath>

#include "autoglm/error.h"
#include "autoglm/executor.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "executor/test_util.h"

namespace autoglm {
namespace {

using testing::TempDir;
using testing::read_file;
using testing::write_script;

/// Prunes every trial once it has reported a value at step >= `step`.
class PruneAtStep final : public Pruner {
 public:
  explicit PruneAtStep(int64_t step) : step_(step) {}
  bool prune(const StudyView&, const FrozenTrial& trial) override {
    auto last = trial.last_step();
    return last && *last >= step_;
  }
  std::string name() const override { return "prune_at_step"; }

 private:
  int64_t step_;
};

std::unique_ptr<Study> make_study(std::unique_ptr<Pruner> pruner) {
  CreateStudyOptions o;
  o.storage = open_storage(":memory:");
  o.study_name = "command-study";
  o.sampler = make_sampler({{"name", "random"}, {"seed", 1}});
  o.pruner = std::move(pruner);
  return create_study(std::move(o));
}

TEST(CommandTrial, CompletesWithIntermediateValues) {
  TempDir dir;
  auto script = write_script(dir, "square.sh", R"(
awk -v x="$1" 'BEGIN { printf "{\"step\": 0, \"value\": %.17g}\n{\"step\": 1, \"value\": %.17g}\n{\"value\": %.17g}\n", x, x / 2, x * x }' >&3
)");
  auto study = make_study(make_pruner({{"name", "nop"}}));
  CommandSpec spec;
  spec.argv = {"/bin/sh", script, "{x}"};
  spec.log_dir = dir.path() / "logs";
  spec.grace_period_seconds = 0.5;
  OptimizeOptions opts;
  opts.n_trials = 3;
  study->optimize(
      [&](Trial& t) {
        t.suggest_float("x", -2.0, 2.0);
        return run_command_trial(t, spec).at(0);
      },
      opts);
  auto trials = study->trials();
  ASSERT_EQ(trials.size(), 3u);
  for (const auto& t : trials) {
    ASSERT_EQ(t.state, TrialState::COMPLETE) << t.system_attrs.count("fail_reason");
    double x = std::get<double>(t.param("x"));
    EXPECT_EQ(t.values.at(0), x * x);
    EXPECT_EQ(t.intermediate_values.at(0), x);
    EXPECT_EQ(t.intermediate_values.at(1), x / 2);
    EXPECT_EQ(t.system_attrs.at("log_path"),
              (dir.path() / "logs" / ("trial-" + std::to_string(t.number) + ".log")).string());
  }
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandTrial, PrunedTrialGetsSigtermAndEndsPruned) {
  TempDir dir;
  std::string ckpt = dir / "ckpt";
  auto script = write_script(dir, "train.sh", R"(
trap 'echo "stopped at $i" > "$1"; exit 0' TERM
i=0
while true; do
  echo "{\"step\": $i, \"value\": $i}" >&3
  i=$((i+1))
  sleep 0.05
done
)");
  auto study = make_study(std::make_unique<PruneAtStep>(2));
  CommandSpec spec;
  spec.argv = {"/bin/sh", script, ckpt + "-{trial_number}"};
  spec.log_dir = dir.path() / "logs";
  spec.grace_period_seconds = 1.0;
  OptimizeOptions opts;
  opts.n_trials = 1;
  study->optimize([&](Trial& t) { return run_command_trial(t, spec).at(0); }, opts);
  FrozenTrial t = study->trials().at(0);
  EXPECT_EQ(t.state, TrialState::PRUNED);
  EXPECT_TRUE(t.intermediate_values.count(2));
  EXPECT_EQ(read_file(ckpt + "-0").rfind("stopped at ", 0), 0u);
  std::string log = read_file(t.system_attrs.at("log_path").get<std::string>());
  EXPECT_NE(log.find("[autoglm] pruned at step 2"), std::string::npos) << log;
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandTrial, FailedCommandMakesAFailedTrialWithReasonAndTail) {
  TempDir dir;
  auto script = write_script(dir, "fail.sh", "echo 'CUDA out of memory' >&2\nexit 3\n");
  auto study = make_study(make_pruner({{"name", "nop"}}));
  CommandSpec spec;
  spec.argv = {"/bin/sh", script};
  spec.log_dir = dir.path() / "logs";
  OptimizeOptions opts;
  opts.n_trials = 2;
  study->optimize([&](Trial& t) { return run_command_trial(t, spec).at(0); }, opts);
  auto trials = study->trials();
  ASSERT_EQ(trials.size(), 2u);  // a failing command does not stop the study
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::FAIL);
    std::string reason = t.system_attrs.at("fail_reason").get<std::string>();
    EXPECT_EQ(reason.rfind("command exited with status 3", 0), 0u) << reason;
    std::string tail = t.system_attrs.at("log_tail").get<std::string>();
    EXPECT_NE(tail.find("CUDA out of memory"), std::string::npos) << tail;
  }
}

TEST(CommandTrial, UnknownPlaceholderStopsTheStudy) {
  TempDir dir;
  auto study = make_study(make_pruner({{"name", "nop"}}));
  CommandSpec spec;
  spec.argv = {"/bin/echo", "{nope}"};
  OptimizeOptions opts;
  opts.n_trials = 5;
  EXPECT_THROW(study->optimize([&](Trial& t) { return run_command_trial(t, spec).at(0); }, opts), ConfigError);
  EXPECT_EQ(study->trials().size(), 1u);
}

}  // namespace
}  // namespace autoglm
