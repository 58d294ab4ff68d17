// NSGAIISampler: NSGA-II (Deb et al. 2002) with Optuna 3.1's generation scheme (see
// nsga2_sampler.h).
#include "autoglm/nsga2_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "autoglm/error.h"
#include "autoglm/pareto.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/parzen_estimator.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

constexpr double kSbxEta = 20.0;
constexpr double kBlxAlpha = 0.5;
constexpr double kInf = std::numeric_limits<double>::infinity();

/// Unit-scaled internal range [lo, hi] of a numeric distribution: the inverse of
/// QMCSampler::from_unit (log space, stepped / int ranges widened by half a step).
std::pair<double, double> unit_range(const Distribution& d) {
  if (auto f = std::get_if<FloatDistribution>(&d)) {
    if (f->step) return {f->low - 0.5 * *f->step, f->high + 0.5 * *f->step};
    if (f->log) return {std::log(f->low), std::log(f->high)};
    return {f->low, f->high};
  }
  const auto& i = std::get<IntDistribution>(d);
  const double lo = static_cast<double>(i.low), hi = static_cast<double>(i.high);
  if (i.log) return {std::log(lo - 0.5), std::log(hi + 0.5)};
  const double s = static_cast<double>(i.step);
  return {lo - 0.5 * s, hi + 0.5 * s};
}

double to_unit(double internal, const Distribution& d) {
  const auto [lo, hi] = unit_range(d);
  if (!(hi > lo)) return 0.5;
  bool log = false;
  if (auto f = std::get_if<FloatDistribution>(&d)) log = f->log && !f->step;
  if (auto i = std::get_if<IntDistribution>(&d)) log = i->log;
  const double x = log ? std::log(internal) : internal;
  return std::clamp((x - lo) / (hi - lo), 0.0, 1.0);
}

/// Uniform in [lo, hi] (lo when the range is empty).
double uniform_in(std::mt19937_64& rng, double lo, double hi) {
  return hi > lo ? lo + (hi - lo) * tpe::uniform01(rng) : lo;
}

/// Bounded SBX on [0, 1] (Deb & Agrawal 1995; the bounded form of Deb's NSGA-II code): one of
/// the two children, chosen at random.
double sbx(std::mt19937_64& rng, double p1, double p2) {
  if (std::abs(p1 - p2) < 1e-14) return p1;
  const double y1 = std::min(p1, p2), y2 = std::max(p1, p2);
  const double u = tpe::uniform01(rng);
  const double e = 1.0 / (kSbxEta + 1.0);
  auto betaq = [&](double beta) {
    const double alpha = 2.0 - std::pow(beta, -(kSbxEta + 1.0));
    return u <= 1.0 / alpha ? std::pow(u * alpha, e) : std::pow(1.0 / (2.0 - u * alpha), e);
  };
  const double c1 = 0.5 * ((y1 + y2) - betaq(1.0 + 2.0 * y1 / (y2 - y1)) * (y2 - y1));
  const double c2 = 0.5 * ((y1 + y2) + betaq(1.0 + 2.0 * (1.0 - y2) / (y2 - y1)) * (y2 - y1));
  const double c = tpe::uniform01(rng) < 0.5 ? c1 : c2;
  return std::clamp(c, 0.0, 1.0);
}

/// Polynomial mutation of x in [0, 1] (Deb & Agrawal, "A niched-penalty approach for constraint
/// handling in genetic algorithms", ICANNGA 1999; the bounded form of Deb's NSGA-II code, which
/// scales the perturbation by the distance to the nearer bound): with u uniform in [0, 1),
///   u < 1/2:  delta = (2u + (1 - 2u)(1 - x)^(eta+1))^(1/(eta+1)) - 1
///   u >= 1/2: delta = 1 - (2(1 - u) + 2(u - 1/2) x^(eta+1))^(1/(eta+1))
/// and the result x + delta, which lies in [0, 1] (clipped against rounding).
double polynomial_mutation(std::mt19937_64& rng, double x, double eta) {
  const double u = tpe::uniform01(rng);
  const double power = 1.0 / (eta + 1.0);
  double delta;
  if (u < 0.5) {
    const double v = 2.0 * u + (1.0 - 2.0 * u) * std::pow(1.0 - x, eta + 1.0);
    delta = std::pow(v, power) - 1.0;
  } else {
    const double v = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * std::pow(x, eta + 1.0);
    delta = 1.0 - std::pow(v, power);
  }
  return std::clamp(x + delta, 0.0, 1.0);
}

double blx_alpha(std::mt19937_64& rng, double p1, double p2) {
  const double d = std::abs(p1 - p2);
  const double lo = std::min(p1, p2) - kBlxAlpha * d, hi = std::max(p1, p2) + kBlxAlpha * d;
  return std::clamp(uniform_in(rng, lo, hi), 0.0, 1.0);
}

/// Crowding distances of the points `front` (indices into `values`), Deb 2002 sec. III-B.
std::vector<double> crowding_distances(const std::vector<std::vector<double>>& values,
                                       const std::vector<size_t>& front) {
  const size_t n = front.size();
  std::vector<double> dist(n, 0.0);
  if (n <= 2) return std::vector<double>(n, kInf);
  const size_t m = values[front[0]].size();
  std::vector<size_t> order(n);
  for (size_t k = 0; k < m; ++k) {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return values[front[a]][k] < values[front[b]][k]; });
    dist[order.front()] = kInf;
    dist[order.back()] = kInf;
    const double range = values[front[order.back()]][k] - values[front[order.front()]][k];
    if (!(range > 0) || !std::isfinite(range)) continue;
    for (size_t j = 1; j + 1 < n; ++j) {
      const double gap = values[front[order[j + 1]]][k] - values[front[order[j - 1]]][k];
      if (std::isfinite(gap)) dist[order[j]] += gap / range;
    }
  }
  return dist;
}

}  // namespace

void NSGAIISamplerOptions::validate() const {
  if (population_size < 2)
    throw ConfigError("NSGAIISampler: population_size must be >= 2, got " + std::to_string(population_size));
  if (mutation_prob && !(*mutation_prob >= 0.0 && *mutation_prob <= 1.0))
    throw ConfigError("NSGAIISampler: mutation_prob must be in [0, 1], got " + std::to_string(*mutation_prob));
  if (crossover != "uniform" && crossover != "sbx" && crossover != "blxalpha")
    throw ConfigError("NSGAIISampler: crossover must be 'uniform', 'sbx' or 'blxalpha', got '" + crossover + "'" +
                      did_you_mean(crossover, {"uniform", "sbx", "blxalpha"}));
  if (mutation != "uniform" && mutation != "polynomial")
    throw ConfigError("NSGAIISampler: mutation must be 'uniform' or 'polynomial', got '" + mutation + "'" +
                      did_you_mean(mutation, {"uniform", "polynomial"}));
  if (!(mutation_eta >= 0.0) || !std::isfinite(mutation_eta))
    throw ConfigError("NSGAIISampler: mutation_eta must be a finite number >= 0, got " + std::to_string(mutation_eta));
  if (!(crossover_prob >= 0.0 && crossover_prob <= 1.0))
    throw ConfigError("NSGAIISampler: crossover_prob must be in [0, 1], got " + std::to_string(crossover_prob));
  if (!(swapping_prob >= 0.0 && swapping_prob <= 1.0))
    throw ConfigError("NSGAIISampler: swapping_prob must be in [0, 1], got " + std::to_string(swapping_prob));
}

NSGAIISampler::NSGAIISampler(NSGAIISamplerOptions options)
    : options_((options.validate(), std::move(options))), rng_(seed_or_random(options_.seed)) {}

NSGAIISampler::~NSGAIISampler() = default;

std::vector<NSGAIISampler::Member> NSGAIISampler::select_population(const std::vector<FrozenTrial>& trials,
                                                                    const std::vector<StudyDirection>& directions,
                                                                    int population_size) {
  // Candidates: COMPLETE trials with one non-NaN value per objective (minimized form).
  std::vector<const FrozenTrial*> cand;
  std::vector<std::vector<double>> values;
  std::vector<double> violation;
  for (const FrozenTrial& t : trials) {
    if (t.state != TrialState::COMPLETE || t.values.size() != directions.size() || directions.empty()) continue;
    std::vector<double> v(t.values);
    bool ok = true;
    for (size_t k = 0; k < v.size(); ++k) {
      if (std::isnan(v[k])) ok = false;
      if (directions[k] == StudyDirection::MAXIMIZE) v[k] = -v[k];
    }
    if (!ok) continue;
    cand.push_back(&t);
    values.push_back(std::move(v));
    violation.push_back(autoglm::constraint_violation(t));
  }
  const size_t n = cand.size();
  // Constrained ranks: feasible points by non-domination; infeasible ones after them by violation.
  std::vector<int> rank(n, 0);
  std::vector<size_t> feasible, infeasible;
  for (size_t i = 0; i < n; ++i) (violation[i] > 0 ? infeasible : feasible).push_back(i);
  int next_rank = 0;
  if (!feasible.empty()) {
    std::vector<std::vector<double>> pts;
    pts.reserve(feasible.size());
    for (size_t i : feasible) pts.push_back(values[i]);
    const std::vector<int> r = non_dominated_ranks(pts);
    for (size_t j = 0; j < feasible.size(); ++j) {
      rank[feasible[j]] = r[j];
      next_rank = std::max(next_rank, r[j] + 1);
    }
  }
  std::stable_sort(infeasible.begin(), infeasible.end(), [&](size_t a, size_t b) { return violation[a] < violation[b]; });
  for (size_t j = 0; j < infeasible.size(); ++j) {
    if (j > 0 && violation[infeasible[j]] > violation[infeasible[j - 1]]) ++next_rank;
    rank[infeasible[j]] = next_rank;
  }
  // Fronts in rank order (members in trial order), filled while they fit.
  int max_rank = -1;
  for (int r : rank) max_rank = std::max(max_rank, r);
  std::vector<std::vector<size_t>> fronts(static_cast<size_t>(max_rank + 1));
  for (size_t i = 0; i < n; ++i) fronts[static_cast<size_t>(rank[i])].push_back(i);
  std::vector<Member> out;
  const size_t cap = static_cast<size_t>(std::max(population_size, 0));
  for (const auto& front : fronts) {
    if (out.size() >= cap) break;
    if (front.empty()) continue;
    const std::vector<double> dist = crowding_distances(values, front);
    std::vector<size_t> order(front.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dist[a] > dist[b]; });
    for (size_t j : order) {
      if (out.size() >= cap) break;
      const FrozenTrial& t = *cand[front[j]];
      out.push_back(Member{t.number, rank[front[j]], dist[j], t.params, t.distributions});
    }
  }
  return out;
}

SearchSpace NSGAIISampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  auto finished = study.finished_trials_snapshot();
  std::optional<SearchSpace> space;
  for (const FrozenTrial& t : *finished) {
    if (t.state != TrialState::COMPLETE) continue;
    if (!space) {
      space = t.distributions;
      continue;
    }
    for (auto it = space->begin(); it != space->end();) {
      auto d = t.distributions.find(it->first);
      if (d == t.distributions.end() || !(d->second == it->second))
        it = space->erase(it);
      else
        ++it;
    }
  }
  SearchSpace out;
  if (space)
    for (const auto& [name, d] : *space)
      if (!is_single(d)) out.emplace(name, d);
  return out;
}

std::map<std::string, double> NSGAIISampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                             const SearchSpace& search_space) {
  if (search_space.empty() || trial.number < 0) return {};
  const int generation = trial.number / options_.population_size;
  if (generation == 0) return {};
  const std::vector<StudyDirection> directions = study.directions();
  auto finished = study.finished_trials_snapshot();
  const int limit = generation * options_.population_size;
  std::vector<FrozenTrial> candidates;
  for (const FrozenTrial& t : *finished)
    if (t.state == TrialState::COMPLETE && t.number < limit) candidates.push_back(t);

  std::lock_guard<std::mutex> lock(mutex_);
  const std::string study_name = study.study_name();
  if (cache_.study != study_name || cache_.generation != generation || cache_.n_candidates != candidates.size()) {
    cache_.population = select_population(candidates, directions, options_.population_size);
    cache_.study = study_name;
    cache_.generation = generation;
    cache_.n_candidates = candidates.size();
  }
  const std::vector<Member>& pop = cache_.population;
  if (pop.size() < 2) return {};

  auto tournament = [&](std::optional<size_t> exclude) {
    auto draw = [&] {
      size_t i;
      do {
        i = static_cast<size_t>(rng_() % pop.size());
      } while (exclude && i == *exclude);
      return i;
    };
    const size_t a = draw(), b = draw();
    if (pop[a].rank != pop[b].rank) return pop[a].rank < pop[b].rank ? a : b;
    return pop[b].crowding > pop[a].crowding ? b : a;
  };
  const size_t i1 = tournament(std::nullopt);
  const size_t i2 = tournament(i1);
  const Member& p1 = pop[i1];
  const Member& p2 = pop[i2];
  const bool do_crossover = tpe::uniform01(rng_) < options_.crossover_prob;
  const double mutation_prob =
      options_.mutation_prob ? *options_.mutation_prob : 1.0 / static_cast<double>(search_space.size());

  std::map<std::string, double> child;
  for (const auto& [name, dist] : search_space) {
    auto v1 = p1.params.find(name), v2 = p2.params.find(name);
    auto d1 = p1.distributions.find(name), d2 = p2.distributions.find(name);
    const bool usable = v1 != p1.params.end() && v2 != p2.params.end() && d1 != p1.distributions.end() &&
                        d2 != p2.distributions.end() && d1->second == dist && d2->second == dist;
    double value;
    if (!usable) {
      value = RandomSampler::sample(rng_, dist);
    } else if (!do_crossover) {
      value = v1->second;
    } else if (std::holds_alternative<CategoricalDistribution>(dist) || options_.crossover == "uniform") {
      value = tpe::uniform01(rng_) < options_.swapping_prob ? v2->second : v1->second;
    } else {
      const double u1 = to_unit(v1->second, dist), u2 = to_unit(v2->second, dist);
      const double u = options_.crossover == "sbx" ? sbx(rng_, u1, u2) : blx_alpha(rng_, u1, u2);
      value = QMCSampler::from_unit(std::min(u, std::nextafter(1.0, 0.0)), dist);
    }
    if (tpe::uniform01(rng_) < mutation_prob) {
      if (options_.mutation == "polynomial" && !std::holds_alternative<CategoricalDistribution>(dist)) {
        const double u = polynomial_mutation(rng_, to_unit(value, dist), options_.mutation_eta);
        value = QMCSampler::from_unit(std::min(u, std::nextafter(1.0, 0.0)), dist);
      } else {
        value = RandomSampler::sample(rng_, dist);
      }
    }
    if (!contains(dist, value)) value = RandomSampler::sample(rng_, dist);
    child.emplace(name, value);
  }
  return child;
}

double NSGAIISampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                         const Distribution& distribution) {
  (void)study; (void)trial; (void)name;
  std::lock_guard<std::mutex> lock(mutex_);
  return RandomSampler::sample(rng_, distribution);
}

void NSGAIISampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
}

std::unique_ptr<Sampler> make_nsga2_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'nsga2'");
  NSGAIISamplerOptions o;
  o.population_size = r.get<int>("population_size", o.population_size);
  o.mutation_prob = r.get_optional<double>("mutation_prob");
  o.mutation = r.get<std::string>("mutation", o.mutation);
  o.mutation_eta = r.get<double>("mutation_eta", o.mutation_eta);
  o.crossover = r.get<std::string>("crossover", o.crossover);
  o.crossover_prob = r.get<double>("crossover_prob", o.crossover_prob);
  o.swapping_prob = r.get<double>("swapping_prob", o.swapping_prob);
  o.seed = r.get_optional<uint64_t>("seed");
  r.finish();
  return std::make_unique<NSGAIISampler>(o);
}

}  // namespace autoglm
