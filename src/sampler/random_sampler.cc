// RandomSampler: independent uniform sampling in the internal space (Optuna 3.1's RandomSampler
// rules; see samplers.h).
#include <algorithm>
#include <cmath>

#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/parzen_estimator.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {


/// Uniform in [lo, hi] (lo when the range is empty).
double uniform(std::mt19937_64& rng, double lo, double hi) { return lo + tpe::uniform01(rng) * (hi - lo); }

}  // namespace

RandomSampler::RandomSampler(RandomSamplerOptions options) : rng_(seed_or_random(options.seed)) {}

double RandomSampler::sample(std::mt19937_64& rng, const Distribution& distribution) {
  if (auto f = std::get_if<FloatDistribution>(&distribution)) {
    if (f->low == f->high) return f->low;
    if (f->step) {
      const double s = *f->step;
      double x = uniform(rng, f->low - 0.5 * s, f->high + 0.5 * s);
      return std::clamp(std::nearbyint((x - f->low) / s) * s + f->low, f->low, f->high);
    }
    double x = f->log ? std::exp(uniform(rng, std::log(f->low), std::log(f->high))) : uniform(rng, f->low, f->high);
    // [low, high): the upper bound itself is excluded, as numpy's uniform.
    return std::clamp(x, f->low, std::nextafter(f->high, f->low));
  }
  if (auto i = std::get_if<IntDistribution>(&distribution)) {
    const double lo = static_cast<double>(i->low), hi = static_cast<double>(i->high);
    if (i->low == i->high) return lo;
    double v;
    if (i->log) {
      v = std::nearbyint(std::exp(uniform(rng, std::log(lo - 0.5), std::log(hi + 0.5))));
    } else {
      const double s = static_cast<double>(i->step);
      double x = uniform(rng, lo - 0.5 * s, hi + 0.5 * s);
      v = std::nearbyint((x - lo) / s) * s + lo;
    }
    return std::clamp(v, lo, hi);
  }
  const auto& c = std::get<CategoricalDistribution>(distribution);
  const double n = static_cast<double>(c.choices.size());
  return std::min(std::floor(tpe::uniform01(rng) * n), n - 1.0);
}

double RandomSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                         const Distribution& distribution) {
  (void)study; (void)trial; (void)name;
  std::lock_guard<std::mutex> lock(rng_mutex_);
  return sample(rng_, distribution);
}

void RandomSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(rng_mutex_);
  rng_.seed(seed);
}

std::unique_ptr<Sampler> make_random_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'random'");
  RandomSamplerOptions o;
  o.seed = r.get_optional<uint64_t>("seed");
  r.finish();
  return std::make_unique<RandomSampler>(o);
}

}  // namespace autoglm
