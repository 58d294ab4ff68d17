// SQLiteStorage: a Storage in one SQLite file, shared safely by several threads and processes
// (workers on one machine; the dashboard reading while workers write).
//
// On-disk format (schema version 1, recorded in `autoglm_schema(version)` and checked on open):
//   studies(study_id, study_name UNIQUE, created_at_us)
//   study_directions(study_id, objective, direction)          direction: 'MINIMIZE' | 'MAXIMIZE'
//   study_user_attrs / study_system_attrs(study_id, key, value_json)
//   trials(trial_id, study_id, number, state, datetime_start_us, datetime_complete_us)
//                                                             UNIQUE(study_id, number)
//   trial_values(trial_id, objective, value, value_type)
//   trial_params(trial_id, param_name, param_value, distribution_json)
//   trial_intermediate_values(trial_id, step, value, value_type)
//   trial_user_attrs / trial_system_attrs(trial_id, key, value_json)
// Times are INTEGER microseconds since the Unix epoch (UTC); states are their upper-case names;
// JSON is UTF-8 text (distributions in Optuna's JSON form). SQLite turns NaN into NULL, so
// `value_type` encodes the kind of a float value: 0 finite (value holds it), 1 +inf, 2 -inf,
// 3 NaN (value NULL for 1..3). Child rows are deleted with their study (ON DELETE CASCADE).
//
// Concurrency: the file runs in WAL mode with synchronous=NORMAL (a commit survives a process
// crash; an OS crash may lose the last commits but never corrupts the file) and foreign keys on.
// Every state change is one write transaction started with BEGIN IMMEDIATE; when another
// process holds the write lock, SQLite's busy handler waits, and the whole transaction is
// retried with exponential back-off (and jitter) for up to `kLockWaitSeconds` before a
// StorageError. A transaction is retried only when it did not commit, so a write is never lost
// or applied twice. Reads that need several queries (get_all_trials: six queries for the whole
// study, whatever its size) run in one read transaction and so see one consistent snapshot.
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
// so readers see every commit.
//
// Thread-safety: one sqlite3 connection per object, used only under `mu_`. Do not share an
// object across fork(); open a new one in the child.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "autoglm/storage.h"

struct sqlite3;

namespace autoglm {

class SQLiteStorage final : public Storage {
 public:
  /// Current on-disk schema version; files with a larger version are refused.
  static constexpr int kSchemaVersion = 1;
  /// How long a transaction keeps retrying while other processes hold the write lock.
  static constexpr int kLockWaitSeconds = 60;

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
  template <typename F>
  auto transact_locked(TxnKind kind, const char* what, F&& body);
  void exec_locked(const char* sql);
  [[noreturn]] void fail_locked(int rc, const std::string& what) const;
  std::string study_name_locked(int64_t study_id);                // throws NotFoundError
  TrialInfo trial_info_locked(int64_t trial_id);                   // throws NotFoundError
  TrialInfo updatable_trial_locked(int64_t trial_id);              // + UpdateFinishedTrialError
  void check_param_locked(int64_t study_id, const std::string& study_name, const std::string& name,
                          const Distribution& distribution);       // throws ConfigError
  std::vector<FrozenTrial> load_trials_locked(const std::string& where, const std::vector<Bind>& binds);
  void set_study_attr_locked(const char* table, int64_t study_id, const std::string& key, const nlohmann::json& v);
  std::map<std::string, nlohmann::json> get_study_attrs_locked(const char* table, int64_t study_id);
  void set_trial_attr_locked(const char* table, int64_t trial_id, const std::string& key, const nlohmann::json& v);
  std::string not_found_study_hint() const;

  const std::string path_;
  const std::string url_;
  const bool read_only_ = false;
  bool immutable_ = false;  // read-only WAL file without "-wal": opened with immutable=1 (set once in open)
  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;  // GUARDED_BY(mu_)
};

}  // namespace autoglm
