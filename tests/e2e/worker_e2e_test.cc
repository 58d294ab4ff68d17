// End-to-end tests of `autoglm worker`, `autoglm retry`, `--n-complete`, interrupted-trial
// retries and the heartbeat columns of `autoglm trials` (docs/cli.md), on real processes and a
// real SQLite file. The kill -9 / PostgreSQL / network-partition scenarios are in tests/fault/.
#include <signal.h>

#include <chrono>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "autoglm/storage.h"
#include "e2e/e2e_util.h"

namespace autoglm_e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class WorkerE2E : public TempDirTest {
 protected:
  WorkerE2E() : TempDirTest("autoglm-worker-") {}

  // A study over sphere(x0, x1) with the given extra top-level YAML.
  void sphere_config(const std::string& extra) {
    write("s.yaml", "study: sph\nstorage: " + db_ +
                        "\nspace:\n  x0: {type: float, low: -5, high: 5}\n  x1: {type: float, low: -5, high: 5}\n"
                        "sampler: {name: random, seed: 4}\npruner: none\nobjective: {function: sphere}\n" + extra);
  }
  json trials_json(const std::string& study, const std::string& state = "") {
    std::vector<std::string> args{"trials", "--study", study, "--storage", db_, "--format", "json"};
    if (!state.empty()) {
      args.push_back("--state");
      args.push_back(state);
    }
    Result r = run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? json::parse(r.out) : json::array();
  }
  static int count_state(const json& trials, const std::string& state) {
    int n = 0;
    for (const auto& t : trials) n += t["state"] == state;
    return n;
  }
};

TEST_F(WorkerE2E, WorkersJoinAStudyWithNoConfigAndTogetherReachItsTarget) {
  sphere_config("n_trials: 3\n");
  ASSERT_EQ(run({"tune", "s.yaml"}).code, 0);
  // The config is gone: the workers need only the URL (flag or AUTOGLM_STORAGE) and the name.
  fs::remove(dir_ / "s.yaml");
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i)
    pids.push_back(spawn_in(dir_, {kAutoglm, "worker", "--study", "sph", "--storage", db_, "--n-trials", "60"},
                            dir_ / ("w" + std::to_string(i) + ".out"), dir_ / ("w" + std::to_string(i) + ".err")));
  for (size_t i = 0; i < pids.size(); ++i) {
    Result r = finish_spawn(pids[i], dir_ / ("w" + std::to_string(i) + ".out"), dir_ / ("w" + std::to_string(i) + ".err"));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("best trial #"), std::string::npos) << r.out;
  }
  const json trials = trials_json("sph");
  EXPECT_EQ(trials.size(), 60u);
  EXPECT_EQ(count_state(trials, "COMPLETE"), 60);
  for (size_t i = 0; i < trials.size(); ++i) EXPECT_EQ(trials[i]["number"], static_cast<int>(i));
  // A worker on a study that already reached its target starts nothing and says so.
  Result again = run({"worker", "--study", "sph", "--storage", db_, "--n-trials", "60"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("nothing to run"), std::string::npos) << again.err;
}

TEST_F(WorkerE2E, CancelStopsWorkersAndTuneLiftsIt) {
  sphere_config("n_trials: 2\n");
  ASSERT_EQ(run({"tune", "s.yaml"}).code, 0);
  Result cancel = run({"cancel", "--study", "sph", "--storage", db_});
  ASSERT_EQ(cancel.code, 0) << cancel.err;
  Result stopped = run({"worker", "--study", "sph", "--storage", db_, "--n-trials", "10"});
  EXPECT_EQ(stopped.code, 0) << stopped.err;
  EXPECT_NE(stopped.err.find("asked the workers of study 'sph' to start no new trial"), std::string::npos) << stopped.err;
  EXPECT_EQ(trials_json("sph").size(), 2u);
  Result resumed = run({"tune", "s.yaml", "--n-trials", "5"});
  EXPECT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("cleared it"), std::string::npos) << resumed.err;
  EXPECT_EQ(trials_json("sph").size(), 5u);
}

TEST_F(WorkerE2E, WorkerRefusesBadInputWithOneLine) {
  sphere_config("n_trials: 2\n");
  ASSERT_EQ(run({"tune", "s.yaml"}).code, 0);
  ::unsetenv("AUTOGLM_STORAGE");
  Result no_storage = run({"worker", "--study", "sph"});
  EXPECT_EQ(no_storage.code, 2);
  EXPECT_NE(no_storage.err.find("AUTOGLM_STORAGE"), std::string::npos) << no_storage.err;
  Result unknown = run({"worker", "--study", "nope", "--storage", db_});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("sph"), std::string::npos) << unknown.err;  // lists the studies there
  Result missing_db = run({"worker", "--study", "sph", "--storage", "sqlite:///" + (dir_ / "none.db").string()});
  EXPECT_EQ(missing_db.code, 2);
  EXPECT_FALSE(fs::exists(dir_ / "none.db"));
  Result both = run({"worker", "--study", "sph", "--storage", db_, "--n-trials", "5", "--n-complete", "5"});
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("exclusive"), std::string::npos) << both.err;
  // A study created without `autoglm tune` has no stored config.
  {
    auto storage = autoglm::open_storage(db_);
    storage->create_new_study("bare", {autoglm::StudyDirection::MINIMIZE});
  }
  Result bare = run({"worker", "--study", "bare", "--storage", db_});
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.err.find("no stored config"), std::string::npos) << bare.err;
  for (const Result* r : {&no_storage, &unknown, &missing_db, &both, &bare})
    EXPECT_EQ(std::count(r->err.begin(), r->err.end(), '\n'), 1) << r->err;
}

TEST_F(WorkerE2E, NCompleteReplacesFailedTrials) {
  // Fails whenever x >= 0 (about half the trials): the study still ends with 12 COMPLETE.
  write("obj.sh", "#!/bin/sh\ncase \"$1\" in -*) printf '{\"value\": %s}\\n' \"$1\" >&3;; *) exit 3;; esac\n");
  fs::permissions(dir_ / "obj.sh", fs::perms::owner_all);
  write("c.yaml", "study: nc\nstorage: " + db_ +
                      "\nspace:\n  x: {type: float, low: -1, high: 1}\nsampler: {name: random, seed: 5}\npruner: none\n"
                      "objective:\n  command: [\"./obj.sh\", \"{x}\"]\nn_complete: 12\n");
  Result r = run({"tune", "c.yaml"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json trials = trials_json("nc");
  EXPECT_EQ(count_state(trials, "COMPLETE"), 12);
  EXPECT_GT(count_state(trials, "FAIL"), 0);
  // --n-trials on the command line replaces the config's n_complete (and the reverse).
  Result more = run({"tune", "c.yaml", "--n-complete", "15"});
  ASSERT_EQ(more.code, 0) << more.err;
  EXPECT_EQ(count_state(trials_json("nc"), "COMPLETE"), 15);
}

TEST_F(WorkerE2E, RetryEnqueuesFailedTrialsOnceAndTheyRunWithTheSameParameters) {
  write("obj.sh", "#!/bin/sh\n[ -e fail ] && exit 4\nprintf '{\"value\": %s}\\n' \"$1\" >&3\n");
  fs::permissions(dir_ / "obj.sh", fs::perms::owner_all);
  write("fail", "");
  write("c.yaml", "study: rt\nstorage: " + db_ +
                      "\nspace:\n  x: {type: float, low: -1, high: 1}\nsampler: {name: random, seed: 6}\npruner: none\n"
                      "objective:\n  command: [\"./obj.sh\", \"{x}\"]\nn_trials: 3\n");
  ASSERT_EQ(run({"tune", "c.yaml"}).code, 0);
  json trials = trials_json("rt");
  ASSERT_EQ(count_state(trials, "FAIL"), 3);
  Result bad_state = run({"retry", "--study", "rt", "--storage", db_, "--state", "COMPLETE"});
  EXPECT_EQ(bad_state.code, 2);
  Result r = run({"retry", "--study", "rt", "--storage", db_});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("enqueued 3 retries (0 -> 3, 1 -> 4, 2 -> 5)"), std::string::npos) << r.out;
  Result again = run({"retry", "--study", "rt", "--storage", db_});
  EXPECT_NE(again.out.find("nothing enqueued"), std::string::npos) << again.out;
  EXPECT_EQ(count_state(trials_json("rt"), "WAITING"), 3);
  fs::remove(dir_ / "fail");
  ASSERT_EQ(run({"tune", "c.yaml"}).code, 0);  // runs the 3 retries (3 results reach n_trials)
  trials = trials_json("rt");
  ASSERT_EQ(trials.size(), 6u);
  for (int k = 3; k < 6; ++k) {
    EXPECT_EQ(trials[k]["state"], "COMPLETE");
    EXPECT_EQ(trials[k]["retry_of"], k - 3);
    EXPECT_EQ(trials[k]["params"]["x"], trials[k - 3]["params"]["x"]);
  }
}

TEST_F(WorkerE2E, SigtermInterruptsTrialsWhichAreRetriedAndRunningTrialsShowHeartbeats) {
  write("obj.sh", "#!/bin/sh\nsleep 30\nprintf '{\"value\": %s}\\n' \"$1\" >&3\n");
  fs::permissions(dir_ / "obj.sh", fs::perms::owner_all);
  write("c.yaml", "study: hb\nstorage: " + db_ +
                      "\nspace:\n  x: {type: float, low: -1, high: 1}\nsampler: {name: random, seed: 7}\npruner: none\n"
                      "objective:\n  command: [\"./obj.sh\", \"{x}\"]\n  grace_period: 1\nn_trials: 1\n"
                      "heartbeat_interval: 0.2\nheartbeat_grace_period: 2\nmax_retries: 1\n");
  pid_t pid = spawn_in(dir_, {kAutoglm, "tune", "c.yaml"}, dir_ / "t.out", dir_ / "t.err");
  json running;
  for (int i = 0; i < 100 && running.empty(); ++i) {
    std::this_thread::sleep_for(100ms);
    running = trials_json("hb", "RUNNING");
  }
  ASSERT_EQ(running.size(), 1u);
  std::this_thread::sleep_for(500ms);
  running = trials_json("hb", "RUNNING");
  ASSERT_EQ(running.size(), 1u);
  EXPECT_TRUE(running[0]["last_heartbeat"].is_string());
  EXPECT_LT(running[0]["heartbeat_age_seconds"].get<double>(), 1.0);
  EXPECT_NE(running[0]["worker"].get<std::string>().find(":" + std::to_string(pid)), std::string::npos);
  Result table = run({"trials", "--study", "hb", "--storage", db_, "--state", "RUNNING"});
  EXPECT_NE(table.out.find("heartbeat_age"), std::string::npos) << table.out;

  ::kill(pid, SIGTERM);
  Result r = finish_spawn(pid, dir_ / "t.out", dir_ / "t.err");
  EXPECT_EQ(r.code, 143) << r.err;
  const json trials = trials_json("hb");
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0]["state"], "FAIL");
  EXPECT_NE(trials[0]["fail_reason"].get<std::string>().find("interrupted"), std::string::npos);
  EXPECT_EQ(trials[1]["state"], "WAITING");
  EXPECT_EQ(trials[1]["retry_of"], 0);
}

TEST_F(WorkerE2E, SeededWorkersSampleDifferentPointsAndTrialsSeeNoCredentials) {
  // The objective fails when it can see the storage URL (a database password must not reach
  // trial commands); its value is x, so distinct values mean distinct points.
  write("obj.sh", "#!/bin/sh\n[ -n \"$AUTOGLM_STORAGE\" ] && exit 5\nprintf '{\"value\": %s}\\n' \"$1\" >&3\n");
  fs::permissions(dir_ / "obj.sh", fs::perms::owner_all);
  write("c.yaml", "study: seeded\nspace:\n  x: {type: float, low: -1, high: 1}\nsampler: {name: random}\nseed: 0\n"
                  "pruner: none\nobjective:\n  command: [\"./obj.sh\", \"{x}\"]\nn_trials: 2\n");
  ::setenv("AUTOGLM_STORAGE", db_.c_str(), 1);  // every verb's default storage
  ASSERT_EQ(run({"tune", "c.yaml"}).code, 0);
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i)
    pids.push_back(spawn_in(dir_, {kAutoglm, "worker", "--study", "seeded", "--n-trials", "20"},
                            dir_ / ("w" + std::to_string(i) + ".out"), dir_ / ("w" + std::to_string(i) + ".err")));
  for (size_t i = 0; i < pids.size(); ++i)
    EXPECT_EQ(finish_spawn(pids[i], dir_ / "x.out", dir_ / "x.err").code, 0);
  Result listed = run({"trials", "--study", "seeded", "--format", "json"});  // storage from the environment
  ::unsetenv("AUTOGLM_STORAGE");
  ASSERT_EQ(listed.code, 0) << listed.err;
  const json trials = json::parse(listed.out);
  ASSERT_EQ(trials.size(), 20u);
  std::set<double> xs;
  for (const auto& t : trials) {
    EXPECT_EQ(t["state"], "COMPLETE") << t.dump();
    xs.insert(t["params"]["x"].get<double>());
  }
  EXPECT_EQ(xs.size(), 20u);  // the workers derived their own seeds from seed 0
  EXPECT_FALSE(fs::exists(dir_ / "autoglm.db"));
}

TEST_F(WorkerE2E, NCompleteGivesUpOnAnObjectiveThatAlwaysFailsWithExit1) {
  write("c.yaml", "study: broken\nstorage: " + db_ +
                      "\nspace:\n  x: {type: float, low: -1, high: 1}\npruner: none\n"
                      "objective:\n  command: [\"false\"]\nn_complete: 5\n");
  Result r = run({"tune", "c.yaml"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("10 trials in a row FAILED"), std::string::npos) << r.err;
  EXPECT_EQ(count_state(trials_json("broken"), "FAIL"), 10);
}

TEST_F(WorkerE2E, StudyNamesCannotLeaveTheLogFolder) {
  write("obj.sh", "#!/bin/sh\nprintf '{\"value\": 1}\\n' >&3\n");
  fs::permissions(dir_ / "obj.sh", fs::perms::owner_all);
  write("c.yaml", "storage: " + db_ + "\nspace:\n  x: {type: float, low: -1, high: 1}\npruner: none\n"
                  "objective:\n  command: [\"./obj.sh\"]\nn_trials: 1\n");
  Result r = run({"tune", "c.yaml", "--study", "../../escape"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_ / "study-logs" / ".._.._escape" / "trial-0.log"));
  EXPECT_FALSE(fs::exists(dir_.parent_path().parent_path() / "escape"));
}

}  // namespace
}  // namespace autoglm_e2e
