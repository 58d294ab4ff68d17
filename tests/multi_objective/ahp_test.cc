// Tests of the AHP weights (include/autoglm/ahp.h) against numpy.linalg.eig reference values
// written by scripts/gen_ahp_expected.py into tests/data/ahp_expected.json.
#include "autoglm/ahp.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "autoglm/error.h"

namespace autoglm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
using Matrix = std::vector<std::vector<double>>;

json load_expected() {
  std::ifstream in(std::string(AUTOGLM_SOURCE_DIR) + "/tests/data/ahp_expected.json");
  EXPECT_TRUE(in.good()) << "run /usr/bin/python3 scripts/gen_ahp_expected.py";
  return json::parse(in);
}

std::vector<std::string> names_of(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) out.push_back("c" + std::to_string(i));
  return out;
}

// Runs `f`, expects a ConfigError, returns its message (one line).
template <class F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    return msg;
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return "";
}

TEST(AhpTest, MatchesNumpyReference) {
  const json expected = load_expected();
  ASSERT_GE(expected["cases"].size(), 6u);
  int accepted = 0;
  for (const auto& c : expected["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto m = c["matrix"].get<Matrix>();
    const auto names = names_of(m.size());
    const double max_cr = c["max_consistency_ratio"].get<double>();
    if (!c["accepted"].get<bool>()) {
      EXPECT_THROW(ahp_weights(m, names, max_cr), ConfigError);
      // With the bound lifted the numbers are still computed and match numpy.
    }
    const AhpResult r = ahp_weights(m, names, 1e9);
    accepted += c["accepted"].get<bool>() ? 1 : 0;
    const auto w = c["weights"].get<std::vector<double>>();
    ASSERT_EQ(r.weights.size(), w.size());
    double sum = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      EXPECT_NEAR(r.weights[i], w[i], 1e-10) << "weight " << i;
      EXPECT_GT(r.weights[i], 0.0);
      sum += r.weights[i];
    }
    EXPECT_NEAR(sum, 1.0, 1e-12);
    EXPECT_NEAR(r.lambda_max, c["lambda_max"].get<double>(), 1e-9);
    EXPECT_NEAR(r.consistency_index, c["consistency_index"].get<double>(), 1e-9);
    EXPECT_NEAR(r.consistency_ratio, c["consistency_ratio"].get<double>(), 1e-9);
    EXPECT_NEAR(r.worst_ratio, c["worst_ratio"].get<double>(), 1e-9);
    // Ties (consistent matrices, every 3x3 matrix) can break either way in floating point.
    if (c["worst_unique"].get<bool>()) {
      EXPECT_EQ(r.worst_i, c["worst_i"].get<int>());
      EXPECT_EQ(r.worst_j, c["worst_j"].get<int>());
    }
  }
  EXPECT_GE(accepted, 5);
}

// The 3x3 example of most AHP introductions; commonly quoted weights 0.637, 0.258, 0.105,
// lambda_max 3.039, CR 0.033 (numpy agrees: tests/data/ahp_expected.json "textbook_3x3").
TEST(AhpTest, TextbookExample) {
  const Matrix m = {{1, 3, 5}, {1.0 / 3, 1, 3}, {1.0 / 5, 1.0 / 3, 1}};
  const AhpResult r = ahp_weights(m, {"accuracy", "latency", "memory"});
  EXPECT_NEAR(r.weights[0], 0.637, 5e-4);
  EXPECT_NEAR(r.weights[1], 0.258, 5e-4);
  EXPECT_NEAR(r.weights[2], 0.105, 5e-4);
  EXPECT_NEAR(r.lambda_max, 3.039, 5e-4);
  EXPECT_NEAR(r.consistency_ratio, 0.033, 5e-4);
}

TEST(AhpTest, ConsistentMatrixGivesGeneratingVector) {
  const std::vector<double> g = {4, 2, 1, 0.5, 3};
  Matrix m(g.size(), std::vector<double>(g.size()));
  for (std::size_t i = 0; i < g.size(); ++i) {
    for (std::size_t j = 0; j < g.size(); ++j) m[i][j] = g[i] / g[j];
  }
  const AhpResult r = ahp_weights(m, names_of(g.size()), 0.0);
  double total = 0;
  for (double x : g) total += x;
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(r.weights[i], g[i] / total, 1e-12);
  EXPECT_NEAR(r.lambda_max, 5.0, 1e-10);
  EXPECT_NEAR(r.consistency_ratio, 0.0, 1e-10);
  EXPECT_NEAR(r.worst_ratio, 1.0, 1e-10);
}

TEST(AhpTest, OneAndTwoCriteria) {
  const AhpResult one = ahp_weights({{1.0}}, {"loss"});
  EXPECT_EQ(one.weights, std::vector<double>{1.0});
  EXPECT_EQ(one.consistency_ratio, 0.0);
  EXPECT_EQ(one.worst_i, -1);
  const AhpResult two = ahp_weights({{1, 4}, {0.25, 1}}, {"a", "b"});
  EXPECT_NEAR(two.weights[0], 0.8, 1e-12);
  EXPECT_NEAR(two.weights[1], 0.2, 1e-12);
  EXPECT_EQ(two.consistency_ratio, 0.0);
}

TEST(AhpTest, RandomIndexTable) {
  EXPECT_EQ(ahp_random_index(1), 0.0);
  EXPECT_EQ(ahp_random_index(2), 0.0);
  EXPECT_EQ(ahp_random_index(3), 0.58);
  EXPECT_EQ(ahp_random_index(4), 0.90);
  EXPECT_EQ(ahp_random_index(7), 1.32);
  EXPECT_EQ(ahp_random_index(10), 1.49);
  EXPECT_EQ(ahp_random_index(15), 1.49);
}

TEST(AhpTest, AcceptsThreeSignificantDigitReciprocals) {
  const Matrix m = {{1, 3, 9}, {0.333, 1, 3}, {0.111, 0.333, 1}};
  const AhpResult r = ahp_weights(m, {"a", "b", "c"});
  EXPECT_NEAR(r.weights[0], 9.0 / 13, 2e-3);
  EXPECT_LT(r.consistency_ratio, 0.01);
}

TEST(AhpTest, RefusesCyclicJudgements) {
  // a > b (9), b > c (9), c > a (9).
  const Matrix m = {{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}};
  const std::string msg = config_error([&] { ahp_weights(m, {"a", "b", "c"}); });
  EXPECT_THAT(msg, AllOf(HasSubstr("CR = 6.130"), HasSubstr("max_consistency_ratio = 0.1"),
                         HasSubstr("revise the judgement of '"),
                         HasSubstr("or raise max_consistency_ratio")));
}

TEST(AhpTest, InconsistentMessageNamesWorstPair) {
  // A consistent 8-4-2-1 chain except recall vs latency, judged 1/9 instead of 8.
  const Matrix m = {
      {1, 2, 4, 1.0 / 9}, {0.5, 1, 2, 4}, {0.25, 0.5, 1, 2}, {9, 0.25, 0.5, 1}};
  const std::string msg =
      config_error([&] { ahp_weights(m, {"recall", "precision", "memory", "latency"}); });
  EXPECT_THAT(msg, HasSubstr("CR = 1.082 > max_consistency_ratio = 0.1"));
  EXPECT_THAT(msg, HasSubstr("revise the judgement of 'recall' vs 'latency' (given 0.111, the "
                             "other judgements imply 0.609) or raise max_consistency_ratio"));
  // Accepted once the bound is raised.
  EXPECT_NO_THROW(ahp_weights(m, {"recall", "precision", "memory", "latency"}, 2.0));
}

TEST(AhpTest, RefusesMalformedMatrices) {
  const std::vector<std::string> n3 = {"recall", "latency", "memory"};
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 2}, {0.5, 1}}, n3); }),
              AllOf(HasSubstr("2 rows"), HasSubstr("3 criteria")));
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 2, 3}, {0.5, 1}, {1.0 / 3, 1, 1}}, n3); }),
              AllOf(HasSubstr("row 1 ('latency') has 2 entries"), HasSubstr("square")));
  EXPECT_THAT(config_error([&] { ahp_weights({}, {}); }), HasSubstr("at least one criterion"));
  EXPECT_THAT(config_error([&] { ahp_weights({{1, -2, 1}, {-0.5, 1, 1}, {1, 1, 1}}, n3); }),
              AllOf(HasSubstr("pairwise[0][1] ('recall' vs 'latency') = -2"),
                    HasSubstr("positive")));
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THAT(config_error([&] { ahp_weights({{1, inf, 1}, {0, 1, 1}, {1, 1, 1}}, n3); }),
              HasSubstr("not a positive finite number"));
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 1, 1}, {1, 2, 1}, {1, 1, 1}}, n3); }),
              AllOf(HasSubstr("diagonal entry pairwise[1][1] ('latency' vs 'latency') = 2"),
                    HasSubstr("must be 1")));
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 12, 1}, {1.0 / 12, 1, 1}, {1, 1, 1}}, n3); }),
              AllOf(HasSubstr("pairwise[0][1] ('recall' vs 'latency') = 12"),
                    HasSubstr("[1/9, 9]")));
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 3, 1}, {3, 1, 1}, {1, 1, 1}}, n3); }),
              AllOf(HasSubstr("not reciprocal"), HasSubstr("pairwise[0][1] ('recall' vs "
                                                           "'latency') = 3 but pairwise[1][0]"),
                    HasSubstr("set pairwise[1][0] = 1/3 = 0.333")));
  // 0.5 for 1/3 is a typo, not rounding.
  EXPECT_THAT(config_error([&] { ahp_weights({{1, 3, 1}, {0.5, 1, 1}, {1, 1, 1}}, n3); }),
              HasSubstr("not reciprocal"));
  EXPECT_THAT(config_error([&] { ahp_weights({{1.0}}, {"a"}, -1.0); }),
              HasSubstr("max_consistency_ratio"));
}

TEST(AhpTest, NormalizesPlainWeights) {
  const auto w = normalize_weights({2, 1, 1}, {"a", "b", "c"});
  EXPECT_THAT(w, ::testing::ElementsAre(0.5, 0.25, 0.25));
  EXPECT_THAT(normalize_weights({0, 3}, {"a", "b"}), ::testing::ElementsAre(0.0, 1.0));
  EXPECT_THAT(config_error([] { normalize_weights({1, -1}, {"a", "b"}); }),
              HasSubstr("weight of 'b' = -1"));
  EXPECT_THAT(config_error([] { normalize_weights({0, 0}, {"a", "b"}); }), HasSubstr("all 0"));
  EXPECT_THAT(config_error([] { normalize_weights({1}, {"a", "b"}); }),
              HasSubstr("1 weights for 2 criteria"));
  EXPECT_THAT(config_error([] { normalize_weights({NAN, 1}, {"a", "b"}); }),
              HasSubstr("weight of 'a'"));
}

TEST(AhpTest, WeightedScoreOnHandValues) {
  // accuracy 0.9 in [0.5, 1] maximize -> 0.8; latency 30 ms in [10, 110] minimize -> 0.8;
  // memory 5 GB in [0, 4] minimize -> clipped to 0.
  const double s = weighted_score({0.9, 30, 5}, {0.5, 0.3, 0.2}, {0.5, 10, 0}, {1, 110, 4},
                                  {true, false, false});
  EXPECT_NEAR(s, 0.5 * 0.8 + 0.3 * 0.8 + 0.2 * 0.0, 1e-12);
  // Above the high bound of a maximized metric clips to 1.
  EXPECT_NEAR(weighted_score({2.0}, {1.0}, {0.0}, {1.0}, {true}), 1.0, 1e-12);
  EXPECT_NEAR(weighted_score({-1.0}, {1.0}, {0.0}, {1.0}, {false}), 1.0, 1e-12);
  EXPECT_THAT(config_error([] { weighted_score({1}, {1}, {2}, {2}, {true}); }),
              AllOf(HasSubstr("metric 0"), HasSubstr("high > low")));
  EXPECT_THAT(config_error([] { weighted_score({1, 2}, {1}, {0}, {2}, {true}); }),
              HasSubstr("one of each per metric"));
  EXPECT_THAT(config_error([] { weighted_score({1}, {-1}, {0}, {2}, {true}); }),
              HasSubstr("weight -1"));
}

}  // namespace
}  // namespace autoglm
