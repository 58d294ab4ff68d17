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

}  // namespace

RandomSampler::RandomSampler(RandomSamplerOptions options) : rng_(seed_or_random(options.seed)) {}

double RandomSampler::sample(std::mt19937_64& rng, const Distribution& distribution) {
  // A single-valued range draws nothing (keeps the random stream of the other parameters).
  if (auto f = std::get_if<FloatDistribution>(&distribution); f && f->low == f->high) return f->low;
  if (auto i = std::get_if<IntDistribution>(&distribution); i && i->low == i->high) return static_cast<double>(i->low);
  // One uniform draw mapped through the distribution's internal space, exactly as the QMC
  // sampler maps its sequence points (log, step and integer rounding, categorical index).
  return QMCSampler::from_unit(tpe::uniform01(rng), distribution);
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
