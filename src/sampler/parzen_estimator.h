// TPE kernels (private to src/sampler/): truncated-normal helpers, the Parzen estimator, the
// observation ranking of Optuna 3.1 and the candidate comparison. Free functions and a value
// class so that tests/sampler/tpe_parity_test.cc checks each against Optuna's internals
// (tests/data/optuna_tpe_expected.json, written by scripts/gen_optuna_tpe.py).
//
// Sources: Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization", sec. 4 (the
// estimators l(x), g(x) and the bandwidth rule); Falkner et al. 2018 (BOHB: the multivariate
// kernel and Scott-like bandwidth); Watanabe 2023, "Tree-structured Parzen estimator:
// understanding its algorithm components"; Optuna 3.1's samplers/_tpe for exact behaviour.
// Everything here is pure and thread-safe, except that sample() advances the generator it is
// given (the caller guards it).
//
// Cost (what TPESampler pays per suggestion; n observations, 24 candidates): building an
// estimator is O(n log n) (the bandwidth rule sorts), or O(n) from a sort order the caller keeps
// (`univariate`); log_pdf is O(candidates x n) and is the dominant term. log_pdf computes the
// component terms with the reference implementation's operations and sums each sample's mixture
// in component order (the prior last); it differs from the plain scalar loop (std::exp of every
// term) only in the last bits: its exp is vectorized (accurate to 1 ulp), and for one continuous
// parameter the terms below e^-50 of the largest in all lanes of a vector are left out (together
// < 2e-17 of the sum). tests/sampler/tpe_sampler_test.cc checks 1e-14 agreement with the plain
// loop; the Optuna parity tests allow 1e-9.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"

namespace autoglm::tpe {

// ---- random numbers ----
/// Uniform double in [0, 1) from the top 53 bits of one draw (portable, unlike
/// std::uniform_real_distribution whose algorithm is implementation-defined).
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// ---- standard normal helpers ----
/// log Phi(a), accurate in both tails (asymptotic series below a = -30).
double log_ndtr(double a);
/// log(Phi(b) - Phi(a)) for a <= b, computed in the tail where it is accurate.
double log_gauss_mass(double a, double b);
/// Quantile of the standard normal truncated to [a, b]: x with (Phi(x) - Phi(a)) / (Phi(b) -
/// Phi(a)) = q, q in [0, 1]. Solved in log space by bisection; returns a at q = 0, b at q = 1.
double truncnorm_ppf(double q, double a, double b);

// ---- Parzen estimator ----
struct ParzenEstimatorParameters {
  bool consider_prior = true;
  double prior_weight = 1.0;
  bool consider_magic_clip = true;
  bool consider_endpoints = false;
  std::function<std::vector<double>(int)> weights;  ///< n -> shape (n), oldest first
  bool multivariate = false;
  /// false: Optuna 3.1.0's density for continuous components (no -log(sigma) term); true: the
  /// exact density. See TPESamplerOptions::exact_log_pdf.
  bool exact_log_pdf = false;
};

/// Samples / observations by parameter name, internal representation (categorical: index), all
/// vectors of the same length.
using ParamColumns = std::map<std::string, std::vector<double>>;

/// A mixture of n + 1 components (n observations and, with consider_prior or when n == 0, a
/// prior), product kernels over the parameters of `search_space`:
///  - float / int: a Gaussian truncated to the bounds in the transformed space (log for `log`
///    distributions; bounds widened by half a step for step / int, whose kernel is the mass of
///    the step cell around x); univariate sigma = max distance to the sorted neighbours
///    (Bergstra et al. 2011), multivariate sigma = 0.2 n^(-1/(d+4)) (high - low); clipped to
///    [(high - low) / min(100, n + 1) (magic clip) or 1e-12, high - low]; prior N(mid, high - low);
///  - categorical: each component puts (1 + prior_weight / (n + 1)) on its observed choice and
///    prior_weight / (n + 1) on every choice, normalized; the prior component is uniform.
/// Component weights: parameters.weights(n), then prior_weight, normalized to sum 1.
/// Throws ConfigError when the weights function returns fewer than n, negative, non-finite or
/// all-zero values.
class ParzenEstimator {
 public:
  struct Kernel {
    bool categorical = false;
    double low = 0, high = 0;      ///< Transformed bounds (numerical only).
    std::optional<double> q;       ///< Step of the discretization (step floats and non-log ints).
    std::vector<double> mus, sigmas;  ///< Shape (n_components), numerical only.
    /// log of each component's mass inside [low, high] (the truncation normalizer), shape
    /// (n_components), numerical only.
    std::vector<double> log_mass;
    std::vector<std::vector<double>> categorical_weights;  ///< (n_components, n_choices).
  };

  /// Memo of the truncation masses of one parameter's components across estimators built for the
  /// same distribution, indexed by the caller's observation ids: an entry is reused when the
  /// component's sigma is bit-equal to the one it was computed for (so results do not change).
  /// Successive TPE trials mostly share components and bandwidths, so this skips nearly all of the
  /// erfc calls that the masses would cost.
  struct MassMemo {
    std::vector<double> sigma;     ///< NaN: no entry.
    std::vector<double> log_mass;
  };
  /// The normalized component weights (and their logs) of the last estimator built with it, for
  /// n observations: estimators of the same trial (one per parameter) share them.
  struct WeightsMemo {
    int n = -1;
    bool consider_prior = false;
    std::vector<double> weights, log_weights;
  };

  ParzenEstimator(const ParamColumns& observations, const SearchSpace& search_space,
                  const ParzenEstimatorParameters& parameters);

  /// The estimator that the constructor builds for ParamColumns{{name, xs}} over a univariate
  /// numerical (float / int) space with parameters.multivariate false, identical in every value,
  /// from what a caller that keeps its observations sorted already has:
  ///  - `xs`: the observations (internal representation), shape (n);
  ///  - `order`: the indices of xs sorted by (transformed value, index) (a stable argsort);
  ///  - `ids` (shape (n)) and `memo`: optional; memo entries are looked up and stored under ids;
  ///  - `weights_memo`: optional; reused when built for the same n (and the same parameters: the
  ///    caller keeps one per parameter set).
  /// O(n) instead of O(n log n) plus n erfc calls and n logs.
  static ParzenEstimator univariate(const std::string& name, const Distribution& distribution,
                                    const std::vector<double>& xs, const std::vector<int>& order,
                                    const ParzenEstimatorParameters& parameters,
                                    const std::vector<int>* ids = nullptr, MassMemo* memo = nullptr,
                                    WeightsMemo* weights_memo = nullptr);

  /// `size` joint samples, internal representation: a component is drawn by weight, then each
  /// parameter from that component's kernel (stepped values rounded to the grid and clipped).
  ParamColumns sample(std::mt19937_64& rng, int size) const;
  /// Log-density of each sample under the mixture. Shape (n_samples).
  std::vector<double> log_pdf(const ParamColumns& samples) const;

  const std::vector<double>& weights() const { return weights_; }
  const Kernel& kernel(const std::string& name) const { return kernels_.at(name); }
  int n_observations() const { return n_observations_; }

 private:
  ParzenEstimator() = default;
  /// Component weights (the weights function for n observations, then prior_weight), normalized.
  static std::vector<double> component_weights(int n, bool consider_prior, const ParzenEstimatorParameters& p);
  /// Sigmas of the univariate bandwidth rule from the transformed observations `mus` (prior last
  /// when consider_prior) and their stable argsort `order`, clipped; writes k.sigmas.
  static void univariate_sigmas(Kernel& k, const std::vector<size_t>& order, bool consider_prior, int n,
                                const ParzenEstimatorParameters& p);

  SearchSpace search_space_;
  ParzenEstimatorParameters parameters_;
  int n_observations_ = 0;
  std::vector<double> weights_, log_weights_;
  std::map<std::string, Kernel> kernels_;
};

/// Internal value -> the estimator's space (log for log distributions, identity otherwise).
double to_parzen_space(const Distribution& d, double x);

/// Transformed bounds and step of a numerical distribution as the estimator uses them:
/// float: (low, high, none); float step: (low - s/2, high + s/2, s); int: (low - s/2, high + s/2,
/// s); float log: (ln low, ln high, none); int log: (ln(low - 0.5), ln(high + 0.5), none).
std::tuple<double, double, std::optional<double>> parzen_bounds(const Distribution& d);

// ---- observations ----
/// Rank key of one observation, compared lexicographically (smaller is better): step_key is -inf
/// for COMPLETE, -(last step) for PRUNED with intermediate values (value +inf when that value is
/// NaN), 1 for PRUNED without any (value 0), +inf for RUNNING (value +inf, times -1 when
/// maximizing, as Optuna 3.1); values are the objective values multiplied by -1 for maximized
/// directions.
struct Score {
  double step_key = 0;
  std::vector<double> values;
};

struct ObservationPairs {
  /// name -> value per observation (NaN where the trial lacks the parameter).
  ParamColumns values;
  std::vector<Score> scores;
  /// Total constraint violation per observation (constraint_violation(trial), frozen_trial.h):
  /// 0 when feasible or without the "constraints" attr, +inf for NaN constraints. Shape (n).
  std::vector<double> violations;
  /// Observations that are not RUNNING (the n of gamma(n)).
  int n_finished = 0;
};

/// Optuna 3.1's _get_observation_pairs: the COMPLETE and PRUNED trials of `trials` (and RUNNING
/// with constant_liar), in the given order. Multi-objective: PRUNED and RUNNING are skipped.
/// A trial whose distribution for a name is of another kind than `reference` (when given) counts
/// as lacking the parameter.
ObservationPairs get_observation_pairs(const std::vector<FrozenTrial>& trials, const std::vector<std::string>& names,
                                       const std::vector<StudyDirection>& directions, bool constant_liar,
                                       const SearchSpace* reference = nullptr);
/// The same over trials given by pointer (no copies).
ObservationPairs get_observation_pairs(const std::vector<const FrozenTrial*>& trials,
                                       const std::vector<std::string>& names,
                                       const std::vector<StudyDirection>& directions, bool constant_liar,
                                       const SearchSpace* reference = nullptr);
/// The rank key of one trial as get_observation_pairs computes it; nullopt when the trial is not an
/// observation (FAIL, WAITING, RUNNING without constant_liar, PRUNED / RUNNING in multi-objective
/// studies, COMPLETE with a wrong number of values).
std::optional<Score> observation_score(const FrozenTrial& t, const std::vector<StudyDirection>& directions,
                                       bool constant_liar);

/// Optuna 3.1's _split_observation_pairs: the n_below best observations and the rest, both index
/// lists ascending (chronological). n_below is clamped to [0, n].
///  - single objective: the first n_below of the stable sort by Score (step_key, then value with
///    NaN last). O(n) (a selection, not a sort);
///  - multi-objective: whole non-domination ranks (pareto.h, values as given: minimized; NaN
///    counts as +inf) while they fit; the members of the first rank that does not fit are chosen
///    by greedy hypervolume subset selection (select_by_hypervolume below).
///  - `violations` (shape (n), optional; total constraint violation per observation, 0 =
///    feasible): when any is > 0, feasible observations come before infeasible ones (Optuna 3.1's
///    constraints_func semantics): when there are at least n_below feasible ones, the split above
///    is applied to the feasible observations only (every infeasible one goes above); otherwise
///    every feasible one is below, filled up with the infeasible ones of smallest violation
///    (stable: ties in trial order). With no violation > 0 the result is that of the
///    unconstrained split, bit for bit.
std::pair<std::vector<int>, std::vector<int>> split_observation_pairs(const std::vector<Score>& scores, int n_below,
                                                                      const std::vector<double>* violations = nullptr);

/// Reference point of the hypervolume tie-break and weights (Optuna 3.1's rule), shape (m), from
/// points of shape (n >= 1, m), minimized, finite: per objective k with w = max_i p_i[k],
/// r_k = 1.1 w when w > 0, 0.9 w when w < 0 and 1e-12 when w == 0, so every point is no worse
/// than r (strictly better except where w == 0 and the point's value is 0 ... 1e-12).
std::vector<double> hypervolume_reference_point(const std::vector<std::vector<double>>& points);

/// Greedy hypervolume subset selection (Guerreiro, Fonseca, Paquete, "Greedy hypervolume subset
/// selection in low dimensions", Evolutionary Computation 24(3), 2016; a (1 - 1/e)-approximation
/// since the hypervolume is monotone submodular): from `points` (shape (n, m), minimized) picks
/// k = min(k, n) indices, repeatedly adding the point whose hypervolume contribution given the
/// points chosen so far, HV(S + {p}) - HV(S) with respect to `reference`, is largest (the first
/// in index order on ties). Points with a non-finite value have no defined contribution: they are
/// chosen last, in index order. Returns the indices in the order chosen. Throws ConfigError as
/// autoglm::hypervolume (sizes, NaN in the reference).
std::vector<int> select_by_hypervolume(const std::vector<std::vector<double>>& points, int k,
                                       const std::vector<double>& reference);

/// Weights of the components of l(x) in a multi-objective study (Ozaki et al., "Multiobjective
/// tree-structured Parzen estimator", JAIR 73, 2022, sec. 4.3; Optuna 3.1's
/// _calculate_weights_below_for_multi_objective): for the observations `below` (indices into
/// `scores`), each feasible one's exclusive hypervolume contribution (pareto.h) within the
/// feasible below set, reference hypervolume_reference_point of that set, plus 1e-12, divided by
/// the largest, so in (0, 1] (the front's most isolated point gets 1, dominated ones ~1e-12).
/// Infeasible observations (violation > 0), and points with a non-finite value, get 1e-12; a
/// single feasible finite point gets 1. Shape (below.size()), in the order of `below`.
std::vector<double> multi_objective_below_weights(const std::vector<Score>& scores, const std::vector<int>& below,
                                                  const std::vector<double>* violations = nullptr);

/// Index of the candidate maximizing log_l - log_g (the first one on ties), as TPESampler._compare.
int argmax_log_ratio(const std::vector<double>& log_l, const std::vector<double>& log_g);

/// Fits l(x) to `below` and g(x) to `above`, draws n_candidates from l and returns the one that
/// maximizes l(x)/g(x) (internal values by name). `rng_mutex`, when given, is held while drawing.
/// `below_parameters`, when given, are l's parameters (multi-objective TPE: per-observation
/// weights); otherwise both use `parameters`.
std::map<std::string, double> sample_and_compare(const ParamColumns& below, const ParamColumns& above,
                                                 const SearchSpace& search_space,
                                                 const ParzenEstimatorParameters& parameters,
                                                 int n_candidates, std::mt19937_64& rng,
                                                 std::mutex* rng_mutex = nullptr,
                                                 const ParzenEstimatorParameters* below_parameters = nullptr);

}  // namespace autoglm::tpe
