// Study-level heartbeats, stale trials, retries and the incremental finished-trial snapshot
// (include/autoglm/study.h FailurePolicy; Storage::fail_running_trial). In-memory storage: the
// storage-level behaviour of every back end is covered by tests/storage's conformance suite.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "autoglm/error.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Study> study_on(std::shared_ptr<Storage> storage, const FailurePolicy& policy) {
  CreateStudyOptions o;
  o.storage = std::move(storage);
  o.study_name = "s";
  o.sampler = make_sampler(nlohmann::json{{"name", "random"}, {"seed", 3}});
  o.pruner = make_pruner(nlohmann::json{{"name", "nop"}});
  o.load_if_exists = true;
  auto study = Study::create(std::move(o));
  study->set_failure_policy(policy);
  return study;
}

FailurePolicy fast_policy(int max_retries) {
  FailurePolicy p;
  p.heartbeat_interval_seconds = 0.05;
  p.grace_period_seconds = 0.3;
  p.max_retries = max_retries;
  return p;
}

// A RUNNING trial whose worker beat once and then vanished (as after kill -9 on another host).
int64_t abandoned_trial(Study& study, double x) {
  Storage& s = study.storage();
  const int64_t id = s.create_new_trial(study.study_id());
  FloatDistribution d;
  d.low = -10;
  d.high = 10;
  s.set_trial_param(id, "x", x, d);
  s.set_trial_user_attr(id, "tag", "abandoned");
  EXPECT_TRUE(s.record_heartbeat(id));
  return id;
}

TEST(FailurePolicy, RefusesGraceNotLongerThanInterval) {
  auto study = study_on(open_storage(":memory:"), FailurePolicy{});
  FailurePolicy p;
  p.heartbeat_interval_seconds = 10;
  p.grace_period_seconds = 10;
  EXPECT_THROW(study->set_failure_policy(p), ConfigError);
  p.grace_period_seconds = 30;
  EXPECT_NO_THROW(study->set_failure_policy(p));
  p.max_retries = -1;
  EXPECT_THROW(study->set_failure_policy(p), ConfigError);
}

TEST(FailurePolicy, HeartbeatsAreRecordedWhileATrialRuns) {
  auto study = study_on(open_storage(":memory:"), fast_policy(0));
  Trial t = study->ask();
  const auto first = study->storage().get_trial(t.trial_id()).last_heartbeat;
  ASSERT_TRUE(first.has_value());  // recorded at ask(), before the first interval
  std::this_thread::sleep_for(250ms);
  const auto later = study->storage().get_trial(t.trial_id()).last_heartbeat;
  ASSERT_TRUE(later.has_value());
  EXPECT_GT(*later, *first);
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - *later).count(), 0.2);
  study->tell(t, 1.0);
  // Finished: heartbeats stop and cannot be recorded any more.
  EXPECT_FALSE(study->storage().record_heartbeat(t.trial_id()));
}

TEST(FailurePolicy, NoHeartbeatsWhenDisabled) {
  auto study = study_on(open_storage(":memory:"), FailurePolicy{});
  Trial t = study->ask();
  EXPECT_FALSE(study->storage().get_trial(t.trial_id()).last_heartbeat.has_value());
}

TEST(FailurePolicy, StaleTrialIsFailedAndRetriedWithTheSameParameters) {
  auto study = study_on(open_storage(":memory:"), fast_policy(2));
  const int64_t id = abandoned_trial(*study, 4.25);
  EXPECT_EQ(study->fail_stale_trials(), 0);  // heartbeat still fresh
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(study->fail_stale_trials(), 1);
  const FrozenTrial failed = study->storage().get_trial(id);
  EXPECT_EQ(failed.state, TrialState::FAIL);
  EXPECT_NE(failed.system_attrs.at("fail_reason").get<std::string>().find("no heartbeat"), std::string::npos);
  EXPECT_EQ(study->fail_stale_trials(), 0);  // only once

  const auto waiting = study->get_trials(std::vector<TrialState>{TrialState::WAITING});
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].system_attrs.at(kRetryOfAttr), failed.number);
  EXPECT_EQ(waiting[0].system_attrs.at(kRetryCountAttr), 1);
  EXPECT_EQ(waiting[0].user_attrs.at("tag"), "abandoned");
  // The retry runs with the failed trial's parameters.
  Trial retry = study->ask();
  EXPECT_EQ(retry.number(), waiting[0].number);
  EXPECT_DOUBLE_EQ(retry.suggest_float("x", -10, 10), 4.25);
  study->tell(retry, 0.5);
  // The failed trial is in the finished snapshot at once.
  bool seen = false;
  for (const auto& t : *study->finished_trials_snapshot()) seen = seen || t.trial_id == id;
  EXPECT_TRUE(seen);
}

TEST(FailurePolicy, TheHeartbeatThreadFailsStaleTrialsWithinGracePlusInterval) {
  auto study = study_on(open_storage(":memory:"), fast_policy(0));
  Trial mine = study->ask();  // starts the heartbeat thread
  const int64_t id = abandoned_trial(*study, 1.0);
  const auto start = std::chrono::steady_clock::now();
  while (study->storage().get_trial(id).state == TrialState::RUNNING &&
         std::chrono::steady_clock::now() - start < 3s)
    std::this_thread::sleep_for(10ms);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(study->storage().get_trial(id).state, TrialState::FAIL);
  EXPECT_LE(took, 0.3 + 0.05 + 0.35);  // grace + one interval + scheduling slack on a loaded machine
  // Our own trial keeps beating, so it is never stale.
  EXPECT_EQ(study->storage().get_trial(mine.trial_id()).state, TrialState::RUNNING);
  EXPECT_EQ(study->get_trials(std::vector<TrialState>{TrialState::WAITING}).size(), 0u);  // max_retries 0
}

TEST(FailurePolicy, RetriesStopAtMaxRetries) {
  auto study = study_on(open_storage(":memory:"), fast_policy(1));
  Trial t = study->ask();
  t.suggest_float("x", -10, 10);
  auto first = study->fail_interrupted_trial(t.number(), "interrupted: SIGTERM");
  ASSERT_TRUE(first && first->retry_number);
  Trial retry = study->ask();
  EXPECT_EQ(retry.number(), *first->retry_number);
  auto second = study->fail_interrupted_trial(retry.number(), "interrupted: SIGTERM");
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->retry_number);  // the retry of a retry would exceed max_retries 1
  EXPECT_FALSE(study->fail_interrupted_trial(retry.number(), "again"));  // already finished
  EXPECT_EQ(study->get_trials(std::vector<TrialState>{TrialState::FAIL}).size(), 2u);
}

TEST(FailurePolicy, ATrialTakenOverByAnotherWorkerDoesNotStopOptimize) {
  auto storage = open_storage(":memory:");
  auto study = study_on(storage, fast_policy(1));
  std::atomic<int> calls{0};
  study->optimize(
      [&](Trial& t) {
        const double x = t.suggest_float("x", -1, 1);
        if (calls++ == 0) {
          // Another worker decides this trial is stale (as after a long network cut) and retries it.
          EXPECT_TRUE(storage->fail_running_trial(t.trial_id(), "stale trial: test", 1).has_value());
          std::this_thread::sleep_for(150ms);  // the heartbeat thread notices
          EXPECT_TRUE(study->heartbeat_lost(t.trial_id()));
        }
        return x * x;
      },
      OptimizeOptions{4});
  const auto trials = study->trials();
  ASSERT_EQ(trials.size(), 4u);  // the retry (number 1, enqueued at once) was the 2nd of the 4 asks
  EXPECT_EQ(trials[0].state, TrialState::FAIL);
  EXPECT_EQ(trials[1].system_attrs.at(kRetryOfAttr), 0);
  EXPECT_EQ(trials[1].state, TrialState::COMPLETE);
  EXPECT_DOUBLE_EQ(trials[1].params.at("x"), trials[0].params.at("x"));
}

TEST(FinishedSnapshot, ReadsOtherWritersIncrementallyInNumberOrder) {
  auto storage = open_storage(":memory:");
  auto a = study_on(storage, FailurePolicy{});
  auto b = study_on(storage, FailurePolicy{});
  std::vector<Trial> running;
  for (int i = 0; i < 6; ++i) running.push_back(a->ask());
  EXPECT_TRUE(b->finished_trials_snapshot()->empty());
  // Finish out of order: 4, 1, 5 then 0, 2, 3.
  for (int k : {4, 1, 5}) a->tell(running[k], k);
  auto snap1 = b->finished_trials_snapshot();
  ASSERT_EQ(snap1->size(), 3u);
  EXPECT_EQ((*snap1)[0].number, 1);
  EXPECT_EQ((*snap1)[2].number, 5);
  for (int k : {0, 2, 3}) a->tell(running[k], k);
  auto snap2 = b->finished_trials_snapshot();
  ASSERT_EQ(snap2->size(), 6u);
  for (int k = 0; k < 6; ++k) {
    EXPECT_EQ((*snap2)[k].number, k);
    EXPECT_EQ((*snap2)[k].values.at(0), k);
  }
  EXPECT_EQ(snap1->size(), 3u);  // a snapshot handed out never changes
  // Both views agree with the storage.
  EXPECT_EQ(a->finished_trials_snapshot()->size(), 6u);
  EXPECT_EQ(b->best_trial().number, 0);
}

TEST(FinishedSnapshot, LargeStudyIsReadInPages) {
  auto storage = open_storage(":memory:");
  auto a = study_on(storage, FailurePolicy{});
  const int64_t sid = a->study_id();
  for (int i = 0; i < 2500; ++i) {
    FrozenTrial t;
    t.state = TrialState::COMPLETE;
    t.values = {static_cast<double>(2500 - i)};
    storage->create_new_trial(sid, t);
  }
  auto b = study_on(storage, FailurePolicy{});
  auto snap = b->finished_trials_snapshot();
  ASSERT_EQ(snap->size(), 2500u);
  EXPECT_EQ(snap->front().number, 0);
  EXPECT_EQ(snap->back().number, 2499);
  EXPECT_EQ(b->best_trial().number, 2499);
}

}  // namespace
}  // namespace autoglm
