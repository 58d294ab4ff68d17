// Executor: runs one trial's training command as a child process and speaks the trial
// protocol with it (docs/protocol.md).
//
// The child runs in its own process group with:
//   argv        the command with every "{name}" replaced by the trial's parameter value
//               ("{trial_number}" and "{study_name}" too; see substitute_placeholders);
//   env         the engine's environment, plus the configured env, plus AUTOGLM_PARAMS (JSON
//               object of all parameters), AUTOGLM_TRIAL_NUMBER, AUTOGLM_STUDY_NAME,
//               AUTOGLM_REPORT_FD=3 (the protocol channel) and CUDA_VISIBLE_DEVICES (when GPUs
//               are assigned), which win over the configured env;
//   stdin       /dev/null;
//   stdout/err  written by the child itself to <log_dir>/trial-<number>.log (both streams, in
//               order; O_APPEND), or to /dev/null when log_dir is empty;
//   fds         only 0, 1, 2 and 3 are open (every other descriptor is closed at exec).
// The child writes JSON lines to fd 3: {"step": N, "value": V} for an intermediate value,
// {"value": V} (or {"values": [...]}) for the final value, {"attr": K, "value": J} for a user
// attribute, {"metrics": {...}} for named metrics. Each intermediate value is stored and the
// pruner consulted; to prune, the whole process group gets SIGTERM (and SIGCONT), then SIGKILL
// after `grace_period_seconds`. Processes left in the group when the command exits are stopped
// the same way, so nothing of a trial outlives it, and every child is reaped (no zombies).
//
// Thread-safety: run_command_trial may be called concurrently from optimize()'s workers (each
// call owns its child, pipe and log); the GpuPool is internally synchronized (mutex_); the
// shutdown flag is a lock-free atomic.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "autoglm/distribution.h"
#include "autoglm/error.h"
#include "autoglm/trial.h"

namespace autoglm {

struct CommandSpec {
  /// argv[0] is looked up in PATH (the child's PATH: `env` may set it); "{param}" placeholders
  /// are substituted in every argument. Required, non-empty.
  std::vector<std::string> argv;
  /// Extra environment variables (values may also contain placeholders). Keys must be non-empty,
  /// without '=', and not one of the variables the engine sets (AUTOGLM_PARAMS,
  /// AUTOGLM_TRIAL_NUMBER, AUTOGLM_STUDY_NAME, AUTOGLM_REPORT_FD). CUDA_VISIBLE_DEVICES set
  /// here is used when no GpuPool is given, and replaced when one is.
  std::map<std::string, std::string> env;
  /// Working directory of the child (empty: inherit). Must exist.
  std::string working_directory;
  /// Per-trial wall-clock limit in seconds, counted from the start of the child (nullopt:
  /// none; otherwise > 0); exceeded -> SIGTERM, SIGKILL after the grace period, trial FAIL
  /// with "timed out after T s".
  std::optional<double> timeout_seconds;
  /// Seconds between SIGTERM and SIGKILL when a trial is pruned, timed out or interrupted, or
  /// when processes remain in its group after the command exited. Default 10; >= 0 (0: SIGKILL
  /// at once). A longer grace lets a training loop save a checkpoint; a shorter one frees GPUs
  /// sooner.
  double grace_period_seconds = 10.0;
  /// Folder for per-trial logs (created when missing). Empty: logs are discarded (and a failed
  /// trial's reason comes without a log tail).
  std::filesystem::path log_dir;
  /// Named metrics ({"metrics": {...}} lines) that give the final values, in order: value k is
  /// the last number reported for metrics[k]. When non-empty, run_command_trial returns
  /// metrics.size() values (the caller maps them to objectives, constraints or a weighted score)
  /// instead of one per study direction; a metric that never appeared fails the trial, except
  /// that with a single metric a plain {"value": V} is the fallback. Empty (default): the final
  /// values come from {"value": V} / {"values": [...]}, one per study direction.
  std::vector<std::string> metrics;
  /// When set, a {"step": N, "metrics": {...}} line that contains this metric is also an
  /// intermediate value at step N (stored, then the pruner is asked). Nullopt (default): only
  /// {"step": N, "value": V} lines are intermediate values.
  std::optional<std::string> intermediate_metric;
  /// Names of every parameter of the study's search space (the config loader fills it). A
  /// placeholder naming one of them that this trial did not suggest (conditional space) is
  /// replaced by the empty string. A placeholder naming neither a parameter of the trial, nor
  /// one of these, nor trial_number / study_name is a ConfigError. Default empty.
  std::set<std::string> search_space_params;
};

/// Checks a spec once, before any trial runs (the config loader calls it): non-empty argv,
/// grace >= 0, timeout > 0, env keys, and every placeholder in argv / env names a parameter of
/// `param_names`, trial_number or study_name. When argv[0] has no placeholder and no '/', it
/// must be found in PATH. Throws ConfigError naming the offending argument / key and the fix.
void validate_command_spec(const CommandSpec& spec, const std::set<std::string>& param_names);

/// A command trial that ended badly (non-zero exit, signal, timeout, no final value,
/// interruption, exec failure). `what()` is the reason followed by the last lines of the log;
/// `reason()` is the one-line reason alone ("command exited with status 3").
class CommandFailed : public Error {
 public:
  CommandFailed(std::string reason, std::string log_tail, std::string log_path);
  const std::string& reason() const { return reason_; }
  /// Last lines of the trial log (at most kLogTailLines); empty when there is no log.
  const std::string& log_tail() const { return log_tail_; }
  /// Absolute path of the trial log; empty when logs are discarded.
  const std::string& log_path() const { return log_path_; }

 private:
  std::string reason_;
  std::string log_tail_;
  std::string log_path_;
};

/// Number of log lines kept in a failure's message and in system attr "log_tail".
inline constexpr int kLogTailLines = 20;

/// Hands out disjoint sets of GPU ids to concurrently running trials: no id is ever held by two
/// trials at once. Thread-safe: `busy_` is guarded by `mutex_`; waiters sleep on `cv_`.
class GpuPool {
 public:
  /// `gpu_ids`: the GPUs the study may use (>= 0); `per_trial`: how many each trial gets (>= 1).
  /// Throws ConfigError when per_trial < 1, per_trial > gpu_ids.size(), or ids repeat / are
  /// negative.
  GpuPool(std::vector<int> gpu_ids, int per_trial);
  /// Blocks until `per_trial` GPUs are free, then returns them (marked busy; lowest ids first).
  /// Throws Error when shutdown is requested while waiting (checked every 100 ms).
  std::vector<int> acquire();
  /// Returns ids obtained from acquire() (asserts that they are busy ids of this pool).
  void release(const std::vector<int>& ids);
  /// Max trials that can hold GPUs at once.
  int capacity() const { return static_cast<int>(ids_.size()) / per_trial_; }
  int per_trial() const { return per_trial_; }
  /// Number of ids currently free (a snapshot; for tests and status lines).
  int n_free();

 private:
  std::vector<int> ids_;
  int per_trial_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<bool> busy_;  ///< GUARDED_BY(mutex_)
};

/// RAII holder of one acquire(): releases its ids when destroyed, whatever happens.
class GpuLease {
 public:
  /// Blocks in pool.acquire() (may throw as it does). `pool` must outlive the lease.
  explicit GpuLease(GpuPool& pool) : pool_(&pool), ids_(pool.acquire()) {}
  ~GpuLease() { pool_->release(ids_); }
  GpuLease(const GpuLease&) = delete;
  GpuLease& operator=(const GpuLease&) = delete;
  const std::vector<int>& ids() const { return ids_; }
  /// "0,1": the CUDA_VISIBLE_DEVICES value.
  std::string visible_devices() const;

 private:
  GpuPool* pool_;
  std::vector<int> ids_;
};

/// Substitutes "{name}" placeholders with `values.at(name)`. "{{" is a literal "{"; "}" is
/// always literal. A name is any text up to the next "}" without "{" (exact match, no
/// trimming). Throws ConfigError naming the placeholder and the known names for an unknown
/// name, and for "{}" or an unterminated "{" (suggesting "{{").
std::string substitute_placeholders(const std::string& text, const std::map<std::string, std::string>& values);

/// The placeholder names used in `text`, in order of appearance (duplicates kept). Throws
/// ConfigError on "{}" or an unterminated "{", as substitute_placeholders does.
std::vector<std::string> placeholder_names(const std::string& text);

/// How a parameter value is written into argv / env: integers in decimal; floats in the
/// shortest form that parses back to the same double, always with a '.' or exponent ("0.001",
/// "1e-05", "3.0"); bools "true" / "false"; strings as they are; null "null". (A parameter that
/// the trial did not suggest, in a conditional space, is the empty string.)
std::string format_placeholder_value(const ParamValue& value);

/// Runs the command for `trial` (whose parameters are already suggested) and returns its final
/// value(s), one per study direction. On the way it stores intermediate values (consulting the
/// pruner after each), user attrs, and system attrs "command" (argv after substitution),
/// "log_path" (absolute; when log_dir is set), "gpus" (when a pool is given),
/// "protocol_warnings" ({"count": n, "first": [...]}, when a line was malformed), and on
/// failure "fail_reason" and "log_tail".
/// Throws TrialPruned when the pruner stopped it (after its process group is gone); throws
/// CommandFailed with the reason and the log tail (non-zero exit, signal, timeout, no final
/// value, a named metric missing, wrong number of values, interruption, exec failure) so the trial becomes FAIL;
/// ConfigError for an invalid spec or an unknown placeholder. Blocks for at most timeout +
/// 2 * grace + a few seconds after the command ends or is stopped (plus GPU waiting).
/// `reported_metrics`, when given, receives the last number reported for every metric name of
/// {"metrics": {...}} lines (on success; for constraints computed by the caller).
std::vector<double> run_command_trial(Trial& trial, const CommandSpec& spec, GpuPool* gpus = nullptr,
                                      std::map<std::string, double>* reported_metrics = nullptr);

/// Asks every running command trial of this process to stop: each terminates its process group
/// (SIGTERM, SIGKILL after the grace period) within ~100 ms and fails with "interrupted";
/// GpuPool::acquire stops waiting. Async-signal-safe (a lock-free atomic store): the CLI calls it
/// from its SIGINT handler. Sticky until reset_shutdown().
void request_shutdown() noexcept;
/// True after request_shutdown() (and before reset_shutdown()).
bool shutdown_requested() noexcept;
/// Clears the request (tests; a process that starts over after an interruption).
void reset_shutdown() noexcept;

}  // namespace autoglm
