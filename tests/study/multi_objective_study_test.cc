// Multi-objective studies: the Pareto front holds feasible COMPLETE trials only, best_trial skips
// infeasible trials, and pruners are refused with several directions (as in Optuna).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Study> study_with(std::vector<StudyDirection> dirs, std::unique_ptr<Pruner> pruner = nullptr) {
  CreateStudyOptions o;
  o.storage = open_storage(":memory:");
  o.study_name = "mo";
  o.directions = std::move(dirs);
  o.sampler = make_sampler({{"name", "random"}, {"seed", 0}});
  o.pruner = std::move(pruner);
  return Study::create(std::move(o));
}

// Adds a COMPLETE trial with `values` and, when given, constraint values.
void add(Study& s, std::vector<double> values, std::optional<std::vector<double>> constraints = std::nullopt) {
  Trial t = s.ask();
  if (constraints) t.set_system_attr(kConstraintsAttr, *constraints);
  s.tell(t.number(), TrialState::COMPLETE, values);
}

std::vector<int> numbers(const std::vector<FrozenTrial>& trials) {
  std::vector<int> out;
  for (const auto& t : trials) out.push_back(t.number);
  return out;
}

TEST(MultiObjectiveStudy, ParetoFrontHoldsFeasibleNonDominatedTrials) {
  auto s = study_with({StudyDirection::MAXIMIZE, StudyDirection::MINIMIZE});  // (f1 up, latency down)
  add(*s, {0.90, 5.0});               // 0: front
  add(*s, {0.95, 8.0});               // 1: front
  add(*s, {0.85, 6.0});               // 2: dominated by 0
  add(*s, {0.99, 1.0}, {{0.5}});      // 3: would dominate all, but infeasible
  add(*s, {0.80, 2.0}, {{-1.0, 0.0}});  // 4: feasible (all <= 0), front
  add(*s, {0.90, 5.0});               // 5: duplicate of 0, kept
  Trial pruned = s->ask();
  s->tell(pruned.number(), TrialState::FAIL);
  EXPECT_EQ(numbers(s->best_trials()), (std::vector<int>{0, 1, 4, 5}));
  EXPECT_THAT([&] { (void)s->best_trial(); }, ::testing::ThrowsMessage<Error>(HasSubstr("use best_trials")));
}

TEST(MultiObjectiveStudy, BestTrialSkipsInfeasibleTrials) {
  auto s = study_with({StudyDirection::MINIMIZE});
  add(*s, {3.0});
  add(*s, {1.0}, {{2.0}});
  add(*s, {2.0}, {{0.0}});
  EXPECT_EQ(s->best_trial().number, 2);
  EXPECT_EQ(numbers(s->best_trials()), std::vector<int>{2});

  auto only_bad = study_with({StudyDirection::MINIMIZE});
  add(*only_bad, {1.0}, {{std::numeric_limits<double>::quiet_NaN()}});  // NaN counts as violated
  EXPECT_THAT([&] { (void)only_bad->best_trial(); },
              ::testing::ThrowsMessage<Error>(HasSubstr("every COMPLETE trial violates a constraint")));
}

TEST(MultiObjectiveStudy, PrunersAreRefusedWithSeveralDirections) {
  const std::vector<StudyDirection> two{StudyDirection::MINIMIZE, StudyDirection::MINIMIZE};
  EXPECT_THAT([&] { (void)study_with(two, make_pruner({{"name", "median"}})); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("pruner 'median' cannot be used with a multi-objective study")));
  auto s = study_with(two);  // default: the nop pruner
  EXPECT_EQ(s->pruner().name(), "nop");
  Trial t = s->ask();
  EXPECT_THROW(t.report(1.0, 1), ConfigError);
  EXPECT_THROW((void)t.should_prune(), ConfigError);
}

TEST(MultiObjectiveStudy, MalformedConstraintsAttrIsNamed) {
  auto s = study_with({StudyDirection::MINIMIZE, StudyDirection::MINIMIZE});
  Trial t = s->ask();
  t.set_system_attr(kConstraintsAttr, "x");
  s->tell(t.number(), TrialState::COMPLETE, {1.0, 2.0});
  EXPECT_THAT([&] { (void)s->best_trials(); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("system attr 'constraints' must be an array of numbers")));
}

}  // namespace
}  // namespace autoglm
