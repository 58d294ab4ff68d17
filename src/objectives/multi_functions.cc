// The multi-objective test problems of include/autoglm/objectives.h: ZDT1-3 (Zitzler, Deb &
// Thiele 2000) and DTLZ2 (Deb, Thiele, Laumanns & Zitzler 2002), with the reference points and
// maximal hypervolumes of ../shared/REFERENCE.md.
#include <cassert>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/objectives.h"
#include "common/options.h"

namespace autoglm::objectives {

namespace {

using Vec = std::vector<double>;
constexpr double kPi = std::numbers::pi;

// g = 1 + 9 mean(x1 ... x{d-1}); d >= 2.
double zdt_g(const Vec& x) {
  double s = 0.0;
  for (size_t j = 1; j < x.size(); ++j) s += x[j];
  return 1.0 + 9.0 * s / static_cast<double>(x.size() - 1);
}

Vec zdt1(const Vec& x) {
  const double f0 = x[0], g = zdt_g(x);
  return {f0, g * (1.0 - std::sqrt(f0 / g))};
}

Vec zdt2(const Vec& x) {
  const double f0 = x[0], g = zdt_g(x), r = f0 / g;
  return {f0, g * (1.0 - r * r)};
}

Vec zdt3(const Vec& x) {
  const double f0 = x[0], g = zdt_g(x), r = f0 / g;
  return {f0, g * (1.0 - std::sqrt(r) - r * std::sin(10.0 * kPi * f0))};
}

// M objectives; k = d - M + 1 >= 1 distance coordinates at the end.
Vec dtlz2(const Vec& x, size_t m) {
  assert(m >= 2 && x.size() >= m);
  double g = 0.0;
  for (size_t j = m - 1; j < x.size(); ++j) g += (x[j] - 0.5) * (x[j] - 0.5);
  Vec f(m);
  for (size_t i = 0; i < m; ++i) {
    double v = 1.0 + g;
    for (size_t j = 0; j + 1 + i < m; ++j) v *= std::cos(x[j] * kPi / 2.0);  // j = 0 ... M-2-i
    if (i > 0) v *= std::sin(x[m - 1 - i] * kPi / 2.0);
    f[i] = v;
  }
  return f;
}

std::string coordinate_names(int d) {
  if (d == 1) return "x0";
  if (d == 2) return "x0, x1";
  return "x0 ... x" + std::to_string(d - 1);
}

std::string parameters(int d) { return std::to_string(d) + (d == 1 ? " parameter" : " parameters"); }

void require_dim(const std::string& what, int min_dim, int dim) {
  if (dim < min_dim)
    throw ConfigError(what + " needs at least " + parameters(min_dim) + " (" + coordinate_names(min_dim) +
                      "), the space has " + std::to_string(dim) + "; declare " + coordinate_names(min_dim) +
                      " or more");
}

}  // namespace

std::vector<std::string> multi_function_names() { return {"dtlz2", "zdt1", "zdt2", "zdt3"}; }

MultiProblem make_multi_problem(const std::string& name, int dim, int n_objectives) {
  const auto names = multi_function_names();
  bool known = false;
  for (const auto& n : names) known = known || n == name;
  if (!known) throw ConfigError("unknown multi-objective function '" + name + "'" + did_you_mean(name, names));

  MultiProblem p;
  p.name = name;
  p.dim = dim;
  p.n_objectives = n_objectives;
  std::function<Vec(const Vec&)> f;
  if (name == "dtlz2") {
    if (n_objectives < 2)
      throw ConfigError("dtlz2 needs at least 2 objectives, got " + std::to_string(n_objectives));
    require_dim("dtlz2 with " + std::to_string(n_objectives) + " objectives", n_objectives, dim);
    const auto m = static_cast<size_t>(n_objectives);
    const double md = static_cast<double>(n_objectives);
    p.reference_point = Vec(m, 1.1);
    // The reference box minus the positive orthant of the unit ball.
    p.max_hypervolume =
        std::pow(1.1, md) - std::pow(kPi, md / 2.0) / (std::tgamma(md / 2.0 + 1.0) * std::pow(2.0, md));
    f = [m](const Vec& x) { return dtlz2(x, m); };
  } else {
    if (n_objectives != 2)
      throw ConfigError(name + " has 2 objectives, got " + std::to_string(n_objectives) +
                        "; use n_objectives = 2 (or dtlz2 for more)");
    require_dim(name, 2, dim);
    p.reference_point = {11.0, 11.0};
    if (name == "zdt1") {
      p.max_hypervolume = 120.0 + 2.0 / 3.0;
      f = zdt1;
    } else if (name == "zdt2") {
      p.max_hypervolume = 120.0 + 1.0 / 3.0;
      f = zdt2;
    } else {
      p.max_hypervolume = 128.77811613069076;
      f = zdt3;
    }
  }
  const auto d = static_cast<size_t>(dim);
  p.low = Vec(d, 0.0);
  p.high = Vec(d, 1.0);
  p.f = [f = std::move(f), d](const Vec& x) {
    assert(x.size() == d && "objective called with a point of the wrong dimension");
    (void)d;
    return f(x);
  };
  return p;
}

}  // namespace autoglm::objectives
