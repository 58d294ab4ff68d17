// kill -9 of random workers while a study runs (SQLite file, PostgreSQL database): the study
// still reaches exactly n_complete COMPLETE trials, loses and duplicates nothing, leaves nothing
// RUNNING or WAITING, retries every stale trial with its parameters, and no orphaned objective
// command outlives the run.
#include <random>

#include "fault/fault_util.h"

namespace autoglm_fault {
namespace {

constexpr int kTarget = 500;
constexpr int kMaxRetries = 5;
constexpr int kWorkers = 8;
constexpr double kTimeLimit = 150;  // seconds for the whole study, kills included

void run_kill_nine(const TempDir& dir, const std::string& url, const std::string& label) {
  const std::string study = "kill9";
  write_quadratic_study(dir, study, kTarget, 0.25, kMaxRetries, 0.2, 1.5);
  Processes procs;
  procs.marker = (dir / "obj.sh").string();
  int seq = 0;
  auto spawn_worker = [&] {
    return procs.spawn(dir.path(), worker_argv(study, url), dir / ("worker-" + std::to_string(seq++)));
  };
  const auto t0 = Clock::now();
  // `autoglm tune` creates the study (and stores its config), then runs trials as worker 0.
  const pid_t tune = procs.spawn(dir.path(), tune_argv(dir, url), dir / "tune");
  ASSERT_TRUE(wait_study_open(procs, tune, 30)) << procs.err_tail(tune);
  std::vector<pid_t> workers{tune};
  for (int i = 1; i < kWorkers; ++i) workers.push_back(spawn_worker());

  // The injector: every second, kill -9 a random running worker and start a replacement, until
  // the study reaches its target.
  std::mt19937 rng(20261130);
  std::map<pid_t, std::chrono::system_clock::time_point> killed;  // pid -> when
  int complete = 0;
  bool reached = false;
  while (seconds_since(t0) < kTimeLimit) {
    sleep_s(1.0);
    try {
      complete = n_in_state(read_trials(url, study), TrialState::COMPLETE);
    } catch (const std::exception& e) {
      std::cout << "[" << label << "] read failed: " << e.what() << "\n";
    }
    if (complete >= kTarget) {
      reached = true;
      break;
    }
    auto alive = procs.alive();
    if (alive.empty()) break;  // every worker ended before the target: checked below
    // No kill in the last few trials: a trial killed when the others' running trials already make
    // the target gets a retry that is not needed any more and stays WAITING (by design).
    if (complete >= kTarget - 2 * kWorkers) continue;
    const pid_t victim = alive[std::uniform_int_distribution<size_t>(0, alive.size() - 1)(rng)];
    procs.kill9(victim);
    killed[victim] = std::chrono::system_clock::now();
    spawn_worker();
  }
  const double reach_s = seconds_since(t0);
  // The workers stop by themselves once the target is reached.
  const bool all_ended = procs.wait_all(60);
  const double end_s = seconds_since(t0);
  std::vector<FrozenTrial> trials = read_trials(url, study);
  std::cout << "[" << label << "] " << kTarget << " COMPLETE " << (reached ? "reached" : "NOT reached") << " after "
            << reach_s << " s with " << killed.size() << " kill -9; workers ended after " << end_s << " s; "
            << kTarget / reach_s << " COMPLETE trials/s; " << counts_text(trials) << "\n";
  if (!all_ended) {
    for (pid_t p : procs.alive()) ADD_FAILURE() << "worker " << p << " did not exit 60 s after the target:\n" << procs.err_tail(p);
    procs.kill_all();
  }
  EXPECT_TRUE(reached) << "the study did not reach " << kTarget << " COMPLETE within " << kTimeLimit << " s: "
                       << counts_text(trials);
  for (const auto& [pid, code] : procs.exit_codes()) {
    if (killed.count(pid)) continue;  // 137
    EXPECT_EQ(code, 0) << "worker " << pid << " exited with " << code << ":\n" << procs.err_tail(pid);
  }

  const int running = n_in_state(trials, TrialState::RUNNING), waiting = n_in_state(trials, TrialState::WAITING);
  if (running + waiting > 0) {
    // A worker killed after the last sweep of the others leaves its trial RUNNING: one more
    // worker (target already reached) fails it on start.
    std::cout << "[" << label << "] after the workers: " << counts_text(trials) << "; running one final worker\n";
    const pid_t last = spawn_worker();
    auto code = procs.wait(last, 30);
    EXPECT_EQ(code.value_or(-1), 0) << procs.err_tail(last);
    trials = read_trials(url, study);
  }
  expect_study_invariants(trials, kTarget, kMaxRetries, "stale");

  // How soon a killed worker's trial became FAIL (its worker is gone from this host: failed "at
  // once" by the next sweep of any worker, every heartbeat_interval = 0.2 s).
  std::vector<double> latencies;
  for (const auto& t : trials) {
    auto pid = t.system_attrs.find("worker.pid");
    if (t.state != TrialState::FAIL || pid == t.system_attrs.end() || !t.datetime_complete) continue;
    auto k = killed.find(static_cast<pid_t>(pid->second.get<int64_t>()));
    if (k == killed.end()) continue;
    latencies.push_back(std::chrono::duration<double>(*t.datetime_complete - k->second).count());
  }
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    double sum = 0;
    for (double l : latencies) sum += l;
    std::cout << "[" << label << "] killed worker -> trial FAIL: " << latencies.size() << " trials, median "
              << latencies[latencies.size() / 2] << " s, max " << latencies.back() << " s, mean "
              << sum / latencies.size() << " s\n";
    // Well below the grace period: a dead local worker is noticed by its pid, not by its heartbeat.
    EXPECT_LT(latencies.back(), 1.5) << "a killed worker's trial stayed RUNNING for " << latencies.back() << " s";
  }

  // No objective command outlives the study (the stale-trial logic kills orphaned groups).
  const auto tg = Clock::now();
  while (!pids_matching(procs.marker).empty() && seconds_since(tg) < 3) sleep_s(0.1);
  EXPECT_TRUE(pids_matching(procs.marker).empty()) << pids_matching(procs.marker).size()
                                                   << " objective process(es) still running after the study";
}

TEST(FaultKillNine, KillNineWorkersSQLite) {
  TempDir dir;
  run_kill_nine(dir, "sqlite:///" + (dir / "study.db").string(), "sqlite");
}

TEST(FaultKillNine, KillNineWorkersPostgreSQL) {
#if AUTOGLM_FAULT_HAVE_PG_HELPER
  TempDir dir;
  const std::string url = autoglm::testing_util::fresh_postgres_database(autoglm::testing_util::postgres_url());
  ASSERT_FALSE(url.empty()) << "no PostgreSQL test server";
  struct Drop {
    std::string url;
    ~Drop() {
      if (!::testing::Test::HasFailure()) autoglm::testing_util::drop_postgres_database(url);
    }
  } drop{url};
  run_kill_nine(dir, url, "postgresql");
#else
  FAIL() << "tests/common/pg_server.h (the shared PostgreSQL test server helper) is missing";
#endif
}

}  // namespace
}  // namespace autoglm_fault
