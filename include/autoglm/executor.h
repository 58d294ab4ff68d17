// Executor: runs one trial's training command as a child process and speaks the trial
// protocol with it (docs/protocol.md).
//
// The child runs in its own process group with:
//   argv        the command with every "{name}" replaced by the trial's parameter value
//               ("{trial_number}" and "{study_name}" too);
//   env         AUTOGLM_PARAMS (JSON object of all parameters), AUTOGLM_TRIAL_NUMBER,
//               AUTOGLM_STUDY_NAME, AUTOGLM_REPORT_FD (the protocol channel, fd 3),
//               CUDA_VISIBLE_DEVICES (when GPUs are assigned), plus the configured env;
//   stdout/err  written to <log_dir>/trial-<number>.log (both streams, in order).
// The child writes JSON lines to fd 3: {"step": N, "value": V} for an intermediate value,
// {"value": V} (or {"values": [...]}) for the final value, {"attr": K, "value": J} for a user
// attribute. Each intermediate value is stored and the pruner consulted; to prune, the whole
// process group gets SIGTERM, then SIGKILL after `grace_period_seconds`.
//
// Thread-safety: run_command_trial may be called concurrently from optimize()'s workers; the
// GpuPool is internally synchronized (mutex_).
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "autoglm/trial.h"

namespace autoglm {

struct CommandSpec {
  /// argv[0] is looked up in PATH; "{param}" placeholders are substituted in every argument.
  std::vector<std::string> argv;
  /// Extra environment variables (values may also contain placeholders).
  std::map<std::string, std::string> env;
  /// Working directory of the child (empty: inherit).
  std::string working_directory;
  /// Per-trial wall-clock limit in seconds (nullopt: none); exceeded -> FAIL "timeout".
  std::optional<double> timeout_seconds;
  /// Seconds between SIGTERM and SIGKILL when a trial is pruned or timed out. Default 10.
  double grace_period_seconds = 10.0;
  /// Folder for per-trial logs (created when missing). Empty: logs are discarded.
  std::filesystem::path log_dir;
  /// When set, the final value is taken from this named metric ({"metrics": {...}} lines),
  /// otherwise from {"value": V}.
  std::optional<std::string> metric;
};

/// Hands out disjoint sets of GPU ids to concurrently running trials.
class GpuPool {
 public:
  /// `gpu_ids`: the GPUs the study may use; `per_trial`: how many each trial gets (>= 1).
  /// Throws ConfigError when per_trial > gpu_ids.size() or ids repeat.
  GpuPool(std::vector<int> gpu_ids, int per_trial);
  /// Blocks until `per_trial` GPUs are free, then returns them (marked busy).
  std::vector<int> acquire();
  void release(const std::vector<int>& ids);
  /// Max trials that can hold GPUs at once.
  int capacity() const { return static_cast<int>(ids_.size()) / per_trial_; }

 private:
  std::vector<int> ids_;
  int per_trial_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<bool> busy_;  ///< GUARDED_BY(mutex_)
};

/// Substitutes "{name}" placeholders with the trial's parameter values ("{{" escapes "{").
/// Throws ConfigError naming an unknown placeholder.
std::string substitute_placeholders(const std::string& text, const std::map<std::string, std::string>& values);

/// Runs the command for `trial` (whose parameters are already suggested) and returns its final
/// value(s). Throws TrialPruned when the pruner stopped it; throws Error with the reason and
/// the log tail (non-zero exit, signal, timeout, no final value) so the trial becomes FAIL.
std::vector<double> run_command_trial(Trial& trial, const CommandSpec& spec, GpuPool* gpus = nullptr);

}  // namespace autoglm
