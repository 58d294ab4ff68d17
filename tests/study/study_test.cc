#include "autoglm/study.h"

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>
#include <atomic>
#include <chrono>

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "autoglm/error.h"

namespace autoglm {
namespace {

std::unique_ptr<Study> memory_study(const std::string& sampler = "random", const std::string& pruner = "nop",
                                    StudyDirection dir = StudyDirection::MINIMIZE) {
  CreateStudyOptions o;
  o.storage = open_storage(":memory:");
  o.study_name = "s";
  o.directions = {dir};
  o.sampler = make_sampler(nlohmann::json{{"name", sampler}, {"seed", 1}});
  o.pruner = make_pruner(nlohmann::json{{"name", pruner}});
  return Study::create(std::move(o));
}

TEST(Study, AskTellAndBestTrial) {
  auto study = memory_study();
  for (int i = 0; i < 5; ++i) {
    Trial t = study->ask();
    double x = t.suggest_float("x", -1.0, 1.0);
    study->tell(t, (x - 0.5) * (x - 0.5));
  }
  auto trials = study->trials();
  ASSERT_EQ(trials.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(trials[i].number, i);
    EXPECT_EQ(trials[i].state, TrialState::COMPLETE);
  }
  double best = INFINITY;
  for (const auto& t : trials) best = std::min(best, t.values[0]);
  EXPECT_DOUBLE_EQ(study->best_value(), best);
  EXPECT_TRUE(std::holds_alternative<double>(study->best_params().at("x")));
}

TEST(Study, MaximizeBestTrial) {
  auto study = memory_study("random", "nop", StudyDirection::MAXIMIZE);
  for (double v : {1.0, 5.0, 3.0}) {
    Trial t = study->ask();
    study->tell(t, v);
  }
  EXPECT_EQ(study->best_trial().number, 1);
  EXPECT_DOUBLE_EQ(study->best_value(), 5.0);
}

TEST(Study, NaNAndWrongCountBecomeFailWithReason) {
  auto study = memory_study();
  Trial a = study->ask();
  auto fa = study->tell(a, NAN);
  EXPECT_EQ(fa.state, TrialState::FAIL);
  EXPECT_EQ(fa.system_attrs.at("fail_reason"), "the objective returned NaN");
  Trial b = study->ask();
  auto fb = study->tell(b.number(), TrialState::COMPLETE, {1.0, 2.0});
  EXPECT_EQ(fb.state, TrialState::FAIL);
  EXPECT_THROW(study->tell(b.number(), TrialState::COMPLETE, {1.0}), UpdateFinishedTrialError);
  EXPECT_THROW(study->best_trial(), Error);
}

TEST(Study, SameNameDifferentDistributionIsRefused) {
  auto study = memory_study();
  Trial t = study->ask();
  double x = t.suggest_float("x", 0.0, 1.0);
  EXPECT_DOUBLE_EQ(t.suggest_float("x", 0.0, 1.0), x);  // same distribution: same value
  try {
    t.suggest_float("x", 0.0, 2.0);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("parameter 'x' was already suggested"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.suggest_int("x", 0, 1), ConfigError);
  EXPECT_THROW(t.suggest_float("bad", 1.0, 0.0), ConfigError);
}

TEST(Study, ConditionalDefineByRun) {
  auto study = memory_study();
  study->optimize(
      [](Trial& t) {
        std::string opt = t.suggest_categorical("optimizer", std::vector<std::string>{"sgd", "adamw"});
        double v = 1.0;
        if (opt == "sgd") v += t.suggest_float("momentum", 0.0, 0.99);
        return v;
      },
      {.n_trials = 20});
  int with_momentum = 0;
  for (const auto& t : study->trials()) {
    bool sgd = std::get<std::string>(t.param("optimizer")) == "sgd";
    EXPECT_EQ(t.params.count("momentum"), sgd ? 1u : 0u);
    with_momentum += sgd;
  }
  EXPECT_GT(with_momentum, 0);
  EXPECT_LT(with_momentum, 20);
}

TEST(Study, EnqueuedTrialsRunFirstWithFixedParams) {
  auto study = memory_study();
  study->enqueue_trial({{"x", 0.25}, {"opt", std::string("sgd")}}, {{"baseline", true}});
  study->optimize(
      [](Trial& t) {
        double x = t.suggest_float("x", 0.0, 1.0);
        t.suggest_categorical("opt", std::vector<std::string>{"adamw", "sgd"});
        t.suggest_int("n", 1, 4);
        return x;
      },
      {.n_trials = 3});
  auto trials = study->trials();
  ASSERT_EQ(trials.size(), 3u);
  EXPECT_DOUBLE_EQ(std::get<double>(trials[0].param("x")), 0.25);
  EXPECT_EQ(std::get<std::string>(trials[0].param("opt")), "sgd");
  EXPECT_EQ(trials[0].user_attrs.at("baseline"), true);
  EXPECT_EQ(trials[0].params.count("n"), 1u);  // not fixed: sampled normally
}

TEST(Study, AWaitingTrialCannotBeToldAndKeepsItsParams) {
  auto study = memory_study();
  study->enqueue_trial({{"x", 0.25}});
  try {
    study->tell(0, TrialState::COMPLETE, {1.0});
    ADD_FAILURE() << "tell of a WAITING trial was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("is WAITING (enqueued, not started); ask() starts it"), std::string::npos) << e.what();
  }
  Trial t = study->ask();
  EXPECT_EQ(t.number(), 0);
  EXPECT_DOUBLE_EQ(t.suggest_float("x", 0.0, 1.0), 0.25);
}

TEST(Study, ManyJobsAreCappedAtTheTrialCount) {
  auto study = memory_study();
  study->optimize([](Trial& t) { return t.suggest_float("x", 0.0, 1.0); }, {.n_trials = 3, .n_jobs = 1000000});
  EXPECT_EQ(study->trials().size(), 3u);
}

TEST(Study, ObjectiveErrorsFailTheTrialAndTheStudyGoesOn) {
  auto study = memory_study();
  int calls = 0;
  study->optimize(
      [&](Trial& t) -> double {
        ++calls;
        t.suggest_float("x", 0.0, 1.0);
        if (t.number() % 2 == 0) throw std::runtime_error("CUDA out of memory");
        if (t.number() == 3) throw TrialPruned();
        return 1.0;
      },
      {.n_trials = 6});
  EXPECT_EQ(calls, 6);
  auto trials = study->trials();
  EXPECT_EQ(trials[0].state, TrialState::FAIL);
  EXPECT_EQ(trials[0].system_attrs.at("fail_reason"), "CUDA out of memory");
  EXPECT_EQ(trials[1].state, TrialState::COMPLETE);
  EXPECT_EQ(trials[3].state, TrialState::PRUNED);
  // stop_on_error: the first failure ends optimize and is rethrown.
  auto strict = memory_study();
  EXPECT_THROW(strict->optimize([](Trial&) -> double { throw std::runtime_error("boom"); },
                                {.n_trials = 5, .stop_on_error = true}),
               std::runtime_error);
  EXPECT_EQ(strict->trials().size(), 1u);
}

TEST(Study, ReportShouldPruneAndPrunedValue) {
  auto study = memory_study("random", "nop");
  Trial t = study->ask();
  t.report(0.9, 0);
  t.report(0.5, 1);
  t.report(0.7, 1);  // repeated step keeps the first value
  EXPECT_FALSE(t.should_prune());
  EXPECT_THROW(t.report(1.0, -1), ConfigError);
  auto f = study->tell(t.number(), TrialState::PRUNED);
  EXPECT_EQ(f.state, TrialState::PRUNED);
  EXPECT_EQ(f.intermediate_values.at(1), 0.5);
  ASSERT_EQ(f.values.size(), 1u);
  EXPECT_DOUBLE_EQ(f.values[0], 0.5);
}

TEST(Study, ParallelJobsCallbacksAndTimeout) {
  auto study = memory_study();
  std::atomic<int> seen{0};
  study->optimize(
      [](Trial& t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return t.suggest_float("x", 0.0, 1.0);
      },
      {.n_trials = 20, .n_jobs = 4, .callbacks = {[&](Study&, const FrozenTrial&) { ++seen; }}});
  EXPECT_EQ(seen.load(), 20);
  std::set<int> numbers;
  for (const auto& t : study->trials()) numbers.insert(t.number);
  EXPECT_EQ(numbers.size(), 20u);
  EXPECT_EQ(*numbers.rbegin(), 19);
  auto t0 = std::chrono::steady_clock::now();
  study->optimize(
      [](Trial&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return 0.0;
      },
      {.timeout_seconds = 0.2});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 1.0);
  EXPECT_GT(study->trials().size(), 22u);
}

/// The finished trials as the storage has them (number, state, values, params).
std::vector<std::tuple<int, TrialState, std::vector<double>, std::map<std::string, double>>> summary(
    const std::vector<FrozenTrial>& trials) {
  std::vector<std::tuple<int, TrialState, std::vector<double>, std::map<std::string, double>>> out;
  for (const auto& t : trials) out.emplace_back(t.number, t.state, t.values, t.params);
  return out;
}

TEST(Study, FinishedTrialsSnapshotFollowsTheStorage) {
  auto study = memory_study();
  auto storage = study->storage_ptr();
  auto from_storage = [&] { return storage->get_all_trials(study->study_id(), StudyView::finished_states()); };
  auto run = [&](TrialState state) {
    Trial t = study->ask();
    const double x = t.suggest_float("x", 0.0, 1.0);
    if (state == TrialState::COMPLETE) study->tell(t, x);
    else study->tell(t.number(), state);
  };
  for (TrialState st : {TrialState::COMPLETE, TrialState::FAIL, TrialState::PRUNED, TrialState::COMPLETE}) run(st);
  Trial running = study->ask();  // RUNNING: not in the snapshot
  study->enqueue_trial({{"x", 0.5}});  // WAITING: not in it either
  auto held = study->finished_trials_snapshot();
  EXPECT_EQ(summary(*held), summary(from_storage()));
  ASSERT_EQ(held->size(), 4u);

  // A held snapshot never changes; the next call sees the new trial.
  study->tell(running, 0.25);
  EXPECT_EQ(held->size(), 4u);
  EXPECT_EQ(summary(*study->finished_trials_snapshot()), summary(from_storage()));
  held.reset();

  // Not held by anyone, the list is extended in place (no copy of the history per trial).
  const void* list = study->finished_trials_snapshot().get();
  run(TrialState::COMPLETE);
  run(TrialState::COMPLETE);
  EXPECT_EQ(study->finished_trials_snapshot().get(), list);
  EXPECT_EQ(summary(*study->finished_trials_snapshot()), summary(from_storage()));

  // Trials finished by other writers: another Study object on the storage, a template trial
  // written to the storage directly, a stale trial failed by fail_stale_trials.
  auto other = Study::load(storage, "s", make_sampler({{"name", "random"}, {"seed", 2}}));
  Trial t = other->ask();
  other->tell(t, t.suggest_float("x", 0.0, 1.0));
  FrozenTrial done;
  done.state = TrialState::COMPLETE;
  done.values = {-1.0};  // the best value: every other is x in [0, 1]
  storage->create_new_trial(study->study_id(), done);
  EXPECT_EQ(summary(*study->finished_trials_snapshot()), summary(from_storage()));
  EXPECT_EQ(study->finished_trials_snapshot()->size(), 9u);

  // get_trials of finished states and best_trial read the snapshot, with the storage's results.
  EXPECT_EQ(summary(study->get_trials(std::vector<TrialState>{TrialState::COMPLETE})),
            summary(storage->get_all_trials(study->study_id(), std::vector<TrialState>{TrialState::COMPLETE})));
  const std::vector<TrialState> unsuccessful{TrialState::PRUNED, TrialState::FAIL};
  EXPECT_EQ(summary(study->get_trials(unsuccessful)),
            summary(storage->get_all_trials(study->study_id(), unsuccessful)));
  EXPECT_EQ(study->best_value(), -1.0);
  EXPECT_EQ(study->best_trial().number, 8);
}

TEST(Study, FinishedTrialsSnapshotWithParallelWorkers) {
  auto study = memory_study("tpe");
  std::atomic<bool> stop{false};
  std::thread reader([&] {  // holds snapshots while the workers tell: they must copy, not mutate
    while (!stop) {
      auto snap = study->finished_trials_snapshot();
      const size_t n = snap->size();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      EXPECT_EQ(snap->size(), n);
      for (size_t i = 1; i < snap->size(); ++i) EXPECT_LT((*snap)[i - 1].number, (*snap)[i].number);
    }
  });
  study->optimize([](Trial& t) { return t.suggest_float("x", -1.0, 1.0) * t.suggest_float("y", -1.0, 1.0); },
                  {.n_trials = 120, .n_jobs = 3});
  stop = true;
  reader.join();
  auto storage = study->storage_ptr();
  EXPECT_EQ(summary(*study->finished_trials_snapshot()),
            summary(storage->get_all_trials(study->study_id(), StudyView::finished_states())));
  EXPECT_EQ(study->finished_trials_snapshot()->size(), 120u);
}

// The in-memory storage counts trials per state (get_n_trials and pop_waiting_trial no longer walk
// the history): the counts follow every state change.
TEST(Study, InMemoryStateCountsFollowTransitions) {
  auto study = memory_study();
  auto& storage = study->storage();
  const int64_t id = study->study_id();
  auto count = [&](std::vector<TrialState> states) { return storage.get_n_trials(id, states); };
  study->enqueue_trial({{"x", 0.5}});
  study->enqueue_trial({{"x", 0.25}});
  EXPECT_EQ(count({TrialState::WAITING}), 2);
  Trial a = study->ask();  // takes a waiting trial
  EXPECT_EQ(count({TrialState::WAITING}), 1);
  EXPECT_EQ(count({TrialState::RUNNING}), 1);
  study->tell(a, 1.0);
  Trial b = study->ask();
  Trial c = study->ask();  // a new trial: nothing waiting
  EXPECT_EQ(count({TrialState::WAITING}), 0);
  EXPECT_FALSE(storage.pop_waiting_trial(id).has_value());
  study->tell(b.number(), TrialState::FAIL);
  EXPECT_EQ(count({TrialState::COMPLETE, TrialState::COMPLETE}), 1);  // a state listed twice counts once
  EXPECT_EQ(count({TrialState::COMPLETE, TrialState::FAIL, TrialState::RUNNING}), 3);
  EXPECT_EQ(count({}), 0);
  EXPECT_EQ(storage.get_n_trials(id), 3);
  for (TrialState st : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED,
                        TrialState::FAIL}) {
    int walked = 0;
    for (const auto& t : study->trials()) walked += t.state == st;
    EXPECT_EQ(count({st}), walked) << to_string(st);
  }
  (void)c;
}

TEST(Study, LoadIfExistsAndDirectionMismatch) {
  auto storage = open_storage(":memory:");
  CreateStudyOptions a;
  a.storage = storage;
  a.study_name = "x";
  Study::create(std::move(a));
  CreateStudyOptions b;
  b.storage = storage;
  b.study_name = "x";
  EXPECT_THROW(Study::create(std::move(b)), DuplicatedStudyError);
  CreateStudyOptions c;
  c.storage = storage;
  c.study_name = "x";
  c.load_if_exists = true;
  EXPECT_NO_THROW(Study::create(std::move(c)));
  CreateStudyOptions d;
  d.storage = storage;
  d.study_name = "x";
  d.load_if_exists = true;
  d.directions = {StudyDirection::MAXIMIZE};
  EXPECT_THROW(Study::create(std::move(d)), ConfigError);
  EXPECT_THROW(Study::load(storage, "nope"), NotFoundError);
}

TEST(Study, StaleTrialsOfDeadProcessesBecomeFail) {
  auto dir = std::filesystem::temp_directory_path() / ("autoglm-stale-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string url = "sqlite:///" + (dir / "s.db").string();
  {
    CreateStudyOptions o;
    o.storage = open_storage(url);
    o.study_name = "stale";
    auto study = Study::create(std::move(o));
    study->ask();  // RUNNING, owned by this (live) process
  }
  pid_t child = fork();
  if (child == 0) {
    auto storage = open_storage(url);
    auto study = Study::load(storage, "stale");
    study->ask();  // RUNNING, owned by the child, which then dies without telling
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  auto study = Study::load(open_storage(url), "stale");
  EXPECT_EQ(study->fail_stale_trials(), 1);
  auto trials = study->trials();
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].state, TrialState::RUNNING);  // our own process is alive
  EXPECT_EQ(trials[1].state, TrialState::FAIL);
  EXPECT_NE(trials[1].system_attrs.at("fail_reason").get<std::string>().find("stale trial"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Study, ResumeStopsTheCommandAStaleTrialLeftRunning) {
  auto dir = std::filesystem::temp_directory_path() / ("autoglm-orphan-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string url = "sqlite:///" + (dir / "s.db").string();
  {
    CreateStudyOptions o;
    o.storage = open_storage(url);
    o.study_name = "orphan";
    Study::create(std::move(o));
  }
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t engine = fork();
  if (engine == 0) {
    // The "engine": starts a trial's command in its own process group, records it, then dies
    // like `kill -9` would leave it (no clean-up).
    auto study = Study::load(open_storage(url), "orphan");
    Trial t = study->ask();
    pid_t cmd = fork();
    if (cmd == 0) {
      setpgid(0, 0);
      execl("/bin/sleep", "sleep", "1000", static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(cmd, cmd);
    auto leader = WorkerIdentity::of_process(cmd);
    t.set_system_attr("process", {{"host", leader.host}, {"pgid", cmd}, {"start_time", leader.start_time}});
    if (write(pipe_fds[1], &cmd, sizeof cmd) != sizeof cmd) _exit(1);
    _exit(0);
  }
  close(pipe_fds[1]);
  pid_t cmd = -1;
  ASSERT_EQ(read(pipe_fds[0], &cmd, sizeof cmd), static_cast<ssize_t>(sizeof cmd));
  close(pipe_fds[0]);
  waitpid(engine, nullptr, 0);
  ASSERT_EQ(kill(cmd, 0), 0) << "the orphaned command is running";
  auto study = Study::load(open_storage(url), "orphan");
  EXPECT_EQ(study->fail_stale_trials(), 1);
  // The orphan was re-parented to init (or a subreaper), which reaps it once it is killed.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = kill(cmd, 0) != 0 || WorkerIdentity::of_process(cmd).start_time < 0;
    if (!gone) {
      // A zombie child of ours would still answer kill(0): reap if it is ours (it is not).
      std::ifstream st("/proc/" + std::to_string(cmd) + "/stat");
      std::string all((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
      gone = all.find(") Z") != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  EXPECT_TRUE(gone) << "the stale trial's command (pid " << cmd << ") must be stopped on resume";
  if (!gone) kill(-cmd, SIGKILL);
  EXPECT_EQ(study->trials()[0].state, TrialState::FAIL);
  std::filesystem::remove_all(dir);
}

TEST(Study, WorkerIdentityAlive) {
  auto me = WorkerIdentity::current();
  EXPECT_TRUE(me.alive());
  auto other = me;
  other.start_time += 1;  // same pid, different start: a reused pid is not us
  EXPECT_FALSE(other.alive());
}

TEST(Registry, UnknownNamesAndOptionsHaveDidYouMean) {
  try {
    make_sampler(nlohmann::json{{"name", "tpee"}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'tpe'"), std::string::npos) << e.what();
  }
  try {
    make_pruner(nlohmann::json{{"name", "median"}, {"n_startup_trial", 3}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("n_startup_trials"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_sampler(nlohmann::json(42)), ConfigError);
  EXPECT_NO_THROW(make_sampler(nlohmann::json("random")));
}

}  // namespace
}  // namespace autoglm
