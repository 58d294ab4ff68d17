// Parity of the TPE kernels with Optuna 3.1, kernel by kernel. Expected values come from
// Optuna's own internals via scripts/gen_optuna_tpe.py (committed as
// tests/data/optuna_tpe_expected.json; regenerate with /usr/bin/python3 scripts/gen_optuna_tpe.py).
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/samplers.h"
#include "sampler/parzen_estimator.h"

namespace autoglm {
namespace {

using nlohmann::json;

const json& expected() {
  static const json data = [] {
    std::ifstream in(std::string(AUTOGLM_SOURCE_DIR) + "/tests/data/optuna_tpe_expected.json");
    EXPECT_TRUE(in.good()) << "missing tests/data/optuna_tpe_expected.json";
    return json::parse(in);
  }();
  return data;
}

/// A number of the JSON file; non-finite values are strings there.
double num(const json& j) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (j.is_string()) {
    const auto s = j.get<std::string>();
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
    return std::numeric_limits<double>::quiet_NaN();
  }
  return j.get<double>();
}

std::vector<double> nums(const json& j) {
  std::vector<double> out;
  for (const auto& x : j) out.push_back(num(x));
  return out;
}

/// ~1e-9 relative agreement (plus 1e-12 absolute near zero); equal infinities agree.
::testing::AssertionResult close(double actual, double want, double rel = 1e-9) {
  if (std::isnan(want) && std::isnan(actual)) return ::testing::AssertionSuccess();
  if (std::isinf(want) && actual == want) return ::testing::AssertionSuccess();
  if (std::abs(actual - want) <= rel * std::max(std::abs(actual), std::abs(want)) + 1e-12)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual " << actual << " vs Optuna " << want << " (diff "
                                       << actual - want << ")";
}

void expect_all_close(const std::vector<double>& actual, const json& want, const std::string& what) {
  const auto w = nums(want);
  ASSERT_EQ(actual.size(), w.size()) << what;
  for (size_t i = 0; i < w.size(); ++i) EXPECT_TRUE(close(actual[i], w[i])) << what << "[" << i << "]";
}

SearchSpace space_from_json(const json& j) {
  SearchSpace s;
  for (const auto& [name, d] : j.items()) s.emplace(name, distribution_from_json(d));
  return s;
}

tpe::ParamColumns columns_from_json(const json& j) {
  tpe::ParamColumns c;
  for (const auto& [name, v] : j.items()) c[name] = nums(v);
  return c;
}

tpe::ParzenEstimatorParameters parameters_from_json(const json& j, bool exact) {
  tpe::ParzenEstimatorParameters p;
  p.consider_prior = j.at("consider_prior");
  p.prior_weight = j.at("prior_weight");
  p.consider_magic_clip = j.at("consider_magic_clip");
  p.consider_endpoints = j.at("consider_endpoints");
  p.multivariate = j.at("multivariate");
  p.weights = default_weights;
  p.exact_log_pdf = exact;
  return p;
}

TEST(TpeParity, Gamma) {
  for (const auto& c : expected().at("gamma")) {
    const int n = c.at("n");
    EXPECT_EQ(default_gamma(n), c.at("gamma").get<int>()) << "n = " << n;
    EXPECT_EQ(hyperopt_default_gamma(n), c.at("hyperopt_gamma").get<int>()) << "n = " << n;
  }
}

TEST(TpeParity, DefaultWeights) {
  for (const auto& c : expected().at("weights")) {
    const int n = c.at("n");
    expect_all_close(default_weights(n), c.at("weights"), "default_weights(" + std::to_string(n) + ")");
  }
  // Spot values for n = 30: a 5-point ramp 1/30 .. 1, then 25 ones.
  auto w = default_weights(30);
  EXPECT_DOUBLE_EQ(w[0], 1.0 / 30);
  EXPECT_DOUBLE_EQ(w[1], 1.0 / 30 + (1 - 1.0 / 30) / 4);
  EXPECT_DOUBLE_EQ(w[4], 1.0);
  EXPECT_DOUBLE_EQ(w[29], 1.0);
}

TEST(TpeParity, TruncatedNormalHelpers) {
  const auto& tn = expected().at("truncnorm");
  for (const auto& c : tn.at("log_ndtr"))
    EXPECT_TRUE(close(tpe::log_ndtr(num(c[0])), num(c[1]))) << "log_ndtr(" << num(c[0]) << ")";
  for (const auto& c : tn.at("log_gauss_mass"))
    EXPECT_TRUE(close(tpe::log_gauss_mass(num(c[0]), num(c[1])), num(c[2])))
        << "log_gauss_mass(" << num(c[0]) << ", " << num(c[1]) << ")";
  for (const auto& c : tn.at("ppf"))
    EXPECT_TRUE(close(tpe::truncnorm_ppf(num(c[0]), num(c[1]), num(c[2])), num(c[3])))
        << "ppf(" << num(c[0]) << ", " << num(c[1]) << ", " << num(c[2]) << ")";
}

TEST(TpeParity, ParzenEstimatorParametersAndLogPdf) {
  int checked = 0;
  for (const auto& c : expected().at("parzen")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const SearchSpace space = space_from_json(c.at("search_space"));
    const tpe::ParamColumns obs = columns_from_json(c.at("observations"));
    const tpe::ParamColumns samples = columns_from_json(c.at("samples"));
    for (bool exact : {false, true}) {
      const tpe::ParzenEstimator pe(obs, space, parameters_from_json(c.at("parameters"), exact));
      expect_all_close(pe.weights(), c.at("weights"), "weights");
      for (const auto& [param, kj] : c.at("params").items()) {
        const auto& k = pe.kernel(param);
        if (kj.contains("categorical_weights")) {
          ASSERT_TRUE(k.categorical);
          ASSERT_EQ(k.categorical_weights.size(), kj.at("categorical_weights").size());
          for (size_t r = 0; r < k.categorical_weights.size(); ++r)
            expect_all_close(k.categorical_weights[r], kj.at("categorical_weights")[r], param + " weights row");
        } else {
          ASSERT_FALSE(k.categorical);
          EXPECT_TRUE(close(k.low, num(kj.at("low")))) << param << " low";
          EXPECT_TRUE(close(k.high, num(kj.at("high")))) << param << " high";
          EXPECT_EQ(k.q.has_value(), !kj.at("q").is_null()) << param << " q";
          if (k.q) {
            EXPECT_TRUE(close(*k.q, num(kj.at("q")))) << param << " q";
          }
          expect_all_close(k.mus, kj.at("mus"), param + " mus");
          expect_all_close(k.sigmas, kj.at("sigmas"), param + " sigmas");
        }
      }
      expect_all_close(pe.log_pdf(samples), c.at(exact ? "log_pdf_exact" : "log_pdf"),
                       exact ? "log_pdf (exact density)" : "log_pdf (Optuna 3.1)");
    }
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST(TpeParity, CandidateMaximizingLogRatio) {
  for (const auto& c : expected().at("compare")) {
    const std::string name = c.at("name");
    SCOPED_TRACE(name);
    const SearchSpace space = space_from_json(c.at("search_space"));
    const tpe::ParamColumns candidates = columns_from_json(c.at("candidates"));
    for (bool exact : {false, true}) {
      const auto p = parameters_from_json(c.at("parameters"), exact);
      const tpe::ParzenEstimator l(columns_from_json(c.at("below")), space, p);
      const tpe::ParzenEstimator g(columns_from_json(c.at("above")), space, p);
      const auto log_l = l.log_pdf(candidates), log_g = g.log_pdf(candidates);
      const std::string sfx = exact ? "_exact" : "";
      expect_all_close(log_l, c.at("log_l" + sfx), "log_l" + sfx);
      expect_all_close(log_g, c.at("log_g" + sfx), "log_g" + sfx);
      EXPECT_EQ(tpe::argmax_log_ratio(log_l, log_g), c.at("best_index" + sfx).get<int>()) << sfx;
    }
  }
}

FrozenTrial trial_from_json(const json& j, int number) {
  FrozenTrial t;
  t.number = number;
  t.trial_id = number;
  t.state = trial_state_from_string(j.at("state"));
  if (!j.at("value").is_null()) t.values = {num(j.at("value"))};
  for (const auto& [name, v] : j.at("params").items()) t.params[name] = num(v);
  for (const auto& [name, d] : j.at("distributions").items()) t.distributions.emplace(name, distribution_from_json(d));
  for (const auto& sv : j.at("intermediate_values")) t.intermediate_values[sv[0].get<int64_t>()] = num(sv[1]);
  if (t.state == TrialState::PRUNED && !t.intermediate_values.empty())
    t.values = {t.intermediate_values.rbegin()->second};  // as Study::tell records it
  return t;
}

TEST(TpeParity, ObservationPairsAndSplit) {
  std::vector<FrozenTrial> trials;
  for (const auto& t : expected().at("history")) trials.push_back(trial_from_json(t, static_cast<int>(trials.size())));
  int checked = 0;
  for (const auto& c : expected().at("observation_pairs")) {
    const auto dir = study_direction_from_string(c.at("direction"));
    const bool liar = c.at("constant_liar");
    const auto names = c.at("param_names").get<std::vector<std::string>>();
    SCOPED_TRACE(std::string(c.at("direction")) + (liar ? " constant_liar " : " ") + c.at("param_names").dump() +
                 " n_below " + std::to_string(c.at("n_below").get<int>()));
    const auto pairs = tpe::get_observation_pairs(trials, names, {dir}, liar);
    EXPECT_EQ(pairs.n_finished, c.at("n").get<int>());
    for (const auto& name : names) {
      const auto want = nums(c.at("values").at(name));
      const auto& got = pairs.values.at(name);
      ASSERT_EQ(got.size(), want.size()) << name;
      for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i])) {
          EXPECT_TRUE(std::isnan(got[i])) << name << "[" << i << "]";
        } else {
          EXPECT_EQ(got[i], want[i]) << name << "[" << i << "]";
        }
      }
    }
    ASSERT_EQ(pairs.scores.size(), c.at("scores").size());
    for (size_t i = 0; i < pairs.scores.size(); ++i) {
      EXPECT_EQ(pairs.scores[i].step_key, num(c.at("scores")[i][0])) << "score " << i;
      ASSERT_EQ(pairs.scores[i].values.size(), 1u);
      EXPECT_EQ(pairs.scores[i].values[0], num(c.at("scores")[i][1])) << "score " << i;
    }
    const auto [below, above] = tpe::split_observation_pairs(pairs.scores, c.at("n_below"));
    EXPECT_EQ(below, c.at("indices_below").get<std::vector<int>>());
    EXPECT_EQ(above, c.at("indices_above").get<std::vector<int>>());
    ++checked;
  }
  EXPECT_EQ(checked, 36);
}

}  // namespace
}  // namespace autoglm
