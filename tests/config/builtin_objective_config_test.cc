// Built-in objectives in study configs (docs/config.md "Built-in functions"):
// `objective: {function: NAME, shift_seed: S}` instead of a command; its validation, with
// file:line messages, and the helpers the CLI evaluates it with.
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/config.h"
#include "autoglm/error.h"
#include "config/config_test_util.h"
#include "autoglm/objectives.h"

namespace autoglm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

using test::error_of;
using test::parse;

// Line 1: the space key; the parameters from line 2 on; then the objective.
std::string config(const std::string& space, const std::string& objective, const std::string& extra = "") {
  return "space:\n" + space + "objective: " + objective + "\n" + extra;
}

const std::string kBranin =
    "  x0: {type: float, low: -5.0, high: 10.0}\n"
    "  x1: {type: float, low: 0.0, high: 15.0}\n";

TEST(BuiltinObjectiveConfig, ParsesFunctionAndShiftSeed) {
  StudyConfig c = parse(config(kBranin, "{function: branin}"));
  ASSERT_TRUE(c.objective.function.has_value());
  EXPECT_EQ(c.objective.function->name, "branin");
  EXPECT_EQ(c.objective.function->shift_seed, std::nullopt);
  EXPECT_EQ(c.objective.function->line, 4);
  EXPECT_TRUE(c.objective.command.empty());

  StudyConfig s = parse(config(kBranin, "\n  function: branin\n  shift_seed: 3\n  value_name: branin value"));
  ASSERT_TRUE(s.objective.function.has_value());
  EXPECT_EQ(s.objective.function->shift_seed, 3u);
  EXPECT_EQ(s.objective.value_name, "branin value");
  EXPECT_NO_THROW(validate_study_config(s));
}

TEST(BuiltinObjectiveConfig, ScalableFunctionTakesItsDimensionFromTheSpace) {
  std::string space;
  for (int i = 4; i >= 0; --i)  // any declaration order
    space += "  x" + std::to_string(i) + ": {type: float, low: -5.0, high: 10.0}\n";
  StudyConfig c = parse(config(space, "{function: rosenbrock}"));
  objectives::Problem p = make_builtin_problem(c);
  EXPECT_EQ(p.name, "rosenbrock");
  EXPECT_EQ(p.dim, 5);
  EXPECT_DOUBLE_EQ(p(std::vector<double>(5, 1.0)), 0.0);
}

TEST(BuiltinObjectiveConfig, IntCoordinatesAndAnyRangeAreAccepted) {
  // The functions are defined on R^d: a range outside the benchmark domain is the user's choice.
  StudyConfig c = parse(config("  x0: {type: int, low: -100, high: 100}\n"
                               "  x1: {type: float, low: -50.0, high: 50.0, log: false}\n",
                               "{function: sphere}"));
  objectives::Problem p = make_builtin_problem(c);
  std::map<std::string, ParamValue> params{{"x0", int64_t{3}}, {"x1", 4.0}};
  auto x = builtin_point(params, p.dim);
  EXPECT_EQ(x, (std::vector<double>{3.0, 4.0}));
  EXPECT_DOUBLE_EQ(p(x), 25.0);
}

TEST(BuiltinObjectiveConfig, ShiftSeedGivesTheShiftedProblem) {
  StudyConfig c = parse(config(kBranin, "{function: branin, shift_seed: 7}"));
  objectives::Problem p = make_builtin_problem(c);
  objectives::Problem expected = objectives::shifted(objectives::make_problem("branin", 2), 7);
  EXPECT_EQ(p.optimum_x, expected.optimum_x);
  EXPECT_EQ(p({1.0, 2.0}), expected({1.0, 2.0}));
  EXPECT_NE(p({1.0, 2.0}), objectives::make_problem("branin", 2)({1.0, 2.0}));
}

TEST(BuiltinObjectiveConfig, BaselineWorksWithAFunction) {
  StudyConfig c = parse(config(kBranin, "{function: branin}", "baseline: {x0: 0.0, x1: 5.0}\n"));
  EXPECT_EQ(c.baseline.size(), 2u);
}

TEST(BuiltinObjectiveConfig, UnknownFunctionSuggestsTheClosestName) {
  EXPECT_THAT(error_of(config(kBranin, "{function: brannin}")),
              AllOf(StartsWith("cfg.yaml:4: objective.function: "), HasSubstr("unknown built-in function 'brannin'"),
                    HasSubstr("did you mean 'branin'")));
  const std::string h6 = "  x0: {type: float, low: 0.0, high: 1.0}\n";
  EXPECT_THAT(error_of(config(h6, "\n  function: hartman6")),
              AllOf(StartsWith("cfg.yaml:4: objective.function: "), HasSubstr("did you mean 'hartmann6'")));
  EXPECT_THAT(error_of(config(kBranin, "{function: 3}")), HasSubstr("objective.function"));
}

TEST(BuiltinObjectiveConfig, ParametersMustBeNamedXi) {
  EXPECT_THAT(error_of(config("  x0: {type: float, low: -5.0, high: 10.0}\n"
                              "  y: {type: float, low: 0.0, high: 15.0}\n",
                              "{function: branin}")),
              AllOf(StartsWith("cfg.yaml:3: space.y: "), HasSubstr("x0, x1"), HasSubstr("rename 'y'")));
  EXPECT_THAT(error_of(config("  x00: {type: float, low: -5.0, high: 10.0}\n"
                              "  x1: {type: float, low: 0.0, high: 15.0}\n",
                              "{function: branin}")),
              StartsWith("cfg.yaml:2: space.x00: "));
  EXPECT_THAT(error_of(config("  X0: {type: float, low: -5.0, high: 10.0}\n", "{function: sphere}")),
              StartsWith("cfg.yaml:2: space.X0: "));
}

TEST(BuiltinObjectiveConfig, MissingCoordinateIsNamed) {
  EXPECT_THAT(error_of(config("  x0: {type: float, low: -5.0, high: 10.0}\n"
                              "  x2: {type: float, low: 0.0, high: 15.0}\n",
                              "{function: branin}")),
              AllOf(StartsWith("cfg.yaml:3: space.x2: "), HasSubstr("missing x1"), HasSubstr("x0, x1")));
  EXPECT_THAT(error_of(config("  x1: {type: float, low: -1.0, high: 1.0}\n"
                              "  x2: {type: float, low: -1.0, high: 1.0}\n"
                              "  x3: {type: float, low: -1.0, high: 1.0}\n",
                              "{function: ackley}")),
              AllOf(HasSubstr("missing x0"), HasSubstr("x0 ... x2")));
}

TEST(BuiltinObjectiveConfig, WrongFixedDimension) {
  EXPECT_THAT(error_of(config("  x0: {type: float, low: 0.0, high: 1.0}\n"
                              "  x1: {type: float, low: 0.0, high: 1.0}\n"
                              "  x2: {type: float, low: 0.0, high: 1.0}\n"
                              "  x3: {type: float, low: 0.0, high: 1.0}\n"
                              "  x4: {type: float, low: 0.0, high: 1.0}\n",
                              "{function: hartmann6}")),
              AllOf(StartsWith("cfg.yaml:7: objective.function: "), HasSubstr("hartmann6 has 6 parameters"),
                    HasSubstr("x0 ... x5"), HasSubstr("the space has 5")));
  EXPECT_THAT(error_of(config("  x0: {type: float, low: -5.0, high: 10.0}\n", "{function: rosenbrock}")),
              AllOf(StartsWith("cfg.yaml:3: objective.function: "), HasSubstr("rosenbrock needs at least 2 parameters")));
}

TEST(BuiltinObjectiveConfig, CategoricalOrConditionalCoordinatesAreRefused) {
  EXPECT_THAT(error_of(config("  x0: {type: float, low: -5.0, high: 10.0}\n"
                              "  x1: [1.0, 2.0]\n",
                              "{function: branin}")),
              AllOf(StartsWith("cfg.yaml:3: space.x1: "), HasSubstr("categorical")));
  EXPECT_THAT(error_of(config("  x0: {type: int, values: [1, 5, 6]}\n"
                              "  x1: {type: float, low: 0.0, high: 15.0}\n",
                              "{function: branin}")),
              AllOf(StartsWith("cfg.yaml:2: space.x0: "), HasSubstr("categorical")));
  EXPECT_THAT(error_of(config("  x0: {type: int, low: 0, high: 1}\n"
                              "  x1: {type: float, low: 0.0, high: 15.0, when: {x0: 1}}\n",
                              "{function: branin}")),
              AllOf(StartsWith("cfg.yaml:3: space.x1: "), HasSubstr("remove `when`")));
}

TEST(BuiltinObjectiveConfig, CommandAndFunctionTogetherAreRefused) {
  EXPECT_THAT(error_of(config(kBranin, "\n  command: /bin/true\n  function: branin")),
              AllOf(StartsWith("cfg.yaml:5: objective: "), HasSubstr("either `command`"), HasSubstr("not both")));
}

TEST(BuiltinObjectiveConfig, CommandOnlyKeysAndMisplacedShiftSeedAreRefused) {
  EXPECT_THAT(error_of(config(kBranin, "\n  function: branin\n  timeout: 10")),
              AllOf(StartsWith("cfg.yaml:6: objective.timeout: "), HasSubstr("in-process")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin, env: {A: b}}")), StartsWith("cfg.yaml:4: objective.env: "));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin, metric: loss}")), HasSubstr("objective.metric"));
  EXPECT_THAT(error_of(config(kBranin, "{command: /bin/true, shift_seed: 1}")),
              AllOf(StartsWith("cfg.yaml:4: objective.shift_seed: "), HasSubstr("function")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin, shift_seed: -1}")),
              AllOf(HasSubstr("objective.shift_seed"), HasSubstr(">= 0")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin, shift_seed: 1.5}")), HasSubstr("objective.shift_seed"));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin, shift_sed: 1}")), HasSubstr("did you mean 'shift_seed'"));
}

TEST(BuiltinObjectiveConfig, MultiObjectiveAndGpusAreRefused) {
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}", "directions: [minimize, minimize]\n")),
              AllOf(StartsWith("cfg.yaml:4: objective.function: "), HasSubstr("one objective")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}", "gpus: [0]\n")),
              AllOf(StartsWith("cfg.yaml:4: "), HasSubstr("remove `gpus`")));
}

TEST(BuiltinObjectiveConfig, MissingCommandMentionsFunction) {
  EXPECT_THAT(error_of(config(kBranin, "{timeout: 10}")), AllOf(HasSubstr("missing `command`"), HasSubstr("function")));
}

TEST(BuiltinObjectiveConfig, ValidateRechecksAfterChanges) {
  StudyConfig c = parse(config(kBranin, "{function: branin}"));
  StudyConfig both = c;
  both.objective.command = {"/bin/true"};
  EXPECT_THROW(validate_study_config(both), ConfigError);
  StudyConfig smaller = c;
  smaller.space.pop_back();
  try {
    validate_study_config(smaller);
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(StartsWith("cfg.yaml:4: objective.function: "), HasSubstr("branin has 2")));
  }
  StudyConfig command = c;
  command.objective.function.reset();
  EXPECT_THROW(make_builtin_problem(command), ConfigError);
}

TEST(BuiltinObjectiveConfig, BuiltinPointRefusesMissingOrNonNumericValues) {
  EXPECT_THROW(builtin_point({{"x0", 1.0}}, 2), ConfigError);
  EXPECT_THROW(builtin_point({{"x0", std::string("a")}}, 1), ConfigError);
}

TEST(BuiltinObjectiveConfig, ShippedExampleLoads) {
  const std::string path = std::string(AUTOGLM_SOURCE_DIR) + "/examples/hartmann6.yaml";
  StudyConfig c = load_study_config(path);
  ASSERT_TRUE(c.objective.function.has_value());
  EXPECT_EQ(c.objective.function->name, "hartmann6");
  EXPECT_EQ(c.space.size(), 6u);
  EXPECT_EQ(c.n_trials, 100);
  EXPECT_EQ(make_builtin_problem(c).dim, 6);
}

// A grid sampler's search_space is checked against the space when the config loads, before
// anything is stored (the sampler alone would only find out at the first trial).
TEST(BuiltinObjectiveConfig, GridSearchSpaceMustMatchTheSpace) {
  const std::string ok = config(kBranin, "{function: branin}",
                                "sampler: {name: grid, search_space: {x0: [0, 1], x1: [2, 3]}}\n");
  EXPECT_NO_THROW(parse(ok));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}",
                              "sampler: {name: grid, search_space: {x0: [0, 100], x1: [2, 3]}}\n")),
              AllOf(HasSubstr("sampler 'grid'"), HasSubstr("x0"), HasSubstr("100")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}", "sampler: {name: grid, search_space: {x0: [0, 1]}}\n")),
              AllOf(HasSubstr("'x1'"), HasSubstr("no values in search_space")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}",
                              "sampler: {name: grid, search_space: {x0: [0], x1: [2], x9: [1]}}\n")),
              AllOf(HasSubstr("'x9'"), HasSubstr("not a parameter")));
  EXPECT_THAT(error_of(config(kBranin, "{function: branin}",
                              "sampler: {name: grid, search_space: {x0: [a, b], x1: [2]}}\n")),
              HasSubstr("sampler 'grid'"));
}

}  // namespace
}  // namespace autoglm
