// The command-trial runner with real child processes (/bin/sh scripts) and a fake trial.
#include "executor/command_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <set>
#include <thread>

#include "autoglm/error.h"
#include "autoglm/executor.h"
#include "executor/process.h"
#include "executor/test_util.h"

namespace autoglm {
namespace {

using testing::FakeTrial;
using testing::TempDir;
using testing::read_file;
using testing::write_script;

CommandSpec sh_spec(const std::string& script, const TempDir& dir) {
  CommandSpec spec;
  spec.argv = {"/bin/sh", script};
  spec.log_dir = dir.path() / "logs";
  spec.grace_period_seconds = 0.5;
  return spec;
}

CommandFailed expect_failure(FakeTrial& trial, const CommandSpec& spec) {
  try {
    run_command(trial, spec, nullptr);
  } catch (const CommandFailed& e) {
    return e;
  }
  ADD_FAILURE() << "run_command did not throw CommandFailed";
  return CommandFailed("", "", "");
}

TEST(CommandRunner, SuccessWithIntermediateValues) {
  TempDir dir;
  auto script = write_script(dir, "ok.sh", R"(
echo "hello stdout"
echo "hello stderr" >&2
for i in 0 1 2; do echo "{\"step\": $i, \"value\": 0.$i}" >&3; done
echo '{"value": 0.125}' >&3
)");
  FakeTrial trial;
  auto values = run_command(trial, sh_spec(script, dir), nullptr);
  ASSERT_EQ(values, std::vector<double>{0.125});
  EXPECT_EQ(trial.intermediate_values, (std::map<int64_t, double>{{0, 0.0}, {1, 0.1}, {2, 0.2}}));
  EXPECT_EQ(trial.n_should_prune_calls, 3);
  std::string log_path = trial.system_attrs.at("log_path").get<std::string>();
  EXPECT_EQ(log_path, (dir.path() / "logs" / "trial-7.log").string());
  std::string log = read_file(log_path);
  EXPECT_NE(log.find("hello stdout\nhello stderr\n"), std::string::npos) << log;
  EXPECT_EQ(trial.system_attrs.at("command"), nlohmann::json({"/bin/sh", script}));
  EXPECT_FALSE(trial.system_attrs.count("protocol_warnings"));
  EXPECT_FALSE(trial.system_attrs.count("fail_reason"));
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, NonZeroExitFailsWithReasonAndLogTail) {
  TempDir dir;
  auto script = write_script(dir, "fail.sh", R"(
i=1; while [ $i -le 30 ]; do echo "output line $i"; i=$((i+1)); done
echo '{"value": 1}' >&3
exit 3
)");
  FakeTrial trial;
  CommandFailed e = expect_failure(trial, sh_spec(script, dir));
  EXPECT_EQ(e.reason(), "command exited with status 3");
  std::string what = e.what();
  EXPECT_EQ(what.rfind("command exited with status 3\n", 0), 0u) << what;
  EXPECT_NE(what.find("output line 30"), std::string::npos) << what;
  EXPECT_NE(what.find("output line 12"), std::string::npos) << what;  // last 20 lines incl. our note
  EXPECT_EQ(what.find("output line 11\n"), std::string::npos) << what;
  EXPECT_EQ(trial.system_attrs.at("fail_reason"), "command exited with status 3");
  std::string tail = trial.system_attrs.at("log_tail").get<std::string>();
  EXPECT_EQ(testing::split_lines(tail).size(), static_cast<size_t>(kLogTailLines));
  EXPECT_NE(tail.find("[autoglm] trial failed: command exited with status 3"), std::string::npos) << tail;
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, DeathBySignalAndMissingFinalValue) {
  TempDir dir;
  FakeTrial trial;
  auto killed = write_script(dir, "killed.sh", "echo '{\"step\": 0, \"value\": 1}' >&3\nkill -9 $$\n");
  EXPECT_EQ(expect_failure(trial, sh_spec(killed, dir)).reason(), "command killed by signal 9 (SIGKILL)");
  auto silent = write_script(dir, "silent.sh", "echo working\nexit 0\n");
  CommandFailed e = expect_failure(trial, sh_spec(silent, dir));
  EXPECT_NE(e.reason().find("exited 0 without reporting a final value"), std::string::npos) << e.reason();
  EXPECT_NE(std::string(e.what()).find("working"), std::string::npos);
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, TimeoutStopsTheWholeProcessGroup) {
  TempDir dir;
  std::string pids = dir / "pids";
  auto script = write_script(dir, "slow.sh", "sleep 100 &\necho $! > " + pids + "\necho $$ >> " + pids +
                                                 "\necho '{\"step\": 0, \"value\": 1}' >&3\nsleep 100\n");
  FakeTrial trial;
  CommandSpec spec = sh_spec(script, dir);
  spec.timeout_seconds = 0.5;
  spec.grace_period_seconds = 0.3;
  auto start = std::chrono::steady_clock::now();
  CommandFailed e = expect_failure(trial, spec);
  double elapsed = testing::seconds_since(start);
  EXPECT_EQ(e.reason(), "timed out after 0.5 s");
  EXPECT_GE(elapsed, 0.5);
  EXPECT_LT(elapsed, 3.0);
  auto lines = testing::split_lines(read_file(pids));
  ASSERT_EQ(lines.size(), 2u);
  pid_t grandchild = std::stoi(lines[0]);
  pid_t leader = std::stoi(lines[1]);
  EXPECT_TRUE(testing::wait_gone(grandchild)) << "background sleep survived";
  EXPECT_FALSE(testing::process_alive(leader));
  EXPECT_FALSE(process::group_has_live_members(leader));
  EXPECT_EQ(trial.intermediate_values.size(), 1u);
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, PrunedChildGetsSigtermAndSavesACheckpoint) {
  TempDir dir;
  std::string ckpt = dir / "checkpoint";
  auto script = write_script(dir, "prunable.sh", "trap 'echo saved > " + ckpt + R"(; exit 0' TERM
i=0
while true; do
  echo "{\"step\": $i, \"value\": $i}" >&3
  i=$((i+1))
  sleep 0.05
done
)");
  FakeTrial trial;
  trial.prune_when = [](const std::map<int64_t, double>& iv) { return iv.count(2) > 0; };
  CommandSpec spec = sh_spec(script, dir);
  spec.grace_period_seconds = 2.0;  // the trap exits at once; the grace must not be waited out
  auto start = std::chrono::steady_clock::now();
  try {
    run_command(trial, spec, nullptr);
    FAIL() << "expected TrialPruned";
  } catch (const TrialPruned& p) {
    EXPECT_STREQ(p.what(), "trial 7 pruned at step 2");
  }
  EXPECT_LT(testing::seconds_since(start), 1.8);
  EXPECT_EQ(read_file(ckpt), "saved\n");
  EXPECT_TRUE(trial.intermediate_values.count(2));
  EXPECT_EQ(trial.n_should_prune_calls, 3);  // not consulted again after the decision
  std::string log = read_file(trial.system_attrs.at("log_path").get<std::string>());
  EXPECT_NE(log.find("[autoglm] pruned at step 2"), std::string::npos) << log;
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, ChildIgnoringSigtermIsKilledAfterTheGracePeriod) {
  TempDir dir;
  std::string pidfile = dir / "pid";
  auto script = write_script(dir, "stubborn.sh", "trap '' TERM\necho $$ > " + pidfile + R"(
i=0
while true; do
  echo "{\"step\": $i, \"value\": 1}" >&3
  i=$((i+1))
  sleep 0.05
done
)");
  FakeTrial trial;
  trial.prune_when = [](const std::map<int64_t, double>& iv) { return iv.count(1) > 0; };
  CommandSpec spec = sh_spec(script, dir);
  spec.grace_period_seconds = 0.4;
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(run_command(trial, spec, nullptr), TrialPruned);
  double elapsed = testing::seconds_since(start);
  EXPECT_GE(elapsed, 0.4 + 0.05);
  EXPECT_LT(elapsed, 2.5);
  EXPECT_FALSE(testing::process_alive(std::stoi(read_file(pidfile))));
  std::string log = read_file(trial.system_attrs.at("log_path").get<std::string>());
  EXPECT_NE(log.find("sending SIGKILL"), std::string::npos) << log;
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, MalformedLinesAreToleratedCountedAndRecorded) {
  TempDir dir;
  auto script = write_script(dir, "messy.sh", R"(
echo 'not json at all' >&3
echo '[1, 2]' >&3
echo '{"step": "x", "value": 1}' >&3
echo '{"value": "abc"}' >&3
echo '{"foo": 1}' >&3
echo '{"step": -1, "value": 1}' >&3
echo '' >&3
echo '{"step": 4, "value": 0.5}' >&3
echo '{"value": 0.25}' >&3
printf '{"value": 9' >&3
)");
  FakeTrial trial;
  auto values = run_command(trial, sh_spec(script, dir), nullptr);
  EXPECT_EQ(values, std::vector<double>{0.25});
  EXPECT_EQ(trial.intermediate_values, (std::map<int64_t, double>{{4, 0.5}}));
  const auto& w = trial.system_attrs.at("protocol_warnings");
  EXPECT_EQ(w.at("count"), 7);
  ASSERT_EQ(w.at("first").size(), 7u);
  EXPECT_EQ(w.at("first")[0], "line 1: not JSON: not json at all");
  EXPECT_EQ(w.at("first")[1], "line 2: not a JSON object: [1, 2]");
  EXPECT_NE(w.at("first")[2].get<std::string>().find("\"step\" must be an integer"), std::string::npos);
  EXPECT_NE(w.at("first")[5].get<std::string>().find("\"step\" must be >= 0"), std::string::npos);
  EXPECT_NE(w.at("first")[6].get<std::string>().find("line 10: incomplete last line"), std::string::npos);
  std::string log = read_file(trial.system_attrs.at("log_path").get<std::string>());
  EXPECT_NE(log.find("[autoglm] protocol warning: line 1: not JSON"), std::string::npos) << log;
}

TEST(CommandRunner, ManyMalformedLinesRecordOnlyTheFirstFew) {
  TempDir dir;
  auto script = write_script(dir, "garbage.sh", R"(
i=0; while [ $i -lt 50 ]; do echo "garbage $i" >&3; i=$((i+1)); done
echo '{"value": 1}' >&3
)");
  FakeTrial trial;
  EXPECT_EQ(run_command(trial, sh_spec(script, dir), nullptr), std::vector<double>{1.0});
  EXPECT_EQ(trial.system_attrs.at("protocol_warnings").at("count"), 50);
  EXPECT_EQ(trial.system_attrs.at("protocol_warnings").at("first").size(), 10u);
}

TEST(CommandRunner, NonFiniteValuesAttrsAndMetrics) {
  TempDir dir;
  auto script = write_script(dir, "metrics.sh", R"(
echo '{"step": 0, "value": NaN}' >&3
echo '{"step": 1, "value": -Infinity}' >&3
echo '{"attr": "checkpoint", "value": {"path": "/tmp/x", "best": Infinity}}' >&3
echo '{"step": 2, "metrics": {"acc": 0.5, "loss": 2.5}}' >&3
echo '{"step": 3, "metrics": {"acc": 0.75, "loss": 1.5}}' >&3
echo '{"metrics": {"acc": 0.875}}' >&3
echo '{"value": 123}' >&3
)");
  FakeTrial trial;
  CommandSpec spec = sh_spec(script, dir);
  spec.metrics = {"acc"};
  spec.intermediate_metric = "acc";
  EXPECT_EQ(run_command(trial, spec, nullptr), std::vector<double>{0.875});
  ASSERT_EQ(trial.intermediate_values.size(), 4u);
  EXPECT_TRUE(std::isnan(trial.intermediate_values.at(0)));
  EXPECT_EQ(trial.intermediate_values.at(1), -INFINITY);
  EXPECT_EQ(trial.intermediate_values.at(2), 0.5);
  EXPECT_EQ(trial.intermediate_values.at(3), 0.75);
  EXPECT_EQ(trial.user_attrs.at("checkpoint").at("path"), "/tmp/x");
  EXPECT_EQ(trial.user_attrs.at("checkpoint").at("best").get<double>(), INFINITY);
  EXPECT_EQ(trial.user_attrs.at("acc"), 0.875);
  EXPECT_EQ(trial.user_attrs.at("loss"), 1.5);

  // Without `metric`, the plain final value counts; metrics are still stored.
  FakeTrial plain;
  spec.metrics.clear();
  spec.intermediate_metric.reset();
  EXPECT_EQ(run_command(plain, spec, nullptr), std::vector<double>{123.0});
  EXPECT_EQ(plain.intermediate_values.size(), 2u);
}

TEST(CommandRunner, MultiObjectiveValues) {
  TempDir dir;
  FakeTrial trial;
  trial.n_objectives_ = 2;
  auto two = write_script(dir, "two.sh", "echo '{\"values\": [1.5, -2]}' >&3\n");
  EXPECT_EQ(run_command(trial, sh_spec(two, dir), nullptr), (std::vector<double>{1.5, -2.0}));
  auto one = write_script(dir, "one.sh", "echo '{\"value\": 1}' >&3\n");
  EXPECT_EQ(expect_failure(trial, sh_spec(one, dir)).reason(),
            "command reported 1 final value(s) but the study has 2 objective(s)");
}

TEST(CommandRunner, PlaceholdersEnvironmentAndParams) {
  TempDir dir;
  std::string out = dir / "out";
  auto script = write_script(dir, "show.sh", R"(
out="$1"; shift
for a in "$@"; do echo "arg=$a"; done > "$out"
echo "PARAMS=$AUTOGLM_PARAMS" >> "$out"
echo "NUMBER=$AUTOGLM_TRIAL_NUMBER" >> "$out"
echo "STUDY=$AUTOGLM_STUDY_NAME" >> "$out"
echo "FD=$AUTOGLM_REPORT_FD" >> "$out"
echo "EXTRA=$EXTRA" >> "$out"
echo "CUDA=${CUDA_VISIBLE_DEVICES-unset}" >> "$out"
echo '{"value": 0}' >&3
)");
  FakeTrial trial;
  trial.params_ = {{"lr", 0.001},          {"layers", int64_t{3}}, {"optimizer", std::string("adam w")},
                   {"warmup", true},       {"scheduler", std::monostate{}}, {"dropout", 0.1 + 0.2},
                   {"scale", 3.0},         {"tiny", 1e-5}};
  CommandSpec spec = sh_spec(script, dir);
  spec.argv = {"/bin/sh", script, out, "--lr={lr}", "--layers={layers}", "--optimizer={optimizer}",
               "{warmup}/{scheduler}", "{dropout}", "{scale}", "{tiny}", "{{literal}", "t{trial_number}-{study_name}",
               "momentum={momentum}"};
  spec.env = {{"EXTRA", "lr is {lr}"}};
  spec.search_space_params = {"lr", "layers", "momentum"};
  ASSERT_EQ(run_command(trial, spec, nullptr), std::vector<double>{0.0});
  auto lines = testing::split_lines(read_file(out));
  std::vector<std::string> expected_args = {"arg=--lr=0.001", "arg=--layers=3", "arg=--optimizer=adam w",
                                            "arg=true/null", "arg=0.30000000000000004", "arg=3.0",
                                            "arg=1e-05", "arg={literal}", "arg=t7-fake-study", "arg=momentum="};
  ASSERT_GE(lines.size(), expected_args.size() + 6);
  for (size_t i = 0; i < expected_args.size(); ++i) EXPECT_EQ(lines[i], expected_args[i]);
  size_t k = expected_args.size();
  ASSERT_EQ(lines[k].rfind("PARAMS=", 0), 0u);
  auto params = nlohmann::json::parse(lines[k].substr(7));
  EXPECT_EQ(params, nlohmann::json::parse(R"({"lr": 0.001, "layers": 3, "optimizer": "adam w", "warmup": true,
      "scheduler": null, "dropout": 0.30000000000000004, "scale": 3.0, "tiny": 1e-05})"));
  EXPECT_TRUE(params["scale"].is_number_float());
  EXPECT_EQ(lines[k + 1], "NUMBER=7");
  EXPECT_EQ(lines[k + 2], "STUDY=fake-study");
  EXPECT_EQ(lines[k + 3], "FD=3");
  EXPECT_EQ(lines[k + 4], "EXTRA=lr is 0.001");
  EXPECT_EQ(lines[k + 5], "CUDA=unset");
}

TEST(CommandRunner, UnknownPlaceholderIsAConfigErrorBeforeAnythingRuns) {
  TempDir dir;
  FakeTrial trial;
  trial.params_ = {{"lr", 0.1}};
  CommandSpec spec = sh_spec("/bin/true", dir);
  spec.argv = {"/bin/echo", "--lr={lr}", "--wd={weight_decay}"};
  try {
    run_command(trial, spec, nullptr);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown placeholder '{weight_decay}'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("known: lr, study_name, trial_number"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "logs"));
}

TEST(CommandRunner, CommandNotFound) {
  TempDir dir;
  FakeTrial trial;
  CommandSpec spec = sh_spec("", dir);
  spec.argv = {"no-such-command-autoglm", "--x"};
  CommandFailed e = expect_failure(trial, spec);
  EXPECT_EQ(e.reason(), "command not found: no-such-command-autoglm");
  EXPECT_EQ(trial.system_attrs.at("fail_reason"), "command not found: no-such-command-autoglm");
  spec.argv = {"./missing.sh"};
  spec.working_directory = dir.path().string();
  EXPECT_EQ(expect_failure(trial, spec).reason().rfind("command not found: ./missing.sh", 0), 0u);
  testing::write_file(dir / "noexec.sh", "#!/bin/sh\n");
  spec.argv = {"./noexec.sh"};
  EXPECT_EQ(expect_failure(trial, spec).reason(), "cannot execute ./noexec.sh: Permission denied");
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, OnlyFdsZeroToThreeReachTheChild) {
  TempDir dir;
  int leaked = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 0);
  std::string pidfile = dir / "pid";
  FakeTrial trial;
  CommandSpec spec = sh_spec("", dir);
  spec.argv = {"/bin/sh", "-c", "echo $$ > " + pidfile + ".tmp; mv " + pidfile + ".tmp " + pidfile +
                                    "; sleep 0.4; echo '{{\"value\": 1}' >&3"};
  std::vector<double> values;
  std::thread runner([&] { values = run_command(trial, spec, nullptr); });
  while (!std::filesystem::exists(pidfile)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::string pid = testing::read_file(pidfile);
  pid.pop_back();  // '\n'
  std::set<std::string> fds;  // the shell's descriptors while it waits for `sleep`
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + pid + "/fd"))
    fds.insert(e.path().filename().string());
  runner.join();
  ::close(leaked);
  EXPECT_EQ(values, std::vector<double>{1.0});
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2", "3"}));
}

TEST(CommandRunner, BackgroundProcessesLeftAfterSuccessAreStopped) {
  TempDir dir;
  std::string pidfile = dir / "pid";
  auto script = write_script(dir, "bg.sh", "sleep 100 &\necho $! > " + pidfile + "\necho '{\"value\": 2}' >&3\n");
  FakeTrial trial;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(run_command(trial, sh_spec(script, dir), nullptr), std::vector<double>{2.0});
  EXPECT_LT(testing::seconds_since(start), 2.0);
  EXPECT_TRUE(testing::wait_gone(std::stoi(read_file(pidfile))));
  std::string log = read_file(trial.system_attrs.at("log_path").get<std::string>());
  EXPECT_NE(log.find("processes of its group are still running"), std::string::npos) << log;
}

TEST(CommandRunner, StoppedChildStillTimesOut) {
  TempDir dir;
  auto script = write_script(dir, "stopped.sh", "kill -STOP $$\necho '{\"value\": 1}' >&3\n");
  FakeTrial trial;
  CommandSpec spec = sh_spec(script, dir);
  spec.timeout_seconds = 0.3;
  spec.grace_period_seconds = 1.0;
  auto start = std::chrono::steady_clock::now();
  // SIGCONT after SIGTERM lets it die of SIGTERM before the grace period ends.
  EXPECT_EQ(expect_failure(trial, spec).reason(), "timed out after 0.3 s");
  EXPECT_LT(testing::seconds_since(start), 1.2);
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, FloodedOutputsDoNotBlock) {
  TempDir dir;
  auto script = write_script(dir, "flood.sh", R"(
head -c 20000000 /dev/zero | tr '\0' 'x'
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "{\"step\": %d, \"value\": %d}\n", i, i }' >&3
echo '{"value": 5}' >&3
)");
  FakeTrial trial;
  CommandSpec spec = sh_spec(script, dir);
  spec.timeout_seconds = 15;
  EXPECT_EQ(run_command(trial, spec, nullptr), std::vector<double>{5.0});
  EXPECT_EQ(trial.intermediate_values.size(), 20000u);
  EXPECT_EQ(std::filesystem::file_size(trial.system_attrs.at("log_path").get<std::string>()), 20000000u);
}

TEST(CommandRunner, DiscardedLogsAndWorkingDirectory) {
  TempDir dir;
  std::string out = dir / "pwd";
  FakeTrial trial;
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", "pwd > " + out + "; echo noise; exit 4"};
  spec.working_directory = "/tmp";
  CommandFailed e = expect_failure(trial, spec);
  EXPECT_EQ(e.reason(), "command exited with status 4");
  EXPECT_EQ(std::string(e.what()), "command exited with status 4");  // no log, no tail
  EXPECT_EQ(e.log_path(), "");
  EXPECT_FALSE(trial.system_attrs.count("log_path"));
  EXPECT_EQ(read_file(out), "/tmp\n");
}

TEST(CommandRunner, ShutdownRequestStopsRunningTrials) {
  TempDir dir;
  auto script = write_script(dir, "long.sh", "sleep 100 &\nsleep 100\n");
  FakeTrial trial;
  CommandSpec spec = sh_spec(script, dir);
  spec.grace_period_seconds = 0.3;
  std::thread stopper([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    request_shutdown();
  });
  auto start = std::chrono::steady_clock::now();
  CommandFailed e = expect_failure(trial, spec);
  stopper.join();
  reset_shutdown();
  EXPECT_EQ(e.reason(), "interrupted: the engine is shutting down");
  EXPECT_LT(testing::seconds_since(start), 2.0);
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, GpusNeverOverlapAcrossParallelTrials) {
  TempDir dir;
  std::string out = dir / "gpus";
  // Each trial records its devices with start and end times (ns), holding them ~0.2 s.
  auto script = write_script(dir, "gpu.sh", "s=$(date +%s%N)\nsleep 0.2\ne=$(date +%s%N)\necho \"$CUDA_VISIBLE_DEVICES $s $e\" >> " +
                                                out + "\necho '{\"value\": 0}' >&3\n");
  GpuPool pool({0, 1, 2, 3}, 2);
  std::vector<std::thread> workers;
  std::atomic<int> ok{0};
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      for (int t = 0; t < 2; ++t) {
        FakeTrial trial;
        trial.number_ = w * 2 + t;
        CommandSpec spec = sh_spec(script, dir);
        if (run_command(trial, spec, &pool) == std::vector<double>{0.0} &&
            trial.system_attrs.at("gpus").size() == 2)
          ++ok;
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(pool.n_free(), 4);
  struct Use {
    std::set<std::string> gpus;
    long long start, end;
  };
  std::vector<Use> uses;
  for (const auto& line : testing::split_lines(read_file(out))) {
    std::istringstream in(line);
    std::string devices;
    Use u;
    in >> devices >> u.start >> u.end;
    std::istringstream ds(devices);
    for (std::string id; std::getline(ds, id, ',');) u.gpus.insert(id);
    EXPECT_EQ(u.gpus.size(), 2u) << line;
    uses.push_back(u);
  }
  ASSERT_EQ(uses.size(), 8u);
  for (size_t i = 0; i < uses.size(); ++i)
    for (size_t j = i + 1; j < uses.size(); ++j) {
      bool overlap_in_time = uses[i].start < uses[j].end && uses[j].start < uses[i].end;
      if (!overlap_in_time) continue;
      for (const auto& g : uses[i].gpus) EXPECT_FALSE(uses[j].gpus.count(g)) << "GPU " << g << " shared";
    }
}

TEST(CommandRunner, GpuReleasedWhenTheTrialFails) {
  TempDir dir;
  GpuPool pool({5}, 1);
  FakeTrial trial;
  CommandSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo \"$CUDA_VISIBLE_DEVICES\"; exit 1"};
  spec.log_dir = dir.path();
  EXPECT_THROW(run_command(trial, spec, &pool), CommandFailed);
  EXPECT_EQ(pool.n_free(), 1);
  EXPECT_EQ(trial.system_attrs.at("gpus"), nlohmann::json({5}));
  EXPECT_EQ(trial.system_attrs.at("log_tail"), "5\n[autoglm] trial failed: command exited with status 1");
}

/// A trial whose storage breaks at the second intermediate value.
class BrokenStorageTrial final : public TrialChannel {
 public:
  FakeTrial inner;
  int reports = 0;
  int number() const override { return inner.number(); }
  std::string study_name() const override { return inner.study_name(); }
  std::map<std::string, ParamValue> params() const override { return inner.params(); }
  size_t n_objectives() const override { return 1; }
  void report(double, int64_t) override {
    if (++reports == 2) throw StorageError("database is locked");
  }
  bool should_prune() override { return false; }
  void set_user_attr(const std::string& k, const nlohmann::json& v) override { inner.set_user_attr(k, v); }
  void set_system_attr(const std::string& k, const nlohmann::json& v) override { inner.set_system_attr(k, v); }
};

TEST(CommandRunner, AnEngineErrorMidRunStillKillsAndReapsTheGroup) {
  TempDir dir;
  std::string pids = dir / "pids";
  auto script = write_script(dir, "loop.sh", "sleep 100 &\necho $! > " + pids + R"(
i=0
while true; do echo "{\"step\": $i, \"value\": 1}" >&3; i=$((i+1)); sleep 0.05; done
)");
  BrokenStorageTrial trial;
  GpuPool pool({0}, 1);
  EXPECT_THROW(run_command(trial, sh_spec(script, dir), &pool), StorageError);
  EXPECT_TRUE(testing::wait_gone(std::stoi(read_file(pids))));
  EXPECT_EQ(pool.n_free(), 1);
  EXPECT_TRUE(testing::no_children_left());
}

TEST(CommandRunner, ValidateCommandSpec) {
  CommandSpec spec;
  EXPECT_THROW(validate_command_spec(spec, {}), ConfigError);
  spec.argv = {"/bin/echo", "{lr}", "{trial_number}"};
  EXPECT_NO_THROW(validate_command_spec(spec, {"lr"}));
  try {
    validate_command_spec(spec, {"learning_rate"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("argument 1: unknown placeholder '{lr}'"), std::string::npos) << e.what();
  }
  spec.env = {{"X", "{nope}"}};
  EXPECT_THROW(validate_command_spec(spec, {"lr"}), ConfigError);
  spec.env = {{"AUTOGLM_PARAMS", "x"}};
  EXPECT_THROW(validate_command_spec(spec, {"lr"}), ConfigError);
  spec.env.clear();
  spec.grace_period_seconds = -1;
  EXPECT_THROW(validate_command_spec(spec, {"lr"}), ConfigError);
  spec.grace_period_seconds = 1;
  spec.timeout_seconds = 0;
  EXPECT_THROW(validate_command_spec(spec, {"lr"}), ConfigError);
  spec.timeout_seconds.reset();
  spec.argv = {"no-such-command-autoglm"};
  try {
    validate_command_spec(spec, {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("command not found: no-such-command-autoglm"), std::string::npos);
  }
  spec.argv = {"sh", "-c", "true"};
  EXPECT_NO_THROW(validate_command_spec(spec, {}));
  spec.working_directory = "/no/such/dir";
  EXPECT_THROW(validate_command_spec(spec, {}), ConfigError);
}

TEST(CommandRunner, ReadLogTail) {
  TempDir dir;
  std::string path = dir / "log";
  EXPECT_EQ(read_log_tail(path, 5), "");
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "line " + std::to_string(i) + "\n";
  testing::write_file(path, text);
  EXPECT_EQ(read_log_tail(path, 3), "line 9997\nline 9998\nline 9999");
  testing::write_file(path, "a\nb");
  EXPECT_EQ(read_log_tail(path, 5), "a\nb");
}

}  // namespace
}  // namespace autoglm
