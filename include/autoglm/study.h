// Study: an optimization task, i.e. a set of trials in a storage under one name, with a sampler
// and a pruner. Mirrors optuna.Study for the common subset: ask / tell, optimize, enqueue_trial,
// best_trial, trials.
//
// Ownership: a Study owns its sampler and pruner, and shares its storage (shared_ptr) with
// other studies or front ends. Thread-safety: ask, tell, enqueue_trial and the read methods may
// be called concurrently (optimize with n_jobs > 1 does); the sampler is called under
// `sampler_mutex_` when it is not itself thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study_view.h"
#include "autoglm/trial.h"

namespace autoglm {

/// Objective: returns the value to minimize/maximize; may throw TrialPruned (-> PRUNED) or
/// anything else (-> FAIL with the message recorded in system attr "fail_reason").
using Objective = std::function<double(Trial&)>;
/// Multi-objective form: one value per direction.
using MultiObjective = std::function<std::vector<double>(Trial&)>;
/// Called after each finished trial, from the worker thread that ran it.
using Callback = std::function<void(Study&, const FrozenTrial&)>;

struct OptimizeOptions {
  /// Stop after this many trials started by this call (nullopt: no limit; then timeout or
  /// stop() must end the loop).
  std::optional<int> n_trials;
  /// Stop starting new trials after this many seconds (nullopt: no limit).
  std::optional<double> timeout_seconds;
  /// Worker threads; each runs one trial at a time. 1 = sequential, deterministic with a seed.
  int n_jobs = 1;
  std::vector<Callback> callbacks;
  /// When false (default), an exception from the objective marks the trial FAIL and the study
  /// goes on (Optuna's `catch` accepts listed types; C++ catches all std::exception).
  bool stop_on_error = false;
};

/// How a study finds trials whose worker died and what it does with them (Optuna: the
/// heartbeat_interval / grace_period of its RDB storage and RetryFailedTrialCallback(max_retry)).
/// A trial is interrupted when its worker process is gone from this host, when its heartbeat is
/// older than the grace period (any host: pre-emption, a cut network link), or when its worker
/// was stopped by a signal; an interrupted trial becomes FAIL (system attr "fail_reason") and,
/// within max_retries, its parameters run again as a new WAITING trial (Storage::fail_running_trial).
struct FailurePolicy {
  /// Seconds between heartbeats of each trial this Study object runs, recorded by a background
  /// thread that also looks for stale trials of the study as often. 0 (default): no heartbeats,
  /// and stale trials are found only by their dead process on this host.
  double heartbeat_interval_seconds = 0;
  /// Seconds without a heartbeat after which a RUNNING trial is stale. Must exceed the interval.
  /// Default 60: long enough for a slow storage, short enough to recover a pre-empted node soon.
  double grace_period_seconds = 60;
  /// How many times an interrupted trial's parameters are retried (a retry of a retry counts).
  /// Default 0. Failures of the objective itself are never retried automatically.
  int max_retries = 0;
};

struct CreateStudyOptions {
  std::shared_ptr<Storage> storage;          ///< Required (use open_storage(":memory:")).
  std::string study_name;                    ///< Empty: a generated unique name.
  std::vector<StudyDirection> directions{StudyDirection::MINIMIZE};
  std::unique_ptr<Sampler> sampler;          ///< Null: TPE with default options.
  /// Null: median pruner (as Optuna); the nop pruner for several directions. Any other pruner with
  /// several directions is refused (ConfigError), as Optuna refuses pruning there.
  std::unique_ptr<Pruner> pruner;
  bool load_if_exists = false;
};

class Study final : public StudyView {
 public:
  /// Creates a study (or loads it when `load_if_exists`). Throws DuplicatedStudyError, or
  /// ConfigError when an existing study's directions differ from the requested ones.
  static std::unique_ptr<Study> create(CreateStudyOptions options);
  /// Loads an existing study; throws NotFoundError naming it.
  static std::unique_ptr<Study> load(std::shared_ptr<Storage> storage, const std::string& study_name,
                                     std::unique_ptr<Sampler> sampler = nullptr,
                                     std::unique_ptr<Pruner> pruner = nullptr);

  // ---- StudyView ----
  std::string study_name() const override { return study_name_; }
  std::vector<StudyDirection> directions() const override { return directions_; }
  /// From storage; when every state asked for is a finished one, from finished_trials_snapshot
  /// (no storage read beyond one count).
  std::vector<FrozenTrial> get_trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const override;
  /// Kept up to date by tell() (appended in place while no caller holds the list), checked against
  /// the storage's count of finished trials on each call and re-read when other writers (another
  /// Study object, process, fail_stale_trials, a template trial) finished trials meanwhile.
  std::shared_ptr<const std::vector<FrozenTrial>> finished_trials_snapshot() const override;

  // ---- ask / tell ----
  /// Starts a trial: takes the oldest WAITING (enqueued) trial if any, else creates one.
  /// `fixed_distributions` are suggested at once (Optuna's ask(fixed_distributions)).
  Trial ask(const SearchSpace& fixed_distributions = {});
  /// ask() in two steps, for callers that start trials under a lock of their own (the CLI's
  /// cross-process start lock): start_trial() takes the oldest WAITING trial or creates a RUNNING
  /// one, recording this worker's identity and (with heartbeats) a first heartbeat, in as few
  /// storage writes as possible (one for a new trial); it returns the trial id. ask_started()
  /// then makes the Trial (heartbeats, sampler hooks, fixed distributions). ask() is
  /// ask_started(start_trial()).
  int64_t start_trial();
  Trial ask_started(int64_t trial_id, const SearchSpace& fixed_distributions = {});
  /// Finishes a trial. COMPLETE needs one finite value per direction (a NaN value or a wrong
  /// count makes the trial FAIL, with the reason recorded, and returns it); PRUNED uses the
  /// last intermediate value. Throws UpdateFinishedTrialError when already finished.
  FrozenTrial tell(int trial_number, TrialState state, const std::vector<double>& values = {});
  FrozenTrial tell(Trial& trial, double value) { return tell(trial, TrialState::COMPLETE, {value}); }
  /// tell() of a Trial this object asked (no look-up of its number).
  FrozenTrial tell(Trial& trial, TrialState state, const std::vector<double>& values = {});

  /// Runs trials until n_trials / timeout / stop(). Trials interrupted by a crash of an earlier
  /// run (RUNNING, owned by a dead process on this host) are marked FAIL first.
  void optimize(const Objective& objective, const OptimizeOptions& options);
  void optimize(const MultiObjective& objective, const OptimizeOptions& options);
  /// Asks a running optimize() to start no new trial (thread-safe; usable from callbacks).
  void stop() { stop_requested_ = true; }
  /// The sampler has no new point to propose (Sampler::exhausted; a covered grid). optimize()
  /// then stops after the trial that finished, as Optuna's GridSampler stops the study.
  bool sampler_exhausted();

  /// Adds a WAITING trial whose parameters (external values) are fixed; unknown names are
  /// sampled normally. Parameters not covered are sampled normally when the trial runs.
  void enqueue_trial(const std::map<std::string, ParamValue>& params,
                     const std::map<std::string, nlohmann::json>& user_attrs = {});

  /// Best feasible COMPLETE trial (single objective; feasible: system attr "constraints" all
  /// <= 0, or none). Throws Error when there is none yet.
  FrozenTrial best_trial() const;
  double best_value() const { return best_trial().values.at(0); }
  std::map<std::string, ParamValue> best_params() const { return best_trial().external_params(); }
  /// Pareto front: the feasible COMPLETE trials no other such trial dominates (pareto_front_trials),
  /// ordered by number. Single objective: every feasible trial sharing the best value.
  std::vector<FrozenTrial> best_trials() const;
  std::vector<FrozenTrial> trials() const { return get_trials(); }

  void set_user_attr(const std::string& key, const nlohmann::json& value);
  std::map<std::string, nlohmann::json> user_attrs() const;

  /// Marks FAIL (and retries, per the failure policy) the RUNNING trials that will never finish:
  /// those whose owning process (recorded host + pid + start time) is no longer alive on this
  /// host, and those whose last heartbeat is older than the grace period (any host). It also
  /// stops what a dead local worker left running: the process group of its command (system attr
  /// "process": {host, pgid, start_time}, recorded by the executor) gets SIGTERM, then SIGKILL
  /// after 5 s, when its leader is still the same process. Safe to call from many workers at
  /// once: each stale trial is failed (and retried) by exactly one. Returns how many trials this
  /// call failed. Called by optimize() and by the heartbeat thread every interval.
  int fail_stale_trials();

  /// Sets the failure policy (heartbeats, grace period, retries). Throws ConfigError when the
  /// grace period does not exceed a non-zero interval or a value is negative.
  void set_failure_policy(const FailurePolicy& policy);
  FailurePolicy failure_policy() const;
  /// Ends a RUNNING trial of this study whose run was interrupted (its worker is shutting down on
  /// a signal, or lost its heartbeat): FAIL with `reason` and, within max_retries, a retry
  /// (Storage::fail_running_trial). Returns nullopt when the trial had already finished.
  std::optional<FailedTrial> fail_interrupted_trial(int trial_number, const std::string& reason);
  /// True when another worker failed this trial as stale while it ran here (its heartbeat could
  /// not be recorded because the trial was no longer RUNNING): the result will be refused.
  bool heartbeat_lost(int64_t trial_id) const;

  ~Study() override;

  int64_t study_id() const { return study_id_; }
  Storage& storage() { return *storage_; }
  std::shared_ptr<Storage> storage_ptr() { return storage_; }
  Sampler& sampler() { return *sampler_; }
  Pruner& pruner() { return *pruner_; }

 private:
  Study(std::shared_ptr<Storage> storage, int64_t study_id, std::string name,
        std::vector<StudyDirection> directions, std::unique_ptr<Sampler> sampler,
        std::unique_ptr<Pruner> pruner);
  friend class Trial;
  void run_trial_(const MultiObjective& objective, const OptimizeOptions& options);
  FrozenTrial tell_id_(int64_t trial_id, TrialState state, const std::vector<double>& values);
  /// Adds a trial that just finished in storage to finished_ (if finished_ has been built).
  void add_finished_(FrozenTrial trial);
  /// Heartbeats: register a trial this object runs / forget it; the thread starts on first use.
  void start_heartbeat_(int64_t trial_id);
  void stop_heartbeat_(int64_t trial_id);
  void heartbeat_loop_();

  std::shared_ptr<Storage> storage_;
  int64_t study_id_;
  std::string study_name_;
  std::vector<StudyDirection> directions_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<Pruner> pruner_;
  mutable std::mutex sampler_mutex_;  ///< Serializes sampler calls (GUARDED_BY: sampler_).
  std::atomic<bool> stop_requested_{false};
  /// Finished trials ordered by number, a subset of the storage's (added after the storage
  /// write), built at the first finished_trials_snapshot() call. Shared with callers as
  /// shared_ptr<const>; modified in place only while use_count() == 1 (copies are handed out
  /// under the mutex, so no one can gain a reference meanwhile), copied first otherwise.
  mutable std::mutex snapshot_mutex_;
  mutable std::shared_ptr<std::vector<FrozenTrial>> finished_;  // GUARDED_BY(snapshot_mutex_)
  /// Finish sequence up to which finished_ has read the storage (get_finished_trials_after).
  mutable int64_t finished_cursor_ = 0;  // GUARDED_BY(snapshot_mutex_)

  mutable std::mutex heartbeat_mutex_;
  FailurePolicy policy_;                       // GUARDED_BY(heartbeat_mutex_)
  std::set<int64_t> heartbeat_trials_;         // GUARDED_BY(heartbeat_mutex_): trial ids running here
  std::set<int64_t> lost_trials_;              // GUARDED_BY(heartbeat_mutex_)
  bool heartbeat_stop_ = false;                // GUARDED_BY(heartbeat_mutex_)
  std::condition_variable heartbeat_cv_;
  std::thread heartbeat_thread_;               // started once, under heartbeat_mutex_
};

/// The Pareto front of `trials` under `directions`: the COMPLETE, feasible (is_feasible) trials
/// with one value per direction that no other such trial dominates (Deb's definition: no worse in
/// every objective, better in one), ordered by number; duplicates of a front point are all kept.
/// O(n log n) for 2 objectives, O(n^2 M) beyond (include/autoglm/pareto.h). Throws ConfigError
/// on a malformed "constraints" attr.
std::vector<FrozenTrial> pareto_front_trials(const std::vector<FrozenTrial>& trials,
                                             const std::vector<StudyDirection>& directions);

/// Optuna-style free functions.
inline std::unique_ptr<Study> create_study(CreateStudyOptions options) { return Study::create(std::move(options)); }

/// Identity of this worker process, recorded on every trial it runs (system attrs
/// "worker.host", "worker.pid", "worker.start_time") so stale RUNNING trials can be detected.
struct WorkerIdentity {
  std::string host;
  int64_t pid = 0;
  int64_t start_time = 0;  ///< Process start time in clock ticks since boot (/proc/PID/stat field 22).
  static WorkerIdentity current();
  /// Identity of process `pid` on this host (start_time -1 when it does not exist).
  static WorkerIdentity of_process(int64_t pid);
  /// The worker recorded on a trial (system attrs "worker.host", "worker.pid",
  /// "worker.start_time"; start_time -1 when absent); nullopt when host or pid is missing.
  static std::optional<WorkerIdentity> of_trial(const FrozenTrial& trial);
  /// True when a process with this pid and start time exists on this host and is not a zombie
  /// (killed but not reaped yet).
  bool alive() const;
};

}  // namespace autoglm
