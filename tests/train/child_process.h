// Test helper: runs `autoglm-train` as a child process with captured stdout/stderr and,
// optionally, the trial-protocol channel (AUTOGLM_REPORT_FD=3 connected to a pipe).
// No libtorch headers: the workloads are tested only through their command line.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace autoglm::train::testing {

/// Path of the built autoglm-train binary (a compile definition set by CMake).
inline std::string train_binary() { return AUTOGLM_TRAIN_BINARY; }
/// The corpus installed by scripts/setup.sh.
inline std::string corpus_path() { return std::string(AUTOGLM_SOURCE_DIR) + "/data/moby-dick.txt"; }

class ChildProcess {
 public:
  /// Starts `autoglm-train args...`. With `report_channel`, fd 3 of the child is a pipe that
  /// report() collects and AUTOGLM_REPORT_FD=3 is set; otherwise AUTOGLM_REPORT_FD is unset.
  ChildProcess(const std::vector<std::string>& args, bool report_channel) {
    int out[2], err[2], rep[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return;
    if (report_channel && pipe2(rep, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv_s = {train_binary()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      dup2(err[1], 2);
      if (report_channel) {
        if (rep[1] == 3) fcntl(3, F_SETFD, 0);
        else dup2(rep[1], 3);
        setenv("AUTOGLM_REPORT_FD", "3", 1);
      } else {
        unsetenv("AUTOGLM_REPORT_FD");
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    close(err[1]);
    fds_[0] = out[0];
    fds_[1] = err[0];
    if (report_channel) {
      close(rep[1]);
      fds_[2] = rep[0];
    }
    start_ = std::chrono::steady_clock::now();
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    for (int fd : fds_)
      if (fd >= 0) close(fd);
  }

  bool started() const { return pid_ > 0; }

  /// Reads output until `done()` holds, every pipe is closed, or `timeout_s` passes.
  /// Returns done().
  bool read_until(const std::function<bool()>& done, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!done()) {
      std::vector<pollfd> pfds;
      std::vector<int> which;
      for (int i = 0; i < 3; ++i)
        if (fds_[i] >= 0) {
          pfds.push_back({fds_[i], POLLIN, 0});
          which.push_back(i);
        }
      if (pfds.empty()) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      if (poll(pfds.data(), pfds.size(), static_cast<int>(left.count())) <= 0) continue;
      for (size_t k = 0; k < pfds.size(); ++k) {
        if (!(pfds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        ssize_t n = read(pfds[k].fd, buf, sizeof buf);
        if (n > 0) {
          buffers_[which[k]].append(buf, static_cast<size_t>(n));
        } else {
          close(fds_[which[k]]);
          fds_[which[k]] = -1;
        }
      }
    }
    return done();
  }

  /// Reads until the child closes its pipes, then reaps it. Returns the exit status, or
  /// 128 + signal number when it was killed, or -1 on timeout (the child is then killed).
  int wait(double timeout_s) {
    read_until([] { return false; }, timeout_s);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(1.0);
    int status = 0;
    while (true) {
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        reaped_ = true;
        return -1;
      }
      usleep(10000);
    }
    reaped_ = true;
    elapsed_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
  }

  void signal(int sig) { kill(pid_, sig); }

  const std::string& out() const { return buffers_[0]; }
  const std::string& err() const { return buffers_[1]; }
  const std::string& report() const { return buffers_[2]; }
  /// Seconds from start to exit (after wait()).
  double elapsed_s() const { return elapsed_s_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int fds_[3] = {-1, -1, -1};
  std::string buffers_[3];
  std::chrono::steady_clock::time_point start_;
  double elapsed_s_ = 0;
};

/// Splits text into its non-empty lines.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

/// One bad-flag case: extra arguments and the text the one-line error must contain.
struct UsageCase {
  std::vector<std::string> args;
  std::string must_mention;
};

/// Runs `base + case.args` for every case at once (each start loads libtorch, ~0.5 s), then
/// expects of each: exit status 2 and exactly one stderr line mentioning `must_mention`.
/// Needs gtest (included by the test file before this header's use).
template <typename Expect>
void expect_usage_errors(const std::vector<std::string>& base, const std::vector<UsageCase>& cases, Expect&& check) {
  std::vector<std::unique_ptr<ChildProcess>> children;
  for (const auto& c : cases) {
    auto args = base;
    args.insert(args.end(), c.args.begin(), c.args.end());
    children.push_back(std::make_unique<ChildProcess>(args, false));
  }
  for (size_t i = 0; i < cases.size(); ++i) check(cases[i], children[i]->wait(60), children[i]->err());
}

}  // namespace autoglm::train::testing
