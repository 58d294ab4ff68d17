// Benchmark problems of the side-by-side sampler benchmark (bench/README.md): the continuous
// functions of include/autoglm/objectives.h, shifted per seed, and the mixed (integer +
// categorical) problems of suite C, built on the same shifted functions.
//
// One definition serves every optimizer: autoglm-bench evaluates these objects directly, and
// Optuna's driver evaluates the very same C++ code through the C ABI of objectives_c.cc.
//
// Encoding of a point: one double per parameter, in `params` order; float parameters carry their
// value, int parameters the integer, categorical parameters the index of the choice (0-based).
//
// Thread-safety: a BenchProblem is immutable after construction and its `f` is pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/objectives.h"

namespace autoglm::bench {

enum class ParamKind { kFloat, kInt, kCategorical };

struct BenchParam {
  std::string name;       ///< "x0", "k0", "c0", ...
  ParamKind kind = ParamKind::kFloat;
  double low = 0.0;       ///< Float/int: inclusive bounds. Categorical: 0.
  double high = 1.0;      ///< Categorical: number of choices - 1.
  std::vector<std::string> choices;  ///< Categorical only.
};

struct BenchProblem {
  std::string name;   ///< "branin", "rosenbrock", "hartmann6_mixed", ...
  int dim = 0;        ///< Dimension of the underlying continuous function.
  int64_t seed = -1;  ///< Shift seed; -1 = the unshifted problem.
  std::vector<BenchParam> params;
  double optimum_value = 0.0;        ///< f*, known (for mixed problems by construction).
  std::vector<double> optimum_x;     ///< One minimizer in the point encoding above.
  std::function<double(const std::vector<double>&)> f;

  double operator()(const std::vector<double>& x) const { return f(x); }
  /// {"name", "dim", "seed", "params": [{"name", "type": "float"|"int"|"categorical", "low",
  /// "high", "choices"}], "optimum_value", "optimum_x"}.
  nlohmann::json to_json() const;
};

/// Names of the mixed problems of suite C: hartmann6_mixed, rosenbrock_mixed.
const std::vector<std::string>& mixed_problem_names();
bool is_mixed_problem(const std::string& name);

/// The problem `name` in dimension `dim` (0: the function's fixed dimension) for shift seed
/// `seed` (-1: unshifted). Continuous problems are objectives::shifted(make_problem(name, dim),
/// seed). Mixed problems:
///  - hartmann6_mixed: Hartmann6 of the seed; x0..x2 are ints k0..k2 in 0..10 mapped to
///    x_j = clamp(k_j / 10 + delta_j, 0, 1), where delta_j = x*_j - round(10 x*_j) / 10 puts the
///    grid point round(10 x*_j) exactly on the shifted optimum (so f* is unchanged); x3..x5 float
///    in [0, 1]; categoricals c0, c1 in {a, b, c} each add 0.5 unless the seed's right choice
///    is taken.
///  - rosenbrock_mixed: Rosenbrock d = 6 of the seed; x0..x2 ints k0..k2 in -5..10 mapped the
///    same way (x_j = clamp(k_j + delta_j, -5, 10)); x3..x5 float in [-5, 10]; c0, c1 in
///    {a, b, c} each add 10 unless right.
/// Throws autoglm::ConfigError for an unknown name or a wrong dimension.
BenchProblem make_bench_problem(const std::string& name, int dim, int64_t seed);

/// |f(x*) - f*| <= tol (1e-6 max(1, |f*|)), and x* inside the bounds. Returns an empty string
/// when the check passes, otherwise a message naming the problem, seed and both values.
std::string check_optimum(const BenchProblem& problem);

// ---- suite M (multi-objective) -----------------------------------------------------------------

/// Checks the published constants of a multi-objective problem (reference point, maximal
/// hypervolume HV*): 2,001 Pareto-optimal points (ZDT: x0 = i / 2000, other coordinates 0;
/// dtlz2: the first M - 1 coordinates on a grid of [0, 1]^(M-1) (2,001 points for M = 2,
/// 45 x 45 for M = 3), the others 0.5) are evaluated and their hypervolume (pareto.h) must lie in
/// [0.97 HV*, HV* (1 + 1e-9)]: a sample of the true front can only fall short of HV*, and by
/// little. Returns an empty string when the check passes, else a message.
std::string check_multi_problem(const objectives::MultiProblem& problem);

/// Point sets of the multi-objective overhead measurement, shape (n, m), a function of
/// (kind, n, m, seed) only (std::mt19937_64, so both runners time the same points):
///  - "front": a front-like set: |z| / ||z|| for z ~ N(0, I_m) (a uniform point of the positive
///    part of the unit sphere) plus noise u ~ U[0, 0.1)^m, so most points are near the front and
///    some are dominated; every coordinate lies in [0, 1.1). Reference point: 1.2 per objective.
///  - "uniform": U[0, 1)^m.
/// Throws autoglm::ConfigError for another kind or n < 0, m < 1.
std::vector<std::vector<double>> mo_overhead_points(const std::string& kind, int n, int m, uint64_t seed);

}  // namespace autoglm::bench
