// Exact hypervolume and exclusive contributions. See include/autoglm/pareto.h.
//
// Internally a point set is a flat row-major array with a stride (the original m) of which the
// routines look at the first `d` coordinates only: WFG slices the last objective away, so a
// recursion level works on a prefix of the coordinates without copying. Every point handed to
// the internal routines is strictly better than the reference in its first d coordinates.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <map>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pareto.h"

namespace autoglm {

namespace {

struct Flat {
  std::vector<double> v;  // n rows of `stride` values
  std::size_t stride = 0;
  std::size_t size() const { return stride == 0 ? 0 : v.size() / stride; }
  const double* row(std::size_t i) const { return v.data() + i * stride; }
};

double hv_dispatch(const Flat& pts, std::size_t d, const double* ref);

// m = 1.
double hv1(const Flat& pts, const double* ref) {
  double lo = ref[0];
  for (std::size_t i = 0; i < pts.size(); ++i) lo = std::min(lo, pts.row(i)[0]);
  return ref[0] - lo;
}

// m = 2: sort by the first objective, sweep keeping the best second objective so far.
double hv2(const Flat& pts, const double* ref) {
  const std::size_t n = pts.size();
  std::vector<std::pair<double, double>> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {pts.row(i)[0], pts.row(i)[1]};
  std::sort(p.begin(), p.end());
  double volume = 0.0;
  double best = ref[1];
  for (const auto& [x, y] : p) {
    if (y < best) {
      volume += (ref[0] - x) * (best - y);
      best = y;
    }
  }
  return volume;
}

// m = 3: dimension sweep along the third objective (Fonseca, Paquete, Lopez-Ibanez 2006). The
// 2-D front of the points seen so far lives in a std::map x -> y (x increasing, y decreasing),
// and its dominated area is updated incrementally on each insertion: O(n log n) in all.
double hv3(const Flat& pts, const double* ref) {
  const std::size_t n = pts.size();
  std::vector<std::array<double, 3>> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {pts.row(i)[0], pts.row(i)[1], pts.row(i)[2]};
  std::sort(p.begin(), p.end(),
            [](const auto& a, const auto& b) { return a[2] < b[2]; });
  std::map<double, double> front;
  double area = 0.0;
  double volume = 0.0;
  double z_prev = n > 0 ? p[0][2] : ref[2];
  for (const auto& q : p) {
    const double x = q[0];
    const double y = q[1];
    volume += area * (q[2] - z_prev);
    z_prev = q[2];
    auto it = front.lower_bound(x);  // first front point with x' >= x
    if (it != front.end() && it->first == x && it->second <= y) continue;  // weakly dominated
    double height = ref[1];  // the front's boundary just right of x: y of the last x' < x
    if (it != front.begin()) {
      const auto prev = std::prev(it);
      if (prev->second <= y) continue;  // dominated
      height = prev->second;
    }
    // Walk over the front points the new one dominates (x' >= x, y' >= y), adding the strips
    // between the new point's y and the old boundary, and erase them.
    double cx = x;
    while (it != front.end() && it->second >= y) {
      area += (it->first - cx) * (height - y);
      cx = it->first;
      height = it->second;
      it = front.erase(it);
    }
    const double right = it == front.end() ? ref[0] : it->first;
    area += (right - cx) * (height - y);
    front.emplace_hint(it, x, y);
  }
  volume += area * (ref[2] - z_prev);
  return volume;
}

// The non-dominated subset of `pts` in the first d coordinates, without duplicates.
Flat nondominated(const Flat& pts, std::size_t d) {
  const std::size_t n = pts.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::lexicographical_compare(pts.row(a), pts.row(a) + d, pts.row(b), pts.row(b) + d);
  });
  // In lexicographic order a later point never weakly dominates an earlier, different one.
  Flat out;
  out.stride = d;
  for (const std::size_t i : order) {
    const double* p = pts.row(i);
    bool covered = false;
    for (std::size_t j = 0; j < out.size() && !covered; ++j) {
      const double* q = out.row(j);
      covered = true;
      for (std::size_t k = 0; k < d; ++k) {
        if (q[k] > p[k]) {
          covered = false;
          break;
        }
      }
    }
    if (!covered) out.v.insert(out.v.end(), p, p + d);
  }
  return out;
}

// Exclusive hypervolume, in the first d coordinates, of point p against the set `others`
// (rows [0, count) of `pts`): its box minus the hypervolume of the limit set (each other point
// replaced by its component-wise max with p).
double exclusive_hv(const double* p, const Flat& pts, std::size_t count, std::size_t d,
                    const double* ref) {
  double box = 1.0;
  for (std::size_t k = 0; k < d; ++k) box *= ref[k] - p[k];
  if (count == 0) return box;
  Flat limit;
  limit.stride = d;
  limit.v.resize(count * d);
  for (std::size_t j = 0; j < count; ++j) {
    const double* q = pts.row(j);
    bool covers = true;  // q weakly dominates p: nothing exclusive left
    for (std::size_t k = 0; k < d; ++k) {
      limit.v[j * d + k] = std::max(p[k], q[k]);
      if (q[k] > p[k]) covers = false;
    }
    if (covers) return 0.0;
  }
  if (d >= 4) limit = nondominated(limit, d);
  return std::max(0.0, box - hv_dispatch(limit, d, ref));
}

// WFG (While, Bradstreet, Barone 2012) in the first d >= 2 coordinates: sort by the last one
// (increasing); every point adds the slab (ref_last - p_last) times its exclusive (d-1)-D
// hypervolume against the points before it.
double hv_wfg(const Flat& pts, std::size_t d, const double* ref) {
  const std::size_t n = pts.size();
  if (n == 0) return 0.0;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return pts.row(a)[d - 1] < pts.row(b)[d - 1];
  });
  Flat sorted;
  sorted.stride = d;
  sorted.v.reserve(n * d);
  for (const std::size_t i : order) sorted.v.insert(sorted.v.end(), pts.row(i), pts.row(i) + d);
  double volume = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double* p = sorted.row(i);
    const double depth = ref[d - 1] - p[d - 1];
    volume += depth * exclusive_hv(p, sorted, i, d - 1, ref);
  }
  return volume;
}

double hv_dispatch(const Flat& pts, std::size_t d, const double* ref) {
  if (pts.size() == 0) return 0.0;
  switch (d) {
    case 1:
      return hv1(pts, ref);
    case 2:
      return hv2(pts, ref);
    case 3:
      return hv3(pts, ref);
    default:
      return hv_wfg(pts, d, ref);
  }
}

// Validates and keeps the points strictly better than the reference in every objective.
Flat prepare(const std::vector<std::vector<double>>& points, const std::vector<double>& reference,
             const char* what, std::vector<std::size_t>* kept = nullptr) {
  const std::size_t m = detail::check_points(points, what);
  if (!points.empty() && reference.size() != m) {
    throw ConfigError(std::string(what) + ": the reference point has " +
                      std::to_string(reference.size()) + " values but the points have " +
                      std::to_string(m) + " objectives");
  }
  if (points.empty() && reference.empty()) {
    throw ConfigError(std::string(what) + ": the reference point is empty");
  }
  for (std::size_t k = 0; k < reference.size(); ++k) {
    if (std::isnan(reference[k])) {
      throw ConfigError(std::string(what) + ": objective " + std::to_string(k) +
                        " of the reference point is NaN");
    }
  }
  Flat out;
  out.stride = reference.size();
  for (std::size_t i = 0; i < points.size(); ++i) {
    bool inside = true;
    for (std::size_t k = 0; k < m; ++k) inside = inside && points[i][k] < reference[k];
    if (!inside) continue;
    out.v.insert(out.v.end(), points[i].begin(), points[i].end());
    if (kept) kept->push_back(i);
  }
  return out;
}

// O(n log n) contributions for m = 2: only unduplicated front points contribute, each the
// rectangle between its neighbours on the front.
void contributions_2d(const Flat& pts, const double* ref, const std::vector<std::size_t>& kept,
                      std::vector<double>* out) {
  const std::size_t n = pts.size();
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const double* pa = pts.row(a);
    const double* pb = pts.row(b);
    if (pa[0] != pb[0]) return pa[0] < pb[0];
    return pa[1] < pb[1];
  });
  struct Group {
    std::size_t first;  // into order
    std::size_t count;
  };
  std::vector<Group> front;  // x strictly increasing, y strictly decreasing
  double best = ref[1];
  std::size_t i = 0;
  while (i < n) {
    const double* p = pts.row(order[i]);
    std::size_t j = i + 1;
    while (j < n && pts.row(order[j])[0] == p[0] && pts.row(order[j])[1] == p[1]) ++j;
    if (p[1] < best) {
      front.push_back({i, j - i});
      best = p[1];
    }
    i = j;
  }
  for (std::size_t f = 0; f < front.size(); ++f) {
    if (front[f].count != 1) continue;
    const double* p = pts.row(order[front[f].first]);
    const double right = f + 1 < front.size() ? pts.row(order[front[f + 1].first])[0] : ref[0];
    const double top = f > 0 ? pts.row(order[front[f - 1].first])[1] : ref[1];
    (*out)[kept[order[front[f].first]]] = (right - p[0]) * (top - p[1]);
  }
}

}  // namespace

double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference) {
  const Flat pts = prepare(points, reference, "hypervolume");
  return hv_dispatch(pts, reference.size(), reference.data());
}

namespace detail {

double hypervolume_wfg(const std::vector<std::vector<double>>& points,
                       const std::vector<double>& reference) {
  const Flat pts = prepare(points, reference, "hypervolume_wfg");
  if (reference.size() == 1) return hv_dispatch(pts, 1, reference.data());
  return hv_wfg(pts, reference.size(), reference.data());
}

}  // namespace detail

std::vector<double> hypervolume_contributions(const std::vector<std::vector<double>>& points,
                                              const std::vector<double>& reference) {
  std::vector<std::size_t> kept;
  const Flat pts = prepare(points, reference, "hypervolume_contributions", &kept);
  const std::size_t d = reference.size();
  const double* ref = reference.data();
  std::vector<double> out(points.size(), 0.0);
  const std::size_t n = pts.size();
  if (n == 0) return out;
  if (d == 2) {
    contributions_2d(pts, ref, kept, &out);
    return out;
  }
  // Per point: the other points (all but i) gathered into one set, then its exclusive volume.
  Flat others;
  others.stride = d;
  others.v.reserve((n - 1) * d);
  for (std::size_t i = 0; i < n; ++i) {
    others.v.clear();
    for (std::size_t j = 0; j < n; ++j) {
      if (j != i) others.v.insert(others.v.end(), pts.row(j), pts.row(j) + d);
    }
    out[kept[i]] = exclusive_hv(pts.row(i), others, n - 1, d, ref);
  }
  return out;
}

}  // namespace autoglm
