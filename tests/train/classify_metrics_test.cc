// Unit tests of the torch-free metrics of the `classify` workload (src/train/classify_metrics.h):
// hand-built confusion matrices, the zero-denominator conventions, and ROC-AUC via the
// Mann-Whitney statistic on small examples whose AUC is known by counting pairs.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "train/classify_metrics.h"

namespace autoglm::train {
namespace {

/// Labels and scores that realise a given confusion matrix at threshold 0.5.
void realise(const ConfusionMatrix& m, std::vector<int>& labels, std::vector<double>& scores) {
  auto add = [&](int64_t n, int label, double score) {
    for (int64_t i = 0; i < n; ++i) labels.push_back(label), scores.push_back(score);
  };
  add(m.tp, 1, 0.9);
  add(m.fp, 0, 0.8);
  add(m.fn, 1, 0.2);
  add(m.tn, 0, 0.1);
}

TEST(ClassifyMetrics, HandBuiltConfusionMatrix) {
  const ConfusionMatrix m{/*tp=*/40, /*fp=*/10, /*fn=*/5, /*tn=*/45};
  EXPECT_EQ(m.total(), 100);
  EXPECT_DOUBLE_EQ(accuracy(m), 0.85);
  EXPECT_DOUBLE_EQ(precision(m), 0.8);
  EXPECT_DOUBLE_EQ(recall(m), 40.0 / 45.0);
  const double p = 0.8, r = 40.0 / 45.0;
  EXPECT_NEAR(f1_score(m), 2 * p * r / (p + r), 1e-15);
  EXPECT_DOUBLE_EQ(f1_score(m), 80.0 / 95.0);  // 2 TP / (2 TP + FP + FN)
}

TEST(ClassifyMetrics, ConfusionMatrixFromScores) {
  std::vector<int> labels;
  std::vector<double> scores;
  realise({40, 10, 5, 45}, labels, scores);
  const ConfusionMatrix m = confusion_matrix(labels, scores, 0.5);
  EXPECT_EQ(m.tp, 40);
  EXPECT_EQ(m.fp, 10);
  EXPECT_EQ(m.fn, 5);
  EXPECT_EQ(m.tn, 45);
  // The threshold is inclusive: a score equal to it is predicted positive.
  const ConfusionMatrix at = confusion_matrix({1, 0}, {0.5, 0.5}, 0.5);
  EXPECT_EQ(at.tp, 1);
  EXPECT_EQ(at.fp, 1);
  // Threshold 0 predicts everything positive; above every score, nothing.
  EXPECT_EQ(confusion_matrix(labels, scores, 0.0).tn, 0);
  EXPECT_EQ(confusion_matrix(labels, scores, 0.95).tp, 0);
}

TEST(ClassifyMetrics, NoPositivePredictedGivesZeroPrecisionAndF1) {
  const ConfusionMatrix m{0, 0, 7, 93};
  EXPECT_EQ(precision(m), 0.0);
  EXPECT_EQ(recall(m), 0.0);
  EXPECT_EQ(f1_score(m), 0.0);
  EXPECT_DOUBLE_EQ(accuracy(m), 0.93);  // the majority-class baseline
}

TEST(ClassifyMetrics, ZeroDenominatorsAreZeroNotNaN) {
  const ConfusionMatrix empty{};
  EXPECT_EQ(accuracy(empty), 0.0);
  EXPECT_EQ(precision(empty), 0.0);
  EXPECT_EQ(recall(empty), 0.0);
  EXPECT_EQ(f1_score(empty), 0.0);
  // No positive example at all: recall and F1 are 0 by convention.
  const ConfusionMatrix no_pos{0, 3, 0, 7};
  EXPECT_EQ(recall(no_pos), 0.0);
  EXPECT_EQ(f1_score(no_pos), 0.0);
  EXPECT_EQ(precision(no_pos), 0.0);
  // All correct.
  const ConfusionMatrix perfect{5, 0, 0, 5};
  EXPECT_EQ(precision(perfect), 1.0);
  EXPECT_EQ(recall(perfect), 1.0);
  EXPECT_EQ(f1_score(perfect), 1.0);
  EXPECT_EQ(accuracy(perfect), 1.0);
}

TEST(ClassifyMetrics, RocAucPerfectInvertedAndConstant) {
  const std::vector<int> labels = {0, 0, 1, 1, 0, 1};
  EXPECT_DOUBLE_EQ(roc_auc(labels, {0.1, 0.2, 0.8, 0.9, 0.3, 0.7}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc(labels, {0.9, 0.8, 0.2, 0.1, 0.7, 0.3}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc(labels, {0.5, 0.5, 0.5, 0.5, 0.5, 0.5}), 0.5);  // all ties: 1/2 each
}

TEST(ClassifyMetrics, RocAucCountsPairsWithTiesAsHalf) {
  // Positives {0.8, 0.4}, negatives {0.6, 0.2}: pairs (0.8>0.6) (0.8>0.2) (0.4<0.6) (0.4>0.2)
  // -> 3 of 4 = 0.75.
  EXPECT_DOUBLE_EQ(roc_auc({1, 1, 0, 0}, {0.8, 0.4, 0.6, 0.2}), 0.75);
  // Positives {0.5, 0.9}, negatives {0.5, 0.1}: (0.5=0.5) 1/2, (0.5>0.1) 1, (0.9>0.5) 1,
  // (0.9>0.1) 1 -> 3.5 / 4 = 0.875.
  EXPECT_DOUBLE_EQ(roc_auc({1, 0, 1, 0}, {0.5, 0.5, 0.9, 0.1}), 0.875);
  // Positives {0.3, 0.3}, negatives {0.3, 0.1}: 1/2 + 1 + 1/2 + 1 = 3 of 4 = 0.75.
  EXPECT_DOUBLE_EQ(roc_auc({1, 1, 0, 0}, {0.3, 0.3, 0.3, 0.1}), 0.75);
  // Order of the input does not matter.
  EXPECT_DOUBLE_EQ(roc_auc({0, 1, 0, 1}, {0.2, 0.8, 0.6, 0.4}), 0.75);
}

TEST(ClassifyMetrics, RocAucMatchesBruteForcePairCount) {
  // Deterministic pseudo-random scores on a coarse grid (many ties).
  std::vector<int> labels;
  std::vector<double> scores;
  uint64_t x = 12345;
  for (int i = 0; i < 301; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    labels.push_back(static_cast<int>((x >> 33) % 3 == 0));
    scores.push_back(static_cast<double>((x >> 40) % 17) / 16.0);
  }
  double wins = 0, pairs = 0;
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t j = 0; j < labels.size(); ++j)
      if (labels[i] == 1 && labels[j] == 0) {
        pairs += 1;
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
      }
  EXPECT_NEAR(roc_auc(labels, scores), wins / pairs, 1e-12);
}

TEST(ClassifyMetrics, RocAucUndefinedWithOneClass) {
  EXPECT_TRUE(std::isnan(roc_auc({1, 1, 1}, {0.1, 0.5, 0.9})));
  EXPECT_TRUE(std::isnan(roc_auc({0, 0}, {0.1, 0.5})));
  EXPECT_TRUE(std::isnan(roc_auc({}, {})));
}

TEST(ClassifyMetrics, BinaryMetricsBundlesEverything) {
  std::vector<int> labels;
  std::vector<double> scores;
  realise({40, 10, 5, 45}, labels, scores);
  const BinaryMetrics b = binary_metrics(labels, scores, 0.5);
  EXPECT_EQ(b.confusion.tp, 40);
  EXPECT_DOUBLE_EQ(b.accuracy, 0.85);
  EXPECT_DOUBLE_EQ(b.precision, 0.8);
  EXPECT_DOUBLE_EQ(b.recall, 40.0 / 45.0);
  EXPECT_DOUBLE_EQ(b.f1, 80.0 / 95.0);
  // Scores 0.9 (40 pos, 0 neg), 0.8 (10 neg), 0.2 (5 pos), 0.1 (45 neg): a positive at 0.9 beats
  // all 55 negatives; a positive at 0.2 beats the 45 at 0.1 -> (40*55 + 5*45) / (45*55).
  EXPECT_DOUBLE_EQ(b.roc_auc, (40.0 * 55 + 5.0 * 45) / (45.0 * 55));
}

}  // namespace
}  // namespace autoglm::train
