// Helpers shared by the end-to-end tests: run the real `autoglm` binary as a child process in a
// test directory, with stdin from /dev/null and stdout / stderr captured in files.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace autoglm_e2e {

namespace fs = std::filesystem;

inline const std::string kAutoglm = std::string(AUTOGLM_BINARY_DIR) + "/autoglm";

struct Result {
  int code = -1;  ///< exit status, or 128 + signal
  std::string out;
  std::string err;
};

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// Starts `argv` (argv[0] a path) in `cwd`, stdout to `out`, stderr to `err`; returns its pid.
inline pid_t spawn_in(const fs::path& cwd, std::vector<std::string> argv, const fs::path& out, const fs::path& err) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const std::string out_s = out.string(), err_s = err.string(), cwd_s = cwd.string();
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(cwd_s.c_str()) != 0) ::_exit(126);
    int o = ::open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = ::open("/dev/null", O_RDONLY);
    ::dup2(n, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

/// Waits for `pid` and collects its exit status and captured output.
inline Result finish_spawn(pid_t pid, const fs::path& out, const fs::path& err) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  r.code = decode_status(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

/// Fixture: a fresh directory under /tmp (kept when the test failed), a SQLite storage URL in it,
/// and `autoglm` run there.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(std::string prefix = "autoglm-e2e-") : prefix_(std::move(prefix)) {}
  void SetUp() override {
    std::string tmpl = "/tmp/" + prefix_ + "XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    db_ = "sqlite:///" + (dir_ / "study.db").string();  // sqlite:////abs/path
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir_, ec);
    else std::cerr << "kept " << dir_ << " for inspection\n";
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name, std::ios::binary) << text; }
  /// Runs `autoglm args...` in the directory; returns its status and output.
  Result run(const std::vector<std::string>& args) {
    std::vector<std::string> full{kAutoglm};
    full.insert(full.end(), args.begin(), args.end());
    pid_t pid = spawn_in(dir_, full, dir_ / ".stdout", dir_ / ".stderr");
    return finish_spawn(pid, dir_ / ".stdout", dir_ / ".stderr");
  }

  std::string prefix_;
  fs::path dir_;
  std::string db_;
};

}  // namespace autoglm_e2e
