#include "train/classify_metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

namespace autoglm::train {

ConfusionMatrix confusion_matrix(const std::vector<int>& labels, const std::vector<double>& scores, double threshold) {
  assert(labels.size() == scores.size());
  ConfusionMatrix m;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (labels[i] != 0) (predicted ? m.tp : m.fn) += 1;
    else (predicted ? m.fp : m.tn) += 1;
  }
  return m;
}

namespace {
double ratio(int64_t num, int64_t den) { return den == 0 ? 0.0 : static_cast<double>(num) / static_cast<double>(den); }
}  // namespace

double accuracy(const ConfusionMatrix& m) { return ratio(m.tp + m.tn, m.total()); }
double precision(const ConfusionMatrix& m) { return ratio(m.tp, m.tp + m.fp); }
double recall(const ConfusionMatrix& m) { return ratio(m.tp, m.tp + m.fn); }
double f1_score(const ConfusionMatrix& m) { return m.tp == 0 ? 0.0 : ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn); }

double roc_auc(const std::vector<int>& labels, const std::vector<double>& scores) {
  assert(labels.size() == scores.size());
  const size_t n = labels.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum_pos = 0;  // sum of 1-based mid-ranks of the positives
  int64_t n_pos = 0;
  for (size_t lo = 0; lo < n;) {
    size_t hi = lo;
    while (hi < n && scores[order[hi]] == scores[order[lo]]) ++hi;
    // Items lo..hi-1 tie; each gets the mean of ranks lo+1..hi.
    const double mid_rank = 0.5 * static_cast<double>(lo + 1 + hi);
    for (size_t k = lo; k < hi; ++k) {
      if (labels[order[k]] != 0) {
        rank_sum_pos += mid_rank;
        ++n_pos;
      }
    }
    lo = hi;
  }
  const int64_t n_neg = static_cast<int64_t>(n) - n_pos;
  if (n_pos == 0 || n_neg == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(n_pos), q = static_cast<double>(n_neg);
  return (rank_sum_pos - p * (p + 1) / 2) / (p * q);
}

BinaryMetrics binary_metrics(const std::vector<int>& labels, const std::vector<double>& scores, double threshold) {
  BinaryMetrics b;
  b.confusion = confusion_matrix(labels, scores, threshold);
  b.accuracy = accuracy(b.confusion);
  b.precision = precision(b.confusion);
  b.recall = recall(b.confusion);
  b.f1 = f1_score(b.confusion);
  b.roc_auc = roc_auc(labels, scores);
  return b;
}

}  // namespace autoglm::train
