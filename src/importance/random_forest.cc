// CART regression forest; see random_forest.h.
#include "importance/random_forest.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>

namespace autoglm::importance {
namespace {

// scikit-learn's FEATURE_THRESHOLD: values closer than this are not split apart.
constexpr double kFeatureThreshold = 1e-7;

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// Uniform integer in [0, n) from the top 53 bits of one draw (portable across standard libraries).
size_t uniform_index(std::mt19937_64& rng, size_t n) {
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
  return std::min(n - 1, static_cast<size_t>(u * static_cast<double>(n)));
}

struct TreeBuilder {
  const std::vector<double>& cols;  // column-major copy of X: cols[f * n + i]
  const std::vector<double>& y;     // centred targets
  double y_offset;
  size_t n;
  int n_features;
  const ForestOptions& opt;
  const std::vector<std::vector<int>>& global_order;  // per feature, all rows sorted by value

  RegressionTree build(uint64_t tree_seed) const {
    std::mt19937_64 rng(tree_seed);
    std::vector<double> w(n, 0.0);
    for (size_t k = 0; k < n; ++k) w[uniform_index(rng, n)] += 1.0;

    // Per-feature orders restricted to the bootstrap rows.
    const int F = n_features;
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) m += w[i] > 0.0;
    std::vector<int> order(static_cast<size_t>(F) * m);
    for (int f = 0; f < F; ++f) {
      int* out = order.data() + static_cast<size_t>(f) * m;
      for (int i : global_order[f])
        if (w[i] > 0.0) *out++ = i;
    }

    RegressionTree tree;
    tree.nodes.reserve(2 * m);
    struct Work {
      int node;
      size_t begin, end;
      int depth;
    };
    std::vector<Work> stack;
    tree.nodes.push_back({});
    stack.push_back({0, 0, m, 0});
    std::vector<char> goes_left(n, 0);
    std::vector<int> buffer(m);
    std::vector<int> features(F);
    std::iota(features.begin(), features.end(), 0);

    while (!stack.empty()) {
      const Work work = stack.back();
      stack.pop_back();
      const size_t count = work.end - work.begin;
      const int* rows = order.data() + work.begin;  // feature 0's order
      double W = 0.0, S = 0.0, Q = 0.0;
      for (size_t k = 0; k < count; ++k) {
        const int i = rows[k];
        W += w[i];
        S += w[i] * y[i];
        Q += w[i] * y[i] * y[i];
      }
      const double mean = S / W;
      tree.nodes[work.node].value = mean + y_offset;
      const double sse = std::max(0.0, Q - S * mean);
      if (static_cast<int>(count) < opt.min_samples_split || work.depth >= opt.max_depth ||
          sse <= 1e-12 * std::max(Q, 1e-300))
        continue;

      // Best split: maximise Sl^2/Wl + Sr^2/Wr (equivalent to minimising the children's SSE).
      const double parent_proxy = S * mean;
      double best_proxy = parent_proxy + 1e-12 * std::max(std::abs(parent_proxy), sse);
      int best_feature = -1;
      double best_threshold = 0.0;
      // Shuffle the feature order (Fisher-Yates) so that exact ties are broken at random.
      for (int k = F - 1; k > 0; --k) std::swap(features[k], features[uniform_index(rng, k + 1)]);
      for (int f : features) {
        const int* ord = order.data() + static_cast<size_t>(f) * m + work.begin;
        const double* x = cols.data() + static_cast<size_t>(f) * n;
        if (x[ord[count - 1]] <= x[ord[0]] + kFeatureThreshold) continue;  // constant here
        double Wl = 0.0, Sl = 0.0;
        const size_t min_leaf = static_cast<size_t>(opt.min_samples_leaf);
        for (size_t k = 0; k + 1 < count; ++k) {
          const int i = ord[k];
          Wl += w[i];
          Sl += w[i] * y[i];
          const double xk = x[i], xn = x[ord[k + 1]];
          if (xn <= xk + kFeatureThreshold) continue;
          if (k + 1 < min_leaf || count - (k + 1) < min_leaf) continue;
          const double Wr = W - Wl, Sr = S - Sl;
          const double proxy = Sl * Sl / Wl + Sr * Sr / Wr;
          if (proxy > best_proxy) {
            best_proxy = proxy;
            best_feature = f;
            double t = 0.5 * (xk + xn);
            if (t >= xn || !std::isfinite(t)) t = xk;
            best_threshold = t;
          }
        }
      }
      if (best_feature < 0) continue;

      // Partition every feature's order stably into left | right.
      const double* xb = cols.data() + static_cast<size_t>(best_feature) * n;
      size_t n_left = 0;
      for (size_t k = 0; k < count; ++k) {
        const int i = rows[k];
        goes_left[i] = xb[i] <= best_threshold;
        n_left += goes_left[i];
      }
      for (int f = 0; f < F; ++f) {
        int* ord = order.data() + static_cast<size_t>(f) * m + work.begin;
        size_t l = 0, r = 0;
        for (size_t k = 0; k < count; ++k) {
          const int i = ord[k];
          if (goes_left[i])
            ord[l++] = i;
          else
            buffer[r++] = i;
        }
        std::copy(buffer.begin(), buffer.begin() + static_cast<long>(r), ord + l);
      }
      assert(n_left > 0 && n_left < count);
      const int left = static_cast<int>(tree.nodes.size());
      tree.nodes.push_back({});
      tree.nodes.push_back({});
      TreeNode& node = tree.nodes[work.node];
      node.feature = best_feature;
      node.threshold = best_threshold;
      node.left = left;
      node.right = left + 1;
      // Right pushed first so the left subtree is expanded first (depth-first, left to right).
      stack.push_back({left + 1, work.begin + n_left, work.end, work.depth + 1});
      stack.push_back({left, work.begin, work.begin + n_left, work.depth + 1});
    }
    return tree;
  }
};

}  // namespace

double RegressionTree::predict(const double* x) const {
  int k = 0;
  while (nodes[k].feature >= 0) k = x[nodes[k].feature] <= nodes[k].threshold ? nodes[k].left : nodes[k].right;
  return nodes[k].value;
}

std::vector<RegressionTree> fit_forest(const std::vector<double>& X, const std::vector<double>& y,
                                       int n_features, const ForestOptions& options) {
  const size_t n = y.size();
  assert(n >= 1 && n_features >= 1 && X.size() == n * static_cast<size_t>(n_features));
  std::vector<double> cols(X.size());
  for (size_t i = 0; i < n; ++i)
    for (int f = 0; f < n_features; ++f) cols[static_cast<size_t>(f) * n + i] = X[i * n_features + f];
  // Centre the targets (better-conditioned sums of squares); predictions add the offset back.
  const double offset = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
  std::vector<double> yc(n);
  for (size_t i = 0; i < n; ++i) yc[i] = y[i] - offset;

  std::vector<std::vector<int>> global_order(n_features, std::vector<int>(n));
  for (int f = 0; f < n_features; ++f) {
    auto& ord = global_order[f];
    std::iota(ord.begin(), ord.end(), 0);
    const double* x = cols.data() + static_cast<size_t>(f) * n;
    std::stable_sort(ord.begin(), ord.end(), [x](int a, int b) { return x[a] < x[b]; });
  }

  const TreeBuilder builder{cols, yc, offset, n, n_features, options, global_order};
  std::vector<RegressionTree> trees(options.n_trees);
  int n_threads = options.n_threads > 0 ? options.n_threads
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::min(n_threads, options.n_trees);
  std::atomic<int> next{0};
  auto worker = [&] {
    for (int t; (t = next.fetch_add(1)) < options.n_trees;)
      trees[t] = builder.build(splitmix64(options.seed ^ splitmix64(static_cast<uint64_t>(t) + 1)));
  };
  if (n_threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int k = 0; k < n_threads; ++k) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  return trees;
}

}  // namespace autoglm::importance
