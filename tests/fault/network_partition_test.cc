// A network partition between two "hosts" (network namespaces joined to the root namespace by
// veth pairs) and a private PostgreSQL server: host A's link is cut mid-trial; its RUNNING trial
// must become FAIL as stale within heartbeat_grace_period + heartbeat_interval (+ slack), be
// retried and completed by host B, and the study must complete.
#include <unistd.h>

#include "fault/fault_util.h"

namespace autoglm_fault {
namespace {

std::optional<int64_t> worker_pid(const FrozenTrial& t) {
  auto it = t.system_attrs.find("worker.pid");
  if (it == t.system_attrs.end() || !it->second.is_number_integer()) return std::nullopt;
  return it->second.get<int64_t>();
}

TEST(FaultNetwork, NetworkPartitionNetns) {
  constexpr int kTarget = 12;
  constexpr int kMaxRetries = 2;
  constexpr double kInterval = 0.5, kGrace = 3.0, kSlack = 2.0;
  ASSERT_EQ(::geteuid(), 0u) << "NetworkPartitionNetns needs root: network namespaces (ip netns add) and veth links "
                                "need CAP_SYS_ADMIN / CAP_NET_ADMIN; run fault_test as root";
  NetNamespaces nets;  // declared before the server and the processes: torn down last
  const int subnet = 1 + (::getpid() % 120) * 2;
  for (const auto& [tag, sub] : {std::pair<std::string, int>{"a", subnet}, {"b", subnet + 1}}) {
    const std::string problem = nets.add(tag, sub);
    ASSERT_TRUE(problem.empty()) << "cannot create the network namespaces (" << problem
                                 << "); network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN)";
  }
  const auto& A = nets.host(0);
  const auto& B = nets.host(1);
  TempDir dir;
  PrivatePostgres pg(dir / "pg");
  std::string error;
  const std::string url = pg.start("127.0.0.1," + A.root_addr + "," + B.root_addr, &error);
  ASSERT_FALSE(url.empty()) << "scripts/test_pg.sh start failed: " << error;
  const std::string url_a = with_host(url, A.root_addr), url_b = with_host(url, B.root_addr);

  const std::string study = "partition";
  write_quadratic_study(dir, study, kTarget, 2.0, kMaxRetries, kInterval, kGrace);
  Processes procs;
  procs.marker = (dir / "obj.sh").string();
  const auto t0 = Clock::now();
  // Host B: `autoglm tune` (creates the study, then works on it); host A: `autoglm worker`.
  const pid_t b = procs.spawn(dir.path(), tune_argv(dir, url_b, B.ns), dir / "host-b");
  ASSERT_TRUE(wait_study_open(procs, b, 30)) << procs.err_tail(b);
  const pid_t a = procs.spawn(dir.path(), worker_argv(study, url_a, A.ns), dir / "host-a");

  // Wait for a trial of A that started less than a second ago, then cut A's link mid-trial.
  std::optional<FrozenTrial> victim;
  poll_until(url, study, 30, [&](const std::vector<FrozenTrial>& trials) {
    for (const auto& t : trials)
      if (t.state == TrialState::RUNNING && worker_pid(t) == a && t.duration_seconds().value_or(9) < 1.0 &&
          t.intermediate_values.size() == 3) {
        victim = t;
        return true;
      }
    return false;
  }, 0.1);
  ASSERT_TRUE(victim) << "host A never ran a trial:\n" << procs.err_tail(a);
  ASSERT_EQ(nets.set_link(0, false), 0);
  const auto cut = Clock::now();
  std::cout << "[partition] cut host A's link " << seconds_since(t0) << " s in, during its trial " << victim->number << "\n";

  auto after = poll_until(url, study, kGrace + kInterval + 20, [&](const std::vector<FrozenTrial>& trials) {
    return trials.at(victim->number).state != TrialState::RUNNING;
  }, 0.05);
  const double latency = seconds_since(cut);
  ASSERT_GT(after.size(), static_cast<size_t>(victim->number));
  const FrozenTrial& failed = after.at(victim->number);
  std::cout << "[partition] trial " << failed.number << " became " << autoglm::to_string(failed.state) << " " << latency
            << " s after the cut (bound: grace " << kGrace << " + interval " << kInterval << " + slack " << kSlack
            << " s); reason: " << fail_reason(failed) << "\n";
  EXPECT_EQ(failed.state, TrialState::FAIL);
  EXPECT_NE(fail_reason(failed).find("stale"), std::string::npos) << fail_reason(failed);
  EXPECT_LE(latency, kGrace + kInterval + kSlack);
  EXPECT_GE(latency, kGrace - kInterval - 0.5) << "failed before its grace period ran out";

  // Host B alone finishes the study, the retry of A's trial included.
  auto code = procs.wait(b, 90);
  const double total_s = seconds_since(t0);
  ASSERT_TRUE(code) << "host B did not finish within 90 s:\n" << procs.err_tail(b);
  EXPECT_EQ(*code, 0) << procs.err_tail(b);
  const auto trials = read_trials(url, study);
  std::cout << "[partition] study done " << total_s << " s in: " << counts_text(trials) << "\n";
  const FrozenTrial* retry = nullptr;
  for (const auto& t : trials)
    if (int_attr(t, autoglm::kRetryOfAttr) == victim->number) retry = &t;
  ASSERT_NE(retry, nullptr) << "trial " << victim->number << " was not retried";
  EXPECT_EQ(retry->state, TrialState::COMPLETE);
  EXPECT_EQ(worker_pid(*retry), std::optional<int64_t>(b)) << "the retry should have run on host B";
  EXPECT_EQ(retry->external_params(), victim->external_params());
  expect_study_invariants(trials, kTarget, kMaxRetries, "stale");

  // Heal the partition: A finds its trial failed, drops its result and stops (printed, not
  // asserted: TCP retransmission back-off decides when A notices).
  nets.set_link(0, true);
  const auto th = Clock::now();
  auto code_a = procs.wait(a, 15);
  std::cout << "[partition] after healing, host A " << (code_a ? "exited with " + std::to_string(*code_a) : "was still running")
            << " " << seconds_since(th) << " s later\n";
  std::cout << "[partition] host A's last lines:\n" << procs.err_tail(a, 4) << "\n";
  const auto final_trials = read_trials(url, study);
  EXPECT_EQ(final_trials.at(victim->number).state, TrialState::FAIL) << "A's late result overwrote the stale FAIL";
  EXPECT_EQ(n_in_state(final_trials, TrialState::COMPLETE), kTarget) << counts_text(final_trials);
}

}  // namespace
}  // namespace autoglm_fault
