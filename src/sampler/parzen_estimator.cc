// TPE kernels; see parzen_estimator.h for the sources and the contract of each function.
#include "sampler/parzen_estimator.h"
#include "sampler/normal_quantile.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>
#include <type_traits>
#include <unordered_map>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "autoglm/error.h"
#include "autoglm/pareto.h"

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

/// x with log_ndtr(x) = y (y <= 0): the point where the predicate log_ndtr(x) < y turns false,
/// to the last bit, as a bisection of [-100, 100] until the bracket stops shrinking finds it. The
/// bisection runs on a bracket of a few ulps around a Newton estimate (verified by the predicate and
/// widened when needed), so it takes ~10 evaluations of log_ndtr instead of ~65; where the
/// predicate is monotone the answer is the same double.
double ndtri_exp(double y) {
  constexpr double kLo = -100.0, kHi = 100.0;
  auto below = [y](double x) { return log_ndtr(x) < y; };
  double x = std::clamp(detail::acklam_ndtri_exp(y), kLo, kHi);
  for (int i = 0; i < 6 && std::isfinite(x); ++i) {  // Newton on log_ndtr(x) - y
    const double f = log_ndtr(x);
    const double slope = std::exp(-0.5 * x * x - kHalfLog2Pi - f);  // d/dx log Phi = phi / Phi
    if (!(slope > 0.0) || !std::isfinite(slope)) break;
    const double step = (f - y) / slope;
    x = std::clamp(x - step, kLo, kHi);
    if (std::abs(step) <= 1e-15 * std::abs(x) + 1e-300) break;
  }
  if (!std::isfinite(x)) x = 0.0;
  // Bracket [lo, hi] with below(lo) and !below(hi) (the ends of [-100, 100] count as such, as
  // they do for the plain bisection), widened geometrically from a few ulps.
  double lo = kLo, hi = kHi;
  const double width0 = 8.0 * std::numeric_limits<double>::epsilon() * std::max(std::abs(x), 1e-290);
  if (below(x)) {
    lo = x;
    for (double w = width0; lo + w < kHi; w *= 16.0)
      if (!below(lo + w)) { hi = lo + w; break; }
  } else {
    hi = x;
    for (double w = width0; hi - w > kLo; w *= 16.0)
      if (below(hi - w)) { lo = hi - w; break; }
  }
  for (int i = 0; i < 400; ++i) {
    double mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (below(mid)) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

bool is_log(const Distribution& d) {
  if (auto f = std::get_if<FloatDistribution>(&d)) return f->log;
  if (auto i = std::get_if<IntDistribution>(&d)) return i->log;
  return false;
}


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

// ---- vectorized exp and mixture sums (GCC / Clang vector extensions; one SSE2 intrinsic) ----
// exp(y) for y <= 0 as 2^k * p(r), y = k ln 2 + r, |r| <= ln 2 / 2 (Cody-Waite reduction, Taylor
// polynomial of degree 13, truncation error < 5e-18), accurate to 1 ulp (on 120,000 arguments in
// [-700, 0] it agreed with glibc's exp in 90% of them and differed by one ulp in the others).
// Inputs below -708 are raised to -708 (exp(-708) ~ 3e-308, which vanishes in a mixture sum that
// contains exp(0) = 1). The code is written once for 2 lanes (SSE2, every x86-64) and 4 lanes
// (compiled for AVX2 and chosen at run time); both perform the same IEEE operations (no FMA
// contraction), so they give identical results. Vectors are passed by reference: 32-byte vectors
// by value would change the ABI.
using V2d = double __attribute__((vector_size(16)));
using V2u = uint64_t __attribute__((vector_size(16)));
using V4d = double __attribute__((vector_size(32)));
using V4u = uint64_t __attribute__((vector_size(32)));
template <class V> struct Lanes;
template <> struct Lanes<V2d> { using U = V2u; static constexpr size_t kN = 2; };
template <> struct Lanes<V4d> { using U = V4u; static constexpr size_t kN = 4; };

#define AUTOGLM_ALWAYS_INLINE inline __attribute__((always_inline))

/// a = std::max(a, b) by lane (bit operations: a vector `?:` is scalarized on some targets).
template <class V>
AUTOGLM_ALWAYS_INLINE void max_into(V& a, const V& b) {
  using U = typename Lanes<V>::U;
  const U take_b = reinterpret_cast<U>(a < b);
  a = reinterpret_cast<V>((reinterpret_cast<U>(b) & take_b) | (reinterpret_cast<U>(a) & ~take_b));
}

/// y = exp(y) by lane, for y <= 0.
template <class V>
AUTOGLM_ALWAYS_INLINE void exp_nonpositive(V& y) {
  using U = typename Lanes<V>::U;
  V floor = V{} - 708.0;
  max_into(floor, y);
  const V x = floor;
  constexpr double kShift = 0x1.8p52;  // adding it rounds to an integer kept in the low mantissa bits
  const V t = x * 1.4426950408889634074 + kShift;
  const V k = t - kShift;
  const V r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  // p(r) = 1 + r + r^2/2 + r^3 h(r), h of degree 10 by Estrin's scheme (short dependency chains);
  // the last three steps by Horner, so the rounding of the large terms is Horner's.
  const V r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const V q0 = r * (1.0 / 24) + 1.0 / 6, q1 = r * (1.0 / 720) + 1.0 / 120, q2 = r * (1.0 / 40320) + 1.0 / 5040,
          q3 = r * (1.0 / 3628800) + 1.0 / 362880, q4 = r * (1.0 / 479001600) + 1.0 / 39916800;
  const V s0 = q1 * r2 + q0, s1 = q3 * r2 + q2, s2 = r2 * (1.0 / 6227020800.0) + q4;
  const V h = (s1 * r4 + s0) + s2 * r8;
  const V p = ((h * r + 0.5) * r + 1.0) * r + 1.0;
  y = reinterpret_cast<V>(reinterpret_cast<U>(p) + (reinterpret_cast<U>(t) << 52));  // p * 2^k
}

template <class V>
AUTOGLM_ALWAYS_INLINE void load(V& v, const double* x) { std::memcpy(&v, x, sizeof v); }
template <class V>
AUTOGLM_ALWAYS_INLINE void store(double* x, const V& v) { std::memcpy(x, &v, sizeof v); }

/// sum += exp(t_c - mx) for c = 0, 1, ..., m - 1 in this order, by lane; t_c is the vector at
/// terms + c * lanes (unaligned storage: vectors in std::vector may not get their alignment), or at
/// terms + index[c] * lanes when `index` is given.
template <class V>
AUTOGLM_ALWAYS_INLINE void add_exps(V& sum, const double* terms, size_t m, const V& mx,
                                    const uint32_t* index = nullptr) {
  constexpr size_t kN = Lanes<V>::kN;
  auto at = [&](size_t c) { return terms + (index ? index[c] : c) * kN; };
  size_t c = 0;
  for (; c + 2 <= m; c += 2) {  // two independent exp chains per step; the sum stays in order
    V e0, e1;
    load(e0, at(c));
    load(e1, at(c + 1));
    e0 -= mx;
    e1 -= mx;
    exp_nonpositive(e0);
    exp_nonpositive(e1);
    sum += e0;
    sum += e1;
  }
  if (c < m) {
    V e;
    load(e, at(c));
    e -= mx;
    exp_nonpositive(e);
    sum += e;
  }
}

/// Inputs of continuous_mixture.
struct MixtureInput {
  const double* px;  ///< points, shape (n_points), a multiple of 4
  size_t n_points;
  size_t m;          ///< components
  const double *mus, *sigmas, *log_mass, *log_sigma /* kExact only */, *log_w;
};

/// Terms more than this below the largest one are left out of a mixture sum: each is below
/// e^-50 ~ 2e-22 of the sum, so together (for up to 10^5 components) they stay below a fifth of an
/// ulp of it.
constexpr double kNegligibleLogRatio = 50.0;

/// Whether a < b in any lane.
template <class V>
AUTOGLM_ALWAYS_INLINE bool any_less(const V& a, const V& b) {
#if defined(__x86_64__)
  const auto mask = reinterpret_cast<typename Lanes<V>::U>(a < b);
  if constexpr (Lanes<V>::kN == 4) {
    const V2u halves = V2u{mask[0], mask[1]} | V2u{mask[2], mask[3]};
    return _mm_movemask_pd(reinterpret_cast<__m128d>(halves)) != 0;
  } else {
    return _mm_movemask_pd(reinterpret_cast<__m128d>(mask)) != 0;
  }
#else
  const auto mask = a < b;
  uint64_t any = 0;
  for (size_t i = 0; i < Lanes<V>::kN; ++i) any |= static_cast<uint64_t>(mask[i]);
  return any != 0;
#endif
}

/// The log-sum-exp over the m components of a univariate continuous mixture at the points px: for
/// each point, the terms t_c = log w_c + log N_c(x) (Optuna 3.1's density: -z^2 / 2 - log sqrt(2 pi)
/// - log mass_c, and - log sigma_c when kExact), their maximum mx and sum_c exp(t_c - mx) with the
/// components in order, leaving out the components whose terms are negligible (see
/// kNegligibleLogRatio) in every lane of a vector. Writes mx and sum (shape (n_points)).
template <class V, bool kExact>
AUTOGLM_ALWAYS_INLINE void continuous_mixture(const MixtureInput& in, double* mx_out, double* sum_out) {
  constexpr size_t kN = Lanes<V>::kN;
  std::vector<double> terms(in.m * kN);
  std::vector<uint32_t> kept(in.m);
  for (size_t b = 0; b < in.n_points; b += kN) {
    V x;
    load(x, in.px + b);
    // Two running maxima (even and odd components) so that the comparisons do not wait on each
    // other; the maximum is the same in any order.
    V mx = V{} - std::numeric_limits<double>::infinity(), mx_odd = mx;
    auto term = [&](V& t, size_t c) {
      const V z = (x - in.mus[c]) / in.sigmas[c];
      t = -0.5 * z * z - kHalfLog2Pi - in.log_mass[c];
      if constexpr (kExact) t = t - in.log_sigma[c];
      t = t + in.log_w[c];
      store(&terms[c * kN], t);
    };
    size_t c = 0;
    for (; c + 2 <= in.m; c += 2) {
      V t0, t1;
      term(t0, c);
      term(t1, c + 1);
      max_into(mx, t0);
      max_into(mx_odd, t1);
    }
    if (c < in.m) {
      V t;
      term(t, c);
      max_into(mx, t);
    }
    max_into(mx, mx_odd);
    // The components that matter in some lane, in order (branch-free: the index is always written
    // and the count advances when it is kept).
    const V cut = mx - kNegligibleLogRatio;
    size_t n_kept = 0;
    for (size_t c = 0; c < in.m; ++c) {
      V t;
      load(t, &terms[c * kN]);
      kept[n_kept] = static_cast<uint32_t>(c);
      n_kept += any_less(cut, t) ? 1 : 0;
    }
    V sum = V{};
    add_exps(sum, terms.data(), n_kept, mx, kept.data());
    store(mx_out + b, mx);
    store(sum_out + b, sum);
  }
}

void continuous_mixture_sse2(const MixtureInput& in, bool exact, double* mx, double* sum) {
  if (exact) continuous_mixture<V2d, true>(in, mx, sum);
  else continuous_mixture<V2d, false>(in, mx, sum);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define AUTOGLM_MIXTURE_AVX2 1
__attribute__((target("avx2"))) void continuous_mixture_avx2(const MixtureInput& in, bool exact, double* mx,
                                                             double* sum) {
  if (exact) continuous_mixture<V4d, true>(in, mx, sum);
  else continuous_mixture<V4d, false>(in, mx, sum);
}
#endif

/// The AVX2 version where the processor has it (twice the lanes), else SSE2; same results.
void continuous_mixture(const MixtureInput& in, bool exact, double* mx, double* sum) {
#ifdef AUTOGLM_MIXTURE_AVX2
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return continuous_mixture_avx2(in, exact, mx, sum);
#endif
  continuous_mixture_sse2(in, exact, mx, sum);
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

double to_parzen_space(const Distribution& d, double x) { return is_log(d) ? std::log(x) : x; }

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

std::vector<double> ParzenEstimator::component_weights(int n, bool consider_prior,
                                                       const ParzenEstimatorParameters& parameters) {
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
  return w;
}

void ParzenEstimator::univariate_sigmas(Kernel& k, const std::vector<size_t>& order, bool consider_prior, int n,
                                        const ParzenEstimatorParameters& parameters) {
  // Bandwidth of each component: the larger gap to its sorted neighbours, the bounds acting as
  // neighbours of the outermost points (Bergstra et al. 2011, sec. 4.1).
  const double low = k.low, high = k.high;
  const size_t m = k.mus.size();
  k.sigmas.assign(m, 0.0);
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
  const double max_sigma = high - low;
  const double min_sigma =
      parameters.consider_magic_clip ? (high - low) / std::min(100.0, 1.0 + static_cast<double>(m)) : kMinSigma;
  for (double& x : k.sigmas) x = std::clamp(x, min_sigma, max_sigma);
  if (consider_prior) k.sigmas[n] = high - low;
}

ParzenEstimator::ParzenEstimator(const ParamColumns& observations, const SearchSpace& search_space,
                                 const ParzenEstimatorParameters& parameters)
    : search_space_(search_space), parameters_(parameters) {
  assert(!search_space.empty());
  n_observations_ = observations.empty() ? 0 : static_cast<int>(observations.begin()->second.size());
  const int n = n_observations_;
  const bool consider_prior = parameters.consider_prior || n == 0;
  weights_ = component_weights(n, consider_prior, parameters);
  const size_t n_components = weights_.size();
  log_weights_.resize(n_components);
  for (size_t c = 0; c < n_components; ++c) log_weights_[c] = std::log(weights_[c]);

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
      if (parameters.multivariate) {
        const size_t m = k.mus.size();
        k.sigmas.assign(m, sigma0 * (high - low));
        const double max_sigma = high - low;
        const double min_sigma = parameters.consider_magic_clip
                                     ? (high - low) / std::min(100.0, 1.0 + static_cast<double>(m))
                                     : kMinSigma;
        for (double& x : k.sigmas) x = std::clamp(x, min_sigma, max_sigma);
        if (consider_prior) k.sigmas[n] = high - low;
      } else {
        univariate_sigmas(k, stable_argsort(k.mus), consider_prior, n, parameters);
      }
      k.log_mass.resize(k.mus.size());
      for (size_t c = 0; c < k.mus.size(); ++c)
        k.log_mass[c] = log_gauss_mass((low - k.mus[c]) / k.sigmas[c], (high - k.mus[c]) / k.sigmas[c]);
    }
    kernels_.emplace(name, std::move(k));
  }
}

ParzenEstimator ParzenEstimator::univariate(const std::string& name, const Distribution& distribution,
                                            const std::vector<double>& xs, const std::vector<int>& order,
                                            const ParzenEstimatorParameters& parameters, const std::vector<int>* ids,
                                            MassMemo* memo, WeightsMemo* weights_memo) {
  assert(!parameters.multivariate && !std::holds_alternative<CategoricalDistribution>(distribution));
  assert(order.size() == xs.size() && (!ids || ids->size() == xs.size()));
  ParzenEstimator pe;
  pe.search_space_.emplace(name, distribution);
  pe.parameters_ = parameters;
  const int n = static_cast<int>(xs.size());
  pe.n_observations_ = n;
  const bool consider_prior = parameters.consider_prior || n == 0;
  if (weights_memo && weights_memo->n == n && weights_memo->consider_prior == consider_prior) {
    pe.weights_ = weights_memo->weights;
    pe.log_weights_ = weights_memo->log_weights;
  } else {
    pe.weights_ = component_weights(n, consider_prior, parameters);
    pe.log_weights_.resize(pe.weights_.size());
    for (size_t c = 0; c < pe.weights_.size(); ++c) pe.log_weights_[c] = std::log(pe.weights_[c]);
    if (weights_memo) *weights_memo = WeightsMemo{n, consider_prior, pe.weights_, pe.log_weights_};
  }

  Kernel k;
  auto [low, high, q] = parzen_bounds(distribution);
  assert(low < high);
  k.low = low;
  k.high = high;
  k.q = q;
  k.mus.reserve(pe.weights_.size());
  for (double x : xs) k.mus.push_back(to_parzen_space(distribution, x));
  // The stable argsort of the mus: the caller's order, with the prior (the last index) after every
  // observation that is <= the prior's mean.
  std::vector<size_t> full_order;
  full_order.reserve(k.mus.size());
  if (consider_prior) {
    const double mid = 0.5 * (low + high);
    k.mus.push_back(mid);
    auto split = std::partition_point(order.begin(), order.end(), [&](int i) { return k.mus[i] <= mid; });
    full_order.assign(order.begin(), split);
    full_order.push_back(static_cast<size_t>(n));
    full_order.insert(full_order.end(), split, order.end());
  } else {
    full_order.assign(order.begin(), order.end());
  }
  univariate_sigmas(k, full_order, consider_prior, n, parameters);
  k.log_mass.resize(k.mus.size());
  for (size_t c = 0; c < k.mus.size(); ++c) {
    const double sigma = k.sigmas[c];
    const bool memoized = memo && ids && c < static_cast<size_t>(n);
    if (memoized) {
      const size_t id = static_cast<size_t>((*ids)[c]);
      if (id >= memo->sigma.size()) {
        memo->sigma.resize(id + 1, std::numeric_limits<double>::quiet_NaN());
        memo->log_mass.resize(id + 1, 0.0);
      }
      if (memo->sigma[id] == sigma) {  // same component as before (mu is the observation's value)
        k.log_mass[c] = memo->log_mass[id];
        continue;
      }
      k.log_mass[c] = log_gauss_mass((low - k.mus[c]) / sigma, (high - k.mus[c]) / sigma);
      memo->sigma[id] = sigma;
      memo->log_mass[id] = k.log_mass[c];
    } else {
      k.log_mass[c] = log_gauss_mass((low - k.mus[c]) / sigma, (high - k.mus[c]) / sigma);
    }
  }
  pe.kernels_.emplace(name, std::move(k));
  return pe;
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

namespace {

/// acc[c * padded + i] += log P_c(cell of x_i) for a stepped kernel (step floats, ints): the mass of
/// component c on the step cell around sample i, truncation-normalized. The cell masses
/// (log_gauss_mass, erfc-based, the costly part) are computed once per distinct sample value and
/// distinct component (mu, sigma): discrete samples repeat, and so do observations and bandwidths.
/// Every term is the value the plain double loop computes.
void add_cell_log_probabilities(const ParzenEstimator::Kernel& k, const std::vector<double>& px, size_t n_samples,
                                size_t padded, std::vector<double>& acc) {
  const size_t m = k.mus.size();
  const double q = *k.q;
  std::vector<double> values(px.begin(), px.begin() + static_cast<std::ptrdiff_t>(n_samples));
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::vector<size_t> value_of(n_samples);
  for (size_t i = 0; i < n_samples; ++i)
    value_of[i] = static_cast<size_t>(std::lower_bound(values.begin(), values.end(), px[i]) - values.begin());
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9E3779B97F4A7C15ULL ^ p.second);
    }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, size_t, PairHash> group_of_key;
  group_of_key.reserve(2 * m);
  std::vector<size_t> group(m);
  std::vector<size_t> first_of_group;  // a component of each group
  for (size_t c = 0; c < m; ++c) {
    std::pair<uint64_t, uint64_t> key;
    std::memcpy(&key.first, &k.mus[c], sizeof(double));
    std::memcpy(&key.second, &k.sigmas[c], sizeof(double));
    auto [it, fresh] = group_of_key.emplace(key, first_of_group.size());
    if (fresh) first_of_group.push_back(c);
    group[c] = it->second;
  }
  const size_t n_values = values.size();
  std::vector<double> mass(first_of_group.size() * n_values);
  for (size_t g = 0; g < first_of_group.size(); ++g) {
    const double mu = k.mus[first_of_group[g]], sigma = k.sigmas[first_of_group[g]];
    for (size_t u = 0; u < n_values; ++u) {
      const double x = values[u];
      const double upper = std::min(x + 0.5 * q, k.high), lower = std::max(x - 0.5 * q, k.low);
      mass[g * n_values + u] = log_gauss_mass((lower - mu) / sigma, (upper - mu) / sigma);
    }
  }
  for (size_t c = 0; c < m; ++c) {
    const double* masses = &mass[group[c] * n_values];
    double* row = &acc[c * padded];
    for (size_t i = 0; i < n_samples; ++i) row[i] += masses[value_of[i]] - k.log_mass[c];
  }
}

}  // namespace

// log_pdf works on pairs of samples (V2d lanes), so the mixture sum of each sample still runs over
// the components in order (c = 0, 1, ..., the prior last), as the scalar reference sums them, and
// each lane computes the same IEEE operations as the scalar code; only exp differs (see
// exp_nonpositive).
std::vector<double> ParzenEstimator::log_pdf(const ParamColumns& samples) const {
  const size_t n_samples = samples.empty() ? 0 : samples.begin()->second.size();
  const size_t m = weights_.size();
  if (n_samples == 0) return {};
  const size_t padded = (n_samples + 3) / 4 * 4;  // whole vectors of 2 or 4 lanes
  const std::vector<double>& log_w = log_weights_;

  // Samples of one parameter in the estimator's space, padded with the centre of the range.
  auto transformed = [&](const std::string& name, const Distribution& dist, const Kernel& k) {
    const std::vector<double>& xs = samples.at(name);
    assert(xs.size() == n_samples);
    std::vector<double> px(padded, 0.5 * (k.low + k.high));
    for (size_t i = 0; i < n_samples; ++i) px[i] = to_parzen_space(dist, xs[i]);
    return px;
  };

  std::vector<double> out(n_samples);
  std::vector<double> mx(padded, -kInf), sum(padded, 0.0);
  const auto& [first_name, first_dist] = *search_space_.begin();
  const Kernel& first = kernels_.at(first_name);

  if (search_space_.size() == 1 && !first.categorical && !first.q) {
    // One continuous parameter (every independent TPE suggestion of a float). Samples outside the
    // bounds (density 0, every component term -inf) get -inf at the end; their lanes compute
    // something finite meanwhile.
    const Kernel& k = first;
    const std::vector<double> raw = transformed(first_name, first_dist, k);
    std::vector<char> outside(n_samples, 0);
    // The points sorted by value, so that each vector holds neighbours and far components can be
    // left out for all of its lanes at once (padding: the centre of the range).
    std::vector<size_t> rank(n_samples);
    std::iota(rank.begin(), rank.end(), 0);
    std::sort(rank.begin(), rank.end(),
              [&](size_t a, size_t b) { return raw[a] < raw[b] || (raw[a] == raw[b] && a < b); });
    std::vector<double> px(padded, 0.5 * (k.low + k.high));
    for (size_t j = 0; j < n_samples; ++j) {
      const size_t i = rank[j];
      if (raw[i] < k.low || raw[i] > k.high) outside[i] = 1;
      else px[j] = raw[i];
    }
    std::vector<double> mx_sorted(padded), sum_sorted(padded);
    std::vector<double> log_sigma;
    if (parameters_.exact_log_pdf) {
      log_sigma.resize(m);
      for (size_t c = 0; c < m; ++c) log_sigma[c] = std::log(k.sigmas[c]);
    }
    const MixtureInput in{px.data(), padded, m, k.mus.data(), k.sigmas.data(), k.log_mass.data(), log_sigma.data(),
                          log_w.data()};
    continuous_mixture(in, parameters_.exact_log_pdf, mx_sorted.data(), sum_sorted.data());
    for (size_t j = 0; j < n_samples; ++j) {
      const size_t i = rank[j];
      mx[i] = outside[i] ? -kInf : mx_sorted[j];
      sum[i] = sum_sorted[j];
    }
  } else {
    // General case: accumulate the log-density of every component (shape (m, padded),
    // component-major) parameter by parameter, in the order of the search space.
    std::vector<double> acc(m * padded, 0.0);
    for (const auto& [name, dist] : search_space_) {
      const Kernel& k = kernels_.at(name);
      if (k.categorical) {
        const std::vector<double>& xs = samples.at(name);
        for (size_t c = 0; c < m; ++c)
          for (size_t i = 0; i < n_samples; ++i)
            acc[c * padded + i] += std::log(k.categorical_weights[c][static_cast<size_t>(xs[i])]);
        continue;
      }
      const std::vector<double> px = transformed(name, dist, k);
      if (k.q) {
        add_cell_log_probabilities(k, px, n_samples, padded, acc);
        continue;
      }
      for (size_t c = 0; c < m; ++c) {
        const double mu = k.mus[c], sigma = k.sigmas[c];
        double* row = &acc[c * padded];
        for (size_t i = 0; i < n_samples; ++i) {
          const double x = px[i];
          double lp;
          if (x < k.low || x > k.high) {
            lp = -kInf;
          } else {
            const double z = (x - mu) / sigma;
            lp = -0.5 * z * z - kHalfLog2Pi - k.log_mass[c];
            if (parameters_.exact_log_pdf) lp -= std::log(sigma);
          }
          row[i] += lp;
        }
      }
    }
    for (size_t c = 0; c < m; ++c) {
      double* row = &acc[c * padded];
      for (size_t i = 0; i < n_samples; ++i) mx[i] = std::max(mx[i], row[i] += log_w[c]);
    }
    std::vector<double> terms(2 * m);
    for (size_t b = 0; b < padded; b += 2) {
      for (size_t c = 0; c < m; ++c) {
        terms[2 * c] = acc[c * padded + b];
        terms[2 * c + 1] = acc[c * padded + b + 1];
      }
      V2d mb, sb = V2d{};
      load(mb, &mx[b]);
      add_exps(sb, terms.data(), m, mb);
      store(&sum[b], sb);
    }
  }
  for (size_t i = 0; i < n_samples; ++i) out[i] = mx[i] == -kInf ? -kInf : std::log(sum[i]) + mx[i];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Observations.

std::optional<Score> observation_score(const FrozenTrial& t, const std::vector<StudyDirection>& directions,
                                       bool constant_liar) {
  const bool multi = directions.size() > 1;
  Score score;
  if (t.state == TrialState::COMPLETE) {
    if (t.values.size() != directions.size()) return std::nullopt;
    score.step_key = -kInf;
    score.values.reserve(directions.size());
    for (size_t k = 0; k < directions.size(); ++k)
      score.values.push_back((directions[k] == StudyDirection::MINIMIZE ? 1.0 : -1.0) * t.values[k]);
  } else if (t.state == TrialState::PRUNED) {
    if (multi) return std::nullopt;
    const double sign = directions[0] == StudyDirection::MINIMIZE ? 1.0 : -1.0;
    if (!t.intermediate_values.empty()) {
      const auto& [step, value] = *t.intermediate_values.rbegin();
      score.step_key = -static_cast<double>(step);
      score.values.push_back(std::isnan(value) ? kInf : sign * value);
    } else {
      score.step_key = 1.0;
      score.values.push_back(0.0);
    }
  } else if (t.state == TrialState::RUNNING) {
    if (multi || !constant_liar) return std::nullopt;
    const double sign = directions[0] == StudyDirection::MINIMIZE ? 1.0 : -1.0;
    score.step_key = kInf;
    score.values.push_back(sign * kInf);  // as Optuna 3.1: -inf when maximizing; ranks last by step_key
  } else {
    return std::nullopt;
  }
  return score;
}

ObservationPairs get_observation_pairs(const std::vector<const FrozenTrial*>& trials,
                                       const std::vector<std::string>& names,
                                       const std::vector<StudyDirection>& directions, bool constant_liar,
                                       const SearchSpace* reference) {
  ObservationPairs out;
  for (const auto& name : names) out.values[name];
  for (const FrozenTrial* tp : trials) {
    const FrozenTrial& t = *tp;
    std::optional<Score> score = observation_score(t, directions, constant_liar);
    if (!score) continue;
    if (t.state != TrialState::RUNNING) ++out.n_finished;
    out.scores.push_back(std::move(*score));
    out.violations.push_back(constraint_violation(t));
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

ObservationPairs get_observation_pairs(const std::vector<FrozenTrial>& trials, const std::vector<std::string>& names,
                                       const std::vector<StudyDirection>& directions, bool constant_liar,
                                       const SearchSpace* reference) {
  std::vector<const FrozenTrial*> ptrs;
  ptrs.reserve(trials.size());
  for (const FrozenTrial& t : trials) ptrs.push_back(&t);
  return get_observation_pairs(ptrs, names, directions, constant_liar, reference);
}

namespace {

constexpr double kHypervolumeEps = 1e-12;  // Optuna's EPS: reference offset at 0, weight floor

bool all_finite(const std::vector<double>& v) {
  for (double x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

/// The multi-objective part of split_observation_pairs: the n_below (0 <= n_below <= n) best
/// indices by non-domination rank, the boundary rank by hypervolume subset selection.
std::vector<int> multi_objective_best(const std::vector<Score>& scores, int n_below) {
  const int n = static_cast<int>(scores.size());
  std::vector<std::vector<double>> points;
  points.reserve(n);
  for (const auto& sc : scores) {
    points.push_back(sc.values);
    for (double& x : points.back())
      if (std::isnan(x)) x = kInf;  // NaN is the worst value (pareto.h rejects NaN)
  }
  const std::vector<int> rank = non_dominated_ranks(points);
  int max_rank = 0;
  for (int r : rank) max_rank = std::max(max_rank, r);
  std::vector<int> count(static_cast<size_t>(max_rank) + 1, 0);
  for (int r : rank) ++count[r];
  // Whole ranks while they fit; `boundary` is the first rank that does not.
  int boundary = 0, taken = 0;
  while (boundary <= max_rank && taken + count[boundary] <= n_below) taken += count[boundary++];
  std::vector<int> best;
  best.reserve(n_below);
  for (int i = 0; i < n; ++i)
    if (rank[i] < boundary) best.push_back(i);
  const int need = n_below - taken;
  if (need > 0) {
    // Every member of the boundary rank is dominated by a point of a better rank, so its
    // contribution given the better ranks is 0: the selection looks at the boundary rank alone
    // (as Optuna 3.1's _solve_hssp).
    std::vector<int> members;
    std::vector<std::vector<double>> pts, finite;
    for (int i = 0; i < n; ++i)
      if (rank[i] == boundary) {
        members.push_back(i);
        pts.push_back(points[i]);
        if (all_finite(points[i])) finite.push_back(points[i]);
      }
    const std::vector<double> reference = finite.empty() ? std::vector<double>(pts[0].size(), 0.0)
                                                         : hypervolume_reference_point(finite);
    for (int j : select_by_hypervolume(pts, need, reference)) best.push_back(members[j]);
  }
  return best;
}

/// split_observation_pairs without constraints.
std::pair<std::vector<int>, std::vector<int>> split_unconstrained(const std::vector<Score>& scores, int n_below) {
  const int n = static_cast<int>(scores.size());
  n_below = std::clamp(n_below, 0, n);
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  const bool multi = n > 0 && scores[0].values.size() > 1;
  if (!multi) {
    // The first n_below of a stable sort by (step_key, value) (NaN values last, as numpy), found by
    // a selection with the index as the final key (the same set, in O(n)).
    // Keys copied into one contiguous array (NaN values mapped to a flag) so that the selection
    // does not chase each Score's heap-allocated values.
    struct Key {
      double step_key;
      bool nan;
      double value;
      int index;
    };
    std::vector<Key> keys(n);
    for (int i = 0; i < n; ++i) {
      const double v = scores[i].values[0];
      keys[i] = Key{scores[i].step_key, std::isnan(v), std::isnan(v) ? 0.0 : v, i};
    }
    auto before = [](const Key& a, const Key& b) {
      if (a.step_key != b.step_key) return a.step_key < b.step_key;
      if (a.nan != b.nan) return b.nan;  // NaN last
      if (a.value != b.value) return a.value < b.value;
      return a.index < b.index;
    };
    if (n_below > 0 && n_below < n) std::nth_element(keys.begin(), keys.begin() + n_below, keys.end(), before);
    for (int i = 0; i < n_below; ++i) order[i] = keys[i].index;
  } else {
    const std::vector<int> best = multi_objective_best(scores, n_below);
    std::copy(best.begin(), best.end(), order.begin());
  }
  std::vector<int> below(order.begin(), order.begin() + n_below);
  std::sort(below.begin(), below.end());
  std::vector<int> above;
  above.reserve(n - n_below);
  size_t j = 0;  // the complement of below, ascending
  for (int i = 0; i < n; ++i) {
    if (j < below.size() && below[j] == i) { ++j; continue; }
    above.push_back(i);
  }
  return {below, above};
}

}  // namespace

std::pair<std::vector<int>, std::vector<int>> split_observation_pairs(const std::vector<Score>& scores, int n_below,
                                                                      const std::vector<double>* violations) {
  const int n = static_cast<int>(scores.size());
  bool constrained = false;
  if (violations) {
    assert(violations->size() == scores.size());
    for (double v : *violations) constrained = constrained || !(v == 0.0);
  }
  if (!constrained) return split_unconstrained(scores, n_below);
  n_below = std::clamp(n_below, 0, n);
  // A violation that is not > 0 and not 0 can only be NaN: constraint_violation gives +inf then.
  auto violation = [&](int i) { const double v = (*violations)[i]; return std::isnan(v) ? kInf : v; };
  std::vector<int> feasible, infeasible;
  for (int i = 0; i < n; ++i) (violation(i) == 0.0 ? feasible : infeasible).push_back(i);
  std::vector<int> below, above;
  if (static_cast<int>(feasible.size()) >= n_below) {
    std::vector<Score> sub;
    sub.reserve(feasible.size());
    for (int i : feasible) sub.push_back(scores[i]);
    const auto [sub_below, sub_above] = split_unconstrained(sub, n_below);
    for (int j : sub_below) below.push_back(feasible[j]);
    for (int j : sub_above) above.push_back(feasible[j]);
    above.insert(above.end(), infeasible.begin(), infeasible.end());
  } else {
    std::stable_sort(infeasible.begin(), infeasible.end(), [&](int a, int b) { return violation(a) < violation(b); });
    below = feasible;
    const size_t fill = static_cast<size_t>(n_below) - feasible.size();
    below.insert(below.end(), infeasible.begin(), infeasible.begin() + fill);
    above.assign(infeasible.begin() + fill, infeasible.end());
  }
  std::sort(below.begin(), below.end());
  std::sort(above.begin(), above.end());
  return {below, above};
}

std::vector<double> hypervolume_reference_point(const std::vector<std::vector<double>>& points) {
  assert(!points.empty());
  std::vector<double> r(points[0]);
  for (const auto& p : points)
    for (size_t k = 0; k < r.size(); ++k) r[k] = std::max(r[k], p[k]);
  for (double& x : r) x = x > 0 ? 1.1 * x : (x < 0 ? 0.9 * x : kHypervolumeEps);
  return r;
}

std::vector<int> select_by_hypervolume(const std::vector<std::vector<double>>& points, int k,
                                       const std::vector<double>& reference) {
  const int n = static_cast<int>(points.size());
  k = std::clamp(k, 0, n);
  std::vector<int> chosen;
  chosen.reserve(k);
  std::vector<int> candidates, rest;  // finite points; the others, chosen last
  for (int i = 0; i < n; ++i) (all_finite(points[i]) ? candidates : rest).push_back(i);
  std::vector<std::vector<double>> selected;
  double hv_selected = 0.0;
  std::vector<char> taken(n, 0);
  while (static_cast<int>(chosen.size()) < k && selected.size() < candidates.size()) {
    int best = -1;
    double best_gain = -kInf;
    selected.emplace_back();
    for (int i : candidates) {
      if (taken[i]) continue;
      selected.back() = points[i];
      const double gain = hypervolume(selected, reference) - hv_selected;
      if (gain > best_gain) {
        best_gain = gain;
        best = i;
      }
    }
    selected.back() = points[best];
    hv_selected = hypervolume(selected, reference);
    taken[best] = 1;
    chosen.push_back(best);
  }
  for (size_t j = 0; static_cast<int>(chosen.size()) < k; ++j) chosen.push_back(rest[j]);
  return chosen;
}

std::vector<double> multi_objective_below_weights(const std::vector<Score>& scores, const std::vector<int>& below,
                                                  const std::vector<double>* violations) {
  std::vector<double> w(below.size(), kHypervolumeEps);
  std::vector<size_t> used;
  std::vector<std::vector<double>> pts;
  for (size_t j = 0; j < below.size(); ++j) {
    const int i = below[j];
    if (violations && !((*violations)[i] == 0.0)) continue;
    if (!all_finite(scores[i].values)) continue;
    used.push_back(j);
    pts.push_back(scores[i].values);
  }
  if (pts.size() == 1) w[used[0]] = 1.0;
  if (pts.size() < 2) return w;
  std::vector<double> c = hypervolume_contributions(pts, hypervolume_reference_point(pts));
  double top = 0.0;
  for (double& x : c) top = std::max(top, x += kHypervolumeEps);
  for (size_t u = 0; u < used.size(); ++u) w[used[u]] = std::clamp(c[u] / top, 0.0, 1.0);
  return w;
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
                                                 int n_candidates, std::mt19937_64& rng, std::mutex* rng_mutex,
                                                 const ParzenEstimatorParameters* below_parameters) {
  const ParzenEstimator l(below, search_space, below_parameters ? *below_parameters : parameters);
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
