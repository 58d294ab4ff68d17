// Helpers for the executor tests: a fake TrialChannel, temporary folders, scripts, process checks.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "executor/command_runner.h"

namespace autoglm::testing {

/// A trial without a study: records what the runner stores; `prune_when` plays the pruner.
class FakeTrial final : public TrialChannel {
 public:
  int number_ = 7;
  std::string study_name_ = "fake-study";
  std::map<std::string, ParamValue> params_;
  size_t n_objectives_ = 1;
  std::map<int64_t, double> intermediate_values;
  std::map<std::string, nlohmann::json> user_attrs;
  std::map<std::string, nlohmann::json> system_attrs;
  int n_should_prune_calls = 0;
  /// Pruner stand-in: called with the intermediate values so far.
  std::function<bool(const std::map<int64_t, double>&)> prune_when = [](const auto&) { return false; };

  int number() const override { return number_; }
  std::string study_name() const override { return study_name_; }
  std::map<std::string, ParamValue> params() const override { return params_; }
  size_t n_objectives() const override { return n_objectives_; }
  void report(double value, int64_t step) override { intermediate_values.emplace(step, value); }
  bool should_prune() override {
    ++n_should_prune_calls;
    return prune_when(intermediate_values);
  }
  void set_user_attr(const std::string& key, const nlohmann::json& value) override { user_attrs[key] = value; }
  void set_system_attr(const std::string& key, const nlohmann::json& value) override { system_attrs[key] = value; }
};

/// A fresh folder under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "autoglm-executor-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

/// Writes a /bin/sh script (no placeholders needed inside it) and returns its path.
inline std::string write_script(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir / name;
  write_file(path, "#!/bin/sh\n" + body);
  return path;
}

/// True while `pid` exists and is not a zombie.
inline bool process_alive(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.empty()) return false;
  size_t p = s.rfind(')');
  if (p == std::string::npos || p + 2 >= s.size()) return false;
  char state = s[p + 2];
  return state != 'Z' && state != 'X';
}

/// Waits up to `seconds` for `pid` to be gone (it may take a moment for init to reap it).
inline bool wait_gone(pid_t pid, double seconds = 2.0) {
  auto start = std::chrono::steady_clock::now();
  while (process_alive(pid)) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) return false;
    ::usleep(10000);
  }
  return true;
}

/// True when this test process has no unreaped child (no zombie left behind).
inline bool no_children_left() {
  int status;
  return ::waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD;
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

inline std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

}  // namespace autoglm::testing
