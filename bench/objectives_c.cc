// C ABI over the benchmark problems (problems.h), so that Optuna's driver (optuna_runner.py,
// through ctypes) evaluates exactly the C++ functions our samplers and dlib see.
//
// Every function takes the problem name, the dimension (0: the function's fixed dimension) and
// the shift seed (-1: unshifted). Errors are reported by the return value (-1 or NaN) and
// autoglm_last_error(). Problems are built once per (name, dim, seed) and cached; all functions
// are thread-safe. Strings returned stay valid until the next call from the same thread.
//
// Suite M (multi-objective, bench/README.md) adds autoglm_multi_*: the problems of
// objectives::make_multi_problem(name, dim, n_objectives) (unshifted), with their published
// reference point and maximal hypervolume, and autoglm_hypervolume / autoglm_non_dominated_ranks
// over pareto.h, so that Optuna's side is scored by the very same hypervolume code as ours. Also
// autoglm_mo_overhead_points: the point sets both runners time in the multi-objective overhead.
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "autoglm/objectives.h"
#include "autoglm/pareto.h"
#include "problems.h"

namespace {

using autoglm::bench::BenchProblem;

thread_local std::string g_last_error;
thread_local std::string g_string_result;

std::shared_ptr<const BenchProblem> lookup(const char* name, int dim, long long seed) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, int, long long>, std::shared_ptr<const BenchProblem>> cache;
  try {
    const auto key = std::make_tuple(std::string(name ? name : ""), dim, seed < 0 ? -1LL : seed);
    std::lock_guard lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto p = std::make_shared<const BenchProblem>(
        autoglm::bench::make_bench_problem(std::get<0>(key), dim, std::get<2>(key)));
    cache.emplace(key, p);
    return p;
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return nullptr;
  }
}

std::shared_ptr<const autoglm::objectives::MultiProblem> lookup_multi(const char* name, int dim, int n_objectives) {
  static std::mutex mutex;
  static std::map<std::tuple<std::string, int, int>, std::shared_ptr<const autoglm::objectives::MultiProblem>> cache;
  try {
    const auto key = std::make_tuple(std::string(name ? name : ""), dim, n_objectives);
    std::lock_guard lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    auto p = std::make_shared<const autoglm::objectives::MultiProblem>(
        autoglm::objectives::make_multi_problem(std::get<0>(key), dim, n_objectives));
    cache.emplace(key, p);
    return p;
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return nullptr;
  }
}

// Row-major (n, m) array -> point set.
std::vector<std::vector<double>> to_points(const double* points, int n, int m) {
  std::vector<std::vector<double>> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out[i].assign(points + static_cast<ptrdiff_t>(i) * m, points + static_cast<ptrdiff_t>(i + 1) * m);
  return out;
}

}  // namespace

extern "C" {

/// Message of the last failed call of this thread ("" when none).
const char* autoglm_last_error(void) { return g_last_error.c_str(); }

/// Number of parameters of the problem (d for continuous problems, 8 for the mixed ones), or -1.
int autoglm_problem_dim(const char* name, int dim) {
  auto p = lookup(name, dim, -1);
  return p ? static_cast<int>(p->params.size()) : -1;
}

/// f(x) of the problem of `shift_seed` (-1 = unshifted); x has autoglm_problem_dim() entries
/// (floats, ints as doubles, categorical indices). NaN on error.
double autoglm_problem_eval(const char* name, int dim, long long shift_seed, const double* x) {
  auto p = lookup(name, dim, shift_seed);
  if (!p) return std::nan("");
  return (*p)(std::vector<double>(x, x + p->params.size()));
}

/// Bounds of each parameter into low/high (autoglm_problem_dim() entries each). 0 or -1.
int autoglm_problem_bounds(const char* name, int dim, double* low, double* high) {
  auto p = lookup(name, dim, -1);
  if (!p) return -1;
  for (size_t j = 0; j < p->params.size(); ++j) {
    low[j] = p->params[j].low;
    high[j] = p->params[j].high;
  }
  return 0;
}

/// f* (the same for every shift seed), NaN on error.
double autoglm_problem_optimum(const char* name, int dim) {
  auto p = lookup(name, dim, -1);
  return p ? p->optimum_value : std::nan("");
}

/// The problem of `shift_seed` as JSON (BenchProblem::to_json: parameter names, kinds, bounds,
/// choices, f*, x*), or NULL on error.
const char* autoglm_problem_json(const char* name, int dim, long long shift_seed) {
  auto p = lookup(name, dim, shift_seed);
  if (!p) return nullptr;
  g_string_result = p->to_json().dump();
  return g_string_result.c_str();
}

/// Checks f(x*) = f* and x* within bounds for the problem of `shift_seed`: 0 when it holds, 1
/// on a mismatch (message in autoglm_last_error()), -1 on error.
int autoglm_problem_check(const char* name, int dim, long long shift_seed) {
  auto p = lookup(name, dim, shift_seed);
  if (!p) return -1;
  std::string msg = autoglm::bench::check_optimum(*p);
  if (msg.empty()) return 0;
  g_last_error = msg;
  return 1;
}

// ---- suite M ----------------------------------------------------------------------------------

/// Number of coordinates d of multi problem (name, dim, n_objectives), or -1 (message in
/// autoglm_last_error()) for an unknown name or an unsupported (dim, M).
int autoglm_multi_dim(const char* name, int dim, int n_objectives) {
  auto p = lookup_multi(name, dim, n_objectives);
  return p ? p->dim : -1;
}

/// The M objective values of x (d entries) into out (M entries). 0, or -1 on error.
int autoglm_multi_eval(const char* name, int dim, int n_objectives, const double* x, double* out) {
  auto p = lookup_multi(name, dim, n_objectives);
  if (!p) return -1;
  try {
    const std::vector<double> v = (*p)(std::vector<double>(x, x + p->dim));
    for (size_t k = 0; k < v.size(); ++k) out[k] = v[k];
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return -1;
  }
  return 0;
}

/// Bounds of each coordinate into low/high (d entries each). 0 or -1.
int autoglm_multi_bounds(const char* name, int dim, int n_objectives, double* low, double* high) {
  auto p = lookup_multi(name, dim, n_objectives);
  if (!p) return -1;
  for (int j = 0; j < p->dim; ++j) {
    low[j] = p->low[j];
    high[j] = p->high[j];
  }
  return 0;
}

/// The published hypervolume reference point into ref (M entries). 0 or -1.
int autoglm_multi_reference(const char* name, int dim, int n_objectives, double* ref) {
  auto p = lookup_multi(name, dim, n_objectives);
  if (!p) return -1;
  for (int k = 0; k < p->n_objectives; ++k) ref[k] = p->reference_point[k];
  return 0;
}

/// HV*: the hypervolume of the true Pareto front with respect to the reference point; NaN on error.
double autoglm_multi_max_hypervolume(const char* name, int dim, int n_objectives) {
  auto p = lookup_multi(name, dim, n_objectives);
  return p ? p->max_hypervolume : std::nan("");
}

/// check_multi_problem (problems.h): 0 when the reference point and HV* agree with a dense
/// sample of the true front, 1 on a mismatch (message in autoglm_last_error()), -1 on error.
int autoglm_multi_check(const char* name, int dim, int n_objectives) {
  auto p = lookup_multi(name, dim, n_objectives);
  if (!p) return -1;
  std::string msg = autoglm::bench::check_multi_problem(*p);
  if (msg.empty()) return 0;
  g_last_error = msg;
  return 1;
}

/// autoglm::hypervolume (pareto.h, every objective minimized) of n points of m objectives
/// (row-major points[i * m + k]) with respect to ref (m entries); points not strictly better than
/// ref in every objective contribute nothing. NaN on error (message in autoglm_last_error()).
double autoglm_hypervolume(const double* points, int n, int m, const double* ref) {
  try {
    if (n < 0 || m < 1) throw std::invalid_argument("autoglm_hypervolume: need n >= 0 and m >= 1");
    return autoglm::hypervolume(to_points(points, n, m), std::vector<double>(ref, ref + m));
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return std::nan("");
  }
}

/// autoglm::non_dominated_ranks (pareto.h) of n points of m objectives (row-major) into ranks
/// (n entries; 0 = the Pareto front). 0, or -1 on error.
int autoglm_non_dominated_ranks(const double* points, int n, int m, int* ranks) {
  try {
    if (n < 0 || m < 1) throw std::invalid_argument("autoglm_non_dominated_ranks: need n >= 0 and m >= 1");
    const std::vector<int> r = autoglm::non_dominated_ranks(to_points(points, n, m));
    for (int i = 0; i < n; ++i) ranks[i] = r[i];
    return 0;
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return -1;
  }
}

/// mo_overhead_points (problems.h) into out (row-major, n * m entries): kind "front" or
/// "uniform". 0, or -1 on error.
int autoglm_mo_overhead_points(const char* kind, int n, int m, long long seed, double* out) {
  try {
    const auto pts = autoglm::bench::mo_overhead_points(kind ? kind : "", n, m, static_cast<uint64_t>(seed));
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < m; ++k) out[static_cast<ptrdiff_t>(i) * m + k] = pts[i][k];
    return 0;
  } catch (const std::exception& e) {
    g_last_error = e.what();
    return -1;
  }
}

}  // extern "C"
