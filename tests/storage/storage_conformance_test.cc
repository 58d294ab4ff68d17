// Storage conformance suite: every Storage implementation must pass it (as Optuna's
// tests/storages_tests/test_storages.py). Parameterized over the back ends; each test gets a
// fresh storage (and a fresh temporary directory for file-backed ones).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "storage/in_memory_storage.h"
#include "storage/sqlite_storage.h"
#include "storage/storage_conformance.h"
#include "storage/storage_test_util.h"

namespace autoglm {
namespace {

using testing_util::expect_same_trial;
using testing_util::run_in_children;
using testing_util::same_double;
using testing_util::TempDir;
using json = nlohmann::json;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const std::vector<StudyDirection> kMin{StudyDirection::MINIMIZE};
const std::vector<StudyDirection> kMax{StudyDirection::MAXIMIZE};

FloatDistribution flt(double low, double high) {
  FloatDistribution d;
  d.low = low;
  d.high = high;
  return d;
}

using testing_util::Backend;
using testing_util::StorageConformance;

// ---------------------------------------------------------------- studies

TEST_P(StorageConformance, CreateAndLookUpStudies) {
  const int64_t a = s().create_new_study("a", kMin);
  const int64_t b = s().create_new_study("b", {StudyDirection::MAXIMIZE, StudyDirection::MINIMIZE});
  EXPECT_NE(a, b);
  EXPECT_EQ(s().get_study_id_from_name("a"), a);
  EXPECT_EQ(s().get_study_id_from_name("b"), b);
  EXPECT_EQ(s().get_study_name_from_id(a), "a");
  EXPECT_EQ(s().get_study_name_from_id(b), "b");
  EXPECT_EQ(s().get_study_directions(a), kMin);
  EXPECT_EQ(s().get_study_directions(b), (std::vector<StudyDirection>{StudyDirection::MAXIMIZE, StudyDirection::MINIMIZE}));
  EXPECT_EQ(s().get_n_trials(a), 0);
  EXPECT_TRUE(s().get_all_trials(a).empty());
}

TEST_P(StorageConformance, DuplicateStudyRefused) {
  s().create_new_study("dup", kMin);
  try {
    s().create_new_study("dup", kMax);
    FAIL() << "expected DuplicatedStudyError";
  } catch (const DuplicatedStudyError& e) {
    EXPECT_NE(std::string(e.what()).find("'dup'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(s().get_all_studies().size(), 1u);
  EXPECT_EQ(s().get_study_directions(s().get_study_id_from_name("dup")), kMin);
}

TEST_P(StorageConformance, StudyWithoutDirectionsRefused) {
  EXPECT_THROW(s().create_new_study("x", {}), ConfigError);
  EXPECT_TRUE(s().get_all_studies().empty());
}

TEST_P(StorageConformance, MissingStudyIsNotFound) {
  try {
    s().get_study_id_from_name("nope");
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'nope'"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "one line: " << msg;
  }
  const int64_t missing = 987654;
  EXPECT_THROW(s().get_study_name_from_id(missing), NotFoundError);
  EXPECT_THROW(s().get_study_directions(missing), NotFoundError);
  EXPECT_THROW(s().get_all_trials(missing), NotFoundError);
  EXPECT_THROW(s().get_n_trials(missing), NotFoundError);
  EXPECT_THROW(s().create_new_trial(missing), NotFoundError);
  EXPECT_THROW(s().set_study_user_attr(missing, "k", 1), NotFoundError);
  EXPECT_THROW(s().get_study_system_attrs(missing), NotFoundError);
  EXPECT_THROW(s().delete_study(missing), NotFoundError);
  EXPECT_THROW(s().pop_waiting_trial(missing), NotFoundError);
  EXPECT_THROW(s().get_trial(missing), NotFoundError);
  EXPECT_THROW(s().set_trial_intermediate_value(missing, 0, 1.0), NotFoundError);
}

TEST_P(StorageConformance, DeleteStudyRemovesItsTrials) {
  const int64_t a = s().create_new_study("a", kMin);
  const int64_t keep = s().create_new_study("keep", kMin);
  const int64_t t = s().create_new_trial(a);
  s().set_trial_param(t, "x", 0.5, flt(0, 1));
  s().set_trial_intermediate_value(t, 1, 2.0);
  s().set_trial_user_attr(t, "u", "v");
  s().set_study_user_attr(a, "k", 1);
  const int64_t kept_trial = s().create_new_trial(keep);

  s().delete_study(a);
  EXPECT_THROW(s().get_study_id_from_name("a"), NotFoundError);
  EXPECT_THROW(s().get_study_name_from_id(a), NotFoundError);
  EXPECT_THROW(s().get_trial(t), NotFoundError);
  EXPECT_EQ(s().get_all_studies().size(), 1u);
  EXPECT_EQ(s().get_trial(kept_trial).number, 0);

  // The name can be used again; the new study starts empty, with a new id.
  const int64_t a2 = s().create_new_study("a", kMax);
  EXPECT_NE(a2, a);
  EXPECT_EQ(s().get_n_trials(a2), 0);
  EXPECT_TRUE(s().get_study_user_attrs(a2).empty());
  EXPECT_EQ(s().get_trial(s().create_new_trial(a2)).number, 0);
  // A parameter of the deleted study does not constrain the new one.
  EXPECT_NO_THROW(s().set_trial_param(s().create_new_trial(a2), "x", 1, CategoricalDistribution{{std::string("p"), std::string("q")}}));
}

TEST_P(StorageConformance, StudyAttributes) {
  const int64_t id = s().create_new_study("attrs", kMin);
  const json nested = {{"list", {1, 2.5, "three", nullptr, true}}, {"obj", {{"deep", {{"x", -1}}}}}};
  s().set_study_user_attr(id, "nested", nested);
  s().set_study_user_attr(id, "ünïcødé 🙂", "日本語テキスト");
  s().set_study_user_attr(id, "overwritten", 1);
  s().set_study_user_attr(id, "overwritten", json::array({"now", "a", "list"}));
  s().set_study_system_attr(id, "sys", 42);

  auto user = s().get_study_user_attrs(id);
  ASSERT_EQ(user.size(), 3u);
  EXPECT_EQ(user.at("nested"), nested);
  EXPECT_EQ(user.at("ünïcødé 🙂"), "日本語テキスト");
  EXPECT_EQ(user.at("overwritten"), json::array({"now", "a", "list"}));
  auto sys = s().get_study_system_attrs(id);
  ASSERT_EQ(sys.size(), 1u);
  EXPECT_EQ(sys.at("sys"), 42);
}

TEST_P(StorageConformance, GetAllStudiesSummaries) {
  const int64_t mn = s().create_new_study("min", kMin);
  const int64_t mx = s().create_new_study("max", kMax);
  const int64_t multi = s().create_new_study("multi", {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE});
  s().set_study_user_attr(mn, "u", "x");
  s().set_study_system_attr(mx, "s", 1);

  for (double v : {3.0, 1.0, kNaN, 2.0, 1.0}) {
    s().set_trial_state_values(s().create_new_trial(mn), TrialState::COMPLETE, {v});
    s().set_trial_state_values(s().create_new_trial(mx), TrialState::COMPLETE, {v});
  }
  s().set_trial_state_values(s().create_new_trial(mn), TrialState::PRUNED, {-100.0});  // not COMPLETE: not best
  s().create_new_trial(mn);                                                             // RUNNING
  waiting_trial(mn);
  s().set_trial_state_values(s().create_new_trial(multi), TrialState::COMPLETE, {1.0, 2.0});

  auto all = s().get_all_studies();
  ASSERT_EQ(all.size(), 3u);
  std::map<std::string, StudySummary> by_name;
  for (auto& sum : all) by_name[sum.study_name] = sum;

  const StudySummary& smin = by_name.at("min");
  EXPECT_EQ(smin.study_id, mn);
  EXPECT_EQ(smin.directions, kMin);
  EXPECT_EQ(smin.user_attrs.at("u"), "x");
  EXPECT_EQ(smin.n_trials_by_state.at(TrialState::COMPLETE), 5);
  EXPECT_EQ(smin.n_trials_by_state.at(TrialState::PRUNED), 1);
  EXPECT_EQ(smin.n_trials_by_state.at(TrialState::RUNNING), 1);
  EXPECT_EQ(smin.n_trials_by_state.at(TrialState::WAITING), 1);
  EXPECT_FALSE(smin.n_trials_by_state.count(TrialState::FAIL) && smin.n_trials_by_state.at(TrialState::FAIL) != 0);
  ASSERT_TRUE(smin.best_trial);
  EXPECT_EQ(smin.best_trial->number, 1);  // the first of the two 1.0s
  EXPECT_EQ(smin.best_trial->values, std::vector<double>{1.0});
  ASSERT_TRUE(smin.datetime_start);
  EXPECT_EQ(*smin.datetime_start, *s().get_trial(s().get_trial_id_from_study_id_trial_number(mn, 0)).datetime_start);

  const StudySummary& smax = by_name.at("max");
  EXPECT_EQ(smax.system_attrs.at("s"), 1);
  ASSERT_TRUE(smax.best_trial);
  EXPECT_EQ(smax.best_trial->number, 0);
  EXPECT_EQ(smax.best_trial->values, std::vector<double>{3.0});

  const StudySummary& smulti = by_name.at("multi");
  EXPECT_EQ(smulti.directions.size(), 2u);
  EXPECT_FALSE(smulti.best_trial);
  EXPECT_EQ(smulti.n_trials_by_state.at(TrialState::COMPLETE), 1);
}

// ---------------------------------------------------------------- trials

TEST_P(StorageConformance, TrialNumbersAreContiguousPerStudy) {
  const int64_t a = s().create_new_study("a", kMin);
  const int64_t b = s().create_new_study("b", kMin);
  std::set<int64_t> ids;
  for (int i = 0; i < 10; ++i) {
    const int64_t ta = s().create_new_trial(a);
    const int64_t tb = s().create_new_trial(b);
    EXPECT_TRUE(ids.insert(ta).second);
    EXPECT_TRUE(ids.insert(tb).second);
    EXPECT_EQ(s().get_trial(ta).number, i);
    EXPECT_EQ(s().get_trial(tb).number, i);
    EXPECT_EQ(s().get_trial_id_from_study_id_trial_number(a, i), ta);
    EXPECT_EQ(s().get_trial_id_from_study_id_trial_number(b, i), tb);
  }
  EXPECT_THROW(s().get_trial_id_from_study_id_trial_number(a, 10), NotFoundError);
  EXPECT_THROW(s().get_trial_id_from_study_id_trial_number(a, -1), NotFoundError);
  auto trials = s().get_all_trials(a);
  ASSERT_EQ(trials.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(trials[i].number, i);
}

TEST_P(StorageConformance, NewTrialIsRunningWithStartTime) {
  const int64_t id = s().create_new_study("a", kMin);
  const auto before = Clock::now() - std::chrono::milliseconds(1);
  FrozenTrial t = s().get_trial(s().create_new_trial(id));
  EXPECT_EQ(t.state, TrialState::RUNNING);
  ASSERT_TRUE(t.datetime_start);
  EXPECT_GE(*t.datetime_start, before);
  EXPECT_LE(*t.datetime_start, Clock::now());
  EXPECT_FALSE(t.datetime_complete);
  EXPECT_TRUE(t.values.empty());
  EXPECT_TRUE(t.params.empty());
  EXPECT_TRUE(t.intermediate_values.empty());
}

TEST_P(StorageConformance, ParamsAndDistributionsRoundTrip) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t t = s().create_new_trial(id);
  const SearchSpace space{
      {"lr", FloatDistribution{1e-5, 1e-1, true, std::nullopt}},
      {"dropout", FloatDistribution{0.0, 0.5, false, 0.1}},
      {"layers", IntDistribution{1, 9, false, 2}},
      {"batch", IntDistribution{1, 1024, true, 1}},
      {"opt", CategoricalDistribution{{std::monostate{}, true, int64_t{3}, 2.5, std::string("adamw")}}},
      {"unicode 名前", CategoricalDistribution{{std::string("α"), std::string("β")}}},
  };
  const std::map<std::string, double> internal{{"lr", 3.2e-4}, {"dropout", 0.3}, {"layers", 5},
                                               {"batch", 64},  {"opt", 4},       {"unicode 名前", 1}};
  for (const auto& [name, d] : space) s().set_trial_param(t, name, internal.at(name), d);

  FrozenTrial got = s().get_trial(t);
  EXPECT_EQ(got.params, internal);
  EXPECT_EQ(got.distributions, space);
  EXPECT_EQ(got.param("opt"), ParamValue(std::string("adamw")));
  EXPECT_EQ(got.param("layers"), ParamValue(int64_t{5}));
  EXPECT_EQ(got.param("unicode 名前"), ParamValue(std::string("β")));

  // Setting a parameter again in the same trial (same distribution) replaces the value.
  s().set_trial_param(t, "lr", 1e-3, space.at("lr"));
  EXPECT_EQ(s().get_trial(t).params.at("lr"), 1e-3);
}

TEST_P(StorageConformance, IncompatibleDistributionRefused) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t t0 = s().create_new_trial(id);
  s().set_trial_param(t0, "x", 0.5, flt(0, 1));
  s().set_trial_param(t0, "c", 0, CategoricalDistribution{{std::string("a"), std::string("b")}});
  const int64_t t1 = s().create_new_trial(id);
  // Same kind with another range is allowed (as in Optuna).
  EXPECT_NO_THROW(s().set_trial_param(t1, "x", 5, flt(0, 10)));
  try {
    s().set_trial_param(t1, "c", 0, CategoricalDistribution{{std::string("a"), std::string("z")}});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'c'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s().set_trial_param(t1, "x", 1, IntDistribution{0, 10}), ConfigError);
  FrozenTrial got = s().get_trial(t1);
  EXPECT_EQ(got.params.size(), 1u);  // the refused writes left nothing behind
  EXPECT_FALSE(got.params.count("c"));
  // A template carrying an incompatible distribution is refused and creates nothing.
  FrozenTrial tmpl;
  tmpl.state = TrialState::WAITING;
  tmpl.params["x"] = 0;
  tmpl.distributions["x"] = CategoricalDistribution{{std::string("a")}};
  EXPECT_THROW(s().create_new_trial(id, tmpl), ConfigError);
  EXPECT_EQ(s().get_n_trials(id), 2);
}

TEST_P(StorageConformance, SeveralObjectiveValues) {
  const int64_t id = s().create_new_study("mo", {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE, StudyDirection::MINIMIZE});
  const int64_t t = s().create_new_trial(id);
  EXPECT_TRUE(s().set_trial_state_values(t, TrialState::COMPLETE, {1.5, -kInf, kInf}));
  FrozenTrial got = s().get_trial(t);
  ASSERT_EQ(got.values.size(), 3u);
  EXPECT_EQ(got.values[0], 1.5);
  EXPECT_EQ(got.values[1], -kInf);
  EXPECT_EQ(got.values[2], kInf);

  const int64_t t2 = s().create_new_trial(id);
  EXPECT_TRUE(s().set_trial_state_values(t2, TrialState::COMPLETE, {kNaN, 0.0, -0.0}));
  got = s().get_trial(t2);
  ASSERT_EQ(got.values.size(), 3u);
  EXPECT_TRUE(std::isnan(got.values[0]));
  EXPECT_EQ(got.values[1], 0.0);
}

TEST_P(StorageConformance, IntermediateValuesWithNaNAndInf) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t t = s().create_new_trial(id);
  const std::map<int64_t, double> reported{{0, 1.25},       {1, kNaN}, {2, kInf}, {3, -kInf},
                                           {10, -3.5e-300}, {11, 1e308}, {1000000000000LL, 7.0}};
  for (const auto& [step, v] : reported) s().set_trial_intermediate_value(t, step, v);
  s().set_trial_intermediate_value(t, 0, 0.75);  // the same step again replaces the value

  FrozenTrial got = s().get_trial(t);
  ASSERT_EQ(got.intermediate_values.size(), reported.size());
  for (const auto& [step, v] : reported) {
    const double want = step == 0 ? 0.75 : v;
    EXPECT_TRUE(same_double(got.intermediate_values.at(step), want)) << "step " << step;
  }
  EXPECT_EQ(got.last_step(), 1000000000000LL);
}

TEST_P(StorageConformance, TrialAttributesNestedJsonAndUnicode) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t t = s().create_new_trial(id);
  const json nested = {{"a", {1, {{"b", "ü日本語🙂"}}}}, {"n", nullptr}, {"big", 9007199254740993LL}, {"f", 0.1}};
  s().set_trial_user_attr(t, "nested", nested);
  s().set_trial_user_attr(t, "ключ", "значение");
  s().set_trial_user_attr(t, "nested", nested);  // idempotent overwrite
  s().set_trial_system_attr(t, "fail_reason", "line1\nline2 \"quoted\" \\ backslash");
  s().set_trial_system_attr(t, "empty", json::object());

  FrozenTrial got = s().get_trial(t);
  ASSERT_EQ(got.user_attrs.size(), 2u);
  EXPECT_EQ(got.user_attrs.at("nested"), nested);
  EXPECT_EQ(got.user_attrs.at("ключ"), "значение");
  ASSERT_EQ(got.system_attrs.size(), 2u);
  EXPECT_EQ(got.system_attrs.at("fail_reason"), "line1\nline2 \"quoted\" \\ backslash");
  EXPECT_EQ(got.system_attrs.at("empty"), json::object());
}

TEST_P(StorageConformance, StateTransitionsAndTimes) {
  const int64_t id = s().create_new_study("a", kMin);
  // WAITING -> RUNNING sets datetime_start.
  const int64_t w = waiting_trial(id);
  FrozenTrial got = s().get_trial(w);
  EXPECT_EQ(got.state, TrialState::WAITING);
  EXPECT_FALSE(got.datetime_start);
  EXPECT_TRUE(s().set_trial_state_values(w, TrialState::RUNNING));
  got = s().get_trial(w);
  EXPECT_EQ(got.state, TrialState::RUNNING);
  ASSERT_TRUE(got.datetime_start);
  EXPECT_FALSE(got.datetime_complete);

  // RUNNING -> COMPLETE with a value sets datetime_complete.
  EXPECT_TRUE(s().set_trial_state_values(w, TrialState::COMPLETE, {0.25}));
  got = s().get_trial(w);
  EXPECT_EQ(got.state, TrialState::COMPLETE);
  EXPECT_EQ(got.values, std::vector<double>{0.25});
  ASSERT_TRUE(got.datetime_complete);
  EXPECT_GE(*got.datetime_complete, *got.datetime_start);
  ASSERT_TRUE(got.duration_seconds());
  EXPECT_GE(*got.duration_seconds(), 0.0);

  // RUNNING -> PRUNED (with the last intermediate value) and RUNNING -> FAIL.
  const int64_t p = s().create_new_trial(id);
  s().set_trial_intermediate_value(p, 3, 9.0);
  EXPECT_TRUE(s().set_trial_state_values(p, TrialState::PRUNED, {9.0}));
  got = s().get_trial(p);
  EXPECT_EQ(got.state, TrialState::PRUNED);
  EXPECT_EQ(got.values, std::vector<double>{9.0});
  EXPECT_TRUE(got.datetime_complete);
  const int64_t f = s().create_new_trial(id);
  EXPECT_TRUE(s().set_trial_state_values(f, TrialState::FAIL));
  got = s().get_trial(f);
  EXPECT_EQ(got.state, TrialState::FAIL);
  EXPECT_TRUE(got.values.empty());
  EXPECT_TRUE(got.datetime_complete);

  // Snapshots are copies: a later change does not touch an earlier snapshot.
  const int64_t r = s().create_new_trial(id);
  FrozenTrial before = s().get_trial(r);
  s().set_trial_intermediate_value(r, 0, 1.0);
  EXPECT_TRUE(before.intermediate_values.empty());
}

TEST_P(StorageConformance, FinishedTrialNeverChangesAgain) {
  const int64_t id = s().create_new_study("a", kMin);
  for (TrialState finished : {TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL}) {
    const int64_t t = s().create_new_trial(id);
    s().set_trial_param(t, "x", 0.5, flt(0, 1));
    s().set_trial_intermediate_value(t, 0, 1.0);
    ASSERT_TRUE(s().set_trial_state_values(t, finished, {2.0}));
    const FrozenTrial snapshot = s().get_trial(t);

    EXPECT_THROW(s().set_trial_param(t, "x", 0.1, flt(0, 1)), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_param(t, "y", 0.1, flt(0, 1)), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_intermediate_value(t, 1, 3.0), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_user_attr(t, "k", 1), UpdateFinishedTrialError);
    EXPECT_THROW(s().set_trial_system_attr(t, "k", 1), UpdateFinishedTrialError);
    for (TrialState to : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED,
                          TrialState::FAIL}) {
      EXPECT_THROW(s().set_trial_state_values(t, to, {5.0}), UpdateFinishedTrialError) << to_string(to);
    }
    try {
      s().set_trial_user_attr(t, "k", 1);
    } catch (const UpdateFinishedTrialError& e) {
      EXPECT_NE(std::string(e.what()).find(to_string(finished)), std::string::npos) << e.what();
    }
    expect_same_trial(s().get_trial(t), snapshot);
  }
}

TEST_P(StorageConformance, WaitingToRunningOnlyOnce) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t w = waiting_trial(id);
  EXPECT_TRUE(s().set_trial_state_values(w, TrialState::RUNNING));
  EXPECT_FALSE(s().set_trial_state_values(w, TrialState::RUNNING));  // the second caller loses
  // A trial that was never WAITING cannot be "taken" either.
  EXPECT_FALSE(s().set_trial_state_values(s().create_new_trial(id), TrialState::RUNNING));

  // Many threads racing for one waiting trial: exactly one wins.
  for (int round = 0; round < 5; ++round) {
    const int64_t t = waiting_trial(id);
    std::atomic<int> winners{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 8; ++k) {
      threads.emplace_back([&] {
        if (storage_->set_trial_state_values(t, TrialState::RUNNING)) ++winners;
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(s().get_trial(t).state, TrialState::RUNNING);
  }
}

TEST_P(StorageConformance, PopWaitingTrialTakesOldestFirst) {
  const int64_t id = s().create_new_study("a", kMin);
  EXPECT_EQ(s().pop_waiting_trial(id), std::nullopt);
  s().create_new_trial(id);  // RUNNING: never popped
  const int64_t w1 = waiting_trial(id);
  const int64_t w2 = waiting_trial(id);
  EXPECT_EQ(s().pop_waiting_trial(id), w1);
  FrozenTrial got = s().get_trial(w1);
  EXPECT_EQ(got.state, TrialState::RUNNING);
  EXPECT_TRUE(got.datetime_start);
  EXPECT_EQ(s().pop_waiting_trial(id), w2);
  EXPECT_EQ(s().pop_waiting_trial(id), std::nullopt);
}

TEST_P(StorageConformance, PopWaitingTrialFromManyThreadsNeverTwice) {
  const int64_t id = s().create_new_study("a", kMin);
  const int kWaiting = 60;
  for (int i = 0; i < kWaiting; ++i) waiting_trial(id);
  std::mutex mu;
  std::vector<int64_t> popped;  // GUARDED_BY(mu)
  std::vector<std::thread> threads;
  for (int k = 0; k < 6; ++k) {
    threads.emplace_back([&] {
      while (auto t = storage_->pop_waiting_trial(id)) {
        storage_->set_trial_state_values(*t, TrialState::COMPLETE, {1.0});
        std::lock_guard<std::mutex> lock(mu);
        popped.push_back(*t);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(popped.size(), static_cast<size_t>(kWaiting));
  EXPECT_EQ(std::set<int64_t>(popped.begin(), popped.end()).size(), static_cast<size_t>(kWaiting));
  EXPECT_EQ(s().get_n_trials(id, std::vector<TrialState>{TrialState::COMPLETE}), kWaiting);
}

TEST_P(StorageConformance, ConcurrentTrialCreationFromThreads) {
  const int64_t id = s().create_new_study("a", kMin);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < 25; ++i) {
        const int64_t t = storage_->create_new_trial(id);
        storage_->set_trial_param(t, "x", 0.5, flt(0, 1));
        storage_->set_trial_user_attr(t, "thread", k);
        storage_->set_trial_state_values(t, TrialState::COMPLETE, {static_cast<double>(i)});
      }
    });
  }
  for (auto& th : threads) th.join();
  auto trials = s().get_all_trials(id);
  ASSERT_EQ(trials.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(trials[i].number, i);
    EXPECT_EQ(trials[i].state, TrialState::COMPLETE);
    EXPECT_EQ(trials[i].params.at("x"), 0.5);
  }
}

TEST_P(StorageConformance, TemplateTrialIsCopied) {
  const int64_t id = s().create_new_study("a", kMin);
  s().create_new_trial(id);
  FrozenTrial tmpl;
  tmpl.trial_id = 424242;  // ignored: the storage assigns id and number
  tmpl.number = 99;
  tmpl.state = TrialState::COMPLETE;
  tmpl.values = {0.5};
  tmpl.params = {{"x", 0.25}, {"c", 1}};
  tmpl.distributions = {{"x", flt(0, 1)},
                        {"c", CategoricalDistribution{{std::string("a"), std::string("b")}}}};
  tmpl.intermediate_values = {{0, 1.0}, {1, kNaN}, {2, -kInf}};
  tmpl.user_attrs = {{"u", json{{"nested", {1, 2}}}}};
  tmpl.system_attrs = {{"fixed_params", json{{"x", 0.25}}}};
  const auto start = Clock::time_point(std::chrono::seconds(1700000000)) + std::chrono::microseconds(123456);
  tmpl.datetime_start = start;
  tmpl.datetime_complete = start + std::chrono::seconds(5);

  const int64_t t = s().create_new_trial(id, tmpl);
  FrozenTrial got = s().get_trial(t);
  FrozenTrial want = tmpl;
  want.trial_id = t;
  want.number = 1;
  expect_same_trial(got, want);

  // A WAITING template (enqueue_trial) keeps its parameters and has no times.
  FrozenTrial wt;
  wt.state = TrialState::WAITING;
  wt.params = {{"x", 0.75}};
  wt.distributions = {{"x", flt(0, 1)}};
  const int64_t w = s().create_new_trial(id, wt);
  got = s().get_trial(w);
  EXPECT_EQ(got.state, TrialState::WAITING);
  EXPECT_EQ(got.number, 2);
  EXPECT_EQ(got.params, wt.params);
  EXPECT_FALSE(got.datetime_start);
  EXPECT_EQ(s().pop_waiting_trial(id), w);

  // Inconsistent templates are refused before anything is written.
  FrozenTrial bad;
  bad.params = {{"y", 1.0}};
  EXPECT_THROW(s().create_new_trial(id, bad), ConfigError);
  FrozenTrial bad2;
  bad2.distributions = {{"y", flt(0, 1)}};
  EXPECT_THROW(s().create_new_trial(id, bad2), ConfigError);
  EXPECT_EQ(s().get_n_trials(id), 3);
}

TEST_P(StorageConformance, GetAllTrialsWithStateFilters) {
  const int64_t id = s().create_new_study("a", kMin);
  const int64_t other = s().create_new_study("other", kMin);
  s().create_new_trial(other);
  std::vector<TrialState> states;
  for (int i = 0; i < 15; ++i) {
    TrialState st = static_cast<TrialState>(i % 5);
    states.push_back(st);
    if (st == TrialState::WAITING) {
      waiting_trial(id);
      continue;
    }
    const int64_t t = s().create_new_trial(id);
    s().set_trial_param(t, "p", i, IntDistribution{0, 100});
    s().set_trial_intermediate_value(t, 0, i);
    if (st != TrialState::RUNNING) s().set_trial_state_values(t, st, {static_cast<double>(i)});
  }
  auto all = s().get_all_trials(id);
  ASSERT_EQ(all.size(), 15u);
  for (int i = 0; i < 15; ++i) {
    EXPECT_EQ(all[i].number, i);
    EXPECT_EQ(all[i].state, states[i]);
  }
  auto count = [&](std::vector<TrialState> want) {
    auto got = s().get_all_trials(id, want);
    for (size_t k = 1; k < got.size(); ++k) EXPECT_LT(got[k - 1].number, got[k].number);
    for (const auto& t : got) EXPECT_NE(std::find(want.begin(), want.end(), t.state), want.end());
    EXPECT_EQ(s().get_n_trials(id, want), static_cast<int>(got.size()));
    return got.size();
  };
  EXPECT_EQ(count({TrialState::COMPLETE}), 3u);
  EXPECT_EQ(count({TrialState::WAITING, TrialState::RUNNING}), 6u);
  EXPECT_EQ(count({TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL}), 9u);
  EXPECT_EQ(count({}), 0u);
  EXPECT_EQ(s().get_n_trials(id), 15);
  // Each snapshot from get_all_trials equals get_trial of the same id.
  for (const auto& t : all) expect_same_trial(t, s().get_trial(t.trial_id));
}

TEST_P(StorageConformance, UrlIsReported) {
  EXPECT_FALSE(s().url().empty());
  EXPECT_EQ(s().url().find('\n'), std::string::npos);
}

// ---------------------------------------------------------------- heartbeats, stale trials, retries

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

TEST_P(StorageConformance, HeartbeatsOnlyWhileRunning) {
  const int64_t id = s().create_new_study("hb", kMin);
  const int64_t t = s().create_new_trial(id);
  EXPECT_FALSE(s().get_trial(t).last_heartbeat);  // none before the first heartbeat

  const auto before = Clock::now() - std::chrono::milliseconds(1);
  EXPECT_TRUE(s().record_heartbeat(t));
  const FrozenTrial first = s().get_trial(t);
  ASSERT_TRUE(first.last_heartbeat);
  EXPECT_GE(*first.last_heartbeat, before);
  EXPECT_LE(*first.last_heartbeat, Clock::now() + std::chrono::milliseconds(1));
  EXPECT_EQ(s().get_all_trials(id).at(0).last_heartbeat, first.last_heartbeat);

  sleep_seconds(0.01);
  EXPECT_TRUE(s().record_heartbeat(t));
  const auto second = s().get_trial(t).last_heartbeat;
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first.last_heartbeat);

  // After the trial finished, heartbeats are refused and nothing changes.
  ASSERT_TRUE(s().set_trial_state_values(t, TrialState::COMPLETE, {1.0}));
  EXPECT_FALSE(s().record_heartbeat(t));
  EXPECT_EQ(s().get_trial(t).last_heartbeat, second);

  // A WAITING trial records none either; it gets one once it runs.
  const int64_t w = waiting_trial(id);
  EXPECT_FALSE(s().record_heartbeat(w));
  EXPECT_FALSE(s().get_trial(w).last_heartbeat);
  ASSERT_EQ(s().pop_waiting_trial(id), w);
  EXPECT_TRUE(s().record_heartbeat(w));
  EXPECT_TRUE(s().get_trial(w).last_heartbeat);

  EXPECT_THROW(s().record_heartbeat(987654), NotFoundError);
}

TEST_P(StorageConformance, StaleTrialsAreRunningWithOldHeartbeats) {
  const int64_t id = s().create_new_study("stale", kMin);
  const int64_t other = s().create_new_study("other", kMin);
  const int64_t a = s().create_new_trial(id);          // heartbeat, then silent: stale
  const int64_t no_hb = s().create_new_trial(id);      // never a heartbeat: not included
  const int64_t fresh = s().create_new_trial(id);      // heartbeat again after the sleep
  const int64_t done = s().create_new_trial(id);       // heartbeat, then finished
  const int64_t e = s().create_new_trial(id);          // stale too
  const int64_t elsewhere = s().create_new_trial(other);  // stale, but in another study
  for (int64_t t : {a, fresh, done, e, elsewhere}) ASSERT_TRUE(s().record_heartbeat(t));
  ASSERT_TRUE(s().set_trial_state_values(done, TrialState::COMPLETE, {0.0}));
  waiting_trial(id);
  EXPECT_TRUE(s().get_stale_trial_ids(id, 5.0).empty());  // all heartbeats are fresh (a loose bound: loaded CI)

  sleep_seconds(0.2);
  ASSERT_TRUE(s().record_heartbeat(fresh));
  EXPECT_EQ(s().get_stale_trial_ids(id, 0.05), (std::vector<int64_t>{a, e}));
  EXPECT_EQ(s().get_stale_trial_ids(other, 0.05), (std::vector<int64_t>{elsewhere}));
  EXPECT_TRUE(s().get_stale_trial_ids(id, 60.0).empty());
  EXPECT_EQ(s().get_trial(no_hb).state, TrialState::RUNNING);
  EXPECT_THROW(s().get_stale_trial_ids(987654, 0.05), NotFoundError);
}

TEST_P(StorageConformance, FailRunningTrialEnqueuesRetries) {
  const int64_t id = s().create_new_study("retry", kMin);
  s().create_new_trial(id);  // number 0, stays RUNNING
  const int64_t t = s().create_new_trial(id);  // number 1
  s().set_trial_param(t, "x", 0.5, flt(0, 1));
  s().set_trial_param(t, "n", 3, IntDistribution{1, 4});
  s().set_trial_param(t, "opt", 1, CategoricalDistribution{{std::string("adam"), std::string("sgd")}});
  s().set_trial_user_attr(t, "owner", "ünï");
  s().set_trial_user_attr(t, "cfg", json{{"a", {1, 2}}});
  ASSERT_TRUE(s().record_heartbeat(t));

  // A fresh heartbeat protects it from a stale-trial sweep...
  EXPECT_EQ(s().fail_running_trial(t, "stale", 2, 60.0), std::nullopt);
  EXPECT_EQ(s().get_trial(t).state, TrialState::RUNNING);
  // ... but not from its own worker failing it.
  auto failed = s().fail_running_trial(t, "worker died", 2);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->trial_id, t);
  EXPECT_EQ(failed->number, 1);
  ASSERT_TRUE(failed->retry_number);
  EXPECT_EQ(*failed->retry_number, 2);
  FrozenTrial got = s().get_trial(t);
  EXPECT_EQ(got.state, TrialState::FAIL);
  EXPECT_TRUE(got.datetime_complete);
  EXPECT_EQ(got.system_attrs.at("fail_reason"), "worker died");
  EXPECT_EQ(got.params.size(), 3u);

  const int64_t r1 = s().get_trial_id_from_study_id_trial_number(id, 2);
  FrozenTrial retry = s().get_trial(r1);
  EXPECT_EQ(retry.state, TrialState::WAITING);
  EXPECT_TRUE(retry.params.empty());
  EXPECT_EQ(retry.system_attrs.at("fixed_params"), (json{{"x", 0.5}, {"n", 3}, {"opt", "sgd"}}));
  EXPECT_EQ(retry.system_attrs.at(kRetryOfAttr), 1);
  EXPECT_EQ(retry.system_attrs.at(kRetryCountAttr), 1);
  EXPECT_EQ(retry.user_attrs, got.user_attrs);
  EXPECT_FALSE(retry.last_heartbeat);
  // Failing it again changes nothing.
  EXPECT_EQ(s().fail_running_trial(t, "again", 2), std::nullopt);
  EXPECT_EQ(s().get_n_trials(id), 3);
  // Not RUNNING (WAITING): nothing either.
  EXPECT_EQ(s().fail_running_trial(r1, "waiting", 2), std::nullopt);

  // The retry runs (with the fixed values) and fails too: a retry of the retry, count 2.
  ASSERT_EQ(s().pop_waiting_trial(id), r1);
  s().set_trial_param(r1, "x", 0.5, flt(0, 1));
  auto failed2 = s().fail_running_trial(r1, "oom", 2);
  ASSERT_TRUE(failed2 && failed2->retry_number);
  EXPECT_EQ(failed2->number, 2);
  const FrozenTrial retry2 = s().get_trial(s().get_trial_id_from_study_id_trial_number(id, *failed2->retry_number));
  EXPECT_EQ(retry2.system_attrs.at(kRetryOfAttr), 2);
  EXPECT_EQ(retry2.system_attrs.at(kRetryCountAttr), 2);
  // The parameters it never suggested (n, opt) stay fixed too.
  EXPECT_EQ(retry2.system_attrs.at("fixed_params"), (json{{"x", 0.5}, {"n", 3}, {"opt", "sgd"}}));
  EXPECT_EQ(retry2.user_attrs, got.user_attrs);

  // Its failure reaches max_retries: FAIL without a further retry.
  ASSERT_EQ(s().pop_waiting_trial(id), retry2.trial_id);
  auto failed3 = s().fail_running_trial(retry2.trial_id, "oom again", 2);
  ASSERT_TRUE(failed3);
  EXPECT_EQ(failed3->retry_number, std::nullopt);
  EXPECT_EQ(s().get_trial(retry2.trial_id).state, TrialState::FAIL);
  EXPECT_EQ(s().get_n_trials(id), 4);
  EXPECT_EQ(s().get_n_trials(id, std::vector<TrialState>{TrialState::WAITING}), 0);

  // max_retries 0: no retry at all.
  const int64_t once = s().create_new_trial(id);
  auto no_retry = s().fail_running_trial(once, "no retries", 0);
  ASSERT_TRUE(no_retry);
  EXPECT_EQ(no_retry->retry_number, std::nullopt);
  EXPECT_EQ(s().get_n_trials(id), 5);

  EXPECT_THROW(s().fail_running_trial(987654, "x", 1), NotFoundError);
}

TEST_P(StorageConformance, FailStaleTrialNeedsAnOldHeartbeat) {
  const int64_t id = s().create_new_study("stale-fail", kMin);
  const int64_t no_hb = s().create_new_trial(id);
  const int64_t t = s().create_new_trial(id);
  ASSERT_TRUE(s().record_heartbeat(t));
  EXPECT_EQ(s().fail_running_trial(t, "stale", 1, 5.0), std::nullopt);  // fresh
  sleep_seconds(0.2);
  EXPECT_EQ(s().fail_running_trial(no_hb, "stale", 1, 0.05), std::nullopt);  // no heartbeat: never stale
  EXPECT_EQ(s().get_trial(no_hb).state, TrialState::RUNNING);
  auto failed = s().fail_running_trial(t, "stale", 1, 0.05);
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->retry_number, 2);
  EXPECT_EQ(s().get_trial(t).system_attrs.at("fail_reason"), "stale");
  EXPECT_TRUE(s().get_stale_trial_ids(id, 0.05).empty());
}

TEST_P(StorageConformance, OneOfManyThreadsFailsAStaleTrial) {
  const int64_t id = s().create_new_study("race", kMin);
  for (int round = 0; round < 3; ++round) {
    const int64_t t = s().create_new_trial(id);
    s().set_trial_param(t, "x", 0.25, flt(0, 1));
    ASSERT_TRUE(s().record_heartbeat(t));
    sleep_seconds(0.1);
    std::atomic<int> winners{0};
    std::mutex mu;
    std::vector<int> retry_numbers;  // GUARDED_BY(mu)
    std::vector<std::thread> threads;
    for (int k = 0; k < 8; ++k) {
      threads.emplace_back([&] {
        if (auto f = storage_->fail_running_trial(t, "stale", 3, 0.05)) {
          ++winners;
          std::lock_guard<std::mutex> lock(mu);
          if (f->retry_number) retry_numbers.push_back(*f->retry_number);
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(winners.load(), 1);
    ASSERT_EQ(retry_numbers.size(), 1u);
    const auto waiting = s().get_all_trials(id, std::vector<TrialState>{TrialState::WAITING});
    ASSERT_EQ(waiting.size(), 1u);  // exactly one retry exists
    EXPECT_EQ(waiting[0].number, retry_numbers[0]);
    EXPECT_EQ(waiting[0].system_attrs.at(kRetryOfAttr), s().get_trial(t).number);
    EXPECT_EQ(waiting[0].system_attrs.at("fixed_params"), (json{{"x", 0.25}}));
    ASSERT_EQ(s().pop_waiting_trial(id), waiting[0].trial_id);
    ASSERT_TRUE(s().set_trial_state_values(waiting[0].trial_id, TrialState::COMPLETE, {0.0}));
  }
  EXPECT_EQ(s().get_n_trials(id, std::vector<TrialState>{TrialState::FAIL}), 3);
}

// ---------------------------------------------------------------- finished trials, incrementally

// Every finished trial of `study_id` after `after`, read in pages of `limit`.
std::vector<FrozenTrial> read_finished(Storage& s, int64_t study_id, int64_t after, int limit, int64_t* last) {
  std::vector<FrozenTrial> out;
  *last = after;
  for (;;) {
    auto page = s.get_finished_trials_after(study_id, *last, limit, last);
    EXPECT_LE(page.size(), static_cast<size_t>(limit));
    if (page.empty()) return out;
    out.insert(out.end(), page.begin(), page.end());
  }
}

TEST_P(StorageConformance, FinishedTrialsAfterInFinishingOrder) {
  const int64_t id = s().create_new_study("finished", kMin);
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(s().create_new_trial(id));
    s().set_trial_param(ids.back(), "x", 0.1 * i, flt(0, 1));
  }
  int64_t last = -7;
  EXPECT_TRUE(s().get_finished_trials_after(id, 0, 5, &last).empty());
  EXPECT_EQ(last, -7);  // unchanged when none

  // Finish in an order unrelated to the numbers, with every finished state.
  const std::vector<int> order{3, 1, 4, 0, 9, 2, 6};
  std::vector<int> want;
  for (size_t k = 0; k < order.size(); ++k) {
    const TrialState st = k % 3 == 0 ? TrialState::COMPLETE : k % 3 == 1 ? TrialState::PRUNED : TrialState::FAIL;
    ASSERT_TRUE(s().set_trial_state_values(ids[order[k]], st, {static_cast<double>(order[k])}));
    want.push_back(order[k]);
    if (k == 3) {
      // A template created finished gets the next sequence too (number 10); WAITING ones none.
      FrozenTrial tmpl;
      tmpl.state = TrialState::COMPLETE;
      tmpl.values = {42.0};
      s().create_new_trial(id, tmpl);
      want.push_back(10);
      waiting_trial(id);
    }
  }
  ASSERT_EQ(want.size(), 8u);

  // Pages of 3: sequences 1..3, 4..6, 7..8.
  std::vector<int> seen;
  std::vector<int64_t> lasts;
  int64_t cursor = 0;
  for (;;) {
    auto page = s().get_finished_trials_after(id, cursor, 3, &cursor);
    if (page.empty()) break;
    EXPECT_LE(page.size(), 3u);
    lasts.push_back(cursor);
    for (const auto& t : page) {
      seen.push_back(t.number);
      expect_same_trial(t, s().get_trial(t.trial_id));  // full snapshots
      EXPECT_TRUE(is_finished(t.state));
    }
  }
  EXPECT_EQ(seen, want);
  EXPECT_EQ(lasts, (std::vector<int64_t>{3, 6, 8}));
  EXPECT_EQ(cursor, 8);

  // Starting in the middle; a large limit.
  auto tail = s().get_finished_trials_after(id, 5, 100, &last);
  ASSERT_EQ(tail.size(), 3u);
  EXPECT_EQ(tail[0].number, want[5]);
  EXPECT_EQ(last, 8);
  // New finishes continue the sequence.
  ASSERT_TRUE(s().set_trial_state_values(ids[5], TrialState::COMPLETE, {5.0}));
  auto next = s().get_finished_trials_after(id, 8, 10, &last);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].number, 5);
  EXPECT_EQ(last, 9);
  // A retry's failed trial is sequenced when fail_running_trial fails it.
  ASSERT_TRUE(s().fail_running_trial(ids[7], "gone", 0));
  next = s().get_finished_trials_after(id, 9, 10, &last);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].number, 7);
  EXPECT_EQ(next[0].state, TrialState::FAIL);
  EXPECT_EQ(last, 10);

  EXPECT_THROW(s().get_finished_trials_after(987654, 0, 10, &last), NotFoundError);
}

TEST_P(StorageConformance, FinishSequenceIsPerStudy) {
  const int64_t a = s().create_new_study("a", kMin);
  const int64_t b = s().create_new_study("b", kMin);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(s().set_trial_state_values(s().create_new_trial(a), TrialState::COMPLETE, {1.0 * i}));
    ASSERT_TRUE(s().set_trial_state_values(s().create_new_trial(b), TrialState::FAIL));
    ASSERT_TRUE(s().set_trial_state_values(s().create_new_trial(b), TrialState::PRUNED));
  }
  int64_t last_a = 0, last_b = 0;
  auto fa = read_finished(s(), a, 0, 2, &last_a);
  auto fb = read_finished(s(), b, 0, 3, &last_b);
  EXPECT_EQ(last_a, 4);
  EXPECT_EQ(last_b, 8);
  ASSERT_EQ(fa.size(), 4u);
  ASSERT_EQ(fb.size(), 8u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(fa[i].number, i);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(fb[i].number, i);
  // Deleting a study leaves the other's sequence alone.
  s().delete_study(a);
  ASSERT_TRUE(s().set_trial_state_values(s().create_new_trial(b), TrialState::COMPLETE, {0.0}));
  auto more = s().get_finished_trials_after(b, 8, 5, &last_b);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(last_b, 9);
}

TEST_P(StorageConformance, PollingReaderSeesEveryFinishedTrialOnce) {
  const int64_t id = s().create_new_study("poll", kMin);
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kThreads; ++k) {
    threads.emplace_back([&, k] {
      for (int i = 0; i < kEach; ++i) {
        const int64_t t = storage_->create_new_trial(id);
        storage_->set_trial_user_attr(t, "writer", k);
        storage_->set_trial_state_values(t, i % 4 == 3 ? TrialState::PRUNED : TrialState::COMPLETE, {1.0 * i});
      }
      ++writers_done;
    });
  }
  std::map<int64_t, int> times_seen;
  int64_t cursor = 0;
  for (;;) {
    const bool done = writers_done.load() == kThreads;  // read before polling: a last poll after the end
    int64_t before = cursor;
    auto page = s().get_finished_trials_after(id, cursor, 7, &cursor);
    EXPECT_LE(page.size(), 7u);
    EXPECT_EQ(cursor - before, static_cast<int64_t>(page.size()));  // no gaps in the sequence
    for (const auto& t : page) {
      ++times_seen[t.trial_id];
      EXPECT_TRUE(is_finished(t.state));
      EXPECT_TRUE(t.user_attrs.count("writer"));
    }
    if (done && page.empty()) break;
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(times_seen.size(), static_cast<size_t>(kThreads * kEach));
  for (const auto& [trial_id, n] : times_seen) EXPECT_EQ(n, 1) << "trial id " << trial_id;
  EXPECT_EQ(cursor, kThreads * kEach);
}

// ---------------------------------------------------------------- several processes

TEST_P(StorageConformance, SeveralProcessesCreateAndPopTrials) {
  if (!GetParam().url) GTEST_SKIP() << GetParam().name << " cannot be opened from another process";
  const std::string url = GetParam().url(dir_);
  const int64_t id = s().create_new_study("procs", kMin);
  constexpr int kWorkers = 6, kCreateEach = 50, kWaiting = 100;
  std::set<int64_t> waiting_ids;
  for (int i = 0; i < kWaiting; ++i) waiting_ids.insert(waiting_trial(id));

  auto codes = run_in_children(kWorkers, [&](int worker) {
    auto st = open_storage(url);
    std::ofstream report(dir_.file("popped-" + std::to_string(worker) + ".txt"));
    int created = 0;
    bool queue_empty = false;
    while (created < kCreateEach || !queue_empty) {
      if (created < kCreateEach) {
        const int64_t t = st->create_new_trial(id);
        st->set_trial_user_attr(t, "creator", worker);
        st->set_trial_state_values(t, TrialState::COMPLETE, {1.0 * created++});
      }
      if (!queue_empty) {
        if (auto t = st->pop_waiting_trial(id)) {
          report << *t << "\n" << std::flush;
          // A trial handed out twice would be finished twice: the second throws and the child exits 3.
          st->set_trial_state_values(*t, TrialState::COMPLETE, {-1.0});
        } else {
          queue_empty = true;
        }
      }
    }
    return report ? 0 : 4;
  });
  for (int c : codes) EXPECT_EQ(c, 0);

  std::multiset<int64_t> popped;
  for (int k = 0; k < kWorkers; ++k) {
    std::ifstream in(dir_.file("popped-" + std::to_string(k) + ".txt"));
    for (int64_t t; in >> t;) popped.insert(t);
  }
  EXPECT_EQ(popped.size(), static_cast<size_t>(kWaiting));
  EXPECT_EQ(std::set<int64_t>(popped.begin(), popped.end()), waiting_ids);  // each exactly once

  const auto trials = s().get_all_trials(id);
  ASSERT_EQ(trials.size(), static_cast<size_t>(kWaiting + kWorkers * kCreateEach));
  std::map<int, int> created_by;
  for (size_t n = 0; n < trials.size(); ++n) {
    EXPECT_EQ(trials[n].number, static_cast<int>(n));  // distinct and contiguous
    EXPECT_EQ(trials[n].state, TrialState::COMPLETE);
    if (trials[n].user_attrs.count("creator")) ++created_by[trials[n].user_attrs.at("creator").get<int>()];
  }
  ASSERT_EQ(created_by.size(), static_cast<size_t>(kWorkers));
  for (const auto& [worker, n] : created_by) EXPECT_EQ(n, kCreateEach) << "worker " << worker;
  int64_t last = 0;
  EXPECT_EQ(read_finished(s(), id, 0, 64, &last).size(), trials.size());
  EXPECT_EQ(last, static_cast<int64_t>(trials.size()));
}

TEST_P(StorageConformance, SeveralProcessesSweepStaleTrialsOnce) {
  if (!GetParam().url) GTEST_SKIP() << GetParam().name << " cannot be opened from another process";
  const std::string url = GetParam().url(dir_);
  const int64_t id = s().create_new_study("sweep", kMin);
  constexpr int kStale = 20, kWorkers = 4;
  for (int i = 0; i < kStale; ++i) ASSERT_TRUE(s().record_heartbeat(s().create_new_trial(id)));
  sleep_seconds(0.1);
  auto codes = run_in_children(kWorkers, [&](int worker) {
    auto st = open_storage(url);
    std::ofstream report(dir_.file("failed-" + std::to_string(worker) + ".txt"));
    for (int64_t t : st->get_stale_trial_ids(id, 0.05)) {
      if (st->fail_running_trial(t, "stale", 1, 0.05)) report << t << "\n";
    }
    return report ? 0 : 4;
  });
  for (int c : codes) EXPECT_EQ(c, 0);
  std::multiset<int64_t> failed;
  for (int k = 0; k < kWorkers; ++k) {
    std::ifstream in(dir_.file("failed-" + std::to_string(k) + ".txt"));
    for (int64_t t; in >> t;) failed.insert(t);
  }
  EXPECT_EQ(failed.size(), static_cast<size_t>(kStale));
  EXPECT_EQ(std::set<int64_t>(failed.begin(), failed.end()).size(), static_cast<size_t>(kStale));
  EXPECT_EQ(s().get_n_trials(id, std::vector<TrialState>{TrialState::FAIL}), kStale);
  EXPECT_EQ(s().get_n_trials(id, std::vector<TrialState>{TrialState::WAITING}), kStale);  // one retry each
}


INSTANTIATE_TEST_SUITE_P(
    Backends, StorageConformance,
    ::testing::Values(Backend{"InMemory", [](const TempDir&) { return open_storage(":memory:"); }},
                      Backend{"SQLiteFile",
                              [](const TempDir& dir) { return open_storage("sqlite:///" + dir.file("study.db")); },
                              [](const TempDir& dir) { return "sqlite:///" + dir.file("study.db"); }},
                      Backend{"SQLiteInMemory", [](const TempDir&) { return open_storage("sqlite:///:memory:"); }}),
    [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
}  // namespace autoglm
