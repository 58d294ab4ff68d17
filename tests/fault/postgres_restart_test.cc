// A PostgreSQL server restarted in the middle of a study (all connections dropped): the workers
// reconnect and finish; nothing is lost (counts, intermediate values) and nothing stays RUNNING.
#include "fault/fault_util.h"

namespace autoglm_fault {
namespace {

TEST(FaultPostgres, PostgreSQLRestartMidStudy) {
  constexpr int kTarget = 150;
  constexpr int kMaxRetries = 3;
  TempDir dir;
  PrivatePostgres pg(dir / "pg");
  std::string error;
  const std::string url = pg.start("127.0.0.1", &error);
  ASSERT_FALSE(url.empty()) << "scripts/test_pg.sh start failed: " << error;
  const std::string study = "restart";
  write_quadratic_study(dir, study, kTarget, 0.05, kMaxRetries, 0.5, 5);
  Processes procs;
  procs.marker = (dir / "obj.sh").string();
  const auto t0 = Clock::now();
  const pid_t tune = procs.spawn(dir.path(), tune_argv(dir, url), dir / "tune");
  ASSERT_TRUE(wait_study_open(procs, tune, 30)) << procs.err_tail(tune);
  for (int i = 1; i < 4; ++i) procs.spawn(dir.path(), worker_argv(study, url), dir / ("worker-" + std::to_string(i)));

  auto before = poll_until(url, study, 90, [&](const auto& t) { return n_in_state(t, TrialState::COMPLETE) >= kTarget / 3; });
  ASSERT_GE(n_in_state(before, TrialState::COMPLETE), kTarget / 3) << "the study did not get going: " << counts_text(before);
  const auto tr = Clock::now();
  ASSERT_EQ(pg.restart(), 0) << read_file(pg.log());
  const double restart_s = seconds_since(tr);
  std::cout << "[restart] restarted the server at " << counts_text(before) << " (" << seconds_since(t0)
            << " s in); the restart took " << restart_s << " s\n";

  const bool ended = procs.wait_all(120);
  const double total_s = seconds_since(t0);
  for (pid_t p : procs.alive()) ADD_FAILURE() << "worker " << p << " did not finish within 120 s:\n" << procs.err_tail(p);
  ASSERT_TRUE(ended);
  for (const auto& [pid, code] : procs.exit_codes())
    EXPECT_EQ(code, 0) << "worker " << pid << " exited with " << code << " after the restart:\n" << procs.err_tail(pid);
  const auto trials = read_trials(url, study);
  std::cout << "[restart] done after " << total_s << " s: " << counts_text(trials) << "; "
            << kTarget / total_s << " COMPLETE trials/s\n";
  for (const auto& t : trials)
    if (t.state == TrialState::FAIL) std::cout << "[restart]   FAIL trial " << t.number << ": " << fail_reason(t) << "\n";
  // A FAIL caused by the restart must be an interruption (stale), which is retried: an objective
  // that "failed" because the storage went away would be work dropped without a retry.
  expect_study_invariants(trials, kTarget, kMaxRetries, "stale");
}

// The server is down for longer than heartbeat_grace_period: when it is back, every RUNNING
// trial's last heartbeat is older than the grace period, so the first worker to reconnect may fail
// the others' live trials as stale (they are retried; their late results are dropped). The study
// must still complete with nothing lost, duplicated or left RUNNING, and no worker may give up.
TEST(FaultPostgres, PostgreSQLOutageLongerThanGracePeriod) {
  constexpr int kTarget = 24;
  constexpr int kMaxRetries = 3;
  constexpr double kGrace = 2.0, kOutage = 4.0;
  TempDir dir;
  PrivatePostgres pg(dir / "pg");
  std::string error;
  const std::string url = pg.start("127.0.0.1", &error);
  ASSERT_FALSE(url.empty()) << "scripts/test_pg.sh start failed: " << error;
  const std::string study = "outage";
  write_quadratic_study(dir, study, kTarget, 0.5, kMaxRetries, 0.5, kGrace);
  Processes procs;
  procs.marker = (dir / "obj.sh").string();
  const auto t0 = Clock::now();
  const pid_t tune = procs.spawn(dir.path(), tune_argv(dir, url), dir / "tune");
  ASSERT_TRUE(wait_study_open(procs, tune, 30)) << procs.err_tail(tune);
  procs.spawn(dir.path(), worker_argv(study, url), dir / "worker-1");
  auto before = poll_until(url, study, 60, [&](const auto& t) {
    return n_in_state(t, TrialState::COMPLETE) >= 6 && n_in_state(t, TrialState::RUNNING) >= 2;
  });
  ASSERT_GE(n_in_state(before, TrialState::COMPLETE), 6) << counts_text(before);
  ASSERT_EQ(pg.stop(), 0);
  sleep_s(kOutage);
  ASSERT_FALSE(pg.start("127.0.0.1", &error).empty()) << error;
  std::cout << "[outage] server down for " << kOutage << " s (grace " << kGrace << " s) at " << counts_text(before) << "\n";
  const bool ended = procs.wait_all(90);
  for (pid_t p : procs.alive()) ADD_FAILURE() << "worker " << p << " did not finish within 90 s:\n" << procs.err_tail(p);
  ASSERT_TRUE(ended);
  for (const auto& [pid, code] : procs.exit_codes())
    EXPECT_EQ(code, 0) << "worker " << pid << " exited with " << code << " after the outage:\n" << procs.err_tail(pid);
  const auto trials = read_trials(url, study);
  std::cout << "[outage] done after " << seconds_since(t0) << " s: " << counts_text(trials) << "\n";
  for (const auto& t : trials)
    if (t.state == TrialState::FAIL) std::cout << "[outage]   FAIL trial " << t.number << ": " << fail_reason(t) << "\n";
  expect_study_invariants(trials, kTarget, kMaxRetries, "stale");
}

}  // namespace
}  // namespace autoglm_fault
