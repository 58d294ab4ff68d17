// Benchmark objective functions: the standard single-objective test problems, implemented once
// and shared by the CLI's built-in objectives (`objective: {function: hartmann6}`), the test
// suite and the side-by-side benchmark in bench/ (our samplers, Optuna through a C ABI, dlib).
//
// Constants and optima: ../shared/REFERENCE.md, checked against the Simon Fraser University
// virtual library of simulation experiments (Surjanovic & Bingham) and BoTorch's
// test_functions/synthetic.py; every function's f(x*) = f* is verified by tests/objectives.
//
// All functions are minimized. Coordinates are plain doubles in the function's own domain
// (e.g. Branin x0 in [-5, 10], x1 in [0, 15]); every function is defined on all of R^d, and f*
// is its minimum over R^d too (so f >= f* holds for any input, shifted problems included).
//
// Thread-safety: a Problem is a value; its `f` is pure (no shared state) and may be called
// from any number of threads at once. Errors: ConfigError for an unknown name or a dimension the
// function does not have (one-line messages, e.g. "unknown function 'hartman6'; did you mean
// 'hartmann6'?"). Calling `f` with a point whose size is not `dim` is a programming error
// (an assert).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace autoglm::objectives {

/// A box-constrained minimization problem.
struct Problem {
  /// Registered name ("branin", "hartmann6", "rosenbrock", ...).
  std::string name;
  /// Dimension d (number of coordinates x0 ... x{d-1}).
  int dim = 0;
  /// Per-coordinate domain [low[j], high[j]], shape (d).
  std::vector<double> low, high;
  /// Known global minimum value f* over the domain.
  double optimum_value = 0.0;
  /// One global minimizer x* (shape (d)) inside the domain. (Branin has three, six-hump camel
  /// two; this is the first one listed in REFERENCE.md: (-pi, 12.275) and (0.0898, -0.7127).)
  std::vector<double> optimum_x;
  /// The function; takes shape (d), returns f(x). Thread-safe (pure).
  std::function<double(const std::vector<double>&)> f;

  double operator()(const std::vector<double>& x) const { return f(x); }
};

/// Names of the built-in functions, sorted: ackley, branin, griewank, hartmann3, hartmann6, levy,
/// rastrigin, rosenbrock, six_hump_camel, sphere, styblinski_tang.
std::vector<std::string> function_names();

/// The fixed dimension of `name` (branin 2, six_hump_camel 2, hartmann3 3, hartmann6 6), or
/// nullopt for functions defined for any d >= 1 (rosenbrock needs d >= 2).
/// Throws ConfigError for an unknown name (with a did-you-mean suggestion).
std::optional<int> fixed_dimension(const std::string& name);

/// The problem `name` in dimension `dim`. Throws ConfigError for an unknown name (did-you-mean)
/// or a dimension the function does not have (e.g. "hartmann6 has 6 parameters (x0 ... x5),
/// the space has 5; declare exactly x0 ... x5"; rosenbrock needs d >= 2, the others d >= 1).
Problem make_problem(const std::string& name, int dim);

/// The problem of seed `shift_seed`: f_s(x) = f(R(x) - o), where
///  - o is a shift drawn uniformly within +-20% of each coordinate's range (std::mt19937_64
///    seeded with shift_seed), then clipped so that x* + o stays inside the domain;
///  - R reflects, for the Hartmann functions only, each coordinate with probability 1/2
///    (x_j -> low_j + high_j - x_j); identity otherwise.
/// The domain, f* and the name are unchanged; optimum_x is moved to R^{-1}(x* + o) (R is its own
/// inverse). The same seed gives the same problem on every platform, so every optimizer of a
/// benchmark run sees the same problem: the draws use only the raw 64-bit output of
/// std::mt19937_64 (whose sequence the standard fixes), u = (rng() >> 11) * 2^-53 in [0, 1),
/// in this order: o_j = (2 u - 1) * 0.2 * (high_j - low_j) for j = 0 ... d-1, then, for
/// Hartmann, coordinate j is reflected when its u < 0.5 (j = 0 ... d-1).
Problem shifted(const Problem& problem, uint64_t shift_seed);

// ---- multi-objective test problems ----------------------------------------------------------
//
// The ZDT and DTLZ test problems of ../shared/REFERENCE.md ("Multi-objective test problems"),
// for benchmarking multi-objective samplers by hypervolume: every objective is minimized, the
// domain is [0, 1]^d, and `max_hypervolume` is the hypervolume of the whole true Pareto front
// with respect to `reference_point` (report log10(max_hypervolume - HV) as the gap).
//
//  - zdt1, zdt2, zdt3: d >= 2, 2 objectives; f0 = x0, g = 1 + 9 mean(x1 ... x{d-1}),
//    f1 = g h(f0, g) with h = 1 - sqrt(f0/g) (zdt1), 1 - (f0/g)^2 (zdt2),
//    1 - sqrt(f0/g) - (f0/g) sin(10 pi f0) (zdt3). Pareto front: x1 = ... = x{d-1} = 0 (g = 1).
//    Reference point (11, 11); max hypervolume 120 + 2/3, 120 + 1/3, 128.77811613069076.
//  - dtlz2: M >= 2 objectives, d >= M; k = d - M + 1, g = sum over the last k coordinates of
//    (x_j - 0.5)^2, and with t_j = x_j pi / 2
//      f_i = (1 + g) cos(t_0) ... cos(t_{M-2-i}) sin(t_{M-1-i})   (i = 1 ... M-1; no sin for i = 0)
//    so that sum_i f_i^2 = (1 + g)^2. Pareto front: the last k coordinates 0.5 (the positive
//    part of the unit sphere). Reference point 1.1 per objective; max hypervolume
//    1.1^M - pi^(M/2) / (Gamma(M/2 + 1) 2^M) (0.424602 for M = 2, 0.807401 for M = 3).
//
// Unlike the single-objective functions, these are defined on the domain only (zdt1 and zdt3
// take sqrt(x0 / g), NaN for x0 < 0). Thread-safety and errors as for Problem: `f` is pure;
// ConfigError (one line) for an unknown name (did-you-mean) or a dimension / number of
// objectives the problem does not have; a point whose size is not `dim` is an assert.

/// A box-constrained multi-objective minimization problem.
struct MultiProblem {
  /// Registered name ("zdt1", "dtlz2", ...).
  std::string name;
  /// Dimension d (number of coordinates x0 ... x{d-1}).
  int dim = 0;
  /// Number of objectives M (2 for ZDT).
  int n_objectives = 0;
  /// Per-coordinate domain [low[j], high[j]], shape (d); [0, 1] for every problem here.
  std::vector<double> low, high;
  /// Hypervolume reference point, shape (M).
  std::vector<double> reference_point;
  /// Hypervolume of the true Pareto front with respect to reference_point.
  double max_hypervolume = 0.0;
  /// The objectives; takes shape (d), returns shape (M). Thread-safe (pure).
  std::function<std::vector<double>(const std::vector<double>&)> f;

  std::vector<double> operator()(const std::vector<double>& x) const { return f(x); }
};

/// Names of the built-in multi-objective problems, sorted: dtlz2, zdt1, zdt2, zdt3.
std::vector<std::string> multi_function_names();

/// The multi-objective problem `name` in dimension `dim` with `n_objectives` objectives.
/// Throws ConfigError for an unknown name (did-you-mean), a ZDT problem with dim < 2 or
/// n_objectives != 2, or dtlz2 with n_objectives < 2 or dim < n_objectives.
MultiProblem make_multi_problem(const std::string& name, int dim, int n_objectives = 2);

}  // namespace autoglm::objectives
