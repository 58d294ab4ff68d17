// Pareto dominance and non-dominated sorting. See include/autoglm/pareto.h.
#include "autoglm/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "autoglm/error.h"

namespace autoglm {

namespace detail {

std::size_t check_points(const std::vector<std::vector<double>>& points, const char* what) {
  if (points.empty()) return 0;
  const std::size_t m = points[0].size();
  if (m == 0) {
    throw ConfigError(std::string(what) + ": point 0 has no objective values");
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (points[i].size() != m) {
      throw ConfigError(std::string(what) + ": point " + std::to_string(i) + " has " +
                        std::to_string(points[i].size()) + " objective values, point 0 has " +
                        std::to_string(m) + "; every point needs the same number");
    }
    for (std::size_t k = 0; k < m; ++k) {
      if (std::isnan(points[i][k])) {
        throw ConfigError(std::string(what) + ": objective " + std::to_string(k) + " of point " +
                          std::to_string(i) + " is NaN");
      }
    }
  }
  return m;
}

}  // namespace detail

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw ConfigError("dominates: the points have " + std::to_string(a.size()) + " and " +
                      std::to_string(b.size()) + " objective values; they need the same number");
  }
  bool strictly = false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k] > b[k]) return false;
    if (a[k] < b[k]) strictly = true;
  }
  return strictly;
}

namespace {

// The O(n log n) sweep for two objectives.
std::vector<int> ranks_2d(const std::vector<std::vector<double>>& points) {
  const std::size_t n = points.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const auto& pa = points[a];
    const auto& pb = points[b];
    if (pa[0] != pb[0]) return pa[0] < pb[0];
    return pa[1] < pb[1];
  });
  // In lexicographic order, an earlier point q dominates p iff q != p and q[1] <= p[1]. tails[k]
  // is the smallest second objective in front k; it is non-decreasing in k (every point of front
  // k + 1 is dominated by a point of front k), so front k dominates p iff tails[k] <= p[1], and
  // p's rank is the first k with tails[k] > p[1].
  std::vector<double> tails;
  std::vector<int> ranks(n, 0);
  std::size_t i = 0;
  while (i < n) {
    const auto& p = points[order[i]];
    std::size_t j = i + 1;  // [i, j): copies of p, which all get p's rank
    while (j < n && points[order[j]][0] == p[0] && points[order[j]][1] == p[1]) ++j;
    const auto it = std::upper_bound(tails.begin(), tails.end(), p[1]);
    const auto rank = static_cast<std::size_t>(it - tails.begin());
    if (rank == tails.size()) {
      tails.push_back(p[1]);
    } else {
      tails[rank] = p[1];
    }
    for (std::size_t c = i; c < j; ++c) ranks[order[c]] = static_cast<int>(rank);
    i = j;
  }
  return ranks;
}

// Deb et al.'s O(m n^2) comparisons, as the longest dominance chain in lexicographic order.
std::vector<int> ranks_general(const std::vector<std::vector<double>>& points) {
  const std::size_t n = points.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return points[a] < points[b]; });
  std::vector<int> sorted_rank(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& p = points[order[i]];
    int rank = 0;
    for (std::size_t j = 0; j < i; ++j) {
      if (sorted_rank[j] + 1 > rank && dominates(points[order[j]], p)) rank = sorted_rank[j] + 1;
    }
    sorted_rank[i] = rank;
  }
  std::vector<int> ranks(n, 0);
  for (std::size_t i = 0; i < n; ++i) ranks[order[i]] = sorted_rank[i];
  return ranks;
}

}  // namespace

std::vector<int> non_dominated_ranks(const std::vector<std::vector<double>>& points) {
  const std::size_t m = detail::check_points(points, "non_dominated_ranks");
  if (points.empty()) return {};
  if (m == 2) return ranks_2d(points);
  return ranks_general(points);
}

std::vector<std::size_t> pareto_front_indices(const std::vector<std::vector<double>>& points) {
  const std::vector<int> ranks = non_dominated_ranks(points);
  std::vector<std::size_t> front;
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    if (ranks[i] == 0) front.push_back(i);
  }
  return front;
}

std::vector<double> default_reference_point(const std::vector<std::vector<double>>& points) {
  const std::size_t m = detail::check_points(points, "default_reference_point");
  if (points.empty()) {
    throw ConfigError("default_reference_point: needs at least one point");
  }
  std::vector<double> reference(m);
  for (std::size_t k = 0; k < m; ++k) {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (const auto& p : points) {
      lo = std::min(lo, p[k]);
      hi = std::max(hi, p[k]);
    }
    const double range = hi - lo;
    reference[k] = range > 0.0 ? hi + 0.1 * range : hi + 1.0;
  }
  return reference;
}

}  // namespace autoglm
