// The PostgreSQL server of the tests (header-only; needs libpqxx and the compile definitions
// AUTOGLM_SOURCE_DIR / AUTOGLM_BINARY_DIR that every test executable gets).
//
// postgres_url(): the server's URL. $AUTOGLM_TEST_PG_URL when set (a server of your own; the
// role needs CREATEDB); otherwise the shared test cluster in ${AUTOGLM_BINARY_DIR}/test-pg, which
// the first caller on the machine starts with scripts/test_pg.sh (under an flock, so test
// processes running in parallel start it once) and ctest's `postgres_stop` cleanup fixture stops.
// Throws std::runtime_error (the test fails, it is not skipped) when the server cannot be
// started, e.g. when PostgreSQL is not installed: run scripts/setup.sh.
//
// fresh_postgres_database(url): CREATEs a new, uniquely named database (autoglm_test_PID_N_RAND)
// on that server and returns its URL. drop_postgres_database(url) drops one. Databases left by
// test processes that died are dropped on the next process's first call (shared cluster only).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

namespace autoglm::testing_util {

/// Runs `command` with sh; returns its stdout+stderr, sets *status to its exit status.
inline std::string run_shell(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) {
    *status = -1;
    return "popen failed";
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int rc = pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
  return out;
}

/// scripts/test_pg.sh VERB DIR ARGS...; throws std::runtime_error with its output on failure.
inline std::string test_pg(const std::string& verb, const std::string& dir, const std::string& args = "") {
  const std::string cmd =
      "'" + std::string(AUTOGLM_SOURCE_DIR) + "/scripts/test_pg.sh' " + verb + " '" + dir + "' " + args;
  int status = 0;
  std::string out = run_shell(cmd, &status);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  if (status != 0) {
    throw std::runtime_error("`" + cmd + "` failed (exit " + std::to_string(status) + "): " + out +
                             " -- the PostgreSQL tests need the server binaries: run scripts/setup.sh");
  }
  return out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);  // the URL line
}

/// `url` with its database name replaced by `db` (query options kept).
inline std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme_end = url.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto at = url.rfind('@');
  if (at != std::string::npos && at > start) start = at + 1;
  const auto qm = url.find('?', start);
  const auto slash = url.find('/', start);
  const size_t end = qm == std::string::npos ? url.size() : qm;
  if (slash == std::string::npos || slash > end) return url.substr(0, end) + "/" + db + url.substr(end);
  return url.substr(0, slash + 1) + db + url.substr(end);
}

inline bool& shared_test_cluster_started() {
  static bool started = false;
  return started;
}

inline std::string postgres_url() {
  static std::once_flag once;
  static std::string url, error;
  std::call_once(once, [] {
    if (const char* env = std::getenv("AUTOGLM_TEST_PG_URL"); env && *env) {
      url = env;
      return;
    }
    const std::string dir = std::string(AUTOGLM_BINARY_DIR) + "/test-pg";
    const std::string lock_path = dir + ".lock";
    const int fd = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd >= 0) ::flock(fd, LOCK_EX);
    try {
      url = test_pg("start", dir);
      shared_test_cluster_started() = true;
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (fd >= 0) ::close(fd);  // releases the flock
  });
  if (!error.empty()) throw std::runtime_error(error);
  return url;
}

inline std::string database_of(const std::string& url) {
  const std::string with = with_database(url, "\x01");
  const auto mark = with.find('\x01');
  const auto end = url.find('?', mark);
  return url.substr(mark, (end == std::string::npos ? url.size() : end) - mark);
}

/// Drops the database of `url` (connecting to the "postgres" database of the same server);
/// terminates its sessions first. Errors are ignored (a test's cleanup must not fail it).
inline void drop_postgres_database(const std::string& url) {
  try {
    pqxx::connection c(with_database(url, "postgres"));
    pqxx::nontransaction w(c);
    w.exec("DROP DATABASE IF EXISTS " + c.quote_name(database_of(url)) + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
}

inline std::string fresh_postgres_database(const std::string& server_url) {
  static std::atomic<int> counter{0};
  static std::once_flag sweep;
  std::random_device rd;
  char rand_hex[16];
  std::snprintf(rand_hex, sizeof rand_hex, "%08x", rd());
  const std::string name = "autoglm_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + rand_hex;
  std::string last_error;
  for (int attempt = 0; attempt < 20; ++attempt) {
    try {
      pqxx::connection c(server_url);
      pqxx::nontransaction w(c);
      if (shared_test_cluster_started()) {
        std::call_once(sweep, [&] {  // databases of test processes that died
          for (const auto& row : w.exec("SELECT datname FROM pg_database WHERE datname LIKE 'autoglm\\_test\\_%'")) {
            const std::string db = row[0].c_str();
            const long pid = std::strtol(db.c_str() + 13, nullptr, 10);
            if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
              try {
                w.exec("DROP DATABASE IF EXISTS " + c.quote_name(db) + " WITH (FORCE)");
              } catch (const std::exception&) {
              }
            }
          }
        });
      }
      w.exec("CREATE DATABASE " + c.quote_name(name));
      return with_database(server_url, name);
    } catch (const std::exception& e) {  // e.g. template1 busy with a concurrent CREATE DATABASE
      last_error = e.what();
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
    }
  }
  throw std::runtime_error("cannot create a test database on the PostgreSQL server: " + last_error);
}

}  // namespace autoglm::testing_util
