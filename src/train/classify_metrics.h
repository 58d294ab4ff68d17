// Binary-classification metrics of the `classify` workload: confusion matrix, accuracy,
// precision, recall, F1 and ROC-AUC. Pure functions, no libtorch (unit-tested without it).
//
// Conventions: label 1 is the positive class (spam), 0 the negative class (ham); a score is
// any real number that grows with the belief in the positive class (here p(spam) in [0, 1]).
// Every ratio whose denominator is zero is defined as 0 (never NaN), except ROC-AUC, which is
// undefined (NaN) when one of the two classes is absent. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <vector>

namespace autoglm::train {

/// Counts of a binary decision against the truth (positive = label 1).
struct ConfusionMatrix {
  int64_t tp = 0;  ///< true positives: label 1, predicted 1
  int64_t fp = 0;  ///< false positives: label 0, predicted 1
  int64_t fn = 0;  ///< false negatives: label 1, predicted 0
  int64_t tn = 0;  ///< true negatives: label 0, predicted 0
  int64_t total() const { return tp + fp + fn + tn; }
};

/// The confusion matrix of the decisions `score >= threshold` (predicted positive) against
/// `labels` (each 0 or 1). Requires labels.size() == scores.size() (asserted).
ConfusionMatrix confusion_matrix(const std::vector<int>& labels, const std::vector<double>& scores, double threshold);

/// (TP + TN) / (TP + FP + FN + TN); 0 for an empty matrix.
double accuracy(const ConfusionMatrix& m);
/// TP / (TP + FP): the fraction of predicted positives that are positive; 0 when nothing was
/// predicted positive (TP + FP = 0).
double precision(const ConfusionMatrix& m);
/// TP / (TP + FN): the fraction of positives that were found; 0 when there is no positive
/// example (TP + FN = 0).
double recall(const ConfusionMatrix& m);
/// Harmonic mean of precision and recall, computed as 2 TP / (2 TP + FP + FN) (equal to
/// 2 P R / (P + R) whenever P + R > 0); 0 when TP = 0 (including the all-zero denominator).
double f1_score(const ConfusionMatrix& m);

/// Area under the ROC curve via the Mann-Whitney U statistic (Hanley & McNeil 1982, eq. 2;
/// Mann & Whitney 1947): the probability that a random positive scores higher than a random
/// negative, a tie counting 1/2:
///   AUC = (1 / (P N)) * sum over positive i, negative j of [s_i > s_j] + 1/2 [s_i = s_j].
/// Computed in O(n log n) from mid-ranks: AUC = (R_pos - P (P + 1) / 2) / (P N), where R_pos is
/// the sum of the (tie-averaged, 1-based) ranks of the positives among all scores.
/// 1 = perfect ranking, 0.5 = chance (or all scores equal), 0 = inverted. NaN when P = 0 or
/// N = 0 (undefined). Requires labels.size() == scores.size() (asserted); scores must not be NaN.
double roc_auc(const std::vector<int>& labels, const std::vector<double>& scores);

/// All metrics of one split at one threshold.
struct BinaryMetrics {
  ConfusionMatrix confusion;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0;
  double roc_auc = 0;  ///< NaN when one class is absent
};

/// Computes BinaryMetrics of `scores` against `labels` with decisions `score >= threshold`.
BinaryMetrics binary_metrics(const std::vector<int>& labels, const std::vector<double>& scores, double threshold);

}  // namespace autoglm::train
