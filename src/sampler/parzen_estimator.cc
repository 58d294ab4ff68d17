// TPE kernels; see parzen_estimator.h for the sources and the contract of each function.
#include "sampler/parzen_estimator.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>

#include "autoglm/error.h"

namespace autoglm::tpe {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrt1_2 = 0.70710678118654752440;       // 1 / sqrt(2)
constexpr double kHalfLog2Pi = 0.91893853320467274178;    // log(sqrt(2 pi))
constexpr double kMinSigma = 1e-12;                        // sigma floor without magic clip
constexpr double kMultivariateSigmaScale = 0.2;            // BOHB's bandwidth factor

/// Phi(a) through erfc so that the left tail keeps full relative precision.
double ndtr(double a) { return 0.5 * std::erfc(-a * kSqrt1_2); }

/// log(exp(x) + exp(y)).
double log_add_exp(double x, double y) {
  if (x == -kInf) return y;
  if (y == -kInf) return x;
  double m = std::max(x, y);
  return m + std::log1p(std::exp(-std::abs(x - y)));
}

/// log(exp(lp) - exp(lq)) for lq <= lp.
double log_sub_exp(double lp, double lq) { return lp + std::log1p(-std::exp(lq - lp)); }

/// x with log_ndtr(x) = y (y <= 0), by bisection until the bracket stops shrinking.
double ndtri_exp(double y) {
  double lo = -100.0, hi = 100.0;
  for (int i = 0; i < 400; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (log_ndtr(mid) < y) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

bool is_log(const Distribution& d) {
  if (auto f = std::get_if<FloatDistribution>(&d)) return f->log;
  if (auto i = std::get_if<IntDistribution>(&d)) return i->log;
  return false;
}

/// Internal value -> the estimator's space (log for log distributions).
double to_parzen_space(const Distribution& d, double x) { return is_log(d) ? std::log(x) : x; }

/// The estimator's space -> internal value on the distribution's grid, inside its bounds.
double from_parzen_space(const Distribution& d, double x) {
  if (auto f = std::get_if<FloatDistribution>(&d)) {
    double v;
    if (f->log) v = std::exp(x);
    else if (f->step) v = std::nearbyint((x - f->low) / *f->step) * *f->step + f->low;
    else v = x;
    return std::clamp(v, f->low, f->high);
  }
  if (auto i = std::get_if<IntDistribution>(&d)) {
    double lo = static_cast<double>(i->low), hi = static_cast<double>(i->high);
    double v = i->log ? std::nearbyint(std::exp(x))
                      : std::nearbyint((x - lo) / static_cast<double>(i->step)) * static_cast<double>(i->step) + lo;
    return std::clamp(v, lo, hi);
  }
  return x;  // categorical index
}

std::vector<size_t> stable_argsort(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  return idx;
}

/// Non-domination rank of each point (0 = Pareto front), all objectives minimized.
std::vector<int> nondomination_ranks(const std::vector<std::vector<double>>& points) {
  const size_t n = points.size();
  auto dominates = [&](size_t a, size_t b) {
    bool strictly = false;
    for (size_t k = 0; k < points[a].size(); ++k) {
      if (points[a][k] > points[b][k]) return false;
      if (points[a][k] < points[b][k]) strictly = true;
    }
    return strictly;
  };
  std::vector<int> rank(n, -1);
  size_t ranked = 0;
  for (int r = 0; ranked < n; ++r) {
    std::vector<size_t> front;
    for (size_t i = 0; i < n; ++i) {
      if (rank[i] != -1) continue;
      bool dominated = false;
      for (size_t j = 0; j < n && !dominated; ++j)
        if (j != i && rank[j] == -1 && dominates(j, i)) dominated = true;
      if (!dominated) front.push_back(i);
    }
    for (size_t i : front) rank[i] = r;
    ranked += front.size();
  }
  return rank;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Standard normal helpers.

double log_ndtr(double a) {
  if (a > 6.0) return std::log1p(-ndtr(-a));
  if (a > -30.0) return std::log(ndtr(a));
  // Left tail: Phi(a) = phi(a) / (-a) * (1 - 1/a^2 + 3/a^4 - 15/a^6 + ...) (asymptotic series).
  const double inv_a2 = 1.0 / (a * a);
  double sum = 1.0, term = 1.0;
  for (int k = 1; k < 100; ++k) {
    term *= -(2.0 * k - 1.0) * inv_a2;
    double next = sum + term;
    if (next == sum) break;
    sum = next;
  }
  return -0.5 * a * a - std::log(-a) - kHalfLog2Pi + std::log(sum);
}

double log_gauss_mass(double a, double b) {
  if (b <= 0.0) return log_sub_exp(log_ndtr(b), log_ndtr(a));
  if (a > 0.0) return log_sub_exp(log_ndtr(-a), log_ndtr(-b));  // mirror into the left tail
  return std::log1p(-ndtr(a) - ndtr(-b));                     // mass around 0: no cancellation
}

double truncnorm_ppf(double q, double a, double b) {
  if (q <= 0.0) return a;
  if (q >= 1.0) return b;
  const double log_mass = log_gauss_mass(a, b);
  double x;
  if (a < 0.0) {
    x = ndtri_exp(log_add_exp(log_ndtr(a), std::log(q) + log_mass));
  } else {  // right of 0: work with the mirrored left tail
    x = -ndtri_exp(log_add_exp(log_ndtr(-b), std::log1p(-q) + log_mass));
  }
  return std::clamp(x, a, b);
}

// ---------------------------------------------------------------------------------------------
// Parzen estimator.

std::tuple<double, double, std::optional<double>> parzen_bounds(const Distribution& d) {
  if (auto f = std::get_if<FloatDistribution>(&d)) {
    if (f->log) return {std::log(f->low), std::log(f->high), std::nullopt};
    if (f->step) return {f->low - 0.5 * *f->step, f->high + 0.5 * *f->step, *f->step};
    return {f->low, f->high, std::nullopt};
  }
  if (auto i = std::get_if<IntDistribution>(&d)) {
    double lo = static_cast<double>(i->low), hi = static_cast<double>(i->high);
    if (i->log) return {std::log(lo - 0.5), std::log(hi + 0.5), std::nullopt};
    double q = static_cast<double>(i->step);
    return {lo - 0.5 * q, hi + 0.5 * q, q};
  }
  assert(false && "parzen_bounds of a categorical distribution");
  return {0.0, 0.0, std::nullopt};
}

ParzenEstimator::ParzenEstimator(const ParamColumns& observations, const SearchSpace& search_space,
                                 const ParzenEstimatorParameters& parameters)
    : search_space_(search_space), parameters_(parameters) {
  assert(!search_space.empty());
  n_observations_ = observations.empty() ? 0 : static_cast<int>(observations.begin()->second.size());
  const int n = n_observations_;
  const bool consider_prior = parameters.consider_prior || n == 0;

  // Component weights: the weights function for the observations, prior_weight for the prior.
  std::vector<double> w;
  if (n > 0) {
    if (!parameters.weights) throw ConfigError("TPE: the weights function is empty");
    w = parameters.weights(n);
    if (static_cast<int>(w.size()) < n)
      throw ConfigError("TPE: the weights function returned " + std::to_string(w.size()) + " values for " +
                        std::to_string(n) + " observations; it must return one per observation");
    w.resize(n);
    double sum = 0.0;
    for (double x : w) {
      if (!std::isfinite(x) || x < 0.0)
        throw ConfigError("TPE: the weights function returned " + std::to_string(x) + " for n = " +
                          std::to_string(n) + "; weights must be finite and >= 0");
      sum += x;
    }
    if (!(sum > 0.0))
      throw ConfigError("TPE: the weights function returned all zeros for n = " + std::to_string(n));
  }
  if (consider_prior) w.push_back(parameters.prior_weight);
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  weights_ = std::move(w);
  const size_t n_components = weights_.size();

  const double sigma0 =
      kMultivariateSigmaScale * std::pow(static_cast<double>(std::max(n, 1)),
                                         -1.0 / (static_cast<double>(observations.size()) + 4.0));

  for (const auto& [name, dist] : search_space) {
    const std::vector<double>& obs = observations.at(name);
    assert(static_cast<int>(obs.size()) == n);
    Kernel k;
    if (auto c = std::get_if<CategoricalDistribution>(&dist)) {
      k.categorical = true;
      const size_t n_choices = c->choices.size();
      const double base = parameters.prior_weight / static_cast<double>(consider_prior ? n + 1 : n);
      k.categorical_weights.assign(n_components, std::vector<double>(n_choices, base));
      for (int i = 0; i < n; ++i) {
        size_t choice = static_cast<size_t>(obs[i]);
        assert(choice < n_choices);
        k.categorical_weights[i][choice] += 1.0;
      }
      for (auto& row : k.categorical_weights) {
        double s = std::accumulate(row.begin(), row.end(), 0.0);
        for (double& x : row) x /= s;
      }
    } else {
      auto [low, high, q] = parzen_bounds(dist);
      assert(low < high);
      k.low = low;
      k.high = high;
      k.q = q;
      k.mus.reserve(n_components);
      for (double x : obs) k.mus.push_back(to_parzen_space(dist, x));
      if (consider_prior) k.mus.push_back(0.5 * (low + high));
      const size_t m = k.mus.size();
      k.sigmas.assign(m, 0.0);
      if (parameters.multivariate) {
        std::fill(k.sigmas.begin(), k.sigmas.end(), sigma0 * (high - low));
      } else {
        // Bandwidth of each component: the larger gap to its sorted neighbours, the bounds
        // acting as neighbours of the outermost points (Bergstra et al. 2011, sec. 4.1).
        const std::vector<size_t> order = stable_argsort(k.mus);
        std::vector<double> e(m + 2);
        e[0] = low;
        for (size_t j = 0; j < m; ++j) e[j + 1] = k.mus[order[j]];
        e[m + 1] = high;
        std::vector<double> s(m);
        for (size_t j = 0; j < m; ++j) s[j] = std::max(e[j + 1] - e[j], e[j + 2] - e[j + 1]);
        if (!parameters.consider_endpoints && m >= 2) {
          s[0] = e[2] - e[1];
          s[m - 1] = e[m] - e[m - 1];
        }
        for (size_t j = 0; j < m; ++j) k.sigmas[order[j]] = s[j];
      }
      const double max_sigma = high - low;
      const double min_sigma =
          parameters.consider_magic_clip ? (high - low) / std::min(100.0, 1.0 + static_cast<double>(m)) : kMinSigma;
      for (double& x : k.sigmas) x = std::clamp(x, min_sigma, max_sigma);
      if (consider_prior) k.sigmas[n] = high - low;
    }
    kernels_.emplace(name, std::move(k));
  }
}

ParamColumns ParzenEstimator::sample(std::mt19937_64& rng, int size) const {
  // Component of each sample, drawn by weight (inverse CDF of the cumulative weights).
  std::vector<double> cdf(weights_.size());
  std::partial_sum(weights_.begin(), weights_.end(), cdf.begin());
  std::vector<size_t> active(size);
  for (int i = 0; i < size; ++i) {
    double u = uniform01(rng) * cdf.back();
    size_t j = static_cast<size_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    active[i] = std::min(j, cdf.size() - 1);
  }
  ParamColumns out;
  for (const auto& [name, dist] : search_space_) {
    const Kernel& k = kernels_.at(name);
    std::vector<double> col(size);
    for (int i = 0; i < size; ++i) {
      const size_t c = active[i];
      if (k.categorical) {
        const auto& row = k.categorical_weights[c];
        double u = uniform01(rng), cum = 0.0;
        size_t choice = 0;
        for (; choice + 1 < row.size(); ++choice) {
          cum += row[choice];
          if (cum >= u) break;
        }
        col[i] = static_cast<double>(choice);
      } else {
        const double mu = k.mus[c], sigma = k.sigmas[c];
        double x = truncnorm_ppf(uniform01(rng), (k.low - mu) / sigma, (k.high - mu) / sigma) * sigma + mu;
        col[i] = from_parzen_space(dist, x);
      }
    }
    out.emplace(name, std::move(col));
  }
  return out;
}

std::vector<double> ParzenEstimator::log_pdf(const ParamColumns& samples) const {
  const size_t n_samples = samples.empty() ? 0 : samples.begin()->second.size();
  const size_t m = weights_.size();
  std::vector<double> acc(n_samples * m, 0.0);  // (n_samples, n_components) component log-pdfs
  for (const auto& [name, dist] : search_space_) {
    const Kernel& k = kernels_.at(name);
    const std::vector<double>& xs = samples.at(name);
    assert(xs.size() == n_samples);
    if (k.categorical) {
      for (size_t i = 0; i < n_samples; ++i) {
        size_t choice = static_cast<size_t>(xs[i]);
        for (size_t c = 0; c < m; ++c) acc[i * m + c] += std::log(k.categorical_weights[c][choice]);
      }
      continue;
    }
    // Mass of each component inside the bounds (the truncation normalizer).
    std::vector<double> log_accept(m);
    for (size_t c = 0; c < m; ++c)
      log_accept[c] = log_gauss_mass((k.low - k.mus[c]) / k.sigmas[c], (k.high - k.mus[c]) / k.sigmas[c]);
    for (size_t i = 0; i < n_samples; ++i) {
      const double x = to_parzen_space(dist, xs[i]);
      for (size_t c = 0; c < m; ++c) {
        const double mu = k.mus[c], sigma = k.sigmas[c];
        double lp;
        if (k.q) {  // probability of the step cell around x
          const double upper = std::min(x + 0.5 * *k.q, k.high), lower = std::max(x - 0.5 * *k.q, k.low);
          lp = log_gauss_mass((lower - mu) / sigma, (upper - mu) / sigma) - log_accept[c];
        } else if (x < k.low || x > k.high) {
          lp = -kInf;
        } else {
          const double z = (x - mu) / sigma;
          lp = -0.5 * z * z - kHalfLog2Pi - log_accept[c];
          if (parameters_.exact_log_pdf) lp -= std::log(sigma);
        }
        acc[i * m + c] += lp;
      }
    }
  }
  std::vector<double> out(n_samples);
  std::vector<double> log_w(m);
  for (size_t c = 0; c < m; ++c) log_w[c] = std::log(weights_[c]);
  for (size_t i = 0; i < n_samples; ++i) {
    double mx = -kInf;
    for (size_t c = 0; c < m; ++c) mx = std::max(mx, acc[i * m + c] += log_w[c]);
    if (mx == -kInf) { out[i] = -kInf; continue; }
    double s = 0.0;
    for (size_t c = 0; c < m; ++c) s += std::exp(acc[i * m + c] - mx);
    out[i] = std::log(s) + mx;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Observations.

ObservationPairs get_observation_pairs(const std::vector<FrozenTrial>& trials, const std::vector<std::string>& names,
                                       const std::vector<StudyDirection>& directions, bool constant_liar,
                                       const SearchSpace* reference) {
  const bool multi = directions.size() > 1;
  std::vector<double> signs;
  for (auto d : directions) signs.push_back(d == StudyDirection::MINIMIZE ? 1.0 : -1.0);
  ObservationPairs out;
  for (const auto& name : names) out.values[name];
  for (const FrozenTrial& t : trials) {
    Score score;
    if (t.state == TrialState::COMPLETE) {
      if (t.values.size() != directions.size()) continue;
      score.step_key = -kInf;
      for (size_t k = 0; k < signs.size(); ++k) score.values.push_back(signs[k] * t.values[k]);
      ++out.n_finished;
    } else if (t.state == TrialState::PRUNED) {
      if (multi) continue;
      if (!t.intermediate_values.empty()) {
        const auto& [step, value] = *t.intermediate_values.rbegin();
        score.step_key = -static_cast<double>(step);
        score.values.push_back(std::isnan(value) ? kInf : signs[0] * value);
      } else {
        score.step_key = 1.0;
        score.values.push_back(0.0);
      }
      ++out.n_finished;
    } else if (t.state == TrialState::RUNNING) {
      if (multi || !constant_liar) continue;
      score.step_key = kInf;
      score.values.push_back(signs[0] * kInf);  // as Optuna 3.1: -inf when maximizing; ranks last by step_key
    } else {
      continue;
    }
    out.scores.push_back(std::move(score));
    for (const auto& name : names) {
      double v = std::numeric_limits<double>::quiet_NaN();
      auto it = t.params.find(name);
      if (it != t.params.end()) {
        v = it->second;
        if (reference) {
          auto ref = reference->find(name);
          auto dist = t.distributions.find(name);
          if (ref != reference->end() && dist != t.distributions.end() && dist->second.index() != ref->second.index())
            v = std::numeric_limits<double>::quiet_NaN();
        }
      }
      out.values[name].push_back(v);
    }
  }
  return out;
}

std::pair<std::vector<int>, std::vector<int>> split_observation_pairs(const std::vector<Score>& scores, int n_below) {
  const int n = static_cast<int>(scores.size());
  n_below = std::clamp(n_below, 0, n);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  const bool multi = n > 0 && scores[0].values.size() > 1;
  if (!multi) {
    auto less_value = [](double a, double b) {  // NaN sorts last, as numpy
      if (std::isnan(a)) return false;
      if (std::isnan(b)) return true;
      return a < b;
    };
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
      if (scores[a].step_key != scores[b].step_key) return scores[a].step_key < scores[b].step_key;
      return less_value(scores[a].values[0], scores[b].values[0]);
    });
  } else {
    std::vector<std::vector<double>> points;
    for (const auto& s : scores) points.push_back(s.values);
    const std::vector<int> rank = nondomination_ranks(points);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return rank[a] < rank[b]; });
  }
  std::vector<int> below(order.begin(), order.begin() + n_below), above(order.begin() + n_below, order.end());
  std::sort(below.begin(), below.end());
  std::sort(above.begin(), above.end());
  return {below, above};
}

int argmax_log_ratio(const std::vector<double>& log_l, const std::vector<double>& log_g) {
  assert(!log_l.empty() && log_l.size() == log_g.size());
  int best = 0;
  double best_score = -kInf;
  for (size_t i = 0; i < log_l.size(); ++i) {
    double s = log_l[i] - log_g[i];
    if (std::isnan(s)) s = -kInf;
    if (s > best_score) { best_score = s; best = static_cast<int>(i); }
  }
  return best;
}

std::map<std::string, double> sample_and_compare(const ParamColumns& below, const ParamColumns& above,
                                                 const SearchSpace& search_space,
                                                 const ParzenEstimatorParameters& parameters,
                                                 int n_candidates, std::mt19937_64& rng, std::mutex* rng_mutex) {
  const ParzenEstimator l(below, search_space, parameters);
  const ParzenEstimator g(above, search_space, parameters);
  ParamColumns candidates;
  if (rng_mutex) {
    std::lock_guard<std::mutex> lock(*rng_mutex);
    candidates = l.sample(rng, n_candidates);
  } else {
    candidates = l.sample(rng, n_candidates);
  }
  const int best = argmax_log_ratio(l.log_pdf(candidates), g.log_pdf(candidates));
  std::map<std::string, double> out;
  for (const auto& [name, col] : candidates) out[name] = col[best];
  return out;
}

}  // namespace autoglm::tpe
