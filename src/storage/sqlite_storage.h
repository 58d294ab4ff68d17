// SQLiteStorage: a Storage in one SQLite file, shared safely by several threads and processes
// (workers on one machine; the dashboard reading while workers write).
//
// On-disk format (schema version 3, recorded in `autoglm_schema(version)` and checked on open):
//   studies(study_id, study_name UNIQUE, created_at_us)
//   study_directions(study_id, objective, direction)          direction: 'MINIMIZE' | 'MAXIMIZE'
//   study_user_attrs / study_system_attrs(study_id, key, value_json)
//   trials(trial_id, study_id, number, state, datetime_start_us, datetime_complete_us,
//          heartbeat_us, finish_seq)                          UNIQUE(study_id, number)
//                                                             INDEX(study_id, state, number)
//                                                             INDEX(study_id, finish_seq)
//   trial_values(trial_id, objective, value, value_type)
//   trial_params(trial_id, param_name, param_value, distribution_json)
//   trial_intermediate_values(trial_id, step, value, value_type)
//   trial_user_attrs / trial_system_attrs(trial_id, key, value_json)
// Times are INTEGER microseconds since the Unix epoch (UTC); states are their upper-case names;
// JSON is UTF-8 text (distributions in Optuna's JSON form). SQLite turns NaN into NULL, so
// `value_type` encodes the kind of a float value: 0 finite (value holds it), 1 +inf, 2 -inf,
// 3 NaN (value NULL for 1..3). Child rows are deleted with their study (ON DELETE CASCADE).
// `heartbeat_us` is the last Storage::record_heartbeat (NULL before the first). `finish_seq` is
// the study's finish sequence (Storage::get_finished_trials_after): NULL while the trial is
// WAITING / RUNNING, MAX(finish_seq) + 1 of the study, computed inside the write transaction that
// finishes the trial (so values are 1, 2, ... in commit order, without gaps or duplicates).
//
// Schema versions and migrations (migrations(), applied in order by a read-write open):
//   1  first release
//   2  "add_trial_heartbeat":        trials.heartbeat_us
//   3  "add_trial_finish_sequence":  trials.finish_seq, back-filled per study in the order of
//                                    (datetime_complete_us, trial_id) of the finished trials,
//                                    and index trials_study_finish
// A new file gets version 3 directly (same layout as a migrated one). Each rule runs in its own
// BEGIN IMMEDIATE transaction together with the version bump, after re-reading the version inside
// that transaction, so several processes opening an old file at once upgrade it exactly once and
// an interrupted upgrade resumes where it stopped. A file newer than kSchemaVersion is refused.
// A read-only open never migrates: an older file is read in its own layout (version 1 has no
// heartbeats: last_heartbeat is nullopt and get_stale_trial_ids is empty); on a file older than
// version 3 get_finished_trials_after throws StorageError asking to open it once read-write
// (which upgrades it): its finish sequence does not exist yet, and computing one on the fly could
// disagree with the one the upgrade writes while old writers still work on the file.
//
// Concurrency: the file runs in WAL mode with synchronous=NORMAL (a commit survives a process
// crash; an OS crash may lose the last commits but never corrupts the file) and foreign keys on.
// Every state change is one write transaction started with BEGIN IMMEDIATE; when another
// process holds the write lock, SQLite's busy handler waits, and the whole transaction is
// retried with exponential back-off (and jitter) for up to `kLockWaitSeconds` before a
// StorageError. A transaction is retried only when it did not commit, so a write is never lost
// or applied twice. Reads that need several queries run in one read transaction and so see one
// consistent snapshot; get_all_trials reads a study in pages of kTrialsPerPage numbers (six
// queries a page) inside that one transaction, so its transient memory is bounded by a page.
// Trial numbers are max(number)+1 inside the creating transaction, hence distinct and
// contiguous across processes.
//
// Read-only mode (StorageOpenOptions::read_only, used by `autoglm studies/trials/best`): the file
// must exist and already hold the schema (version checked as usual); it is opened with
// SQLITE_OPEN_READONLY, nothing is created, migrated or switched to WAL, and every write method
// throws StorageError. A WAL database whose "-wal" file is absent (its last writer closed it
// cleanly, so everything is in the main file) is opened with `immutable=1`: SQLite then needs no
// "-wal"/"-shm" files, which lets it read a database in a read-only directory and leaves no such
// files behind. While a "-wal" file exists (writers at work) the normal locking protocol is used,
// so readers see every commit. With StorageOpenOptions::follow_writes (a dashboard) mode=ro is
// used whenever the directory is writable, so commits made after opening are seen too.
//
// Thread-safety: one sqlite3 connection per object, used only under `mu_`, with its prepared
// statements cached per SQL text (at most kMaxCachedStatements). Do not share an object across
// fork(); open a new one in the child.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "autoglm/storage.h"
#include "storage/migration.h"

struct sqlite3;
struct sqlite3_stmt;

namespace autoglm {

class SQLiteStorage final : public Storage {
 public:
  /// Current on-disk schema version; files with a larger version are refused.
  static constexpr int kSchemaVersion = 3;
  /// How long a transaction keeps retrying while other processes hold the write lock.
  static constexpr int kLockWaitSeconds = 60;
  /// Trial numbers per page of get_all_trials (bounds its transient memory).
  static constexpr int kTrialsPerPage = 1000;
  /// Prepared statements kept per connection (most methods use a fixed handful of SQL texts).
  static constexpr size_t kMaxCachedStatements = 64;

  /// The schema migration chain: rule k upgrades version k to k + 1 (see "Schema versions").
  /// Each `apply` runs inside the caller's write transaction with the storage's mutex held.
  static const std::vector<storage_internal::MigrationRule<SQLiteStorage>>& migrations();

  /// Opens (creating when missing) the database at `path` (":memory:" for a private in-memory
  /// database). Throws StorageError naming the path when the file cannot be opened or written
  /// (missing directory, permissions), is not an SQLite database, is an SQLite database of
  /// something else, or was written by a newer Open-AutoGLM (schema version > kSchemaVersion).
  explicit SQLiteStorage(std::string path);
  /// As above; with options.read_only the file is only read (see "Read-only mode"): a missing
  /// file, or one without an Open-AutoGLM schema (an empty file), is refused and left untouched.
  SQLiteStorage(std::string path, const StorageOpenOptions& options);
  ~SQLiteStorage() override;
  SQLiteStorage(const SQLiteStorage&) = delete;
  SQLiteStorage& operator=(const SQLiteStorage&) = delete;

  int64_t create_new_study(const std::string& study_name, const std::vector<StudyDirection>& directions) override;
  void delete_study(int64_t study_id) override;
  int64_t get_study_id_from_name(const std::string& study_name) override;
  std::string get_study_name_from_id(int64_t study_id) override;
  std::vector<StudyDirection> get_study_directions(int64_t study_id) override;
  void set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) override;
  void set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) override;
  std::map<std::string, nlohmann::json> get_study_user_attrs(int64_t study_id) override;
  std::map<std::string, nlohmann::json> get_study_system_attrs(int64_t study_id) override;
  std::vector<StudySummary> get_all_studies() override;

  int64_t create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial = std::nullopt) override;
  void set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                       const Distribution& distribution) override;
  bool set_trial_state_values(int64_t trial_id, TrialState state, const std::vector<double>& values = {}) override;
  void set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) override;
  void set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) override;
  void set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) override;

  FrozenTrial get_trial(int64_t trial_id) override;
  int64_t get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) override;
  std::vector<FrozenTrial> get_all_trials(int64_t study_id,
                                          const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  int get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  std::optional<int64_t> pop_waiting_trial(int64_t study_id) override;

  bool record_heartbeat(int64_t trial_id) override;
  std::vector<int64_t> get_stale_trial_ids(int64_t study_id, double grace_seconds) override;
  std::optional<FailedTrial> fail_running_trial(int64_t trial_id, const std::string& reason, int max_retries,
                                                std::optional<double> stale_grace_seconds = std::nullopt) override;
  std::vector<FrozenTrial> get_finished_trials_after(int64_t study_id, int64_t after_sequence, int limit,
                                                     int64_t* last_sequence) override;

  /// "sqlite:///" + path.
  std::string url() const override { return url_; }

 private:
  class Stmt;
  enum class TxnKind { kNone, kRead, kWrite };  // kNone: a single statement outside a transaction
  using Bind = std::variant<int64_t, std::string>;
  struct TrialInfo {
    int64_t study_id;
    int number;
    TrialState state;
    std::string study_name;
  };

  /// Throws StorageError when the storage was opened read-only; `what` names the write refused.
  void require_writable(const char* what) const;

  // Everything below requires mu_ held.
  void open_locked();
  void open_read_only_locked();
  void open_read_write_locked(bool in_memory);
  void close_locked();
  template <typename F>
  auto transact_locked(TxnKind kind, const char* what, F&& body);
  void exec_locked(const char* sql);
  [[noreturn]] void fail_locked(int rc, const std::string& what) const;
  [[noreturn]] void throw_study_not_found(int64_t study_id) const;
  [[noreturn]] void throw_trial_not_found(int64_t trial_id) const;
  std::string study_name_locked(int64_t study_id);                // throws NotFoundError
  TrialInfo trial_info_locked(int64_t trial_id);                   // throws NotFoundError
  TrialInfo updatable_trial_locked(int64_t trial_id);              // + UpdateFinishedTrialError
  void check_param_locked(int64_t study_id, const std::string& study_name, const std::string& name,
                          const Distribution& distribution);       // throws ConfigError
  /// Trials matching `where` (over `trials t`) with all their children, ordered by `order_by`.
  std::vector<FrozenTrial> load_trials_locked(const std::string& where, const std::vector<Bind>& binds,
                                              const char* order_by = "t.study_id, t.number");
  /// Inserts a trial (number = next of the study; finish_seq when `t` is finished); the JSON maps
  /// hold the serialized distributions and attributes of `t`. Returns the trial id (and its
  /// number in `*number` when given).
  int64_t insert_trial_locked(int64_t study_id, const FrozenTrial& t,
                              const std::map<std::string, std::string>& distribution_json,
                              const std::map<std::string, std::string>& user_json,
                              const std::map<std::string, std::string>& system_json, int* number = nullptr);
  void set_study_attr_locked(const char* table, int64_t study_id, const std::string& key, const nlohmann::json& v);
  std::map<std::string, nlohmann::json> get_study_attrs_locked(const char* table, int64_t study_id);
  void set_trial_attr_locked(const char* table, int64_t trial_id, const std::string& key, const nlohmann::json& v);
  /// Moves a trial of `study_id` to `state` with the times (and finish sequence) it implies.
  void set_state_locked(int64_t study_id, int64_t trial_id, TrialState state);
  std::string not_found_study_hint() const;

  const std::string path_;
  const std::string url_;
  const bool read_only_ = false;
  const bool follow_writes_ = false;  // StorageOpenOptions::follow_writes
  bool immutable_ = false;  // read-only WAL file without "-wal": opened with immutable=1 (set once in open)
  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;  // GUARDED_BY(mu_)
  int schema_version_ = kSchemaVersion;  // of the open file (older only when read-only); set once in open
  // Idle prepared statements by SQL text; a Stmt takes one out and puts it back when done.
  mutable std::unordered_map<std::string, sqlite3_stmt*> stmt_cache_;  // GUARDED_BY(mu_)
};

}  // namespace autoglm
