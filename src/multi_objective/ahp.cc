// Analytic Hierarchy Process weights (Saaty 1980). See include/autoglm/ahp.h.
#include "autoglm/ahp.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <string>
#include <vector>

#include "autoglm/error.h"

namespace autoglm {
namespace {

constexpr double kReciprocalTolerance = 1e-2;  // relative; accepts 0.333 for 1/3
constexpr double kDiagonalTolerance = 1e-9;

std::string num(double x, const char* format = "%.3g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string entry(const std::vector<std::string>& names, std::size_t i, std::size_t j) {
  return "pairwise[" + std::to_string(i) + "][" + std::to_string(j) + "] (" + quoted(names[i]) +
         " vs " + quoted(names[j]) + ")";
}

}  // namespace

double ahp_random_index(int n) {
  static constexpr double kRi[] = {0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49};
  if (n <= 0) return 0.0;
  if (n > 10) return 1.49;  // Saaty's table stops at n = 10
  return kRi[n];
}

AhpResult ahp_weights(const std::vector<std::vector<double>>& pairwise,
                      const std::vector<std::string>& names, double max_consistency_ratio) {
  const std::size_t n = names.size();
  if (n == 0) {
    throw ConfigError("AHP needs at least one criterion: pass one name per row of the pairwise "
                      "matrix");
  }
  if (!std::isfinite(max_consistency_ratio) || max_consistency_ratio < 0.0) {
    throw ConfigError("AHP max_consistency_ratio = " + num(max_consistency_ratio) +
                      " is invalid: use a finite value >= 0 (Saaty recommends 0.1)");
  }
  if (pairwise.size() != n) {
    throw ConfigError("AHP pairwise matrix has " + std::to_string(pairwise.size()) +
                      " rows but there are " + std::to_string(n) +
                      " criteria: give one row per criterion (a square " + std::to_string(n) +
                      " x " + std::to_string(n) + " matrix)");
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (pairwise[i].size() != n) {
      throw ConfigError("AHP pairwise matrix row " + std::to_string(i) + " (" +
                        quoted(names[i]) + ") has " + std::to_string(pairwise[i].size()) +
                        " entries: give " + std::to_string(n) +
                        " (one per criterion; the matrix must be square)");
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      const double a = pairwise[i][j];
      if (!std::isfinite(a) || a <= 0.0) {
        throw ConfigError("AHP " + entry(names, i, j) + " = " + num(a) +
                          " is not a positive finite number: use Saaty's scale 1/9..9");
      }
      if (i == j) {
        if (std::abs(a - 1.0) > kDiagonalTolerance) {
          throw ConfigError("AHP diagonal entry " + entry(names, i, j) + " = " + num(a) +
                            ": a criterion compared with itself must be 1");
        }
        continue;
      }
      if (a < (1.0 / 9.0) * (1.0 - kReciprocalTolerance) || a > 9.0 * (1.0 + kReciprocalTolerance)) {
        throw ConfigError("AHP " + entry(names, i, j) + " = " + num(a) +
                          " is outside Saaty's scale: use a value in [1/9, 9]");
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double a = pairwise[i][j], b = pairwise[j][i];
      if (std::abs(a * b - 1.0) > kReciprocalTolerance) {
        throw ConfigError("AHP pairwise matrix is not reciprocal: " + entry(names, i, j) + " = " +
                          num(a) + " but " + entry(names, j, i) + " = " + num(b) +
                          ": set pairwise[" + std::to_string(j) + "][" + std::to_string(i) +
                          "] = 1/" + num(a) + " = " + num(1.0 / a));
      }
    }
  }

  AhpResult r;
  if (n == 1) {
    r.weights = {1.0};
    r.lambda_max = 1.0;
    return r;
  }

  Eigen::MatrixXd m(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = pairwise[i][j];
    }
  }
  Eigen::EigenSolver<Eigen::MatrixXd> solver(m, /*computeEigenvectors=*/true);
  if (solver.info() != Eigen::Success) {
    throw ConfigError("AHP eigen decomposition of the pairwise matrix did not converge: check "
                      "the judgements for extreme values");
  }
  const Eigen::VectorXcd values = solver.eigenvalues();
  Eigen::Index k = 0;
  for (Eigen::Index t = 1; t < values.size(); ++t) {
    if (values(t).real() > values(k).real()) k = t;
  }
  // Perron-Frobenius: a positive matrix has a real, simple dominant eigenvalue with a positive
  // eigenvector. Divide by the largest-magnitude component to remove Eigen's arbitrary phase.
  Eigen::VectorXcd v = solver.eigenvectors().col(k);
  Eigen::Index big = 0;
  for (Eigen::Index t = 1; t < v.size(); ++t) {
    if (std::abs(v(t)) > std::abs(v(big))) big = t;
  }
  v /= v(big);
  const Eigen::VectorXd w = v.real();
  const double sum = w.sum();
  r.weights.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    r.weights[i] = w(static_cast<Eigen::Index>(i)) / sum;
  }
  r.lambda_max = values(k).real();
  // lambda_max >= n holds exactly for positive reciprocal matrices (Saaty 1980);
  // a computed lambda_max within rounding of n means a consistent matrix: CI = 0, not +-1e-16.
  const double excess = r.lambda_max - static_cast<double>(n);
  r.consistency_index =
      excess <= 1e-12 * static_cast<double>(n) ? 0.0 : excess / static_cast<double>(n - 1);
  r.consistency_ratio =
      n <= 2 ? 0.0 : r.consistency_index / ahp_random_index(static_cast<int>(n));

  r.worst_ratio = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = i + 1; j < n; ++j) {
      const double e = pairwise[i][j] * r.weights[j] / r.weights[i];
      const double d = std::max(e, 1.0 / e);
      if (d > r.worst_ratio) {
        r.worst_ratio = d;
        r.worst_i = static_cast<int>(i);
        r.worst_j = static_cast<int>(j);
      }
    }
  }

  if (r.consistency_ratio > max_consistency_ratio) {
    const auto i = static_cast<std::size_t>(r.worst_i), j = static_cast<std::size_t>(r.worst_j);
    const std::string pair = quoted(names[i]) + " vs " + quoted(names[j]);
    throw ConfigError("AHP pairwise judgements are inconsistent: consistency ratio CR = " +
                      num(r.consistency_ratio, "%.3f") + " > max_consistency_ratio = " +
                      num(max_consistency_ratio) + "; the most inconsistent judgement is " +
                      pair + ": revise the judgement of " + pair + " (given " +
                      num(pairwise[i][j]) + ", the other judgements imply " +
                      num(r.weights[i] / r.weights[j]) + ") or raise max_consistency_ratio");
  }
  return r;
}

std::vector<double> normalize_weights(const std::vector<double>& plain,
                                      const std::vector<std::string>& names) {
  if (plain.size() != names.size()) {
    throw ConfigError("weights: got " + std::to_string(plain.size()) + " weights for " +
                      std::to_string(names.size()) + " criteria: give one weight per criterion");
  }
  if (plain.empty()) {
    throw ConfigError("weights: no criteria given: give at least one criterion and its weight");
  }
  double sum = 0.0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    if (!std::isfinite(plain[i]) || plain[i] < 0.0) {
      throw ConfigError("weight of " + quoted(names[i]) + " = " + num(plain[i]) +
                        " is invalid: use a finite number >= 0");
    }
    sum += plain[i];
  }
  if (sum <= 0.0) {
    throw ConfigError("weights are all 0: give at least one criterion a positive weight");
  }
  std::vector<double> out(plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) out[i] = plain[i] / sum;
  return out;
}

double weighted_score(const std::vector<double>& values, const std::vector<double>& weights,
                      const std::vector<double>& lows, const std::vector<double>& highs,
                      const std::vector<bool>& maximize) {
  const std::size_t n = values.size();
  if (weights.size() != n || lows.size() != n || highs.size() != n || maximize.size() != n) {
    throw ConfigError("weighted_score: got " + std::to_string(n) + " values, " +
                      std::to_string(weights.size()) + " weights, " +
                      std::to_string(lows.size()) + " lows, " + std::to_string(highs.size()) +
                      " highs and " + std::to_string(maximize.size()) +
                      " directions: give one of each per metric");
  }
  double score = 0.0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::string metric = "weighted_score metric " + std::to_string(k);
    if (!std::isfinite(values[k])) {
      throw ConfigError(metric + ": value " + num(values[k]) + " is not finite: report a finite "
                        "value or leave the trial out");
    }
    if (!std::isfinite(weights[k]) || weights[k] < 0.0) {
      throw ConfigError(metric + ": weight " + num(weights[k]) +
                        " is invalid: use a finite number >= 0");
    }
    if (!std::isfinite(lows[k]) || !std::isfinite(highs[k]) || !(highs[k] > lows[k])) {
      throw ConfigError(metric + ": range [low, high] = [" + num(lows[k]) + ", " +
                        num(highs[k]) + "] is invalid: use finite bounds with high > low");
    }
    const double span = highs[k] - lows[k];
    double x = maximize[k] ? (values[k] - lows[k]) / span : (highs[k] - values[k]) / span;
    x = std::min(1.0, std::max(0.0, x));
    score += weights[k] * x;
  }
  return score;
}

}  // namespace autoglm
