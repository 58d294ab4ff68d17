#include "train/classify_options.h"

#include <string>

#include <CLI/CLI.hpp>

#include "autoglm/error.h"
#include "train/flag_checks.h"

namespace autoglm::train {
namespace {

void validate(const ClassifyOptions& o) {
  auto int_range = [](const char* flag, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi)
      bad_flag(std::string(flag) + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
          std::to_string(v));
  };
  if (o.data_limit < 0)
    bad_flag("--data-limit must be >= 0 (0 uses the whole corpus), got " + std::to_string(o.data_limit));
  int_range("--max-bytes", o.max_bytes, 1, 1 << 20);
  int_range("--ngram", o.ngram, 1, 8);
  int_range("--buckets", o.buckets, 1, int64_t{1} << 26);
  int_range("--embed-dim", o.embed_dim, 1, 4096);
  int_range("--n-layers", o.n_layers, 1, 64);
  int_range("--d-model", o.d_model, 1, 8192);
  int_range("--n-heads", o.n_heads, 1, 256);
  if (o.d_model % o.n_heads != 0)
    bad_flag("--d-model " + std::to_string(o.d_model) + " is not divisible by --n-heads " + std::to_string(o.n_heads) +
        "; pick a d-model that is a multiple of n-heads");
  int_range("--context", o.context, 1, 8192);
  check_in_range("--dropout", o.dropout, 0.0, 0.95, "[0, 0.95]");
  if (o.model != ClassifierKind::kTransformer) {
    if (!o.init_checkpoint.empty()) bad_flag("--init-checkpoint needs --model transformer (the bag model has no lm weights)");
    if (o.train_head_only) bad_flag("--train-head-only needs --model transformer");
  }
  if (o.train_head_only && o.init_checkpoint.empty())
    bad_flag("--train-head-only freezes a randomly initialised encoder; pass --init-checkpoint PATH as well");
  check_in_range("--lr", o.lr, 0.0, 1e6, "(0, 1e6] (0 picks the model's default)");
  check_in_range("--momentum", o.momentum, 0.0, 0.999999, "[0, 1)");
  check_in_range("--weight-decay", o.weight_decay, 0.0, 1e3, "[0, 1000]");
  int_range("--batch-size", o.batch_size, 0, 1 << 20);
  int_range("--epochs", o.epochs, 0, 100000);
  if (o.max_steps < 0) bad_flag("--max-steps must be >= 0 (0: epochs only), got " + std::to_string(o.max_steps));
  check_in_range("--grad-clip", o.grad_clip, 0.0, 1e30, "[0, inf) (0 disables clipping)");
  check_in_range("--class-weight", o.class_weight, 1e-6, 1e6, "(0, 1e6]");
  check_in_range("--threshold", o.threshold, 0.0, 1.0, "[0, 1]");
  int_range("--threads", o.threads, 1, 1024);
  int_range("--serve-batch-size", o.serve_batch_size, 1, 1 << 16);
}

}  // namespace

const char* classifier_name(ClassifierKind kind) {
  return kind == ClassifierKind::kBag ? "bag" : "transformer";
}
const char* attention_name(AttentionKind kind) {
  return kind == AttentionKind::kBidirectional ? "bidirectional" : "causal";
}

bool parse_classify_options(int argc, char** argv, ClassifyOptions& o) {
  CLI::App app{
      "Train a spam-vs-ham classifier on the SpamAssassin public corpus; objective: validation F1 of the spam "
      "class (maximize).\nReports per-epoch val_loss/val_f1 and final metrics through AUTOGLM_REPORT_FD (see "
      "docs/protocol.md, docs/classify.md). Exit codes: 0 done or stopped by SIGTERM/SIGINT (no final value), "
      "2 bad flag, 3 diverged.",
      "autoglm-train classify"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  std::string optimizer = optimizer_name(o.optimizer);
  std::string model = classifier_name(o.model);
  std::string attention = attention_name(o.attention);
  app.add_option("--data", o.data, "Corpus folder (group folders *ham*/, *spam*/ of raw emails)")->capture_default_str();
  app.add_option("--data-limit", o.data_limit, "Use at most N messages, stratified (0: all)")->capture_default_str();
  app.add_option("--split-seed", o.split_seed, "Seed of the fixed 70/15/15 stratified split")->capture_default_str();
  app.add_option("--max-bytes", o.max_bytes, "Bytes of each cleaned message (subject + body) used")
      ->capture_default_str();
  app.add_option("--model", model, "bag or transformer")
      ->capture_default_str()
      ->check(CLI::IsMember({"bag", "transformer"}));
  app.add_option("--ngram", o.ngram, "bag: hash byte n-grams for n = 1..NGRAM")->capture_default_str();
  app.add_option("--buckets", o.buckets, "bag: hash buckets (embedding rows)")->capture_default_str();
  app.add_option("--embed-dim", o.embed_dim, "bag: embedding width")->capture_default_str();
  app.add_option("--n-layers", o.n_layers, "transformer: encoder blocks")->capture_default_str();
  app.add_option("--d-model", o.d_model, "transformer: width (multiple of --n-heads)")->capture_default_str();
  app.add_option("--n-heads", o.n_heads, "transformer: attention heads")->capture_default_str();
  app.add_option("--context", o.context, "transformer: tokens (bytes) per message")->capture_default_str();
  app.add_option("--attention", attention, "transformer: bidirectional or causal")
      ->capture_default_str()
      ->check(CLI::IsMember({"bidirectional", "causal"}));
  app.add_option("--init-checkpoint", o.init_checkpoint, "transformer: initialise from an `autoglm-train lm` checkpoint");
  app.add_flag("--train-head-only", o.train_head_only, "transformer: freeze all but the linear head");
  app.add_option("--dropout", o.dropout, "Dropout probability")->capture_default_str();
  app.add_option("--optimizer", optimizer, "adamw, adam or sgd")
      ->capture_default_str()
      ->check(CLI::IsMember({"adamw", "adam", "sgd"}));
  app.add_option("--lr", o.lr, "Learning rate (0: bag 5e-2, transformer 1e-3)")->capture_default_str();
  app.add_option("--momentum", o.momentum, "SGD momentum (sgd only)")->capture_default_str();
  app.add_option("--weight-decay", o.weight_decay, "Weight decay on matrices")->capture_default_str();
  app.add_option("--batch-size", o.batch_size, "Messages per training step (0: bag 64, transformer 16)")->capture_default_str();
  app.add_option("--epochs", o.epochs, "Passes over the training split (0: bag 5, transformer 2)")
      ->capture_default_str();
  app.add_option("--max-steps", o.max_steps, "Stop after N optimizer steps (0: epochs only)")->capture_default_str();
  app.add_option("--grad-clip", o.grad_clip, "Max global gradient norm (0: off)")->capture_default_str();
  app.add_option("--class-weight", o.class_weight, "Loss weight of the spam class (ham: 1)")->capture_default_str();
  app.add_option("--threshold", o.threshold, "Decision threshold on p(spam)")->capture_default_str();
  app.add_option("--seed", o.seed, "Seed of init, dropout and batch order")->capture_default_str();
  app.add_option("--threads", o.threads, "Intra-op CPU threads")->capture_default_str();
  app.add_option("--device", o.device, "cpu or cuda")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--serve-batch-size", o.serve_batch_size, "Batch size of the latency_ms_batch measurement")
      ->capture_default_str();

  if (!parse_flags(app, argc, argv, "classify")) return false;
  o.optimizer = optimizer_from_name(optimizer);
  o.model = model == "bag" ? ClassifierKind::kBag : ClassifierKind::kTransformer;
  o.attention = attention == "causal" ? AttentionKind::kCausal : AttentionKind::kBidirectional;

  resolve_default_data(app, o.data);  // the default corpus path is relative to the repository root
  validate(o);
  return true;
}

}  // namespace autoglm::train
