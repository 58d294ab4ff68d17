// Storage: where studies and trials live. One interface, several back ends:
//   "" or ":memory:"         -> InMemoryStorage (process-local)
//   "sqlite:///path/to.db"   -> SQLiteStorage (WAL mode; several processes may share the file)
//   "postgresql://user:pass@host:port/db" -> PostgreSQLStorage (many machines; libpqxx)
// Mirrors Optuna's BaseStorage (storages/_base.py). Every implementation passes
// tests/storage/storage_conformance_test.cc.
//
// Thread-safety: every method may be called concurrently from several threads of one process;
// implementations guard their state with a mutex. SQLite also tolerates several processes.
// Atomicity: every state change (create trial, set param, set state/values, intermediate value,
// attributes) is one transaction. A finished trial (COMPLETE / PRUNED / FAIL) can never change
// again: writes to it throw UpdateFinishedTrialError.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"

namespace autoglm {

/// What Storage::fail_running_trial did: the trial it failed and the retry it enqueued, if any.
struct FailedTrial {
  int64_t trial_id = -1;
  int number = -1;
  std::optional<int> retry_number;  ///< Number of the new WAITING trial that retries it.
};

/// System attrs of the retry protocol (Optuna's RetryFailedTrialCallback records the same facts).
inline constexpr const char* kRetryOfAttr = "retry_of";        ///< number of the trial a retry repeats
inline constexpr const char* kRetryCountAttr = "retry_count";  ///< retries in the chain so far (1 for a first retry)

/// Retry count of a trial: its system attr kRetryCountAttr, 0 when absent or not an integer.
int retry_count_of(const FrozenTrial& trial);
/// The WAITING trial that retries `failed` (what Storage::fail_running_trial and `autoglm retry`
/// enqueue): system attr "fixed_params" (its fixed parameters, then the ones it sampled, external
/// values), kRetryOfAttr = its number, kRetryCountAttr = its count + 1; its user attrs. No params
/// or distributions: the retry suggests them again and gets the fixed values.
FrozenTrial retry_template(const FrozenTrial& failed);

struct StudySummary {
  int64_t study_id = -1;
  std::string study_name;
  std::vector<StudyDirection> directions;
  std::map<std::string, nlohmann::json> user_attrs;
  std::map<std::string, nlohmann::json> system_attrs;
  std::map<TrialState, int> n_trials_by_state;
  std::optional<FrozenTrial> best_trial;  ///< Single-objective studies only.
  std::optional<Clock::time_point> datetime_start;  ///< Start of the first trial.
};

/// A cross-process lock on one study, released when destroyed (Storage::lock_study).
class StudyLock {
 public:
  virtual ~StudyLock() = default;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // ---- studies ----
  /// Throws DuplicatedStudyError if `study_name` exists. Returns the new study id.
  virtual int64_t create_new_study(const std::string& study_name,
                                   const std::vector<StudyDirection>& directions) = 0;
  virtual void delete_study(int64_t study_id) = 0;
  /// Throws NotFoundError naming the study and listing how to see existing ones.
  virtual int64_t get_study_id_from_name(const std::string& study_name) = 0;
  virtual std::string get_study_name_from_id(int64_t study_id) = 0;
  virtual std::vector<StudyDirection> get_study_directions(int64_t study_id) = 0;
  virtual void set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) = 0;
  virtual void set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) = 0;
  virtual std::map<std::string, nlohmann::json> get_study_user_attrs(int64_t study_id) = 0;
  virtual std::map<std::string, nlohmann::json> get_study_system_attrs(int64_t study_id) = 0;
  virtual std::vector<StudySummary> get_all_studies() = 0;

  // ---- trials ----
  /// Creates a trial with the next number of the study. Without a template the trial is
  /// RUNNING with datetime_start = now. With a template, its state, params, distributions,
  /// values, intermediate values, attributes and times are copied (a RUNNING template with a
  /// last_heartbeat records a first heartbeat: its time, or the server's now for PostgreSQL) (used by enqueue_trial, which
  /// passes a WAITING template, and by tests). Returns the trial id.
  virtual int64_t create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial = std::nullopt) = 0;
  /// Records a parameter (internal value). Throws UpdateFinishedTrialError on finished trials,
  /// ConfigError if the study already used `name` with an incompatible distribution.
  virtual void set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                               const Distribution& distribution) = 0;
  /// Changes the state (and values, when given). Moving to RUNNING sets datetime_start; moving
  /// to a finished state sets datetime_complete. Returns false (and changes nothing) when asked
  /// to move WAITING -> RUNNING a trial that is no longer WAITING (another worker took it).
  /// Throws UpdateFinishedTrialError if the trial is already finished.
  virtual bool set_trial_state_values(int64_t trial_id, TrialState state,
                                      const std::vector<double>& values = {}) = 0;
  virtual void set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) = 0;
  virtual void set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) = 0;
  virtual void set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) = 0;

  /// Throws NotFoundError.
  virtual FrozenTrial get_trial(int64_t trial_id) = 0;
  virtual int64_t get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) = 0;
  /// All trials of a study ordered by number; only those in `states` when given.
  virtual std::vector<FrozenTrial> get_all_trials(int64_t study_id,
                                                  const std::optional<std::vector<TrialState>>& states = std::nullopt) = 0;
  virtual int get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states = std::nullopt);

  /// Atomically takes the oldest WAITING trial of the study and makes it RUNNING; returns its id,
  /// or nullopt when none is waiting. Two callers never get the same trial.
  virtual std::optional<int64_t> pop_waiting_trial(int64_t study_id);

  // ---- heartbeats, stale trials, retries ----
  /// Records a heartbeat (now, on the storage's clock: the server's for PostgreSQL) for a RUNNING
  /// trial. Returns false and records nothing when the trial is no longer RUNNING (it finished,
  /// or another worker failed it as stale): its worker should stop it.
  virtual bool record_heartbeat(int64_t trial_id) = 0;
  /// Ids of the RUNNING trials of the study whose last heartbeat is more than `grace_seconds`
  /// old on the storage's clock, ordered by number. Trials that never recorded a heartbeat are
  /// not included (their worker does not use heartbeats).
  virtual std::vector<int64_t> get_stale_trial_ids(int64_t study_id, double grace_seconds) = 0;
  /// One transaction: when trial `trial_id` is RUNNING (and, with `stale_grace_seconds`, its last
  /// heartbeat is still older than that many seconds), marks it FAIL with system attr
  /// "fail_reason" = `reason`; then, when its kRetryCountAttr (0 if absent) is below
  /// `max_retries`, creates a WAITING trial that retries it: fixed parameters (system attr
  /// "fixed_params", external values, as enqueue_trial writes) equal to its parameters, its user
  /// attrs, kRetryOfAttr = its number and kRetryCountAttr = count + 1. Returns nullopt, changing
  /// nothing, when the trial is not RUNNING any more or its heartbeat is fresh, so of several
  /// workers noticing the same stale trial exactly one fails (and retries) it.
  /// Throws NotFoundError for an unknown id.
  virtual std::optional<FailedTrial> fail_running_trial(int64_t trial_id, const std::string& reason, int max_retries,
                                                        std::optional<double> stale_grace_seconds = std::nullopt) = 0;

  // ---- incremental reads ----
  /// Finished trials, read incrementally. Each trial that reaches a finished state (COMPLETE,
  /// PRUNED, FAIL) gets the next value of a per-study "finish sequence" (1, 2, ...) in commit
  /// order. Returns at most `limit` (>= 1) finished trials whose sequence is > `after_sequence`,
  /// ordered by sequence, and sets `*last_sequence` to the largest returned (unchanged when none).
  /// A reader passing back *last_sequence sees every finished trial exactly once, whatever other
  /// processes commit meanwhile. Throws NotFoundError for an unknown study.
  virtual std::vector<FrozenTrial> get_finished_trials_after(int64_t study_id, int64_t after_sequence, int limit,
                                                             int64_t* last_sequence) = 0;

  /// Serializes, across processes and machines, a decision that reads the study and then writes
  /// to it (the CLI's "count the trials, then start one", so that workers together stop at
  /// exactly the target). Blocks until the lock is held; the guard releases it. Returns nullptr
  /// when the back end offers none: in-memory (one process), SQLite (the CLI locks the
  /// database's directory with flock instead). PostgreSQL: a session advisory lock keyed by the
  /// study id (if the connection drops while it is held, the lock is lost with it).
  virtual std::unique_ptr<StudyLock> lock_study(int64_t study_id) {
    (void)study_id;
    return nullptr;
  }

  /// Human-readable location without credentials ("sqlite:///x.db", ":memory:").
  virtual std::string url() const = 0;
};

/// Opens a storage by URL: "" / ":memory:" (in-memory), "sqlite:///relative.db",
/// "sqlite:////absolute.db" (SQLAlchemy style), a plain path ending in .db, or
/// "postgresql://user:password@host:port/database" (also "postgres://", libpq query options).
/// Throws StorageError (unreachable / unwritable / newer schema) or ConfigError (unknown scheme),
/// each naming the URL and the fix.
std::shared_ptr<Storage> open_storage(const std::string& url);

struct StorageOpenOptions {
  /// Read only (for inspecting commands and dashboards): the storage must already exist and hold
  /// an Open-AutoGLM schema of a supported version; nothing is created, migrated or written (a
  /// database in a read-only directory, or a chmod 444 file, can be read), and every write method
  /// throws StorageError saying the storage was opened read-only. In-memory URLs are refused
  /// (ConfigError): a new in-memory storage is always empty.
  bool read_only = false;
  /// With read_only, for a long-lived reader that must see what other processes write after it
  /// opened the storage (the dashboard). SQLite: the file is opened with mode=ro even when its
  /// "-wal" file is absent, so SQLite may create "-wal"/"-shm" files beside it (it falls back to
  /// the immutable snapshot when the directory is not writable). One-shot read-only verbs leave
  /// it false and so leave the directory untouched. Other back ends always see new writes.
  bool follow_writes = false;
};

/// open_storage(url) with options; open_storage(url, {}) is open_storage(url).
std::shared_ptr<Storage> open_storage(const std::string& url, const StorageOpenOptions& options);

/// The file path of a sqlite URL ("sqlite:///a/b.db" -> "a/b.db"), nullopt for other URLs.
std::optional<std::string> sqlite_path_from_url(const std::string& url);

}  // namespace autoglm
