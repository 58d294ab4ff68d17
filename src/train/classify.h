// The `classify` workload: a spam-vs-ham text classifier (bag of hashed byte n-grams, or a small
// byte-level transformer encoder, optionally initialised from an `lm` checkpoint) trained on the
// SpamAssassin public corpus; speaks the trial protocol. classify.cc is its only libtorch
// translation unit; options, data and metrics live in torch-free files beside it.
#pragma once

#include "train/classify_options.h"

namespace autoglm::train {

/// Runs `autoglm-train classify` with already-validated options and returns the process exit
/// code (see ExitCode). Throws autoglm::ConfigError for unusable input discovered late (missing
/// or empty corpus, --data-limit too small, unusable or mismatched --init-checkpoint, --device
/// cuda without CUDA).
int run_classify(const ClassifyOptions& options);

}  // namespace autoglm::train
