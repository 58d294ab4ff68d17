#include "storage/postgresql_storage.h"

#include <pqxx/pqxx>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include "autoglm/error.h"
#include "common/text.h"
#include "storage/migration.h"
#include "storage/storage_internal.h"

// ---- query parameters ----
// Every value reaches the server as a text parameter ($1, $2, ...), NULL when absent.
namespace autoglm::pg {
struct Arg {
  std::optional<std::string> text;
};
}  // namespace autoglm::pg

namespace pqxx {
template <>
struct string_traits<autoglm::pg::Arg> {
  static constexpr const char* name() noexcept { return "autoglm::pg::Arg"; }
  static constexpr bool has_null() noexcept { return true; }
  static bool is_null(const autoglm::pg::Arg& a) { return !a.text; }
  static autoglm::pg::Arg null() { return {}; }
  static void from_string(const char str[], autoglm::pg::Arg& a) { a.text = str; }
  static std::string to_string(const autoglm::pg::Arg& a) { return *a.text; }
};
}  // namespace pqxx

namespace autoglm {

using pg::Arg;
using storage_internal::decode_value;
using storage_internal::direction_name;
using storage_internal::dump_json;
using storage_internal::from_unix_us;
using storage_internal::kNaN;
using storage_internal::kNegInf;
using storage_internal::kPosInf;
using storage_internal::now_us;
using storage_internal::PreparedTrial;
using storage_internal::prepare_trial;
using storage_internal::state_from_name;
using storage_internal::state_name;
using storage_internal::to_unix_us;
using storage_internal::value_type_of;

struct PostgreSQLStorage::Connection {
  explicit Connection(const std::string& conninfo) : conn(conninfo), quiet(conn) {}
  ~Connection() = default;
  pqxx::connection conn;
  pqxx::quiet_errorhandler quiet;  // server notices and libpqxx warnings are not the user's business
};

namespace {

using Tx = pqxx::transaction_base;
using ReadTx = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;

/// Thrown when a COMMIT's outcome is unknown (connection lost while committing); caught by
/// retry_locked, which re-runs the transaction in "maybe committed" mode. Never escapes.
struct CommitInDoubt {
  std::string reason;
};

/// Server time in microseconds since the Unix epoch (SQL expression).
constexpr const char* kServerNowUs = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";
/// Key of the advisory lock that serializes schema creation and migrations.
constexpr int64_t kSchemaLockKey = 0x6175746f676c6d;  // "autoglm"

// ---- schema ----

constexpr const char* kSchemaV3Sql = R"sql(
CREATE TABLE autoglm_schema (version INTEGER NOT NULL);
CREATE TABLE studies (
  study_id      BIGSERIAL PRIMARY KEY,
  study_name    TEXT NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE study_directions (
  study_id  BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  PRIMARY KEY (study_id, objective)
);
CREATE TABLE study_user_attrs (
  study_id   BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE study_system_attrs (
  study_id   BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE trials (
  trial_id             BIGSERIAL PRIMARY KEY,
  study_id             BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  number               INTEGER NOT NULL,
  state                TEXT NOT NULL,
  datetime_start_us    BIGINT,
  datetime_complete_us BIGINT,
  heartbeat_us         BIGINT,
  finish_seq           BIGINT,
  creation_token       TEXT UNIQUE,
  UNIQUE (study_id, number)
);
CREATE INDEX trials_study_state ON trials(study_id, state, number);
CREATE INDEX trials_study_finish_seq ON trials(study_id, finish_seq);
CREATE TABLE trial_values (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  objective  INTEGER NOT NULL,
  value      DOUBLE PRECISION,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, objective)
);
CREATE TABLE trial_params (
  trial_id          BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name        TEXT NOT NULL,
  param_value       DOUBLE PRECISION,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE trial_intermediate_values (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step       BIGINT NOT NULL,
  value      DOUBLE PRECISION,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, step)
);
CREATE TABLE trial_user_attrs (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
CREATE TABLE trial_system_attrs (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
INSERT INTO autoglm_schema (version) VALUES (3);
)sql";

/// Upgrades from older schemas (the version-1 layout is tests/storage/data/postgresql_schema_v1.sql).
const std::vector<storage_internal::MigrationRule<pqxx::work>>& migration_rules() {
  static const std::vector<storage_internal::MigrationRule<pqxx::work>> rules = {
      {1, "add_trial_heartbeat",
       [](pqxx::work& tx) { tx.exec("ALTER TABLE trials ADD COLUMN heartbeat_us BIGINT"); }},
      {2, "add_trial_finish_sequence",
       [](pqxx::work& tx) {
         tx.exec("ALTER TABLE trials ADD COLUMN finish_seq BIGINT, ADD COLUMN creation_token TEXT UNIQUE");
         tx.exec(
             "UPDATE trials t SET finish_seq = f.seq FROM ("
             "  SELECT trial_id, ROW_NUMBER() OVER (PARTITION BY study_id ORDER BY datetime_complete_us, trial_id) AS seq"
             "  FROM trials WHERE state IN ('COMPLETE', 'PRUNED', 'FAIL')) f "
             "WHERE t.trial_id = f.trial_id");
         tx.exec("CREATE INDEX trials_study_finish_seq ON trials(study_id, finish_seq)");
       }},
  };
  return rules;
}

// ---- value conversions ----

/// Exact text form of a double that PostgreSQL's float8 input reads back bit for bit.
std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, r.ptr);
}

double parse_double(const char* s) {
  const std::string_view t(s);
  if (t == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (t == "Infinity") return std::numeric_limits<double>::infinity();
  if (t == "-Infinity") return -std::numeric_limits<double>::infinity();
  double v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec != std::errc()) throw StorageError(std::string("cannot read the number '") + s + "' from PostgreSQL");
  return v;
}

Arg a(const std::string& s) { return Arg{s}; }
Arg a(const char* s) { return Arg{std::string(s)}; }
Arg a(double v) { return Arg{double_text(v)}; }
Arg a(int64_t v) { return Arg{std::to_string(v)}; }
Arg a(int v) { return Arg{std::to_string(v)}; }
Arg a(size_t v) { return Arg{std::to_string(v)}; }
Arg a(bool v) { return Arg{std::string(v ? "true" : "false")}; }
Arg a(const std::optional<Clock::time_point>& t) { return t ? a(to_unix_us(*t)) : Arg{}; }
Arg a(const std::optional<int64_t>& v) { return v ? a(*v) : Arg{}; }

/// PostgreSQL array literal ("{1,2,3}") of ids, passed as one parameter and cast in SQL.
Arg id_array(const std::vector<int64_t>& ids) {
  std::string s = "{";
  for (size_t k = 0; k < ids.size(); ++k) s += (k ? "," : "") + std::to_string(ids[k]);
  return Arg{s + "}"};
}
Arg state_array(const std::vector<TrialState>& states) {
  std::string s = "{";
  for (size_t k = 0; k < states.size(); ++k) s += std::string(k ? "," : "") + state_name(states[k]);
  return Arg{s + "}"};
}

pqxx::result q(Tx& tx, const std::string& sql, const std::vector<Arg>& args = {}) {
  return tx.exec_params(sql, pqxx::prepare::make_dynamic_params(args));
}

int64_t i64(const pqxx::field& f) { return f.as<int64_t>(); }
std::optional<Clock::time_point> time_of(const pqxx::field& f) {
  return f.is_null() ? std::nullopt : std::optional<Clock::time_point>(from_unix_us(f.as<int64_t>()));
}
/// A float stored as (value, value_type); the text is parsed only when decode_value uses it.
double value_of(const pqxx::field& value, const pqxx::field& type) {
  const int kind = type.as<int>();
  const bool parsed = !value.is_null() && kind != kPosInf && kind != kNegInf && kind != kNaN;
  return decode_value(value.is_null(), parsed ? parse_double(value.c_str()) : 0.0, kind);
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r(std::random_device{}() ^ (uint64_t{std::random_device{}()} << 32));
  return r;
}

/// Random 128-bit token (32 hex digits) identifying one create_new_trial call.
std::string new_token() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  return buf;
}

// ---- messages ----


/// Newlines and tabs of libpq messages folded into single spaces.
std::string one_line(const std::string& s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

/// The passwords written in `url` (userinfo and "password=" options), raw and percent-decoded.
std::vector<std::string> secrets_of(const std::string& url) {
  std::vector<std::string> out;
  const auto scheme_end = url.find("://");
  const size_t auth_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto at = url.rfind('@');
  if (at != std::string::npos && at > auth_start) {
    const auto colon = url.find(':', auth_start);
    if (colon != std::string::npos && colon < at) out.push_back(url.substr(colon + 1, at - colon - 1));
  }
  const std::string low = ascii_lower(url);
  for (size_t pos = 0; (pos = low.find("password=", pos)) != std::string::npos;) {
    pos += 9;
    const size_t end = std::min(url.find_first_of("& ;", pos), url.size());
    out.push_back(url.substr(pos, end - pos));
  }
  std::vector<std::string> all;
  for (const auto& s : out) {
    if (s.empty()) continue;
    all.push_back(s);
    if (std::string d = percent_decode(s); d != s && !d.empty()) all.push_back(d);
  }
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.size() > y.size(); });
  return all;
}

/// A driver message made safe to show: one line, any password of `raw_url` replaced by "***".
std::string clean_message(const std::string& msg, const std::string& raw_url) {
  std::string out = one_line(msg);
  for (const std::string& secret : secrets_of(raw_url)) {
    for (size_t pos = 0; (pos = out.find(secret, pos)) != std::string::npos;) {
      out.replace(pos, secret.size(), "***");
      pos += 3;
    }
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  return out;
}

/// Connection-level SQLSTATEs: the session is gone (class 08, admin shutdown / crash / starting up).
bool connection_lost_state(const std::string& st) {
  return st.rfind("08", 0) == 0 || st == "57P01" || st == "57P02" || st == "57P03";
}
bool conflict_state(const std::string& st) { return st == "40001" || st == "40P01"; }

/// libpq URLs are parsed by libpq, which reads an unencoded '@' or '/' in the password as the
/// end of the user info (and may then echo part of the password in its error). Refused first.
void check_url_syntax(const std::string& url, const std::string& shown) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return;
  const size_t auth_start = scheme_end + 3;
  const auto at = url.rfind('@');
  if (at == std::string::npos || at < auth_start) return;
  const std::string userinfo = url.substr(auth_start, at - auth_start);
  if (userinfo.find_first_of("@/?#") != std::string::npos) {
    throw ConfigError("storage URL '" + shown +
                      "': the user name or password holds '@', '/', '?' or '#'; percent-encode them (%40, %2F, %3F, "
                      "%23) as in postgresql://user:my%40pw@host:5432/database");
  }
}

/// conninfo for libpq: the URL plus defaults it does not set itself.
std::string conninfo_of(const std::string& url, int connect_timeout) {
  std::string out = url;
  const std::string low = ascii_lower(url);
  auto add = [&](const std::string& key, const std::string& value) {
    if (low.find(key + "=") != std::string::npos) return;
    out += (out.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
  };
  add("connect_timeout", std::to_string(connect_timeout));
  add("application_name", "autoglm");
  add("client_encoding", "UTF8");
  // Notice a dead peer within about a minute instead of the OS default (hours).
  add("keepalives_idle", "30");
  add("keepalives_interval", "10");
  add("keepalives_count", "3");
  // ... and of a peer that stops acknowledging what was sent (a network partition mid-query).
  add("tcp_user_timeout", "30000");
  // Server side, for this session: a client cut off inside a transaction (its row locks would
  // stall every worker's stale-trial sweep) is ended after 30 s, and a silent client's session
  // (with a study lock, Storage::lock_study) is noticed by the server's keepalives in about a
  // minute. (libpq "options": -c NAME=VALUE, percent-encoded in a URL.)
  add("options", "-c%20idle_in_transaction_session_timeout%3D30000%20-c%20tcp_keepalives_idle%3D30"
                 "%20-c%20tcp_keepalives_interval%3D10%20-c%20tcp_keepalives_count%3D3");
  return out;
}

}  // namespace

namespace {
std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
}  // namespace

// ---- connection, retries, transactions ----

PostgreSQLStorage::PostgreSQLStorage(std::string url, const StorageOpenOptions& open_options)
    : PostgreSQLStorage(std::move(url), open_options, Options{}) {}

PostgreSQLStorage::PostgreSQLStorage(std::string url, const StorageOpenOptions& open_options, const Options& options)
    : raw_url_(std::move(url)),
      url_(storage_internal::redact_url(raw_url_)),
      conninfo_(conninfo_of(raw_url_, options.connect_timeout_seconds)),
      read_only_(open_options.read_only),
      options_(options) {
  check_url_syntax(raw_url_, url_);
  std::lock_guard<std::mutex> lock(mu_);
  open_locked();
}

PostgreSQLStorage::~PostgreSQLStorage() {
  std::lock_guard<std::mutex> lock(mu_);
  drop_connection_locked();
}

void PostgreSQLStorage::drop_connection_locked() noexcept {
  try {
    conn_.reset();
  } catch (...) {
  }
}

void PostgreSQLStorage::require_writable(const char* what) const {
  if (read_only_) {
    throw StorageError(std::string("cannot ") + what + ": " + url_ +
                       " was opened read-only; open it without read_only to change it");
  }
}

void PostgreSQLStorage::connect_locked(bool opening) {
  try {
    conn_ = std::make_unique<Connection>(conninfo_);
  } catch (const pqxx::broken_connection& e) {
    const std::string msg = clean_message(e.what(), raw_url_);
    const std::string low = ascii_lower(msg);
    auto fail = [&](const std::string& fix) -> void {
      throw StorageError("cannot connect to " + url_ + ": " + msg + "; " + fix);
    };
    if (low.find("password authentication failed") != std::string::npos ||
        low.find("authentication failed") != std::string::npos) {
      fail("check the user name and password in the URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE)");
    }
    if (low.find("no password supplied") != std::string::npos || low.find("password is required") != std::string::npos) {
      fail("put the password in the URL (postgresql://USER:PASSWORD@HOST:PORT/DATABASE) or in ~/.pgpass");
    }
    if (low.find("database") != std::string::npos && low.find("does not exist") != std::string::npos) {
      fail("create it first (createdb NAME, or CREATE DATABASE NAME) or fix the database name in the URL");
    }
    if (low.find("role") != std::string::npos && low.find("does not exist") != std::string::npos) {
      fail("create the role (CREATE ROLE NAME LOGIN PASSWORD '...') or fix the user name in the URL");
    }
    if (low.find("pg_hba.conf") != std::string::npos) {
      fail("allow this client in the server's pg_hba.conf, or use the host and sslmode it accepts");
    }
    if (low.find("permission denied") != std::string::npos || low.find("not permitted") != std::string::npos) {
      fail("grant the user CONNECT on the database");
    }
    if (low.find("ssl") != std::string::npos &&
        (low.find("not support") != std::string::npos || low.find("required") != std::string::npos)) {
      fail("set ?sslmode= in the URL to what the server supports");
    }
    if (low.find("could not translate host name") != std::string::npos) {
      if (opening) fail("check the host name in the URL");
      throw;  // a DNS hiccup of a storage that worked: retried
    }
    // libpq's URL / option parse errors (they start the message; host names may hold these words).
    for (const char* prefix : {"invalid ", "unexpected ", "missing ", "unterminated ", "extra "}) {
      if (low.rfind(prefix, 0) == 0) {
        throw ConfigError("storage URL '" + url_ + "' is malformed (" + msg +
                          "); write postgresql://USER:PASSWORD@HOST:PORT/DATABASE[?sslmode=...]");
      }
    }
    throw;  // transient: the caller backs off and retries
  }
}

template <typename Attempt>
auto PostgreSQLStorage::retry_locked(const char* what, double window_seconds, bool opening, Attempt&& attempt) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> deadline;
  std::chrono::microseconds backoff(50'000);
  bool maybe_committed = false;
  for (;;) {
    std::string reason;
    bool conflict = false;
    try {
      if (!conn_) connect_locked(opening);
      return attempt(maybe_committed);
    } catch (const CommitInDoubt& e) {
      maybe_committed = true;
      reason = e.reason;
      drop_connection_locked();
    } catch (const pqxx::in_doubt_error& e) {
      maybe_committed = true;
      reason = e.what();
      drop_connection_locked();
    } catch (const pqxx::broken_connection& e) {
      reason = e.what();
      drop_connection_locked();
    } catch (const pqxx::sql_error& e) {
      const std::string st = e.sqlstate();
      if (conflict_state(st)) {
        reason = e.what();
        conflict = true;
      } else if (connection_lost_state(st) || (conn_ && !conn_->conn.is_open())) {
        reason = e.what();
        drop_connection_locked();
      } else {
        std::string fix = "report this with the message";
        if (st == "42501") fix = "grant the user the privileges it needs (e.g. GRANT CREATE ON SCHEMA public TO USER)";
        if (st == "25006") fix = "the server is read-only (a standby?); connect to the primary";
        if (st == "53100") fix = "the server's disk is full; free some space";
        if (st == "53300") fix = "the server has too many connections; raise max_connections or run fewer workers";
        throw StorageError("PostgreSQL error on " + url_ + " while " + what + ": " +
                           clean_message(e.what(), raw_url_) + (st.empty() ? "" : " (SQLSTATE " + st + ")") + "; " +
                           fix);
      }
    } catch (const pqxx::failure& e) {
      if (conn_ && !conn_->conn.is_open()) {
        reason = e.what();
        drop_connection_locked();
      } else {
        throw StorageError("PostgreSQL error on " + url_ + " while " + what + ": " +
                           clean_message(e.what(), raw_url_) + "; report this with the message");
      }
    } catch (const pqxx::usage_error& e) {
      throw StorageError("PostgreSQL driver error on " + url_ + " while " + what + ": " +
                         clean_message(e.what(), raw_url_) + "; report this with the message");
    } catch (const pqxx::conversion_error& e) {
      throw StorageError("unexpected data in " + url_ + " while " + what + ": " + clean_message(e.what(), raw_url_) +
                         "; was the database changed by another program?");
    }
    const auto now = Clock::now();
    if (!deadline) {
      deadline = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(window_seconds));
      // Tell the operator at once (one line per outage), not only when the window runs out.
      if (!conflict && !opening)
        std::fprintf(stderr, "autoglm: warning: lost the connection to %s while %s (%s); reconnecting for up to %g s\n",
                     url_.c_str(), what, first_line(clean_message(reason, raw_url_)).c_str(), window_seconds);
    }
    if (now >= *deadline) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", window_seconds);
      if (conflict) {
        throw StorageError("PostgreSQL kept aborting a transaction on " + url_ + " while " + what + " for " + secs +
                           " s: " + clean_message(reason, raw_url_) + "; retry, and look for a stuck session");
      }
      throw StorageError("cannot reach " + url_ + " while " + what + " for " + secs +
                         " s: " + clean_message(reason, raw_url_) +
                         "; check that the server is running and reachable");
    }
    std::uniform_real_distribution<double> jitter(0.5, 1.5);
    auto sleep = std::chrono::duration_cast<std::chrono::microseconds>(backoff * jitter(rng()));
    sleep = std::min<std::chrono::microseconds>(
        sleep, std::chrono::duration_cast<std::chrono::microseconds>(*deadline - now) + std::chrono::milliseconds(1));
    std::this_thread::sleep_for(sleep);
    backoff = std::min<std::chrono::microseconds>(backoff * 2, std::chrono::seconds(2));
  }
}

template <typename Body>
auto PostgreSQLStorage::write_locked(const char* what, Body&& body) {
  return retry_locked(what, options_.reconnect_seconds, false, [&](bool maybe_committed) {
    pqxx::work tx(conn_->conn);
    auto commit = [&] {
      try {
        tx.commit();
        if (options_.simulate_lost_commit_replies && !maybe_committed) {
          throw CommitInDoubt{"simulated loss of the COMMIT reply"};
        }
      } catch (const pqxx::in_doubt_error& e) {
        throw CommitInDoubt{e.what()};
      } catch (const pqxx::sql_error& e) {
        if (conflict_state(e.sqlstate()) || conn_->conn.is_open()) throw;  // the server said no: not committed
        throw CommitInDoubt{e.what()};
      } catch (const pqxx::broken_connection& e) {
        throw CommitInDoubt{e.what()};
      }
    };
    using R = decltype(body(tx, maybe_committed));
    if constexpr (std::is_void_v<R>) {
      body(tx, maybe_committed);
      commit();
    } else {
      R r = body(tx, maybe_committed);
      commit();
      return r;
    }
  });
}

template <typename Body>
auto PostgreSQLStorage::read_locked(const char* what, Body&& body) {
  return retry_locked(what, options_.reconnect_seconds, false, [&](bool) {
    ReadTx tx(conn_->conn);
    auto r = body(static_cast<Tx&>(tx));
    tx.commit();
    return r;
  });
}

// ---- opening: inspect, create, migrate ----

namespace {

struct SchemaInfo {
  int64_t version = 0;  // 0: empty database
  std::string other_tables;
  int n_other = 0;
  bool has_schema_table = false;
};

SchemaInfo inspect_schema(Tx& tx) {
  SchemaInfo info;
  auto tables = tx.exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name");
  for (const auto& row : tables) {
    const std::string name = row[0].c_str();
    if (name == "autoglm_schema") {
      info.has_schema_table = true;
    } else if (info.n_other++ < 5) {
      info.other_tables += (info.other_tables.empty() ? "" : ", ") + name;
    }
  }
  if (info.has_schema_table) {
    auto v = tx.exec("SELECT MAX(version) FROM autoglm_schema");
    info.version = v[0][0].is_null() ? -1 : v[0][0].as<int64_t>();
  }
  return info;
}

}  // namespace

void PostgreSQLStorage::open_locked() {
  const int target = kSchemaVersion;
  auto check = [&](const SchemaInfo& info) {
    if (!info.has_schema_table) {
      if (info.n_other == 0) return;
      throw StorageError(url_ + " is not an Open-AutoGLM database: it holds tables of another program (" +
                         info.other_tables + (info.n_other > 5 ? ", ..." : "") +
                         ") and no autoglm_schema; nothing was changed; pass the URL of an empty database (createdb NAME)");
    }
    if (info.version > target) {
      throw StorageError(url_ + " was written by a newer Open-AutoGLM (schema " + std::to_string(info.version) +
                         " > " + std::to_string(target) + "); upgrade autoglm");
    }
    if (info.version < 1) {
      throw StorageError(url_ + " records an invalid schema version " + std::to_string(info.version) +
                         " (damaged Open-AutoGLM database); restore it from a backup or use a new database");
    }
  };
  auto read_attempt = [&](bool) {
    ReadTx tx(conn_->conn);
    SchemaInfo info = inspect_schema(tx);
    tx.commit();
    return info;
  };
  // 1. Look before touching anything: a refused database is left exactly as it was.
  SchemaInfo info = retry_locked("opening the storage", options_.open_retry_seconds, true, read_attempt);
  check(info);
  if (read_only_) {
    if (!info.has_schema_table) {
      throw StorageError(url_ + " is not an Open-AutoGLM database (no autoglm_schema table); check the --storage URL");
    }
    if (info.version < target) {
      throw StorageError(url_ + " has the older schema " + std::to_string(info.version) + " (this autoglm reads " +
                         std::to_string(target) + "); open it once without read-only (e.g. `autoglm tune`) to upgrade it");
    }
    return;
  }
  if (info.has_schema_table && info.version == target) return;

  // 2. Create or migrate, each step in its own transaction under the schema lock; the state is
  // re-read under the lock because another process may have done the work meanwhile.
  auto locked_step = [&](bool) -> bool {  // true when the schema is current
    pqxx::work tx(conn_->conn);
    q(tx, "SELECT pg_advisory_xact_lock($1::bigint)", {a(kSchemaLockKey)});
    SchemaInfo now = inspect_schema(tx);
    check(now);
    if (!now.has_schema_table) {
      tx.exec(kSchemaV3Sql);
    } else if (now.version < target) {
      auto path = storage_internal::migration_path(migration_rules(), static_cast<int>(now.version),
                                                   static_cast<int>(now.version) + 1, url_);
      path.front()->apply(tx);
      q(tx, "UPDATE autoglm_schema SET version = $1::integer", {a(now.version + 1)});
    }
    tx.commit();  // an in-doubt commit is harmless: the next step re-reads the version
    return !now.has_schema_table || now.version + 1 >= target;
  };
  // The whole chain must be known before the first rule runs (a gap is refused up front).
  if (info.has_schema_table) storage_internal::migration_path(migration_rules(), static_cast<int>(info.version), target, url_);
  while (!retry_locked("creating or upgrading the database schema", options_.open_retry_seconds, true, locked_step)) {
  }
}

// ---- lookups shared by several methods (inside a transaction) ----

namespace {

struct TrialInfo {
  int64_t study_id;
  int number;
  TrialState state;
  std::string study_name;
};

std::string study_hint(const std::string& url) { return "list studies with `autoglm studies --storage " + url + "`"; }

std::string study_name_of(Tx& tx, int64_t study_id, const std::string& url, bool lock = false) {
  auto r = q(tx, std::string("SELECT study_name FROM studies WHERE study_id = $1") + (lock ? " FOR NO KEY UPDATE" : ""),
             {a(study_id)});
  if (r.empty()) {
    throw NotFoundError("no study with id " + std::to_string(study_id) + " in " + url + "; " + study_hint(url));
  }
  return r[0][0].c_str();
}

TrialState parse_state(const pqxx::field& f, int64_t trial_id, const std::string& url) {
  auto state = state_from_name(f.c_str());
  if (!state) {
    throw StorageError("trial id " + std::to_string(trial_id) + " in " + url + " has an unknown state '" + f.c_str() +
                       "' (written by a newer Open-AutoGLM?); upgrade autoglm");
  }
  return *state;
}

TrialInfo trial_info(Tx& tx, int64_t trial_id, const std::string& url, bool lock = false) {
  auto r = q(tx,
             std::string("SELECT t.study_id, t.number, t.state, s.study_name FROM trials t "
                         "JOIN studies s ON s.study_id = t.study_id WHERE t.trial_id = $1") +
                 (lock ? " FOR NO KEY UPDATE OF t" : ""),
             {a(trial_id)});
  if (r.empty()) {
    throw NotFoundError("no trial with id " + std::to_string(trial_id) + " in " + url +
                        "; list a study's trials with `autoglm trials --storage " + url + "`");
  }
  return TrialInfo{i64(r[0][0]), r[0][1].as<int>(), parse_state(r[0][2], trial_id, url), r[0][3].c_str()};
}

UpdateFinishedTrialError finished_error(const TrialInfo& info, int64_t trial_id, const std::string& url) {
  return UpdateFinishedTrialError("trial " + std::to_string(info.number) + " (id " + std::to_string(trial_id) +
                                  ") of study '" + info.study_name + "' in " + url + " is already " +
                                  state_name(info.state) + " and cannot change again; create a new trial instead");
}

/// The trial's info, its row locked; throws NotFoundError / UpdateFinishedTrialError.
TrialInfo updatable_trial(Tx& tx, int64_t trial_id, const std::string& url) {
  TrialInfo info = trial_info(tx, trial_id, url, /*lock=*/true);
  if (is_finished(info.state)) throw finished_error(info, trial_id, url);
  return info;
}

/// Serializes first uses of a parameter name in a study (an advisory lock on the pair), then
/// checks the new distribution against the one the study uses. Throws ConfigError.
void check_param(Tx& tx, int64_t study_id, const std::string& study_name, const std::string& name,
                 const Distribution& distribution) {
  q(tx, "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 0))", {a(study_id), a(name)});
  auto r = q(tx,
             "SELECT p.distribution_json FROM trial_params p JOIN trials t ON t.trial_id = p.trial_id "
             "WHERE t.study_id = $1 AND p.param_name = $2 LIMIT 1",
             {a(study_id), a(name)});
  if (r.empty()) return;
  Distribution before = distribution_from_json(nlohmann::json::parse(r[0][0].c_str()));
  if (!compatible(before, distribution)) {
    throw ConfigError(storage_internal::incompatible_param_message(name, study_name, before, distribution));
  }
}

/// Next finish sequence of a study; the caller holds the study's row lock.
int64_t next_finish_seq(Tx& tx, int64_t study_id) {
  return i64(q(tx, "SELECT COALESCE(MAX(finish_seq), 0) + 1 FROM trials WHERE study_id = $1", {a(study_id)})[0][0]);
}

/// Inserts a trial (the study's row is already locked by the caller); returns (trial id, number).
std::pair<int64_t, int> insert_trial(Tx& tx, int64_t study_id, const std::string& study_name, const PreparedTrial& p,
                                     const std::string& token) {
  const FrozenTrial& t = p.t;
  for (const auto& [name, d] : t.distributions) check_param(tx, study_id, study_name, name, d);
  const int number =
      q(tx, "SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = $1", {a(study_id)})[0][0].as<int>();
  std::optional<int64_t> seq;
  if (is_finished(t.state)) seq = next_finish_seq(tx, study_id);
  const int64_t trial_id = i64(q(tx,
                                 std::string("INSERT INTO trials (study_id, number, state, datetime_start_us, "
                                             "datetime_complete_us, finish_seq, creation_token, heartbeat_us) VALUES "
                                             "($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN ") +
                                     kServerNowUs + " END) RETURNING trial_id",
                                 {a(study_id), a(number), a(state_name(t.state)), a(t.datetime_start),
                                  a(t.datetime_complete), a(seq), a(token),
                                  a(t.state == TrialState::RUNNING && t.last_heartbeat.has_value())})[0][0]);
  for (size_t k = 0; k < t.values.size(); ++k) {
    q(tx, "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, $2, $3, $4)",
      {a(trial_id), a(k), a(t.values[k]), a(value_type_of(t.values[k]))});
  }
  for (const auto& [name, value] : t.params) {
    q(tx, "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4)",
      {a(trial_id), a(name), a(value), a(p.distribution_json.at(name))});
  }
  for (const auto& [step, value] : t.intermediate_values) {
    q(tx, "INSERT INTO trial_intermediate_values (trial_id, step, value, value_type) VALUES ($1, $2, $3, $4)",
      {a(trial_id), a(step), a(value), a(value_type_of(value))});
  }
  for (const auto& [k, v] : p.user_json) {
    q(tx, "INSERT INTO trial_user_attrs (trial_id, attr_key, value_json) VALUES ($1, $2, $3)", {a(trial_id), a(k), a(v)});
  }
  for (const auto& [k, v] : p.system_json) {
    q(tx, "INSERT INTO trial_system_attrs (trial_id, attr_key, value_json) VALUES ($1, $2, $3)",
      {a(trial_id), a(k), a(v)});
  }
  return {trial_id, number};
}

constexpr const char* kTrialColumns =
    "t.trial_id, t.number, t.state, t.datetime_start_us, t.datetime_complete_us, t.heartbeat_us, t.finish_seq";

/// Appends the trials of `rows` (selected with kTrialColumns) to `out` with all their child rows.
/// Returns the finish_seq of the last row (0 when none or NULL).
int64_t load_page(Tx& tx, const pqxx::result& rows, std::vector<FrozenTrial>& out, const std::string& url) {
  if (rows.empty()) return 0;
  std::unordered_map<int64_t, size_t> index;
  std::vector<int64_t> ids;
  ids.reserve(rows.size());
  int64_t last_seq = 0;
  for (const auto& row : rows) {
    FrozenTrial& t = out.emplace_back();
    t.trial_id = i64(row[0]);
    t.number = row[1].as<int>();
    t.state = parse_state(row[2], t.trial_id, url);
    t.datetime_start = time_of(row[3]);
    t.datetime_complete = time_of(row[4]);
    t.last_heartbeat = time_of(row[5]);
    last_seq = row[6].is_null() ? 0 : i64(row[6]);
    index[t.trial_id] = out.size() - 1;
    ids.push_back(t.trial_id);
  }
  const Arg id_arg = id_array(ids);
  auto child = [&](const char* sql) { return q(tx, sql, {id_arg}); };
  for (const auto& r : child("SELECT trial_id, objective, value, value_type FROM trial_values "
                             "WHERE trial_id = ANY($1::bigint[]) ORDER BY trial_id, objective")) {
    FrozenTrial& t = out[index.at(i64(r[0]))];
    const size_t k = r[1].as<size_t>();
    if (t.values.size() <= k) t.values.resize(k + 1, std::numeric_limits<double>::quiet_NaN());
    t.values[k] = value_of(r[2], r[3]);
  }
  std::unordered_map<std::string, Distribution> parsed;  // Most trials share a few distributions.
  for (const auto& r : child("SELECT trial_id, param_name, param_value, distribution_json FROM trial_params "
                             "WHERE trial_id = ANY($1::bigint[])")) {
    FrozenTrial& t = out[index.at(i64(r[0]))];
    std::string name = r[1].c_str();
    std::string json = r[3].c_str();
    auto it = parsed.find(json);
    if (it == parsed.end()) it = parsed.emplace(json, distribution_from_json(nlohmann::json::parse(json))).first;
    t.params[name] = r[2].is_null() ? std::numeric_limits<double>::quiet_NaN() : parse_double(r[2].c_str());
    t.distributions.insert_or_assign(std::move(name), it->second);
  }
  for (const auto& r : child("SELECT trial_id, step, value, value_type FROM trial_intermediate_values "
                             "WHERE trial_id = ANY($1::bigint[])")) {
    out[index.at(i64(r[0]))].intermediate_values[i64(r[1])] = value_of(r[2], r[3]);
  }
  for (const bool user : {true, false}) {
    for (const auto& r : child(user ? "SELECT trial_id, attr_key, value_json FROM trial_user_attrs "
                                      "WHERE trial_id = ANY($1::bigint[])"
                                    : "SELECT trial_id, attr_key, value_json FROM trial_system_attrs "
                                      "WHERE trial_id = ANY($1::bigint[])")) {
      FrozenTrial& t = out[index.at(i64(r[0]))];
      (user ? t.user_attrs : t.system_attrs)[r[1].c_str()] = nlohmann::json::parse(r[2].c_str());
    }
  }
  return last_seq;
}

std::optional<FrozenTrial> load_trial(Tx& tx, int64_t trial_id, const std::string& url) {
  std::vector<FrozenTrial> out;
  load_page(tx, q(tx, std::string("SELECT ") + kTrialColumns + " FROM trials t WHERE t.trial_id = $1", {a(trial_id)}),
            out, url);
  if (out.empty()) return std::nullopt;
  return std::move(out.front());
}

}  // namespace

// ---- studies ----

int64_t PostgreSQLStorage::create_new_study(const std::string& study_name, const std::vector<StudyDirection>& directions) {
  require_writable("create a study");
  if (directions.empty()) {
    throw ConfigError("study '" + study_name + "' needs at least one direction (minimize or maximize)");
  }
  const int64_t created = to_unix_us(now_us());  // also identifies this call after an in-doubt commit
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("creating a study", [&](Tx& tx, bool maybe_committed) -> int64_t {
    auto exists = q(tx, "SELECT study_id, created_at_us FROM studies WHERE study_name = $1", {a(study_name)});
    if (!exists.empty()) {
      if (maybe_committed && i64(exists[0][1]) == created) return i64(exists[0][0]);
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists in " + url_ +
                                 "; choose another name or load it (load_if_exists)");
    }
    // ON CONFLICT: a concurrent creator of the same name commits first -> no row -> duplicate.
    auto ins = q(tx,
                 "INSERT INTO studies (study_name, created_at_us) VALUES ($1, $2) "
                 "ON CONFLICT (study_name) DO NOTHING RETURNING study_id",
                 {a(study_name), a(created)});
    if (ins.empty()) {
      throw DuplicatedStudyError("a study named '" + study_name + "' already exists in " + url_ +
                                 "; choose another name or load it (load_if_exists)");
    }
    const int64_t id = i64(ins[0][0]);
    for (size_t k = 0; k < directions.size(); ++k) {
      q(tx, "INSERT INTO study_directions (study_id, objective, direction) VALUES ($1, $2, $3)",
        {a(id), a(k), a(direction_name(directions[k]))});
    }
    return id;
  });
}

void PostgreSQLStorage::delete_study(int64_t study_id) {
  require_writable("delete a study");
  std::lock_guard<std::mutex> lock(mu_);
  write_locked("deleting a study", [&](Tx& tx, bool maybe_committed) {
    auto r = q(tx, "DELETE FROM studies WHERE study_id = $1 RETURNING study_id", {a(study_id)});
    if (r.empty() && !maybe_committed) {
      throw NotFoundError("no study with id " + std::to_string(study_id) + " in " + url_ + "; " + study_hint(url_));
    }
  });
}

int64_t PostgreSQLStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("looking up a study", [&](Tx& tx) {
    auto r = q(tx, "SELECT study_id FROM studies WHERE study_name = $1", {a(study_name)});
    if (r.empty()) {
      throw NotFoundError("no study named '" + study_name + "' in " + url_ + "; " + study_hint(url_));
    }
    return i64(r[0][0]);
  });
}

std::string PostgreSQLStorage::get_study_name_from_id(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("looking up a study", [&](Tx& tx) { return study_name_of(tx, study_id, url_); });
}

std::vector<StudyDirection> PostgreSQLStorage::get_study_directions(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("reading study directions", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::vector<StudyDirection> out;
    for (const auto& r : q(tx, "SELECT direction FROM study_directions WHERE study_id = $1 ORDER BY objective",
                           {a(study_id)})) {
      out.push_back(std::string(r[0].c_str()) == "MAXIMIZE" ? StudyDirection::MAXIMIZE : StudyDirection::MINIMIZE);
    }
    return out;
  });
}

void PostgreSQLStorage::set_study_attr_locked(const char* table, int64_t study_id, const std::string& key,
                                              const nlohmann::json& value) {
  const std::string text = dump_json(value, "study attribute '" + key + "'");
  write_locked("setting a study attribute", [&](Tx& tx, bool) {
    study_name_of(tx, study_id, url_);
    q(tx,
      std::string("INSERT INTO ") + table +
          " (study_id, attr_key, value_json) VALUES ($1, $2, $3) "
          "ON CONFLICT (study_id, attr_key) DO UPDATE SET value_json = excluded.value_json",
      {a(study_id), a(key), a(text)});
  });
}

void PostgreSQLStorage::set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a study attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_study_attr_locked("study_user_attrs", study_id, key, value);
}

void PostgreSQLStorage::set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a study attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_study_attr_locked("study_system_attrs", study_id, key, value);
}

std::map<std::string, nlohmann::json> PostgreSQLStorage::get_study_user_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("reading study attributes", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::map<std::string, nlohmann::json> out;
    for (const auto& r : q(tx, "SELECT attr_key, value_json FROM study_user_attrs WHERE study_id = $1", {a(study_id)})) {
      out[r[0].c_str()] = nlohmann::json::parse(r[1].c_str());
    }
    return out;
  });
}

std::map<std::string, nlohmann::json> PostgreSQLStorage::get_study_system_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("reading study attributes", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::map<std::string, nlohmann::json> out;
    for (const auto& r :
         q(tx, "SELECT attr_key, value_json FROM study_system_attrs WHERE study_id = $1", {a(study_id)})) {
      out[r[0].c_str()] = nlohmann::json::parse(r[1].c_str());
    }
    return out;
  });
}

std::vector<StudySummary> PostgreSQLStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("listing studies", [&](Tx& tx) {
    std::vector<StudySummary> out;
    std::unordered_map<int64_t, size_t> index;
    for (const auto& r : tx.exec("SELECT study_id, study_name FROM studies ORDER BY study_id")) {
      index[i64(r[0])] = out.size();
      StudySummary& s = out.emplace_back();
      s.study_id = i64(r[0]);
      s.study_name = r[1].c_str();
    }
    if (out.empty()) return out;
    for (const auto& r : tx.exec("SELECT study_id, direction FROM study_directions ORDER BY study_id, objective")) {
      out[index.at(i64(r[0]))].directions.push_back(std::string(r[1].c_str()) == "MAXIMIZE" ? StudyDirection::MAXIMIZE
                                                                                          : StudyDirection::MINIMIZE);
    }
    for (const bool user : {true, false}) {
      for (const auto& r : tx.exec(user ? "SELECT study_id, attr_key, value_json FROM study_user_attrs"
                                        : "SELECT study_id, attr_key, value_json FROM study_system_attrs")) {
        StudySummary& s = out[index.at(i64(r[0]))];
        (user ? s.user_attrs : s.system_attrs)[r[1].c_str()] = nlohmann::json::parse(r[2].c_str());
      }
    }
    for (const auto& r :
         tx.exec("SELECT study_id, state, COUNT(*), MIN(datetime_start_us) FROM trials GROUP BY study_id, state")) {
      StudySummary& s = out[index.at(i64(r[0]))];
      if (auto state = state_from_name(r[1].c_str())) s.n_trials_by_state[*state] = r[2].as<int>();
      if (auto start = time_of(r[3]); start && (!s.datetime_start || *start < *s.datetime_start)) s.datetime_start = start;
    }
    // Best trial of each single-objective study: best non-NaN value of a COMPLETE trial, lowest
    // number among equals (as the other back ends).
    auto best = tx.exec(
        "SELECT DISTINCT ON (t.study_id) t.study_id, t.trial_id FROM trials t "
        "JOIN trial_values v ON v.trial_id = t.trial_id AND v.objective = 0 "
        "JOIN study_directions d ON d.study_id = t.study_id AND d.objective = 0 "
        "WHERE t.state = 'COMPLETE' AND v.value_type <> 3 AND v.value <> 'NaN'::float8 "
        "  AND NOT EXISTS (SELECT 1 FROM study_directions d1 WHERE d1.study_id = t.study_id AND d1.objective > 0) "
        "ORDER BY t.study_id, "
        "  CASE WHEN d.direction = 'MAXIMIZE' THEN -v.value ELSE v.value END, t.number");
    for (const auto& r : best) {
      if (auto t = load_trial(tx, i64(r[1]), url_)) out[index.at(i64(r[0]))].best_trial = std::move(*t);
    }
    return out;
  });
}

// ---- trials ----

int64_t PostgreSQLStorage::create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial) {
  require_writable("create a trial");
  const PreparedTrial p = prepare_trial(template_trial);  // validated before any transaction
  const std::string token = new_token();
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("creating a trial", [&](Tx& tx, bool maybe_committed) -> int64_t {
    if (maybe_committed) {
      auto r = q(tx, "SELECT trial_id FROM trials WHERE creation_token = $1", {a(token)});
      if (!r.empty()) return i64(r[0][0]);
    }
    const std::string study_name = study_name_of(tx, study_id, url_, /*lock=*/true);
    return insert_trial(tx, study_id, study_name, p, token).first;
  });
}

void PostgreSQLStorage::set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                                        const Distribution& distribution) {
  require_writable("set a trial parameter");
  const std::string json = to_json(distribution).dump();
  std::lock_guard<std::mutex> lock(mu_);
  write_locked("setting a trial parameter", [&](Tx& tx, bool maybe_committed) {
    if (maybe_committed) {
      auto r = q(tx,
                 "SELECT 1 FROM trial_params WHERE trial_id = $1 AND param_name = $2 AND "
                 "param_value IS NOT DISTINCT FROM $3::float8 AND distribution_json = $4",
                 {a(trial_id), a(name), a(internal_value), a(json)});
      if (!r.empty()) return;
    }
    TrialInfo info = updatable_trial(tx, trial_id, url_);
    check_param(tx, info.study_id, info.study_name, name, distribution);
    q(tx,
      "INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, "
      "distribution_json = excluded.distribution_json",
      {a(trial_id), a(name), a(internal_value), a(json)});
  });
}

bool PostgreSQLStorage::set_trial_state_values(int64_t trial_id, TrialState state, const std::vector<double>& values) {
  require_writable("set a trial state");
  const int64_t now = to_unix_us(now_us());  // also identifies this call after an in-doubt commit
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("setting a trial state", [&](Tx& tx, bool maybe_committed) {
    TrialInfo info = trial_info(tx, trial_id, url_);
    if (is_finished(state)) study_name_of(tx, info.study_id, url_, /*lock=*/true);  // finish sequence in commit order
    info = trial_info(tx, trial_id, url_, /*lock=*/true);
    if (maybe_committed && info.state == state) {
      // Did the first attempt land? Then its values and times are there.
      auto r = q(tx, "SELECT datetime_start_us, datetime_complete_us FROM trials WHERE trial_id = $1", {a(trial_id)});
      bool ours = false;
      if (state == TrialState::RUNNING) ours = !r[0][0].is_null() && i64(r[0][0]) == now;
      else if (is_finished(state)) ours = !r[0][1].is_null() && i64(r[0][1]) == now;
      else ours = true;
      if (ours) return true;
    }
    if (is_finished(info.state)) throw finished_error(info, trial_id, url_);
    if (state == TrialState::RUNNING && info.state != TrialState::WAITING) return false;
    std::optional<int64_t> seq;
    if (is_finished(state)) seq = next_finish_seq(tx, info.study_id);
    q(tx,
      "UPDATE trials SET state = $2, "
      "datetime_start_us = CASE WHEN $3::boolean THEN $5::bigint ELSE datetime_start_us END, "
      "datetime_complete_us = CASE WHEN $4::boolean THEN $5::bigint ELSE datetime_complete_us END, "
      "finish_seq = COALESCE($6::bigint, finish_seq) WHERE trial_id = $1",
      {a(trial_id), a(state_name(state)), a(state == TrialState::RUNNING), a(is_finished(state)), a(now), a(seq)});
    if (!values.empty()) {
      q(tx, "DELETE FROM trial_values WHERE trial_id = $1", {a(trial_id)});
      for (size_t k = 0; k < values.size(); ++k) {
        q(tx, "INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES ($1, $2, $3, $4)",
          {a(trial_id), a(k), a(values[k]), a(value_type_of(values[k]))});
      }
    }
    return true;
  });
}

void PostgreSQLStorage::set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) {
  require_writable("report an intermediate value");
  std::lock_guard<std::mutex> lock(mu_);
  write_locked("reporting an intermediate value", [&](Tx& tx, bool maybe_committed) {
    if (maybe_committed) {
      auto r = q(tx,
                 "SELECT 1 FROM trial_intermediate_values WHERE trial_id = $1 AND step = $2 AND value_type = $4 "
                 "AND value IS NOT DISTINCT FROM $3::float8",
                 {a(trial_id), a(step), a(value), a(value_type_of(value))});
      if (!r.empty()) return;
    }
    updatable_trial(tx, trial_id, url_);
    q(tx,
      "INSERT INTO trial_intermediate_values (trial_id, step, value, value_type) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value, value_type = excluded.value_type",
      {a(trial_id), a(step), a(value), a(value_type_of(value))});
  });
}

void PostgreSQLStorage::set_trial_attr_locked(const char* table, int64_t trial_id, const std::string& key,
                                              const nlohmann::json& value) {
  const std::string text = dump_json(value, "trial attribute '" + key + "'");
  write_locked("setting a trial attribute", [&](Tx& tx, bool maybe_committed) {
    if (maybe_committed && !q(tx,
                              std::string("SELECT 1 FROM ") + table +
                                  " WHERE trial_id = $1 AND attr_key = $2 AND value_json = $3",
                              {a(trial_id), a(key), a(text)})
                                 .empty()) {
      return;
    }
    updatable_trial(tx, trial_id, url_);
    q(tx,
      std::string("INSERT INTO ") + table +
          " (trial_id, attr_key, value_json) VALUES ($1, $2, $3) "
          "ON CONFLICT (trial_id, attr_key) DO UPDATE SET value_json = excluded.value_json",
      {a(trial_id), a(key), a(text)});
  });
}

void PostgreSQLStorage::set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a trial attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_trial_attr_locked("trial_user_attrs", trial_id, key, value);
}

void PostgreSQLStorage::set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  require_writable("set a trial attribute");
  std::lock_guard<std::mutex> lock(mu_);
  set_trial_attr_locked("trial_system_attrs", trial_id, key, value);
}

FrozenTrial PostgreSQLStorage::get_trial(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("reading a trial", [&](Tx& tx) {
    auto t = load_trial(tx, trial_id, url_);
    if (!t) {
      throw NotFoundError("no trial with id " + std::to_string(trial_id) + " in " + url_ +
                          "; list a study's trials with `autoglm trials --storage " + url_ + "`");
    }
    return std::move(*t);
  });
}

int64_t PostgreSQLStorage::get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("looking up a trial", [&](Tx& tx) {
    const std::string study_name = study_name_of(tx, study_id, url_);
    auto r = q(tx, "SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2", {a(study_id), a(trial_number)});
    if (r.empty()) {
      throw NotFoundError("no trial number " + std::to_string(trial_number) + " in study '" + study_name + "' in " +
                          url_ + "; list its trials with `autoglm trials --storage " + url_ + "`");
    }
    return i64(r[0][0]);
  });
}

std::vector<FrozenTrial> PostgreSQLStorage::get_all_trials(int64_t study_id,
                                                           const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("reading trials", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::vector<FrozenTrial> out;
    if (states && states->empty()) return out;
    const std::string sql = std::string("SELECT ") + kTrialColumns +
                            " FROM trials t WHERE t.study_id = $1 AND t.number > $2" +
                            (states ? " AND t.state = ANY($4::text[])" : "") + " ORDER BY t.number LIMIT $3";
    int last_number = -1;
    for (;;) {
      std::vector<Arg> args{a(study_id), a(last_number), a(kPageSize)};
      if (states) args.push_back(state_array(*states));
      const size_t before = out.size();
      auto rows = q(tx, sql, args);
      load_page(tx, rows, out, url_);
      if (rows.size() < static_cast<size_t>(kPageSize)) break;
      last_number = out.back().number;
      if (out.size() == before) break;
    }
    return out;
  });
}

int PostgreSQLStorage::get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("counting trials", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    if (states && states->empty()) return 0;
    if (!states) return q(tx, "SELECT COUNT(*) FROM trials WHERE study_id = $1", {a(study_id)})[0][0].as<int>();
    return q(tx, "SELECT COUNT(*) FROM trials WHERE study_id = $1 AND state = ANY($2::text[])",
             {a(study_id), state_array(*states)})[0][0]
        .as<int>();
  });
}

std::optional<int64_t> PostgreSQLStorage::pop_waiting_trial(int64_t study_id) {
  require_writable("take a waiting trial");
  const int64_t now = to_unix_us(now_us());  // also identifies this call after an in-doubt commit
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("taking a waiting trial", [&](Tx& tx, bool maybe_committed) -> std::optional<int64_t> {
    study_name_of(tx, study_id, url_);
    if (maybe_committed) {
      auto r = q(tx,
                 "SELECT trial_id FROM trials WHERE study_id = $1 AND state <> 'WAITING' AND datetime_start_us = $2 "
                 "ORDER BY number LIMIT 1",
                 {a(study_id), a(now)});
      if (!r.empty()) return i64(r[0][0]);
    }
    auto r = q(tx,
               "UPDATE trials SET state = 'RUNNING', datetime_start_us = $2 WHERE trial_id = ("
               "  SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'WAITING' "
               "  ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED) "
               "RETURNING trial_id",
               {a(study_id), a(now)});
    if (r.empty()) return std::nullopt;
    return i64(r[0][0]);
  });
}

// ---- heartbeats, stale trials, retries ----

bool PostgreSQLStorage::record_heartbeat(int64_t trial_id) {
  require_writable("record a heartbeat");
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("recording a heartbeat", [&](Tx& tx, bool) {
    auto r = q(tx,
               std::string("UPDATE trials SET heartbeat_us = ") + kServerNowUs +
                   " WHERE trial_id = $1 AND state = 'RUNNING' RETURNING 1",
               {a(trial_id)});
    if (!r.empty()) return true;
    trial_info(tx, trial_id, url_);  // NotFoundError for an unknown id
    return false;
  });
}

std::vector<int64_t> PostgreSQLStorage::get_stale_trial_ids(int64_t study_id, double grace_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  return read_locked("looking for stale trials", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::vector<int64_t> out;
    for (const auto& r : q(tx,
                           std::string("SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'RUNNING' "
                                       "AND heartbeat_us IS NOT NULL AND heartbeat_us < ") +
                               kServerNowUs + " - ($2::float8 * 1000000)::bigint ORDER BY number",
                           {a(study_id), a(grace_seconds)})) {
      out.push_back(i64(r[0]));
    }
    return out;
  });
}

std::optional<FailedTrial> PostgreSQLStorage::fail_running_trial(int64_t trial_id, const std::string& reason,
                                                                 int max_retries,
                                                                 std::optional<double> stale_grace_seconds) {
  require_writable("fail a trial");
  const std::string reason_json = dump_json(nlohmann::json(reason), "fail reason");
  const std::string token = new_token();  // of the retry trial
  const int64_t now = to_unix_us(now_us());
  std::lock_guard<std::mutex> lock(mu_);
  return write_locked("failing a trial", [&](Tx& tx, bool maybe_committed) -> std::optional<FailedTrial> {
    TrialInfo info = trial_info(tx, trial_id, url_);
    study_name_of(tx, info.study_id, url_, /*lock=*/true);
    info = trial_info(tx, trial_id, url_, /*lock=*/true);
    if (maybe_committed && info.state == TrialState::FAIL) {
      auto done = q(tx, "SELECT datetime_complete_us FROM trials WHERE trial_id = $1", {a(trial_id)});
      if (!done[0][0].is_null() && i64(done[0][0]) == now) {  // the first attempt landed
        FailedTrial out{trial_id, info.number, std::nullopt};
        auto retry = q(tx, "SELECT number FROM trials WHERE creation_token = $1", {a(token)});
        if (!retry.empty()) out.retry_number = retry[0][0].as<int>();
        return out;
      }
    }
    if (info.state != TrialState::RUNNING) return std::nullopt;
    if (stale_grace_seconds) {
      auto stale = q(tx,
                     std::string("SELECT heartbeat_us IS NOT NULL AND heartbeat_us < ") + kServerNowUs +
                         " - ($2::float8 * 1000000)::bigint FROM trials WHERE trial_id = $1",
                     {a(trial_id), a(*stale_grace_seconds)});
      if (!stale[0][0].as<bool>()) return std::nullopt;
    }
    q(tx,
      "INSERT INTO trial_system_attrs (trial_id, attr_key, value_json) VALUES ($1, 'fail_reason', $2) "
      "ON CONFLICT (trial_id, attr_key) DO UPDATE SET value_json = excluded.value_json",
      {a(trial_id), a(reason_json)});
    q(tx, "UPDATE trials SET state = 'FAIL', datetime_complete_us = $2, finish_seq = $3 WHERE trial_id = $1",
      {a(trial_id), a(now), a(next_finish_seq(tx, info.study_id))});
    FailedTrial out{trial_id, info.number, std::nullopt};
    const FrozenTrial failed = *load_trial(tx, trial_id, url_);
    if (storage_internal::retry_count_of(failed) < max_retries) {
      const PreparedTrial retry = prepare_trial(storage_internal::retry_template(failed));
      out.retry_number = insert_trial(tx, info.study_id, info.study_name, retry, token).second;
    }
    return out;
  });
}

// ---- incremental reads ----

std::vector<FrozenTrial> PostgreSQLStorage::get_finished_trials_after(int64_t study_id, int64_t after_sequence,
                                                                      int limit, int64_t* last_sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [trials, last] = read_locked("reading finished trials", [&](Tx& tx) {
    study_name_of(tx, study_id, url_);
    std::vector<FrozenTrial> out;
    int64_t after = after_sequence;
    std::optional<int64_t> last_seen;
    while (static_cast<int>(out.size()) < limit) {
      const int page = std::min(kPageSize, limit - static_cast<int>(out.size()));
      auto rows = q(tx,
                    std::string("SELECT ") + kTrialColumns +
                        " FROM trials t WHERE t.study_id = $1 AND t.finish_seq > $2 ORDER BY t.finish_seq LIMIT $3",
                    {a(study_id), a(after), a(page)});
      if (rows.empty()) break;
      after = load_page(tx, rows, out, url_);
      last_seen = after;
      if (static_cast<int>(rows.size()) < page) break;
    }
    return std::make_pair(std::move(out), last_seen);
  });
  if (last && last_sequence) *last_sequence = *last;
  return std::move(trials);
}

// ---- study lock ----

namespace {
// First key of the two-key advisory locks, so they cannot collide with another application's.
constexpr int kAdvisoryLockSpace = 0x61676c6d;  // "aglm"
}  // namespace

class PostgreSQLStorage::AdvisoryLock final : public StudyLock {
 public:
  AdvisoryLock(PostgreSQLStorage& owner, int64_t study_id, const void* session)
      : owner_(owner), study_id_(study_id), session_(session) {}
  ~AdvisoryLock() override { owner_.unlock_study(study_id_, session_); }

 private:
  PostgreSQLStorage& owner_;
  const int64_t study_id_;
  const void* session_;  // the Connection that took it: a reconnect lost it with the old session
};

std::unique_ptr<StudyLock> PostgreSQLStorage::lock_study(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const void* session = nullptr;
  const bool got = retry_locked("locking the study", options_.reconnect_seconds, false, [&](bool) {
    // A session lock taken inside a transaction outlives it; lock_timeout bounds the wait.
    pqxx::work tx(conn_->conn);
    session = conn_.get();
    tx.exec("SET LOCAL lock_timeout = '" + std::to_string(static_cast<int>(kStudyLockWaitSeconds * 1000)) + "ms'");
    try {
      tx.exec_params("SELECT pg_advisory_lock($1, $2)", kAdvisoryLockSpace, static_cast<int>(study_id));
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "55P03") throw;  // lock_not_available: waited kStudyLockWaitSeconds
      return false;
    }
    tx.commit();
    return true;
  });
  if (!got) return nullptr;
  return std::make_unique<AdvisoryLock>(*this, study_id, session);
}

void PostgreSQLStorage::unlock_study(int64_t study_id, const void* session) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  if (!conn_ || conn_.get() != session) return;  // the session (and the lock) is gone
  try {
    pqxx::nontransaction tx(conn_->conn);
    tx.exec_params("SELECT pg_advisory_unlock($1, $2)", kAdvisoryLockSpace, static_cast<int>(study_id));
  } catch (...) {
    drop_connection_locked();  // closing the session releases the lock
  }
}

}  // namespace autoglm
