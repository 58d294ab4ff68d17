// GPSampler: Gaussian-process Bayesian optimization with log expected improvement (see
// include/autoglm/gp_sampler.h; the numerics are in gp_model.h).
#include "autoglm/gp_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include <Eigen/Dense>
#include <LBFGSB.h>

#include "autoglm/error.h"
#include "common/options.h"
#include "sampler/gp_model.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

constexpr double kDuplicateTolerance = 1e-12;  // in unit-cube coordinates
constexpr int kFullFitBelow = 50;              // observations up to which every fit is a full one
constexpr int kPerturbedBest = 5;              // observations whose neighbourhoods get candidates
constexpr uint64_t kRandomSalt = 0x9e3779b97f4a7c15ULL;

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// Standard normal by Box-Muller from 53-bit uniforms (bit-identical across platforms).
double std_normal(std::mt19937_64& rng) {
  const double u1 = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// One dimension of the GP's input space.
struct Dim {
  enum class Kind { kContinuous, kDiscrete, kCategorical };
  Kind kind = Kind::kContinuous;
  const Distribution* dist = nullptr;
  double lo = 0.0, hi = 1.0;  // encoding range in the internal space (log applied)
  bool log = false;
  double low = 0.0, high = 0.0;  // the distribution's bounds (numeric)
  double step = 0.0;             // discrete: grid step in the internal value space
  int n_choices = 0;             // categorical

  explicit Dim(const Distribution& d) : dist(&d) {
    if (auto f = std::get_if<FloatDistribution>(&d)) {
      low = f->low;
      high = f->high;
      log = f->log;
      if (f->step) {
        kind = Kind::kDiscrete;
        step = *f->step;
        lo = f->low - 0.5 * step;
        hi = f->high + 0.5 * step;
      } else {
        lo = log ? std::log(f->low) : f->low;
        hi = log ? std::log(f->high) : f->high;
      }
    } else if (auto i = std::get_if<IntDistribution>(&d)) {
      kind = Kind::kDiscrete;
      low = static_cast<double>(i->low);
      high = static_cast<double>(i->high);
      log = i->log;
      if (log) {
        step = 1.0;
        lo = std::log(low - 0.5);
        hi = std::log(high + 0.5);
      } else {
        step = static_cast<double>(i->step);
        lo = low - 0.5 * step;
        hi = high + 0.5 * step;
      }
    } else {
      kind = Kind::kCategorical;
      n_choices = static_cast<int>(std::get<CategoricalDistribution>(d).choices.size());
    }
  }

  /// Internal value -> coordinate (unit interval; categorical: the index).
  double encode(double v) const {
    if (kind == Kind::kCategorical) return v;
    const double t = log ? std::log(v) : v;
    return std::clamp((t - lo) / (hi - lo), 0.0, 1.0);
  }
  /// Coordinate -> internal value, with QMCSampler::from_unit's rounding.
  double decode(double u) const {
    if (kind == Kind::kCategorical) return std::clamp(std::nearbyint(u), 0.0, n_choices - 1.0);
    return QMCSampler::from_unit(std::clamp(u, 0.0, std::nextafter(1.0, 0.0)), *dist);
  }
  /// The coordinate of the value a coordinate decodes to (identity for continuous dimensions).
  double round(double u) const {
    if (kind == Kind::kContinuous) return std::clamp(u, 0.0, 1.0);
    return encode(decode(u));
  }
  /// Coordinates of the grid neighbours +-1, 2, 4, ... steps away (discrete), or of every other
  /// choice (categorical).
  std::vector<double> neighbours(double u) const {
    std::vector<double> out;
    if (kind == Kind::kCategorical) {
      for (int c = 0; c < n_choices; ++c)
        if (c != static_cast<int>(u)) out.push_back(c);
      return out;
    }
    const double v = decode(u);
    const double k = std::nearbyint((v - low) / step), k_max = std::nearbyint((high - low) / step);
    for (double j = 1.0; j <= k_max; j *= 2.0) {
      if (k - j >= 0.0) out.push_back(encode(std::clamp((k - j) * step + low, low, high)));
      if (k + j <= k_max) out.push_back(encode(std::clamp((k + j) * step + low, low, high)));
    }
    return out;
  }
};

bool same_point(const Eigen::VectorXd& a, const Eigen::VectorXd& b, const std::vector<Dim>& dims) {
  for (size_t k = 0; k < dims.size(); ++k) {
    const double diff = std::abs(a[k] - b[k]);
    if (dims[k].kind == Dim::Kind::kCategorical ? diff != 0.0 : diff > kDuplicateTolerance) return false;
  }
  return true;
}

bool has_space(const FrozenTrial& t, const SearchSpace& space) {
  for (const auto& [name, dist] : space) {
    auto p = t.params.find(name);
    auto d = t.distributions.find(name);
    if (p == t.params.end() || d == t.distributions.end() || !(d->second == dist)) return false;
  }
  return true;
}

std::string space_key(const SearchSpace& space) {
  std::string key;
  for (const auto& [name, dist] : space) key += name + '\x1f' + to_string(dist) + '\x1e';
  return key;
}

/// Log EI on the points of the columns of C.
Eigen::VectorXd log_ei_batch(const gp::GPRegressor& model, const Eigen::MatrixXd& C, double best) {
  Eigen::VectorXd mean, var;
  model.posterior(C, mean, var);
  Eigen::VectorXd out(C.cols());
  for (Eigen::Index j = 0; j < C.cols(); ++j) out[j] = gp::log_ei(mean[j], var[j], best);
  return out;
}

/// -log EI over the continuous coordinates of a point (the others fixed), for LBFGS++; keeps the
/// best point evaluated.
class NegLogEI {
 public:
  NegLogEI(const gp::GPRegressor& model, double best, Eigen::VectorXd base, std::vector<Eigen::Index> free)
      : model_(model), best_(best), x_(std::move(base)), free_(std::move(free)) {}

  double operator()(const Eigen::VectorXd& xc, Eigen::VectorXd& grad) {
    for (size_t i = 0; i < free_.size(); ++i) x_[free_[i]] = xc[static_cast<Eigen::Index>(i)];
    double mean = 0, var = 0, dm = 0, dv = 0;
    Eigen::VectorXd dmean, dvar;
    model_.posterior_grad(x_, mean, var, dmean, dvar);
    const double value = gp::log_ei(mean, var, best_, &dm, &dv);
    grad.resize(static_cast<Eigen::Index>(free_.size()));
    if (!std::isfinite(value)) {
      grad.setZero();
      return 1e30;
    }
    for (size_t i = 0; i < free_.size(); ++i) grad[static_cast<Eigen::Index>(i)] = -(dm * dmean[free_[i]] + dv * dvar[free_[i]]);
    if (value > best_value_) {
      best_value_ = value;
      best_x_ = x_;
    }
    return -value;
  }
  double best_value() const { return best_value_; }
  const Eigen::VectorXd& best_x() const { return best_x_; }

 private:
  const gp::GPRegressor& model_;
  const double best_;
  Eigen::VectorXd x_;
  const std::vector<Eigen::Index> free_;
  double best_value_ = -std::numeric_limits<double>::infinity();
  Eigen::VectorXd best_x_;
};

/// Local search from x (rounded) with log EI `value`: L-BFGS-B on the continuous coordinates,
/// then a neighbour search on each discrete / categorical one; a second round when a discrete
/// coordinate moved. Updates x and value.
void local_search(const gp::GPRegressor& model, double best, const std::vector<Dim>& dims, Eigen::VectorXd& x,
                  double& value) {
  std::vector<Eigen::Index> free;
  for (size_t k = 0; k < dims.size(); ++k)
    if (dims[k].kind == Dim::Kind::kContinuous) free.push_back(static_cast<Eigen::Index>(k));
  LBFGSpp::LBFGSBParam<double> param;
  param.m = 6;
  param.epsilon = 1e-6;
  param.epsilon_rel = 0.0;
  param.past = 2;
  param.delta = 1e-10;
  param.max_iterations = 40;
  LBFGSpp::LBFGSBSolver<double> solver(param);
  for (int round = 0; round < 2; ++round) {
    bool moved = false;  // a discrete or categorical coordinate changed
    if (!free.empty()) {
      NegLogEI f(model, best, x, free);
      Eigen::VectorXd xc(static_cast<Eigen::Index>(free.size()));
      for (size_t i = 0; i < free.size(); ++i) xc[static_cast<Eigen::Index>(i)] = x[free[i]];
      const Eigen::VectorXd lb = Eigen::VectorXd::Zero(xc.size()), ub = Eigen::VectorXd::Ones(xc.size());
      double fx = 0.0;
      try {
        solver.minimize(f, xc, fx, lb, ub);
      } catch (const std::exception&) {
        // line search failure: f kept the best point evaluated
      }
      if (f.best_value() > value) {
        value = f.best_value();
        x = f.best_x();
      }
    }
    for (size_t k = 0; k < dims.size(); ++k) {
      if (dims[k].kind == Dim::Kind::kContinuous) continue;
      const auto nb = dims[k].neighbours(x[static_cast<Eigen::Index>(k)]);
      if (nb.empty()) continue;
      Eigen::MatrixXd C = x.replicate(1, static_cast<Eigen::Index>(nb.size()));
      for (size_t j = 0; j < nb.size(); ++j) C(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(j)) = nb[j];
      const Eigen::VectorXd v = log_ei_batch(model, C, best);
      Eigen::Index arg = 0;
      const double top = v.maxCoeff(&arg);
      if (top > value) {
        moved = true;
        value = top;
        x = C.col(arg);
      }
    }
    if (!moved) break;
  }
}

}  // namespace

struct GPSampler::State {
  // The last fit.
  std::string key;             // space_key of the space fitted
  Eigen::VectorXd theta;       // log hyperparameters of the last fit; empty before the first
  int n_at_full_fit = 0;       // observations at the last full fit
  // Proposals of this sampler for trials that have not finished: trial number -> (space key,
  // unit-cube point). A trial's relative parameters reach the storage only when the objective
  // suggests them, so a worker that asks in between would not see them in the history.
  std::map<int, std::pair<std::string, Eigen::VectorXd>> proposed;
};

void GPSamplerOptions::validate() const {
  auto bad = [](const std::string& field, const std::string& rule, int got) {
    throw ConfigError("sampler 'gp': " + field + " must be " + rule + ", got " + std::to_string(got));
  };
  if (n_startup_trials < 0) bad("n_startup_trials", ">= 0", n_startup_trials);
  if (n_candidates < 1) bad("n_candidates", ">= 1", n_candidates);
  if (n_local_search < 0) bad("n_local_search", ">= 0", n_local_search);
  if (n_restarts < 1) bad("n_restarts", ">= 1", n_restarts);
  if (refit_interval < 1) bad("refit_interval", ">= 1", refit_interval);
  if (max_fit_iterations < 1) bad("max_fit_iterations", ">= 1", max_fit_iterations);
}

namespace {
QMCSamplerOptions startup_options(const GPSamplerOptions& o) {
  QMCSamplerOptions q;
  q.qmc_type = "sobol";
  q.scramble = true;
  q.seed = o.seed;
  return q;
}
}  // namespace

GPSampler::GPSampler(GPSamplerOptions options)
    : options_((options.validate(), std::move(options))),
      startup_(startup_options(options_)) {
  const uint64_t s = seed_or_random(options_.seed);
  rng_.seed(s);
  random_rng_.seed(s ^ kRandomSalt);
}

GPSampler::~GPSampler() = default;

std::optional<GPSampler::LastFit> GPSampler::last_fit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_fit_;
}

SearchSpace GPSampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  if (study.directions().size() != 1) return {};
  const auto complete = study.get_trials(std::vector<TrialState>{TrialState::COMPLETE});
  std::optional<SearchSpace> space;
  for (const auto& t : complete) {
    if (!space) {
      space = SearchSpace{};
      for (const auto& [name, d] : t.distributions)
        if (!is_single(d)) space->emplace(name, d);
      continue;
    }
    for (auto it = space->begin(); it != space->end();) {
      auto d = t.distributions.find(it->first);
      if (d == t.distributions.end() || !(d->second == it->second)) it = space->erase(it);
      else ++it;
    }
  }
  return space ? *space : SearchSpace{};
}

std::map<std::string, double> GPSampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                         const SearchSpace& search_space) {
  std::map<std::string, double> out;
  if (search_space.empty() || study.directions().size() != 1) return out;
  std::lock_guard<std::mutex> lock(mutex_);

  std::vector<Dim> dims;
  std::vector<bool> categorical;
  for (const auto& [name, dist] : search_space) {  // sorted names
    dims.emplace_back(dist);
    categorical.push_back(dims.back().kind == Dim::Kind::kCategorical);
  }
  const Eigen::Index D = static_cast<Eigen::Index>(dims.size());

  if (!state_) state_ = std::make_unique<State>();
  const std::string key = space_key(search_space);
  std::vector<const FrozenTrial*> observed, running;
  std::vector<Eigen::VectorXd> running_proposed;  // running trials whose parameters are not stored yet
  std::set<int> still_running;
  const auto trials = study.get_trials();
  for (const auto& t : trials) {
    if (t.state == TrialState::COMPLETE && t.values.size() == 1 && std::isfinite(t.values[0]) &&
        has_space(t, search_space)) {
      observed.push_back(&t);
    } else if (t.state == TrialState::RUNNING && t.number != trial.number) {
      still_running.insert(t.number);
      if (has_space(t, search_space)) {
        running.push_back(&t);
      } else if (auto it = state_->proposed.find(t.number); it != state_->proposed.end() && it->second.first == key) {
        running_proposed.push_back(it->second.second);
      }
    }
  }
  std::erase_if(state_->proposed, [&](const auto& e) { return e.first != trial.number && !still_running.count(e.first); });

  // Start-up: Sobol point `trial.number` over the space (random beyond 32 dimensions).
  if (static_cast<int>(observed.size()) < std::max(1, options_.n_startup_trials)) {
    if (dims.size() > startup_.max_dimensions()) return out;
    const auto u = startup_.point(static_cast<uint64_t>(std::max(trial.number, 0)), dims.size());
    Eigen::VectorXd x(D);
    Eigen::Index k = 0;
    for (const auto& [name, dist] : search_space) {
      const double v = QMCSampler::from_unit(u[static_cast<size_t>(k)], dist);
      out.emplace(name, v);
      x[k] = dims[static_cast<size_t>(k)].encode(v);
      ++k;
    }
    state_->proposed[trial.number] = {key, x};
    return out;
  }

  // Observations: unit-cube inputs and standardized scores (to maximize).
  const Eigen::Index n = static_cast<Eigen::Index>(observed.size());
  const double sign = study.direction() == StudyDirection::MAXIMIZE ? 1.0 : -1.0;
  Eigen::MatrixXd X(D, n);
  Eigen::VectorXd raw(n);
  auto encode_trial = [&](const FrozenTrial& t) {
    Eigen::VectorXd x(D);
    Eigen::Index k = 0;
    for (const auto& [name, dist] : search_space) {
      x[k] = dims[static_cast<size_t>(k)].encode(t.params.at(name));
      ++k;
    }
    return x;
  };
  for (Eigen::Index i = 0; i < n; ++i) {
    X.col(i) = encode_trial(*observed[static_cast<size_t>(i)]);
    raw[i] = sign * observed[static_cast<size_t>(i)]->values[0];
  }
  const double mu = raw.mean();
  double sd = std::sqrt((raw.array() - mu).square().mean());
  if (!(sd > 0.0) || !std::isfinite(sd)) sd = 1.0;
  const Eigen::VectorXd y = ((raw.array() - mu) / sd).matrix();

  // Hyperparameters: full multi-start fit or a warm-started run (see GPSamplerOptions).
  gp::FitOptions fit_options;
  fit_options.fix_noise = options_.deterministic_objective;
  fit_options.max_iterations = options_.max_fit_iterations;
  const bool warm = state_ && state_->key == key && state_->theta.size() == D + 2;
  const int n_obs = static_cast<int>(n);
  const bool full = !warm || n_obs <= kFullFitBelow || n_obs >= state_->n_at_full_fit + options_.refit_interval ||
                    n_obs < state_->n_at_full_fit;
  std::vector<Eigen::VectorXd> starts;
  if (warm) starts.push_back(state_->theta);
  if (full) {
    gp::KernelParams def;
    def.inverse_squared_lengthscales = Eigen::VectorXd::Ones(D);
    def.signal_variance = 1.0;
    def.noise_variance = options_.deterministic_objective ? fit_options.min_noise : 1e-2;
    starts.push_back(def.to_log());
    if (static_cast<int>(starts.size()) > options_.n_restarts) starts.resize(static_cast<size_t>(options_.n_restarts));
    while (static_cast<int>(starts.size()) < options_.n_restarts) {
      Eigen::VectorXd theta(D + 2);
      for (Eigen::Index k = 0; k < D; ++k) theta[k] = std::log(0.05) + uniform01(rng_) * std::log(400.0);
      theta[D] = std::log(0.3) + uniform01(rng_) * std::log(10.0);
      theta[D + 1] = options_.deterministic_objective ? std::log(fit_options.min_noise)
                                                      : std::log(1e-4) + uniform01(rng_) * std::log(1e3);
      starts.push_back(theta);
    }
  }
  int evaluations = 0;
  const gp::KernelParams params = gp::fit_kernel_params(X, y, categorical, starts, fit_options, nullptr, &evaluations);
  state_->key = key;
  state_->theta = params.to_log();
  if (full) state_->n_at_full_fit = n_obs;

  try {
    auto model = std::make_unique<gp::GPRegressor>(X, y, categorical, params);
    double best = y.maxCoeff();
    // Kriging believer: running trials enter with the posterior mean at their point.
    if (!running.empty() || !running_proposed.empty()) {
      const Eigen::Index p = static_cast<Eigen::Index>(running.size() + running_proposed.size());
      Eigen::MatrixXd Xp(D, p);
      for (size_t j = 0; j < running.size(); ++j) Xp.col(static_cast<Eigen::Index>(j)) = encode_trial(*running[j]);
      for (size_t j = 0; j < running_proposed.size(); ++j)
        Xp.col(static_cast<Eigen::Index>(running.size() + j)) = running_proposed[j];
      Eigen::VectorXd mp, vp;
      model->posterior(Xp, mp, vp);
      Eigen::MatrixXd X2(D, n + p);
      X2 << X, Xp;
      Eigen::VectorXd y2(n + p);
      y2 << y, mp;
      best = std::max(best, mp.maxCoeff());
      model = std::make_unique<gp::GPRegressor>(std::move(X2), std::move(y2), categorical, params);
    }

    // Candidates: random points, and perturbations of the best observations.
    const int m = options_.n_candidates;
    const int n_perturbed = m / 4;
    std::vector<Eigen::Index> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    std::stable_sort(order.begin(), order.end(), [&y](Eigen::Index a, Eigen::Index b) { return y[a] > y[b]; });
    const size_t n_top = std::min<size_t>(kPerturbedBest, order.size());
    constexpr double kScales[] = {0.01, 0.03, 0.1, 0.3};
    Eigen::MatrixXd C(D, m);
    for (int j = 0; j < m; ++j) {
      if (j < m - n_perturbed) {
        for (Eigen::Index k = 0; k < D; ++k) {
          const Dim& dim = dims[static_cast<size_t>(k)];
          const double u = uniform01(rng_);
          C(k, j) = dim.kind == Dim::Kind::kCategorical ? std::floor(u * dim.n_choices) : dim.round(u);
        }
      } else {
        const int i = j - (m - n_perturbed);
        const Eigen::Index base = order[static_cast<size_t>(i) % n_top];
        const double scale = kScales[(static_cast<size_t>(i) / n_top) % 4];
        for (Eigen::Index k = 0; k < D; ++k) {
          const Dim& dim = dims[static_cast<size_t>(k)];
          if (dim.kind == Dim::Kind::kCategorical) {
            const double u = uniform01(rng_);
            C(k, j) = u < 1.0 / static_cast<double>(D) ? std::floor(uniform01(rng_) * dim.n_choices) : X(k, base);
          } else {
            C(k, j) = dim.round(X(k, base) + scale * std_normal(rng_));
          }
        }
      }
    }
    const Eigen::VectorXd acq = log_ei_batch(*model, C, best);
    std::vector<Eigen::Index> ranked(static_cast<size_t>(m));
    std::iota(ranked.begin(), ranked.end(), Eigen::Index{0});
    std::stable_sort(ranked.begin(), ranked.end(), [&acq](Eigen::Index a, Eigen::Index b) { return acq[a] > acq[b]; });

    // Local refinement of the best distinct candidates.
    std::vector<std::pair<double, Eigen::VectorXd>> scored;
    std::vector<Eigen::VectorXd> refined_from;
    for (Eigen::Index idx : ranked) {
      if (static_cast<int>(refined_from.size()) >= options_.n_local_search) break;
      const Eigen::VectorXd c = C.col(idx);
      bool seen = false;
      for (const auto& s : refined_from) seen = seen || same_point(s, c, dims);
      if (seen) continue;
      refined_from.push_back(c);
      Eigen::VectorXd x = c;
      double value = acq[idx];
      local_search(*model, best, dims, x, value);
      for (Eigen::Index k = 0; k < D; ++k) x[k] = dims[static_cast<size_t>(k)].round(x[k]);
      scored.emplace_back(value, std::move(x));
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (Eigen::Index idx : ranked) scored.emplace_back(acq[idx], C.col(idx));

    // The best proposal that is not an observation or a running trial.
    const Eigen::MatrixXd& data = model->X();
    const std::pair<double, Eigen::VectorXd>* chosen = &scored.front();
    for (const auto& s : scored) {
      bool duplicate = false;
      for (Eigen::Index i = 0; i < data.cols() && !duplicate; ++i) duplicate = same_point(s.second, data.col(i), dims);
      if (!duplicate) {
        chosen = &s;
        break;
      }
    }
    Eigen::Index k = 0;
    for (const auto& [name, dist] : search_space) {
      out.emplace(name, dims[static_cast<size_t>(k)].decode(chosen->second[k]));
      ++k;
    }
    state_->proposed[trial.number] = {key, chosen->second};
    LastFit info;
    info.n_observations = n_obs;
    info.n_running = static_cast<int>(running.size() + running_proposed.size());
    info.full_fit = full;
    info.evaluations = evaluations;
    info.inverse_squared_lengthscales.assign(params.inverse_squared_lengthscales.data(),
                                             params.inverse_squared_lengthscales.data() + D);
    info.signal_variance = params.signal_variance;
    info.noise_variance = params.noise_variance;
    info.log_ei = chosen->first;
    last_fit_ = info;
  } catch (const std::runtime_error&) {
    out.clear();  // the kernel matrix could not be factorized: sample this trial at random
  }
  return out;
}

void GPSampler::after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                            const std::vector<double>& values) {
  (void)study; (void)state; (void)values;
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_) state_->proposed.erase(trial.number);
}

double GPSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                     const Distribution& distribution) {
  (void)study; (void)trial; (void)name;
  std::lock_guard<std::mutex> lock(mutex_);
  return RandomSampler::sample(random_rng_, distribution);
}

void GPSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
  random_rng_.seed(seed ^ kRandomSalt);
}

std::unique_ptr<Sampler> make_gp_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'gp'");
  GPSamplerOptions o;
  o.seed = r.get_optional<uint64_t>("seed");
  o.n_startup_trials = r.get<int>("n_startup_trials", o.n_startup_trials);
  o.deterministic_objective = r.get<bool>("deterministic_objective", o.deterministic_objective);
  o.n_candidates = r.get<int>("n_candidates", o.n_candidates);
  o.n_local_search = r.get<int>("n_local_search", o.n_local_search);
  o.n_restarts = r.get<int>("n_restarts", o.n_restarts);
  o.refit_interval = r.get<int>("refit_interval", o.refit_interval);
  o.max_fit_iterations = r.get<int>("max_fit_iterations", o.max_fit_iterations);
  r.finish();
  return std::make_unique<GPSampler>(std::move(o));
}

}  // namespace autoglm
