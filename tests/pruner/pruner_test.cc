// Unit tests of the built-in pruners: option parsing and validation messages, hand-made
// histories for the decision rules, and the documented differences from Optuna.
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/pruners.h"
#include "autoglm/study_view.h"

namespace autoglm {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

FrozenTrial make_trial(int number, TrialState state, std::map<int64_t, double> values) {
  FrozenTrial t;
  t.trial_id = number;
  t.number = number;
  t.state = state;
  t.intermediate_values = std::move(values);
  if (state == TrialState::COMPLETE && !t.intermediate_values.empty())
    t.values = {t.intermediate_values.rbegin()->second};
  return t;
}

/// Message of the ConfigError thrown by `f`, or "" when none is thrown.
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// Options

TEST(PrunerOptions, DefaultsAreOptunas) {
  auto median = make_median_pruner(json());
  EXPECT_EQ(median->name(), "median");
  const auto& m = dynamic_cast<MedianPruner&>(*median).options();
  EXPECT_EQ(m.percentile, 50.0);
  EXPECT_EQ(m.n_startup_trials, 5);
  EXPECT_EQ(m.n_warmup_steps, 0);
  EXPECT_EQ(m.interval_steps, 1);
  EXPECT_EQ(m.n_min_trials, 1);

  auto sha = make_successive_halving_pruner(json{{"name", "successive_halving"}});
  const auto& s = dynamic_cast<SuccessiveHalvingPruner&>(*sha).options();
  EXPECT_FALSE(s.min_resource.has_value());  // "auto"
  EXPECT_EQ(s.reduction_factor, 4);
  EXPECT_EQ(s.min_early_stopping_rate, 0);
  EXPECT_EQ(s.bootstrap_count, 0);

  auto hb = make_hyperband_pruner(json::object());
  const auto& h = dynamic_cast<HyperbandPruner&>(*hb).options();
  EXPECT_EQ(h.min_resource, 1);
  EXPECT_FALSE(h.max_resource.has_value());  // "auto"
  EXPECT_EQ(h.reduction_factor, 3);
  EXPECT_EQ(h.bootstrap_count, 0);

  EXPECT_EQ(make_nop_pruner(json{{"name", "nop"}})->name(), "nop");
}

TEST(PrunerOptions, ReadsEveryOption) {
  auto p = make_percentile_pruner(json{{"name", "percentile"}, {"percentile", 25}, {"n_startup_trials", 2},
                                       {"n_warmup_steps", 3}, {"interval_steps", 4}, {"n_min_trials", 5}});
  const auto& o = dynamic_cast<PercentilePruner&>(*p).options();
  EXPECT_EQ(o.percentile, 25.0);
  EXPECT_EQ(o.n_startup_trials, 2);
  EXPECT_EQ(o.n_warmup_steps, 3);
  EXPECT_EQ(o.interval_steps, 4);
  EXPECT_EQ(o.n_min_trials, 5);

  auto sha = make_successive_halving_pruner(
      json{{"min_resource", 3}, {"reduction_factor", 2}, {"min_early_stopping_rate", 1}, {"bootstrap_count", 2}});
  const auto& s = dynamic_cast<SuccessiveHalvingPruner&>(*sha).options();
  EXPECT_EQ(s.min_resource, 3);
  EXPECT_EQ(s.reduction_factor, 2);
  EXPECT_EQ(s.min_early_stopping_rate, 1);
  EXPECT_EQ(s.bootstrap_count, 2);
  auto sha_auto = make_successive_halving_pruner(json{{"min_resource", "auto"}});
  EXPECT_FALSE(dynamic_cast<SuccessiveHalvingPruner&>(*sha_auto).options().min_resource.has_value());

  auto hb = make_hyperband_pruner(
      json{{"min_resource", 2}, {"max_resource", 100}, {"reduction_factor", 4}, {"bootstrap_count", 1}});
  const auto& h = dynamic_cast<HyperbandPruner&>(*hb).options();
  EXPECT_EQ(h.min_resource, 2);
  EXPECT_EQ(h.max_resource, 100);
  EXPECT_EQ(h.reduction_factor, 4);
  EXPECT_EQ(h.bootstrap_count, 1);
  auto hb_auto = make_hyperband_pruner(json{{"max_resource", "auto"}});
  EXPECT_FALSE(dynamic_cast<HyperbandPruner&>(*hb_auto).options().max_resource.has_value());
}

TEST(PrunerOptions, UnknownKeysGetDidYouMean) {
  EXPECT_EQ(error_of([] { make_median_pruner(json{{"n_startup", 3}}); }),
            "pruner 'median': unknown option 'n_startup'; did you mean 'n_startup_trials'?");
  EXPECT_EQ(error_of([] { make_successive_halving_pruner(json{{"reduction_factr", 3}}); }),
            "pruner 'successive_halving': unknown option 'reduction_factr'; did you mean 'reduction_factor'?");
  EXPECT_EQ(error_of([] { make_hyperband_pruner(json{{"max_resources", 3}}); }),
            "pruner 'hyperband': unknown option 'max_resources'; did you mean 'max_resource'?");
  EXPECT_EQ(error_of([] { make_percentile_pruner(json{{"percentile", 10}, {"percentil", 3}}); }),
            "pruner 'percentile': unknown option 'percentil'; did you mean 'percentile'?");
  EXPECT_THAT(error_of([] { make_nop_pruner(json{{"patience", 3}}); }),
              HasSubstr("pruner 'nop': unknown option 'patience'"));
  EXPECT_THAT(error_of([] { make_median_pruner(json::array({1, 2})); }),
              HasSubstr("pruner 'median': options must be a mapping"));
}

TEST(PrunerOptions, InvalidValuesNameTheOptionAndTheFix) {
  EXPECT_EQ(error_of([] { make_successive_halving_pruner(json{{"reduction_factor", 1}}); }),
            "pruner 'successive_halving': option 'reduction_factor' must be >= 2, got 1; use 2 or more (4 is the "
            "default: about 1 trial in 4 is promoted)");
  EXPECT_EQ(error_of([] { make_successive_halving_pruner(json{{"min_resource", "fast"}}); }),
            "pruner 'successive_halving': option 'min_resource' must be a positive integer (steps) or \"auto\", got "
            "\"fast\"");
  EXPECT_EQ(error_of([] { make_successive_halving_pruner(json{{"min_resource", 2.5}}); }),
            "pruner 'successive_halving': option 'min_resource' must be a positive integer (steps) or \"auto\", got "
            "2.5");
  EXPECT_THAT(error_of([] { make_successive_halving_pruner(json{{"min_resource", 0}}); }),
              HasSubstr("option 'min_resource' must be >= 1 or \"auto\", got 0"));
  EXPECT_THAT(error_of([] { make_successive_halving_pruner(json{{"min_early_stopping_rate", -1}}); }),
              HasSubstr("option 'min_early_stopping_rate' must be >= 0, got -1"));
  EXPECT_THAT(error_of([] { make_successive_halving_pruner(json{{"bootstrap_count", -2}, {"min_resource", 1}}); }),
              HasSubstr("option 'bootstrap_count' must be >= 0, got -2"));
  EXPECT_EQ(error_of([] { make_successive_halving_pruner(json{{"bootstrap_count", 2}}); }),
            "pruner 'successive_halving': option 'bootstrap_count' cannot be used with min_resource \"auto\" (got "
            "bootstrap_count 2); give min_resource as a number of steps, or set bootstrap_count to 0");
  EXPECT_THAT(error_of([] { make_successive_halving_pruner(json{{"reduction_factor", "4"}}); }),
              HasSubstr("option 'reduction_factor' must be an integer, got \"4\""));

  EXPECT_EQ(error_of([] { make_hyperband_pruner(json{{"reduction_factor", 1}}); }),
            "pruner 'hyperband': option 'reduction_factor' must be >= 2, got 1; use 2 or more (3 is the default)");
  EXPECT_EQ(error_of([] { make_hyperband_pruner(json{{"min_resource", "auto"}}); }),
            "pruner 'hyperband': option 'min_resource' must be a positive integer (steps), got \"auto\"");
  EXPECT_THAT(error_of([] { make_hyperband_pruner(json{{"min_resource", 0}}); }),
              HasSubstr("option 'min_resource' must be >= 1, got 0"));
  EXPECT_EQ(error_of([] { make_hyperband_pruner(json{{"min_resource", 10}, {"max_resource", 5}}); }),
            "pruner 'hyperband': option 'max_resource' must be >= min_resource (10) or \"auto\", got 5; give the "
            "number of steps of a fully trained trial");
  EXPECT_THAT(error_of([] { make_hyperband_pruner(json{{"max_resource", "full"}}); }),
              HasSubstr("option 'max_resource' must be a positive integer (steps) or \"auto\", got \"full\""));
  EXPECT_THAT(error_of([] { make_hyperband_pruner(json{{"bootstrap_count", 1}}); }),
              HasSubstr("option 'bootstrap_count' cannot be used with max_resource \"auto\""));

  EXPECT_EQ(error_of([] { make_percentile_pruner(json::object()); }),
            "pruner 'percentile': option 'percentile' is required: a number between 0 and 100, e.g. 25.0 keeps the "
            "best quarter of the trials at each step (or use the 'median' pruner)");
  EXPECT_EQ(error_of([] { make_percentile_pruner(json{{"percentile", 101}}); }),
            "pruner 'percentile': option 'percentile' must be between 0 and 100, got 101.0; e.g. 25.0 keeps the "
            "best quarter of the trials at each step");
  EXPECT_THAT(error_of([] { make_percentile_pruner(json{{"percentile", "high"}}); }),
              HasSubstr("option 'percentile' must be a number, got \"high\""));
  EXPECT_EQ(error_of([] { make_median_pruner(json{{"interval_steps", 0}}); }),
            "pruner 'median': option 'interval_steps' must be at least 1, got 0; use 1 to check at every step");
  EXPECT_THAT(error_of([] { make_median_pruner(json{{"n_warmup_steps", -1}}); }),
              HasSubstr("pruner 'median': option 'n_warmup_steps' cannot be negative, got -1"));
  EXPECT_THAT(error_of([] { make_median_pruner(json{{"n_startup_trials", -1}}); }),
              HasSubstr("pruner 'median': option 'n_startup_trials' cannot be negative, got -1"));
  EXPECT_THAT(error_of([] { make_median_pruner(json{{"n_min_trials", 0}}); }),
              HasSubstr("pruner 'median': option 'n_min_trials' must be at least 1, got 0"));
}

TEST(PrunerOptions, RegistryBuildsEveryBuiltin) {
  EXPECT_EQ(make_pruner("median")->name(), "median");
  EXPECT_EQ(make_pruner("none")->name(), "nop");
  EXPECT_EQ(make_pruner(json{{"name", "percentile"}, {"percentile", 10}})->name(), "percentile");
  EXPECT_EQ(make_pruner(json{{"name", "asha"}, {"min_resource", "auto"}})->name(), "successive_halving");
  EXPECT_EQ(make_pruner(json{{"name", "hyperband"}, {"max_resource", 27}})->name(), "hyperband");
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "hyperband"}, {"reduction_factor", 1}}); }),
              HasSubstr("option 'reduction_factor' must be >= 2"));
}

TEST(PrunerOptions, ConstructorsValidateToo) {
  SuccessiveHalvingPrunerOptions sha;
  sha.reduction_factor = 1;
  EXPECT_THROW(SuccessiveHalvingPruner{sha}, ConfigError);
  HyperbandPrunerOptions hb;
  hb.min_resource = 0;
  EXPECT_THROW(HyperbandPruner{hb}, ConfigError);
  EXPECT_THROW(PercentilePruner(PercentilePrunerOptions{.percentile = -1}), ConfigError);
  EXPECT_THROW(PercentilePruner(PercentilePrunerOptions{.percentile = kNaN}), ConfigError);
  EXPECT_THROW(MedianPruner(MedianPrunerOptions{.interval_steps = 0}), ConfigError);
  EXPECT_NO_THROW(HyperbandPruner(HyperbandPrunerOptions{.min_resource = 4, .max_resource = 4}));
}

// ---------------------------------------------------------------------------------------------
// Decision rules on hand-made histories

TEST(NopPruner, NeverPrunes) {
  NopPruner p;
  FrozenTrial t = make_trial(1, TrialState::RUNNING, {{0, kNaN}});
  HistoryView view("s", {StudyDirection::MINIMIZE}, {make_trial(0, TrialState::COMPLETE, {{0, 0.0}}), t});
  EXPECT_FALSE(p.prune(view, t));
}

TEST(MedianPruner, PrunesAboveTheMedianAtTheSameStep) {
  MedianPruner p(MedianPrunerOptions{.n_startup_trials = 2});
  std::vector<FrozenTrial> done = {make_trial(0, TrialState::COMPLETE, {{0, 1.0}, {1, 0.5}}),
                                   make_trial(1, TrialState::COMPLETE, {{0, 3.0}, {1, 2.0}}),
                                   make_trial(2, TrialState::PRUNED, {{0, 100.0}, {1, 100.0}})};
  auto ask = [&](StudyDirection d, std::map<int64_t, double> values) {
    FrozenTrial t = make_trial(3, TrialState::RUNNING, std::move(values));
    auto trials = done;
    trials.push_back(t);
    return p.prune(HistoryView("s", {d}, trials), t);
  };
  // Median at step 1 is 1.25; the trial's best so far counts, not its latest value.
  EXPECT_TRUE(ask(StudyDirection::MINIMIZE, {{0, 2.0}, {1, 1.3}}));
  EXPECT_FALSE(ask(StudyDirection::MINIMIZE, {{0, 2.0}, {1, 1.25}}));
  EXPECT_FALSE(ask(StudyDirection::MINIMIZE, {{0, 1.0}, {1, 9.0}}));
  EXPECT_TRUE(ask(StudyDirection::MAXIMIZE, {{0, 1.0}, {1, 1.2}}));
  EXPECT_FALSE(ask(StudyDirection::MAXIMIZE, {{0, 1.0}, {1, 1.3}}));
  // NaN values are ignored for the best value; all-NaN trials are pruned.
  EXPECT_FALSE(ask(StudyDirection::MINIMIZE, {{0, 1.0}, {1, kNaN}}));
  EXPECT_TRUE(ask(StudyDirection::MINIMIZE, {{0, kNaN}, {1, kNaN}}));
  // No completed trial reported step 5: nothing to compare with.
  EXPECT_FALSE(ask(StudyDirection::MINIMIZE, {{0, 9.0}, {5, 9.0}}));
}

TEST(MedianPruner, WaitsForStartupTrialsAndWarmup) {
  std::vector<FrozenTrial> trials = {make_trial(0, TrialState::COMPLETE, {{0, 1.0}, {5, 1.0}})};
  FrozenTrial t = make_trial(1, TrialState::RUNNING, {{0, 9.0}});
  trials.push_back(t);
  HistoryView view("s", {StudyDirection::MINIMIZE}, trials);
  EXPECT_FALSE(MedianPruner().prune(view, t));  // 1 completed trial < 5
  EXPECT_TRUE(MedianPruner(MedianPrunerOptions{.n_startup_trials = 1}).prune(view, t));
  EXPECT_FALSE(MedianPruner(MedianPrunerOptions{.n_startup_trials = 1, .n_warmup_steps = 1}).prune(view, t));
  // Interval: with warm-up 1 and interval 4, checks happen at steps 1, 5, 9, ...; a check whose
  // step was not reported happens at the next report (step 2 for the check at 1).
  FrozenTrial late = make_trial(1, TrialState::RUNNING, {{0, 9.0}, {2, 9.0}, {5, 9.0}});
  HistoryView view2("s", {StudyDirection::MINIMIZE}, {trials[0], late});
  EXPECT_TRUE(MedianPruner(MedianPrunerOptions{.n_startup_trials = 1, .n_warmup_steps = 1, .interval_steps = 4})
                  .prune(view2, late));
  // With interval 6 the check at step 1 was done at step 2; step 5 is not checked.
  EXPECT_FALSE(MedianPruner(MedianPrunerOptions{.n_startup_trials = 1, .n_warmup_steps = 1, .interval_steps = 6})
                   .prune(view2, late));
}

TEST(PercentilePruner, InterpolatesLikeNumpy) {
  // Completed values at step 0: 1, 2, 3, 4. 25th percentile (linear) = 1.75.
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(make_trial(i, TrialState::COMPLETE, {{0, 1.0 + i}}));
  PercentilePruner p(PercentilePrunerOptions{.percentile = 25, .n_startup_trials = 1});
  auto ask = [&](StudyDirection d, double v) {
    FrozenTrial t = make_trial(9, TrialState::RUNNING, {{0, v}});
    return p.prune(HistoryView("s", {d}, trials), t);
  };
  EXPECT_FALSE(ask(StudyDirection::MINIMIZE, 1.75));
  EXPECT_TRUE(ask(StudyDirection::MINIMIZE, 1.76));
  // Maximizing keeps the top 25%: the 75th percentile is 3.25.
  EXPECT_FALSE(ask(StudyDirection::MAXIMIZE, 3.25));
  EXPECT_TRUE(ask(StudyDirection::MAXIMIZE, 3.24));
}

TEST(SuccessiveHalvingPruner, PromotesTheTopFractionAtEachRung) {
  // min_resource 1, eta 2: rungs at steps 1, 2, 4, ...
  SuccessiveHalvingPruner p(SuccessiveHalvingPrunerOptions{.min_resource = 1, .reduction_factor = 2});
  std::vector<FrozenTrial> trials = {make_trial(0, TrialState::COMPLETE, {{0, 5}, {1, 1.0}, {2, 0.5}, {3, 0.4}}),
                                     make_trial(1, TrialState::PRUNED, {{0, 5}, {1, 3.0}}),
                                     make_trial(2, TrialState::FAIL, {{0, 5}, {1, 2.0}, {2, 1.0}})};
  auto ask = [&](std::map<int64_t, double> values) {
    FrozenTrial t = make_trial(3, TrialState::RUNNING, std::move(values));
    auto all = trials;
    all.push_back(t);
    return p.prune(HistoryView("s", {StudyDirection::MINIMIZE}, all), t);
  };
  EXPECT_FALSE(ask({{0, 9.0}}));  // before the first rung
  // Rung 0 values 1, 3, 2 and ours: 4 values -> the best 2 go on (<= 2.0).
  EXPECT_FALSE(ask({{0, 9.0}, {1, 2.0}}));
  EXPECT_TRUE(ask({{0, 9.0}, {1, 2.5}}));
  // Rung 1 values 0.5, 1.0 and ours: 3 values -> the best 1 goes on.
  EXPECT_FALSE(ask({{0, 9.0}, {1, 0.1}, {2, 0.4}}));
  EXPECT_TRUE(ask({{0, 9.0}, {1, 0.1}, {2, 0.6}}));
  // A NaN value at a rung prunes; a NaN elsewhere does not.
  EXPECT_TRUE(ask({{0, 9.0}, {1, kNaN}}));
  EXPECT_FALSE(ask({{0, kNaN}}));
}

TEST(SuccessiveHalvingPruner, AutoMinResourceWaitsForACompletedTrial) {
  SuccessiveHalvingPruner p;  // min_resource "auto", eta 4
  FrozenTrial t = make_trial(1, TrialState::RUNNING, {{0, 1.0}, {1, 9.0}});
  std::vector<FrozenTrial> running = {make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.0}}), t};
  EXPECT_FALSE(p.prune(HistoryView("s", {StudyDirection::MINIMIZE}, running), t));
  // Trial 0 completed first: it sets min_resource (max(299 / 100, 1) = 2) and, like in Optuna,
  // takes no part in the rungs. Trial 2 finished after it and does.
  std::map<int64_t, double> long_run;
  for (int s = 0; s < 300; ++s) long_run[s] = 0.1;
  std::vector<FrozenTrial> trials = {make_trial(0, TrialState::COMPLETE, long_run),
                                     make_trial(2, TrialState::PRUNED, {{0, 1.0}, {1, 1.0}, {2, 5.0}})};
  trials[0].datetime_complete = Clock::time_point{} + std::chrono::seconds(10);
  trials[1].datetime_complete = Clock::time_point{} + std::chrono::seconds(20);
  auto ask = [&](std::map<int64_t, double> values) {
    FrozenTrial x = make_trial(3, TrialState::RUNNING, std::move(values));
    auto all = trials;
    all.push_back(x);
    return p.prune(HistoryView("s", {StudyDirection::MINIMIZE}, all), x);
  };
  EXPECT_FALSE(ask({{0, 9.0}, {1, 9.0}}));        // step 1 < min_resource 2
  EXPECT_FALSE(ask({{0, 9.0}, {1, 9.0}, {2, 4.0}}));  // 4.0 beats trial 2's 5.0; trial 0 does not count
  EXPECT_TRUE(ask({{0, 9.0}, {1, 9.0}, {2, 6.0}}));
}

TEST(SuccessiveHalvingPruner, AsksTwiceAnswersTheSame) {
  // Documented difference: Optuna records the rung on the first question and answers a repeated
  // question at the same step from the next rung; we answer from the history, identically.
  SuccessiveHalvingPruner p(SuccessiveHalvingPrunerOptions{.min_resource = 1, .reduction_factor = 2});
  FrozenTrial t = make_trial(1, TrialState::RUNNING, {{1, 5.0}});
  HistoryView view("s", {StudyDirection::MINIMIZE}, {make_trial(0, TrialState::COMPLETE, {{1, 1.0}}), t});
  EXPECT_TRUE(p.prune(view, t));
  EXPECT_TRUE(p.prune(view, t));
}

TEST(SuccessiveHalvingPruner, AReportPastSeveralRungsCompetesInEach) {
  // min_resource 1, eta 2: rungs at 1, 2, 4. A jump to step 4 is promoted through rung 0 and 1
  // but not rung 2.
  SuccessiveHalvingPruner p(SuccessiveHalvingPrunerOptions{.min_resource = 1, .reduction_factor = 2});
  std::vector<FrozenTrial> trials = {make_trial(0, TrialState::COMPLETE, {{1, 3.0}, {2, 2.0}, {4, 0.5}}),
                                     make_trial(1, TrialState::RUNNING, {{0, 1.0}, {4, 1.0}})};
  HistoryView view("s", {StudyDirection::MINIMIZE}, trials);
  EXPECT_TRUE(p.prune(view, trials[1]));
  // Trial 1's value at step 4, its first report at or past step 1, is its rung-0 value.
  FrozenTrial t = make_trial(2, TrialState::RUNNING, {{1, 2.0}});
  auto all = trials;
  all.push_back(t);
  // Rung 0: 3.0, 1.0 and ours 2.0 -> 3 values, the best 1 goes on: pruned.
  EXPECT_TRUE(p.prune(HistoryView("s", {StudyDirection::MINIMIZE}, all), t));
}

TEST(HyperbandPruner, BracketsFollowOptunasAllocation) {
  HyperbandPruner p(HyperbandPrunerOptions{.min_resource = 1, .max_resource = 81, .reduction_factor = 3});
  EXPECT_EQ(p.n_brackets(81), 5);
  EXPECT_EQ(p.n_brackets(243), 5);  // log(243) / log(3) = 4.999... in double precision, as in Optuna
  EXPECT_EQ(p.n_brackets(27), 4);
  EXPECT_EQ(p.n_brackets(1), 1);
  // Each bracket gets some trials.
  std::vector<int> count(5, 0);
  for (int n = 0; n < 500; ++n) ++count.at(p.bracket_id("study", n, 81));
  for (int c : count) EXPECT_GT(c, 0);
}

TEST(HyperbandPruner, AutoMaxResourceWaitsForACompletedTrial) {
  HyperbandPruner p;
  FrozenTrial t = make_trial(1, TrialState::RUNNING, {{0, kNaN}, {1, kNaN}, {2, kNaN}});
  HistoryView view("s", {StudyDirection::MINIMIZE}, {make_trial(0, TrialState::RUNNING, {{0, 1.0}}), t});
  EXPECT_FALSE(p.prune(view, t));
}

TEST(ThresholdPruner, PrunesOutsideTheBoundsAndOnNaN) {
  ThresholdPruner p(ThresholdPrunerOptions{.lower = 0.1, .upper = 2.0, .n_warmup_steps = 1});
  HistoryView view("s", {StudyDirection::MINIMIZE}, {});
  EXPECT_FALSE(p.prune(view, make_trial(0, TrialState::RUNNING, {{0, 5.0}})));  // warm-up
  EXPECT_TRUE(p.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 5.0}})));
  EXPECT_TRUE(p.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 0.05}})));
  EXPECT_TRUE(p.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, kNaN}})));
  EXPECT_FALSE(p.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 2.0}})));  // bounds inclusive
}

TEST(PatientPruner, WaitsForPatienceThenAsksTheWrappedPruner) {
  PatientPruner alone(nullptr, PatientPrunerOptions{.patience = 2});
  HistoryView view("s", {StudyDirection::MINIMIZE}, {});
  // Best before the last 3 reports is 1.0; the last 3 stay above it: stalled.
  EXPECT_TRUE(alone.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.2}, {2, 1.1}, {3, 1.05}})));
  EXPECT_FALSE(alone.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.2}, {2, 0.9}, {3, 1.3}})));
  EXPECT_FALSE(alone.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.2}, {2, 1.3}})));  // too few
  PatientPruner wrapped(std::make_unique<NopPruner>(), PatientPrunerOptions{.patience = 2});
  EXPECT_FALSE(wrapped.prune(view, make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.2}, {2, 1.1}, {3, 1.05}})));
  // min_delta tolerates a best that got worse by less than it (Optuna: best_before + min_delta < best_after).
  const FrozenTrial slightly_worse = make_trial(0, TrialState::RUNNING, {{0, 1.0}, {1, 1.2}, {2, 1.05}});
  EXPECT_TRUE(PatientPruner(nullptr, PatientPrunerOptions{.patience = 1}).prune(view, slightly_worse));
  EXPECT_FALSE(PatientPruner(nullptr, PatientPrunerOptions{.patience = 1, .min_delta = 0.1}).prune(view, slightly_worse));
}

TEST(ThresholdAndPatientPruners, RefuseBadOptionsNamingThem) {
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "threshold"}}); }),
              HasSubstr("pruner 'threshold': option 'lower' or 'upper' is required"));
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "threshold"}, {"lower", 2.0}, {"upper", 1.0}}); }),
              HasSubstr("option 'lower' (2.0) must not exceed 'upper' (1.0)"));
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "patient"}}); }),
              HasSubstr("pruner 'patient': option 'patience' is required"));
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "patient"}, {"patience", -1}}); }),
              HasSubstr("option 'patience' cannot be negative"));
  EXPECT_THAT(error_of([] { make_pruner(json{{"name", "patient"}, {"patience", 1}, {"wrapped_pruner", "medain"}}); }),
              HasSubstr("unknown pruner 'medain'; did you mean 'median'?"));
  EXPECT_EQ(make_pruner(json{{"name", "patient"}, {"patience", 1}, {"wrapped_pruner", {{"name", "median"}}}})->name(),
            "patient");
}

TEST(Crc32, MatchesZlib) {
  EXPECT_EQ(crc32(""), 0u);
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

}  // namespace
}  // namespace autoglm
