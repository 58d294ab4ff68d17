// CmaEsSampler: (mu/mu_w, lambda)-CMA-ES in the unit cube (see samplers.h), after Hansen,
// "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016), Table 1 and Fig. 6.
#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "common/options.h"
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
  // Current generation: trial number -> candidate (clipped to the cube), and the told results.
  std::map<int, Eigen::VectorXd> pending;
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
    generation = 0;
    pending.clear();
    results.clear();
  }

  Eigen::VectorXd draw(std::mt19937_64& rng) const {
    Eigen::VectorXd z(n);
    for (int i = 0; i < n; ++i) z[i] = std_normal(rng);
    Eigen::VectorXd x = mean + sigma * (B * D.cwiseProduct(z));
    return x.cwiseMax(0.0).cwiseMin(1.0);
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
    const int lam = options_.popsize ? *options_.popsize : 4 + static_cast<int>(std::floor(3.0 * std::log(n)));
    state_->init(n, lam, Eigen::VectorXd::Constant(n, 0.5), options_.sigma0);
  }
  if (state_->n != n) return out;  // a different space than the fixed one: nothing joint
  auto it = state_->pending.find(trial.number);
  if (it == state_->pending.end()) it = state_->pending.emplace(trial.number, state_->draw(rng_)).first;
  const Eigen::VectorXd& x = it->second;
  int d = 0;
  for (const auto& [name, dist] : search_space)  // sorted names
    out.emplace(name, QMCSampler::from_unit(std::min(x[d++], std::nextafter(1.0, 0.0)), dist));
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
  state_->results.emplace_back(maximize ? -values[0] : values[0], it->second);
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
  r.finish();
  if (o.restart_strategy != "none" && o.restart_strategy != "ipop")
    r.fail("restart_strategy", "must be 'none' or 'ipop', got '" + o.restart_strategy + "'" +
                                   did_you_mean(o.restart_strategy, {"none", "ipop"}));
  return std::make_unique<CmaEsSampler>(std::move(o));
}

}  // namespace autoglm
