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

}  // namespace autoglm::objectives
