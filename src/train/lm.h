// The `lm` workload: trains a byte-level decoder-only transformer (lm.cc, the only translation
// unit of this workload that includes libtorch) and speaks the trial protocol.
#pragma once

#include "train/lm_options.h"

namespace autoglm::train {

/// Runs `autoglm-train lm` with already-validated options and returns the process exit code
/// (see ExitCode). Throws autoglm::ConfigError for unusable input discovered late (missing
/// corpus, corpus too small for --context, --device cuda without CUDA).
int run_lm(const LmOptions& options);

}  // namespace autoglm::train
