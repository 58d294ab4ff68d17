// PostgreSQLStorage: a Storage in a PostgreSQL database, shared by many worker processes on
// many machines (libpqxx 6.4 over libpq). URL: "postgresql://user:password@host:port/database"
// (also "postgres://", libpq query options such as "?sslmode=require", percent-encoding); libpq
// parses it, so ~/.pgpass and the PG* environment variables work as usual. Needs PostgreSQL 11
// or later (hashtextextended); the tests run against 15 (scripts/test_pg.sh).
//
// On-server format (schema version 3, recorded in `autoglm_schema(version)` and checked on open),
// the same tables and columns as SQLiteStorage, in the connection's current schema (normally
// `public`):
//   studies(study_id BIGSERIAL, study_name UNIQUE, created_at_us)
//   study_directions(study_id, objective, direction)          direction: 'MINIMIZE' | 'MAXIMIZE'
//   study_user_attrs / study_system_attrs(study_id, attr_key, value_json)
//   trials(trial_id BIGSERIAL, study_id, number, state, datetime_start_us, datetime_complete_us,
//          heartbeat_us, finish_seq, creation_token UNIQUE)   UNIQUE(study_id, number)
//   trial_values(trial_id, objective, value, value_type)
//   trial_params(trial_id, param_name, param_value, distribution_json)
//   trial_intermediate_values(trial_id, step, value, value_type)
//   trial_user_attrs / trial_system_attrs(trial_id, attr_key, value_json)
// Times are BIGINT microseconds since the Unix epoch (UTC): start/complete times come from the
// writer's clock (as SQLite), `heartbeat_us` from the SERVER's clock, so workers on machines with
// skewed clocks agree on staleness. Floats are DOUBLE PRECISION, which holds NaN and +-inf
// natively and exactly; `value_type` is still written (0 finite, 1 +inf, 2 -inf, 3 NaN) so the
// two back ends document alike. JSON is TEXT (exact key order). `finish_seq` is the per-study
// finish sequence of Storage::get_finished_trials_after (index (study_id, finish_seq));
// `creation_token` is a random 128-bit id chosen by the creating process (see "Reconnection").
// Schema migrations (migration.h): 1 -> 2 "add_trial_heartbeat", 2 -> 3
// "add_trial_finish_sequence" (adds finish_seq back-filled per study in (datetime_complete_us,
// trial_id) order, creation_token, and the index). Each rule runs in its own transaction with the
// version bump under a transaction-scoped advisory lock, so concurrent openers migrate once.
//
// Concurrency: every state change is one READ COMMITTED transaction. Transactions that add a
// trial or move one to a finished state first lock the study's row (SELECT ... FOR NO KEY
// UPDATE), then take MAX(number)+1 / MAX(finish_seq)+1: numbers are distinct and contiguous, and
// finish sequences follow commit order, so an incremental reader never skips a trial. Trial
// updates lock the trial's row and re-check its state under the lock (finished trials never
// change; WAITING -> RUNNING succeeds once). pop_waiting_trial uses FOR UPDATE SKIP LOCKED.
// Multi-query reads (get_all_trials, get_all_studies) run in one REPEATABLE READ READ ONLY
// transaction (one snapshot) and read trials in pages of kPageSize (their child rows with
// `trial_id = ANY($1)`), so a 100,000-trial study never needs one giant result set. All values
// travel as query parameters.
//
// Reconnection: a broken connection (server restart, network) is replaced with exponential
// back-off and jitter (50 ms doubling to 2 s) for up to Options::reconnect_seconds, then
// StorageError "cannot reach URL ... for N s: reason; check that the server is running and
// reachable". Serialization failures and deadlocks (SQLSTATE 40001, 40P01) are retried too. A
// transaction is re-run only when it did not commit, except when the outcome of COMMIT is unknown
// (pqxx::in_doubt_error, connection lost during COMMIT): then the re-run first checks whether the
// first attempt landed (create_new_trial finds its creation_token; state changes find the state
// and values they wrote; upserts find their value) so a write is neither lost nor duplicated.
// Authentication failures, unknown databases and malformed URLs are not retried. Unless the URL
// sets them, connect_timeout (Options), TCP keepalives (a silent peer is noticed within about a
// minute) and tcp_user_timeout=30 s (unacknowledged data during a network partition) are added
// to it, so a lost server is noticed instead of blocking a worker forever.
//
// Thread-safety: one pqxx::connection per object, used only under `mu_`. Do not share an object
// across fork(); open a new one in the child (and leave the parent's alone there: exit the child
// with _exit so its copy of the connection does not close the parent's session).
//
// Errors: messages name the URL with its password replaced by "***" (storage_internal::
// redact_url) and never carry the password, even when libpq echoes part of the URL.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "autoglm/storage.h"

namespace autoglm {

class PostgreSQLStorage final : public Storage {
 public:
  /// Current on-server schema version; databases with a larger version are refused.
  static constexpr int kSchemaVersion = 3;
  /// Trials read per round trip by get_all_trials / get_finished_trials_after.
  static constexpr int kPageSize = 1000;

  struct Options {
    /// How long opening keeps retrying an unreachable server (default 10 s): long enough for a
    /// worker started a moment before the server, short enough to report a wrong host quickly.
    double open_retry_seconds = 10;
    /// How long an operation keeps reconnecting after the connection broke (default 60 s, enough
    /// for a server restart or a fail-over); longer waits hide outages from the user.
    double reconnect_seconds = 60;
    /// libpq connect_timeout added to the URL when it has none (seconds, default 5): bounds one
    /// connection attempt to a host that drops packets.
    int connect_timeout_seconds = 5;
    /// For tests only (default false): after each write transaction commits, act as if the
    /// connection broke before COMMIT's reply arrived, so every write takes the "maybe committed"
    /// retry path once. Slow (a reconnect and back-off per write); never set it in production.
    bool simulate_lost_commit_replies = false;
  };

  /// Connects to `url` and creates the schema in an empty database, or upgrades an older
  /// Open-AutoGLM schema. Throws ConfigError for a malformed URL (e.g. an unencoded '@' or '/'
  /// in the password), StorageError when the server stays unreachable for
  /// options.open_retry_seconds, rejects the login, has no such database, holds tables of
  /// another program, or was written by a newer Open-AutoGLM (schema > kSchemaVersion).
  explicit PostgreSQLStorage(std::string url, const StorageOpenOptions& open_options = {});
  PostgreSQLStorage(std::string url, const StorageOpenOptions& open_options, const Options& options);
  ~PostgreSQLStorage() override;
  PostgreSQLStorage(const PostgreSQLStorage&) = delete;
  PostgreSQLStorage& operator=(const PostgreSQLStorage&) = delete;

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

  /// A session advisory lock (key: a fixed namespace and the study id), waited for under a
  /// lock_timeout of kStudyLockWaitSeconds, so that a holder whose session the server has not
  /// yet noticed to be dead (a network partition) blocks others at most that long; then nullptr
  /// is returned and the caller goes on unlocked (a worker may start one trial too many). The guard unlocks on destruction (a failed unlock
  /// means the session is gone, and the lock with it).
  std::unique_ptr<StudyLock> lock_study(int64_t study_id) override;
  static constexpr double kStudyLockWaitSeconds = 30;

  /// The URL with its password replaced by "***".
  std::string url() const override { return url_; }

 private:
  class AdvisoryLock;
  /// Releases the advisory lock on `study_id` if this object's current session holds it.
  void unlock_study(int64_t study_id, const void* session) noexcept;
  struct Connection;  // a pqxx::connection and its notice handler (postgresql_storage.cc)

  void require_writable(const char* what) const;
  // Everything below requires mu_ held.
  void open_locked();
  void connect_locked(bool opening);
  void drop_connection_locked() noexcept;
  template <typename Attempt>
  auto retry_locked(const char* what, double window_seconds, bool opening, Attempt&& attempt);
  template <typename Body>
  auto write_locked(const char* what, Body&& body);
  template <typename Body>
  auto read_locked(const char* what, Body&& body);
  /// Upserts one attribute into `table` (study_user_attrs / study_system_attrs).
  void set_study_attr_locked(const char* table, int64_t study_id, const std::string& key, const nlohmann::json& value);
  /// Upserts one attribute into `table` (trial_user_attrs / trial_system_attrs); a retry after a
  /// commit in doubt that finds the value already there does nothing.
  void set_trial_attr_locked(const char* table, int64_t trial_id, const std::string& key, const nlohmann::json& value);

  const std::string raw_url_;   // with credentials: only ever given to libpq
  const std::string url_;       // redacted
  const std::string conninfo_;  // raw_url_ plus defaults (connect_timeout, ...)
  const bool read_only_ = false;
  const Options options_;
  mutable std::mutex mu_;
  std::unique_ptr<Connection> conn_;  // GUARDED_BY(mu_); null while disconnected
};

}  // namespace autoglm
