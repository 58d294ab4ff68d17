// Options of the `lm` workload: a byte-level decoder-only transformer language model trained
// on a text corpus (default: Moby Dick), objective = validation bits per byte (minimize).
// Every field is a command-line flag of `autoglm-train lm` (the flag name is the field name
// with '-' for '_'; a repeated flag takes its last value). Parsed and validated once by
// parse_lm_options(); no libtorch here.
//
// The defaults are the "default configuration" of the Moby Dick study (AdamW, lr 3e-4, batch
// 32, middle of the tuned ranges) sized for a 2-core machine running two trials in parallel:
// one default trial takes about 70 s on one core (about 110 ms per step, measured on the
// project's 2-core Debian machine with OpenBLAS).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace autoglm::train {

enum class OptimizerKind { kAdamW, kAdam, kSgd };

struct LmOptions {
  // --- data ---
  /// Text corpus, read as raw bytes (vocabulary 256). The first 90% is the training split, the
  /// last 10% the validation split. A relative default that does not exist is also looked up
  /// under the source tree's data/ folder.
  std::string data = "data/moby-dick.txt";
  /// Use only the first N bytes of the corpus (0: all). For quick tests.
  int64_t data_limit = 0;

  // --- model ---
  /// Transformer blocks. Cost grows linearly.
  int n_layers = 3;
  /// Embedding / residual width. Cost grows ~quadratically (the MLP is 4x wide).
  int d_model = 96;
  /// Attention heads; d_model must be a multiple.
  int n_heads = 4;
  /// Sequence length in bytes (also the number of learned positions).
  int context = 64;
  /// Dropout probability on embeddings, attention weights and residual branches (0: off).
  double dropout = 0.1;

  // --- optimization ---
  OptimizerKind optimizer = OptimizerKind::kAdamW;
  /// Peak learning rate (after warm-up). Adam(W) likes 1e-4..3e-3; SGD needs ~0.05..1.
  double lr = 3e-4;
  /// Momentum of SGD (ignored by adam/adamw, whose betas are fixed at 0.9, 0.95).
  double momentum = 0.9;
  /// Weight decay on matrices (embeddings and linear weights; never biases or LayerNorm).
  /// Decoupled for adamw, an L2 term for adam and sgd.
  double weight_decay = 0.01;
  /// Training windows per step.
  int batch_size = 32;
  /// Fraction of max_steps with a linear warm-up from ~0 to lr.
  double warmup_frac = 0.05;
  /// After warm-up, cosine decay from lr to min_lr_frac * lr at max_steps.
  double min_lr_frac = 0.1;
  /// Clip the global gradient L2 norm to this value (0: no clipping).
  double grad_clip = 1.0;
  /// Training steps (one optimizer update each).
  int64_t max_steps = 600;

  // --- evaluation ---
  /// Evaluate (and report an intermediate value) every N steps, and always after the last step.
  int64_t eval_interval = 50;
  /// Validation batches of kEvalRows windows each. The windows are evenly spaced over the
  /// validation split and depend only on the corpus, data_limit, context and eval_batches (not on
  /// seed or batch_size), so every trial of a study is scored on the same bytes.
  int eval_batches = 8;

  // --- run ---
  /// Seed of parameter init, dropout and the training-window sampler (std::mt19937_64).
  uint64_t seed = 0;
  /// Intra-op threads (libtorch and OpenBLAS). With several trials in parallel, 1 each is best.
  int threads = 1;
  /// "cpu" or "cuda" (cuda fails with exit 2 when unavailable).
  std::string device = "cpu";
  /// Where to save the final (or interrupted) model: libtorch archive of the parameters plus a
  /// JSON sidecar PATH.json with the hyperparameters. Empty: no checkpoint.
  std::string checkpoint;
  /// Print one JSON summary line on stdout at the end (progress lines then go to stderr).
  bool json = false;
};

/// Windows per validation batch (independent of batch_size).
inline constexpr int kEvalRows = 32;

const char* optimizer_name(OptimizerKind kind);
/// Inverse of optimizer_name for a value CLI11 already checked ("adamw", "adam", else sgd).
OptimizerKind optimizer_from_name(const std::string& name);

/// Parses `autoglm-train lm` flags (argv[0] is the workload name). Returns false after printing
/// --help. Throws autoglm::ConfigError with a one-line message naming the bad flag.
bool parse_lm_options(int argc, char** argv, LmOptions& options);

}  // namespace autoglm::train
