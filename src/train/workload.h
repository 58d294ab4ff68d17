// Pieces shared by the built-in training workloads of `autoglm-train` (lm, later classify):
// the stop flag set by SIGTERM/SIGINT, reading a corpus, thread setup, and the exit codes.
// No libtorch headers here: this header is included by translation units that must compile
// fast. Thread-safety: install_stop_handlers() once from main(); stop_requested() may be
// called from any thread (it reads a lock-free atomic written by the signal handler).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace autoglm::train {

/// Process exit codes of every workload (documented in `autoglm-train --help`).
enum class ExitCode : int {
  kOk = 0,           ///< finished, or stopped by SIGTERM/SIGINT (pruned) after saving the checkpoint
  kRuntimeError = 1, ///< unexpected failure (I/O while saving, libtorch error)
  kUsage = 2,        ///< bad flag or unusable input; one line on stderr names the flag and the fix
  kDiverged = 3,     ///< the training loss became NaN/Inf (learning rate too high)
};

/// Installs SIGTERM/SIGINT handlers that set the stop flag. A second signal of either kind
/// ends the process at once with the default action.
void install_stop_handlers();
/// True once SIGTERM or SIGINT arrived: the training loop finishes its step, saves its
/// checkpoint and exits 0 without a final value.
bool stop_requested();
/// Name of the signal that requested the stop ("SIGTERM", "SIGINT"), or "" when none did.
const char* stop_signal_name();

/// Reads a whole file as bytes, keeping only the first `limit` bytes when limit > 0.
/// Throws autoglm::ConfigError naming `flag` when the file cannot be read.
std::vector<uint8_t> read_bytes(const std::string& path, int64_t limit, const std::string& flag);

/// Limits OpenBLAS's own thread pool to `threads` (libtorch's set_num_threads does not reach
/// it; without this each trial would start one BLAS thread per core). No-op when the BLAS is
/// not OpenBLAS.
void set_blas_threads(int threads);

/// Monotonic clock in seconds (for elapsed-time and tokens/s metrics).
double now_seconds();

/// Writes `text` to `path` atomically (temporary file + rename). Throws std::runtime_error.
void write_file_atomic(const std::string& path, const std::string& text);

}  // namespace autoglm::train
