// TPESampler behaviour: beats random search, seeding, constant liar, pruned trials, maximize,
// multivariate / group relative sampling, every distribution kind, factory options.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <numeric>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/samplers.h"
#include "autoglm/study.h"
#include "sampler/parzen_estimator.h"

namespace autoglm {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Study> make_study(std::unique_ptr<Sampler> sampler, StudyDirection dir = StudyDirection::MINIMIZE) {
  CreateStudyOptions o;
  o.storage = open_storage(":memory:");
  o.directions = {dir};
  o.sampler = std::move(sampler);
  o.pruner = make_pruner(nlohmann::json{{"name", "nop"}});
  return Study::create(std::move(o));
}

double quadratic(Trial& t) {
  const double x = t.suggest_float("x", -5.0, 5.0), y = t.suggest_float("y", -5.0, 5.0);
  return (x - 0.3) * (x - 0.3) + (y + 0.2) * (y + 0.2);
}

Distribution flt(double low, double high, bool log = false, std::optional<double> step = std::nullopt) {
  return FloatDistribution{low, high, log, step};
}

OptimizeOptions n_trials(int n, int n_jobs = 1) {
  OptimizeOptions o;
  o.n_trials = n;
  o.n_jobs = n_jobs;
  return o;
}

FrozenTrial finished(int number, std::map<std::string, std::pair<double, Distribution>> params,
                     TrialState state = TrialState::COMPLETE, std::optional<double> value = std::nullopt,
                     std::map<int64_t, double> intermediate = {}) {
  FrozenTrial t;
  t.number = number;
  t.trial_id = number;
  t.state = state;
  if (value) t.values = {*value};
  for (auto& [name, pd] : params) {
    t.params[name] = pd.first;
    t.distributions.emplace(name, pd.second);
  }
  t.intermediate_values = std::move(intermediate);
  return t;
}

FrozenTrial running(int number) { return finished(number, {}, TrialState::RUNNING); }

TEST(TpeSampler, BeatsRandomSearchOnQuadratic) {
  // 2-D quadratic over [-5, 5]^2, 60 trials, seeds 0..9: lower mean best value and a better best
  // value on most seeds.
  double tpe_sum = 0, random_sum = 0;
  int tpe_wins = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    auto tpe = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed}));
    auto rnd = make_study(std::make_unique<RandomSampler>(RandomSamplerOptions{.seed = seed}));
    tpe->optimize(quadratic, n_trials(60));
    rnd->optimize(quadratic, n_trials(60));
    ASSERT_EQ(tpe->trials().size(), 60u);
    tpe_sum += tpe->best_value();
    random_sum += rnd->best_value();
    tpe_wins += tpe->best_value() < rnd->best_value();
  }
  RecordProperty("tpe_mean_best", std::to_string(tpe_sum / 10));
  RecordProperty("random_mean_best", std::to_string(random_sum / 10));
  std::cout << "[ figures  ] mean best over 10 seeds, 60 trials: TPE " << tpe_sum / 10 << ", random "
            << random_sum / 10 << "; TPE better on " << tpe_wins << "/10 seeds\n";
  EXPECT_LT(tpe_sum, 0.5 * random_sum);
  EXPECT_GE(tpe_wins, 7);
}

TEST(TpeSampler, MultivariateBeatsRandomSearchOnQuadratic) {
  double tpe_sum = 0, random_sum = 0;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto tpe = make_study(
        std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed, .multivariate = true}));
    auto rnd = make_study(std::make_unique<RandomSampler>(RandomSamplerOptions{.seed = seed}));
    tpe->optimize(quadratic, n_trials(60));
    rnd->optimize(quadratic, n_trials(60));
    tpe_sum += tpe->best_value();
    random_sum += rnd->best_value();
  }
  std::cout << "[ figures  ] multivariate TPE mean best over 5 seeds: " << tpe_sum / 5 << ", random "
            << random_sum / 5 << "\n";
  EXPECT_LT(tpe_sum, random_sum);
}

TEST(TpeSampler, SameSeedSameTrials) {
  auto run = [](uint64_t seed, bool multivariate) {
    auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = seed, .multivariate = multivariate}));
    study->optimize(
        [](Trial& t) {
          double v = quadratic(t);
          v += static_cast<double>(t.suggest_int("n", 1, 64, 1, true)) / 64.0;
          v += std::get<std::string>(t.suggest_categorical("c", std::vector<ParamValue>{std::string("a"), std::string("b")})) == "a";
          return v;
        },
        n_trials(25));
    std::vector<std::map<std::string, double>> params;
    for (const auto& t : study->trials()) params.push_back(t.params);
    return params;
  };
  for (bool mv : {false, true}) {
    const auto a = run(11, mv), b = run(11, mv), c = run(12, mv);
    ASSERT_EQ(a.size(), 25u);
    EXPECT_EQ(a, b) << "multivariate " << mv;
    EXPECT_NE(a, c) << "multivariate " << mv;
  }
}

TEST(TpeSampler, ConstantLiarSteersAwayFromRunningTrials) {
  // 15 finished trials whose best is near x = 0.3, and 8 RUNNING trials sitting right there.
  // With constant_liar the running trials count as the worst observations, so proposals move away.
  const Distribution d = flt(-5.0, 5.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 15; ++i) {
    double x = -5.0 + 10.0 * i / 14.0;
    trials.push_back(finished(i, {{"x", {x, d}}}, TrialState::COMPLETE, (x - 0.3) * (x - 0.3)));
  }
  for (int i = 0; i < 8; ++i)
    trials.push_back(finished(15 + i, {{"x", {0.3 + 0.02 * (i - 4), d}}}, TrialState::RUNNING));
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  auto near_count = [&](bool liar) {
    int near = 0;
    for (uint64_t seed = 0; seed < 100; ++seed) {
      TPESampler s({.seed = seed, .constant_liar = liar});
      double x = s.sample_independent(history, running(23), "x", d);
      near += std::abs(x - 0.3) < 0.25;
    }
    return near;
  };
  const int without = near_count(false), with = near_count(true);
  std::cout << "[ figures  ] proposals within 0.25 of 8 running trials: " << without << "/100 without, " << with
            << "/100 with constant_liar\n";
  EXPECT_LT(with, without / 2);
}

TEST(TpeSampler, ConstantLiarTwoJobsGiveDistinctPoints) {
  auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = 3, .constant_liar = true}));
  study->optimize(
      [](Trial& t) {
        double v = quadratic(t);
        std::this_thread::sleep_for(std::chrono::milliseconds(3));
        return v;
      },
      n_trials(40, 2));
  const auto trials = study->trials();
  ASSERT_EQ(trials.size(), 40u);
  int overlapping = 0;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].state, TrialState::COMPLETE);
    for (size_t j = i + 1; j < trials.size(); ++j) {
      EXPECT_NE(trials[i].params, trials[j].params) << i << " " << j;
      const bool overlap = *trials[i].datetime_start < *trials[j].datetime_complete &&
                           *trials[j].datetime_start < *trials[i].datetime_complete;
      overlapping += overlap;
    }
  }
  EXPECT_GT(overlapping, 10);  // the two workers really ran side by side
}

TEST(TpeSampler, PrunedTrialsRankByLastStepThenValue) {
  // Only pruned trials: the one that got furthest (step 9) with the best value there forms l(x).
  const Distribution d = flt(-5.0, 5.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 10; ++i) {
    double x = -4.5 + i;  // -4.5 .. 4.5
    int64_t step = (x == 2.5) ? 9 : 3;
    double value = (x == 2.5) ? 100.0 : 0.0;  // worse value, but a later step ranks first
    trials.push_back(finished(i, {{"x", {x, d}}}, TrialState::PRUNED, value, {{step, value}}));
  }
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  std::vector<double> xs;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    TPESampler s({.seed = seed});
    xs.push_back(s.sample_independent(history, running(10), "x", d));
  }
  std::nth_element(xs.begin(), xs.begin() + 20, xs.end());
  EXPECT_NEAR(xs[20], 2.5, 0.75);
}

TEST(TpeSampler, MaximizeMirrorsMinimize) {
  const Distribution d = flt(-5.0, 5.0);
  std::vector<FrozenTrial> lo, hi;
  for (int i = 0; i < 20; ++i) {
    double x = -5.0 + 10.0 * ((i * 7) % 20) / 19.0;
    double v = (x - 1.0) * (x - 1.0);
    lo.push_back(finished(i, {{"x", {x, d}}}, TrialState::COMPLETE, v));
    hi.push_back(finished(i, {{"x", {x, d}}}, TrialState::COMPLETE, -v));
  }
  HistoryView min_view("s", {StudyDirection::MINIMIZE}, lo), max_view("s", {StudyDirection::MAXIMIZE}, hi);
  for (uint64_t seed = 0; seed < 5; ++seed) {
    TPESampler a({.seed = seed}), b({.seed = seed});
    EXPECT_EQ(a.sample_independent(min_view, running(20), "x", d), b.sample_independent(max_view, running(20), "x", d));
  }
  auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = 0}), StudyDirection::MAXIMIZE);
  study->optimize([](Trial& t) { return -quadratic(t); }, n_trials(60));
  EXPECT_GT(study->best_value(), -0.5);
}

TEST(TpeSampler, EveryDistributionKindStaysInItsDomain) {
  const std::vector<std::pair<std::string, Distribution>> dists = {
      {"f", flt(-1.0, 3.0)},
      {"flog", flt(1e-5, 1e-1, true)},
      {"fstep", flt(0.0, 2.0, false, 0.25)},
      {"i", IntDistribution{-3, 12}},
      {"istep", IntDistribution{0, 30, false, 5}},
      {"ilog", IntDistribution{1, 4096, true}},
      {"c", CategoricalDistribution{{std::string("a"), int64_t{2}, 0.5, true}}},
  };
  std::mt19937_64 rng(9);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 30; ++i) {
    std::map<std::string, std::pair<double, Distribution>> p;
    double v = 0;
    for (const auto& [name, d] : dists) {
      double x = RandomSampler::sample(rng, d);
      p.emplace(name, std::make_pair(x, d));
      v += x;
    }
    trials.push_back(finished(i, p, i % 4 == 3 ? TrialState::PRUNED : TrialState::COMPLETE, v, {{1, v}}));
  }
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  for (bool mv : {false, true}) {
    TPESampler s({.seed = 1, .multivariate = mv, .warn_independent_sampling = false});
    const SearchSpace space = s.infer_relative_search_space(history, running(30));
    if (mv) {
      EXPECT_EQ(space.size(), dists.size());
    }
    for (int k = 0; k < 20; ++k) {
      auto rel = s.sample_relative(history, running(30), space);
      EXPECT_EQ(rel.size(), mv ? dists.size() : 0u);
      for (const auto& [name, d] : dists) {
        double x = s.sample_independent(history, running(30), name, d);
        EXPECT_TRUE(contains(d, x)) << name << " = " << x;
        if (mv) {
          EXPECT_TRUE(contains(d, rel.at(name))) << name << " = " << rel.at(name) << " (relative)";
        }
      }
    }
  }
}

TEST(TpeSampler, IntersectionSearchSpace) {
  const Distribution x = flt(0.0, 1.0), y = IntDistribution{0, 5}, z = flt(0.0, 2.0);
  std::vector<FrozenTrial> trials = {
      finished(0, {{"x", {0.1, x}}, {"y", {1, y}}, {"z", {0.5, z}}, {"s", {1.0, flt(1.0, 1.0)}}},
               TrialState::COMPLETE, 1.0),
      finished(1, {{"x", {0.2, x}}, {"y", {2, y}}, {"z", {0.5, flt(0.0, 3.0)}}}, TrialState::PRUNED, 2.0),
      finished(2, {{"x", {0.3, x}}}, TrialState::FAIL),  // failed trials do not shrink the space
      finished(3, {{"x", {0.3, x}}, {"y", {4, y}}, {"z", {0.5, z}}, {"s", {1.0, flt(1.0, 1.0)}}},
               TrialState::COMPLETE, 0.5),
  };
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  TPESampler mv({.seed = 0, .multivariate = true});
  const SearchSpace space = mv.infer_relative_search_space(history, running(4));
  EXPECT_EQ(space, (SearchSpace{{"x", x}, {"y", y}}));  // z changed range; s is single-valued
  TPESampler plain({.seed = 0});
  EXPECT_TRUE(plain.infer_relative_search_space(history, running(4)).empty());
  // Fewer finished trials than n_startup_trials: no relative proposal (random independent sampling).
  EXPECT_TRUE(mv.sample_relative(history, running(4), space).empty());
  TPESampler eager({.n_startup_trials = 2, .seed = 0, .multivariate = true});
  auto rel = eager.sample_relative(history, running(4), space);
  EXPECT_EQ(rel.size(), 2u);
  EXPECT_TRUE(contains(x, rel.at("x")));
  EXPECT_TRUE(contains(y, rel.at("y")));
}

TEST(TpeSampler, GroupDecomposesConditionalSpaces) {
  const Distribution kind = CategoricalDistribution{{std::string("A"), std::string("B")}};
  const Distribution x = flt(-1.0, 1.0), y = IntDistribution{0, 9};
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 12; ++i) {
    if (i % 2 == 0) trials.push_back(finished(i, {{"kind", {0, kind}}, {"x", {-1.0 + i / 6.0, x}}}, TrialState::COMPLETE, i));
    else trials.push_back(finished(i, {{"kind", {1, kind}}, {"y", {double(i % 10), y}}}, TrialState::COMPLETE, i));
  }
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  TPESampler intersect({.seed = 0, .multivariate = true});
  EXPECT_EQ(intersect.infer_relative_search_space(history, running(12)), (SearchSpace{{"kind", kind}}));
  TPESampler grouped({.seed = 0, .multivariate = true, .group = true});
  const SearchSpace space = grouped.infer_relative_search_space(history, running(12));
  EXPECT_EQ(space, (SearchSpace{{"kind", kind}, {"x", x}, {"y", y}}));
  const auto rel = grouped.sample_relative(history, running(12), space);
  ASSERT_EQ(rel.size(), 3u);
  EXPECT_TRUE(contains(kind, rel.at("kind")));
  EXPECT_TRUE(contains(x, rel.at("x")));
  EXPECT_TRUE(contains(y, rel.at("y")));
}

TEST(TpeSampler, StartupTrialsAreRandomThenModelled) {
  // Fewer than n_startup_trials finished trials (FAIL and RUNNING do not count): the proposal is
  // a random draw that ignores the history, i.e. the same as with no history at all.
  const Distribution d = flt(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 4; ++i) trials.push_back(finished(i, {{"x", {0.1 * i, d}}}, TrialState::COMPLETE, i));
  trials.push_back(finished(4, {{"x", {0.9, d}}}, TrialState::FAIL));
  trials.push_back(finished(5, {{"x", {0.8, d}}}, TrialState::RUNNING));
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials), empty("s", {StudyDirection::MINIMIZE}, {});
  for (uint64_t seed = 0; seed < 5; ++seed) {
    TPESampler s({.n_startup_trials = 5, .seed = seed, .constant_liar = true});
    TPESampler fresh({.n_startup_trials = 5, .seed = seed});
    EXPECT_EQ(s.sample_independent(history, running(6), "x", d), fresh.sample_independent(empty, running(0), "x", d));
  }
  // Ten finished trials spread over [0, 1], best at x = 0.25: proposals concentrate there.
  trials.clear();
  for (int i = 0; i < 10; ++i) {
    double x = 0.05 + 0.1 * i;
    trials.push_back(finished(i, {{"x", {x, d}}}, TrialState::COMPLETE, (x - 0.25) * (x - 0.25)));
  }
  HistoryView spread("s", {StudyDirection::MINIMIZE}, trials);
  std::vector<double> xs;
  for (uint64_t seed = 0; seed < 31; ++seed) {
    TPESampler t({.n_startup_trials = 5, .seed = seed});
    xs.push_back(t.sample_independent(spread, running(10), "x", d));
  }
  std::nth_element(xs.begin(), xs.begin() + 15, xs.end());
  EXPECT_NEAR(xs[15], 0.25, 0.1);
}

TEST(TpeSampler, MultiObjectiveSplitsByNondominationRank) {
  // Scores of 6 COMPLETE trials, two minimized objectives. Front 0: (1,5), (2,2), (5,1);
  // front 1: (3,3), (6,2); front 2: (6,6).
  std::vector<tpe::Score> scores;
  for (auto [a, b] : std::vector<std::pair<double, double>>{{3, 3}, {1, 5}, {6, 6}, {2, 2}, {6, 2}, {5, 1}})
    scores.push_back({-INFINITY, {a, b}});
  auto [below, above] = tpe::split_observation_pairs(scores, 3);
  EXPECT_EQ(below, (std::vector<int>{1, 3, 5}));
  EXPECT_EQ(above, (std::vector<int>{0, 2, 4}));
  // Front 1 partly: by hypervolume subset selection within front 1, reference 1.1 x its worst
  // (6, 3) = (6.6, 3.3): (3, 3) contributes 3.6 x 0.3 = 1.08, (6, 2) 0.6 x 1.3 = 0.78.
  std::tie(below, above) = tpe::split_observation_pairs(scores, 4);
  EXPECT_EQ(below, (std::vector<int>{0, 1, 3, 5}));
  // With (6, 2) replaced by (5.5, 1.2) (still in front 1, dominated by (5, 1)): reference
  // 1.1 x (5.5, 3) = (6.05, 3.3); (5.5, 1.2) contributes 0.55 x 2.1 = 1.155 > (3, 3)'s
  // 3.05 x 0.3 = 0.915, so the later trial is chosen (trial order would pick index 0).
  scores[4] = {-INFINITY, {5.5, 1.2}};
  std::tie(below, above) = tpe::split_observation_pairs(scores, 4);
  EXPECT_EQ(below, (std::vector<int>{1, 3, 4, 5}));

  // The sampler runs on a two-objective history (pruned / running trials are ignored there).
  const Distribution d = flt(0.0, 1.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 12; ++i) {
    double x = (i + 0.5) / 12.0;
    FrozenTrial t = finished(i, {{"x", {x, d}}}, i == 11 ? TrialState::PRUNED : TrialState::COMPLETE);
    t.values = {x, (1 - x) * (1 - x)};
    trials.push_back(t);
  }
  HistoryView history("mo", {StudyDirection::MINIMIZE, StudyDirection::MAXIMIZE}, trials);
  TPESampler s({.seed = 0, .constant_liar = true});
  for (int k = 0; k < 10; ++k) EXPECT_TRUE(contains(d, s.sample_independent(history, running(12 + k), "x", d)));
}

TEST(TpeSampler, ConcurrentCallsAreSafe) {
  const Distribution d = flt(-5.0, 5.0);
  std::vector<FrozenTrial> trials;
  for (int i = 0; i < 30; ++i) {
    double x = -5.0 + i / 3.0;
    trials.push_back(finished(i, {{"x", {x, d}}}, TrialState::COMPLETE, x * x));
  }
  HistoryView history("s", {StudyDirection::MINIMIZE}, trials);
  TPESampler s({.seed = 0});
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int i = 0; i < 50; ++i) bad[k] += !contains(d, s.sample_independent(history, running(30), "x", d));
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::accumulate(bad.begin(), bad.end(), 0), 0);
}

TEST(TpeSampler, FactoryReadsEveryOption) {
  auto s = make_tpe_sampler(nlohmann::json{{"name", "tpe"}});
  auto* tpe = dynamic_cast<TPESampler*>(s.get());
  ASSERT_NE(tpe, nullptr);
  const auto& d = tpe->options();  // Optuna 3.1 defaults
  EXPECT_TRUE(d.consider_prior);
  EXPECT_EQ(d.prior_weight, 1.0);
  EXPECT_TRUE(d.consider_magic_clip);
  EXPECT_FALSE(d.consider_endpoints);
  EXPECT_EQ(d.n_startup_trials, 10);
  EXPECT_EQ(d.n_ei_candidates, 24);
  EXPECT_EQ(d.gamma(100), 10);
  EXPECT_EQ(d.gamma(1000), 25);
  EXPECT_FALSE(d.multivariate);
  EXPECT_FALSE(d.group);
  EXPECT_TRUE(d.warn_independent_sampling);
  EXPECT_FALSE(d.constant_liar);
  EXPECT_FALSE(d.seed.has_value());
  EXPECT_FALSE(d.exact_log_pdf);

  auto s2 = make_tpe_sampler({{"consider_prior", false}, {"prior_weight", 2.0}, {"consider_magic_clip", false},
                              {"consider_endpoints", true}, {"n_startup_trials", 5}, {"n_ei_candidates", 48},
                              {"gamma", "hyperopt"}, {"seed", 7}, {"multivariate", true}, {"group", true},
                              {"warn_independent_sampling", false}, {"constant_liar", true},
                              {"exact_log_pdf", true}});
  const auto& o = dynamic_cast<TPESampler&>(*s2).options();
  EXPECT_FALSE(o.consider_prior);
  EXPECT_EQ(o.prior_weight, 2.0);
  EXPECT_FALSE(o.consider_magic_clip);
  EXPECT_TRUE(o.consider_endpoints);
  EXPECT_EQ(o.n_startup_trials, 5);
  EXPECT_EQ(o.n_ei_candidates, 48);
  EXPECT_EQ(o.gamma(100), 3);  // ceil(0.25 * 10)
  EXPECT_EQ(o.seed, 7u);
  EXPECT_TRUE(o.multivariate && o.group && o.constant_liar && o.exact_log_pdf);
  EXPECT_FALSE(o.warn_independent_sampling);

  auto message = [](const nlohmann::json& j) -> std::string {
    try {
      make_tpe_sampler(j);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_THAT(message({{"n_startup", 5}}), HasSubstr("did you mean 'n_startup_trials'"));
  EXPECT_THAT(message({{"group", true}}), HasSubstr("multivariate"));
  EXPECT_THAT(message({{"gamma", "linear"}}), HasSubstr("'gamma'"));
  EXPECT_THAT(message({{"n_ei_candidates", 0}}), HasSubstr("n_ei_candidates"));
  EXPECT_THAT(message({{"prior_weight", 0}}), HasSubstr("prior_weight"));
  EXPECT_THAT(message({{"multivariate", "yes"}}), HasSubstr("true or false"));
  EXPECT_EQ(make_sampler({{"name", "tpe"}, {"seed", 1}})->name(), "tpe");
}

// ---- the fast paths against plain reference computations ----

/// Optuna 3.1's estimator log-density computed plainly: every component of every sample with
/// std::exp, components in order (the computation ParzenEstimator::log_pdf replaced).
std::vector<double> reference_log_pdf(const tpe::ParzenEstimator& pe, const SearchSpace& space,
                                      const tpe::ParamColumns& samples, bool exact) {
  const size_t n = samples.begin()->second.size(), m = pe.weights().size();
  std::vector<double> acc(n * m, 0.0);
  for (const auto& [name, dist] : space) {
    const auto& k = pe.kernel(name);
    const auto& xs = samples.at(name);
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < m; ++c) {
        if (k.categorical) {
          acc[i * m + c] += std::log(k.categorical_weights[c][static_cast<size_t>(xs[i])]);
          continue;
        }
        const double x = tpe::to_parzen_space(dist, xs[i]), mu = k.mus[c], sigma = k.sigmas[c];
        const double log_mass = tpe::log_gauss_mass((k.low - mu) / sigma, (k.high - mu) / sigma);
        double lp;
        if (k.q) {
          const double upper = std::min(x + 0.5 * *k.q, k.high), lower = std::max(x - 0.5 * *k.q, k.low);
          lp = tpe::log_gauss_mass((lower - mu) / sigma, (upper - mu) / sigma) - log_mass;
        } else if (x < k.low || x > k.high) {
          lp = -INFINITY;
        } else {
          const double z = (x - mu) / sigma;
          lp = -0.5 * z * z - 0.91893853320467274178 - log_mass - (exact ? std::log(sigma) : 0.0);
        }
        acc[i * m + c] += lp;
      }
  }
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) {
    double mx = -INFINITY;
    for (size_t c = 0; c < m; ++c) mx = std::max(mx, acc[i * m + c] += std::log(pe.weights()[c]));
    if (mx == -INFINITY) {
      out[i] = -INFINITY;
      continue;
    }
    double sum = 0.0;
    for (size_t c = 0; c < m; ++c) sum += std::exp(acc[i * m + c] - mx);
    out[i] = std::log(sum) + mx;
  }
  return out;
}

::testing::AssertionResult all_close(const std::vector<double>& a, const std::vector<double>& b, double rel) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes " << a.size() << " vs " << b.size();
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (std::abs(a[i] - b[i]) > rel * std::max(std::abs(a[i]), std::abs(b[i])) + 1e-300)
      return ::testing::AssertionFailure() << "[" << i << "] " << a[i] << " vs " << b[i];
  }
  return ::testing::AssertionSuccess();
}

std::vector<Distribution> numeric_distributions() {
  return {flt(-5.0, 5.0), flt(1e-3, 10.0, true), flt(0.0, 1.0, false, 0.1), Distribution{IntDistribution{-3, 12}},
          Distribution{IntDistribution{0, 20, false, 4}}, Distribution{IntDistribution{1, 1000, true}}};
}

/// n observations of `d` (internal values, with repeated values), drawn from `rng`.
std::vector<double> observations(const Distribution& d, int n, std::mt19937_64& rng) {
  std::vector<double> xs;
  for (int i = 0; i < n; ++i) {
    if (i % 7 == 3 && !xs.empty()) xs.push_back(xs[rng() % xs.size()]);  // ties
    else xs.push_back(RandomSampler::sample(rng, d));
  }
  return xs;
}

// ParzenEstimator::univariate (the TPE sampler's path: sort order kept by the caller, memoized
// masses, shared weights) builds the same estimator as the constructor, value for value.
TEST(TpeSampler, UnivariateEstimatorIsTheSameEstimator) {
  std::mt19937_64 rng(5);
  for (const Distribution& d : numeric_distributions())
    for (int n : {0, 1, 2, 7, 30, 180})
      for (int variant = 0; variant < 4; ++variant) {
        tpe::ParzenEstimatorParameters p;
        p.consider_prior = variant != 1;
        p.consider_magic_clip = variant != 2;
        p.consider_endpoints = variant == 3;
        p.weights = default_weights;
        p.exact_log_pdf = variant == 2;
        const std::vector<double> xs = observations(d, n, rng);
        const SearchSpace space{{"x", d}};
        const tpe::ParzenEstimator reference(tpe::ParamColumns{{"x", xs}}, space, p);
        std::vector<int> order(xs.size()), ids(xs.size());
        std::iota(order.begin(), order.end(), 0);
        std::iota(ids.begin(), ids.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
          return tpe::to_parzen_space(d, xs[a]) < tpe::to_parzen_space(d, xs[b]);
        });
        tpe::ParzenEstimator::MassMemo memo;
        tpe::ParzenEstimator::WeightsMemo weights;
        for (int round = 0; round < 2; ++round) {  // the second round reads the memos
          SCOPED_TRACE(to_string(d) + " n " + std::to_string(n) + " variant " + std::to_string(variant) +
                       " round " + std::to_string(round));
          const auto fast = tpe::ParzenEstimator::univariate("x", d, xs, order, p, &ids, &memo, &weights);
          EXPECT_EQ(fast.weights(), reference.weights());
          EXPECT_EQ(fast.kernel("x").mus, reference.kernel("x").mus);
          EXPECT_EQ(fast.kernel("x").sigmas, reference.kernel("x").sigmas);
          EXPECT_EQ(fast.kernel("x").log_mass, reference.kernel("x").log_mass);
          EXPECT_EQ(fast.kernel("x").q, reference.kernel("x").q);
          std::mt19937_64 a(1), b(1);
          const auto samples = reference.sample(a, 24);
          EXPECT_EQ(fast.sample(b, 24), samples);
          EXPECT_EQ(fast.log_pdf(samples), reference.log_pdf(samples));
        }
      }
}

// log_pdf (vectorized exp, components negligible in every lane of a vector left out) agrees with
// the plain computation to ~1e-15 relative, for every kind of kernel, univariate or not; the
// parity tests with Optuna allow 1e-9.
TEST(TpeSampler, LogPdfMatchesPlainComputation) {
  std::mt19937_64 rng(9);
  const Distribution cat = CategoricalDistribution{{std::string("a"), std::string("b"), std::string("c")}};
  std::vector<SearchSpace> spaces;
  for (const Distribution& d : numeric_distributions()) spaces.push_back({{"x", d}});
  spaces.push_back({{"c", cat}});
  spaces.push_back({{"x", flt(-5.0, 5.0)}, {"y", Distribution{IntDistribution{-3, 12}}}, {"c", cat}});
  int checked = 0;
  for (const SearchSpace& space : spaces)
    for (int n : {0, 3, 40, 2000})
      for (bool multivariate : {false, true})
        for (bool exact : {false, true}) {
          tpe::ParzenEstimatorParameters p;
          p.weights = default_weights;
          p.multivariate = multivariate;
          p.exact_log_pdf = exact;
          tpe::ParamColumns obs, samples;
          for (const auto& [name, d] : space) {
            obs[name] = observations(d, n, rng);
            samples[name] = observations(d, 61, rng);  // not a multiple of the vector width
          }
          samples.begin()->second[5] = 1e9;  // outside every numerical range: density 0
          if (std::holds_alternative<CategoricalDistribution>(space.begin()->second)) samples.begin()->second[5] = 0;
          const tpe::ParzenEstimator pe(obs, space, p);
          EXPECT_TRUE(all_close(pe.log_pdf(samples), reference_log_pdf(pe, space, samples, exact), 1e-14))
              << to_string(space.begin()->second) << " (" << space.size() << " params) n " << n << " multivariate "
              << multivariate << " exact " << exact;
          ++checked;
        }
  EXPECT_EQ(checked, 8 * 4 * 2 * 2);
}

// split_observation_pairs selects (O(n)) exactly the first n_below of Optuna's stable sort by
// (step_key, value), NaN values last.
TEST(TpeSampler, SplitSelectsTheStableSortPrefix) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    const int n = 1 + static_cast<int>(rng() % 60);
    std::vector<tpe::Score> scores;
    for (int i = 0; i < n; ++i) {
      const double keys[] = {-INFINITY, -INFINITY, -INFINITY, -3.0, -1.0, 1.0, INFINITY};
      const double values[] = {0.5, 1.0, 1.0, -2.0, NAN, INFINITY, -0.0, 0.0};
      scores.push_back({keys[rng() % 7], {values[rng() % 8]}});
    }
    const int n_below = static_cast<int>(rng() % (n + 2));
    std::vector<int> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (scores[a].step_key != scores[b].step_key) return scores[a].step_key < scores[b].step_key;
      const double x = scores[a].values[0], y = scores[b].values[0];
      return !std::isnan(x) && (std::isnan(y) || x < y);
    });
    const int k = std::min(n_below, n);
    std::vector<int> below(order.begin(), order.begin() + k), above(order.begin() + k, order.end());
    std::sort(below.begin(), below.end());
    std::sort(above.begin(), above.end());
    const auto [got_below, got_above] = tpe::split_observation_pairs(scores, n_below);
    ASSERT_EQ(got_below, below) << "round " << round;
    ASSERT_EQ(got_above, above) << "round " << round;
  }
}

/// The truncated normal quantile by the plain bisection of [-100, 100] (what truncnorm_ppf did
/// before it started from a Newton estimate).
double reference_truncnorm_ppf(double q, double a, double b) {
  if (q <= 0.0) return a;
  if (q >= 1.0) return b;
  auto ndtri_exp = [](double y) {
    double lo = -100.0, hi = 100.0;
    for (int i = 0; i < 400; ++i) {
      const double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      if (tpe::log_ndtr(mid) < y) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  auto log_add_exp = [](double x, double y) {
    if (x == -INFINITY) return y;
    if (y == -INFINITY) return x;
    return std::max(x, y) + std::log1p(std::exp(-std::abs(x - y)));
  };
  const double log_mass = tpe::log_gauss_mass(a, b);
  const double x = a < 0.0 ? ndtri_exp(log_add_exp(tpe::log_ndtr(a), std::log(q) + log_mass))
                           : -ndtri_exp(log_add_exp(tpe::log_ndtr(-b), std::log1p(-q) + log_mass));
  return std::clamp(x, a, b);
}

// truncnorm_ppf starts its bisection from a bracket of a few ulps around a Newton estimate; it
// finds the same double as the bisection of [-100, 100] wherever log_ndtr is monotone at the
// last bit, i.e. in all of these 20,000 cases, tails included.
TEST(TpeSampler, TruncnormPpfIsThePlainBisection) {
  std::mt19937_64 rng(11);
  int same = 0, total = 0;
  for (int i = 0; i < 20000; ++i) {
    const double a = -40.0 + 80.0 * tpe::uniform01(rng), width = std::pow(10.0, -3.0 + 5.0 * tpe::uniform01(rng));
    const double q = i % 50 == 0 ? std::pow(10.0, -300.0 * tpe::uniform01(rng)) : tpe::uniform01(rng);
    const double got = tpe::truncnorm_ppf(q, a, a + width), want = reference_truncnorm_ppf(q, a, a + width);
    ++total;
    same += got == want;
    EXPECT_LE(std::abs(got - want), 4 * std::abs(std::nextafter(want, INFINITY) - want) + 1e-300)
        << "q " << q << " a " << a << " b " << a + width;
  }
  std::cout << "[ figures  ] truncnorm_ppf equal to the plain bisection in " << same << " of " << total << " cases\n";
  EXPECT_GE(same, total - total / 1000);
}

// The sampler keeps its observations across trials (extending them when the history grows); the
// suggestions are those of a sampler that reads each trial's history afresh (a new HistoryView
// every trial), with pruned, failed and conditional trials, every distribution kind, and a
// parameter whose distribution changes midway.
TEST(TpeSampler, KeptObservationsGiveTheSameSuggestionsAsFreshOnes) {
  for (bool liar : {false, true}) {
    auto study = make_study(std::make_unique<TPESampler>(TPESamplerOptions{.seed = 3, .constant_liar = liar}));
    TPESampler fresh({.seed = 3, .constant_liar = liar});
    for (int i = 0; i < 70; ++i) {
      const std::vector<FrozenTrial> before = study->trials();
      Trial t = study->ask();
      FrozenTrial partial;
      partial.trial_id = t.trial_id();
      partial.number = t.number();
      auto check = [&](const std::string& name, const Distribution& d, const ParamValue& external) {
        const HistoryView view("s", {StudyDirection::MINIMIZE}, before);
        const double want = fresh.sample_independent(view, partial, name, d);
        EXPECT_EQ(to_external(d, want), external) << name << " trial " << i << " liar " << liar;
        partial.params[name] = want;
        partial.distributions.emplace(name, d);
      };
      const Distribution dx = flt(-5.0, 5.0), dn = Distribution{IntDistribution{1, 64, true}};
      const Distribution dc = CategoricalDistribution{{std::string("a"), std::string("b")}};
      const Distribution dz = i < 40 ? flt(0.0, 1.0, false, 0.25) : flt(0.0, 2.0, false, 0.25);
      const double x = t.suggest_float("x", -5.0, 5.0);
      check("x", dx, ParamValue(x));
      const auto n = t.suggest_int("n", 1, 64, 1, true);
      check("n", dn, ParamValue(n));
      const auto c = t.suggest_categorical("c", std::vector<std::string>{"a", "b"});
      {
        const HistoryView view("s", {StudyDirection::MINIMIZE}, before);
        const double want = fresh.sample_independent(view, partial, "c", dc);
        EXPECT_EQ(std::get<std::string>(to_external(dc, want)), c) << "trial " << i;
        partial.params["c"] = want;
        partial.distributions.emplace("c", dc);
      }
      double z = 0.0;
      if (c == "a") {
        z = i < 40 ? t.suggest_float("z", 0.0, 1.0, false, 0.25) : t.suggest_float("z", 0.0, 2.0, false, 0.25);
        check("z", dz, ParamValue(z));
      }
      const double value = (x - 1) * (x - 1) + std::log(static_cast<double>(n)) + z;
      if (i % 9 == 4) {
        t.report(value + 1, 3);
        study->tell(t.number(), TrialState::PRUNED);
      } else if (i % 11 == 6) {
        study->tell(t.number(), TrialState::FAIL);
      } else {
        study->tell(t, value);
      }
    }
  }
}

}  // namespace
}  // namespace autoglm
