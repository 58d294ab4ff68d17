// Benchmark problems: see problems.h.
#include "problems.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/objectives.h"
#include "autoglm/pareto.h"

namespace autoglm::bench {
namespace {

const char* kind_name(ParamKind k) {
  switch (k) {
    case ParamKind::kFloat: return "float";
    case ParamKind::kInt: return "int";
    case ParamKind::kCategorical: return "categorical";
  }
  return "?";
}

objectives::Problem base_problem(const std::string& function, int dim, int64_t seed) {
  objectives::Problem p = objectives::make_problem(function, dim);
  if (seed >= 0) p = objectives::shifted(p, static_cast<uint64_t>(seed));
  return p;
}

// The mixed construction shared by both mixed problems (see problems.h): the first three
// coordinates become integer grids whose grid point nearest to x*_j maps exactly onto x*_j, the
// last three stay float, and two categorical switches add `penalty` unless the right choice
// (drawn from the seed) is taken.
BenchProblem make_mixed(const std::string& name, const std::string& function, int64_t seed, double scale,
                        int64_t k_low, int64_t k_high, double penalty) {
  const objectives::Problem base = base_problem(function, 6, seed);
  BenchProblem out;
  out.name = name;
  out.dim = 6;
  out.seed = seed;
  out.optimum_value = base.optimum_value;

  std::vector<double> delta(3);
  for (int j = 0; j < 3; ++j) {
    double k_star = std::clamp(std::round(base.optimum_x[j] * scale), static_cast<double>(k_low),
                               static_cast<double>(k_high));
    delta[j] = base.optimum_x[j] - k_star / scale;
    out.params.push_back({"k" + std::to_string(j), ParamKind::kInt, static_cast<double>(k_low),
                          static_cast<double>(k_high), {}});
    out.optimum_x.push_back(k_star);
  }
  for (int j = 3; j < 6; ++j) {
    out.params.push_back({"x" + std::to_string(j), ParamKind::kFloat, base.low[j], base.high[j], {}});
    out.optimum_x.push_back(base.optimum_x[j]);
  }
  // The right choices: a separate stream so the shift of the base problem is the same as in the
  // continuous suites. The unshifted problem (seed -1) takes "a".
  std::vector<int> right(2, 0);
  if (seed >= 0) {
    std::mt19937_64 rng(static_cast<uint64_t>(seed) ^ 0x9e3779b97f4a7c15ULL);
    for (auto& r : right) r = static_cast<int>(rng() % 3);
  }
  for (int c = 0; c < 2; ++c) {
    out.params.push_back({"c" + std::to_string(c), ParamKind::kCategorical, 0.0, 2.0, {"a", "b", "c"}});
    out.optimum_x.push_back(right[c]);
  }
  out.f = [f = base.f, low = base.low, high = base.high, delta, right, scale, penalty](const std::vector<double>& p) {
    std::vector<double> x(6);
    for (int j = 0; j < 3; ++j) x[j] = std::clamp(p[j] / scale + delta[j], low[j], high[j]);
    for (int j = 3; j < 6; ++j) x[j] = p[j];
    double v = f(x);
    for (int c = 0; c < 2; ++c)
      if (static_cast<int>(std::lround(p[6 + c])) != right[c]) v += penalty;
    return v;
  };
  return out;
}

}  // namespace

nlohmann::json BenchProblem::to_json() const {
  nlohmann::json ps = nlohmann::json::array();
  for (const auto& p : params) {
    nlohmann::json j = {{"name", p.name}, {"type", kind_name(p.kind)}, {"low", p.low}, {"high", p.high}};
    if (p.kind == ParamKind::kCategorical) j["choices"] = p.choices;
    ps.push_back(j);
  }
  return {{"name", name}, {"dim", dim}, {"seed", seed}, {"params", ps},
          {"optimum_value", optimum_value}, {"optimum_x", optimum_x}};
}

const std::vector<std::string>& mixed_problem_names() {
  static const std::vector<std::string> names{"hartmann6_mixed", "rosenbrock_mixed"};
  return names;
}

bool is_mixed_problem(const std::string& name) {
  const auto& n = mixed_problem_names();
  return std::find(n.begin(), n.end(), name) != n.end();
}

BenchProblem make_bench_problem(const std::string& name, int dim, int64_t seed) {
  if (is_mixed_problem(name)) {
    if (dim != 0 && dim != 6)
      throw ConfigError(name + " has dimension 6 (6 numeric + 2 categorical parameters), got " + std::to_string(dim));
    if (name == "hartmann6_mixed") return make_mixed(name, "hartmann6", seed, 10.0, 0, 10, 0.5);
    return make_mixed(name, "rosenbrock", seed, 1.0, -5, 10, 10.0);
  }
  if (dim == 0) {
    auto fixed = objectives::fixed_dimension(name);
    if (!fixed) throw ConfigError(name + " needs an explicit dimension");
    dim = *fixed;
  }
  const objectives::Problem base = base_problem(name, dim, seed);
  BenchProblem out;
  out.name = name;
  out.dim = dim;
  out.seed = seed;
  out.optimum_value = base.optimum_value;
  out.optimum_x = base.optimum_x;
  for (int j = 0; j < dim; ++j)
    out.params.push_back({"x" + std::to_string(j), ParamKind::kFloat, base.low[j], base.high[j], {}});
  out.f = base.f;
  return out;
}

std::string check_optimum(const BenchProblem& problem) {
  std::ostringstream msg;
  msg.precision(17);
  for (size_t j = 0; j < problem.params.size(); ++j) {
    const auto& p = problem.params[j];
    if (!(problem.optimum_x[j] >= p.low && problem.optimum_x[j] <= p.high)) {
      msg << problem.name << " (d=" << problem.dim << ", seed " << problem.seed << "): x*[" << j
          << "] = " << problem.optimum_x[j] << " is outside [" << p.low << ", " << p.high << "]";
      return msg.str();
    }
  }
  const double fx = problem(problem.optimum_x);
  const double tol = 1e-6 * std::max(1.0, std::abs(problem.optimum_value));
  if (!(std::abs(fx - problem.optimum_value) <= tol)) {
    msg << problem.name << " (d=" << problem.dim << ", seed " << problem.seed << "): f(x*) = " << fx
        << " but f* = " << problem.optimum_value << " (tolerance " << tol << ")";
    return msg.str();
  }
  return {};
}

std::string check_multi_problem(const objectives::MultiProblem& problem) {
  const int d = problem.dim, m = problem.n_objectives;
  std::vector<std::vector<double>> xs;
  if (problem.name == "dtlz2" && m == 3) {
    for (int i = 0; i < 45; ++i)
      for (int j = 0; j < 45; ++j) {
        std::vector<double> x(static_cast<size_t>(d), 0.5);
        x[0] = i / 44.0;
        x[1] = j / 44.0;
        xs.push_back(x);
      }
  } else if (problem.name == "dtlz2" && m == 2) {
    for (int i = 0; i <= 2000; ++i) {
      std::vector<double> x(static_cast<size_t>(d), 0.5);
      x[0] = i / 2000.0;
      xs.push_back(x);
    }
  } else if (problem.name.rfind("zdt", 0) == 0) {
    for (int i = 0; i <= 2000; ++i) {
      std::vector<double> x(static_cast<size_t>(d), 0.0);
      x[0] = i / 2000.0;
      xs.push_back(x);
    }
  } else {
    return "";  // no front construction known here: nothing to check
  }
  std::vector<std::vector<double>> values;
  for (const auto& x : xs) values.push_back(problem(x));
  const double hv = hypervolume(values, problem.reference_point);
  const double hv_max = problem.max_hypervolume;
  if (hv > hv_max * (1 + 1e-9) || hv < 0.97 * hv_max) {
    std::ostringstream msg;
    msg.precision(10);
    msg << problem.name << " (d=" << d << ", M=" << m << "): hypervolume of " << xs.size()
        << " Pareto-optimal points is " << hv << ", expected in [0.97, 1] x HV* = " << hv_max;
    return msg.str();
  }
  return "";
}

std::vector<std::vector<double>> mo_overhead_points(const std::string& kind, int n, int m, uint64_t seed) {
  if (n < 0 || m < 1) throw ConfigError("mo_overhead_points: need n >= 0 and m >= 1");
  if (kind != "front" && kind != "uniform")
    throw ConfigError("mo_overhead_points: unknown kind '" + kind + "' (front, uniform)");
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  std::vector<std::vector<double>> points(static_cast<size_t>(n), std::vector<double>(static_cast<size_t>(m)));
  for (auto& p : points) {
    if (kind == "uniform") {
      for (auto& v : p) v = unif(rng);
      continue;
    }
    double norm = 0.0;
    for (auto& v : p) {
      v = std::abs(normal(rng));
      norm += v * v;
    }
    norm = std::sqrt(norm);
    for (auto& v : p) v = (norm > 0 ? v / norm : 1.0 / std::sqrt(m)) + 0.1 * unif(rng);
  }
  return points;
}

}  // namespace autoglm::bench
