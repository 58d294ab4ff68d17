// shifted(): per-seed shifted (and, for Hartmann, reflected) variants of a problem, so that a
// benchmark measures search rather than a lucky first guess at the box centre (REFERENCE.md,
// "Centre bias"). The draws use only the raw 64-bit output of std::mt19937_64, whose sequence the
// C++ standard fixes, so a seed gives the same problem with every standard library.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "autoglm/objectives.h"

namespace autoglm::objectives {

namespace {

// Uniform in [0, 1) from the top 53 bits of one draw.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

bool reflects(const std::string& name) { return name == "hartmann3" || name == "hartmann6"; }

}  // namespace

Problem shifted(const Problem& problem, uint64_t shift_seed) {
  const size_t d = static_cast<size_t>(problem.dim);
  std::mt19937_64 rng(shift_seed);
  // Draws, in this order: d shifts, then (Hartmann only) d reflection coins.
  std::vector<double> o(d);
  for (size_t j = 0; j < d; ++j) {
    const double range = problem.high[j] - problem.low[j];
    const double raw = (2.0 * uniform01(rng) - 1.0) * 0.2 * range;
    o[j] = std::clamp(raw, problem.low[j] - problem.optimum_x[j], problem.high[j] - problem.optimum_x[j]);
  }
  std::vector<char> reflect(d, 0);
  if (reflects(problem.name))
    for (size_t j = 0; j < d; ++j) reflect[j] = uniform01(rng) < 0.5;

  Problem out = problem;
  for (size_t j = 0; j < d; ++j) {
    // x* + o is inside the domain up to rounding; the clamp keeps it inside exactly.
    double v = std::clamp(problem.optimum_x[j] + o[j], problem.low[j], problem.high[j]);
    if (reflect[j]) v = std::clamp(problem.low[j] + problem.high[j] - v, problem.low[j], problem.high[j]);
    out.optimum_x[j] = v;
  }
  out.f = [f = problem.f, o = std::move(o), reflect = std::move(reflect), low = problem.low,
           high = problem.high](const std::vector<double>& x) {
    std::vector<double> y(x.size());
    for (size_t j = 0; j < x.size() && j < o.size(); ++j) y[j] = (reflect[j] ? low[j] + high[j] - x[j] : x[j]) - o[j];
    return f(y);
  };
  return out;
}

}  // namespace autoglm::objectives
