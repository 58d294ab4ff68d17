// End-to-end tests of the `autoglm` binary: each test runs the real executable as a child process
// in a fresh temporary directory and checks exit codes, output and the SQLite database it leaves.
//
// Objectives are a tiny Python program speaking the trial protocol (a quadratic with
// intermediate values, ~0.05 s per trial), so the suite stays fast.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/e2e_util.h"

namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

using autoglm_e2e::decode_status;
using autoglm_e2e::kAutoglm;
using autoglm_e2e::read_file;
using autoglm_e2e::Result;

class E2E : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/autoglm-e2e-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    write("obj.py",
          "import json, os, sys, time\n"
          "x = float(sys.argv[1]); y = int(sys.argv[2])\n"
          "steps = int(os.environ.get('STEPS', '3')); pause = float(os.environ.get('PAUSE', '0.01'))\n"
          "ch = os.fdopen(int(os.environ['AUTOGLM_REPORT_FD']), 'w', buffering=1)\n"
          "v = (x - 1.0) ** 2 + (y - 2) ** 2\n"
          "for s in range(1, steps + 1):\n"
          "    time.sleep(pause)\n"
          "    ch.write(json.dumps({'step': s, 'value': v + 1.0 / s}) + '\\n')\n"
          "print('done', v)\n"
          "ch.write(json.dumps({'value': v}) + '\\n')\n");
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir_, ec);
    else std::cerr << "kept " << dir_ << " for inspection\n";
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
  }

  // A study config around the quadratic objective.
  std::string config(const std::string& extra = "", const std::string& pause = "0.01", int steps = 3) {
    return "study: quad\n"
           "space:\n"
           "  x: {type: float, low: -3.0, high: 3.0}\n"
           "  y: {type: int, low: 0, high: 4}\n"
           "sampler: {name: tpe, n_startup_trials: 3}\n"
           "pruner: nop\n"
           "objective:\n"
           "  command: /usr/bin/python3 {config_dir}/obj.py {x} {y}\n"
           "  env: {PAUSE: '" + pause + "', STEPS: '" + std::to_string(steps) + "'}\n"
           "  grace_period: 1\n" +
           extra;
  }

  // Starts `autoglm args...` in the temp dir; its stdout and stderr go to .stdout<tag> and
  // .stderr<tag> (a tag per process when several run at once).
  pid_t spawn(const std::vector<std::string>& args, const std::string& tag = "") {
    std::vector<std::string> full{kAutoglm};
    full.insert(full.end(), args.begin(), args.end());
    return autoglm_e2e::spawn_in(dir_, full, dir_ / (".stdout" + tag), dir_ / (".stderr" + tag));
  }

  Result finish(pid_t pid, const std::string& tag = "") {
    Result r = autoglm_e2e::finish_spawn(pid, dir_ / (".stdout" + tag), dir_ / (".stderr" + tag));
    fs::remove(dir_ / (".stdout" + tag));
    fs::remove(dir_ / (".stderr" + tag));
    return r;
  }

  Result run(const std::vector<std::string>& args) { return finish(spawn(args)); }

  // Files and folders in the temp dir other than the test's own inputs.
  std::vector<std::string> created() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string n = e.path().filename().string();
      if (n == "obj.py" || n.rfind(".std", 0) == 0 || (n.size() > 5 && n.substr(n.size() - 5) == ".yaml")) continue;
      out.push_back(n);
    }
    return out;
  }

  json trials_json(const std::string& storage = "sqlite:///autoglm.db", const std::string& study = "quad") {
    Result r = run({"trials", "--study", study, "--storage", storage, "--format", "json"});
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out);
  }

  static int count_state(const json& trials, const std::string& state, bool baseline = false) {
    int n = 0;
    for (const auto& t : trials) {
      bool is_base = t["user_attrs"].contains("baseline") && t["user_attrs"]["baseline"] == true;
      if (t["state"] == state && is_base == baseline) ++n;
    }
    return n;
  }

  // Checks a refused command: exit 2, exactly one line on stderr containing `needles`, nothing
  // written in the directory.
  void expect_refused(const std::vector<std::string>& args, const std::vector<std::string>& needles) {
    Result r = run(args);
    SCOPED_TRACE("autoglm " + ::testing::PrintToString(args));
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr("autoglm: error: "));
    for (const auto& n : needles) EXPECT_THAT(r.err, HasSubstr(n));
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_THAT(created(), ::testing::IsEmpty()) << "nothing may be written for bad input";
  }

  fs::path dir_;
};

TEST_F(E2E, VersionAndHelp) {
  Result v = run({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_THAT(v.out, HasSubstr("autoglm "));
  for (const char* verb : {"tune", "studies", "trials", "best"}) {
    Result h = run({verb, "--help"});
    EXPECT_EQ(h.code, 0) << verb;
    EXPECT_THAT(h.out, HasSubstr("Usage")) << verb;
  }
  Result h = run({"--help"});
  EXPECT_EQ(h.code, 0);
  EXPECT_THAT(h.out, AllOf(HasSubstr("tune"), HasSubstr("studies"), HasSubstr("trials"), HasSubstr("best"), HasSubstr("train")));
  EXPECT_THAT(created(), ::testing::IsEmpty());
}

TEST_F(E2E, BadInputIsRefusedWithOneLineAndNothingWritten) {
  expect_refused({"tune", "missing.yaml"}, {"missing.yaml", "does not exist"});

  write("syntax.yaml", "space:\n  x: [1, 2\nobjective: /bin/true\n");
  expect_refused({"tune", "syntax.yaml"}, {"syntax.yaml:3:", "YAML syntax error"});

  write("unknown.yaml", config("n_trails: 3\n"));
  expect_refused({"tune", "unknown.yaml"}, {"unknown key 'n_trails'", "did you mean 'n_trials'"});

  write("type.yaml", config("n_jobs: two\n"));
  expect_refused({"tune", "type.yaml"}, {"n_jobs", "expected an integer"});

  write("space.yaml", "space:\n  lr: {low: 0.1, high: 0.01}\nobjective: /bin/true\n");
  expect_refused({"tune", "space.yaml"}, {"space.yaml:2:", "'lr'", "greater than high"});

  write("step.yaml", "space:\n  x: {low: 0.0, high: 1.0, step: 0.3}\nobjective: /bin/true\n");
  expect_refused({"tune", "step.yaml"}, {"'x'", "does not divide"});

  write("when.yaml", "space:\n  m: {low: 0.0, high: 1.0, when: {opt: sgd}}\nobjective: /bin/true\n");
  expect_refused({"tune", "when.yaml"}, {"'m'", "unknown parameter 'opt'"});

  write("sampler.yaml", "space: {x: [1]}\nobjective: /bin/true\nsampler: {name: tpee}\n");
  expect_refused({"tune", "sampler.yaml"}, {"sampler.yaml:3:", "sampler", "did you mean 'tpe'"});

  write("pruner.yaml", "space: {x: [1]}\nobjective: /bin/true\npruner: {name: median, n_startup: 2}\n");
  expect_refused({"tune", "pruner.yaml"}, {"pruner.yaml:3:", "n_startup", "did you mean 'n_startup_trials'"});

  write("placeholder.yaml", "space: {x: [1]}\nobjective: /bin/echo {y}\n");
  expect_refused({"tune", "placeholder.yaml"}, {"unknown placeholder '{y}'"});

  write("program.yaml", "space: {x: [1]}\nobjective: no-such-program-autoglm {x}\n");
  expect_refused({"tune", "program.yaml"}, {"no-such-program-autoglm"});

  write("good.yaml", config());
  expect_refused({"tune", "good.yaml", "--storage", "sqlite:///no/such/dir/x.db"}, {"no/such/dir", "does not exist"});
  // An unreachable PostgreSQL server (here: a host name that does not resolve): one line, the
  // password hidden.
  expect_refused({"tune", "good.yaml", "--storage", "postgresql://u:secret@h.invalid/db"},
                 {"cannot connect to postgresql://u:***@h.invalid/db", "host name"});
  expect_refused({"tune", "good.yaml", "--n-trials", "0"}, {"--n-trials"});
  expect_refused({"tune", "good.yaml", "--n-trials", "abc"}, {"abc"});
  expect_refused({"tune", "good.yaml", "--bogus"}, {"--bogus"});
  expect_refused({"tune"}, {"config"});
  expect_refused({"trials", "--study", "quad"}, {"autoglm.db", "does not exist"});
  expect_refused({"best", "--study", "quad"}, {"does not exist"});
  expect_refused({"studies"}, {"does not exist"});
  expect_refused({"trials"}, {"--study"});
  expect_refused({"frobnicate"}, {"frobnicate"});
}

TEST_F(E2E, BadNumbersProgramPathsLogDirsAndFlagsAreRefused) {
  write("big.yaml", config("n_trials: 1e400\n"));
  expect_refused({"tune", "big.yaml"}, {"big.yaml:11:", "n_trials", "1e400 is out of range for a number"});
  write("high.yaml", "space:\n  x: {low: 0.0, high: 1e400}\nobjective: /bin/true\n");
  expect_refused({"tune", "high.yaml"}, {"high.yaml:2:", "space.x.high", "out of range for a number"});
  write("choice.yaml", "space:\n  x: [1, 1e400]\nobjective: /bin/true\n");
  expect_refused({"tune", "choice.yaml"}, {"choice.yaml:2:", "space.x[1]", "out of range for a number"});
  write("timeout.yaml", config("timeout: 1e400\n"));
  expect_refused({"tune", "timeout.yaml"}, {"timeout.yaml:11:", "timeout", "out of range for a number"});

  write("relative.yaml", "space: {x: [1]}\nobjective: ./no-such.sh {x}\n");
  expect_refused({"tune", "relative.yaml"}, {"relative.yaml:2:", "'./no-such.sh' does not exist", (dir_ / "no-such.sh").string()});
  write("absolute.yaml", "space: {x: [1]}\nobjective: /abs/missing {x}\n");
  expect_refused({"tune", "absolute.yaml"}, {"absolute.yaml:2:", "'/abs/missing' does not exist"});
  // log_dir: an existing regular file (this very config), or under a root where nothing can be created.
  write("logfile.yaml", config("  log_dir: logfile.yaml\n"));
  expect_refused({"tune", "logfile.yaml"}, {"logfile.yaml:11:", "objective.log_dir", "is not a directory"});
  write("proc.yaml", config("  log_dir: /proc/nope\n"));
  expect_refused({"tune", "proc.yaml"}, {"proc.yaml:11:", "objective.log_dir", "cannot create", "/proc"});

  write("good.yaml", config());
  expect_refused({"tune", "good.yaml", "--seed", "-1"}, {"--seed", "must be >= 0", "-1"});
  expect_refused({"tune", "good.yaml", "--timeout", "abc"}, {"--timeout", "90s, 30m, 2h", "'abc'"});
  expect_refused({"tune", "good.yaml", "--timeout", "0"}, {"--timeout", "must be > 0"});
  expect_refused({"tune", "good.yaml", "--timeout", "1e400"}, {"--timeout", "out of range for a number"});
}

TEST_F(E2E, TimeoutFlagTakesDurationsLikeTheConfig) {
  write("quad.yaml", config());
  for (const char* timeout : {"90s", "30m", "2h", "120"}) {
    Result r = run({"tune", "quad.yaml", "--n-trials", "2", "--timeout", timeout, "--seed", "0"});
    ASSERT_EQ(r.code, 0) << timeout << ": " << r.err;
  }
  EXPECT_EQ(count_state(trials_json(), "COMPLETE"), 2);
}

TEST_F(E2E, ConfigDirWithBracesIsSubstitutedOnce) {
  // The config and the objective live in "a{x}": {config_dir} must stay that path in the command
  // rather than have its "{x}" replaced by the trial's x.
  fs::create_directories(dir_ / "a{x}");
  fs::copy_file(dir_ / "obj.py", dir_ / "a{x}" / "obj.py");
  write("a{x}/quad.yaml", config("n_trials: 2\n"));
  Result r = run({"tune", "a{x}/quad.yaml"});
  ASSERT_EQ(r.code, 0) << r.err;
  json trials = trials_json();
  EXPECT_EQ(count_state(trials, "COMPLETE"), 2) << trials.dump(1);
}

// Several `autoglm tune` processes on one study and SQLite file (the documented way to use more
// workers) together run exactly n_trials, and the baseline once.
TEST_F(E2E, ConcurrentProcessesRunExactlyNTrialsAndOneBaseline) {
  write("quad.yaml", config("n_trials: 12\nbaseline: {x: 0.0, y: 0}\n", "0.05", 3));  // ~0.2 s per trial
  pid_t a = spawn({"tune", "quad.yaml", "--n-jobs", "2"}, "-a");
  pid_t b = spawn({"tune", "quad.yaml", "--n-jobs", "2"}, "-b");
  Result ra = finish(a, "-a");
  Result rb = finish(b, "-b");
  ASSERT_EQ(ra.code, 0) << ra.err;
  ASSERT_EQ(rb.code, 0) << rb.err;
  EXPECT_THAT(ra.err, HasSubstr(" COMPLETE")) << "both processes ran trials";
  EXPECT_THAT(rb.err, HasSubstr(" COMPLETE")) << "both processes ran trials";

  json trials = trials_json();
  int results = 0, baselines = 0;
  std::set<int> numbers;
  for (const auto& t : trials) {
    EXPECT_TRUE(numbers.insert(t["number"].get<int>()).second) << "trial numbers are unique: " << t["number"];
    const bool base = t["user_attrs"].contains("baseline") && t["user_attrs"]["baseline"] == true;
    if (base) ++baselines;
    else if (t["state"] == "COMPLETE" || t["state"] == "PRUNED") ++results;
    else ADD_FAILURE() << "unexpected trial " << t.dump();
  }
  EXPECT_EQ(results, 12) << trials.dump(1);
  EXPECT_EQ(baselines, 1) << trials.dump(1);
  EXPECT_EQ(count_state(trials, "COMPLETE", /*baseline=*/true), 1);
  EXPECT_EQ(trials.size(), 13u);
}

TEST_F(E2E, BaselineRunningInAnotherProcessIsLeftToIt) {
  write("slow.yaml", config("n_trials: 1\nbaseline: {x: 0.0, y: 0}\n", "0.3", 5));  // ~1.5 s per trial
  pid_t first = spawn({"tune", "slow.yaml"}, "-1");
  // Trial 0 is the search, trial 1 the baseline: wait until the baseline runs.
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ready = fs::exists(dir_ / "autoglm-logs" / "quad" / "trial-1.log");
  }
  ASSERT_TRUE(ready);
  Result second = run({"tune", "slow.yaml"});
  Result r = finish(first, "-1");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("is running in another process as trial 1; not running it here"));
  EXPECT_THAT(second.out, HasSubstr("default configuration: still running in another process (trial #1)"));
  EXPECT_THAT(r.out, HasSubstr("vs default configuration: 5"));
  json trials = trials_json();
  EXPECT_EQ(trials.size(), 2u) << trials.dump(1);
  EXPECT_EQ(count_state(trials, "COMPLETE", /*baseline=*/true), 1);
}

TEST_F(E2E, TuneTwoJobsOnSqliteThenInspect) {
  write("quad.yaml", config("n_jobs: 2\nseed: 1\n"));
  Result r = run({"tune", "quad.yaml", "--n-trials", "6"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "autoglm.db"));
  EXPECT_TRUE(fs::is_directory(dir_ / "autoglm-logs" / "quad")) << "per-trial logs beside the database";
  EXPECT_TRUE(fs::exists(dir_ / "autoglm-logs" / "quad" / "trial-0.log"));
  // Not a terminal: one line per finished trial on stderr, the best trial on stdout.
  for (int i = 0; i < 6; ++i) EXPECT_THAT(r.err, HasSubstr("trial " + std::to_string(i) + " COMPLETE"));
  EXPECT_THAT(r.out, HasSubstr("best trial #"));

  json trials = trials_json();
  ASSERT_EQ(trials.size(), 6u);
  double best_value = 1e300;
  for (const auto& t : trials) {
    EXPECT_EQ(t["state"], "COMPLETE");
    ASSERT_TRUE(t["value"].is_number());
    best_value = std::min(best_value, t["value"].get<double>());
    const double x = t["params"]["x"].get<double>();
    const auto y = t["params"]["y"].get<int64_t>();
    EXPECT_GE(x, -3.0);
    EXPECT_LE(x, 3.0);
    EXPECT_GE(y, 0);
    EXPECT_LE(y, 4);
    EXPECT_NEAR(t["value"].get<double>(), (x - 1) * (x - 1) + (y - 2) * (y - 2), 1e-9);
    ASSERT_EQ(t["intermediate_values"].size(), 3u);
    EXPECT_NEAR(t["intermediate_values"]["1"].get<double>(), t["value"].get<double>() + 1.0, 1e-9);
    EXPECT_EQ(t["values"].size(), 1u);
    EXPECT_TRUE(t["datetime_start"].is_string());
    EXPECT_TRUE(t["datetime_complete"].is_string());
    EXPECT_GT(t["duration"].get<double>(), 0.0);
    EXPECT_TRUE(t.contains("user_attrs"));
  }

  Result b = run({"best", "--study", "quad", "--format", "json"});
  ASSERT_EQ(b.code, 0) << b.err;
  json best = json::parse(b.out);
  EXPECT_EQ(best["state"], "COMPLETE");
  EXPECT_DOUBLE_EQ(best["value"].get<double>(), best_value);
  EXPECT_TRUE(best["number"].is_number_integer());
  EXPECT_TRUE(best["params"].contains("x"));

  Result text = run({"best", "--study", "quad"});
  EXPECT_EQ(text.code, 0);
  EXPECT_THAT(text.out, HasSubstr("trial #" + std::to_string(best["number"].get<int>())));

  Result studies = run({"studies"});
  EXPECT_EQ(studies.code, 0);
  EXPECT_THAT(studies.out, AllOf(HasSubstr("quad"), HasSubstr("minimize")));
  Result sj = run({"studies", "--format", "json"});
  EXPECT_EQ(json::parse(sj.out)[0]["n_trials"], 6);

  Result csv = run({"trials", "--study", "quad", "--format", "csv"});
  EXPECT_EQ(csv.code, 0);
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 7);  // header + 6
  EXPECT_THAT(csv.out, HasSubstr("number,state,value,duration,x,y"));
  Result complete = run({"trials", "--study", "quad", "--state", "complete"});
  EXPECT_EQ(complete.code, 0);
  Result failed = run({"trials", "--study", "quad", "--state", "FAIL", "--format", "json"});
  EXPECT_EQ(json::parse(failed.out).size(), 0u);

  // An unknown study in an existing database: exit 2, and the hint to list the studies.
  for (const char* verb : {"trials", "best"}) {
    Result u = run({verb, "--study", "qaud"});
    EXPECT_EQ(u.code, 2);
    EXPECT_THAT(u.err, AllOf(HasSubstr("'qaud'"), HasSubstr("quad"), HasSubstr("autoglm studies")));
  }
}

TEST_F(E2E, ResumeRunsOnlyTheMissingTrials) {
  write("quad.yaml", config("n_jobs: 2\n"));
  Result first = run({"tune", "quad.yaml", "--n-trials", "6"});
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(trials_json().size(), 6u);
  Result second = run({"tune", "quad.yaml", "--n-trials", "10"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr("resuming with 6"));
  json trials = trials_json();
  EXPECT_EQ(trials.size(), 10u);
  EXPECT_EQ(count_state(trials, "COMPLETE"), 10);
  // A changed parameter kind is refused before anything runs.
  write("changed.yaml", "study: quad\nspace:\n  x: [a, b]\n  y: {type: int, low: 0, high: 4}\nobjective: /bin/true\n");
  Result changed = run({"tune", "changed.yaml", "--n-trials", "12"});
  EXPECT_EQ(changed.code, 2);
  EXPECT_THAT(changed.err, AllOf(HasSubstr("changed.yaml:3:"), HasSubstr("space.x"), HasSubstr("already sampled")));
  EXPECT_EQ(trials_json().size(), 10u);
  // Reached already: nothing more runs.
  Result third = run({"tune", "quad.yaml", "--n-trials", "10"});
  ASSERT_EQ(third.code, 0) << third.err;
  EXPECT_EQ(trials_json().size(), 10u);
}

TEST_F(E2E, BaselineRunsOnceAndIsCompared) {
  // Seeded: 4 unseeded random trials all missed the baseline's value now and then.
  write("quad.yaml", config("n_trials: 4\nseed: 0\nbaseline: {x: 0.0, y: 0}\n"));
  Result r = run({"tune", "quad.yaml"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("vs default configuration: 5"), HasSubstr("better")));
  json trials = trials_json();
  EXPECT_EQ(trials.size(), 5u);
  EXPECT_EQ(count_state(trials, "COMPLETE", /*baseline=*/true), 1);
  EXPECT_EQ(count_state(trials, "COMPLETE"), 4);
  Result again = run({"tune", "quad.yaml", "--n-trials", "5"});
  ASSERT_EQ(again.code, 0) << again.err;
  trials = trials_json();
  EXPECT_EQ(count_state(trials, "COMPLETE", true), 1) << "the baseline runs once per study";
  EXPECT_EQ(count_state(trials, "COMPLETE"), 5);
}

TEST_F(E2E, FailingTrialsAreRecordedAndTheStudyGoesOn) {
  write("fail.yaml",
        "study: quad\nspace: {x: {type: int, low: 0, high: 3}}\nsampler: {name: random, seed: 0}\n"
        "objective: /bin/sh -c 'echo boom >&2; exit 3'\nn_trials: 3\n");
  Result r = run({"tune", "fail.yaml"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("FAIL"), HasSubstr("status 3")));
  json trials = trials_json();
  EXPECT_EQ(count_state(trials, "FAIL"), 3);
  EXPECT_THAT(trials[0]["fail_reason"].get<std::string>(), HasSubstr("status 3"));
  EXPECT_THAT(r.out, HasSubstr("no COMPLETE trial"));
}

TEST_F(E2E, ResumeAfterKill9FailsStaleTrialsAndReachesTheTotal) {
  write("slow.yaml", config("n_jobs: 2\nn_trials: 6\n", "0.15", 4));  // ~0.6 s per trial
  pid_t pid = spawn({"tune", "slow.yaml"});
  // Kill once a trial finished and others are running (the log of trial 2 exists).
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ready = fs::exists(dir_ / "autoglm-logs" / "quad" / "trial-2.log");
  }
  ASSERT_TRUE(ready);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ::kill(pid, SIGKILL);
  Result killed = finish(pid);
  EXPECT_EQ(killed.code, 128 + SIGKILL);
  json before = trials_json();
  const int running = count_state(before, "RUNNING");
  EXPECT_GE(running, 1) << before.dump(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // orphaned trial commands end

  Result resumed = run({"tune", "slow.yaml"});
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr("stale RUNNING trial(s) marked FAIL"));
  json after = trials_json();
  EXPECT_EQ(count_state(after, "RUNNING"), 0);
  EXPECT_EQ(count_state(after, "COMPLETE"), 6) << "the requested total is still reached";
  EXPECT_EQ(count_state(after, "FAIL"), running);
  for (const auto& t : after) {
    if (t["state"] == "FAIL") {
      EXPECT_THAT(t["fail_reason"].get<std::string>(), HasSubstr("stale"));
    }
  }
}

TEST_F(E2E, CtrlCStopsCleanlyWithExit130) {
  write("slow.yaml", config("n_jobs: 2\nn_trials: 50\n", "0.5", 20));  // ~10 s per trial
  pid_t pid = spawn({"tune", "slow.yaml"});
  bool ready = false;
  for (int i = 0; i < 200 && !ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ready = fs::exists(dir_ / "autoglm-logs" / "quad" / "trial-1.log");
  }
  ASSERT_TRUE(ready);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  Result r = finish(pid);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.code, 130) << r.err;
  EXPECT_LT(took, 5.0) << "running trials are terminated, not waited for";
  EXPECT_THAT(r.err, HasSubstr("interrupted"));
  json trials = trials_json();
  EXPECT_EQ(count_state(trials, "RUNNING"), 0);
  EXPECT_EQ(count_state(trials, "WAITING"), 0);
  EXPECT_GE(count_state(trials, "FAIL"), 1);
  EXPECT_LE(trials.size(), 4u) << "no new trials after Ctrl-C";
  for (const auto& t : trials) {
    if (t["state"] == "FAIL") {
      EXPECT_THAT(t["fail_reason"].get<std::string>(), HasSubstr("interrupted"));
    }
  }
}

TEST_F(E2E, TrainWithoutTrainerIsAClearError) {
  if (fs::exists(fs::path(AUTOGLM_BINARY_DIR) / "autoglm-train")) GTEST_SKIP() << "autoglm-train is built here";
  Result r = run({"train", "lm", "--max-steps", "1"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, AllOf(HasSubstr("autoglm-train was not built"), HasSubstr("AUTOGLM_WITH_TORCH")));
}

TEST_F(E2E, TrainDelegatesToTheTrainer) {
  if (!fs::exists(fs::path(AUTOGLM_BINARY_DIR) / "autoglm-train")) GTEST_SKIP() << "autoglm-train not built";
  Result r = run({"train", "lm", "--help"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, HasSubstr("--lr"));
}


// The whole path with the real workload: a tiny LM study on a slice of Moby Dick, two trials at
// a time as child processes, TPE + successive halving, SQLite, and the baseline comparison.
TEST_F(E2E, TinyLanguageModelStudyEndToEnd) {
  const fs::path corpus = fs::path(AUTOGLM_SOURCE_DIR) / "data" / "moby-dick.txt";
  if (!fs::exists(fs::path(AUTOGLM_BINARY_DIR) / "autoglm-train")) GTEST_SKIP() << "autoglm-train not built";
  if (!fs::exists(corpus)) GTEST_SKIP() << "corpus missing: run scripts/setup.sh";
  write("lm.yaml",
        "study: tiny-lm\n"
        "n_trials: 6\n"
        "n_jobs: 2\n"
        "seed: 3\n"
        "space:\n"
        "  lr: {type: float, low: 1.0e-4, high: 3.0e-2, log: true}\n"
        "  batch_size: {type: int, values: [8, 16]}\n"
        "  optimizer: {values: [adamw, sgd]}\n"
        "  momentum: {type: float, low: 0.5, high: 0.95, when: {optimizer: sgd}}\n"
        "  dropout: {type: float, low: 0.0, high: 0.2, step: 0.1}\n"
        "  n_layers: {type: int, low: 1, high: 2}\n"
        "  d_model: {type: int, values: [32, 48]}\n"
        "sampler: {name: tpe, n_startup_trials: 3, multivariate: true, constant_liar: true}\n"
        "pruner: {name: successive_halving, min_resource: 10, reduction_factor: 2}\n"
        "objective:\n"
        "  command: >-\n"
        "    autoglm train lm --data " + corpus.string() + " --data-limit 100000\n"
        "    --lr {lr} --batch-size {batch_size} --optimizer {optimizer} --momentum {momentum}\n"
        "    --dropout {dropout} --n-layers {n_layers} --d-model {d_model} --n-heads 4\n"
        "    --context 32 --max-steps 40 --eval-interval 10 --eval-batches 2 --seed 0 --threads 1\n"
        "  timeout: 5m\n"
        "  grace_period: 2\n"
        "baseline: {lr: 3.0e-4, batch_size: 16, optimizer: adamw, dropout: 0.1, n_layers: 1, d_model: 32}\n");
  Result r = run({"tune", "lm.yaml"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("best trial #"), HasSubstr("vs default configuration")));

  json trials = trials_json("sqlite:///autoglm.db", "tiny-lm");
  ASSERT_EQ(trials.size(), 7u) << "6 trials + the baseline";
  int complete = 0, pruned = 0, baseline = 0;
  for (const auto& t : trials) {
    const std::string state = t["state"];
    ASSERT_TRUE(state == "COMPLETE" || state == "PRUNED") << t.dump();
    const bool sgd = t["params"]["optimizer"] == "sgd";
    EXPECT_EQ(t["params"].contains("momentum"), sgd) << "momentum only for SGD";
    ASSERT_FALSE(t["intermediate_values"].empty());
    EXPECT_TRUE(t["intermediate_values"].contains("10")) << "validation bpb reported at every evaluation";
    for (const auto& [step, v] : t["intermediate_values"].items()) {
      EXPECT_GT(v.get<double>(), 0.5);
      EXPECT_LT(v.get<double>(), 9.0);
    }
    if (state == "COMPLETE") {
      ++complete;
      EXPECT_EQ(t["intermediate_values"].size(), 4u);  // steps 10, 20, 30, 40
      EXPECT_DOUBLE_EQ(t["value"].get<double>(), t["intermediate_values"]["40"].get<double>());
    } else {
      ++pruned;
      // Stopped at a rung of successive halving (steps 10, 20, 40 for min_resource 10, factor 2):
      // a trial whose last report (step 40) falls on a rung may be pruned there too.
      const std::string last = std::prev(t["intermediate_values"].end()).key();
      EXPECT_TRUE(last == "10" || last == "20" || last == "40") << t.dump();
    }
    if (t["user_attrs"].value("baseline", false)) ++baseline;
  }
  EXPECT_EQ(baseline, 1);
  EXPECT_GE(complete, 2);
  Result b = run({"best", "--study", "tiny-lm", "--format", "json"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_LT(json::parse(b.out)["value"].get<double>(), 8.0);
}

}  // namespace
