// ByteTransformer: the byte-level decoder-only transformer of the `lm` workload (GPT-2 style:
// pre-LayerNorm blocks, multi-head causal self-attention written out with an explicit mask,
// GELU MLP 4x wide, learned positional embeddings, dropout, output head tied to the token
// embedding). Private header of src/train/ that includes libtorch: include it only from the
// few translation units that need the model (lm.cc, and a later workload that loads an lm
// checkpoint: build a ByteTransformer from the sidecar's "architecture" and torch::load it).
// Only C++-frontend APIs present in both libtorch 1.13 and 2.x are used.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "autoglm/error.h"
#include "train/workload.h"

namespace autoglm::train {

/// Per-process libtorch set-up shared by the workloads: one inter-op thread, `threads` intra-op
/// threads (OpenBLAS's pool too), and the device ("cpu" or "cuda"). Call before any tensor work
/// (set_num_interop_threads throws once the inter-op pool has started; that is ignored). Throws
/// ConfigError for "cuda" when CUDA is not available.
inline torch::Device init_torch(int threads, const std::string& device_name) {
  try {
    torch::set_num_interop_threads(1);
  } catch (const std::exception&) {
  }
  torch::set_num_threads(threads);
  set_blas_threads(threads);
  if (device_name != "cuda") return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available())
    throw ConfigError("--device cuda: CUDA is not available (CPU-only libtorch or no visible GPU); use --device cpu");
  return torch::Device(torch::kCUDA);
}

inline constexpr int kVocab = 256;        ///< byte-level tokens
inline constexpr double kInitStd = 0.02;  ///< GPT-2 initialisation

/// Architecture of a ByteTransformer (the "architecture" object of a checkpoint sidecar).
struct ModelConfig {
  int n_layers;    ///< transformer blocks
  int d_model;     ///< residual width (multiple of n_heads)
  int n_heads;     ///< attention heads
  int context;     ///< max sequence length in bytes (learned positions)
  double dropout;  ///< dropout probability in training mode (eval() disables it)
};

/// Multi-head causal self-attention. Input/output [B, T, C]; `mask` [T, T] bool, true above
/// the diagonal (positions a query may not attend to).
class CausalSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit CausalSelfAttentionImpl(const ModelConfig& c)
      : n_heads_(c.n_heads),
        qkv_(register_module("qkv", torch::nn::Linear(c.d_model, 3 * c.d_model))),
        proj_(register_module("proj", torch::nn::Linear(c.d_model, c.d_model))),
        attn_drop_(register_module("attn_drop", torch::nn::Dropout(c.dropout))),
        resid_drop_(register_module("resid_drop", torch::nn::Dropout(c.dropout))) {}

  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask) {
    const int64_t b = x.size(0), t = x.size(1), c = x.size(2), hd = c / n_heads_;
    auto qkv = qkv_->forward(x).chunk(3, /*dim=*/-1);
    // [B, T, C] -> [B, H, T, hd]
    auto split = [&](const torch::Tensor& z) { return z.reshape({b, t, n_heads_, hd}).transpose(1, 2); };
    torch::Tensor q = split(qkv[0]), k = split(qkv[1]), v = split(qkv[2]);
    torch::Tensor att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(hd)));
    att = att.masked_fill(mask, -std::numeric_limits<float>::infinity());
    att = attn_drop_->forward(torch::softmax(att, /*dim=*/-1));
    torch::Tensor y = torch::matmul(att, v).transpose(1, 2).contiguous().reshape({b, t, c});
    return resid_drop_->forward(proj_->forward(y));
  }

 private:
  int64_t n_heads_;
  torch::nn::Linear qkv_, proj_;
  torch::nn::Dropout attn_drop_, resid_drop_;
};
TORCH_MODULE(CausalSelfAttention);

/// Pre-LayerNorm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)).
class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const ModelConfig& c)
      : ln1_(register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})))),
        attn_(register_module("attn", CausalSelfAttention(c))),
        ln2_(register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})))),
        fc1_(register_module("fc1", torch::nn::Linear(c.d_model, 4 * c.d_model))),
        fc2_(register_module("fc2", torch::nn::Linear(4 * c.d_model, c.d_model))),
        drop_(register_module("drop", torch::nn::Dropout(c.dropout))) {}

  torch::Tensor forward(torch::Tensor x, const torch::Tensor& mask) {
    x = x + attn_->forward(ln1_->forward(x), mask);
    return x + drop_->forward(fc2_->forward(torch::gelu(fc1_->forward(ln2_->forward(x)))));
  }

 private:
  torch::nn::LayerNorm ln1_;
  CausalSelfAttention attn_;
  torch::nn::LayerNorm ln2_;
  torch::nn::Linear fc1_, fc2_;
  torch::nn::Dropout drop_;
};
TORCH_MODULE(Block);

/// Byte-level decoder-only transformer. forward: int64 tokens [B, T] (T <= context) ->
/// logits [B, T, 256]. The output head reuses the token embedding matrix (weight tying):
/// fewer parameters, and for a 256-symbol vocabulary no measurable loss in quality.
/// Parameter names (for loading a checkpoint): tok_emb.weight, pos_emb.weight,
/// blocks.<i>.{ln1,attn.qkv,attn.proj,ln2,fc1,fc2}.{weight,bias}, ln_f.{weight,bias}.
class ByteTransformerImpl : public torch::nn::Module {
 public:
  explicit ByteTransformerImpl(const ModelConfig& c)
      : tok_emb_(register_module("tok_emb", torch::nn::Embedding(kVocab, c.d_model))),
        pos_emb_(register_module("pos_emb", torch::nn::Embedding(c.context, c.d_model))),
        drop_(register_module("drop", torch::nn::Dropout(c.dropout))),
        blocks_(register_module("blocks", torch::nn::ModuleList())),
        ln_f_(register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.d_model})))) {
    for (int i = 0; i < c.n_layers; ++i) {
      Block block(c);
      blocks_->push_back(block);
      block_list_.push_back(block);
    }
    init_weights(c.n_layers);
  }

  torch::Tensor forward(const torch::Tensor& tokens) {
    const int64_t t = tokens.size(1);
    auto pos = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(tokens.device()));
    torch::Tensor x = drop_->forward(tok_emb_->forward(tokens) + pos_emb_->forward(pos));
    torch::Tensor mask =
        torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(tokens.device())).triu(1);
    for (auto& block : block_list_) x = block->forward(x, mask);
    return torch::matmul(ln_f_->forward(x), tok_emb_->weight.t());
  }

 private:
  // GPT-2 initialisation: N(0, 0.02) for matrices, residual output projections scaled by
  // 1/sqrt(2 * n_layers), zero biases, LayerNorm (1, 0).
  void init_weights(int n_layers) {
    torch::NoGradGuard no_grad;
    auto ends_with = [](const std::string& s, const std::string& suffix) {
      return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    for (auto& item : named_parameters()) {
      const std::string& name = item.key();
      torch::Tensor& p = item.value();
      if (ends_with(name, ".bias")) {
        p.zero_();
      } else if (p.dim() >= 2) {
        double std = kInitStd;
        if (ends_with(name, "attn.proj.weight") || ends_with(name, "fc2.weight")) std /= std::sqrt(2.0 * n_layers);
        p.normal_(0.0, std);
      }
    }
  }

  torch::nn::Embedding tok_emb_, pos_emb_;
  torch::nn::Dropout drop_;
  torch::nn::ModuleList blocks_;
  torch::nn::LayerNorm ln_f_;
  std::vector<Block> block_list_;
};
TORCH_MODULE(ByteTransformer);

}  // namespace autoglm::train
