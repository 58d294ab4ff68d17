// The `classify` workload: trains a binary spam classifier (model chosen by --model) with
// AdamW/Adam/SGD at a constant learning rate, evaluates it on the validation split after every
// epoch, and at the end reports validation and test metrics plus serving latency through the
// trial protocol (docs/classify.md).
//
// This is the workload's only libtorch translation unit. It uses only C++-frontend APIs that
// exist in both libtorch 1.13 (Debian, CPU) and libtorch 2.x (CUDA builds).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "autoglm/error.h"
#include "autoglm/report.h"
#include "train/classify.h"
#include "train/classify_data.h"
#include "train/classify_metrics.h"
#include "train/lm_model.h"
#include "train/workload.h"

namespace autoglm::train {
namespace {

namespace F = torch::nn::functional;

// ----------------------------------------------------------------------------------------------
// Models. Both map a batch of messages to one logit per message (log-odds of spam), shape [B].

/// Mean of hashed byte n-gram embeddings -> dropout -> linear. forward(ids [N] int64 bucket ids
/// of all messages concatenated, offsets [B] int64 start of each message in ids) -> logits [B].
/// Parameters: bag.weight [buckets, embed_dim], head.{weight [1, embed_dim], bias [1]}.
class BagClassifierImpl : public torch::nn::Module {
 public:
  explicit BagClassifierImpl(const ClassifyOptions& o)
      : bag_(register_module("bag", torch::nn::EmbeddingBag(torch::nn::EmbeddingBagOptions(o.buckets, o.embed_dim)
                                                                 .mode(torch::kMean)))),
        drop_(register_module("drop", torch::nn::Dropout(o.dropout))),
        head_(register_module("head", torch::nn::Linear(o.embed_dim, 1))) {
    torch::NoGradGuard no_grad;
    bag_->weight.normal_(0.0, 0.1);
  }

  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& offsets) {
    return head_->forward(drop_->forward(bag_->forward(ids, offsets))).squeeze(-1);
  }

 private:
  torch::nn::EmbeddingBag bag_;
  torch::nn::Dropout drop_;
  torch::nn::Linear head_;
};
TORCH_MODULE(BagClassifier);

/// Byte embeddings + learned positions -> pre-LN blocks (the Block of lm_model.h, so an lm
/// checkpoint loads by parameter name) -> final LayerNorm -> mean over the message's tokens ->
/// linear. forward(tokens [B, T] int64 bytes, valid [B, T] bool, true on real tokens, each row
/// with at least one) -> logits [B]. Attention never looks at padding; with causal attention a
/// token sees only earlier tokens (as in the lm). Parameter names: tok_emb.weight [256, d],
/// pos_emb.weight [context, d], blocks.<i>.*, ln_f.*, head.{weight [1, d], bias [1]}.
class TransformerClassifierImpl : public torch::nn::Module {
 public:
  explicit TransformerClassifierImpl(const ClassifyOptions& o)
      : causal_(o.attention == AttentionKind::kCausal),
        tok_emb_(register_module("tok_emb", torch::nn::Embedding(kVocab, o.d_model))),
        pos_emb_(register_module("pos_emb", torch::nn::Embedding(o.context, o.d_model))),
        drop_(register_module("drop", torch::nn::Dropout(o.dropout))),
        blocks_(register_module("blocks", torch::nn::ModuleList())),
        ln_f_(register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.d_model})))),
        head_(register_module("head", torch::nn::Linear(o.d_model, 1))) {
    const ModelConfig c{o.n_layers, o.d_model, o.n_heads, o.context, o.dropout};
    for (int i = 0; i < o.n_layers; ++i) {
      Block block(c);
      blocks_->push_back(block);
      block_list_.push_back(block);
    }
    // GPT-2 initialisation, as the lm: N(0, 0.02) matrices, residual projections scaled by
    // 1/sqrt(2 n_layers), zero biases.
    torch::NoGradGuard no_grad;
    for (auto& item : named_parameters()) {
      const std::string& name = item.key();
      torch::Tensor& p = item.value();
      auto ends_with = [&](const std::string& suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      if (ends_with(".bias")) p.zero_();
      else if (p.dim() >= 2)
        p.normal_(0.0, ends_with("attn.proj.weight") || ends_with("fc2.weight") ? kInitStd / std::sqrt(2.0 * o.n_layers)
                                                                                : kInitStd);
    }
  }

  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& valid) {
    const int64_t t = tokens.size(1);
    auto pos = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(tokens.device()));
    torch::Tensor x = drop_->forward(tok_emb_->forward(tokens) + pos_emb_->forward(pos));
    // true = may not attend: padding keys [B, 1, 1, T], plus the future [T, T] when causal.
    torch::Tensor mask = valid.logical_not().unsqueeze(1).unsqueeze(1);
    if (causal_)
      mask = mask.logical_or(
          torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(tokens.device())).triu(1));
    for (auto& block : block_list_) x = block->forward(x, mask);
    x = ln_f_->forward(x);
    torch::Tensor w = valid.unsqueeze(-1).to(x.dtype());
    torch::Tensor pooled = (x * w).sum(1) / w.sum(1).clamp_min(1.0);
    return head_->forward(pooled).squeeze(-1);
  }

  torch::nn::Linear& head() { return head_; }

 private:
  bool causal_;
  torch::nn::Embedding tok_emb_, pos_emb_;
  torch::nn::Dropout drop_;
  torch::nn::ModuleList blocks_;
  torch::nn::LayerNorm ln_f_;
  torch::nn::Linear head_;
  std::vector<Block> block_list_;
};
TORCH_MODULE(TransformerClassifier);

/// The model of this run behind one interface: featurize messages, forward a batch.
class Classifier {
 public:
  Classifier(const ClassifyOptions& o, torch::Device device) : o_(o), device_(device) {
    if (o.model == ClassifierKind::kBag) {
      bag_ = BagClassifier(o);
      module_ = bag_.ptr();
    } else {
      transformer_ = TransformerClassifier(o);
      module_ = transformer_.ptr();
    }
  }

  torch::nn::Module& module() { return *module_; }
  TransformerClassifier& transformer() { return transformer_; }

  /// Logits [B] of `messages` (featurized here: byte n-gram hashing or byte tokens, so the
  /// latency measurement includes it).
  torch::Tensor forward(const std::vector<const Message*>& messages) {
    const auto b = static_cast<int64_t>(messages.size());
    if (o_.model == ClassifierKind::kBag) {
      ids_.clear();
      std::vector<int64_t> offsets(static_cast<size_t>(b));
      for (int64_t i = 0; i < b; ++i) {
        offsets[static_cast<size_t>(i)] = static_cast<int64_t>(ids_.size());
        hashed_ngrams(messages[static_cast<size_t>(i)]->text, o_.ngram, o_.buckets, ids_);
      }
      auto ids = torch::from_blob(ids_.data(), {static_cast<int64_t>(ids_.size())}, torch::kLong).to(device_);
      auto off = torch::from_blob(offsets.data(), {b}, torch::kLong).to(device_);
      if (device_.is_cpu()) ids = ids.clone(), off = off.clone();  // from_blob does not own the buffers
      return bag_->forward(ids, off);
    }
    int64_t t = 1;
    for (const Message* m : messages) t = std::max<int64_t>(t, std::min<int64_t>(o_.context, m->text.size()));
    auto tokens = torch::zeros({b, t}, torch::kUInt8);
    auto valid = torch::zeros({b, t}, torch::kBool);
    uint8_t* tp = tokens.data_ptr<uint8_t>();
    bool* vp = valid.data_ptr<bool>();
    for (int64_t i = 0; i < b; ++i) {
      const std::string& s = messages[static_cast<size_t>(i)]->text;
      const int64_t n = std::min<int64_t>(t, static_cast<int64_t>(s.size()));
      std::copy_n(reinterpret_cast<const uint8_t*>(s.data()), n, tp + i * t);
      std::fill_n(vp + i * t, n, true);
    }
    return transformer_->forward(tokens.to(torch::kLong).to(device_), valid.to(device_));
  }

 private:
  const ClassifyOptions& o_;
  torch::Device device_;
  BagClassifier bag_{nullptr};
  TransformerClassifier transformer_{nullptr};
  std::shared_ptr<torch::nn::Module> module_;
  std::vector<int64_t> ids_;
};

// ----------------------------------------------------------------------------------------------
// Initialisation from an lm checkpoint

std::string arch_text(int n_layers, int d_model, int n_heads, int context) {
  return "n_layers " + std::to_string(n_layers) + ", d_model " + std::to_string(d_model) + ", n_heads " +
         std::to_string(n_heads) + ", context " + std::to_string(context);
}

/// Copies tok_emb, pos_emb (its first --context rows), every block and ln_f from the lm
/// checkpoint `o.init_checkpoint` (torch::save of a ByteTransformer + PATH.json sidecar) into
/// `model`; the head keeps its initialisation. Throws ConfigError (one line, naming both
/// architectures on a mismatch) for a missing, foreign or mismatched checkpoint.
void load_lm_checkpoint(const ClassifyOptions& o, TransformerClassifier& model) {
  const std::string& path = o.init_checkpoint;
  const std::string flag = "--init-checkpoint " + path;
  if (!std::filesystem::is_regular_file(path))
    throw ConfigError(flag + ": no such file; pass a checkpoint written by `autoglm-train lm --checkpoint PATH`");
  std::ifstream in(path + ".json");
  if (!in)
    throw ConfigError(flag + ": its sidecar " + path +
                      ".json is missing; pass a checkpoint written by `autoglm-train lm --checkpoint PATH`");
  nlohmann::json sidecar;
  int n_layers = 0, d_model = 0, n_heads = 0, context = 0;
  try {
    sidecar = nlohmann::json::parse(in);
    if (sidecar.value("workload", "") != "lm") throw std::runtime_error("not an lm checkpoint");
    const auto& a = sidecar.at("architecture");
    n_layers = a.at("n_layers").get<int>();
    d_model = a.at("d_model").get<int>();
    n_heads = a.at("n_heads").get<int>();
    context = a.at("context").get<int>();
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw ConfigError(flag + ": unreadable sidecar " + path + ".json (" + what +
                      "); pass a checkpoint written by `autoglm-train lm --checkpoint PATH`");
  }
  if (n_layers != o.n_layers || d_model != o.d_model || n_heads != o.n_heads || context < o.context)
    throw ConfigError(flag + ": architecture differs: the checkpoint has " +
                      arch_text(n_layers, d_model, n_heads, context) + ", this classifier has " +
                      arch_text(o.n_layers, o.d_model, o.n_heads, o.context) +
                      "; pass the checkpoint's --n-layers/--d-model/--n-heads and a --context <= " +
                      std::to_string(context));
  ByteTransformer lm(ModelConfig{n_layers, d_model, n_heads, context, 0.0});
  try {
    torch::load(lm, path);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw ConfigError(flag + ": cannot load the parameters (" + what + "); pass an intact lm checkpoint");
  }
  torch::NoGradGuard no_grad;
  auto source = lm->named_parameters();
  auto target = model->named_parameters();
  int64_t copied = 0;
  for (auto& item : target) {
    const std::string& name = item.key();
    if (name.rfind("head.", 0) == 0) continue;
    const torch::Tensor* src = source.find(name);
    if (src == nullptr)
      throw ConfigError(flag + ": the checkpoint lacks parameter " + name + "; pass a checkpoint of the same architecture");
    torch::Tensor from = *src;
    if (name == "pos_emb.weight") from = from.slice(0, 0, o.context);
    if (from.sizes() != item.value().sizes())
      throw ConfigError(flag + ": parameter " + name + " has shape " + c10::str(from.sizes()) + " in the checkpoint, " +
                        c10::str(item.value().sizes()) + " here; pass a checkpoint of the same architecture");
    item.value().copy_(from);
    ++copied;
  }
  std::printf("classify: initialised %lld tensors from %s (%s)\n", static_cast<long long>(copied), path.c_str(),
              arch_text(n_layers, d_model, n_heads, context).c_str());
}

// ----------------------------------------------------------------------------------------------
// Optimizer

template <typename Optim, typename Options>
std::unique_ptr<torch::optim::Optimizer> with_decay_groups(const std::vector<torch::Tensor>& params,
                                                           const Options& options) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : params) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  Options without = options;
  without.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, std::make_unique<Options>(options));
  if (!no_decay.empty()) groups.emplace_back(no_decay, std::make_unique<Options>(without));
  return std::make_unique<Optim>(groups, options);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const ClassifyOptions& o,
                                                        const std::vector<torch::Tensor>& params) {
  namespace optim = torch::optim;
  const double lr = o.effective_lr();
  switch (o.optimizer) {
    case OptimizerKind::kAdamW:
      return with_decay_groups<optim::AdamW>(params, optim::AdamWOptions(lr).weight_decay(o.weight_decay));
    case OptimizerKind::kAdam:
      return with_decay_groups<optim::Adam>(params, optim::AdamOptions(lr).weight_decay(o.weight_decay));
    case OptimizerKind::kSgd:
      return with_decay_groups<optim::SGD>(params,
                                           optim::SGDOptions(lr).momentum(o.momentum).weight_decay(o.weight_decay));
  }
  throw std::logic_error("unknown optimizer");
}

// ----------------------------------------------------------------------------------------------
// Evaluation and reporting

struct Evaluation {
  std::vector<int> labels;
  std::vector<double> scores;  ///< p(spam)
  double loss = 0;             ///< mean unweighted binary cross-entropy, nats per message
  bool stopped = false;        ///< a stop was requested mid-way (results incomplete)
};

Evaluation evaluate(Classifier& model, const std::vector<Message>& split, int64_t batch) {
  torch::NoGradGuard no_grad;
  model.module().eval();
  Evaluation e;
  double loss_sum = 0;
  std::vector<const Message*> ptrs;
  for (size_t first = 0; first < split.size(); first += static_cast<size_t>(batch)) {
    if (stop_requested()) {
      e.stopped = true;
      break;
    }
    ptrs.clear();
    std::vector<float> labels;
    for (size_t i = first; i < std::min(split.size(), first + static_cast<size_t>(batch)); ++i) {
      ptrs.push_back(&split[i]);
      labels.push_back(static_cast<float>(split[i].label));
      e.labels.push_back(split[i].label);
    }
    torch::Tensor logits = model.forward(ptrs).to(torch::kCPU).to(torch::kFloat);
    torch::Tensor target = torch::tensor(labels);
    loss_sum += F::binary_cross_entropy_with_logits(logits, target,
                                                    F::BinaryCrossEntropyWithLogitsFuncOptions().reduction(torch::kSum))
                    .item<double>();
    torch::Tensor probs = torch::sigmoid(logits).to(torch::kDouble).contiguous();
    const double* p = probs.data_ptr<double>();
    e.scores.insert(e.scores.end(), p, p + probs.numel());
  }
  model.module().train();
  e.loss = split.empty() ? 0.0 : loss_sum / static_cast<double>(e.labels.size());
  return e;
}

/// Mean wall-clock milliseconds per message when serving `batch` messages per call (forward +
/// featurization + sigmoid + copy to the CPU), in eval mode without autograd, cycling over
/// `split`. 3 warm-up calls, then calls until >= 200 messages and >= 0.2 s have passed, or 1 s
/// has passed (at least one call).
double measure_latency_ms(Classifier& model, const std::vector<Message>& split, int batch) {
  torch::NoGradGuard no_grad;
  model.module().eval();
  std::vector<const Message*> ptrs;
  size_t next = 0;
  auto call = [&] {
    ptrs.clear();
    for (int i = 0; i < batch; ++i) {
      ptrs.push_back(&split[next]);
      next = (next + 1) % split.size();
    }
    torch::Tensor probs = torch::sigmoid(model.forward(ptrs)).to(torch::kCPU);
    (void)probs;
  };
  for (int i = 0; i < 3; ++i) call();
  int64_t n = 0;
  const double t0 = now_seconds();
  double elapsed = 0;
  do {
    call();
    n += batch;
    elapsed = now_seconds() - t0;
  } while (!((n >= 200 && elapsed >= 0.2) || elapsed >= 1.0));
  model.module().train();
  return 1000.0 * elapsed / static_cast<double>(n);
}

/// {"k": v, ...} with numbers written as report.h writes them (NaN -> NaN).
std::string metrics_object(const std::vector<std::pair<std::string, double>>& kv) {
  std::string s = "{";
  for (size_t i = 0; i < kv.size(); ++i)
    s += (i ? ", " : "") + report::quote(kv[i].first) + ": " + report::format_number(kv[i].second);
  return s + "}";
}

}  // namespace

int run_classify(const ClassifyOptions& o) {
  const double t_begin = now_seconds();
  const torch::Device device = init_torch(o.threads, o.device);  // threads first, before any tensor

  SplitData data = stratified_split(load_corpus(o.data, static_cast<size_t>(o.max_bytes), "--data"), o.data_limit,
                                    o.split_seed);
  const double load_seconds = now_seconds() - t_begin;
  auto count_spam = [](const std::vector<Message>& v) {
    return std::count_if(v.begin(), v.end(), [](const Message& m) { return m.label == 1; });
  };

  torch::manual_seed(o.seed);
  Classifier model(o, device);
  if (!o.init_checkpoint.empty()) load_lm_checkpoint(o, model.transformer());
  model.module().to(device);
  std::vector<torch::Tensor> trainable;
  int64_t param_count = 0, trainable_count = 0;
  for (auto& item : model.module().named_parameters()) {
    param_count += item.value().numel();
    if (o.train_head_only && item.key().rfind("head.", 0) != 0) item.value().set_requires_grad(false);
    if (item.value().requires_grad()) {
      trainable.push_back(item.value());
      trainable_count += item.value().numel();
    }
  }
  auto optimizer = make_optimizer(o, trainable);

  const int epochs = o.effective_epochs();
  const int batch_size = o.effective_batch_size();
  // Transformer: small batches keep the [B, H, T, T] attention tensors in cache on a CPU.
  const int64_t eval_batch = o.model == ClassifierKind::kBag ? 256 : 16;
  const int64_t micro = o.model == ClassifierKind::kBag ? int64_t{batch_size} : int64_t{16};
  std::printf(
      "classify: %s model, %lld parameters (%lld trainable) | train %zu (%lld spam), validation %zu (%lld spam), "
      "test %zu (%lld spam) messages, loaded in %.2f s | %s lr %.3g, batch %d, %d epoch%s, %s, %d thread%s\n",
      classifier_name(o.model), static_cast<long long>(param_count), static_cast<long long>(trainable_count),
      data.train.size(), static_cast<long long>(count_spam(data.train)), data.validation.size(),
      static_cast<long long>(count_spam(data.validation)), data.test.size(),
      static_cast<long long>(count_spam(data.test)), load_seconds, optimizer_name(o.optimizer), o.effective_lr(),
      batch_size, epochs, epochs == 1 ? "" : "s", o.device.c_str(), o.threads, o.threads == 1 ? "" : "s");
  std::fflush(stdout);

  std::mt19937_64 rng(o.seed);
  std::vector<size_t> order(data.train.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<const Message*> batch;
  int64_t step = 0;
  int epoch = 0;
  Evaluation val;
  const double t_train = now_seconds();
  bool out_of_steps = false;
  model.module().train();
  while (epoch < epochs && !out_of_steps && !stop_requested()) {
    // Fisher-Yates with the raw generator output (fixed by the standard, unlike std::shuffle).
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[static_cast<size_t>(rng() % i)]);
    double train_loss = 0;
    int64_t train_batches = 0;
    for (size_t first = 0; first < order.size(); first += static_cast<size_t>(batch_size)) {
      if (stop_requested()) break;
      if (o.max_steps > 0 && step >= o.max_steps) {
        out_of_steps = true;
        break;
      }
      batch.clear();
      std::vector<float> labels, weights;
      for (size_t i = first; i < std::min(order.size(), first + static_cast<size_t>(batch_size)); ++i) {
        const Message& m = data.train[order[i]];
        batch.push_back(&m);
        labels.push_back(static_cast<float>(m.label));
        weights.push_back(m.label == 1 ? static_cast<float>(o.class_weight) : 1.0f);
      }
      // Loss = (1/B) sum_i w_i BCE(logit_i, label_i), w_i = class_weight for spam, 1 for ham.
      // Computed in chunks of `micro` messages with accumulated gradients (same update).
      optimizer->zero_grad();
      const auto b = static_cast<int64_t>(batch.size());
      double loss_value = 0;
      for (int64_t lo = 0; lo < b && !stop_requested(); lo += micro) {
        const int64_t hi = std::min(b, lo + micro);
        std::vector<const Message*> part(batch.begin() + lo, batch.begin() + hi);
        torch::Tensor logits = model.forward(part);
        torch::Tensor target = torch::tensor(std::vector<float>(labels.begin() + lo, labels.begin() + hi)).to(device);
        torch::Tensor w = torch::tensor(std::vector<float>(weights.begin() + lo, weights.begin() + hi)).to(device);
        torch::Tensor loss =
            F::binary_cross_entropy_with_logits(
                logits, target, F::BinaryCrossEntropyWithLogitsFuncOptions().weight(w).reduction(torch::kSum)) /
            static_cast<double>(b);
        const double part_loss = loss.item<double>();
        if (!std::isfinite(part_loss)) {
          std::fprintf(stderr, "training diverged at epoch %d, step %lld (loss is %s); lower --lr\n", epoch + 1,
                       static_cast<long long>(step + 1), std::isnan(part_loss) ? "NaN" : "Inf");
          return static_cast<int>(ExitCode::kDiverged);
        }
        loss.backward();
        loss_value += part_loss;
      }
      if (stop_requested()) break;  // drop the unfinished update
      if (o.grad_clip > 0) torch::nn::utils::clip_grad_norm_(trainable, o.grad_clip);
      optimizer->step();
      ++step;
      train_loss += loss_value;
      ++train_batches;
    }
    if (stop_requested() || train_batches == 0) break;
    ++epoch;
    val = evaluate(model, data.validation, eval_batch);
    if (val.stopped) break;
    if (!std::isfinite(val.loss)) {
      std::fprintf(stderr, "training diverged at epoch %d (validation loss is not finite); lower --lr\n", epoch);
      return static_cast<int>(ExitCode::kDiverged);
    }
    const BinaryMetrics vm = binary_metrics(val.labels, val.scores, o.threshold);
    std::printf("epoch %3d/%d  step %6lld  train_loss %.4f  val_loss %.4f  val_f1 %.4f  val_accuracy %.4f  "
                "elapsed %.1fs\n",
                epoch, epochs, static_cast<long long>(step), train_loss / static_cast<double>(train_batches), val.loss,
                vm.f1, vm.accuracy, now_seconds() - t_train);
    std::fflush(stdout);
    report::write_line("{\"step\": " + std::to_string(epoch) +
                       ", \"metrics\": " + metrics_object({{"val_loss", val.loss}, {"val_f1", vm.f1}}) + "}");
  }
  const double train_seconds = now_seconds() - t_train;

  if (stop_requested() || val.labels.empty()) {
    std::fprintf(stderr, "stopped by %s after epoch %d, step %lld; no final value\n",
                 stop_requested() ? stop_signal_name() : "--max-steps", epoch, static_cast<long long>(step));
    return static_cast<int>(ExitCode::kOk);
  }

  const BinaryMetrics vm = binary_metrics(val.labels, val.scores, o.threshold);
  Evaluation test = evaluate(model, data.test, eval_batch);
  if (test.stopped) {
    std::fprintf(stderr, "stopped by %s after epoch %d (during the test evaluation); no final value\n",
                 stop_signal_name(), epoch);
    return static_cast<int>(ExitCode::kOk);
  }
  const BinaryMetrics tm = binary_metrics(test.labels, test.scores, o.threshold);
  const double latency_ms = measure_latency_ms(model, data.validation, 1);
  const double latency_ms_batch = measure_latency_ms(model, data.validation, o.serve_batch_size);
  if (stop_requested()) {
    std::fprintf(stderr, "stopped by %s after epoch %d; no final value\n", stop_signal_name(), epoch);
    return static_cast<int>(ExitCode::kOk);
  }

  report::write_line("{\"metrics\": " +
                     metrics_object({{"accuracy", vm.accuracy},
                                     {"precision", vm.precision},
                                     {"recall", vm.recall},
                                     {"f1", vm.f1},
                                     {"roc_auc", vm.roc_auc},
                                     {"val_loss", val.loss},
                                     {"latency_ms", latency_ms},
                                     {"latency_ms_batch", latency_ms_batch},
                                     {"param_count", static_cast<double>(param_count)},
                                     {"trainable_param_count", static_cast<double>(trainable_count)},
                                     {"train_seconds", train_seconds},
                                     {"test_accuracy", tm.accuracy},
                                     {"test_precision", tm.precision},
                                     {"test_recall", tm.recall},
                                     {"test_f1", tm.f1},
                                     {"test_roc_auc", tm.roc_auc}}) +
                     "}");
  report::final_value(vm.f1);

  auto row = [](const char* name, const BinaryMetrics& m) {
    std::printf("%-10s accuracy %.4f  precision %.4f  recall %.4f  f1 %.4f  roc_auc %.4f  (tp %lld fp %lld fn %lld "
                "tn %lld)\n",
                name, m.accuracy, m.precision, m.recall, m.f1, m.roc_auc, static_cast<long long>(m.confusion.tp),
                static_cast<long long>(m.confusion.fp), static_cast<long long>(m.confusion.fn),
                static_cast<long long>(m.confusion.tn));
  };
  row("validation", vm);
  row("test", tm);
  std::printf("latency %.4f ms/message at batch 1, %.4f ms/message at batch %d | train %.2f s, total %.2f s\n",
              latency_ms, latency_ms_batch, o.serve_batch_size, train_seconds, now_seconds() - t_begin);
  std::fflush(stdout);
  return static_cast<int>(ExitCode::kOk);
}

}  // namespace autoglm::train
