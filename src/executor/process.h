// POSIX process plumbing for command trials: owning file descriptors, spawning a child in its
// own process group with exactly fds 0-3 open, watching and reaping it, and finding the live
// members of a process group. Linux (reads /proc). No shared state; thread-safe.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace autoglm::process {

/// Owns one file descriptor (closed on destruction). Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

/// Moves `fd` to a close-on-exec descriptor >= 10 (so that it can be dup2'ed onto 0-3 in a
/// child without clobbering another). Throws Error on failure.
UniqueFd move_high(UniqueFd fd);

/// First executable regular file named `name` in the ':'-separated `path_list` (an empty entry
/// is the current directory); nullopt when none.
std::optional<std::string> find_in_path(const std::string& name, const std::string& path_list);

struct SpawnRequest {
  std::string executable;              ///< Path given to exec (resolved from PATH by the caller).
  std::vector<std::string> argv;       ///< argv[0] included.
  std::vector<std::string> env;        ///< "KEY=VALUE" entries: the child's whole environment.
  std::string working_directory;       ///< Empty: inherit.
  int output_fd = -1;                  ///< Becomes fds 1 and 2; -1: /dev/null.
  int report_fd = -1;                  ///< Becomes fd 3 (the protocol channel); -1: none.
};

/// Starts the child (posix_spawn) in a new process group whose id is its pid, with stdin from
/// /dev/null, signal dispositions reset to default, an empty signal mask and every fd >= 4
/// closed. Returns 0 and sets *pid, or the errno of the failure (exec errors included: ENOENT,
/// EACCES, ENOEXEC, ...). `output_fd` and `report_fd` must be >= 4 (see move_high).
int spawn(const SpawnRequest& request, pid_t* pid);

/// True when some process of process group `pgid` other than a zombie is alive (scans /proc).
bool group_has_live_members(pid_t pgid);

/// A spawned child that leads its process group. Until reap(), its pid (hence the group id) is
/// not reused even after it exits, because the zombie is kept (exited() uses WNOWAIT). The
/// destructor of an unreaped child SIGKILLs the whole group and reaps the leader.
class Child {
 public:
  /// Takes ownership of the child `pid` (also opens a pidfd for it when the kernel has them).
  explicit Child(pid_t pid);
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();
  pid_t pid() const { return pid_; }
  /// True once the leader has exited (non-blocking; does not reap it).
  bool exited();
  /// A descriptor that poll() reports readable when the leader exits (a pidfd), or -1 when
  /// there is none (kernel < 5.3) or the exit was already seen.
  int exit_fd() const { return exited_ ? -1 : pidfd_.get(); }
  /// True while the leader runs or another member of its group is alive.
  bool group_alive();
  /// Sends `sig` to the whole group (no-op after reap()).
  void signal_group(int sig);
  /// Waits for the leader and reaps it; returns its wait status. Idempotent.
  int reap();

 private:
  pid_t pid_;
  UniqueFd pidfd_;
  bool exited_ = false;
  bool reaped_ = false;
  int status_ = 0;
};

/// "exited with status 3", "killed by signal 9 (SIGKILL)" for a wait status.
std::string describe_wait_status(int status);

}  // namespace autoglm::process
