// RandomSampler: uniform in the internal space, grids, seeding, thread-safety, factory options.
#include <cmath>
#include <map>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "autoglm/study_view.h"

namespace autoglm {
namespace {

Distribution flt(double low, double high, bool log = false, std::optional<double> step = std::nullopt) {
  return FloatDistribution{low, high, log, step};
}

const HistoryView kEmpty("s", {StudyDirection::MINIMIZE}, {});

std::vector<double> draw(Sampler& s, const Distribution& d, int n) {
  FrozenTrial t;
  std::vector<double> out;
  for (int i = 0; i < n; ++i) out.push_back(s.sample_independent(kEmpty, t, "p", d));
  return out;
}

TEST(RandomSampler, FloatUniformInRange) {
  RandomSampler s({.seed = 1});
  auto xs = draw(s, flt(-2.0, 6.0), 20000);
  double mean = 0;
  int below_zero = 0;
  for (double x : xs) {
    ASSERT_GE(x, -2.0);
    ASSERT_LT(x, 6.0);
    mean += x / xs.size();
    below_zero += x < 0;
  }
  EXPECT_NEAR(mean, 2.0, 0.08);                    // sd of the mean ~ 0.016
  EXPECT_NEAR(below_zero / 20000.0, 0.25, 0.015);  // P(x < 0) = 2 / 8
}

TEST(RandomSampler, LogFloatIsLogUniform) {
  RandomSampler s({.seed = 2});
  auto xs = draw(s, flt(1e-4, 1.0, true), 20000);
  int below = 0;
  for (double x : xs) {
    ASSERT_GE(x, 1e-4);
    ASSERT_LE(x, 1.0);
    below += x < 1e-2;  // half of the log range
  }
  EXPECT_NEAR(below / 20000.0, 0.5, 0.015);
}

TEST(RandomSampler, SteppedFloatOnGridWithEqualMass) {
  RandomSampler s({.seed = 3});
  std::map<long, int> counts;
  for (double x : draw(s, flt(0.0, 1.0, false, 0.25), 10000)) {
    double k = x / 0.25;
    ASSERT_NEAR(k, std::round(k), 1e-12) << x;
    counts[std::lround(k)]++;
  }
  ASSERT_EQ(counts.size(), 5u);  // 0, 0.25, 0.5, 0.75, 1: endpoints as likely as the rest
  for (auto [k, c] : counts) EXPECT_NEAR(c, 2000, 200) << k;
}

TEST(RandomSampler, IntWithStepAndLog) {
  RandomSampler s({.seed = 4});
  std::map<long, int> counts;
  for (double x : draw(s, IntDistribution{1, 9, false, 2}, 10000)) counts[std::lround(x)]++;
  EXPECT_THAT(counts, ::testing::SizeIs(5));
  for (auto [k, c] : counts) {
    EXPECT_EQ((k - 1) % 2, 0) << k;
    EXPECT_NEAR(c, 2000, 200) << k;
  }
  int small = 0;
  for (double x : draw(s, IntDistribution{1, 1000, true}, 10000)) {
    ASSERT_EQ(x, std::round(x));
    ASSERT_GE(x, 1);
    ASSERT_LE(x, 1000);
    small += x <= 31;  // log-uniform on [0.5, 1000.5]: P(x <= 31) = ln(63) / ln(2001) ~ 0.545
  }
  EXPECT_NEAR(small / 10000.0, std::log(31.5 / 0.5) / std::log(1000.5 / 0.5), 0.02);
}

TEST(RandomSampler, CategoricalIndexUniform) {
  RandomSampler s({.seed = 5});
  std::map<long, int> counts;
  for (double x : draw(s, CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}}, 9000))
    counts[std::lround(x)]++;
  ASSERT_EQ(counts.size(), 3u);
  for (auto [k, c] : counts) EXPECT_NEAR(c, 3000, 200) << k;
}

TEST(RandomSampler, SingleValuedDistributions) {
  RandomSampler s({.seed = 6});
  EXPECT_EQ(draw(s, flt(2.5, 2.5), 1)[0], 2.5);
  EXPECT_EQ(draw(s, IntDistribution{7, 7}, 1)[0], 7.0);
  EXPECT_EQ(draw(s, CategoricalDistribution{{int64_t{3}}}, 1)[0], 0.0);
}

TEST(RandomSampler, SeedDeterminesSequenceAndReseedRestarts) {
  RandomSampler a({.seed = 42}), b({.seed = 42}), c({.seed = 43});
  const Distribution d = flt(0.0, 1.0);
  auto xa = draw(a, d, 10), xb = draw(b, d, 10), xc = draw(c, d, 10);
  EXPECT_EQ(xa, xb);
  EXPECT_NE(xa, xc);
  a.reseed(42);
  EXPECT_EQ(draw(a, d, 10), xb);
}

TEST(RandomSampler, ConcurrentCallsAreSafe) {
  RandomSampler s({.seed = 7});
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { got[i] = draw(s, flt(0.0, 1.0), 2000); });
  for (auto& t : threads) t.join();
  std::set<double> all;
  for (const auto& g : got) all.insert(g.begin(), g.end());
  EXPECT_EQ(all.size(), 8000u);  // one shared stream: no value handed out twice
}

TEST(RandomSampler, FactoryOptions) {
  auto s = make_random_sampler({{"name", "random"}, {"seed", 3}});
  EXPECT_EQ(s->name(), "random");
  RandomSampler ref({.seed = 3});
  EXPECT_EQ(draw(*s, flt(0.0, 1.0), 5), draw(ref, flt(0.0, 1.0), 5));
  try {
    make_random_sampler({{"sed", 3}});
    FAIL() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did you mean 'seed'"));
  }
  EXPECT_THROW(make_random_sampler({{"seed", -1}}), ConfigError);
  EXPECT_THROW(make_random_sampler({{"seed", "x"}}), ConfigError);
}

}  // namespace
}  // namespace autoglm
