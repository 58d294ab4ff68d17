// PED-ANOVA; see ped_anova.h.
#include "importance/ped_anova.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>
#include <optional>

#include <Eigen/Dense>

namespace autoglm::importance {
namespace {

// The 1-D grid of one parameter, in the space where kernels are placed.
struct Grid {
  bool categorical = false;
  std::vector<double> points;  // shape (G); categorical: 0..K-1
  double spacing = 1.0;        // smallest bandwidth
  double range = 1.0;          // largest bandwidth
  double to_space(double internal) const { return log_scale ? std::log(internal) : internal; }
  bool log_scale = false;
};

Grid make_grid(const Distribution& dist) {
  Grid g;
  if (const auto* c = std::get_if<CategoricalDistribution>(&dist)) {
    g.categorical = true;
    for (size_t k = 0; k < c->choices.size(); ++k) g.points.push_back(static_cast<double>(k));
    return g;
  }
  double low = 0.0, high = 0.0;
  std::optional<double> step;
  if (const auto* f = std::get_if<FloatDistribution>(&dist)) {
    low = f->low, high = f->high, g.log_scale = f->log, step = f->step;
  } else {
    const auto& i = std::get<IntDistribution>(dist);
    low = static_cast<double>(i.low), high = static_cast<double>(i.high), g.log_scale = i.log;
    step = static_cast<double>(i.step);
  }
  if (step && *step > 0.0) {
    const double n_values = std::round((high - low) / *step) + 1.0;
    if (n_values <= kPedAnovaGridSize) {
      for (int k = 0; k < static_cast<int>(n_values); ++k) g.points.push_back(g.to_space(low + k * *step));
    }
  }
  if (g.points.empty()) {
    const double a = g.to_space(low), b = g.to_space(high);
    for (int k = 0; k < kPedAnovaGridSize; ++k)
      g.points.push_back(a + (b - a) * k / (kPedAnovaGridSize - 1));
  }
  const double a = g.points.front(), b = g.points.back();
  g.range = std::max(b - a, 1e-300);
  g.spacing = g.points.size() > 1 ? g.range / static_cast<double>(g.points.size() - 1) : g.range;
  return g;
}

// Kernels of the observations `values` (internal) on the grid: shape (G, n), columns sum to 1.
Eigen::MatrixXd kernels(const Grid& g, const std::vector<double>& values) {
  const Eigen::Index G = static_cast<Eigen::Index>(g.points.size());
  const Eigen::Index n = static_cast<Eigen::Index>(values.size());
  Eigen::MatrixXd K = Eigen::MatrixXd::Zero(G, n);
  if (g.categorical) {
    for (Eigen::Index k = 0; k < n; ++k) K(static_cast<Eigen::Index>(values[k]), k) = 1.0;
    return K;
  }
  std::vector<double> u(values.size());
  for (size_t k = 0; k < values.size(); ++k) u[k] = g.to_space(values[k]);
  // Scott's rule: 1.059 * min(std, IQR / 1.34) * n^(-1/5).
  const double mean = std::accumulate(u.begin(), u.end(), 0.0) / static_cast<double>(n);
  double ss = 0.0;
  for (double x : u) ss += (x - mean) * (x - mean);
  const double sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
  std::vector<double> sorted = u;
  std::sort(sorted.begin(), sorted.end());
  auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(n - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
  };
  const double iqr = quantile(0.75) - quantile(0.25);
  double spread = sd;
  if (iqr > 0.0) spread = std::min(spread, iqr / 1.34);
  double h = 1.059 * spread * std::pow(static_cast<double>(n), -0.2);
  h = std::clamp(h, g.spacing, g.range);
  for (Eigen::Index k = 0; k < n; ++k) {
    double sum = 0.0;
    for (Eigen::Index i = 0; i < G; ++i) {
      const double z = (g.points[i] - u[k]) / h;
      sum += K(i, k) = std::exp(-0.5 * z * z);
    }
    K.col(k) /= sum;  // sum > 0: the nearest grid point is within h of u[k]
  }
  return K;
}

// Pearson divergence sum q (p/q - 1)^2 = sum p^2 / q - 1 of two grid densities.
double pearson(const Eigen::ArrayXd& p, const Eigen::ArrayXd& q) {
  return std::max(0.0, (p.square() / q).sum() - 1.0);
}

}  // namespace

PedAnovaOutput ped_anova(const std::vector<std::vector<double>>& columns, const std::vector<Distribution>& dists,
                         const std::vector<char>& top, bool local, bool pairs) {
  const int P = static_cast<int>(columns.size());
  PedAnovaOutput out;
  out.main.assign(P, 0.0);
  std::vector<Grid> grids;
  std::vector<Eigen::MatrixXd> k_top(P), k_all(P);
  std::vector<Eigen::ArrayXd> p1(P), q1(P);
  double n_top = 0.0;
  for (char t : top) n_top += t != 0;
  const double n_all = static_cast<double>(top.size());
  for (int i = 0; i < P; ++i) {
    grids.push_back(make_grid(dists[i]));
    std::vector<double> good;
    for (size_t k = 0; k < top.size(); ++k)
      if (top[k]) good.push_back(columns[i][k]);
    const double G = static_cast<double>(grids[i].points.size());
    k_top[i] = kernels(grids[i], good);
    p1[i] = (k_top[i].rowwise().sum().array() + 1.0 / G) / (n_top + 1.0);
    if (local) {
      k_all[i] = kernels(grids[i], columns[i]);
      q1[i] = (k_all[i].rowwise().sum().array() + 1.0 / G) / (n_all + 1.0);
    } else {
      q1[i] = Eigen::ArrayXd::Constant(static_cast<Eigen::Index>(G), 1.0 / G);
    }
    out.main[i] = pearson(p1[i], q1[i]);
  }
  if (!pairs) return out;
  out.pairs.assign(P, std::vector<double>(P, 0.0));
  for (int i = 0; i < P; ++i) {
    out.pairs[i][i] = out.main[i];
    for (int j = i + 1; j < P; ++j) {
      const double prior = 1.0 / (static_cast<double>(grids[i].points.size()) * static_cast<double>(grids[j].points.size()));
      Eigen::ArrayXXd p = ((k_top[i] * k_top[j].transpose()).array() + prior) / (n_top + 1.0);
      Eigen::ArrayXXd q;
      if (local)
        q = ((k_all[i] * k_all[j].transpose()).array() + prior) / (n_all + 1.0);
      else
        q = Eigen::ArrayXXd::Constant(p.rows(), p.cols(), prior);
      const double dij = std::max(0.0, (p.square() / q).sum() - 1.0);
      out.pairs[i][j] = out.pairs[j][i] = std::max(0.0, dij - out.main[i] - out.main[j]);
    }
  }
  return out;
}

}  // namespace autoglm::importance
