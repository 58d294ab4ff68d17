// Storage conformance suite: every Storage implementation must pass it (as Optuna's
// tests/storages_tests/test_storages.py). Parameterized over the back ends; each test gets a
// fresh storage (and a fresh temporary directory for file-backed ones).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
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
