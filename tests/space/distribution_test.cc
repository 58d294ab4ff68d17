#include "autoglm/distribution.h"

#include <limits>
#include <cmath>

#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/frozen_trial.h"

namespace autoglm {
namespace {

// Asserts that validate_distribution refuses `d` with a message containing every fragment.
void expect_refused(const Distribution& d, const std::vector<std::string>& fragments) {
  try {
    validate_distribution(d, "lr");
    FAIL() << "accepted " << to_string(d);
  } catch (const ConfigError& e) {
    for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
  }
}

TEST(DistributionValidation, RefusesEveryInvalidSpaceWithNameAndFix) {
  expect_refused(FloatDistribution{1.0, 0.5}, {"parameter 'lr'", "low (1) is greater than high (0.5)", "swap"});
  expect_refused(IntDistribution{5, 1}, {"parameter 'lr'", "swap"});
  expect_refused(FloatDistribution{0.0, 1.0, true}, {"log scale needs low > 0", "low = 0"});
  expect_refused(FloatDistribution{-1.0, 1.0, true}, {"log scale"});
  expect_refused(IntDistribution{0, 10, true}, {"log scale needs low >= 1"});
  expect_refused(FloatDistribution{0.0, 1.0, false, 0.3}, {"step 0.3 does not divide the range [0, 1]"});
  expect_refused(IntDistribution{0, 10, false, 3}, {"step 3 does not divide the range [0, 10]"});
  expect_refused(FloatDistribution{0.0, 1.0, false, 0.0}, {"step must be a finite number > 0"});
  expect_refused(FloatDistribution{0.0, 1.0, false, std::numeric_limits<double>::infinity()}, {"step must be a finite number > 0, got inf"});
  expect_refused(IntDistribution{0, 10, false, 0}, {"step must be >= 1"});
  expect_refused(FloatDistribution{0.1, 1.0, true, 0.1}, {"step and log cannot be combined"});
  expect_refused(CategoricalDistribution{}, {"choices are empty"});
  expect_refused(CategoricalDistribution{{std::string("a"), std::string("a")}}, {"listed twice"});
  expect_refused(FloatDistribution{0.0, INFINITY}, {"finite"});
}

TEST(DistributionValidation, AcceptsValidSpaces) {
  EXPECT_NO_THROW(validate_distribution(FloatDistribution{1e-5, 1e-1, true}, "lr"));
  EXPECT_NO_THROW(validate_distribution(FloatDistribution{0.0, 1.0, false, 0.1}, "x"));  // 10 steps, fp noise
  EXPECT_NO_THROW(validate_distribution(FloatDistribution{0.0, 0.5, false, 0.05}, "dropout"));
  EXPECT_NO_THROW(validate_distribution(IntDistribution{16, 128, false, 16}, "batch"));
  EXPECT_NO_THROW(validate_distribution(IntDistribution{1, 1024, true}, "width"));
  EXPECT_NO_THROW(validate_distribution(FloatDistribution{2.0, 2.0}, "fixed"));
  EXPECT_NO_THROW(validate_distribution(
      CategoricalDistribution{{std::monostate{}, true, int64_t{3}, 2.5, std::string("adamw")}}, "mixed"));
}

TEST(Distribution, InternalExternalRoundTrip) {
  FloatDistribution f{0.0, 1.0, false, 0.25};
  EXPECT_DOUBLE_EQ(std::get<double>(to_external(f, 0.5000000001)), 0.5);
  FloatDistribution d{0.1, 0.5, false, 0.05};
  EXPECT_EQ(std::get<double>(to_external(d, 0.15)), 0.15);  // exact, no 0.15000000000000002
  EXPECT_EQ(to_string(to_external(d, 0.1 + 0.05)), "0.15");
  EXPECT_TRUE(contains(f, 0.75));
  EXPECT_FALSE(contains(f, 0.8));
  IntDistribution i{16, 128, false, 16};
  EXPECT_EQ(std::get<int64_t>(to_external(i, 48.0)), 48);
  EXPECT_DOUBLE_EQ(to_internal(i, int64_t{64}), 64.0);
  EXPECT_FALSE(contains(i, 50.0));
  EXPECT_THROW(to_internal(i, int64_t{50}, "batch"), ConfigError);
  CategoricalDistribution c{{std::string("adamw"), std::string("adam"), std::string("sgd")}};
  EXPECT_DOUBLE_EQ(to_internal(c, std::string("sgd")), 2.0);
  EXPECT_EQ(std::get<std::string>(to_external(c, 1.0)), "adam");
  EXPECT_THROW(to_internal(c, std::string("rmsprop"), "optimizer"), ConfigError);
  CategoricalDistribution n{{int64_t{1}, 2.5}};
  EXPECT_DOUBLE_EQ(to_internal(n, 1.0), 0.0);  // 1.0 matches the int choice 1
}

TEST(Distribution, SingleAndCompatible) {
  EXPECT_TRUE(is_single(FloatDistribution{1.0, 1.0}));
  EXPECT_FALSE(is_single(IntDistribution{3, 5, false, 2}));
  EXPECT_TRUE(is_single(CategoricalDistribution{{true}}));
  EXPECT_FALSE(is_single(FloatDistribution{1.0, 2.0}));
  EXPECT_TRUE(compatible(FloatDistribution{0, 1}, FloatDistribution{0, 2}));
  EXPECT_FALSE(compatible(FloatDistribution{0, 1}, IntDistribution{0, 1}));
  EXPECT_FALSE(compatible(CategoricalDistribution{{true}}, CategoricalDistribution{{false}}));
}

TEST(Distribution, JsonRoundTripMatchesOptunaFormat) {
  std::vector<Distribution> ds = {FloatDistribution{1e-4, 1e-1, true}, FloatDistribution{0, 1, false, 0.5},
                                  IntDistribution{1, 8, false, 1}, IntDistribution{2, 64, true},
                                  CategoricalDistribution{{std::monostate{}, false, int64_t{7}, 0.5, std::string("x")}}};
  for (const auto& d : ds) EXPECT_EQ(distribution_from_json(to_json(d)), d) << to_json(d).dump();
  EXPECT_EQ(to_json(FloatDistribution{1e-4, 1e-1, true}).dump(),
            R"({"attributes":{"high":0.1,"log":true,"low":0.0001,"step":null},"name":"FloatDistribution"})");
  EXPECT_THROW(distribution_from_json(nlohmann::json::parse(R"({"name":"Foo","attributes":{}})")), ConfigError);
}

TEST(FrozenTrialTest, StatesTimesAndParams) {
  EXPECT_EQ(trial_state_from_string("pruned"), TrialState::PRUNED);
  EXPECT_THROW(trial_state_from_string("DONE"), ConfigError);
  EXPECT_EQ(study_direction_from_string("maximize"), StudyDirection::MAXIMIZE);
  auto t = parse_time("2026-11-29T23:47:06.123456Z");
  EXPECT_EQ(format_time(t), "2026-11-29T23:47:06.123456Z");
  FrozenTrial ft;
  ft.params["opt"] = 1.0;
  ft.distributions["opt"] = CategoricalDistribution{{std::string("a"), std::string("b")}};
  EXPECT_EQ(std::get<std::string>(ft.param("opt")), "b");
  EXPECT_THROW(ft.param("missing"), NotFoundError);
  ft.intermediate_values = {{3, 0.5}, {10, 0.25}};
  EXPECT_EQ(*ft.last_step(), 10);
}

}  // namespace
}  // namespace autoglm
