// QMCSampler: known Sobol and Halton points, net property, scrambling, mapping to distributions,
// trial-number indexing in a study, independent fallback, errors, factory options.
#include <cmath>
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

QMCSampler sobol(bool scramble, std::optional<uint64_t> seed = std::nullopt) {
  return QMCSampler({.qmc_type = "sobol", .scramble = scramble, .seed = seed});
}
QMCSampler halton(bool scramble, std::optional<uint64_t> seed = std::nullopt) {
  return QMCSampler({.qmc_type = "halton", .scramble = scramble, .seed = seed});
}

TEST(QMCSampler, UnscrambledSobolKnownPoints) {
  auto s = sobol(false);
  const double expected[8][3] = {{0, 0, 0},          {0.5, 0.5, 0.5},       {0.75, 0.25, 0.25},
                                 {0.25, 0.75, 0.75}, {0.375, 0.375, 0.625}, {0.875, 0.875, 0.125},
                                 {0.625, 0.125, 0.875}, {0.125, 0.625, 0.375}};
  for (int i = 0; i < 8; ++i) {
    auto p = s.point(i, 3);
    for (int d = 0; d < 3; ++d) EXPECT_EQ(p[d], expected[i][d]) << "point " << i << " dim " << d;
  }
}

// Each elementary interval [a 2^-k1, (a+1) 2^-k1) x [b 2^-k2, (b+1) 2^-k2) with k1 + k2 = k
// holds exactly one of the first 2^k points.
void expect_02_net(const QMCSampler& s, int k) {
  for (int k1 = 0; k1 <= k; ++k1) {
    const int k2 = k - k1;
    std::map<std::pair<long, long>, int> boxes;
    for (uint64_t i = 0; i < (uint64_t{1} << k); ++i) {
      auto p = s.point(i, 2);
      boxes[{std::lround(std::floor(std::ldexp(p[0], k1))), std::lround(std::floor(std::ldexp(p[1], k2)))}]++;
    }
    EXPECT_EQ(boxes.size(), size_t{1} << k) << "k=" << k << " k1=" << k1;
  }
}

TEST(QMCSampler, SobolFirstPowerOfTwoPointsAreA0k2Net) {
  for (int k = 1; k <= 10; ++k) expect_02_net(sobol(false), k);
  for (int k = 1; k <= 10; ++k) expect_02_net(sobol(true, 7), k);  // a digital shift keeps it
}

TEST(QMCSampler, EverySobolDimensionIsStratified) {
  // The first 2^k points of every one-dimensional projection are one per interval of 2^-k,
  // which fails for a direction-number table entry with an even or too large m.
  for (bool scramble : {false, true}) {
    auto s = sobol(scramble, 11);
    const size_t dims = s.max_dimensions();
    EXPECT_GE(dims, 21u);
    std::vector<std::vector<double>> pts;
    for (uint64_t i = 0; i < 1024; ++i) pts.push_back(s.point(i, dims));
    for (size_t d = 0; d < dims; ++d) {
      std::set<long> cells;
      for (const auto& p : pts) {
        ASSERT_GE(p[d], 0.0);
        ASSERT_LT(p[d], 1.0);
        cells.insert(std::lround(std::floor(p[d] * 1024)));
      }
      EXPECT_EQ(cells.size(), 1024u) << "dim " << d;
    }
  }
}

TEST(QMCSampler, UnscrambledHaltonKnownPoints) {
  auto s = halton(false);
  const double b2[] = {0, 0.5, 0.25, 0.75, 0.125, 0.625};
  const double b3[] = {0, 1.0 / 3, 2.0 / 3, 1.0 / 9, 4.0 / 9, 7.0 / 9};
  for (int i = 0; i < 6; ++i) {
    auto p = s.point(i, 2);
    EXPECT_DOUBLE_EQ(p[0], b2[i]) << i;
    EXPECT_DOUBLE_EQ(p[1], b3[i]) << i;
  }
}

TEST(QMCSampler, ScrambledHaltonIsStratifiedAndSeeded) {
  auto a = halton(true, 5), b = halton(true, 5), c = halton(true, 6);
  std::set<long> cells2, cells3;
  for (int i = 0; i < 81; ++i) {
    auto p = a.point(i, 2);
    ASSERT_GE(p[0], 0.0);
    ASSERT_LT(p[0], 1.0);
    ASSERT_GE(p[1], 0.0);
    ASSERT_LT(p[1], 1.0);
    if (i < 64) cells2.insert(std::lround(std::floor(p[0] * 64)));
    cells3.insert(std::lround(std::floor(p[1] * 81)));
    EXPECT_EQ(p, b.point(i, 2));
  }
  EXPECT_EQ(cells2.size(), 64u);
  EXPECT_EQ(cells3.size(), 81u);
  EXPECT_NE(a.point(3, 2), c.point(3, 2));
  EXPECT_NE(a.point(3, 2), halton(false).point(3, 2));
}

TEST(QMCSampler, ScrambledSobolIsSeeded) {
  EXPECT_EQ(sobol(true, 1).point(5, 4), sobol(true, 1).point(5, 4));
  EXPECT_NE(sobol(true, 1).point(5, 4), sobol(true, 2).point(5, 4));
  EXPECT_NE(sobol(true, 1).point(0, 4), sobol(false).point(0, 4));
}

TEST(QMCSampler, TooManyDimensionsIsConfigError) {
  auto s = sobol(false);
  EXPECT_NO_THROW(s.point(1, s.max_dimensions()));
  EXPECT_THROW(s.point(1, s.max_dimensions() + 1), ConfigError);
  auto h = halton(false);
  EXPECT_THROW(h.point(1, h.max_dimensions() + 1), ConfigError);
}

TEST(QMCSampler, FromUnitMapsIntoEachDistribution) {
  const std::vector<Distribution> dists = {
      FloatDistribution{-1.0, 3.0}, FloatDistribution{1e-5, 1e-1, true}, FloatDistribution{0.0, 1.0, false, 0.25},
      IntDistribution{1, 9, false, 2}, IntDistribution{1, 1000, true},
      CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}}};
  for (const auto& d : dists)
    for (double u : {0.0, 1e-12, 0.2, 0.5, 0.77, 1.0 - 1e-12, std::nextafter(1.0, 0.0)})
      EXPECT_TRUE(contains(d, QMCSampler::from_unit(u, d))) << to_string(d) << " u=" << u;
  EXPECT_EQ(QMCSampler::from_unit(0.5, FloatDistribution{-1.0, 3.0}), 1.0);
  EXPECT_NEAR(QMCSampler::from_unit(0.5, FloatDistribution{1e-4, 1.0, true}), 1e-2, 1e-12);
  EXPECT_EQ(QMCSampler::from_unit(0.5, IntDistribution{1, 9, false, 2}), 5.0);
  EXPECT_EQ(QMCSampler::from_unit(0.7, CategoricalDistribution{{int64_t{1}, int64_t{2}, int64_t{3}}}), 2.0);
}

std::unique_ptr<Study> run_study(QMCSamplerOptions o, int n, int n_jobs = 1) {
  auto study = create_study({.storage = open_storage(":memory:"), .sampler = std::make_unique<QMCSampler>(o)});
  study->optimize(
      [](Trial& t) {
        double a = t.suggest_float("a", 1e-4, 1.0, true);
        auto b = t.suggest_int("b", 0, 10, 2);
        auto c = t.suggest_categorical("c", std::vector<std::string>{"x", "y", "z"});
        double d = t.suggest_float("d", -1.0, 1.0, false, 0.5);
        t.suggest_int("fixed", 3, 3);  // single-valued: not a dimension
        double extra = 0;
        // Not in trial 0's space, so always sampled independently.
        if (t.number() % 3 == 1) extra = t.suggest_float("cond", 0.0, 1.0);
        return a + static_cast<double>(b) + (c == "x" ? 1.0 : 0.0) + d + extra;
      },
      {.n_trials = n, .n_jobs = n_jobs});
  return study;
}

TEST(QMCSampler, TrialNumberIndexesTheSequenceInSortedNameOrder) {
  QMCSamplerOptions o{.qmc_type = "sobol", .scramble = true, .seed = 3};
  auto study = run_study(o, 20);
  QMCSampler ref(o);
  for (const auto& t : study->trials()) {
    for (const auto& [name, v] : t.params) EXPECT_TRUE(contains(t.distributions.at(name), v)) << name;
    if (t.number == 0) continue;  // no completed trial yet: independent sampling
    auto u = ref.point(t.number, 4);  // a, b, c, d (cond is outside trial 0's space: independent)
    EXPECT_EQ(t.params.at("a"), QMCSampler::from_unit(u[0], t.distributions.at("a"))) << t.number;
    EXPECT_EQ(t.params.at("b"), QMCSampler::from_unit(u[1], t.distributions.at("b"))) << t.number;
    EXPECT_EQ(t.params.at("c"), QMCSampler::from_unit(u[2], t.distributions.at("c"))) << t.number;
    EXPECT_EQ(t.params.at("d"), QMCSampler::from_unit(u[3], t.distributions.at("d"))) << t.number;
  }
}

TEST(QMCSampler, ParallelWorkersGetDistinctPoints) {
  auto study = run_study({.qmc_type = "halton", .scramble = false, .seed = 1}, 24, 3);
  std::set<double> a;
  for (const auto& t : study->trials()) {
    for (const auto& [name, v] : t.params) EXPECT_TRUE(contains(t.distributions.at(name), v)) << name;
    if (t.number > 0) {
      EXPECT_TRUE(a.insert(t.params.at("a")).second) << t.number;
    }
  }
}

TEST(QMCSampler, SeedReproducesTheStudy) {
  for (std::string type : {"sobol", "halton"}) {
    QMCSamplerOptions o{.qmc_type = type, .scramble = true, .seed = 9};
    auto x = run_study(o, 12), y = run_study(o, 12);
    auto tx = x->trials(), ty = y->trials();
    ASSERT_EQ(tx.size(), ty.size());
    for (size_t i = 0; i < tx.size(); ++i) EXPECT_EQ(tx[i].params, ty[i].params) << type << " trial " << i;
  }
}

TEST(QMCSampler, FactoryAndRegistry) {
  auto s = make_sampler({{"name", "qmc"}, {"qmc_type", "halton"}, {"scramble", false}, {"seed", 2}});
  EXPECT_EQ(s->name(), "qmc");
  EXPECT_EQ(dynamic_cast<QMCSampler&>(*s).point(1, 2), (std::vector<double>{0.5, 1.0 / 3}));
  EXPECT_THAT(registered_samplers(), ::testing::Contains("qmc"));
  EXPECT_EQ(make_qmc_sampler(nlohmann::json::object())->name(), "qmc");
  try {
    make_qmc_sampler({{"qmc_type", "sobl"}});
    FAIL() << "unknown qmc_type accepted";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did you mean 'sobol'"));
  }
  EXPECT_THROW(make_qmc_sampler({{"scramble", 1}}), ConfigError);
  EXPECT_THROW(make_qmc_sampler({{"scrambel", true}}), ConfigError);
}

}  // namespace
}  // namespace autoglm
