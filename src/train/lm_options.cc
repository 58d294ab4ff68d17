#include "train/lm_options.h"

#include <string>

#include <CLI/CLI.hpp>

#include "autoglm/error.h"
#include "train/flag_checks.h"

namespace autoglm::train {
namespace {

void validate(const LmOptions& o) {
  auto positive = [](const char* flag, double v) {
    if (!(v > 0)) bad_flag(std::string(flag) + " must be > 0, got " + flag_number(v));
  };
  if (o.data_limit < 0) bad_flag("--data-limit must be >= 0 (0 uses the whole file), got " + std::to_string(o.data_limit));
  positive("--n-layers", o.n_layers);
  positive("--d-model", o.d_model);
  positive("--n-heads", o.n_heads);
  if (o.d_model % o.n_heads != 0)
    bad_flag("--d-model " + std::to_string(o.d_model) + " is not divisible by --n-heads " + std::to_string(o.n_heads) +
        "; pick a d-model that is a multiple of n-heads");
  if (o.context < 1 || o.context > 8192) bad_flag("--context must be in [1, 8192] bytes, got " + std::to_string(o.context));
  check_in_range("--dropout", o.dropout, 0.0, 0.95, "[0, 0.95]");
  positive("--lr", o.lr);
  check_in_range("--momentum", o.momentum, 0.0, 0.999999, "[0, 1)");
  check_in_range("--weight-decay", o.weight_decay, 0.0, 1e3, "[0, 1000]");
  positive("--batch-size", o.batch_size);
  check_in_range("--warmup-frac", o.warmup_frac, 0.0, 1.0, "[0, 1]");
  check_in_range("--min-lr-frac", o.min_lr_frac, 0.0, 1.0, "[0, 1]");
  check_in_range("--grad-clip", o.grad_clip, 0.0, 1e30, "[0, inf) (0 disables clipping)");
  positive("--max-steps", static_cast<double>(o.max_steps));
  positive("--eval-interval", static_cast<double>(o.eval_interval));
  positive("--eval-batches", o.eval_batches);
  if (o.threads < 1 || o.threads > 1024) bad_flag("--threads must be in [1, 1024], got " + std::to_string(o.threads));
}

}  // namespace

const char* optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kAdamW: return "adamw";
    case OptimizerKind::kAdam: return "adam";
    case OptimizerKind::kSgd: return "sgd";
  }
  return "?";
}

OptimizerKind optimizer_from_name(const std::string& name) {
  if (name == "adamw") return OptimizerKind::kAdamW;
  if (name == "adam") return OptimizerKind::kAdam;
  return OptimizerKind::kSgd;
}

bool parse_lm_options(int argc, char** argv, LmOptions& o) {
  CLI::App app{
      "Train a byte-level decoder-only transformer language model; objective: validation bits per byte "
      "(minimize).\nReports intermediate values through AUTOGLM_REPORT_FD (see docs/protocol.md). "
      "Exit codes: 0 done or stopped by SIGTERM/SIGINT (checkpoint saved, no final value), "
      "2 bad flag, 3 diverged.",
      "autoglm-train lm"};
  // A repeated flag takes its last value (so a tuned value can override a base command line).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string optimizer = optimizer_name(o.optimizer);
  app.add_option("--data", o.data, "Text corpus, read as bytes; first 90% train, last 10% validation")
      ->capture_default_str();
  app.add_option("--data-limit", o.data_limit, "Use only the first N bytes of the corpus (0: all)")
      ->capture_default_str();
  app.add_option("--n-layers", o.n_layers, "Transformer blocks")->capture_default_str();
  app.add_option("--d-model", o.d_model, "Embedding width (multiple of --n-heads)")->capture_default_str();
  app.add_option("--n-heads", o.n_heads, "Attention heads")->capture_default_str();
  app.add_option("--context", o.context, "Sequence length in bytes")->capture_default_str();
  app.add_option("--dropout", o.dropout, "Dropout probability")->capture_default_str();
  app.add_option("--optimizer", optimizer, "adamw, adam or sgd")
      ->capture_default_str()
      ->check(CLI::IsMember({"adamw", "adam", "sgd"}));
  app.add_option("--lr", o.lr, "Peak learning rate")->capture_default_str();
  app.add_option("--momentum", o.momentum, "SGD momentum (sgd only)")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "Weight decay on matrices")->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Training windows per step")->capture_default_str();
  app.add_option("--warmup-frac", o.warmup_frac, "Fraction of --max-steps of linear warm-up")->capture_default_str();
  app.add_option("--min-lr-frac", o.min_lr_frac, "Cosine decay ends at this fraction of --lr")->capture_default_str();
  app.add_option("--grad-clip", o.grad_clip, "Max global gradient norm (0: off)")->capture_default_str();
  app.add_option("--max-steps", o.max_steps, "Training steps")->capture_default_str();
  app.add_option("--eval-interval", o.eval_interval, "Evaluate and report every N steps")->capture_default_str();
  app.add_option("--eval-batches", o.eval_batches, "Validation batches of 32 windows each")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of init, dropout and batch sampling")->capture_default_str();
  app.add_option("--threads", o.threads, "Intra-op CPU threads")->capture_default_str();
  app.add_option("--device", o.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--checkpoint", o.checkpoint, "Save the model here (plus PATH.json); empty: none");
  app.add_flag("--json", o.json, "Print a final JSON summary line on stdout (progress goes to stderr)");

  if (!parse_flags(app, argc, argv, "lm")) return false;
  o.optimizer = optimizer_from_name(optimizer);

  resolve_default_data(app, o.data);  // the default corpus path is relative to the repository root
  validate(o);
  return true;
}

}  // namespace autoglm::train
