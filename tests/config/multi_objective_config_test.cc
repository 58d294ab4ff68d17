// Multi-metric parts of a study config: several directions with named metrics, `constraints`,
// `scoring` (AHP or plain weights), built-in multi-objective functions, and the refusal of
// pruners in multi-objective studies. Also the scoring arithmetic (include/autoglm/scoring.h).
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/config.h"
#include "autoglm/error.h"
#include "autoglm/scoring.h"
#include "config/config_test_util.h"

namespace autoglm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using test::error_of;
using test::parse;

const std::string kSpace = "space:\n  lr: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}\n";

std::string cmd_config(const std::string& extra, const std::string& objective = "{command: /bin/true}") {
  return kSpace + "objective: " + objective + "\n" + extra;
}

TEST(MultiObjectiveConfig, OneNamedMetricPerDirectionAndNoPruner) {
  StudyConfig c = parse(cmd_config("directions: [maximize, minimize]\n",
                                   "{command: /bin/true, metric: [f1, latency_ms]}"));
  EXPECT_EQ(c.directions, (std::vector<StudyDirection>{StudyDirection::MAXIMIZE, StudyDirection::MINIMIZE}));
  EXPECT_EQ(c.objective.metrics, (std::vector<std::string>{"f1", "latency_ms"}));
  EXPECT_EQ(c.pruner.at("name"), "nop");  // the default median pruner makes no sense here
  CommandSpec spec = make_command_spec(c.objective, c.space, {{"lr", 0.01}}, "");
  EXPECT_EQ(spec.metrics, c.objective.metrics);
  EXPECT_FALSE(spec.intermediate_metric.has_value());  // no intermediate values with several objectives

  // `metrics:` is an alias; one metric keeps its intermediate values.
  StudyConfig one = parse(cmd_config("", "{command: /bin/true, metrics: val_loss}"));
  EXPECT_EQ(make_command_spec(one.objective, one.space, {{"lr", 0.01}}, "").intermediate_metric, "val_loss");
}

TEST(MultiObjectiveConfig, MetricCountMustMatchDirections) {
  EXPECT_THAT(error_of(cmd_config("directions: [maximize, minimize]\n", "{command: /bin/true, metric: f1}")),
              AllOf(StartsWith("cfg.yaml:"), HasSubstr("objective.metric: names 1 metric(s) but the study has 2")));
  EXPECT_THAT(error_of(cmd_config("", "{command: /bin/true, metric: [a, a]}")), HasSubstr("listed twice"));
  EXPECT_THAT(error_of(cmd_config("", "{command: /bin/true, metric: []}")), HasSubstr("is empty"));
}

TEST(MultiObjectiveConfig, ExplicitPrunerIsRefusedLikeOptuna) {
  EXPECT_THAT(error_of(cmd_config("directions: [maximize, minimize]\npruner: median\n")),
              AllOf(HasSubstr("pruner: pruner 'median' cannot be used with a multi-objective study (2 directions)"),
                    HasSubstr("pruner: none")));
  EXPECT_EQ(parse(cmd_config("directions: [maximize, minimize]\npruner: none\n")).pruner.at("name"), "nop");
  StudyConfig c = parse(cmd_config("directions: [maximize, minimize]\n"));
  c.pruner = {{"name", "hyperband"}};
  EXPECT_THROW(validate_study_config(c), ConfigError);
  // Single-objective samplers are refused too.
  EXPECT_THAT(error_of(cmd_config("directions: [maximize, minimize]\nsampler: cmaes\n")),
              HasSubstr("sampler: 'cmaes' optimizes a single objective; for 2 directions use nsga2, tpe"));
  EXPECT_NO_THROW(parse(cmd_config("directions: [maximize, minimize]\nsampler: nsga2\n")));
}

TEST(MultiObjectiveConfig, Constraints) {
  StudyConfig c = parse(cmd_config("constraints:\n  - {metric: latency_ms, max: 5}\n  - {metric: recall, min: 0.9, max: 1}\n"));
  ASSERT_EQ(c.constraints.size(), 2u);
  EXPECT_EQ(c.constraints[0].metric, "latency_ms");
  EXPECT_EQ(c.constraints[0].max, 5.0);
  EXPECT_EQ(c.constraints[1].line, 6);
  // value - max, min - value: <= 0 when feasible.
  EXPECT_EQ(constraint_values_of(c.constraints, {{"latency_ms", 7.0}, {"recall", 0.95}}),
            (std::vector<double>{2.0, 0.95 - 1.0, 0.9 - 0.95}));
  EXPECT_THAT([&] { (void)constraint_values_of(c.constraints, {{"latency_ms", 1.0}}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("constraint metric 'recall' was never reported")));

  EXPECT_THAT(error_of(cmd_config("constraints: {metric: a, max: 1}\n")), HasSubstr("expected a non-empty list"));
  EXPECT_THAT(error_of(cmd_config("constraints:\n  - {metric: a}\n")), HasSubstr("give `min` and/or `max`"));
  EXPECT_THAT(error_of(cmd_config("constraints:\n  - {metric: a, min: 2e-7, max: 1e-7}\n")),
              HasSubstr("min 2e-07 is above max 1e-07; swap them"));
  EXPECT_THAT(error_of(cmd_config("constraints: []\n")), HasSubstr("got an empty list"));
  EXPECT_THAT(error_of(cmd_config("constraints:\n  - {metrc: a, max: 1}\n")), HasSubstr("did you mean 'metric'"));
  EXPECT_THAT(error_of("space:\n  x0: {type: float, low: 0.0, high: 1.0}\nobjective: {function: sphere}\n"
                       "constraints:\n  - {metric: a, max: 1}\n"),
              HasSubstr("need metrics reported by a command"));
}

const std::string kAhp =
    "scoring:\n"
    "  metrics:\n"
    "    - {name: accuracy, direction: maximize, bounds: [0, 1]}\n"
    "    - {name: f1, direction: maximize}\n"
    "    - {name: latency_ms, direction: minimize}\n"
    "  ahp:\n"
    "    - [1, \"1/2\", 3]\n"
    "    - [2, 1, 4]\n"
    "    - [\"1/3\", 0.25, 1]\n";

TEST(ScoringConfig, AhpWeightsAndMaximizedScore) {
  StudyConfig c = parse(cmd_config(kAhp));
  ASSERT_TRUE(c.scoring.has_value());
  EXPECT_EQ(c.directions, std::vector<StudyDirection>{StudyDirection::MAXIMIZE});
  ASSERT_TRUE(c.scoring->ahp.has_value());
  EXPECT_LT(c.scoring->ahp->consistency_ratio, 0.1);
  const auto& w = c.scoring->weights;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NEAR(w[0] + w[1] + w[2], 1.0, 1e-12);
  EXPECT_GT(w[1], w[0]);  // f1 judged more important than accuracy, accuracy than latency
  EXPECT_GT(w[0], w[2]);
  EXPECT_EQ(c.scoring->metrics[0].low, 0.0);
  EXPECT_FALSE(c.scoring->metrics[1].low.has_value());
  // Round trip through the JSON stored with the study.
  ScoringConfig back = ScoringConfig::from_json(c.scoring->to_json());
  EXPECT_EQ(back.weights, w);
  EXPECT_EQ(back.metrics[2].direction, StudyDirection::MINIMIZE);
}

TEST(ScoringConfig, Refusals) {
  // Inconsistent judgements: a > b (9), b > c (9), but c > a (9).
  const std::string bad =
      "scoring:\n  metrics:\n    - {name: a, direction: maximize}\n    - {name: b, direction: maximize}\n"
      "    - {name: c, direction: maximize}\n  ahp: [[1, 9, \"1/9\"], [\"1/9\", 1, 9], [9, \"1/9\", 1]]\n";
  EXPECT_THAT(error_of(cmd_config(bad)), AllOf(StartsWith("cfg.yaml:"), HasSubstr("scoring.ahp"), HasSubstr("CR"),
                                               HasSubstr("scoring.max_cr"), Not(HasSubstr("max_consistency_ratio"))));
  // ... accepted when the user raises the bound.
  EXPECT_NO_THROW(parse(cmd_config(bad + "  max_cr: 100\n")));
  // Reciprocity.
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a, direction: maximize}\n"
                                  "    - {name: b, direction: minimize}\n  ahp: [[1, 3], [3, 1]]\n")),
              HasSubstr("scoring.ahp"));
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a, direction: maximize}\n"
                                  "    - {name: b, direction: minimize}\n  ahp: [[1, \"x/3\"], [3, 1]]\n")),
              HasSubstr("fraction like \"1/3\""));
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a}\n  weights: [1]\n")),
              HasSubstr("missing `direction`"));
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a, direction: maximize}\n")),
              HasSubstr("give either `ahp`"));
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a, direction: maximize}\n  weights: [1, 2]\n")),
              AllOf(HasSubstr("expected a list of 1 weights"), HasSubstr("got a list of 2")));
  EXPECT_THAT(error_of(cmd_config("direction: minimize\nscoring:\n  metrics:\n    - {name: a, direction: maximize}\n"
                                  "  weights: [1]\n")),
              HasSubstr("maximizes one weighted score"));
  EXPECT_THAT(error_of(cmd_config("scoring:\n  metrics:\n    - {name: a, direction: maximize}\n  weights: [1]\n",
                                  "{command: /bin/true, metric: a}")),
              HasSubstr("remove objective.metric"));
}

TEST(Scoring, NormalizationWeightsAndReweighting) {
  ScoringConfig s;
  s.metrics = {{"acc", StudyDirection::MAXIMIZE, 0.5, 1.0}, {"lat", StudyDirection::MINIMIZE, {}, {}}};
  s.weights = {0.75, 0.25};
  // lat has no bounds: min-max over the observed rows (2..6).
  const auto ranges = scoring_ranges(s, {{0.9, 2.0}, {0.8, 6.0}, {1.0}});  // the short row is ignored
  EXPECT_EQ(ranges[0], std::make_pair(0.5, 1.0));
  EXPECT_EQ(ranges[1], std::make_pair(2.0, 6.0));
  // acc 0.9 -> 0.8; lat 3 -> 1 - 0.25 = 0.75.
  EXPECT_DOUBLE_EQ(score_of(s, {0.9, 3.0}, ranges), 0.75 * 0.8 + 0.25 * 0.75);
  EXPECT_DOUBLE_EQ(score_of(s, {0.2, 9.0}, ranges), 0.0);  // clipped at both ends
  // A metric that has not varied contributes 0.
  EXPECT_DOUBLE_EQ(score_of(s, {1.0, 4.0}, scoring_ranges(s, {{1.0, 4.0}})), 0.75);
  EXPECT_THROW(score_of(s, {0.9, NAN}, ranges), Error);

  FrozenTrial t;
  t.user_attrs = {{"acc", 0.9}, {"lat", 3}};
  EXPECT_EQ(scoring_metrics_of(s, t), (std::vector<double>{0.9, 3.0}));
  t.user_attrs.erase("lat");
  EXPECT_FALSE(scoring_metrics_of(s, t).has_value());

  EXPECT_EQ(reweighted(s, "lat=3,acc=1").weights, (std::vector<double>{0.25, 0.75}));
  EXPECT_EQ(reweighted(s, "1,1").weights, (std::vector<double>{0.5, 0.5}));
  EXPECT_EQ(reweighted(s, "lat=1").weights, (std::vector<double>{0.0, 1.0}));
  EXPECT_THAT([&] { (void)reweighted(s, "latency=1"); },
              ::testing::ThrowsMessage<ConfigError>(AllOf(HasSubstr("unknown metric 'latency'"), HasSubstr("did you mean 'lat'"))));
  EXPECT_THAT([&] { (void)reweighted(s, "1,2,3"); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("3 weight(s) given for 2")));
  EXPECT_THAT([&] { (void)reweighted(s, "acc=x"); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("not a number")));
  EXPECT_THROW((void)reweighted(s, "0,0"), ConfigError);
  EXPECT_THROW((void)reweighted(s, "-1,2"), ConfigError);
}

TEST(BuiltinMultiObjective, ZdtAndDtlzFunctions) {
  std::string space;
  for (int i = 0; i < 4; ++i) space += "  x" + std::to_string(i) + ": {type: float, low: 0.0, high: 1.0}\n";
  StudyConfig z = parse("space:\n" + space + "objective: {function: zdt1}\nsampler: nsga2\n");
  EXPECT_EQ(z.directions, std::vector<StudyDirection>(2, StudyDirection::MINIMIZE));
  EXPECT_EQ(z.pruner.at("name"), "nop");
  auto p = make_builtin_multi_problem(z);
  EXPECT_EQ(p.dim, 4);
  EXPECT_EQ(p({0.0, 0.0, 0.0, 0.0}), (std::vector<double>{0.0, 1.0}));  // on the true front: f2 = 1 - sqrt(f1)

  StudyConfig d = parse("space:\n" + space + "directions: [minimize, minimize, minimize]\nobjective: {function: dtlz2}\n");
  EXPECT_EQ(make_builtin_multi_problem(d).n_objectives, 3);

  EXPECT_THAT(error_of("space:\n" + space + "directions: [maximize, minimize]\nobjective: {function: zdt2}\n"),
              HasSubstr("every objective of zdt2 is minimized"));
  EXPECT_THAT(error_of("space:\n" + space + "directions: [minimize, minimize, minimize]\nobjective: {function: zdt1}\n"),
              HasSubstr("zdt1 has 2 objectives, the config gives 3 direction(s)"));
  EXPECT_THAT(error_of("space:\n" + space + "objective: {function: zdt1}\nscoring:\n  metrics:\n"
                       "    - {name: a, direction: maximize}\n  weights: [1]\n"),
              HasSubstr("need metrics reported by a command"));
  EXPECT_THAT(error_of("space:\n" + space + "objective: {function: zdt1, shift_seed: 2}\n"), HasSubstr("remove shift_seed"));
  EXPECT_THAT(error_of("space:\n" + space + "direction: minimize\nobjective: {function: sphere}\ndirections: [minimize, minimize]\n"),
              HasSubstr("not both"));
  EXPECT_THROW(make_builtin_multi_problem(parse("space:\n" + space + "objective: {function: sphere}\n")), ConfigError);
}

}  // namespace
}  // namespace autoglm
