// Built-in samplers: RandomSampler, TPESampler (Tree-structured Parzen Estimator), GridSampler
// QMCSampler (Sobol / Halton) and CmaEsSampler (CMA-ES).
//
// Both implement the Sampler interface (sampler.h) and work on internal values (distribution.h).
// They are built directly (`std::make_unique<TPESampler>(TPESamplerOptions{...})`) or from a
// config mapping through the registry (`make_sampler({"name": "tpe", ...})`, which calls
// make_tpe_sampler / make_random_sampler below).
//
// Ownership: a sampler owns its random state and nothing else; it reads history only through the
// StudyView passed to each call. Thread-safety: every method may be called concurrently from
// several worker threads; the random generator is guarded by `rng_mutex_`, everything else a call
// computes is local to it. With one worker and a fixed seed the sequence of suggestions is
// deterministic (the generator is std::mt19937_64, bit-identical on every platform).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/sampler.h"
#include "autoglm/study_view.h"

namespace autoglm {

struct RandomSamplerOptions {
  /// Seed of the generator. Default: none (seeded from std::random_device, not reproducible).
  std::optional<uint64_t> seed;
};

/// Independent uniform sampling, as optuna.samplers.RandomSampler (Optuna 3.1):
///  - float: uniform in [low, high] (log: uniform in [ln low, ln high], then exp);
///  - float with step / int: uniform in [low - step/2, high + step/2], rounded to the grid
///    (half to even) and clipped, so every grid point has the same probability;
///  - int with log: uniform in [ln(low - 0.5), ln(high + 0.5)], exp, rounded, clipped;
///  - categorical: a uniform index.
class RandomSampler final : public Sampler {
 public:
  explicit RandomSampler(RandomSamplerOptions options = {});

  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "random"; }

  /// The sampling rule above, given the generator (shared with TPE's start-up phase).
  static double sample(std::mt19937_64& rng, const Distribution& distribution);

 private:
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;  // GUARDED_BY(rng_mutex_)
};

/// gamma(n) of Optuna 3.1: min(ceil(0.1 n), 25), the number of "good" observations among n.
int default_gamma(int n);
/// hyperopt's gamma (TPESampler.hyperopt_parameters()): min(ceil(0.25 sqrt(n)), 25).
int hyperopt_default_gamma(int n);
/// Weights of n observations, oldest first (Bergstra et al. 2013, "Making a Science of Model
/// Search", sec. 3.1): ones for n < 25; else a linear ramp from 1/n to 1 over the n - 25 oldest
/// followed by 25 ones. Shape: (n).
std::vector<double> default_weights(int n);

/// Options of TPESampler; defaults are Optuna 3.1's TPESampler defaults.
struct TPESamplerOptions {
  /// Add a prior component (mean at the centre of the range, sigma = the range; for categorical,
  /// uniform) to each Parzen estimator. Default true; stabilizes the estimate with few trials.
  bool consider_prior = true;
  /// Weight of the prior component relative to an observation's weight. Default 1.0 (> 0).
  double prior_weight = 1.0;
  /// Lower-bound each component's sigma by range / min(100, n_components) so that the estimator
  /// does not collapse onto single points. Default true.
  bool consider_magic_clip = true;
  /// Let the range endpoints count as neighbours of the outermost observations when computing
  /// bandwidths (Bergstra et al. 2011). Default false.
  bool consider_endpoints = false;
  /// Random sampling until this many trials are COMPLETE or PRUNED. Default 10.
  int n_startup_trials = 10;
  /// Candidates drawn from l(x); the one maximizing l(x)/g(x) is proposed. Default 24; more
  /// candidates exploit harder.
  int n_ei_candidates = 24;
  /// Number of observations that form l(x), from the number of finished trials.
  /// Default default_gamma. Config: "gamma": "default" | "hyperopt".
  std::function<int(int)> gamma = default_gamma;
  /// Observation weights (shape (n), oldest first, non-negative, not all zero).
  /// Default default_weights. Not settable from a config mapping.
  std::function<std::vector<double>(int)> weights = default_weights;
  /// Seed; default none (not reproducible).
  std::optional<uint64_t> seed;
  /// Multivariate TPE (Falkner et al. 2018, BOHB): one joint Parzen estimator over the
  /// intersection search space of the finished trials (sample_relative); parameters outside it
  /// are sampled independently. Default false.
  bool multivariate = false;
  /// With `multivariate`, split the search space into groups of parameters that always appear
  /// together (conditional spaces) and sample each group jointly. Default false.
  bool group = false;
  /// With `multivariate`, log a warning when a parameter is sampled independently. Default true.
  bool warn_independent_sampling = true;
  /// Count RUNNING trials as observations with the worst possible value so that parallel
  /// workers avoid proposing the same point (single objective only). Default false.
  bool constant_liar = false;
  /// false (default, Optuna 3.1.0): a continuous component contributes its standardized
  /// truncated-normal density, without the -log(sigma) term (optuna issue #5109), which in effect
  /// weights each component by its bandwidth (isolated points and the prior count more).
  /// true: the exact density of x (Optuna >= 3.5, PR #5110). On the 2-D quadratic of
  /// tests/sampler (60 trials, 100 seeds) the default reached a mean best value of 0.039 and the
  /// exact density 0.081 (random search: 0.44).
  bool exact_log_pdf = false;

  /// Throws ConfigError naming the field when a value is out of range (prior_weight <= 0,
  /// n_startup_trials < 0, n_ei_candidates < 1, group without multivariate, empty functions).
  void validate() const;
};

/// TPE (Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization", sec. 4; the
/// components as analysed by Watanabe 2023, "Tree-structured Parzen estimator: understanding its
/// algorithm components"), with Optuna 3.1's behaviour:
///  - observations are the COMPLETE and PRUNED trials (and RUNNING ones with constant_liar);
///    they are ranked by (-last step, value) lexicographically, so COMPLETE trials come first,
///    then PRUNED trials by how far they got, each by value (sign-flipped when maximizing);
///    a PRUNED trial without intermediate values ranks after all of those; RUNNING trials last;
///  - the best gamma(n) form l(x), the rest g(x); each is a Parzen estimator (a mixture of
///    truncated Gaussians in the internal space, log space for log distributions, discretized
///    for step and int; categorical: smoothed frequencies);
///  - n_ei_candidates samples are drawn from l(x) and the one maximizing l(x)/g(x) is returned.
/// The history is read once per trial, at its first independent suggestion, and reused for the
/// trial's other independently sampled parameters. Cost per suggestion: O(n) to extend the
/// observations (kept across trials while the history only grows: each parameter's values, their
/// sort order and the estimators' truncation masses) plus O(n_ei_candidates x n) for the mixture
/// densities, instead of copying and re-sorting the history (StudyView::finished_trials_snapshot).
/// Results are those of the plain computation (Optuna 3.1's, tests/sampler/tpe_parity_test.cc).
/// With `multivariate` and
/// `warn_independent_sampling`, the warning is printed to stderr once per parameter name.
/// Multi-objective studies (MOTPE: Ozaki et al., "Multiobjective tree-structured Parzen
/// estimator for computationally expensive optimization problems", GECCO 2020, and JAIR 73,
/// 2022; Optuna 3.1's behaviour); pruned and running trials are ignored:
///  - split: whole non-domination ranks (pareto.h, objectives sign-flipped to minimization) go
///    into l(x) while they fit in gamma(n); the members of the first rank that does not fit are
///    chosen by greedy hypervolume subset selection (tpe::select_by_hypervolume: repeatedly the
///    member with the largest hypervolume contribution given the members already chosen; the
///    better ranks are not part of that set, since they dominate every member and would make
///    every contribution 0). Reference point, per objective, from the worst value w among that
///    rank: 1.1 w when w > 0, 0.9 w when w < 0, 1e-12 when w == 0 (Optuna's rule). Members with
///    an infinite value are chosen last, in trial order. Cost: k x (rank size) hypervolumes of at
///    most k points (k <= gamma(n) <= 25), once per trial (per group with `group`);
///  - l(x): component i (a below observation) has weight c_i / max_j c_j, c_i = its exclusive
///    hypervolume contribution within the below set (reference point by the rule above over the
///    below set) + 1e-12; dominated members thus get ~1e-12 (Ozaki et al. 2022, sec. 4.3). These
///    weights replace `weights` for l(x); g(x) keeps `weights`. The prior keeps prior_weight.
/// Constraints (Optuna 3.x constraints_func semantics, read from each trial's system attr
/// "constraints", frozen_trial.h: feasible when every value is <= 0, violation = sum of the
/// positive parts, +inf for NaN; a trial without the attr is feasible): when some observation is
/// infeasible, l(x) takes the best gamma(n) feasible observations (single objective: by the rank
/// key above; multi-objective: the split above among the feasible ones) when there are that many,
/// else every feasible one plus the infeasible ones of smallest violation (ties in trial order);
/// infeasible observations get weight 1e-12 in a multi-objective l(x). Without infeasible
/// observations the behaviour is exactly the unconstrained one. A malformed attr throws
/// ConfigError naming the trial.
class TPESampler final : public Sampler {
 public:
  /// Throws ConfigError when `options` are invalid (see TPESamplerOptions::validate).
  explicit TPESampler(TPESamplerOptions options = {});
  ~TPESampler() override;

  SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  /// Releases the history held for `trial` (so that the study can extend it in place).
  void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                   const std::vector<double>& values) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "tpe"; }

  const TPESamplerOptions& options() const { return options_; }

 private:
  struct Observations;  // tpe_sampler.cc: observations kept across trials for independent sampling
  std::map<std::string, double> sample_group_(const std::vector<const FrozenTrial*>& trials,
                                              const std::vector<StudyDirection>& directions,
                                              const SearchSpace& search_space);
  void warn_independent_(int trial_number, const std::string& name);
  /// Brings `observations_` to the history of `study` for `trial` (REQUIRES(history_mutex_)).
  void begin_trial_(const StudyView& study, const FrozenTrial& trial);

  const TPESamplerOptions options_;
  std::mutex rng_mutex_;
  std::mt19937_64 rng_;         // GUARDED_BY(rng_mutex_); TPE proposals
  std::mt19937_64 startup_rng_; // GUARDED_BY(rng_mutex_); random sampling of the start-up phase
  std::mutex warn_mutex_;
  std::set<std::string> warned_;  // GUARDED_BY(warn_mutex_); parameters warned about once
  std::mutex history_mutex_;  // held for a whole independent suggestion (taken before rng_mutex_)
  std::unique_ptr<Observations> observations_;  // GUARDED_BY(history_mutex_)
};

/// Options of GridSampler.
struct GridSamplerOptions {
  /// Parameter name -> the values to try (null / bool / int / float / string). Required,
  /// non-empty; each list non-empty and without duplicates; at most 10,000,000 grid points.
  std::map<std::string, std::vector<ParamValue>> search_space;
  /// Seed of the visiting order and of the fallback after exhaustion. Default: none (random).
  std::optional<uint64_t> seed;
};

/// Grid search, as optuna.samplers.GridSampler (Optuna 3.1), through `sample_independent`
/// (the grid values are given, so nothing needs a joint proposal):
///  - the grid is the Cartesian product of the value lists (names sorted); its points are visited
///    in an order shuffled once by `seed` (Optuna too visits them in random order);
///  - at a trial's first suggestion the sampler picks the first point in that order not yet
///    taken. A point is taken when a trial of the study (any state: COMPLETE, PRUNED, RUNNING,
///    WAITING, FAIL, as in Optuna) has params equal to the point for every grid name, or when a
///    trial of this process was assigned it and has not finished. Optuna records the choice in
///    the system attr "grid_id"; samplers here only read snapshots, so "taken" is derived from
///    the params. Across processes two trials that start before either has suggested a
///    parameter may get the same point (Optuna has the same race);
///  - once every point has a finished or RUNNING trial the grid is exhausted (`exhausted`):
///    Study::optimize and `autoglm tune` / `worker` start no new trial, as Optuna stops the study.
///    A trial started anyway (ask(), or several processes racing) gets a warning on stderr once
///    and a uniformly random point;
///  - suggesting a parameter not in `search_space` throws ConfigError naming it, and so does a
///    grid value that is not contained in the suggested distribution.
/// `reseed` re-seeds the fallback generator only (the visiting order stays, so processes sharing
/// a seed share the order).
class GridSampler final : public Sampler {
 public:
  /// Throws ConfigError when the search space is empty, has an empty or duplicated list, or is
  /// too large.
  explicit GridSampler(GridSamplerOptions options);

  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                   const std::vector<double>& values) override;
  /// Every grid point has a finished or RUNNING trial (Optuna 3.1's GridSampler.after_trial rule).
  bool exhausted(const StudyView& study) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "grid"; }

  /// Number of grid points.
  size_t grid_size() const { return order_.size(); }

 private:
  size_t pick_(const StudyView& study, const FrozenTrial& trial);  // REQUIRES(mutex_)
  std::optional<size_t> grid_id_of_(const FrozenTrial& t) const;

  std::vector<std::string> names_;                 // sorted
  std::vector<std::vector<ParamValue>> values_;    // per name
  std::vector<size_t> order_;                      // visiting order of grid ids
  std::mutex mutex_;
  std::mt19937_64 rng_;                            // GUARDED_BY(mutex_); fallback after exhaustion
  std::map<int64_t, size_t> assigned_;             // GUARDED_BY(mutex_); trial key -> grid id
  bool warned_exhausted_ = false;                  // GUARDED_BY(mutex_)
};

/// Options of QMCSampler.
struct QMCSamplerOptions {
  /// "sobol" (default) or "halton".
  std::string qmc_type = "sobol";
  /// Randomize the sequence (default true). Sobol: a random XOR digital shift per dimension (not
  /// Owen's nested scrambling, nor SciPy's linear matrix scrambling; a digital shift keeps the
  /// (t, m, s)-net property). Halton: a random permutation of the digits per dimension and digit
  /// position (as SciPy's Halton scrambling).
  bool scramble = true;
  /// Seed of the scrambling and of the independent fallback. Default: none (random). Processes
  /// that share a study must share the seed so that they share the sequence.
  std::optional<uint64_t> seed;
};

/// Quasi-Monte Carlo sampling, as optuna.samplers.QMCSampler (Optuna 3.1):
///  - the relative search space is the space of the study's first COMPLETE trial (lowest number,
///    single-valued distributions left out), fixed once found; until then, and for parameters
///    outside it, values are sampled independently at random (RandomSampler's rules);
///  - trial number i uses point i of the sequence (so parallel workers and processes get
///    distinct points without shared state; Optuna counts samples in a study attr instead).
///    The trials sampled before the space is known (at least trial 0) leave their points unused;
///  - dimensions are the parameter names in sorted order; a coordinate u in [0, 1) maps through
///    the internal space as RandomSampler maps its uniform draw (log space, step grids widened
///    by half a step and rounded, int rounding, categorical index floor(u * n));
///  - Sobol: Gray-code order, direction numbers of Joe & Kuo (2008), file new-joe-kuo-6.21201,
///    for up to 32 dimensions; Halton: the first 64 primes as bases, so up to 64 dimensions.
///    A larger search space throws ConfigError.
/// `reseed` re-seeds the independent fallback only; the scrambling stays that of `seed`.
class QMCSampler final : public Sampler {
 public:
  /// Throws ConfigError for an unknown qmc_type.
  explicit QMCSampler(QMCSamplerOptions options = {});

  SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "qmc"; }

  /// Point `index` of the (scrambled) sequence in `dims` dimensions, coordinates in [0, 1).
  /// Throws ConfigError when `dims` exceeds the supported dimensions.
  std::vector<double> point(uint64_t index, size_t dims) const;
  /// Largest supported dimension for the configured qmc_type.
  size_t max_dimensions() const;
  /// Maps a unit coordinate to an internal value of `distribution` (see above).
  static double from_unit(double u, const Distribution& distribution);

 private:
  const QMCSamplerOptions options_;
  std::vector<uint32_t> sobol_shift_;                    // per dimension (scramble)
  std::vector<std::vector<std::vector<int>>> halton_perm_;  // [dim][digit position][digit]
  std::mutex mutex_;
  std::mt19937_64 rng_;                                  // GUARDED_BY(mutex_); independent fallback
  std::optional<SearchSpace> initial_space_;             // GUARDED_BY(mutex_)
};

/// Options of CmaEsSampler.
struct CmaEsSamplerOptions {
  /// Initial step size in the unit cube [0, 1]^n (each parameter's internal range scaled to
  /// [0, 1]). Default 1/6, so that mean +- 3 sigma spans the cube. Must be > 0.
  double sigma0 = 1.0 / 6.0;
  /// Seed of the CMA-ES draws and of the independent (random) fallback. Default: none (random).
  std::optional<uint64_t> seed;
  /// Trials sampled at random (RandomSampler's rules) until this many trials are COMPLETE.
  /// Default 1; values below 1 act as 1, since the search space is taken from a COMPLETE trial.
  int n_startup_trials = 1;
  /// "none" (default) or "ipop": restart with a doubled population (and a uniformly random mean)
  /// when the step size collapses (sigma * sqrt(max C_ii) < 1e-11), the objective values of a
  /// generation span less than 1e-12 (TolFun, e.g. on a plateau of an integer space) or the
  /// condition number of C exceeds 1e14 (Auger & Hansen 2005, "A restart CMA evolution strategy with increasing
  /// population size").
  std::string restart_strategy = "none";
  /// Population size lambda; default (unset) 4 + floor(3 ln n). Must be >= 2 when set.
  std::optional<int> popsize;
  /// CMA-ES with Margin (Hamano et al., GECCO 2022; see CmaEsSampler) for int and stepped float
  /// parameters: keeps the probability that a discretized coordinate leaves the cell of the mean
  /// at least `margin`, so the search does not freeze on a non-optimal value once the step size
  /// is below a cell's width. Default true. No effect on a space without such parameters.
  bool with_margin = true;
  /// The margin alpha; unset: 1 / (n lambda) (n: dimensions, lambda: population size; the paper's
  /// default). Must be in (0, 0.5) when set.
  std::optional<double> margin;

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
};

/// (mu/mu_w, lambda)-CMA-ES, clean-room from N. Hansen, "The CMA Evolution Strategy: A Tutorial"
/// (arXiv:1604.00772, 2016): weighted recombination of the best mu = floor(lambda / 2) with
/// w_i proportional to ln((lambda + 1) / 2) - ln i (positive weights only, no active CMA),
/// cumulative step-size adaptation, rank-one and rank-mu covariance updates, with the default
/// constants of the tutorial's Table 1 (c_m = 1, alpha_cov = 2). On a 10-D sphere over [-5, 5]
/// with the optimum at 1.234 in every coordinate it reached f < 1e-6 after 952 .. 1,217
/// evaluations (seeds 0 .. 29; tests/sampler/cmaes_sampler_test.cc).
///
/// With `with_margin` (default), discretized coordinates (int, stepped float) follow
/// "CMA-ES with Margin" (R. Hamano, S. Saito, M. Nomura, S. Shirakawa, "CMA-ES with Margin:
/// Lower-Bounding Marginal Probability for Mixed-Integer Black-Box Optimization", GECCO 2022,
/// arXiv:2205.13482):
///  - a candidate is x ~ N(m, sigma^2 C) as usual; a discretized coordinate j is evaluated at
///    v_j = m_j + A_jj (x_j - m_j), A a diagonal matrix (the identity for continuous coordinates),
///    rounded to its cell; the distribution update uses x (the paper's sec. 3);
///  - after every update, for each discretized j: let l_low < m_j <= l_up be the cell thresholds
///    around m_j (in the unit cube; the midpoints between consecutive values), s = sigma A_jj
///    sqrt(C_jj), p_low = Phi((l_low - m_j) / s), p_up = 1 - Phi((l_up - m_j) / s) (the marginal
///    probabilities of leaving the cell downwards / upwards) and p_mid = 1 - p_low - p_up;
///  - cell at the end of the range (one threshold l): if min(p_low, p_up) < alpha the mean moves
///    to m_j = l + sign(m_j - l) s Phi^-1(1 - alpha), so that crossing l has probability alpha;
///  - inner cell: p'_low = max(p_low, alpha / 2), p'_up = max(p_up, alpha / 2), renormalized as
///    p''_k = p'_k + (1 - p'_low - p'_up - p_mid) (p'_k - alpha / 2) /
///    (p'_low + p_mid + p'_up - 3 alpha / 2), clipped to [1e-10, 0.5 - 1e-10]; then with
///    q_k = Phi^-1(1 - p''_k), m_j and A_jj solve (l_low - m_j) / s = -q_low and
///    (l_up - m_j) / s = q_up with sigma and C fixed: A_jj = (l_up - l_low) / ((q_low + q_up)
///    sigma sqrt(C_jj)), m_j = (l_low q_up + l_up q_low) / (q_low + q_up) (the paper's eqs. for the
///    margin correction; alpha = 1 / (n lambda) by default).
/// Without the margin, a coordinate whose sigma sqrt(C_jj) falls well below a cell's width stays
/// on its value for good: on the integer ellipsoid sum_i 10^i (x_i - 3)^2 over 6 ints in
/// [-10, 10], 5 of seeds 0 .. 14 stalled (f = 1 .. 9 after 1,500 evaluations); with the margin all
/// 15 reached 0 (tests/sampler/cmaes_sampler_test.cc).
///  - search space: the float and int parameters (single-valued ones left out) of the study's
///    first COMPLETE trial (lowest number), fixed once found. Categorical parameters and
///    parameters outside the space are sampled independently at random, as Optuna does. A space
///    of fewer than 2 dimensions is sampled at random too (as Optuna's CmaEsSampler does);
///  - CMA-ES runs in the unit cube: each internal range (log space for log distributions) is
///    scaled to [0, 1], initial mean 0.5 in every coordinate, sigma = sigma0. Ints and stepped
///    floats are continuous inside CMA-ES; a candidate is clipped to the cube and mapped back with
///    QMCSampler::from_unit (rounding to the grid). The clipped (unrounded) candidate is what the
///    update sees;
///  - state across asynchronous trials: the current generation's candidates are kept in memory
///    keyed by trial number (the state is process-local: processes sharing a study each run
///    their own CMA-ES). The generation is updated once lambda of its trials are COMPLETE (the
///    first objective value; negated when maximizing); a FAIL or PRUNED trial of the generation
///    simply frees its slot, so a later trial draws a new candidate of the same generation.
///    Trials of an older generation that finish after the update are ignored;
///  - multi-objective studies fall back to random sampling.
/// Thread-safe: all state is guarded by one mutex. With one worker and a fixed seed the trials
/// are reproducible (normal draws by Box-Muller from std::mt19937_64).
class CmaEsSampler final : public Sampler {
 public:
  /// Throws ConfigError when `options` are invalid (see CmaEsSamplerOptions::validate).
  explicit CmaEsSampler(CmaEsSamplerOptions options = {});
  ~CmaEsSampler() override;

  SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                   const std::vector<double>& values) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "cmaes"; }

  const CmaEsSamplerOptions& options() const { return options_; }
  /// Number of completed CMA-ES generations (updates) so far, and restarts (ipop).
  int generations() const;
  int restarts() const;

 private:
  struct State;
  const CmaEsSamplerOptions options_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;                       // GUARDED_BY(mutex_); CMA-ES draws
  std::mt19937_64 random_rng_;                // GUARDED_BY(mutex_); independent fallback
  std::optional<SearchSpace> space_;          // GUARDED_BY(mutex_)
  std::unique_ptr<State> state_;              // GUARDED_BY(mutex_)
};

/// Factories called by the registry (src/study/registry.cc). Each reads its options with
/// OptionReader: unknown keys throw ConfigError with a did-you-mean suggestion; "name" is ignored.
/// make_random_sampler: {"seed"}. make_tpe_sampler: every TPESamplerOptions field by name
/// except `weights`; "gamma" is "default" or "hyperopt".
std::unique_ptr<Sampler> make_random_sampler(const nlohmann::json& options);
std::unique_ptr<Sampler> make_tpe_sampler(const nlohmann::json& options);
/// make_grid_sampler: {"search_space": {name: [values...]}, "seed"}.
std::unique_ptr<Sampler> make_grid_sampler(const nlohmann::json& options);
/// make_qmc_sampler: {"qmc_type": "sobol" | "halton", "scramble", "seed"}.
std::unique_ptr<Sampler> make_qmc_sampler(const nlohmann::json& options);
/// make_cmaes_sampler: {"sigma0", "seed", "n_startup_trials", "restart_strategy": "none" | "ipop",
/// "popsize", "with_margin", "margin"}.
std::unique_ptr<Sampler> make_cmaes_sampler(const nlohmann::json& options);

}  // namespace autoglm
