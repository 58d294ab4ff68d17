// Sampler conformance suite (DESIGN.md style 8: one suite per interface that every
// implementation passes). Every registered sampler, built through the registry exactly as a
// config would build it, is run through a Study on in-memory storage and must:
//  (a) respect bounds, float and int steps, log scales and categorical (also mixed-type) choices;
//  (b) reproduce a study from its seed with one worker, and differ with another seed;
//  (c) keep going when objectives return NaN or throw (those trials FAIL, the study completes
//      its trials, the best trial is a COMPLETE one);
//  (d) cope with a search space that changes between trials (a parameter added, one removed, a
//      range changed): no exception, values in the current distribution;
//  (e) cope with a conditional space (a categorical parent with child parameters).
// Trial counts are modest so that the whole suite (the GP is the slow one) stays well under 20 s.
#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"

namespace autoglm {
namespace {

struct SamplerCase {
  std::string label;     // test-name suffix
  nlohmann::json spec;   // registry spec without the seed
};

std::vector<SamplerCase> sampler_cases() {
  return {
      {"random", {{"name", "random"}}},
      {"tpe", {{"name", "tpe"}}},
      {"tpe_multivariate_group", {{"name", "tpe"}, {"multivariate", true}, {"group", true}}},
      {"grid", {{"name", "grid"}}},  // search_space: given by each test (its whole space)
      {"qmc_sobol", {{"name", "qmc"}, {"qmc_type", "sobol"}}},
      {"qmc_halton", {{"name", "qmc"}, {"qmc_type", "halton"}}},
      {"cmaes", {{"name", "cmaes"}}},
      {"gp", {{"name", "gp"}}},
      {"auto", {{"name", "auto"}}},
      {"nsga2", {{"name", "nsga2"}}},
      {"nsgaii", {{"name", "nsgaii"}}},
  };
}

class SamplerConformance : public ::testing::TestWithParam<SamplerCase> {
 protected:
  /// A study whose sampler is GetParam() with `seed`. `grid` is the grid sampler's search_space
  /// for this test: values that lie in every distribution the test suggests under each name.
  std::unique_ptr<Study> make_study(uint64_t seed, const nlohmann::json& grid) {
    nlohmann::json spec = GetParam().spec;
    spec["seed"] = seed;
    if (spec.at("name") == "grid") spec["search_space"] = grid;
    CreateStudyOptions o;
    o.storage = open_storage(":memory:");
    o.directions = {StudyDirection::MINIMIZE};
    o.sampler = make_sampler(spec);
    o.pruner = make_pruner(nlohmann::json{{"name", "nop"}});
    return Study::create(std::move(o));
  }
};

OptimizeOptions n_trials(int n) {
  OptimizeOptions o;
  o.n_trials = n;
  return o;
}

bool on_grid(double v, double low, double step) {
  const double k = (v - low) / step;
  return std::abs(k - std::round(k)) < 1e-9;
}

// Every stored parameter value is contained in its stored distribution.
void expect_stored_values_valid(const Study& study) {
  for (const FrozenTrial& t : study.get_trials())
    for (const auto& [name, internal] : t.params)
      EXPECT_TRUE(contains(t.distributions.at(name), internal))
          << "trial " << t.number << " parameter " << name << " = " << internal << " not in "
          << to_string(t.distributions.at(name));
}

// (a) -------------------------------------------------------------------------------------------

TEST_P(SamplerConformance, RespectsBoundsStepsLogAndChoices) {
  auto study = make_study(11, {{"f", {-2.0, 0.5, 3.0}},
                               {"fs", {0.0, 0.75}},
                               {"fl", {1e-4, 0.01}},
                               {"i", {-3, 7}},
                               {"is", {0, 12}},
                               {"il", {1, 1024}},
                               {"c", {"a", "c"}},
                               {"m", {nullptr, true, 3, 2.5, "x"}}});
  const std::vector<ParamValue> mixed = {std::monostate{}, true, int64_t{3}, 2.5, std::string("x")};
  study->optimize(
      [&](Trial& t) {
        const double f = t.suggest_float("f", -2.0, 3.0);
        EXPECT_GE(f, -2.0);
        EXPECT_LE(f, 3.0);
        const double fs = t.suggest_float("fs", 0.0, 1.0, false, 0.25);
        EXPECT_GE(fs, 0.0);
        EXPECT_LE(fs, 1.0);
        EXPECT_TRUE(on_grid(fs, 0.0, 0.25)) << fs;
        const double fl = t.suggest_float("fl", 1e-4, 1.0, true);
        EXPECT_GE(fl, 1e-4);
        EXPECT_LE(fl, 1.0);
        const int64_t i = t.suggest_int("i", -3, 7);
        EXPECT_GE(i, -3);
        EXPECT_LE(i, 7);
        const int64_t is = t.suggest_int("is", 0, 12, 3);
        EXPECT_GE(is, 0);
        EXPECT_LE(is, 12);
        EXPECT_EQ(is % 3, 0) << is;
        const int64_t il = t.suggest_int("il", 1, 1024, 1, true);
        EXPECT_GE(il, 1);
        EXPECT_LE(il, 1024);
        const std::string c = t.suggest_categorical("c", std::vector<std::string>{"a", "b", "c"});
        EXPECT_TRUE(c == "a" || c == "b" || c == "c") << c;
        const ParamValue m = t.suggest_categorical("m", mixed);
        EXPECT_NE(std::find(mixed.begin(), mixed.end(), m), mixed.end()) << to_string(m);
        // A smooth objective of everything, so that model-based samplers have something to fit.
        double cat = (c == "b") ? 0.0 : 1.0;
        if (std::holds_alternative<std::string>(m)) cat += 0.5;
        return (f - 1.0) * (f - 1.0) + fs + std::log10(fl) * 0.1 + std::abs(static_cast<double>(i)) +
               static_cast<double>(is) * 0.1 + std::log2(static_cast<double>(il)) * 0.1 + cat;
      },
      n_trials(30));
  const auto trials = study->get_trials();
  ASSERT_EQ(trials.size(), 30u);
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::COMPLETE) << "trial " << t.number;
    EXPECT_EQ(t.params.size(), 8u);
  }
  expect_stored_values_valid(*study);
}

// (b) -------------------------------------------------------------------------------------------

// Grid covering three_params (45 points, so 40 trials visit distinct ones).
const nlohmann::json kThreeParamsGrid = {
    {"x", {-5.0, -2.5, 0.0, 2.5, 5.0}}, {"y", {0, 5, 10}}, {"z", {1e-3, 0.1, 1.0}}};

double three_params(Trial& t) {
  const double x = t.suggest_float("x", -5.0, 5.0);
  const int64_t y = t.suggest_int("y", 0, 10);
  const double z = t.suggest_float("z", 1e-3, 1.0, true);
  return (x - 1.0) * (x - 1.0) + std::abs(static_cast<double>(y) - 3.0) + std::abs(std::log10(z) + 1.0);
}

std::vector<std::map<std::string, double>> params_of(const Study& study) {
  std::vector<std::map<std::string, double>> out;
  for (const auto& t : study.get_trials()) out.push_back(t.params);
  return out;
}

TEST_P(SamplerConformance, ReproducibleBySeedWithOneWorker) {
  constexpr int kTrials = 40;
  auto a = make_study(5, kThreeParamsGrid), b = make_study(5, kThreeParamsGrid), c = make_study(6, kThreeParamsGrid);
  a->optimize(three_params, n_trials(kTrials));
  b->optimize(three_params, n_trials(kTrials));
  c->optimize(three_params, n_trials(kTrials));
  const auto pa = params_of(*a), pb = params_of(*b), pc = params_of(*c);
  ASSERT_EQ(pa.size(), static_cast<size_t>(kTrials));
  ASSERT_EQ(pc.size(), static_cast<size_t>(kTrials));
  for (int i = 0; i < kTrials; ++i) EXPECT_EQ(pa[i], pb[i]) << "trial " << i << " differs with the same seed";
  EXPECT_NE(pa, pc) << "seeds 5 and 6 gave the same " << kTrials << " trials";
}

// (c) -------------------------------------------------------------------------------------------

TEST_P(SamplerConformance, FailedTrialsDoNotStopTheStudy) {
  constexpr int kTrials = 32;
  auto study = make_study(3, kThreeParamsGrid);
  // The first 4 trials fail (no COMPLETE history for a while), later every fourth one, so that
  // model-based samplers (21 COMPLETE trials in the end) fit models on histories with failures.
  auto fails_nan = [](int n) { return n == 0 || n == 2 || (n >= 4 && n % 8 == 0); };
  auto fails_throw = [](int n) { return n == 1 || n == 3 || (n >= 4 && n % 8 == 4); };
  study->optimize(
      [&](Trial& t) -> double {
        const double v = three_params(t);
        if (fails_nan(t.number())) return std::nan("");
        if (fails_throw(t.number())) throw std::runtime_error("objective blew up");
        return v;
      },
      n_trials(kTrials));
  const auto trials = study->get_trials();
  ASSERT_EQ(trials.size(), static_cast<size_t>(kTrials));
  for (const auto& t : trials) {
    const bool fail = fails_nan(t.number) || fails_throw(t.number);
    EXPECT_EQ(t.state, fail ? TrialState::FAIL : TrialState::COMPLETE) << "trial " << t.number;
    EXPECT_EQ(t.params.size(), 3u) << "trial " << t.number;
    if (fail) {
      EXPECT_TRUE(t.system_attrs.count("fail_reason")) << "trial " << t.number;
    }
  }
  const FrozenTrial best = study->best_trial();
  EXPECT_EQ(best.state, TrialState::COMPLETE);
  ASSERT_EQ(best.values.size(), 1u);
  EXPECT_TRUE(std::isfinite(best.values[0]));
  expect_stored_values_valid(*study);
}

// (d) -------------------------------------------------------------------------------------------

TEST_P(SamplerConformance, SearchSpaceChangingBetweenTrials) {
  // Trials 0-14: u in [0, 1], v, r. Trials 15-29: w added, r removed. Trials 30-44: u's range
  // becomes [0, 2].
  constexpr int kTrials = 45;
  auto study = make_study(9, {{"u", {0.0, 0.5, 1.0}}, {"v", {0, 10}}, {"r", {-1.0, 1.0}}, {"w", {0.0, 5.0}}});
  EXPECT_NO_THROW(study->optimize(
      [](Trial& t) {
        const int phase = t.number() / 15;
        const double u_high = phase == 2 ? 2.0 : 1.0;
        const double u = t.suggest_float("u", 0.0, u_high);
        EXPECT_GE(u, 0.0);
        EXPECT_LE(u, u_high);
        const int64_t v = t.suggest_int("v", 0, 10);
        EXPECT_GE(v, 0);
        EXPECT_LE(v, 10);
        double f = (u - 0.7) * (u - 0.7) + std::abs(static_cast<double>(v) - 4.0);
        if (phase == 0) {
          const double r = t.suggest_float("r", -1.0, 1.0);
          EXPECT_GE(r, -1.0);
          EXPECT_LE(r, 1.0);
          f += r * r;
        } else {
          const double w = t.suggest_float("w", 0.0, 5.0);
          EXPECT_GE(w, 0.0);
          EXPECT_LE(w, 5.0);
          f += (w - 1.0) * (w - 1.0);
        }
        return f;
      },
      n_trials(kTrials)));
  const auto trials = study->get_trials();
  ASSERT_EQ(trials.size(), static_cast<size_t>(kTrials));
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::COMPLETE) << "trial " << t.number;
    const int phase = t.number / 15;
    const std::set<std::string> expected = phase == 0 ? std::set<std::string>{"r", "u", "v"}
                                                       : std::set<std::string>{"u", "v", "w"};
    std::set<std::string> names;
    for (const auto& [k, v] : t.params) names.insert(k);
    EXPECT_EQ(names, expected) << "trial " << t.number;
    EXPECT_EQ(std::get<FloatDistribution>(t.distributions.at("u")).high, phase == 2 ? 2.0 : 1.0);
  }
  expect_stored_values_valid(*study);
}

// (e) -------------------------------------------------------------------------------------------

TEST_P(SamplerConformance, ConditionalSearchSpace) {
  constexpr int kTrials = 30;
  auto study = make_study(2, {{"kind", {"linear", "tree"}},
                              {"alpha", {1e-3, 1.0}},
                              {"l1", {true, false}},
                              {"depth", {1, 8}},
                              {"lr", {0.01, 0.3}}});
  study->optimize(
      [](Trial& t) {
        const std::string kind = t.suggest_categorical("kind", std::vector<std::string>{"linear", "tree"});
        if (kind == "linear") {
          const double alpha = t.suggest_float("alpha", 1e-3, 10.0, true);
          EXPECT_GE(alpha, 1e-3);
          EXPECT_LE(alpha, 10.0);
          const ParamValue l1 = t.suggest_categorical("l1", std::vector<ParamValue>{true, false});
          EXPECT_TRUE(std::holds_alternative<bool>(l1));
          return std::abs(std::log10(alpha)) + (std::get<bool>(l1) ? 0.1 : 0.0);
        }
        const int64_t depth = t.suggest_int("depth", 1, 8);
        EXPECT_GE(depth, 1);
        EXPECT_LE(depth, 8);
        const double lr = t.suggest_float("lr", 0.01, 0.3);
        EXPECT_GE(lr, 0.01);
        EXPECT_LE(lr, 0.3);
        return std::abs(static_cast<double>(depth) - 5.0) * 0.2 + std::abs(lr - 0.1);
      },
      n_trials(kTrials));
  const auto trials = study->get_trials();
  ASSERT_EQ(trials.size(), static_cast<size_t>(kTrials));
  for (const auto& t : trials) {
    EXPECT_EQ(t.state, TrialState::COMPLETE) << "trial " << t.number;
    std::set<std::string> names;
    for (const auto& [k, v] : t.params) names.insert(k);
    const bool linear = std::get<std::string>(t.param("kind")) == "linear";
    const std::set<std::string> expected =
        linear ? std::set<std::string>{"alpha", "kind", "l1"} : std::set<std::string>{"depth", "kind", "lr"};
    EXPECT_EQ(names, expected) << "trial " << t.number;
  }
  expect_stored_values_valid(*study);
}

INSTANTIATE_TEST_SUITE_P(AllSamplers, SamplerConformance, ::testing::ValuesIn(sampler_cases()),
                         [](const ::testing::TestParamInfo<SamplerCase>& info) { return info.param.label; });

// Every registered sampler is in the suite above (a new sampler must be added to it).
TEST(SamplerConformanceCoverage, EverySamplerIsCovered) {
  std::set<std::string> covered;
  for (const auto& c : sampler_cases()) covered.insert(c.spec.at("name").get<std::string>());
  for (const auto& name : registered_samplers())
    EXPECT_TRUE(covered.count(name)) << "sampler '" << name << "' is registered but not in sampler_cases()";
}

}  // namespace
}  // namespace autoglm
