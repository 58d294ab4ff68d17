// Misbehaving objective commands, end to end through `autoglm tune` + `autoglm worker` on a
// SQLite study: a trial that ignores SIGTERM and never ends, a trial that floods its stdout.
// (The executor's own tests cover the same at the unit level: CommandRunner.
// ChildIgnoringSigtermIsKilledAfterTheGracePeriod and CommandRunner.FloodedOutputsDoNotBlock.)
#include <signal.h>

#include "fault/fault_util.h"

namespace autoglm_fault {
namespace {

std::string small_config(const std::string& study, int n_complete, const std::string& objective_extra) {
  return "study: " + study + "\nn_complete: " + std::to_string(n_complete) +
         "\nseed: 3\nsampler: {name: random}\npruner: none\nspace:\n  x: {type: float, low: 0.0, high: 1.0}\n"
         "objective:\n  command:\n    - sh\n    - '{config_dir}/obj.sh'\n    - '{trial_number}'\n    - '{config_dir}'\n" +
         objective_extra;
}

/// Runs `autoglm tune` on study.yaml plus one `autoglm worker`, until both exit (or `limit` s).
struct TwoWorkers {
  Processes procs;
  pid_t tune = -1, worker = -1;
  double seconds = 0;
  bool ended = false;
  void run(const TempDir& dir, const std::string& study, const std::string& url, double limit) {
    procs.marker = (dir / "obj.sh").string();
    const auto t0 = Clock::now();
    tune = procs.spawn(dir.path(), tune_argv(dir, url), dir / "tune");
    ASSERT_TRUE(wait_study_open(procs, tune, 30)) << procs.err_tail(tune);
    worker = procs.spawn(dir.path(), worker_argv(study, url), dir / "worker");
    ended = procs.wait_all(limit);
    seconds = seconds_since(t0);
    for (pid_t p : procs.alive()) ADD_FAILURE() << "process " << p << " still running after " << limit << " s:\n" << procs.err_tail(p);
    for (const auto& [pid, code] : procs.exit_codes()) EXPECT_EQ(code, 0) << procs.err_tail(pid);
  }
};

TEST(FaultTrial, HangingTrialIgnoringSigterm) {
  TempDir dir;
  const std::string url = "sqlite:///" + (dir / "study.db").string();
  // Trial 0 ignores SIGTERM (so do its children: an ignored signal stays ignored across exec)
  // and never ends; every other trial reports at once.
  dir.write("obj.sh", R"(#!/bin/sh
if [ "$1" = 0 ]; then
  trap '' TERM
  echo $$ > "$2/hang.pid"
  while :; do sleep 1; done
fi
echo '{"value": 1.0}' >&3
)", true);
  dir.write("study.yaml", small_config("hang", 6, "  timeout: 1\n  grace_period: 1\n"));
  TwoWorkers run;
  run.run(dir, "hang", url, 60);
  ASSERT_TRUE(run.ended);
  const auto trials = read_trials(url, "hang");
  std::cout << "[hang] study done in " << run.seconds << " s: " << counts_text(trials) << "\n";
  ASSERT_FALSE(trials.empty());
  const FrozenTrial& t0 = trials[0];
  EXPECT_EQ(t0.state, TrialState::FAIL);
  EXPECT_NE(fail_reason(t0).find("timed out after 1 s"), std::string::npos) << fail_reason(t0);
  const double d = t0.duration_seconds().value_or(-1);
  std::cout << "[hang] the SIGTERM-ignoring trial ended after " << d << " s (timeout 1 s + grace 1 s)\n";
  EXPECT_GE(d, 1.0);
  EXPECT_LE(d, 1.0 + 1.0 + 1.5);
  const std::string pid_text = read_file(dir / "hang.pid");
  ASSERT_FALSE(pid_text.empty());
  const pid_t pid = std::stoi(pid_text);
  EXPECT_TRUE(::kill(pid, 0) != 0 || read_file("/proc/" + std::to_string(pid) + "/cmdline").find("obj.sh") == std::string::npos)
      << "the hanging trial's process " << pid << " is still there";
  EXPECT_TRUE(pids_matching(run.procs.marker).empty());
  EXPECT_EQ(n_in_state(trials, TrialState::COMPLETE), 6) << counts_text(trials);
  EXPECT_EQ(n_in_state(trials, TrialState::RUNNING), 0) << counts_text(trials);
}

TEST(FaultTrial, FloodingTrialDoesNotStallTheWorker) {
  constexpr long long kBytes = 200000000;
  TempDir dir;
  const std::string url = "sqlite:///" + (dir / "study.db").string();
  // Trial 0 waits a moment (both workers are busy by then), writes 200 MB to stdout as fast as
  // it can, then reports; the others take 0.1 s each.
  dir.write("obj.sh", "#!/bin/sh\nif [ \"$1\" = 0 ]; then sleep 1; yes | head -c " + std::to_string(kBytes) +
                          "; else sleep 0.1; fi\necho '{\"value\": 1.0}' >&3\n",
            true);
  dir.write("study.yaml", small_config("flood", 20, "  timeout: 60\n"));
  TwoWorkers run;
  run.run(dir, "flood", url, 90);
  ASSERT_TRUE(run.ended);
  const auto trials = read_trials(url, "flood");
  ASSERT_FALSE(trials.empty());
  const FrozenTrial& t0 = trials[0];
  std::cout << "[flood] study done in " << run.seconds << " s: " << counts_text(trials) << "; the flooding trial took "
            << t0.duration_seconds().value_or(-1) << " s\n";
  EXPECT_EQ(t0.state, TrialState::COMPLETE) << fail_reason(t0);
  EXPECT_EQ(n_in_state(trials, TrialState::COMPLETE), 20) << counts_text(trials);
  auto lp = t0.system_attrs.find("log_path");
  ASSERT_NE(lp, t0.system_attrs.end());
  std::error_code ec;
  EXPECT_EQ(fs::file_size(lp->second.get<std::string>(), ec), static_cast<uintmax_t>(kBytes)) << lp->second;
  // The other worker kept finishing trials while trial 0 flooded.
  int during = 0;
  for (const auto& t : trials)
    if (t.number != 0 && t.datetime_complete && t0.datetime_start && t0.datetime_complete &&
        *t.datetime_complete > *t0.datetime_start && *t.datetime_complete < *t0.datetime_complete)
      ++during;
  std::cout << "[flood] " << during << " other trial(s) completed while trial 0 ran\n";
  EXPECT_GE(during, 3);
}

}  // namespace
}  // namespace autoglm_fault
