// CmaEsSampler: (mu/mu_w, lambda)-CMA-ES in the unit cube (see samplers.h), after Hansen,
// "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016), Table 1 and Fig. 6, with the
// margin of Hamano et al., "CMA-ES with Margin" (GECCO 2022) for discretized coordinates.
#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/normal_quantile.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

/// Standard normal draw by Box-Muller from 53-bit uniforms (bit-identical across platforms,
/// unlike std::normal_distribution).
double std_normal(std::mt19937_64& rng) {
  auto unit = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };  // (0, 1)
  const double u1 = unit(), u2 = unit();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// Phi(x), the standard normal CDF.
double normal_cdf(double x) { return 0.5 * std::erfc(-x * M_SQRT1_2); }

/// Phi^-1(p) for p in (0, 1): Acklam's rational approximation (relative error ~1e-9) refined by
/// two Halley steps on Phi(x) - p (then accurate to a few ulps).
double normal_quantile(double p) {
  double x = detail::acklam_ndtri_exp(std::log(p));
  for (int i = 0; i < 2; ++i) {  // Halley: e = Phi(x) - p, u = e / phi(x)
    const double e = normal_cdf(x) - p;
    const double u = e * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
    x -= u / (1.0 + 0.5 * x * u);
  }
  return x;
}

/// A discretized coordinate of the unit cube (int or stepped float): its K values split [0, 1]
/// into K cells, as QMCSampler::from_unit maps a unit coordinate to a value.
struct DiscreteDim {
  int dim = 0;        // coordinate index
  int64_t k = 0;      // number of values (>= 2)
  bool log = false;   // log int: cells of equal width in log space
  double log_low = 0, log_span = 0, low = 0;  // log int: ln(low - 0.5), ln(high + 0.5) - ln(low - 0.5), low

  /// The threshold between value i - 1 and value i (1 <= i <= K - 1), in [0, 1].
  double threshold(int64_t i) const {
    if (!log) return static_cast<double>(i) / static_cast<double>(k);
    return (std::log(low + static_cast<double>(i) - 0.5) - log_low) / log_span;
  }
  /// The number of thresholds strictly below u (0 .. K - 1).
  int64_t thresholds_below(double u) const {
    int64_t lo = 0, hi = k - 1;  // answer in [lo, hi]
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (threshold(mid) < u) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
};

/// The discretized coordinates of `space` (sorted names = coordinate order).
std::vector<DiscreteDim> discrete_dims(const SearchSpace& space) {
  std::vector<DiscreteDim> out;
  int dim = 0;
  for (const auto& [name, dist] : space) {
    DiscreteDim d;
    d.dim = dim++;
    if (auto f = std::get_if<FloatDistribution>(&dist)) {
      if (!f->step) continue;
      d.k = static_cast<int64_t>(std::llround((f->high - f->low) / *f->step)) + 1;
    } else if (auto i = std::get_if<IntDistribution>(&dist)) {
      d.k = (i->high - i->low) / i->step + 1;
      if (i->log) {
        d.log = true;
        d.low = static_cast<double>(i->low);
        d.log_low = std::log(d.low - 0.5);
        d.log_span = std::log(static_cast<double>(i->high) + 0.5) - d.log_low;
      }
    } else {
      continue;
    }
    if (d.k >= 2) out.push_back(d);
  }
  return out;
}

}  // namespace

struct CmaEsSampler::State {
  // Strategy parameters (Table 1).
  int n = 0, lambda = 0, mu = 0;
  Eigen::VectorXd w;  // (mu), sum 1
  double mueff = 0, cc = 0, cs = 0, c1 = 0, cmu = 0, damps = 0, chiN = 0;
  // Dynamic state.
  Eigen::VectorXd mean, pc, ps, D;  // D: sqrt of the eigenvalues of C
  Eigen::MatrixXd C, B;
  double sigma = 0;
  int generation = 0;   // updates since the last (re)start
  int total_generations = 0;
  int restarts = 0;
  // Margin (CMA-ES with Margin): the discretized coordinates, the diagonal of A and alpha.
  std::vector<DiscreteDim> discrete;
  Eigen::VectorXd A;
  double alpha = 0;
  std::optional<double> alpha_option;  // CmaEsSamplerOptions::margin
  // Current generation: trial number -> candidate x (clipped to the cube; what the update sees)
  // and v, the point evaluated (x with the margin's affine map on discretized coordinates), and
  // the told results.
  struct Candidate {
    Eigen::VectorXd x, v;
  };
  std::map<int, Candidate> pending;
  std::vector<std::pair<double, Eigen::VectorXd>> results;

  void init(int dims, int lam, const Eigen::VectorXd& m, double sigma0) {
    n = dims;
    lambda = lam;
    mu = lambda / 2;
    const double nd = n;
    w.resize(mu);
    for (int i = 0; i < mu; ++i) w[i] = std::log((lambda + 1) / 2.0) - std::log(i + 1.0);
    w /= w.sum();
    mueff = 1.0 / w.squaredNorm();
    cc = (4.0 + mueff / nd) / (nd + 4.0 + 2.0 * mueff / nd);
    cs = (mueff + 2.0) / (nd + mueff + 5.0);
    c1 = 2.0 / ((nd + 1.3) * (nd + 1.3) + mueff);
    cmu = std::min(1.0 - c1, 2.0 * (mueff - 2.0 + 1.0 / mueff) / ((nd + 2.0) * (nd + 2.0) + mueff));
    damps = 1.0 + 2.0 * std::max(0.0, std::sqrt((mueff - 1.0) / (nd + 1.0)) - 1.0) + cs;
    chiN = std::sqrt(nd) * (1.0 - 1.0 / (4.0 * nd) + 1.0 / (21.0 * nd * nd));
    mean = m;
    sigma = sigma0;
    pc = Eigen::VectorXd::Zero(n);
    ps = Eigen::VectorXd::Zero(n);
    C = Eigen::MatrixXd::Identity(n, n);
    B = Eigen::MatrixXd::Identity(n, n);
    D = Eigen::VectorXd::Ones(n);
    A = Eigen::VectorXd::Ones(n);
    alpha = alpha_option ? *alpha_option : 1.0 / (nd * lambda);
    generation = 0;
    pending.clear();
    results.clear();
  }

  Candidate draw(std::mt19937_64& rng) const {
    Eigen::VectorXd z(n);
    for (int i = 0; i < n; ++i) z[i] = std_normal(rng);
    Candidate c;
    c.x = (mean + sigma * (B * D.cwiseProduct(z))).cwiseMax(0.0).cwiseMin(1.0);
    c.v = c.x;
    for (const DiscreteDim& d : discrete) c.v[d.dim] = mean[d.dim] + A[d.dim] * (c.x[d.dim] - mean[d.dim]);
    return c;
  }

  /// The margin correction of Hamano et al. (2022) after an update (see samplers.h): moves the mean
  /// of each discretized coordinate, and rescales A there, so that the marginal probability of
  /// leaving the mean's cell is at least alpha (alpha / 2 on each side of an inner cell).
  void correct_margin() {
    for (const DiscreteDim& d : discrete) {
      const int j = d.dim;
      double& m = mean[j];
      const int64_t below = d.thresholds_below(m);
      const double l_low = d.threshold(std::clamp<int64_t>(below, 1, d.k - 1));
      const double l_up = d.threshold(std::clamp<int64_t>(below + 1, 1, d.k - 1));
      const double sd_c = std::sqrt(C(j, j));
      const double s = sigma * A[j] * sd_c;
      if (!(s > 0) || !std::isfinite(s)) continue;
      const double p_low = normal_cdf((l_low - m) / s);
      const double p_up = normal_cdf((m - l_up) / s);
      const double p_mid = 1.0 - p_low - p_up;
      if (std::max(p_low, p_up) > 0.5) {  // a cell at the end of the range: one threshold
        if (std::min(p_low, p_up) < alpha) {
          const double side = m > l_up ? 1.0 : (m < l_up ? -1.0 : 0.0);
          m = l_up + side * s * normal_quantile(1.0 - alpha);
        }
        continue;
      }
      const double half = 0.5 * alpha;
      const double pl = std::max(p_low, half), pu = std::max(p_up, half);
      const double excess = 1.0 - pl - pu - p_mid, denom = pl + p_mid + pu - 3.0 * half;
      const double pl2 = std::clamp(pl + excess * (pl - half) / denom, 1e-10, 0.5 - 1e-10);
      const double pu2 = std::clamp(pu + excess * (pu - half) / denom, 1e-10, 0.5 - 1e-10);
      const double q_low = normal_quantile(1.0 - pl2), q_up = normal_quantile(1.0 - pu2);
      A[j] = (l_up - l_low) / ((q_low + q_up) * sigma * sd_c);
      m = (l_low * q_up + l_up * q_low) / (q_low + q_up);
    }
  }

  /// One update from the lambda results (values to minimize). Returns false when the state
  /// degenerated (for ipop).
  bool update() {
    std::stable_sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const bool flat = results.back().first - results.front().first < 1e-12;  // TolFun
    Eigen::MatrixXd Y(n, mu);
    for (int i = 0; i < mu; ++i) Y.col(i) = (results[i].second - mean) / sigma;
    const Eigen::VectorXd yw = Y * w;
    mean += sigma * yw;  // c_m = 1
    // C^{-1/2} yw = B D^{-1} B^T yw
    const Eigen::VectorXd cinv_yw = B * (B.transpose() * yw).cwiseQuotient(D);
    ps = (1.0 - cs) * ps + std::sqrt(cs * (2.0 - cs) * mueff) * cinv_yw;
    const double ps_norm = ps.norm();
    ++generation;
    ++total_generations;
    const bool hsig = ps_norm / std::sqrt(1.0 - std::pow(1.0 - cs, 2.0 * generation)) <
                      (1.4 + 2.0 / (n + 1.0)) * chiN;
    pc = (1.0 - cc) * pc + (hsig ? std::sqrt(cc * (2.0 - cc) * mueff) : 0.0) * yw;
    const double dh = hsig ? 0.0 : cc * (2.0 - cc);
    Eigen::MatrixXd rank_mu = Y * w.asDiagonal() * Y.transpose();
    C = (1.0 + c1 * dh - c1 - cmu) * C + c1 * (pc * pc.transpose()) + cmu * rank_mu;  // sum w = 1
    C = 0.5 * (C + C.transpose());
    sigma *= std::exp(cs / damps * (ps_norm / chiN - 1.0));
    sigma = std::min(sigma, 1e3);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(C);
    if (es.info() != Eigen::Success) return false;
    Eigen::VectorXd ev = es.eigenvalues();
    const double min_ev = ev.minCoeff(), max_ev = ev.maxCoeff();
    B = es.eigenvectors();
    D = ev.cwiseMax(1e-300).cwiseSqrt();
    pending.clear();
    results.clear();
    correct_margin();
    if (!(min_ev > 0) || !std::isfinite(max_ev) || max_ev / min_ev > 1e14) return false;
    if (flat) return false;
    if (!std::isfinite(sigma) || sigma * std::sqrt(C.diagonal().maxCoeff()) < 1e-11) return false;
    return true;
  }
};

void CmaEsSamplerOptions::validate() const {
  if (!(sigma0 > 0) || !std::isfinite(sigma0))
    throw ConfigError("sampler 'cmaes': sigma0 must be > 0, got " + std::to_string(sigma0));
  if (restart_strategy != "none" && restart_strategy != "ipop")
    throw ConfigError("sampler 'cmaes': restart_strategy must be 'none' or 'ipop', got '" + restart_strategy + "'" +
                      did_you_mean(restart_strategy, {"none", "ipop"}));
  if (n_startup_trials < 0)
    throw ConfigError("sampler 'cmaes': n_startup_trials must be >= 0, got " + std::to_string(n_startup_trials));
  if (popsize && *popsize < 2)
    throw ConfigError("sampler 'cmaes': popsize must be >= 2, got " + std::to_string(*popsize));
  if (margin && !(*margin > 0.0 && *margin < 0.5))
    throw ConfigError("sampler 'cmaes': margin must be in (0, 0.5), got " + std::to_string(*margin));
}

CmaEsSampler::CmaEsSampler(CmaEsSamplerOptions options) : options_(std::move(options)) {
  options_.validate();
  const uint64_t s = seed_or_random(options_.seed);
  rng_.seed(s);
  random_rng_.seed(s ^ 0x9e3779b97f4a7c15ULL);
}

CmaEsSampler::~CmaEsSampler() = default;

int CmaEsSampler::generations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ ? state_->total_generations : 0;
}

int CmaEsSampler::restarts() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_ ? state_->restarts : 0;
}

SearchSpace CmaEsSampler::infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) {
  (void)trial;
  std::lock_guard<std::mutex> lock(mutex_);
  if (space_) return *space_;
  if (study.directions().size() != 1) return {};
  auto complete = study.get_trials(std::vector<TrialState>{TrialState::COMPLETE});
  if (complete.empty() || static_cast<int>(complete.size()) < options_.n_startup_trials) return {};
  const FrozenTrial& first =
      *std::min_element(complete.begin(), complete.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  SearchSpace space;
  for (const auto& [name, d] : first.distributions)
    if (!is_single(d) && !std::holds_alternative<CategoricalDistribution>(d)) space.emplace(name, d);
  if (space.size() < 2) space.clear();  // as Optuna: a 1-D space is sampled at random
  space_ = space;
  return space;
}

std::map<std::string, double> CmaEsSampler::sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                            const SearchSpace& search_space) {
  (void)study;
  std::map<std::string, double> out;
  if (search_space.empty()) return out;
  std::lock_guard<std::mutex> lock(mutex_);
  const int n = static_cast<int>(search_space.size());
  if (!state_) {
    state_ = std::make_unique<State>();
    if (options_.with_margin) state_->discrete = discrete_dims(search_space);
    state_->alpha_option = options_.margin;
    const int lam = options_.popsize ? *options_.popsize : 4 + static_cast<int>(std::floor(3.0 * std::log(n)));
    state_->init(n, lam, Eigen::VectorXd::Constant(n, 0.5), options_.sigma0);
  }
  if (state_->n != n) return out;  // a different space than the fixed one: nothing joint
  auto it = state_->pending.find(trial.number);
  if (it == state_->pending.end()) it = state_->pending.emplace(trial.number, state_->draw(rng_)).first;
  const Eigen::VectorXd& x = it->second.v;
  int d = 0;
  for (const auto& [name, dist] : search_space)  // sorted names
    out.emplace(name, QMCSampler::from_unit(std::clamp(x[d++], 0.0, std::nextafter(1.0, 0.0)), dist));
  return out;
}

void CmaEsSampler::after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                               const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!state_) return;
  auto it = state_->pending.find(trial.number);
  if (it == state_->pending.end()) return;  // not a candidate of the current generation
  if (state != TrialState::COMPLETE || values.empty() || !std::isfinite(values[0])) {
    state_->pending.erase(it);  // its slot is refilled by a new candidate of this generation
    return;
  }
  const bool maximize = study.directions().at(0) == StudyDirection::MAXIMIZE;
  state_->results.emplace_back(maximize ? -values[0] : values[0], it->second.x);
  state_->pending.erase(it);
  if (static_cast<int>(state_->results.size()) < state_->lambda) return;
  const bool healthy = state_->update();
  if (!healthy && options_.restart_strategy == "ipop") {
    Eigen::VectorXd m(state_->n);
    for (int i = 0; i < state_->n; ++i) m[i] = uniform01(rng_);
    const int total = state_->total_generations, restarts = state_->restarts + 1;
    state_->init(state_->n, state_->lambda * 2, m, options_.sigma0);
    state_->total_generations = total;
    state_->restarts = restarts;
  }
}

double CmaEsSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                        const Distribution& distribution) {
  (void)study; (void)trial; (void)name;
  std::lock_guard<std::mutex> lock(mutex_);
  return RandomSampler::sample(random_rng_, distribution);
}

void CmaEsSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
  random_rng_.seed(seed ^ 0x9e3779b97f4a7c15ULL);
}

std::unique_ptr<Sampler> make_cmaes_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'cmaes'");
  CmaEsSamplerOptions o;
  o.sigma0 = r.get<double>("sigma0", o.sigma0);
  o.seed = r.get_optional<uint64_t>("seed");
  o.n_startup_trials = r.get<int>("n_startup_trials", o.n_startup_trials);
  o.restart_strategy = r.get<std::string>("restart_strategy", o.restart_strategy);
  o.popsize = r.get_optional<int>("popsize");
  o.with_margin = r.get<bool>("with_margin", o.with_margin);
  o.margin = r.get_optional<double>("margin");
  r.finish();
  if (o.restart_strategy != "none" && o.restart_strategy != "ipop")
    r.fail("restart_strategy", "must be 'none' or 'ipop', got '" + o.restart_strategy + "'" +
                                   did_you_mean(o.restart_strategy, {"none", "ipop"}));
  return std::make_unique<CmaEsSampler>(std::move(o));
}

}  // namespace autoglm
