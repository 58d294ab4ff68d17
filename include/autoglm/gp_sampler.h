// GPSampler ("gp"): Bayesian optimization with a Gaussian-process surrogate and log expected
// improvement, for single-objective studies with a small evaluation budget (tens to a few
// hundred trials of an expensive objective).
//
// It implements the Sampler interface (sampler.h) on internal values (distribution.h) and is
// built directly (`std::make_unique<GPSampler>(GPSamplerOptions{...})`) or through the registry
// (`make_sampler({"name": "gp", ...})`, which calls make_gp_sampler below).
//
// Ownership: a GPSampler owns its random state, a Sobol sequence for the start-up phase and the
// hyperparameters of its last fit (a warm start for the next one); it reads history only through
// the StudyView of each call. Thread-safety: every method may be called concurrently from several
// worker threads; all state is guarded by `mutex_` (a suggestion holds it for its whole
// computation). With one worker and a fixed seed the sequence of suggestions is deterministic
// (std::mt19937_64, normal draws by Box-Muller).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/sampler.h"
#include "autoglm/samplers.h"
#include "autoglm/study_view.h"

namespace autoglm {

/// Options of GPSampler. With the defaults, one suggestion at 200 observations of a 10-dimensional
/// continuous space takes about 40 ms of CPU on average and 75 ms at a full fit (one core of a
/// 2-core AMD EPYC VM, RelWithDebInfo; tests/sampler/gp_sampler_test.cc prints the figures).
struct GPSamplerOptions {
  /// Seed of the start-up Sobol scrambling, the acquisition candidates, the fit restarts and the
  /// independent (random) fallback. Default: none (random, not reproducible).
  std::optional<uint64_t> seed;
  /// Until this many trials are COMPLETE with a finite value, trials are sampled by a scrambled
  /// Sobol sequence over the search space (point i for trial number i, as QMCSampler; random for
  /// spaces of more than 32 parameters and for trials before the first COMPLETE one). Default 10;
  /// values below 1 act as 1 (the GP needs one observation). Must be >= 0.
  int n_startup_trials = 10;
  /// The objective has no noise: the noise variance is fixed at its floor (1e-6 of the
  /// standardized output variance) instead of being fitted. Default false. Set it for
  /// deterministic objectives: the surrogate then interpolates the observations.
  bool deterministic_objective = false;
  /// Random points in the unit cube (75%) and Gaussian perturbations of the best 5 observations
  /// (25%) on which log EI is evaluated before local refinement. Default 1024; more explores the
  /// acquisition better, at O(n^2) each. Must be >= 1.
  int n_candidates = 1024;
  /// Best distinct candidates refined by local search (L-BFGS-B on the continuous dimensions,
  /// neighbour search on the discrete and categorical ones). Default 5. Must be >= 0.
  int n_local_search = 5;
  /// Starts of a full hyperparameter fit, in this order: the previous fit's optimum (when there
  /// is one), the default (every lengthscale 1, signal variance 1, noise 0.01), then random
  /// points. Default 2 (the previous optimum and the default). Must be >= 1.
  int n_restarts = 2;
  /// A full (multi-start) fit is done when the number of observations has grown by this many
  /// since the last full fit (and always while there are at most 50 observations, where it is
  /// cheap); in between, one L-BFGS-B run is warm-started from the previous optimum. Default 5.
  /// Must be >= 1; 1 fits fully at every trial.
  int refit_interval = 5;
  /// L-BFGS-B iterations per start of the hyperparameter fit. Default 50. Must be >= 1.
  int max_fit_iterations = 50;

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
};

/// Gaussian-process Bayesian optimization (Snoek, Larochelle & Adams 2012, "Practical Bayesian
/// Optimization of Machine Learning Algorithms"; the GP as Rasmussen & Williams 2006; defaults
/// modelled on Optuna's GPSampler):
///  - search space: the intersection of the distributions of the COMPLETE trials (a name with an
///    equal distribution in every one; single-valued ones left out), recomputed at each trial.
///    Parameters outside it are sampled independently at random (RandomSampler's rules);
///  - observations: COMPLETE trials with a finite value (FAIL, PRUNED and NaN/inf-valued trials
///    are ignored), negated when minimizing and standardized to mean 0, variance 1;
///  - inputs: each float / int parameter's internal range (log space for log distributions;
///    int and stepped ranges widened by half a step, as QMCSampler::from_unit maps them) scaled
///    to [0, 1]; a categorical parameter is its choice index under a Hamming kernel term
///    (distance 1 between different choices, one lengthscale per parameter);
///  - kernel: Matern 5/2 with one lengthscale per dimension (ARD), a signal variance and a noise
///    variance >= 1e-6 (plus jitter escalation when the Cholesky factorization fails, so noisy or
///    duplicated observations never break it). Hyperparameters are the maximum a posteriori
///    point of the log marginal likelihood plus Optuna's default log prior (on the inverse
///    squared lengthscales lambda: -(0.1/lambda + 0.1 lambda); signal variance ~ Gamma(2, 1);
///    noise variance ~ Gamma(1.1, rate 30)), found by LBFGS++'s L-BFGS-B with the analytic
///    gradient in log-parameter space within bounds (see refit_interval, n_restarts);
///  - acquisition: log expected improvement over the best observed value (Ament et al. 2023,
///    "Unexpected Improvements to Expected Improvement for Bayesian Optimization", eq. 9, so the
///    acquisition keeps a useful gradient far from the incumbent), maximized by scoring
///    n_candidates points, then refining the n_local_search best distinct ones: L-BFGS-B with
///    the analytic gradient of log EI on the continuous coordinates, then a neighbour search on
///    each discrete coordinate (+-1, 2, 4, ... grid steps) and every choice of each categorical
///    one, twice. Discrete coordinates are always evaluated at their rounded values, and the
///    proposal maps back through QMCSampler::from_unit (the same rounding as QMC and CMA-ES);
///  - the proposal is the best point that does not coincide (within 1e-12 in the cube, equal
///    categorical choices) with an observation or a running trial; only when every scored point
///    does (a small discrete space explored exhaustively) is a duplicate proposed;
///  - parallel workers: RUNNING trials (other than the one being sampled) that hold every
///    parameter of the space are added with the kriging-believer value, the posterior mean at
///    that point (Ginsbourger et al. 2010, "Kriging is well-suited to parallelize
///    optimization"), which leaves the mean unchanged but removes the variance there, and counts
///    toward the best value; so the next suggestion avoids the points being evaluated. A running
///    trial whose parameters are not stored yet (its objective has not suggested them) enters
///    with the point this sampler proposed for it, kept in memory until `after_trial` (so
///    workers of one process never get the same point; across processes, trials that start
///    before either suggests its parameters can coincide, as in Optuna). The hyperparameters
///    are fitted on the finished observations only;
///  - multi-objective studies fall back to random sampling (every parameter independent).
/// Costs: the fit is O(n^3) per likelihood evaluation, the acquisition O(n_candidates n^2).
class GPSampler final : public Sampler {
 public:
  /// Throws ConfigError when `options` are invalid (see GPSamplerOptions::validate).
  explicit GPSampler(GPSamplerOptions options = {});
  ~GPSampler() override;

  SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  /// Forgets the proposal kept for `trial` (see "parallel workers" above).
  void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                   const std::vector<double>& values) override;
  /// Re-seeds the candidate and fallback generators; the start-up Sobol scrambling stays that
  /// of `options.seed`.
  void reseed(uint64_t seed) override;
  std::string name() const override { return "gp"; }

  const GPSamplerOptions& options() const { return options_; }

  /// Diagnostics of the last GP suggestion (for tests and logs).
  struct LastFit {
    int n_observations = 0;   ///< finished observations used (not counting running trials)
    int n_running = 0;        ///< running trials added with their kriging-believer value
    bool full_fit = false;    ///< a multi-start fit (else the warm-started single run)
    int evaluations = 0;      ///< likelihood evaluations of the fit
    std::vector<double> inverse_squared_lengthscales;  ///< fitted lambda, one per dimension
    double signal_variance = 0.0;
    double noise_variance = 0.0;
    double log_ei = 0.0;      ///< log EI of the proposal (standardized units)
  };
  std::optional<LastFit> last_fit() const;

 private:
  struct State;
  const GPSamplerOptions options_;
  const QMCSampler startup_;                   // immutable; Sobol points of the start-up phase
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;                        // GUARDED_BY(mutex_); candidates, fit restarts
  std::mt19937_64 random_rng_;                 // GUARDED_BY(mutex_); independent fallback
  std::unique_ptr<State> state_;               // GUARDED_BY(mutex_); last fit, pending proposals
  std::optional<LastFit> last_fit_;            // GUARDED_BY(mutex_)
};

/// Factory called by the registry: {"seed", "n_startup_trials", "deterministic_objective",
/// "n_candidates", "n_local_search", "n_restarts", "refit_interval", "max_fit_iterations"}.
/// Unknown keys throw ConfigError with a did-you-mean suggestion, out-of-range values a
/// ConfigError naming the key.
std::unique_ptr<Sampler> make_gp_sampler(const nlohmann::json& options);

}  // namespace autoglm
