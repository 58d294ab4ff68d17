// The benchmark functions of include/autoglm/objectives.h and their registry.
//
// Definitions follow the Simon Fraser University virtual library of simulation experiments
// (Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/optimization.html); constants and optima
// are those of ../shared/REFERENCE.md. Where the published minimizer is rounded (Hartmann,
// six-hump camel, Styblinski-Tang), x* below is that minimizer refined to double precision by
// Newton's method on the gradient (40-digit arithmetic, mpmath), so that f(x*) = f* holds to
// ~1e-15 rather than ~1e-9.
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

// ---- the functions (x has the problem's dimension) ------------------------------------------

double ackley(const Vec& x) {
  constexpr double a = 20.0, b = 0.2, c = 2.0 * kPi;
  double sq = 0.0, cs = 0.0;
  for (double v : x) {
    sq += v * v;
    cs += std::cos(c * v);
  }
  const double n = static_cast<double>(x.size());
  return -a * std::exp(-b * std::sqrt(sq / n)) - std::exp(cs / n) + a + std::numbers::e;
}

double branin(const Vec& x) {
  assert(x.size() == 2);
  constexpr double b = 5.1 / (4.0 * kPi * kPi), c = 5.0 / kPi, r = 6.0, s = 10.0, t = 1.0 / (8.0 * kPi);
  const double q = x[1] - b * x[0] * x[0] + c * x[0] - r;
  return q * q + s * (1.0 - t) * std::cos(x[0]) + s;
}

double griewank(const Vec& x) {
  double sum = 0.0, prod = 1.0;
  for (size_t i = 0; i < x.size(); ++i) {
    sum += x[i] * x[i] / 4000.0;
    prod *= std::cos(x[i] / std::sqrt(static_cast<double>(i + 1)));
  }
  return sum - prod + 1.0;
}

// f(x) = -sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2).
template <size_t D>
double hartmann(const Vec& x, const double (&a)[4][D], const double (&p)[4][D]) {
  assert(x.size() == D);
  constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  double f = 0.0;
  for (size_t i = 0; i < 4; ++i) {
    double e = 0.0;
    for (size_t j = 0; j < D; ++j) e += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
    f -= alpha[i] * std::exp(-e);
  }
  return f;
}

constexpr double kA3[4][3] = {{3, 10, 30}, {0.1, 10, 35}, {3, 10, 30}, {0.1, 10, 35}};
constexpr double kP3[4][3] = {{0.3689, 0.1170, 0.2673},
                              {0.4699, 0.4387, 0.7470},
                              {0.1091, 0.8732, 0.5547},
                              {0.0381, 0.5743, 0.8828}};
constexpr double kA6[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                              {0.05, 10, 17, 0.1, 8, 14},
                              {3, 3.5, 1.7, 10, 17, 8},
                              {17, 8, 0.05, 10, 0.1, 14}};
constexpr double kP6[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                              {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                              {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                              {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};

double hartmann3(const Vec& x) { return hartmann(x, kA3, kP3); }
double hartmann6(const Vec& x) { return hartmann(x, kA6, kP6); }

// w_i = 1 + (x_i - 1) / 4; f = sin^2(pi w_1) + sum_{i<d} (w_i - 1)^2 (1 + 10 sin^2(pi w_i + 1))
//                              + (w_d - 1)^2 (1 + sin^2(2 pi w_d)).
double levy(const Vec& x) {
  auto w = [&](size_t i) { return 1.0 + (x[i] - 1.0) / 4.0; };
  auto sq = [](double v) { return v * v; };
  const size_t d = x.size();
  double f = sq(std::sin(kPi * w(0)));
  for (size_t i = 0; i + 1 < d; ++i) f += sq(w(i) - 1.0) * (1.0 + 10.0 * sq(std::sin(kPi * w(i) + 1.0)));
  f += sq(w(d - 1) - 1.0) * (1.0 + sq(std::sin(2.0 * kPi * w(d - 1))));
  return f;
}

double rastrigin(const Vec& x) {
  double f = 10.0 * static_cast<double>(x.size());
  for (double v : x) f += v * v - 10.0 * std::cos(2.0 * kPi * v);
  return f;
}

double rosenbrock(const Vec& x) {
  double f = 0.0;
  for (size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i], b = x[i] - 1.0;
    f += 100.0 * a * a + b * b;
  }
  return f;
}

double six_hump_camel(const Vec& x) {
  assert(x.size() == 2);
  const double u = x[0], v = x[1];
  return (4.0 - 2.1 * u * u + u * u * u * u / 3.0) * u * u + u * v + (-4.0 + 4.0 * v * v) * v * v;
}

double sphere(const Vec& x) {
  double f = 0.0;
  for (double v : x) f += v * v;
  return f;
}

double styblinski_tang(const Vec& x) {
  double f = 0.0;
  for (double v : x) f += v * v * v * v - 16.0 * v * v + 5.0 * v;
  return 0.5 * f;
}

// ---- the registry ---------------------------------------------------------------------------

struct Entry {
  const char* name;
  int fixed_dim;  // 0: any dimension >= min_dim
  int min_dim;
  double (*f)(const Vec&);
  // Domain of every coordinate (unless low_per_coord / high_per_coord give one per coordinate).
  double low, high;
  // f*; multiplied by d when `optimum_scales` (styblinski_tang).
  double optimum_value;
  bool optimum_scales;
  // x* (fixed-dimension functions) or the value of every coordinate of x* (scalable ones).
  Vec optimum_x;
  Vec low_per_coord = {}, high_per_coord = {};
};

const std::vector<Entry>& registry() {
  // Sorted by name (function_names() relies on it).
  static const std::vector<Entry> kEntries = {
      {"ackley", 0, 1, ackley, -32.768, 32.768, 0.0, false, {0.0}},
      {"branin", 2, 2, branin, 0, 0, 5.0 / (4.0 * kPi), false, {-kPi, 12.275}, {-5.0, 0.0}, {10.0, 15.0}},
      {"griewank", 0, 1, griewank, -600.0, 600.0, 0.0, false, {0.0}},
      // REFERENCE.md: f* = -3.862779787 at (0.114614, 0.555649, 0.852547).
      {"hartmann3", 3, 3, hartmann3, 0.0, 1.0, -3.8627797873326625, false,
       {0.11458887665506897, 0.55564889461693004, 0.85254698468667744}},
      // REFERENCE.md: f* = -3.322368011415515 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
      {"hartmann6", 6, 6, hartmann6, 0.0, 1.0, -3.322368011415515, false,
       {0.20168951100670542, 0.15001069182345797, 0.47687397422189699, 0.27533243049405607, 0.31165161660011324,
        0.65730053406562031}},
      {"levy", 0, 1, levy, -10.0, 10.0, 0.0, false, {1.0}},
      {"rastrigin", 0, 1, rastrigin, -5.12, 5.12, 0.0, false, {0.0}},
      {"rosenbrock", 0, 2, rosenbrock, -5.0, 10.0, 0.0, false, {1.0}},
      // REFERENCE.md: f* = -1.031628453489877 at +-(0.0898420, -0.7126564).
      {"six_hump_camel", 2, 2, six_hump_camel, 0, 0, -1.031628453489877, false,
       {0.089842013100318062, -0.71265640302073963}, {-3.0, -2.0}, {3.0, 2.0}},
      {"sphere", 0, 1, sphere, -5.12, 5.12, 0.0, false, {0.0}},
      // REFERENCE.md: f* = -39.16616570377141 d at x_i = -2.9035340277711783.
      {"styblinski_tang", 0, 1, styblinski_tang, -5.0, 5.0, -39.166165703771415, true, {-2.9035340277711771}},
  };
  return kEntries;
}

const Entry& find(const std::string& name) {
  for (const auto& e : registry())
    if (name == e.name) return e;
  throw ConfigError("unknown function '" + name + "'" + did_you_mean(name, function_names()));
}

// "x0 ... x5", "x0, x1", "x0".
std::string coordinate_names(int d) {
  if (d == 1) return "x0";
  if (d == 2) return "x0, x1";
  return "x0 ... x" + std::to_string(d - 1);
}

std::string parameters(int d) { return std::to_string(d) + (d == 1 ? " parameter" : " parameters"); }

}  // namespace

std::vector<std::string> function_names() {
  std::vector<std::string> out;
  for (const auto& e : registry()) out.emplace_back(e.name);
  return out;
}

std::optional<int> fixed_dimension(const std::string& name) {
  const Entry& e = find(name);
  if (e.fixed_dim > 0) return e.fixed_dim;
  return std::nullopt;
}

Problem make_problem(const std::string& name, int dim) {
  const Entry& e = find(name);
  if (e.fixed_dim > 0 && dim != e.fixed_dim)
    throw ConfigError(name + " has " + parameters(e.fixed_dim) + " (" + coordinate_names(e.fixed_dim) +
                      "), the space has " + std::to_string(dim) + "; declare exactly " +
                      coordinate_names(e.fixed_dim));
  if (dim < e.min_dim)
    throw ConfigError(name + " needs at least " + parameters(e.min_dim) + " (" + coordinate_names(e.min_dim) +
                      "), the space has " + std::to_string(dim) + "; declare " + coordinate_names(e.min_dim) +
                      (e.min_dim > 1 ? " or more" : ""));
  Problem p;
  p.name = e.name;
  p.dim = dim;
  const auto d = static_cast<size_t>(dim);
  p.low = e.low_per_coord.empty() ? Vec(d, e.low) : e.low_per_coord;
  p.high = e.high_per_coord.empty() ? Vec(d, e.high) : e.high_per_coord;
  p.optimum_value = e.optimum_scales ? e.optimum_value * dim : e.optimum_value;
  p.optimum_x = e.fixed_dim > 0 ? e.optimum_x : Vec(d, e.optimum_x[0]);
  p.f = [f = e.f, d](const Vec& x) {
    assert(x.size() == d && "objective called with a point of the wrong dimension");
    (void)d;
    return f(x);
  };
  return p;
}

}  // namespace autoglm::objectives
