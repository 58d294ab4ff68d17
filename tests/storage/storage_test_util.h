// Helpers for the storage tests: a fresh temporary directory per test, a NaN-aware FrozenTrial
// comparison, raw access to SQLite files and to their bytes, and forked worker processes.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autoglm/frozen_trial.h"

namespace autoglm::testing_util {

/// A new empty directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "autoglm-storage-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Equal doubles, treating NaN == NaN (and distinguishing +inf / -inf).
inline bool same_double(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

inline void expect_same_values(const std::vector<double>& a, const std::vector<double>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(same_double(a[i], b[i])) << what << "[" << i << "]: " << a[i] << " vs " << b[i];
}

/// Every field of two snapshots, NaN-aware.
inline void expect_same_trial(const FrozenTrial& a, const FrozenTrial& b) {
  const std::string what = "trial " + std::to_string(a.number);
  EXPECT_EQ(a.trial_id, b.trial_id) << what;
  EXPECT_EQ(a.number, b.number) << what;
  EXPECT_EQ(a.state, b.state) << what;
  expect_same_values(a.values, b.values, what + " values");
  ASSERT_EQ(a.params.size(), b.params.size()) << what;
  for (const auto& [k, v] : a.params) {
    ASSERT_TRUE(b.params.count(k)) << what << " param " << k;
    EXPECT_TRUE(same_double(v, b.params.at(k))) << what << " param " << k;
  }
  EXPECT_EQ(a.distributions, b.distributions) << what;
  ASSERT_EQ(a.intermediate_values.size(), b.intermediate_values.size()) << what;
  for (const auto& [step, v] : a.intermediate_values) {
    ASSERT_TRUE(b.intermediate_values.count(step)) << what << " step " << step;
    EXPECT_TRUE(same_double(v, b.intermediate_values.at(step))) << what << " step " << step;
  }
  EXPECT_EQ(a.user_attrs, b.user_attrs) << what;
  EXPECT_EQ(a.system_attrs, b.system_attrs) << what;
  EXPECT_EQ(a.datetime_start, b.datetime_start) << what;
  EXPECT_EQ(a.datetime_complete, b.datetime_complete) << what;
}

/// The message of the E thrown by f(); records a test failure (and returns "") when f throws
/// nothing or another type.
template <typename E, typename F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no exception";
  return "";
}

inline bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

/// The bytes of the file at `path` ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// A raw SQLite connection for inspecting / tampering with files behind the storage's back:
/// read-write (creating the file if missing), or read-only (creating and writing nothing).
class RawDb {
 public:
  explicit RawDb(const std::string& path, bool read_only = false) {
    const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) throw std::runtime_error("open " + path);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  /// The first column of the first row as text ("" for no row or NULL).
  std::string scalar(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }
  void exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_ = nullptr;
};

/// Runs `work(worker)` in `n` forked children (each opens its own storage); returns their exit
/// codes (128 + signal for a killed one; 3 when work threw). Children leave with _exit: no gtest
/// teardown, no destructors of the parent's objects.
template <typename F>
std::vector<int> run_in_children(int n, F work) {
  std::vector<pid_t> pids;
  for (int k = 0; k < n; ++k) {
    const pid_t pid = fork();
    if (pid == 0) {
      int rc = 0;
      try {
        rc = work(k);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "worker %d: %s\n", k, e.what());
        rc = 3;
      }
      _exit(rc);
    }
    pids.push_back(pid);
  }
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

}  // namespace autoglm::testing_util
