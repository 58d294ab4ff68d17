// fANOVA decomposition of a regression forest; see fanova.h.
#include "importance/fanova.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <numeric>
#include <thread>

namespace autoglm::importance {
namespace {

// Grids larger than this many cells use the pairwise-overlap formula instead (memory bound).
constexpr double kMaxGridCells = double(1 << 23);

}  // namespace

TreeBoxes to_boxes(const RegressionTree& tree, const std::vector<double>& low, const std::vector<double>& high) {
  TreeBoxes T;
  const int C = static_cast<int>(low.size());
  T.C = C;
  // Grid edges per column: bounds and the (clamped) thresholds.
  std::vector<std::vector<double>> edges(C);
  for (int d = 0; d < C; ++d) edges[d] = {low[d], high[d]};
  for (const TreeNode& node : tree.nodes)
    if (node.feature >= 0) {
      const int d = node.feature;
      edges[d].push_back(std::clamp(node.threshold, low[d], high[d]));
    }
  T.cell_frac.resize(C);
  T.cum_frac.resize(C);
  for (int d = 0; d < C; ++d) {
    auto& e = edges[d];
    std::sort(e.begin(), e.end());
    e.erase(std::unique(e.begin(), e.end()), e.end());
    const double width = high[d] - low[d];
    T.cum_frac[d].assign(1, 0.0);
    for (size_t k = 0; k + 1 < e.size(); ++k) {
      T.cell_frac[d].push_back((e[k + 1] - e[k]) / width);
      T.cum_frac[d].push_back(T.cum_frac[d].back() + T.cell_frac[d].back());
    }
  }
  // Depth-first walk carrying the box (depth <= max_depth, so recursion is fine).
  std::vector<double> blo = low, bhi = high;
  auto index_of = [&](int d, double x) {
    return static_cast<int>(std::lower_bound(edges[d].begin(), edges[d].end(), x) - edges[d].begin());
  };
  auto walk = [&](auto&& self, int k) -> void {
    const TreeNode& node = tree.nodes[k];
    if (node.feature < 0) {
      T.value.push_back(node.value);
      for (int d = 0; d < C; ++d) {
        T.lo.push_back(index_of(d, blo[d]));
        T.hi.push_back(index_of(d, bhi[d]));
        T.frac.push_back((bhi[d] - blo[d]) / (high[d] - low[d]));
      }
      return;
    }
    const int d = node.feature;
    const double old_lo = blo[d], old_hi = bhi[d];
    const double t = std::clamp(node.threshold, old_lo, old_hi);
    bhi[d] = t;
    self(self, node.left);
    bhi[d] = old_hi;
    blo[d] = t;
    self(self, node.right);
    blo[d] = old_lo;
  };
  walk(walk, 0);
  T.L = static_cast<int>(T.value.size());
  // Centre the leaf values on the tree's mean over Theta; the total variance (Eq. 5).
  std::vector<double> volume(T.L, 1.0);
  double mean = 0.0;
  for (int l = 0; l < T.L; ++l) {
    for (int d = 0; d < C; ++d) volume[l] *= T.frac[static_cast<size_t>(l) * C + d];
    mean += volume[l] * T.value[l];
  }
  double var = 0.0;
  for (int l = 0; l < T.L; ++l) {
    T.value[l] -= mean;
    var += volume[l] * T.value[l] * T.value[l];
  }
  T.variance = var;
  return T;
}

// V_S: variance over Theta_S of the marginal a_S of one tree. `in_S` has shape (C).
double group_variance(const TreeBoxes& T, const std::vector<char>& in_S, MarginalMethod method) {
  const int C = T.C;
  std::vector<int> dims;  // columns of S that the tree splits (others are constant along S)
  for (int d = 0; d < C; ++d)
    if (in_S[d] && T.cell_frac[d].size() > 1) dims.push_back(d);
  if (dims.empty()) return 0.0;
  const int D = static_cast<int>(dims.size());

  // Per leaf: weight F_l = v_l * prod_{d not in S} frac_ld and its box along `dims`.
  std::vector<double> F(T.L);
  for (int l = 0; l < T.L; ++l) {
    double f = T.value[l];
    const double* fr = T.frac.data() + static_cast<size_t>(l) * C;
    for (int d = 0; d < C; ++d)
      if (!in_S[d]) f *= fr[d];
    F[l] = f;
  }
  auto key_less = [&](int a, int b) {
    const size_t ia = static_cast<size_t>(a) * C, ib = static_cast<size_t>(b) * C;
    for (int d : dims) {
      if (T.lo[ia + d] != T.lo[ib + d]) return T.lo[ia + d] < T.lo[ib + d];
      if (T.hi[ia + d] != T.hi[ib + d]) return T.hi[ia + d] < T.hi[ib + d];
    }
    return false;
  };
  std::vector<int> idx(T.L);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), key_less);
  // Merged boxes: lo/hi of shape (U, D) and weight.
  std::vector<int> ulo, uhi;
  std::vector<double> uF;
  for (size_t k = 0; k < idx.size(); ++k) {
    const int l = idx[k];
    if (k > 0 && !key_less(idx[k - 1], l)) {
      uF.back() += F[l];
      continue;
    }
    for (int d : dims) {
      ulo.push_back(T.lo[static_cast<size_t>(l) * C + d]);
      uhi.push_back(T.hi[static_cast<size_t>(l) * C + d]);
    }
    uF.push_back(F[l]);
  }
  const size_t U = uF.size();

  std::vector<int> size(D);
  double n_cells_d = 1.0;
  for (int k = 0; k < D; ++k) {
    size[k] = static_cast<int>(T.cell_frac[dims[k]].size());
    n_cells_d *= size[k];
  }
  const double pair_cost = double(U) * double(U) * D;
  const bool overlap = method == MarginalMethod::kOverlap ||
                       (method == MarginalMethod::kAuto &&
                        (n_cells_d > kMaxGridCells || n_cells_d > 4.0 * pair_cost + 65536.0));
  if (overlap) {
    // Var = sum_{u,u'} F_u F_u' |B_u n B_u'| - (sum_u F_u |B_u|)^2, volumes as fractions of Theta_S.
    double m = 0.0, m2 = 0.0;
    for (size_t u = 0; u < U; ++u) {
      double vol = 1.0;
      for (int k = 0; k < D; ++k) {
        const auto& cum = T.cum_frac[dims[k]];
        vol *= cum[uhi[u * D + k]] - cum[ulo[u * D + k]];
      }
      m += uF[u] * vol;
      m2 += uF[u] * uF[u] * vol;
      for (size_t v = u + 1; v < U; ++v) {
        double ov = 1.0;
        for (int k = 0; k < D && ov > 0.0; ++k) {
          const int a = std::max(ulo[u * D + k], ulo[v * D + k]);
          const int b = std::min(uhi[u * D + k], uhi[v * D + k]);
          const auto& cum = T.cum_frac[dims[k]];
          ov = b > a ? ov * (cum[b] - cum[a]) : 0.0;
        }
        m2 += 2.0 * uF[u] * uF[v] * ov;
      }
    }
    return std::max(0.0, m2 - m * m);
  }

  const size_t n_cells = static_cast<size_t>(n_cells_d);
  std::vector<size_t> stride(D);
  stride[D - 1] = 1;
  for (int k = D - 2; k >= 0; --k) stride[k] = stride[k + 1] * size[k + 1];
  std::vector<double> diff(n_cells, 0.0);
  std::vector<double> direct;
  const bool few_dims = D <= 20;
  std::vector<int> cursor(D);
  for (size_t u = 0; u < U; ++u) {
    const int* a = ulo.data() + u * D;
    const int* b = uhi.data() + u * D;
    double box_cells = 1.0;
    for (int k = 0; k < D; ++k) box_cells *= b[k] - a[k];
    if (box_cells <= 0.0) continue;
    if (few_dims && double(1u << D) <= box_cells) {
      // Difference-array corners: +F at a, alternating signs at the upper ends.
      for (unsigned mask = 0; mask < (1u << D); ++mask) {
        size_t pos = 0;
        bool inside = true;
        for (int k = 0; k < D && inside; ++k) {
          const int c = (mask >> k) & 1u ? b[k] : a[k];
          if (c >= size[k]) inside = false;
          pos += static_cast<size_t>(c) * stride[k];
        }
        if (inside) diff[pos] += (__builtin_popcount(mask) & 1) ? -uF[u] : uF[u];
      }
    } else {
      if (direct.empty()) direct.assign(n_cells, 0.0);
      for (int k = 0; k < D; ++k) cursor[k] = a[k];
      while (true) {
        size_t pos = 0;
        for (int k = 0; k < D; ++k) pos += static_cast<size_t>(cursor[k]) * stride[k];
        direct[pos] += uF[u];
        int k = D - 1;
        while (k >= 0 && ++cursor[k] == b[k]) cursor[k] = a[k], --k;
        if (k < 0) break;
      }
    }
  }
  // Prefix sums along each dimension turn the corners into the filled grid.
  for (int k = 0; k < D; ++k) {
    const size_t s = stride[k];
    for (size_t pos = 0; pos < n_cells; ++pos)
      if ((pos / s) % size[k] != 0) diff[pos] += diff[pos - s];
  }
  if (!direct.empty())
    for (size_t pos = 0; pos < n_cells; ++pos) diff[pos] += direct[pos];
  // Weighted mean and variance over the cells (weights: cell volume fraction).
  std::vector<double> weight(n_cells);
  std::fill(cursor.begin(), cursor.end(), 0);
  for (size_t pos = 0; pos < n_cells; ++pos) {
    double w = 1.0;
    for (int k = 0; k < D; ++k) w *= T.cell_frac[dims[k]][cursor[k]];
    weight[pos] = w;
    for (int k = D - 1; k >= 0 && ++cursor[k] == size[k]; --k) cursor[k] = 0;
  }
  double m = 0.0;
  for (size_t pos = 0; pos < n_cells; ++pos) m += weight[pos] * diff[pos];
  double var = 0.0;
  for (size_t pos = 0; pos < n_cells; ++pos) var += weight[pos] * (diff[pos] - m) * (diff[pos] - m);
  return var;
}

namespace {

template <class Fn>
void parallel_for(int n, int n_threads, Fn&& fn) {
  n_threads = std::max(1, std::min(n_threads, n));
  if (n_threads == 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < n_threads; ++t)
    pool.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < n;) fn(i);
    });
  for (auto& th : pool) th.join();
}

}  // namespace

FanovaOutput fanova(const FanovaInput& input, const ForestOptions& forest, bool pairs) {
  const int C = static_cast<int>(input.low.size());
  const int G = static_cast<int>(input.groups.size());
  const std::vector<RegressionTree> trees = fit_forest(input.X, input.y, C, forest);
  const int n_trees = static_cast<int>(trees.size());
  const int n_threads = forest.n_threads > 0 ? forest.n_threads
                                             : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Per tree: V, V_i (shape G) and, with pairs, V_ij (shape G x G, upper triangle).
  std::vector<double> total(n_trees, 0.0);
  std::vector<std::vector<double>> main(n_trees), pair(n_trees);
  parallel_for(n_trees, n_threads, [&](int t) {
    const TreeBoxes T = to_boxes(trees[t], input.low, input.high);
    total[t] = T.variance;
    if (!(T.variance > 0.0)) return;
    std::vector<char> in_S(C, 0);
    main[t].assign(G, 0.0);
    for (int g = 0; g < G; ++g) {
      for (int c : input.groups[g]) in_S[c] = 1;
      main[t][g] = group_variance(T, in_S);
      for (int c : input.groups[g]) in_S[c] = 0;
    }
    if (!pairs) return;
    pair[t].assign(static_cast<size_t>(G) * G, 0.0);
    for (int i = 0; i < G; ++i)
      for (int j = i + 1; j < G; ++j) {
        for (int c : input.groups[i]) in_S[c] = 1;
        for (int c : input.groups[j]) in_S[c] = 1;
        const double vij = group_variance(T, in_S);
        std::fill(in_S.begin(), in_S.end(), 0);
        pair[t][static_cast<size_t>(i) * G + j] = std::max(0.0, vij - main[t][i] - main[t][j]);
      }
  });

  FanovaOutput out;
  out.main.assign(G, 0.0);
  if (pairs) out.pairs.assign(G, std::vector<double>(G, 0.0));
  // Trees whose variance is negligible against the largest (a constant fit up to rounding)
  // carry no information about importance; Optuna skips exactly-zero ones.
  const double vmax = n_trees ? *std::max_element(total.begin(), total.end()) : 0.0;
  for (int t = 0; t < n_trees; ++t) {
    if (!(total[t] > 1e-24 * vmax) || main[t].empty()) continue;
    ++out.n_trees_with_variance;
    for (int g = 0; g < G; ++g) out.main[g] += main[t][g] / total[t];
    if (pairs)
      for (int i = 0; i < G; ++i)
        for (int j = i + 1; j < G; ++j) out.pairs[i][j] += pair[t][static_cast<size_t>(i) * G + j] / total[t];
  }
  if (out.n_trees_with_variance > 0) {
    const double inv = 1.0 / out.n_trees_with_variance;
    for (double& v : out.main) v *= inv;
    if (pairs)
      for (int i = 0; i < G; ++i) {
        out.pairs[i][i] = out.main[i];
        for (int j = i + 1; j < G; ++j) out.pairs[j][i] = out.pairs[i][j] *= inv;
      }
  }
  return out;
}

}  // namespace autoglm::importance
