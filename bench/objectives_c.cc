// C ABI over the benchmark problems (problems.h), so that Optuna's driver (optuna_runner.py,
// through ctypes) evaluates exactly the C++ functions our samplers and dlib see.
//
// Every function takes the problem name, the dimension (0: the function's fixed dimension) and
// the shift seed (-1: unshifted). Errors are reported by the return value (-1 or NaN) and
// autoglm_last_error(). Problems are built once per (name, dim, seed) and cached; all functions
// are thread-safe. Strings returned stay valid until the next call from the same thread.
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "autoglm/objectives.h"
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

}  // extern "C"
