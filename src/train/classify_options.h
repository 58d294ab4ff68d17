// Options of the `classify` workload: a spam-vs-ham text classifier over the SpamAssassin
// public corpus, objective = validation F1 of the spam class (maximize). Every field is a
// command-line flag of `autoglm-train classify` (flag name = field name with '-' for '_'; a
// repeated flag takes its last value). Parsed and validated once by parse_classify_options();
// no libtorch here.
//
// Defaults are sized for one core per trial: the default bag-of-n-grams model trains in a few
// seconds (the whole trial, data loading included, well under a minute) and reaches a validation
// F1 above 0.9; the default transformer (2 layers, d_model 64, context 256) in a few minutes.
// Measured timings: docs/classify.md.
#pragma once

#include <cstdint>
#include <string>

#include "train/lm_options.h"  // OptimizerKind, optimizer_name

namespace autoglm::train {

enum class ClassifierKind {
  kBag,          ///< EmbeddingBag (mean) over hashed byte n-grams -> dropout -> linear
  kTransformer,  ///< byte embeddings + learned positions + pre-LN encoder, mean pooling -> linear
};
enum class AttentionKind { kBidirectional, kCausal };

struct ClassifyOptions {
  // --- data ---
  /// Corpus folder (group folders *ham*/ and *spam*/ of raw emails). A relative default that
  /// does not exist is also looked up under the source tree's data/ folder.
  std::string data = "data/spam-assassin";
  /// Use at most N messages (stratified: each class keeps its share), 0 = all (6046). For tests.
  int64_t data_limit = 0;
  /// Seed of the fixed 70/15/15 train/validation/test split (stratified by label). Keep it fixed
  /// within a study so that every trial is scored on the same validation messages.
  uint64_t split_seed = 0;
  /// Bytes of each cleaned message (subject + body, see clean_message) the models see.
  /// More bytes: more evidence, proportionally slower bag features.
  int max_bytes = 768;

  // --- model ---
  ClassifierKind model = ClassifierKind::kBag;
  /// bag: longest byte n-gram hashed (n = 1..ngram). 3-4 is the sweet spot; cost grows linearly.
  int ngram = 3;
  /// bag: hash buckets (rows of the embedding table). More: fewer collisions, more parameters.
  int64_t buckets = 1 << 16;
  /// bag: embedding width.
  int embed_dim = 32;
  /// transformer: encoder blocks.
  int n_layers = 2;
  /// transformer: residual width (multiple of n_heads).
  int d_model = 64;
  /// transformer: attention heads.
  int n_heads = 4;
  /// transformer: tokens (bytes) per message; longer messages are cut. Cost ~linear to quadratic.
  int context = 256;
  /// transformer: bidirectional (encoder) or causal attention (as the lm was trained; use it with
  /// --init-checkpoint and --train-head-only). Padding is always masked.
  AttentionKind attention = AttentionKind::kBidirectional;
  /// transformer: initialise embeddings, positions, blocks and final LayerNorm from an
  /// `autoglm-train lm --checkpoint` file (its PATH.json sidecar gives the architecture, which
  /// must match --n-layers/--d-model/--n-heads, and its context must be >= --context).
  std::string init_checkpoint;
  /// transformer: train only the linear head (everything else frozen).
  bool train_head_only = false;
  /// Dropout probability (bag: on the pooled vector; transformer: embeddings, attention, residuals).
  double dropout = 0.1;

  // --- optimization ---
  OptimizerKind optimizer = OptimizerKind::kAdamW;
  /// Learning rate (constant). 0 = the model's default: bag 5e-2, transformer 1e-3.
  double lr = 0;
  /// Momentum of SGD (ignored by adam/adamw, whose betas are (0.9, 0.999)).
  double momentum = 0.9;
  /// Weight decay on matrices (never biases or LayerNorm); decoupled for adamw, L2 otherwise.
  double weight_decay = 0.0;
  /// Messages per training step. 0 = the model's default: bag 64, transformer 16.
  int batch_size = 0;
  /// Passes over the training split. 0 = the model's default: bag 5, transformer 2.
  int epochs = 0;
  /// Stop after this many optimizer steps in total (0: epochs only). The last, partial epoch is
  /// still evaluated and reported.
  int64_t max_steps = 0;
  /// Clip the global gradient L2 norm to this value (0: no clipping).
  double grad_clip = 1.0;
  /// Weight of the spam class in the training loss (ham weighs 1): > 1 trades precision for recall.
  double class_weight = 1.0;
  /// A message is classified spam when p(spam) >= threshold (accuracy, precision, recall, F1).
  double threshold = 0.5;

  // --- run ---
  /// Seed of parameter init, dropout and the order of training batches.
  uint64_t seed = 0;
  /// Intra-op threads (libtorch and OpenBLAS). With several trials in parallel, 1 each is best.
  int threads = 1;
  /// "cpu" or "cuda" (cuda fails with exit 2 when unavailable).
  std::string device = "cpu";
  /// Batch size of the latency_ms_batch measurement (serving in batches).
  int serve_batch_size = 32;

  /// The learning rate in effect (lr, or the model's default when lr == 0).
  double effective_lr() const { return lr > 0 ? lr : model == ClassifierKind::kBag ? 5e-2 : 1e-3; }
  /// The epochs in effect (epochs, or the model's default when epochs == 0).
  int effective_epochs() const { return epochs > 0 ? epochs : model == ClassifierKind::kBag ? 5 : 2; }
  /// The batch size in effect (batch_size, or the model's default when batch_size == 0).
  int effective_batch_size() const { return batch_size > 0 ? batch_size : model == ClassifierKind::kBag ? 64 : 16; }
};

/// Flag spelling of a model kind: "bag" or "transformer".
const char* classifier_name(ClassifierKind kind);
/// Flag spelling of an attention kind: "bidirectional" or "causal".
const char* attention_name(AttentionKind kind);

/// Parses `autoglm-train classify` flags (argv[0] is the workload name). Returns false after
/// printing --help. Throws autoglm::ConfigError with a one-line message naming the bad flag.
bool parse_classify_options(int argc, char** argv, ClassifyOptions& options);

}  // namespace autoglm::train
