// The `lm` workload: trains the ByteTransformer of lm_model.h with AdamW/Adam/SGD, linear
// warm-up then cosine decay, gradient clipping, on random windows of a byte corpus; evaluates
// validation bits per byte on fixed windows and speaks the trial protocol.
//
// This is the workload's only libtorch translation unit. It uses only C++-frontend APIs that
// exist in both libtorch 1.13 (Debian, CPU) and libtorch 2.x (CUDA builds).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>
#include <torch/version.h>

#include "autoglm/error.h"
#include "autoglm/report.h"
#include "train/lm.h"
#include "train/lm_model.h"
#include "train/workload.h"

namespace autoglm::train {
namespace {

namespace F = torch::nn::functional;

constexpr double kLn2 = 0.69314718055994530942;

// ----------------------------------------------------------------------------------------------
// Data

/// The corpus split: bytes [0, train_end) train, [train_end, size) validation.
struct Corpus {
  std::vector<uint8_t> bytes;
  int64_t train_end = 0;
  int64_t train_size() const { return train_end; }
  int64_t val_size() const { return static_cast<int64_t>(bytes.size()) - train_end; }
};

/// Copies windows of `len` bytes starting at `starts` into an int64 tensor [n, len] on `device`.
torch::Tensor gather_windows(const Corpus& corpus, const std::vector<int64_t>& starts, int64_t len,
                             const torch::Device& device) {
  auto buf = torch::empty({static_cast<int64_t>(starts.size()), len}, torch::kUInt8);
  uint8_t* out = buf.data_ptr<uint8_t>();
  for (size_t i = 0; i < starts.size(); ++i)
    std::copy_n(corpus.bytes.data() + starts[i], len, out + static_cast<int64_t>(i) * len);
  return buf.to(torch::kLong).to(device);
}

// ----------------------------------------------------------------------------------------------
// Optimizer and schedule

/// Builds optimizer `Optim` with two parameter groups: matrices (linear weights, embeddings)
/// decayed with `options.weight_decay()`, vectors (biases, LayerNorm) not decayed.
template <typename Optim, typename Options>
std::unique_ptr<torch::optim::Optimizer> with_decay_groups(ByteTransformer& model, const Options& options) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  Options without = options;
  without.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<Options>(options));
  groups.emplace_back(no_decay, std::make_unique<Options>(without));
  return std::make_unique<Optim>(groups, options);
}

/// Adam(W) use betas (0.9, 0.95); weight decay is decoupled for adamw, an L2 term otherwise.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const LmOptions& o, ByteTransformer& model) {
  namespace optim = torch::optim;
  switch (o.optimizer) {
    case OptimizerKind::kAdamW:
      return with_decay_groups<optim::AdamW>(
          model, optim::AdamWOptions(o.lr).betas(std::make_tuple(0.9, 0.95)).weight_decay(o.weight_decay));
    case OptimizerKind::kAdam:
      return with_decay_groups<optim::Adam>(
          model, optim::AdamOptions(o.lr).betas(std::make_tuple(0.9, 0.95)).weight_decay(o.weight_decay));
    case OptimizerKind::kSgd:
      return with_decay_groups<optim::SGD>(
          model, optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  throw std::logic_error("unknown optimizer");
}

/// Learning rate of update number `step` (0-based): linear warm-up over the first
/// round(warmup_frac * max_steps) updates, then cosine decay to min_lr_frac * lr at max_steps.
double lr_at(const LmOptions& o, int64_t step) {
  const int64_t warmup = std::llround(o.warmup_frac * static_cast<double>(o.max_steps));
  if (step < warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(warmup);
  const double span = static_cast<double>(std::max<int64_t>(1, o.max_steps - warmup));
  const double progress = std::min(1.0, static_cast<double>(step - warmup) / span);
  const double min_lr = o.min_lr_frac * o.lr;
  return min_lr + 0.5 * (o.lr - min_lr) * (1.0 + std::cos(std::numbers::pi * progress));
}

// ----------------------------------------------------------------------------------------------
// Run

struct RunState {
  int64_t step = 0;
  double first_val_bpb = std::numeric_limits<double>::quiet_NaN();
  double last_val_bpb = std::numeric_limits<double>::quiet_NaN();
  double last_train_bpb = std::numeric_limits<double>::quiet_NaN();
  double last_lr = 0;
  double step_seconds = 0;  // time spent in training steps (excludes evaluation)
  int64_t n_params = 0;
};

std::string group_digits(int64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

nlohmann::json hyperparameters_json(const LmOptions& o) {
  return {{"data", std::filesystem::absolute(o.data).string()}, {"data_limit", o.data_limit},
          {"n_layers", o.n_layers},   {"d_model", o.d_model},
          {"n_heads", o.n_heads},     {"context", o.context},
          {"dropout", o.dropout},     {"optimizer", optimizer_name(o.optimizer)},
          {"lr", o.lr},               {"momentum", o.momentum},
          {"weight_decay", o.weight_decay}, {"batch_size", o.batch_size},
          {"warmup_frac", o.warmup_frac},   {"min_lr_frac", o.min_lr_frac},
          {"grad_clip", o.grad_clip}, {"max_steps", o.max_steps},
          {"eval_interval", o.eval_interval}, {"eval_batches", o.eval_batches},
          {"seed", o.seed},           {"threads", o.threads},
          {"device", o.device}};
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

/// Saves the parameters with torch::save (libtorch archive, loadable with torch::load into a
/// ByteTransformer built from the sidecar) and the sidecar PATH.json; both written atomically.
void save_checkpoint(const LmOptions& o, ByteTransformer& model, const RunState& st, bool complete) {
  std::filesystem::path path(o.checkpoint);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::string tmp = o.checkpoint + ".tmp";
  torch::save(model, tmp);
  std::filesystem::rename(tmp, path);
  nlohmann::json sidecar = {
      {"workload", "lm"},
      {"format", "torch::save of the ByteTransformer module (parameters only)"},
      {"architecture",
       {{"vocab_size", kVocab},
        {"n_layers", o.n_layers},
        {"d_model", o.d_model},
        {"n_heads", o.n_heads},
        {"context", o.context},
        {"mlp_ratio", 4},
        {"norm", "pre-layernorm"},
        {"positional", "learned"},
        {"tied_head", true}}},
      {"hyperparameters", hyperparameters_json(o)},
      {"step", st.step},
      {"complete", complete},
      {"val_bpb", number_or_null(st.last_val_bpb)},
      {"n_params", st.n_params},
      {"libtorch_version", TORCH_VERSION}};
  write_file_atomic(o.checkpoint + ".json", sidecar.dump(2) + "\n");
}

}  // namespace

int run_lm(const LmOptions& o) {
  const torch::Device device = init_torch(o.threads, o.device);  // threads first, before any tensor

  Corpus corpus;
  corpus.bytes = read_bytes(o.data, o.data_limit, "--data");
  corpus.train_end = static_cast<int64_t>(corpus.bytes.size()) * 9 / 10;
  const int64_t window = o.context + 1;
  if (corpus.val_size() < window || corpus.train_size() < window) {
    throw ConfigError("--data " + o.data + ": " + std::to_string(corpus.bytes.size()) +
                      " bytes leave a validation split of " + std::to_string(corpus.val_size()) +
                      " bytes, fewer than --context + 1 = " + std::to_string(window) +
                      "; raise --data-limit or lower --context");
  }

  // Fixed validation windows, evenly spaced over the validation split.
  const int64_t n_eval = static_cast<int64_t>(o.eval_batches) * kEvalRows;
  std::vector<int64_t> eval_starts(static_cast<size_t>(n_eval));
  const int64_t eval_span = corpus.val_size() - window;
  for (int64_t i = 0; i < n_eval; ++i)
    eval_starts[static_cast<size_t>(i)] = corpus.train_end + (n_eval > 1 ? i * eval_span / (n_eval - 1) : 0);
  const torch::Tensor eval_windows = gather_windows(corpus, eval_starts, window, device);

  torch::manual_seed(o.seed);
  ByteTransformer model(ModelConfig{o.n_layers, o.d_model, o.n_heads, o.context, o.dropout});
  model->to(device);
  auto optimizer = make_optimizer(o, model);
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int64_t> pick_start(0, corpus.train_size() - window);

  RunState st;
  for (const auto& p : model->parameters()) st.n_params += p.numel();

  // Progress lines go to stdout, or to stderr when stdout carries the --json summary.
  std::FILE* log = o.json ? stderr : stdout;
  std::fprintf(log,
               "lm: %s parameters (%d layer%s, d_model %d, %d heads, context %d) | train %s bytes, validation %s "
               "bytes (%lld windows) | %s %s, %d thread%s\n",
               group_digits(st.n_params).c_str(), o.n_layers, o.n_layers == 1 ? "" : "s", o.d_model, o.n_heads, o.context,
               group_digits(corpus.train_size()).c_str(), group_digits(corpus.val_size()).c_str(),
               static_cast<long long>(n_eval), optimizer_name(o.optimizer), o.device.c_str(), o.threads,
               o.threads == 1 ? "" : "s");
  std::fflush(log);

  auto json_summary = [&](const char* status) {
    if (!o.json) return;
    nlohmann::json j = {{"workload", "lm"},
                        {"status", status},
                        {"step", st.step},
                        {"val_bpb", number_or_null(st.last_val_bpb)},
                        {"first_val_bpb", number_or_null(st.first_val_bpb)},
                        {"train_bpb", number_or_null(st.last_train_bpb)},
                        {"n_params", st.n_params},
                        {"step_seconds", st.step_seconds},
                        {"tokens_per_second", number_or_null(st.step_seconds > 0
                                                                 ? static_cast<double>(st.step) * o.batch_size *
                                                                       o.context / st.step_seconds
                                                                 : NAN)},
                        {"checkpoint", o.checkpoint.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.checkpoint)}};
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  };
  auto diverged = [&](int64_t at_step, double loss) {
    std::fprintf(stderr, "training diverged at step %lld (loss is %s); lower --lr\n", static_cast<long long>(at_step),
                 std::isnan(loss) ? "NaN" : "Inf");
    json_summary("diverged");
    return static_cast<int>(ExitCode::kDiverged);
  };

  // Mean validation loss in bits per byte; NaN when a stop was requested mid-way.
  auto evaluate = [&]() -> double {
    torch::NoGradGuard no_grad;
    model->eval();
    double nats = 0;
    for (int64_t first = 0; first < n_eval; first += kEvalRows) {
      if (stop_requested()) return std::numeric_limits<double>::quiet_NaN();
      torch::Tensor rows = eval_windows.slice(0, first, std::min(first + kEvalRows, n_eval));
      torch::Tensor logits = model->forward(rows.slice(1, 0, o.context));
      nats += F::cross_entropy(logits.reshape({-1, kVocab}), rows.slice(1, 1, window).reshape({-1}),
                               F::CrossEntropyFuncOptions().reduction(torch::kSum))
                  .item<double>();
    }
    model->train();
    return nats / static_cast<double>(n_eval * o.context) / kLn2;
  };

  const double t_start = now_seconds();
  double train_nats = 0;
  int64_t train_count = 0;
  std::vector<int64_t> starts(static_cast<size_t>(o.batch_size));
  model->train();
  while (st.step < o.max_steps && !stop_requested()) {
    const double t_step = now_seconds();
    for (auto& s : starts) s = pick_start(rng);
    torch::Tensor batch = gather_windows(corpus, starts, window, device);
    torch::Tensor logits = model->forward(batch.slice(1, 0, o.context));
    torch::Tensor loss = F::cross_entropy(logits.reshape({-1, kVocab}), batch.slice(1, 1, window).reshape({-1}));
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) return diverged(st.step + 1, loss_value);
    optimizer->zero_grad();
    loss.backward();
    if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), o.grad_clip);
    st.last_lr = lr_at(o, st.step);
    for (auto& group : optimizer->param_groups()) group.options().set_lr(st.last_lr);
    optimizer->step();
    ++st.step;
    st.step_seconds += now_seconds() - t_step;
    train_nats += loss_value;
    ++train_count;

    if (st.step % o.eval_interval != 0 && st.step != o.max_steps) continue;
    if (stop_requested()) break;
    const double val_bpb = evaluate();
    if (stop_requested()) break;
    if (!std::isfinite(val_bpb)) return diverged(st.step, val_bpb);
    st.last_val_bpb = val_bpb;
    if (std::isnan(st.first_val_bpb)) st.first_val_bpb = val_bpb;
    st.last_train_bpb = train_nats / static_cast<double>(train_count) / kLn2;
    train_nats = 0;
    train_count = 0;
    const double tokens_per_second =
        static_cast<double>(st.step) * o.batch_size * o.context / std::max(st.step_seconds, 1e-9);
    std::fprintf(log, "step %6lld/%lld  train_bpb %.4f  val_bpb %.4f  lr %.3e  elapsed %.1fs  tok/s %.0f\n",
                 static_cast<long long>(st.step), static_cast<long long>(o.max_steps), st.last_train_bpb, val_bpb,
                 st.last_lr, now_seconds() - t_start, tokens_per_second);
    std::fflush(log);
    report::intermediate(st.step, val_bpb);
  }
  const double train_seconds = now_seconds() - t_start;

  if (stop_requested()) {
    // Pruned (SIGTERM) or interrupted (SIGINT): keep the work, report no final value.
    if (!o.checkpoint.empty()) save_checkpoint(o, model, st, /*complete=*/false);
    std::fprintf(stderr, "stopped by %s after step %lld%s%s\n", stop_signal_name(), static_cast<long long>(st.step),
                 o.checkpoint.empty() ? "" : "; checkpoint saved to ", o.checkpoint.c_str());
    json_summary("stopped");
    return static_cast<int>(ExitCode::kOk);
  }

  if (!o.checkpoint.empty()) save_checkpoint(o, model, st, /*complete=*/true);
  const double tokens_per_second =
      static_cast<double>(st.step) * o.batch_size * o.context / std::max(st.step_seconds, 1e-9);
  report::attr("n_params", static_cast<double>(st.n_params));
  report::attr("train_seconds", train_seconds);
  report::attr("tokens_per_second", tokens_per_second);
  report::final_value(st.last_val_bpb);
  json_summary("complete");
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace autoglm::train
