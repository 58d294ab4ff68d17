// QMCSampler: Sobol (Joe & Kuo 2008 direction numbers) and Halton sequences mapped to the
// internal space of each distribution (see samplers.h).
#include <algorithm>
#include <array>
#include <cmath>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

/// Primitive polynomials and initial direction numbers for Sobol dimensions 2..32, from
/// S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better two-dimensional projections",
/// SIAM J. Sci. Comput. 30 (2008) 2635-2654; data file new-joe-kuo-6.21201
/// (https://web.maths.unsw.edu.au/~fkuo/sobol/). Columns: s (degree), a (inner coefficients),
/// m_1..m_s. Dimension 1 is van der Corput's sequence (all m_k = 1) and needs no row.
struct JoeKuoRow {
  int s;
  uint32_t a;
  uint32_t m[7];
};
constexpr JoeKuoRow kJoeKuo[] = {
    {1, 0, {1}},                          // d = 2
    {2, 1, {1, 3}},                       // 3
    {3, 1, {1, 3, 1}},                    // 4
    {3, 2, {1, 1, 1}},                    // 5
    {4, 1, {1, 1, 3, 3}},                 // 6
    {4, 4, {1, 3, 5, 13}},                // 7
    {5, 2, {1, 1, 5, 5, 17}},             // 8
    {5, 4, {1, 1, 5, 5, 5}},              // 9
    {5, 7, {1, 1, 7, 11, 19}},            // 10
    {5, 11, {1, 1, 5, 1, 1}},             // 11
    {5, 13, {1, 1, 1, 3, 11}},            // 12
    {5, 14, {1, 3, 5, 5, 31}},            // 13
    {6, 1, {1, 3, 3, 9, 7, 49}},          // 14
    {6, 13, {1, 1, 1, 15, 21, 21}},       // 15
    {6, 16, {1, 3, 1, 13, 27, 49}},       // 16
    {6, 19, {1, 1, 1, 15, 7, 5}},         // 17
    {6, 22, {1, 3, 1, 15, 13, 25}},       // 18
    {6, 25, {1, 1, 5, 5, 19, 61}},        // 19
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},   // 20
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},    // 21
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},     // 22
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},      // 23
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},   // 24
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},    // 25
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},   // 26
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},     // 27
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},     // 28
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},    // 29
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},    // 30
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},    // 31
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},    // 32
};
constexpr size_t kSobolDims = 1 + sizeof(kJoeKuo) / sizeof(kJoeKuo[0]);
constexpr int kBits = 32;
constexpr size_t kHaltonDims = 64;

/// Direction numbers V[d][k] (k = 0..31, the bit of weight 2^-(k+1) at the top of 32 bits).
const std::vector<std::array<uint32_t, kBits>>& sobol_directions() {
  static const auto table = [] {
    std::vector<std::array<uint32_t, kBits>> v(kSobolDims);
    for (int k = 0; k < kBits; ++k) v[0][k] = uint32_t{1} << (kBits - 1 - k);
    for (size_t d = 1; d < kSobolDims; ++d) {
      const JoeKuoRow& row = kJoeKuo[d - 1];
      std::array<uint64_t, kBits> m{};
      for (int k = 0; k < kBits; ++k) {
        if (k < row.s) {
          m[k] = row.m[k];
        } else {
          // m_k = 2 a_1 m_{k-1} ^ 4 a_2 m_{k-2} ^ ... ^ 2^{s-1} a_{s-1} m_{k-s+1} ^ 2^s m_{k-s} ^ m_{k-s}
          uint64_t x = m[k - row.s] ^ (m[k - row.s] << row.s);
          for (int j = 1; j < row.s; ++j)
            if ((row.a >> (row.s - 1 - j)) & 1u) x ^= m[k - j] << j;
          m[k] = x;
        }
        v[d][k] = static_cast<uint32_t>(m[k] << (kBits - 1 - k));
      }
    }
    return v;
  }();
  return table;
}

const std::vector<int>& primes() {
  static const auto p = [] {
    std::vector<int> out;
    for (int c = 2; out.size() < kHaltonDims; ++c) {
      bool prime = true;
      for (int q : out)
        if (q * q > c) break;
        else if (c % q == 0) { prime = false; break; }
      if (prime) out.push_back(c);
    }
    return out;
  }();
  return p;
}

/// Digits kept per Halton coordinate: enough for double precision (b^K >= 2^53).
int halton_digits(int base) { return static_cast<int>(std::ceil(53.0 / std::log2(static_cast<double>(base)))); }

double uniform_between(double u, double lo, double hi) { return lo + u * (hi - lo); }

}  // namespace

QMCSampler::QMCSampler(QMCSamplerOptions options) : options_(std::move(options)), rng_(seed_or_random(options_.seed)) {
  if (options_.qmc_type != "sobol" && options_.qmc_type != "halton")
    throw ConfigError("sampler 'qmc': qmc_type must be 'sobol' or 'halton', got '" + options_.qmc_type + "'" +
                      did_you_mean(options_.qmc_type, {"sobol", "halton"}));
  if (!options_.scramble) return;
  std::mt19937_64 srng(seed_or_random(options_.seed) ^ 0x5851f42d4c957f2dULL);
  if (options_.qmc_type == "sobol") {
    for (size_t d = 0; d < kSobolDims; ++d) sobol_shift_.push_back(static_cast<uint32_t>(srng() >> 32));
  } else {
    halton_perm_.resize(kHaltonDims);
    for (size_t d = 0; d < kHaltonDims; ++d) {
      const int b = primes()[d];
      halton_perm_[d].resize(halton_digits(b));
      for (auto& perm : halton_perm_[d]) {
        perm.resize(b);
        for (int i = 0; i < b; ++i) perm[i] = i;
        for (int i = b; i > 1; --i) std::swap(perm[i - 1], perm[srng() % static_cast<uint64_t>(i)]);
      }
    }
  }
}

size_t QMCSampler::max_dimensions() const { return options_.qmc_type == "sobol" ? kSobolDims : kHaltonDims; }

std::vector<double> QMCSampler::point(uint64_t index, size_t dims) const {
  if (dims > max_dimensions())
    throw ConfigError("sampler 'qmc': the search space has " + std::to_string(dims) + " parameters but qmc_type '" +
                      options_.qmc_type + "' supports at most " + std::to_string(max_dimensions()) +
                      "; use fewer parameters or another sampler");
  std::vector<double> out(dims);
  if (options_.qmc_type == "sobol") {
    if (index >> kBits) throw ConfigError("sampler 'qmc': Sobol point index " + std::to_string(index) + " exceeds 2^32");
    const uint64_t gray = index ^ (index >> 1);
    const auto& v = sobol_directions();
    for (size_t d = 0; d < dims; ++d) {
      uint32_t x = sobol_shift_.empty() ? 0u : sobol_shift_[d];
      for (int k = 0; k < kBits; ++k)
        if ((gray >> k) & 1u) x ^= v[d][k];
      out[d] = std::ldexp(static_cast<double>(x), -kBits);
    }
    return out;
  }
  for (size_t d = 0; d < dims; ++d) {
    const uint64_t b = static_cast<uint64_t>(primes()[d]);
    double r = 0.0;
    if (halton_perm_.empty()) {
      double f = 1.0 / static_cast<double>(b);
      for (uint64_t n = index; n > 0; n /= b, f /= static_cast<double>(b)) r += static_cast<double>(n % b) * f;
    } else {
      // Every digit position, zeros included, is permuted, so digits beyond the index's length
      // contribute too; Horner from the least significant position kept.
      const auto& perms = halton_perm_[d];
      std::vector<int> digits(perms.size(), 0);
      uint64_t n = index;
      for (size_t k = 0; k < perms.size() && n > 0; ++k, n /= b) digits[k] = static_cast<int>(n % b);
      for (size_t k = perms.size(); k-- > 0;) r = (r + perms[k][digits[k]]) / static_cast<double>(b);
    }
    out[d] = std::min(r, std::nextafter(1.0, 0.0));
  }
  return out;
}

double QMCSampler::from_unit(double u, const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    if (f->low == f->high) return f->low;
    if (f->step) {
      const double s = *f->step;
      const double x = uniform_between(u, f->low - 0.5 * s, f->high + 0.5 * s);
      return std::clamp(std::nearbyint((x - f->low) / s) * s + f->low, f->low, f->high);
    }
    const double x = f->log ? std::exp(uniform_between(u, std::log(f->low), std::log(f->high)))
                            : uniform_between(u, f->low, f->high);
    return std::clamp(x, f->low, std::nextafter(f->high, f->low));
  }
  if (auto i = std::get_if<IntDistribution>(&distribution)) {
    const double lo = static_cast<double>(i->low), hi = static_cast<double>(i->high);
    if (i->low == i->high) return lo;
    double v;
    if (i->log) {
      v = std::nearbyint(std::exp(uniform_between(u, std::log(lo - 0.5), std::log(hi + 0.5))));
    } else {
      const double s = static_cast<double>(i->step);
      v = std::nearbyint((uniform_between(u, lo - 0.5 * s, hi + 0.5 * s) - lo) / s) * s + lo;
    }
    return std::clamp(v, lo, hi);
  }
  const double n = static_cast<double>(std::get<CategoricalDistribution>(distribution).choices.size());
  return std::clamp(std::floor(u * n), 0.0, n - 1.0);
}

SearchSpace QMCSampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  std::lock_guard<std::mutex> lock(mutex_);
  if (initial_space_) return *initial_space_;
  auto complete = study.get_trials(std::vector<TrialState>{TrialState::COMPLETE});
  if (complete.empty()) return {};
  const FrozenTrial& first =
      *std::min_element(complete.begin(), complete.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  SearchSpace space;
  for (const auto& [name, d] : first.distributions)
    if (!is_single(d)) space.emplace(name, d);
  initial_space_ = space;
  return space;
}

std::map<std::string, double> QMCSampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                          const SearchSpace& search_space) {
  (void)study;
  std::map<std::string, double> out;
  if (search_space.empty()) return out;
  const auto u = point(static_cast<uint64_t>(std::max(trial.number, 0)), search_space.size());
  size_t d = 0;
  for (const auto& [name, dist] : search_space) out.emplace(name, from_unit(u[d++], dist));  // sorted names
  return out;
}

double QMCSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                      const Distribution& distribution) {
  (void)study; (void)trial; (void)name;
  std::lock_guard<std::mutex> lock(mutex_);
  return RandomSampler::sample(rng_, distribution);
}

void QMCSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
}

std::unique_ptr<Sampler> make_qmc_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'qmc'");
  QMCSamplerOptions o;
  o.qmc_type = r.get<std::string>("qmc_type", o.qmc_type);
  o.scramble = r.get<bool>("scramble", o.scramble);
  o.seed = r.get_optional<uint64_t>("seed");
  r.finish();
  if (o.qmc_type != "sobol" && o.qmc_type != "halton")
    r.fail("qmc_type", "must be 'sobol' or 'halton', got '" + o.qmc_type + "'" + did_you_mean(o.qmc_type, {"sobol", "halton"}));
  return std::make_unique<QMCSampler>(std::move(o));
}

}  // namespace autoglm
