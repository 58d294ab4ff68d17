#include "storage/sqlite_storage.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "autoglm/error.h"
#include "storage/storage_internal.h"

namespace autoglm {

using storage_internal::decode_value;
using storage_internal::direction_name;
using storage_internal::dump_json;
using storage_internal::from_unix_us;
using storage_internal::kFinite;
using storage_internal::now_us;
using storage_internal::state_from_name;
using storage_internal::state_name;
using storage_internal::to_unix_us;
using storage_internal::value_type_of;

namespace {

/// Thrown by statement helpers on SQLITE_BUSY / SQLITE_LOCKED; caught by transact_locked, which
/// rolls back and retries the whole transaction. Never escapes SQLiteStorage.
struct BusyError {};

/// How long SQLite's own busy handler waits inside one attempt before transact_locked backs off.
constexpr int kBusyTimeoutMs = 1000;

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE autoglm_schema (version INTEGER NOT NULL);
CREATE TABLE studies (
  study_id      INTEGER PRIMARY KEY AUTOINCREMENT,
  study_name    TEXT NOT NULL UNIQUE,
  created_at_us INTEGER NOT NULL
);
CREATE TABLE study_directions (
  study_id  INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  PRIMARY KEY (study_id, objective)
);
CREATE TABLE study_user_attrs (
  study_id   INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE study_system_attrs (
  study_id   INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE trials (
  trial_id             INTEGER PRIMARY KEY AUTOINCREMENT,
  study_id             INTEGER NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  number               INTEGER NOT NULL,
  state                TEXT NOT NULL,
  datetime_start_us    INTEGER,
  datetime_complete_us INTEGER,
  heartbeat_us         INTEGER,
  finish_seq           INTEGER,
  UNIQUE (study_id, number)
);
CREATE INDEX trials_study_state ON trials(study_id, state, number);
CREATE INDEX trials_study_finish ON trials(study_id, finish_seq);
CREATE TABLE trial_values (
  trial_id   INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  objective  INTEGER NOT NULL,
  value      REAL,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, objective)
);
CREATE TABLE trial_params (
  trial_id          INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name        TEXT NOT NULL,
  param_value       REAL,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE trial_intermediate_values (
  trial_id   INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step       INTEGER NOT NULL,
  value      REAL,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, step)
);
CREATE TABLE trial_user_attrs (
  trial_id   INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
CREATE TABLE trial_system_attrs (
  trial_id   INTEGER NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
INSERT INTO autoglm_schema (version) VALUES (3);
)sql";

// SQL list of the finished states (the states that get a finish sequence).
constexpr const char* kFinishedStatesSql = "('COMPLETE', 'PRUNED', 'FAIL')";

std::mt19937& jitter_rng() {
  thread_local std::mt19937 rng(std::random_device{}());
  return rng;
}

}  // namespace

// ---- statements ----

/// RAII prepared statement; all calls require the owner's mu_ held. Errors go through
/// fail_locked (BusyError for lock contention, StorageError otherwise).
class SQLiteStorage::Stmt {
 public:
  Stmt(const SQLiteStorage& owner, std::string sql) : owner_(owner), sql_(std::move(sql)) {
    auto cached = owner_.stmt_cache_.find(sql_);
    if (cached != owner_.stmt_cache_.end() && cached->second) {
      stmt_ = cached->second;  // taken out while in use, so a nested Stmt of the same SQL prepares its own
      cached->second = nullptr;
      return;
    }
    int rc = sqlite3_prepare_v2(owner_.db_, sql_.c_str(), static_cast<int>(sql_.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt_);
      stmt_ = nullptr;
      owner_.fail_locked(rc, "preparing a query");
    }
  }
  /// Resets the statement (releasing its read lock) and returns it to the owner's cache.
  ~Stmt() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    auto& cache = owner_.stmt_cache_;
    auto slot = cache.find(sql_);
    if (slot != cache.end() && !slot->second) {
      slot->second = stmt_;
    } else if (slot == cache.end() && cache.size() < kMaxCachedStatements) {
      cache.emplace(std::move(sql_), stmt_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Stmt& bind(int i, int v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  Stmt& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  Stmt& bind(int i, const std::string& v) {
    return check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& bind(int i, const char* v) { return check(sqlite3_bind_text(stmt_, i, v, -1, SQLITE_TRANSIENT)); }
  Stmt& bind(int i, const std::optional<Clock::time_point>& t) {
    return t ? bind(i, to_unix_us(*t)) : check(sqlite3_bind_null(stmt_, i));
  }
  /// Binds a float as (value, value_type) at i and i+1.
  Stmt& bind_value(int i, double v) {
    int type = value_type_of(v);
    if (type == kFinite) {
      bind(i, v);
    } else {
      check(sqlite3_bind_null(stmt_, i));
    }
    return bind(i + 1, type);
  }
  Stmt& bind_all(int first, const std::vector<Bind>& binds) {
    for (size_t k = 0; k < binds.size(); ++k) {
      std::visit([&](const auto& v) { bind(first + static_cast<int>(k), v); }, binds[k]);
    }
    return *this;
  }

  /// Makes the statement ready to run again with new bindings.
  Stmt& reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return *this;
  }
  /// True when a row is available.
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    owner_.fail_locked(rc, "running a query");
  }
  /// Runs a statement that returns no rows.
  void run() {
    while (step()) {
    }
  }

  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  int64_t int64(int c) const { return sqlite3_column_int64(stmt_, c); }
  double real(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string text(int c) const {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, c)) : std::string();
  }
  std::optional<Clock::time_point> time(int c) const {
    return is_null(c) ? std::nullopt : std::optional<Clock::time_point>(from_unix_us(int64(c)));
  }
  /// Reads a float stored as (value, value_type) at columns c and c+1.
  double value(int c) const { return decode_value(is_null(c), real(c), static_cast<int>(int64(c + 1))); }

 private:
  Stmt& check(int rc) {
    if (rc != SQLITE_OK) owner_.fail_locked(rc, "binding a query parameter");
    return *this;
  }

  const SQLiteStorage& owner_;
  std::string sql_;
  sqlite3_stmt* stmt_ = nullptr;
};

// ---- connection, errors, transactions ----

void SQLiteStorage::fail_locked(int rc, const std::string& what) const {
  const int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw BusyError{};
  const std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  if (read_only_ && (primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY || primary == SQLITE_PERM)) {
    std::error_code ec;
    if (std::filesystem::exists(path_ + "-wal", ec)) {
      throw StorageError("cannot read " + url_ + " read-only (" + detail + "): its write-ahead log '" + path_ +
                         "-wal' needs '" + path_ + "-shm', which cannot be created there; open it once as a user "
                         "who can write to its directory, or copy '" + path_ + "' and '" + path_ +
                         "-wal' to a writable directory");
    }
    throw StorageError("cannot read " + url_ + " read-only (" + detail + "); check the permissions of '" + path_ +
                       "' and of its directory");
  }
  switch (primary) {
    case SQLITE_NOTADB:
      throw StorageError("'" + path_ + "' is not an SQLite database (" + url_ +
                         "); pass the path of an Open-AutoGLM database or a new file name");
    case SQLITE_CORRUPT:
      if (immutable_) {
        throw StorageError("SQLite database '" + path_ + "' is corrupt or was changed by a writer while it was read (" +
                           detail + "); run the command again, and restore it from a backup if this persists");
      }
      throw StorageError("SQLite database '" + path_ + "' is corrupt (" + detail +
                         "); restore it from a backup or start a new file");
    case SQLITE_READONLY:
      throw StorageError("cannot write to SQLite database '" + path_ +
                         "': it is read-only; check the permissions of the file and of its directory");
    case SQLITE_FULL:
      throw StorageError("cannot write to SQLite database '" + path_ + "': the disk is full; free some space");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      throw StorageError("cannot open SQLite database '" + path_ + "' (" + detail +
                         "); check that its directory exists and is writable");
    default:
      throw StorageError("SQLite error on " + url_ + " while " + what + ": " + detail);
  }
}

void SQLiteStorage::exec_locked(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) fail_locked(rc, std::string("running '") + sql + "'");
}

template <typename F>
auto SQLiteStorage::transact_locked(TxnKind kind, const char* what, F&& body) {
  using R = decltype(body());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kLockWaitSeconds);
  std::chrono::microseconds backoff(500);
  for (;;) {
    try {
      if (kind != TxnKind::kNone) exec_locked(kind == TxnKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
      if constexpr (std::is_void_v<R>) {
        body();
        if (kind != TxnKind::kNone) exec_locked("COMMIT");
        return;
      } else {
        R result = body();
        if (kind != TxnKind::kNone) exec_locked("COMMIT");
        return result;
      }
    } catch (const BusyError&) {
      // Nothing was committed (a busy COMMIT leaves the transaction open): roll back and run
      // the whole transaction again, so a write is applied exactly once.
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      if (std::chrono::steady_clock::now() >= deadline) {
        throw StorageError(url_ + " stayed locked by another process for " + std::to_string(kLockWaitSeconds) +
                           " s while " + what + "; look for a stuck process holding '" + path_ +
                           "' (e.g. `fuser " + path_ + "`) and retry");
      }
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      std::this_thread::sleep_for(std::chrono::duration_cast<std::chrono::microseconds>(backoff * jitter(jitter_rng())));
      backoff = std::min<std::chrono::microseconds>(backoff * 2, std::chrono::milliseconds(100));
    } catch (...) {
      if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }
}

SQLiteStorage::SQLiteStorage(std::string path) : SQLiteStorage(std::move(path), StorageOpenOptions{}) {}

SQLiteStorage::SQLiteStorage(std::string path, const StorageOpenOptions& options)
    : path_(std::move(path)), url_("sqlite:///" + path_), read_only_(options.read_only), follow_writes_(options.follow_writes) {
  std::lock_guard<std::mutex> lock(mu_);
  try {
    open_locked();
  } catch (...) {
    close_locked();
    throw;
  }
}

SQLiteStorage::~SQLiteStorage() {
  std::lock_guard<std::mutex> lock(mu_);
  close_locked();
}

void SQLiteStorage::close_locked() {
  for (auto& [sql, stmt] : stmt_cache_) sqlite3_finalize(stmt);
  stmt_cache_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

void SQLiteStorage::require_writable(const char* what) const {
  if (read_only_) {
    throw StorageError(std::string("cannot ") + what + ": " + url_ +
                       " was opened read-only; open it without read_only to change it");
  }
}

namespace {

// SQLite URI filename for `path` ('%', '?' and '#' escaped; "file://" + absolute path keeps a
// path starting with "//" from being read as an authority).
std::string sqlite_uri(const std::string& path) {
  std::string out = !path.empty() && path[0] == '/' ? "file://" : "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

// True when the file starts with an SQLite header that selects WAL mode (read/write version 2).
bool has_wal_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char header[20] = {};
  if (!in.read(header, sizeof header)) return false;
  return std::string(header, 16) == std::string("SQLite format 3\0", 16) && (header[18] == 2 || header[19] == 2);
}

}  // namespace

void SQLiteStorage::open_read_only_locked() {
  namespace fs = std::filesystem;
  if (path_ == ":memory:") {
    throw StorageError(url_ + " is a new private in-memory database, always empty, so it cannot be opened read-only; "
                       "pass the path of an existing database file");
  }
  std::error_code ec;
  const fs::file_status st = fs::status(path_, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    throw StorageError("cannot open " + url_ + " read-only: " + ec.message() + "; check the permissions of '" + path_ +
                       "' and of its directory");
  }
  if (!fs::exists(st)) {
    throw StorageError("cannot open " + url_ + " read-only: '" + path_ +
                       "' does not exist; check the --storage path (nothing was created)");
  }
  if (fs::is_directory(st)) {
    throw StorageError("cannot open " + url_ + ": '" + path_ +
                       "' is a directory; give the path of an Open-AutoGLM database file");
  }
  // A WAL database without "-wal" file holds everything in the main file; immutable=1 reads it
  // without "-shm"/"-wal" files (none can be created in a read-only directory, and none is left).
  // A reader that follows later writes (follow_writes_) needs the normal protocol wherever the
  // "-shm"/"-wal" files can be created.
  const fs::path dir = fs::path(path_).has_parent_path() ? fs::path(path_).parent_path() : fs::path(".");
  const bool can_follow = follow_writes_ && ::access(dir.c_str(), W_OK) == 0;
  immutable_ = has_wal_header(path_) && !fs::exists(path_ + "-wal", ec) && !can_follow;
  const std::string uri = sqlite_uri(path_) + (immutable_ ? "?immutable=1" : "?mode=ro");
  int rc = sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    throw StorageError("cannot open SQLite database '" + path_ + "' (" + url_ + ") read-only: " + detail +
                       "; check the permissions of the file");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
}

void SQLiteStorage::open_read_write_locked(bool in_memory) {
  namespace fs = std::filesystem;
  if (!in_memory) {
    std::error_code ec;
    fs::path p(path_);
    fs::path dir = p.parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec)) {
      throw StorageError("cannot open " + url_ + ": directory '" + dir.string() +
                         "' does not exist; create it first (mkdir -p " + dir.string() + ")");
    }
    if (fs::is_directory(p, ec)) {
      throw StorageError("cannot open " + url_ + ": '" + path_ + "' is a directory; give a file path such as " +
                         (p / "autoglm.db").string());
    }
  }
  int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    throw StorageError("cannot open SQLite database '" + path_ + "' (" + url_ + "): " + detail +
                       "; check that its directory exists and is writable");
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (sqlite3_db_readonly(db_, "main") == 1) {
    throw StorageError("cannot write to SQLite database '" + path_ +
                       "': it opened read-only; check the permissions of the file and of its directory");
  }
}

void SQLiteStorage::open_locked() {
  const bool in_memory = path_ == ":memory:";
  if (read_only_) {
    open_read_only_locked();
  } else {
    open_read_write_locked(in_memory);
  }

  // Returns the schema version, 0 for an empty database; refuses foreign databases. Changes nothing.
  auto inspect = [&]() -> int64_t {
    Stmt tables(*this, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    bool has_schema = false;
    std::string others;
    int n_others = 0;
    while (tables.step()) {
      std::string name = tables.text(0);
      if (name == "autoglm_schema") {
        has_schema = true;
      } else if (n_others++ < 5) {
        others += (others.empty() ? "" : ", ") + name;
      }
    }
    if (!has_schema) {
      if (n_others == 0) return 0;
      throw StorageError("'" + path_ + "' is an SQLite database of another program (tables: " + others +
                         (n_others > 5 ? ", ..." : "") +
                         "), not an Open-AutoGLM storage; " +
                         (read_only_ ? "check the --storage path" : "pass a new file name"));
    }
    Stmt v(*this, "SELECT MAX(version) FROM autoglm_schema");
    if (!v.step() || v.is_null(0)) {
      throw StorageError("'" + path_ + "' has an empty autoglm_schema table (damaged Open-AutoGLM database); "
                         "start a new file");
    }
    return v.int64(0);
  };
  auto check_version = [&](int64_t version) {
    if (version > kSchemaVersion) {
      throw StorageError(url_ + " was written by a newer Open-AutoGLM (schema " + std::to_string(version) + " > " +
                         std::to_string(kSchemaVersion) + "); upgrade autoglm");
    }
    if (version < 1) {
      throw StorageError(url_ + " records an invalid schema version " + std::to_string(version) +
                         "; it is not a valid Open-AutoGLM database; start a new file");
    }
  };

  // 1. Look before touching anything: a refused file is left exactly as it was.
  int64_t version = transact_locked(TxnKind::kRead, "reading the schema version", inspect);
  if (version != 0) check_version(version);
  if (read_only_) {
    if (version == 0) {
      throw StorageError("'" + path_ + "' is not an Open-AutoGLM database (no studies table); check the --storage path");
    }
    schema_version_ = static_cast<int>(version);  // an older file is read in its own layout
    return;  // Nothing to set up: WAL mode, the schema and migrations are a writer's business.
  }

  // 2. Connection settings. journal_mode=WAL is persistent in the file; the others are per connection.
  transact_locked(TxnKind::kNone, "switching to WAL mode", [&] {
    Stmt wal(*this, "PRAGMA journal_mode=WAL");
    wal.step();  // "wal", or "memory" for :memory:; other file systems may refuse WAL (then
                 // SQLite keeps its rollback journal, which is slower but equally safe).
  });
  exec_locked("PRAGMA synchronous=NORMAL");
  exec_locked("PRAGMA foreign_keys=ON");

  // 3. Create the schema in a fresh file (re-checked under the write lock: another process may
  // have created it meanwhile).
  if (version == 0) {
    transact_locked(TxnKind::kWrite, "creating the database schema", [&] {
      int64_t v = inspect();
      if (v == 0) {
        exec_locked(kSchemaSql);
      } else {
        check_version(v);
      }
    });
  }

  // 4. Upgrade an older file, one rule per transaction. The version is read again under the write
  // lock: another process opening the same file may have applied the rule meanwhile.
  if (version != 0 && version < kSchemaVersion) {
    for (const auto* rule : storage_internal::migration_path(migrations(), static_cast<int>(version), kSchemaVersion, url_)) {
      transact_locked(TxnKind::kWrite, "upgrading the database schema", [&] {
        const int64_t v = inspect();
        check_version(v);
        if (v != rule->from_version) return;
        try {
          rule->apply(*this);
        } catch (const StorageError& e) {
          throw StorageError("upgrading " + url_ + " from schema " + std::to_string(v) + " to " + std::to_string(v + 1) +
                             " (" + rule->name + ") failed: " + e.what() + "; nothing of this step was written");
        }
        Stmt(*this, "UPDATE autoglm_schema SET version = ?").bind(1, v + 1).run();
      });
    }
  }
  schema_version_ = kSchemaVersion;
}

const std::vector<storage_internal::MigrationRule<SQLiteStorage>>& SQLiteStorage::migrations() {
  static const std::vector<storage_internal::MigrationRule<SQLiteStorage>> rules = {
      {1, "add_trial_heartbeat",
       [](SQLiteStorage& s) { s.exec_locked("ALTER TABLE trials ADD COLUMN heartbeat_us INTEGER"); }},
      {2, "add_trial_finish_sequence",
       [](SQLiteStorage& s) {
         const std::string sql =
             std::string("ALTER TABLE trials ADD COLUMN finish_seq INTEGER;"
                         "UPDATE trials SET finish_seq = r.seq FROM ("
                         "  SELECT trial_id, ROW_NUMBER() OVER ("
                         "    PARTITION BY study_id ORDER BY datetime_complete_us, trial_id) AS seq"
                         "  FROM trials WHERE state IN ") +
             kFinishedStatesSql +
             ") AS r WHERE trials.trial_id = r.trial_id;"
             "CREATE INDEX trials_study_finish ON trials(study_id, finish_seq);";
         s.exec_locked(sql.c_str());
       }},
  };
  return rules;
}

// ---- lookups shared by several methods (mu_ held, inside a transaction) ----

std::string SQLiteStorage::not_found_study_hint() const {
  return "list studies with `autoglm studies --storage " + url_ + "`";
}

void SQLiteStorage::throw_study_not_found(int64_t study_id) const {
  throw NotFoundError("no study with id " + std::to_string(study_id) + " in " + url_ + "; " + not_found_study_hint());
}

void SQLiteStorage::throw_trial_not_found(int64_t trial_id) const {
  throw NotFoundError("no trial with id " + std::to_string(trial_id) + " in " + url_ +
                      "; list a study's trials with `autoglm trials --storage " + url_ + "`");
}

std::string SQLiteStorage::study_name_locked(int64_t study_id) {
  Stmt q(*this, "SELECT study_name FROM studies WHERE study_id = ?");
  q.bind(1, study_id);
  if (!q.step()) throw_study_not_found(study_id);
  return q.text(0);
}

SQLiteStorage::TrialInfo SQLiteStorage::trial_info_locked(int64_t trial_id) {
  Stmt q(*this,
         "SELECT t.study_id, t.number, t.state, s.study_name FROM trials t JOIN studies s ON s.study_id = t.study_id "
         "WHERE t.trial_id = ?");
  q.bind(1, trial_id);
  if (!q.step()) throw_trial_not_found(trial_id);
  auto state = state_from_name(q.text(2));
  if (!state) {
    throw StorageError("trial id " + std::to_string(trial_id) + " in " + url_ + " has an unknown state '" + q.text(2) +
                       "' (written by a newer Open-AutoGLM?); upgrade autoglm");
  }
  return TrialInfo{q.int64(0), static_cast<int>(q.int64(1)), *state, q.text(3)};
}

SQLiteStorage::TrialInfo SQLiteStorage::updatable_trial_locked(int64_t trial_id) {
  TrialInfo info = trial_info_locked(trial_id);
  if (is_finished(info.state)) {
    throw UpdateFinishedTrialError("trial " + std::to_string(info.number) + " (id " + std::to_string(trial_id) +
                                   ") of study '" + info.study_name + "' in " + url_ + " is already " +
                                   state_name(info.state) + " and cannot change again; create a new trial instead");
  }
  return info;
}

void SQLiteStorage::check_param_locked(int64_t study_id, const std::string& study_name, const std::string& name,
                                       const Distribution& distribution) {
  Stmt q(*this,
         "SELECT p.distribution_json FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
         "WHERE t.study_id = ? AND p.param_name = ? LIMIT 1");
  q.bind(1, study_id).bind(2, name);
  if (!q.step()) return;
  Distribution before = distribution_from_json(nlohmann::json::parse(q.text(0)));
  if (!compatible(before, distribution)) {
    throw ConfigError(storage_internal::incompatible_param_message(name, study_name, before, distribution));
  }
}

// ---- studies ----

int64_t SQLiteStorage::create_new_study(const std::string& study_name, const std::vector<StudyDirection>& directions) {
  require_writable("create a study");
  if (directions.empty()) {
    throw ConfigError("study '" + study_name + "' needs at least one direction (minimize or maximize)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kWrite, "creating a study", [&] {
    Stmt exists(*this, "SELECT 1 FROM studies WHERE study_name = ?");
    exists.bind(1, study_name);
    if (exists.step()) {
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists in " + url_ +
                                 "; choose another name or load it (load_if_exists)");
    }
    Stmt ins(*this, "INSERT INTO studies (study_name, created_at_us) VALUES (?, ?)");
    ins.bind(1, study_name).bind(2, to_unix_us(now_us())).run();
    const int64_t id = sqlite3_last_insert_rowid(db_);
    Stmt dir(*this, "INSERT INTO study_directions (study_id, objective, direction) VALUES (?, ?, ?)");
    for (size_t k = 0; k < directions.size(); ++k) {
      dir.reset().bind(1, id).bind(2, static_cast<int64_t>(k)).bind(3, direction_name(directions[k])).run();
    }
    return id;
  });
}


void SQLiteStorage::delete_study(int64_t study_id) {
  require_writable("delete a study");
  std::lock_guard<std::mutex> lock(mu_);
  transact_locked(TxnKind::kWrite, "deleting a study", [&] {
    study_name_locked(study_id);  // NotFoundError
    // Child rows go with it (ON DELETE CASCADE).
    Stmt(*this, "DELETE FROM studies WHERE study_id = ?").bind(1, study_id).run();
  });
}

int64_t SQLiteStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "looking up a study", [&] {
    Stmt q(*this, "SELECT study_id FROM studies WHERE study_name = ?");
    q.bind(1, study_name);
    if (!q.step()) {
      throw NotFoundError("no study named '" + study_name + "' in " + url_ + "; " + not_found_study_hint());
    }
    return q.int64(0);
  });
}

std::string SQLiteStorage::get_study_name_from_id(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "looking up a study", [&] { return study_name_locked(study_id); });
}

std::vector<StudyDirection> SQLiteStorage::get_study_directions(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "reading study directions", [&] {
    study_name_locked(study_id);
    Stmt q(*this, "SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective");
    q.bind(1, study_id);
    std::vector<StudyDirection> out;
    while (q.step()) out.push_back(q.text(0) == "MAXIMIZE" ? StudyDirection::MAXIMIZE : StudyDirection::MINIMIZE);
    return out;
  });
}

void SQLiteStorage::set_study_attr_locked(const char* table, int64_t study_id, const std::string& key,
                                          const nlohmann::json& value) {
  const std::string text = dump_json(value, "study attribute '" + key + "'");
  transact_locked(TxnKind::kWrite, "setting a study attribute", [&] {
    study_name_locked(study_id);
    Stmt(*this, std::string("INSERT INTO ") + table +
                    " (study_id, attr_key, value_json) VALUES (?, ?, ?) "
                    "ON CONFLICT (study_id, attr_key) DO UPDATE SET value_json = excluded.value_json")
        .bind(1, study_id)
        .bind(2, key)
        .bind(3, text)
        .run();
  });
}

std::map<std::string, nlohmann::json> SQLiteStorage::get_study_attrs_locked(const char* table, int64_t study_id) {
  return transact_locked(TxnKind::kRead, "reading study attributes", [&] {
    study_name_locked(study_id);
    Stmt q(*this, std::string("SELECT attr_key, value_json FROM ") + table + " WHERE study_id = ?");
    q.bind(1, study_id);
    std::map<std::string, nlohmann::json> out;
    while (q.step()) out[q.text(0)] = nlohmann::json::parse(q.text(1));
    return out;
  });
}

void SQLiteStorage::set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a study attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_study_attr_locked("study_user_attrs", study_id, key, value);
}

void SQLiteStorage::set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a study attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_study_attr_locked("study_system_attrs", study_id, key, value);
}

std::map<std::string, nlohmann::json> SQLiteStorage::get_study_user_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return get_study_attrs_locked("study_user_attrs", study_id);
}

std::map<std::string, nlohmann::json> SQLiteStorage::get_study_system_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return get_study_attrs_locked("study_system_attrs", study_id);
}

std::vector<StudySummary> SQLiteStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "listing studies", [&] {
    std::vector<StudySummary> out;
    std::unordered_map<int64_t, size_t> index;
    {
      Stmt q(*this, "SELECT study_id, study_name FROM studies ORDER BY study_id");
      while (q.step()) {
        index[q.int64(0)] = out.size();
        StudySummary& s = out.emplace_back();
        s.study_id = q.int64(0);
        s.study_name = q.text(1);
      }
    }
    if (out.empty()) return out;
    {
      Stmt q(*this, "SELECT study_id, direction FROM study_directions ORDER BY study_id, objective");
      while (q.step()) {
        out[index.at(q.int64(0))].directions.push_back(q.text(1) == "MAXIMIZE" ? StudyDirection::MAXIMIZE
                                                                                : StudyDirection::MINIMIZE);
      }
    }
    for (const char* table : {"study_user_attrs", "study_system_attrs"}) {
      Stmt q(*this, std::string("SELECT study_id, attr_key, value_json FROM ") + table);
      const bool user = std::string(table) == "study_user_attrs";
      while (q.step()) {
        StudySummary& s = out[index.at(q.int64(0))];
        (user ? s.user_attrs : s.system_attrs)[q.text(1)] = nlohmann::json::parse(q.text(2));
      }
    }
    {
      Stmt q(*this, "SELECT study_id, state, COUNT(*), MIN(datetime_start_us) FROM trials GROUP BY study_id, state");
      while (q.step()) {
        StudySummary& s = out[index.at(q.int64(0))];
        if (auto state = state_from_name(q.text(1))) s.n_trials_by_state[*state] = static_cast<int>(q.int64(2));
        if (auto start = q.time(3); start && (!s.datetime_start || *start < *s.datetime_start)) s.datetime_start = start;
      }
    }
    // Best trial of single-objective studies: lowest number among the best finite/inf values.
    struct Best {
      int64_t trial_id = -1;
      double value = 0;
    };
    std::unordered_map<int64_t, Best> best;
    {
      Stmt q(*this,
             "SELECT t.study_id, t.trial_id, v.value, v.value_type FROM trials t "
             "JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
             "WHERE t.state = 'COMPLETE' ORDER BY t.study_id, t.number");
      while (q.step()) {
        const StudySummary& s = out[index.at(q.int64(0))];
        if (s.directions.size() != 1) continue;
        const double v = q.value(2);
        if (std::isnan(v)) continue;
        const bool maximize = s.directions[0] == StudyDirection::MAXIMIZE;
        Best& b = best[s.study_id];
        if (b.trial_id < 0 || (maximize ? v > b.value : v < b.value)) b = Best{q.int64(1), v};
      }
    }
    std::vector<Bind> ids;
    std::unordered_map<int64_t, int64_t> study_of_best;  // trial id -> study id
    for (const auto& [study_id, b] : best) {
      ids.emplace_back(b.trial_id);
      study_of_best[b.trial_id] = study_id;
    }
    constexpr size_t kChunk = 500;
    for (size_t i = 0; i < ids.size(); i += kChunk) {
      std::vector<Bind> chunk(ids.begin() + i, ids.begin() + std::min(ids.size(), i + kChunk));
      std::string where = "t.trial_id IN (?";
      for (size_t k = 1; k < chunk.size(); ++k) where += ", ?";
      where += ")";
      for (FrozenTrial& t : load_trials_locked(where, chunk)) {
        out[index.at(study_of_best.at(t.trial_id))].best_trial = std::move(t);
      }
    }
    return out;
  });
}

// ---- trials ----

std::vector<FrozenTrial> SQLiteStorage::load_trials_locked(const std::string& where, const std::vector<Bind>& binds,
                                                          const char* order_by) {
  std::vector<FrozenTrial> out;
  std::unordered_map<int64_t, size_t> index;
  {
    // A file older than schema 2 (read-only) has no heartbeats.
    const char* heartbeat = schema_version_ >= 2 ? "t.heartbeat_us" : "NULL";
    Stmt q(*this, std::string("SELECT t.trial_id, t.number, t.state, t.datetime_start_us, t.datetime_complete_us, ") +
                      heartbeat + " FROM trials t WHERE " + where + " ORDER BY " + order_by);
    q.bind_all(1, binds);
    while (q.step()) {
      FrozenTrial& t = out.emplace_back();
      t.trial_id = q.int64(0);
      t.number = static_cast<int>(q.int64(1));
      auto state = state_from_name(q.text(2));
      if (!state) {
        throw StorageError("trial id " + std::to_string(t.trial_id) + " in " + url_ + " has an unknown state '" +
                           q.text(2) + "' (written by a newer Open-AutoGLM?); upgrade autoglm");
      }
      t.state = *state;
      t.datetime_start = q.time(3);
      t.datetime_complete = q.time(4);
      t.last_heartbeat = q.time(5);
      index[t.trial_id] = out.size() - 1;
    }
  }
  if (out.empty()) return out;
  auto child_query = [&](const char* columns, const char* table) {
    auto q = std::make_unique<Stmt>(*this, std::string("SELECT c.trial_id, ") + columns + " FROM " + table +
                                               " c JOIN trials t ON t.trial_id = c.trial_id WHERE " + where);
    q->bind_all(1, binds);
    return q;
  };
  {
    auto q = child_query("c.objective, c.value, c.value_type", "trial_values");
    while (q->step()) {
      FrozenTrial& t = out[index.at(q->int64(0))];
      const size_t k = static_cast<size_t>(q->int64(1));
      if (t.values.size() <= k) t.values.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
      t.values[k] = q->value(2);
    }
  }
  {
    std::unordered_map<std::string, Distribution> parsed;  // Most trials share a few distributions.
    auto q = child_query("c.param_name, c.param_value, c.distribution_json", "trial_params");
    while (q->step()) {
      FrozenTrial& t = out[index.at(q->int64(0))];
      std::string name = q->text(1);
      std::string json = q->text(3);
      auto it = parsed.find(json);
      if (it == parsed.end()) it = parsed.emplace(json, distribution_from_json(nlohmann::json::parse(json))).first;
      t.params[name] = q->is_null(2) ? std::numeric_limits<double>::quiet_NaN() : q->real(2);
      t.distributions.insert_or_assign(std::move(name), it->second);
    }
  }
  {
    auto q = child_query("c.step, c.value, c.value_type", "trial_intermediate_values");
    while (q->step()) out[index.at(q->int64(0))].intermediate_values[q->int64(1)] = q->value(2);
  }
  for (const char* table : {"trial_user_attrs", "trial_system_attrs"}) {
    const bool user = std::string(table) == "trial_user_attrs";
    auto q = child_query("c.attr_key, c.value_json", table);
    while (q->step()) {
      FrozenTrial& t = out[index.at(q->int64(0))];
      (user ? t.user_attrs : t.system_attrs)[q->text(1)] = nlohmann::json::parse(q->text(2));
    }
  }
  return out;
}

int64_t SQLiteStorage::create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial) {
  require_writable("create a trial");
  const storage_internal::PreparedTrial p = storage_internal::prepare_trial(template_trial);  // before the write lock
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kWrite, "creating a trial",
                         [&] { return insert_trial_locked(study_id, p.t, p.distribution_json, p.user_json, p.system_json); });
}

int64_t SQLiteStorage::insert_trial_locked(int64_t study_id, const FrozenTrial& t,
                                           const std::map<std::string, std::string>& distribution_json,
                                           const std::map<std::string, std::string>& user_json,
                                           const std::map<std::string, std::string>& system_json, int* number) {
  const std::string study_name = study_name_locked(study_id);
  for (const auto& [name, d] : t.distributions) check_param_locked(study_id, study_name, name, d);

  // Number and finish sequence are computed in the INSERT itself (the write lock is held).
  Stmt ins_trial(*this,
                 "INSERT INTO trials (study_id, number, state, datetime_start_us, datetime_complete_us, finish_seq, "
                 "heartbeat_us) "
                 "VALUES (?1, (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = ?1), ?2, ?3, ?4, "
                 "CASE WHEN ?5 THEN (SELECT COALESCE(MAX(finish_seq), 0) + 1 FROM trials WHERE study_id = ?1) END, ?6) "
                 "RETURNING trial_id, number");
  ins_trial.bind(1, study_id)
      .bind(2, state_name(t.state))
      .bind(3, t.datetime_start)
      .bind(4, t.datetime_complete)
      .bind(5, is_finished(t.state) ? 1 : 0)
      .bind(6, t.state == TrialState::RUNNING ? t.last_heartbeat : std::nullopt);
  ins_trial.step();
  const int64_t trial_id = ins_trial.int64(0);
  if (number) *number = static_cast<int>(ins_trial.int64(1));
  ins_trial.run();
  if (!t.values.empty()) {
    Stmt ins(*this, "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?)");
    for (size_t k = 0; k < t.values.size(); ++k) {
      ins.reset().bind(1, trial_id).bind(2, static_cast<int64_t>(k)).bind_value(3, t.values[k]).run();
    }
  }
  if (!t.params.empty()) {
    Stmt ins(*this,
             "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)");
    for (const auto& [name, value] : t.params) {
      ins.reset().bind(1, trial_id).bind(2, name).bind(3, value).bind(4, distribution_json.at(name)).run();
    }
  }
  if (!t.intermediate_values.empty()) {
    Stmt ins(*this, "INSERT INTO trial_intermediate_values (trial_id, step, value, value_type) VALUES (?, ?, ?, ?)");
    for (const auto& [step, value] : t.intermediate_values) {
      ins.reset().bind(1, trial_id).bind(2, step).bind_value(3, value).run();
    }
  }
  for (const auto* attrs : {&user_json, &system_json}) {
    if (attrs->empty()) continue;
    Stmt ins(*this, std::string("INSERT INTO ") + (attrs == &user_json ? "trial_user_attrs" : "trial_system_attrs") +
                        " (trial_id, attr_key, value_json) VALUES (?, ?, ?)");
    for (const auto& [k, v] : *attrs) ins.reset().bind(1, trial_id).bind(2, k).bind(3, v).run();
  }
  return trial_id;
}

void SQLiteStorage::set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                                    const Distribution& distribution) {
  require_writable("set a trial parameter");
  const std::string json = to_json(distribution).dump();
  std::lock_guard<std::mutex> lock(mu_);
  transact_locked(TxnKind::kWrite, "setting a trial parameter", [&] {
    TrialInfo info = updatable_trial_locked(trial_id);
    check_param_locked(info.study_id, info.study_name, name, distribution);
    Stmt(*this,
         "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, "
         "distribution_json = excluded.distribution_json")
        .bind(1, trial_id)
        .bind(2, name)
        .bind(3, internal_value)
        .bind(4, json)
        .run();
  });
}

void SQLiteStorage::set_state_locked(int64_t study_id, int64_t trial_id, TrialState state) {
  const int64_t now = to_unix_us(now_us());
  Stmt(*this,
       "UPDATE trials SET state = ?1, "
       "datetime_start_us = CASE WHEN ?2 THEN ?4 ELSE datetime_start_us END, "
       "datetime_complete_us = CASE WHEN ?3 THEN ?4 ELSE datetime_complete_us END, "
       "finish_seq = CASE WHEN ?3 THEN (SELECT COALESCE(MAX(finish_seq), 0) + 1 FROM trials WHERE study_id = ?5) "
       "ELSE finish_seq END "
       "WHERE trial_id = ?6")
      .bind(1, state_name(state))
      .bind(2, state == TrialState::RUNNING ? 1 : 0)
      .bind(3, is_finished(state) ? 1 : 0)
      .bind(4, now)
      .bind(5, study_id)
      .bind(6, trial_id)
      .run();
}

bool SQLiteStorage::set_trial_state_values(int64_t trial_id, TrialState state, const std::vector<double>& values) {
  require_writable("set a trial state");
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kWrite, "setting a trial state", [&] {
    TrialInfo info = updatable_trial_locked(trial_id);
    if (state == TrialState::RUNNING && info.state != TrialState::WAITING) return false;
    set_state_locked(info.study_id, trial_id, state);
    if (!values.empty()) {
      Stmt(*this, "DELETE FROM trial_values WHERE trial_id = ?").bind(1, trial_id).run();
      Stmt ins(*this, "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?)");
      for (size_t k = 0; k < values.size(); ++k) {
        ins.reset().bind(1, trial_id).bind(2, static_cast<int64_t>(k)).bind_value(3, values[k]).run();
      }
    }
    return true;
  });
}

void SQLiteStorage::set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) {
  require_writable("report an intermediate value");
  std::lock_guard<std::mutex> lock(mu_);
  transact_locked(TxnKind::kWrite, "reporting an intermediate value", [&] {
    updatable_trial_locked(trial_id);
    Stmt(*this,
         "INSERT INTO trial_intermediate_values (trial_id, step, value, value_type) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value, value_type = excluded.value_type")
        .bind(1, trial_id)
        .bind(2, step)
        .bind_value(3, value)
        .run();
  });
}

void SQLiteStorage::set_trial_attr_locked(const char* table, int64_t trial_id, const std::string& key,
                                          const nlohmann::json& value) {
  const std::string text = dump_json(value, "trial attribute '" + key + "'");
  transact_locked(TxnKind::kWrite, "setting a trial attribute", [&] {
    updatable_trial_locked(trial_id);
    Stmt(*this, std::string("INSERT INTO ") + table +
                    " (trial_id, attr_key, value_json) VALUES (?, ?, ?) "
                    "ON CONFLICT (trial_id, attr_key) DO UPDATE SET value_json = excluded.value_json")
        .bind(1, trial_id)
        .bind(2, key)
        .bind(3, text)
        .run();
  });
}

void SQLiteStorage::set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a trial attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_trial_attr_locked("trial_user_attrs", trial_id, key, value);
}

void SQLiteStorage::set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a trial attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_trial_attr_locked("trial_system_attrs", trial_id, key, value);
}

FrozenTrial SQLiteStorage::get_trial(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "reading a trial", [&] {
    auto trials = load_trials_locked("t.trial_id = ?", {Bind(trial_id)});
    if (trials.empty()) throw_trial_not_found(trial_id);
    return std::move(trials.front());
  });
}

int64_t SQLiteStorage::get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "looking up a trial", [&] {
    const std::string study_name = study_name_locked(study_id);
    Stmt q(*this, "SELECT trial_id FROM trials WHERE study_id = ? AND number = ?");
    q.bind(1, study_id).bind(2, trial_number);
    if (!q.step()) {
      throw NotFoundError("no trial number " + std::to_string(trial_number) + " in study '" + study_name + "' in " +
                          url_ + "; list its trials with `autoglm trials --storage " + url_ + "`");
    }
    return q.int64(0);
  });
}

std::vector<FrozenTrial> SQLiteStorage::get_all_trials(int64_t study_id,
                                                       const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "reading trials", [&] {
    std::vector<FrozenTrial> out;
    int64_t last_number = -1;
    {
      // One query checks the study and finds its last number.
      Stmt q(*this, "SELECT (SELECT MAX(number) FROM trials WHERE study_id = s.study_id) FROM studies s "
                    "WHERE s.study_id = ?");
      q.bind(1, study_id);
      if (!q.step()) throw_study_not_found(study_id);
      if (q.is_null(0) || (states && states->empty())) return out;
      last_number = q.int64(0);
    }
    // Pages of kTrialsPerPage numbers (keyset on number), all in this one read transaction.
    std::string where = "t.study_id = ? AND t.number >= ? AND t.number < ?";
    std::vector<Bind> binds{Bind(study_id), Bind(int64_t{0}), Bind(int64_t{0})};
    if (states) {
      where += " AND t.state IN (";
      for (size_t k = 0; k < states->size(); ++k) {
        where += k ? ", ?" : "?";
        binds.emplace_back(std::string(state_name((*states)[k])));
      }
      where += ")";
    }
    for (int64_t first = 0; first <= last_number; first += kTrialsPerPage) {
      binds[1] = first;
      binds[2] = first + kTrialsPerPage;
      std::vector<FrozenTrial> page = load_trials_locked(where, binds);
      if (out.empty()) {
        out = std::move(page);
      } else {
        out.insert(out.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
      }
    }
    return out;
  });
}

int SQLiteStorage::get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "counting trials", [&] {
    study_name_locked(study_id);
    std::string sql = "SELECT COUNT(*) FROM trials t WHERE t.study_id = ?";
    std::vector<Bind> binds{Bind(study_id)};
    if (states) {
      if (states->empty()) return 0;
      sql += " AND t.state IN (";
      for (size_t k = 0; k < states->size(); ++k) {
        sql += k ? ", ?" : "?";
        binds.emplace_back(std::string(state_name((*states)[k])));
      }
      sql += ")";
    }
    Stmt q(*this, sql);
    q.bind_all(1, binds).step();
    return static_cast<int>(q.int64(0));
  });
}

std::optional<int64_t> SQLiteStorage::pop_waiting_trial(int64_t study_id) {
  require_writable("take a waiting trial");
  std::lock_guard<std::mutex> lock(mu_);
  // Cheap look without the write lock first: most calls find nothing waiting.
  const bool any_waiting = transact_locked(TxnKind::kRead, "looking for waiting trials", [&] {
    study_name_locked(study_id);
    Stmt q(*this, "SELECT 1 FROM trials WHERE study_id = ? AND state = 'WAITING' LIMIT 1");
    q.bind(1, study_id);
    return q.step();
  });
  if (!any_waiting) return std::nullopt;
  return transact_locked(TxnKind::kWrite, "taking a waiting trial", [&]() -> std::optional<int64_t> {
    Stmt q(*this, "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY number LIMIT 1");
    q.bind(1, study_id);
    if (!q.step()) return std::nullopt;
    const int64_t trial_id = q.int64(0);
    Stmt(*this, "UPDATE trials SET state = 'RUNNING', datetime_start_us = ? WHERE trial_id = ?")
        .bind(1, to_unix_us(now_us()))
        .bind(2, trial_id)
        .run();
    return trial_id;
  });
}

// ---- heartbeats, stale trials, retries, incremental reads ----

namespace {

// Heartbeats older than now - grace_seconds are stale: heartbeat_us < the returned value (the
// cutoff rounded up to a microsecond, so that integer heartbeats compare as the exact cutoff).
int64_t stale_before_us(double grace_seconds) {
  const auto cutoff =
      now_us() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_seconds));
  return std::chrono::ceil<std::chrono::microseconds>(cutoff.time_since_epoch()).count();
}

}  // namespace

bool SQLiteStorage::record_heartbeat(int64_t trial_id) {
  require_writable("record a heartbeat");
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kWrite, "recording a heartbeat", [&] {
    Stmt(*this, "UPDATE trials SET heartbeat_us = ? WHERE trial_id = ? AND state = 'RUNNING'")
        .bind(1, to_unix_us(now_us()))
        .bind(2, trial_id)
        .run();
    if (sqlite3_changes(db_) == 1) return true;
    trial_info_locked(trial_id);  // NotFoundError for an unknown id; otherwise it is not RUNNING
    return false;
  });
}

std::vector<int64_t> SQLiteStorage::get_stale_trial_ids(int64_t study_id, double grace_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "looking for stale trials", [&] {
    std::vector<int64_t> out;
    if (schema_version_ < 2) {  // read-only file without heartbeats: nothing can be stale
      study_name_locked(study_id);
      return out;
    }
    // The LEFT JOIN yields one row with a NULL trial id for a study without stale trials, and no
    // row for an unknown study: one query checks the study and finds the trials.
    Stmt q(*this,
           "SELECT t.trial_id FROM studies s LEFT JOIN trials t ON t.study_id = s.study_id AND t.state = 'RUNNING' "
           "AND t.heartbeat_us < ? WHERE s.study_id = ? ORDER BY t.number");
    q.bind(1, stale_before_us(grace_seconds)).bind(2, study_id);
    if (!q.step()) throw_study_not_found(study_id);
    do {
      if (!q.is_null(0)) out.push_back(q.int64(0));
    } while (q.step());
    return out;
  });
}

std::optional<FailedTrial> SQLiteStorage::fail_running_trial(int64_t trial_id, const std::string& reason,
                                                             int max_retries, std::optional<double> stale_grace_seconds) {
  require_writable("fail a trial");
  const std::string reason_json = dump_json(reason, "fail reason");
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kWrite, "failing a trial", [&]() -> std::optional<FailedTrial> {
    int64_t study_id = -1;
    {
      // Usually the only statement when another worker already failed the trial.
      Stmt q(*this, "SELECT study_id, state, heartbeat_us FROM trials WHERE trial_id = ?");
      q.bind(1, trial_id);
      if (!q.step()) throw_trial_not_found(trial_id);
      if (q.text(1) != state_name(TrialState::RUNNING)) return std::nullopt;
      if (stale_grace_seconds && (q.is_null(2) || q.int64(2) >= stale_before_us(*stale_grace_seconds))) {
        return std::nullopt;
      }
      study_id = q.int64(0);
    }
    // The snapshot before failing: the retry copies its parameters and user attributes.
    const FrozenTrial failed = std::move(load_trials_locked("t.trial_id = ?", {Bind(trial_id)}).front());
    set_state_locked(study_id, trial_id, TrialState::FAIL);
    Stmt(*this,
         "INSERT INTO trial_system_attrs (trial_id, attr_key, value_json) VALUES (?, 'fail_reason', ?) "
         "ON CONFLICT (trial_id, attr_key) DO UPDATE SET value_json = excluded.value_json")
        .bind(1, trial_id)
        .bind(2, reason_json)
        .run();
    FailedTrial out;
    out.trial_id = trial_id;
    out.number = failed.number;
    if (storage_internal::retry_count_of(failed) < max_retries) {
      const FrozenTrial retry = storage_internal::retry_template(failed);
      std::map<std::string, std::string> user_json, system_json;
      for (const auto& [k, v] : retry.user_attrs) user_json[k] = v.dump();  // read back from storage: valid JSON
      for (const auto& [k, v] : retry.system_attrs) system_json[k] = v.dump();
      int number = -1;
      insert_trial_locked(study_id, retry, {}, user_json, system_json, &number);
      out.retry_number = number;
    }
    return out;
  });
}

std::vector<FrozenTrial> SQLiteStorage::get_finished_trials_after(int64_t study_id, int64_t after_sequence, int limit,
                                                                  int64_t* last_sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  return transact_locked(TxnKind::kRead, "reading finished trials", [&] {
    if (schema_version_ < 3) {
      study_name_locked(study_id);
      throw StorageError(url_ + " has schema version " + std::to_string(schema_version_) +
                         ", older than finish sequences (version 3), and was opened read-only; open it once "
                         "read-write (any autoglm command that writes, e.g. `autoglm tune`) to upgrade it");
    }
    std::vector<FrozenTrial> out;
    int64_t last = 0;
    {
      // The sequence of the limit-th finished trial after `after_sequence` bounds the page.
      Stmt q(*this,
             "SELECT MAX(finish_seq) FROM (SELECT finish_seq FROM trials WHERE study_id = ? AND finish_seq > ? "
             "ORDER BY finish_seq LIMIT ?)");
      q.bind(1, study_id).bind(2, after_sequence).bind(3, std::max(limit, 0));
      q.step();
      if (q.is_null(0)) {
        study_name_locked(study_id);  // NotFoundError for an unknown study
        return out;
      }
      last = q.int64(0);
    }
    out = load_trials_locked("t.study_id = ? AND t.finish_seq > ? AND t.finish_seq <= ?",
                             {Bind(study_id), Bind(after_sequence), Bind(last)}, "t.finish_seq");
    *last_sequence = last;
    return out;
  });
}

}  // namespace autoglm
