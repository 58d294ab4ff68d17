#include "executor/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "autoglm/error.h"

namespace autoglm::process {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

UniqueFd move_high(UniqueFd fd) {
  if (fd.get() >= 10) return fd;
  int high = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10);
  if (high < 0) throw Error(std::string("fcntl(F_DUPFD_CLOEXEC) failed: ") + std::strerror(errno));
  return UniqueFd(high);
}

std::optional<std::string> find_in_path(const std::string& name, const std::string& path_list) {
  size_t begin = 0;
  while (true) {
    size_t end = path_list.find(':', begin);
    std::string dir = path_list.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (end == std::string::npos) return std::nullopt;
    begin = end + 1;
  }
}

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// RAII wrappers so every early return destroys the spawn objects.
struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() { posix_spawn_file_actions_init(&fa); }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

}  // namespace

int spawn(const SpawnRequest& r, pid_t* pid) {
  FileActions f;
  int rc = 0;
  auto check = [&rc](int e) {
    if (rc == 0 && e != 0) rc = e;
  };
  check(posix_spawn_file_actions_addopen(&f.fa, 0, "/dev/null", O_RDONLY, 0));
  if (r.output_fd >= 0) {
    check(posix_spawn_file_actions_adddup2(&f.fa, r.output_fd, 1));
    check(posix_spawn_file_actions_adddup2(&f.fa, r.output_fd, 2));
  } else {
    check(posix_spawn_file_actions_addopen(&f.fa, 1, "/dev/null", O_WRONLY, 0));
    check(posix_spawn_file_actions_adddup2(&f.fa, 1, 2));
  }
  if (r.report_fd >= 0) check(posix_spawn_file_actions_adddup2(&f.fa, r.report_fd, 3));
  // Everything else is closed, even a descriptor some library opened without O_CLOEXEC.
  check(posix_spawn_file_actions_addclosefrom_np(&f.fa, r.report_fd >= 0 ? 4 : 3));
  if (!r.working_directory.empty()) check(posix_spawn_file_actions_addchdir_np(&f.fa, r.working_directory.c_str()));

  SpawnAttr a;
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  check(posix_spawnattr_setflags(&a.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
  check(posix_spawnattr_setpgroup(&a.attr, 0));  // new group, id = child's pid
  check(posix_spawnattr_setsigdefault(&a.attr, &all));
  check(posix_spawnattr_setsigmask(&a.attr, &none));
  if (rc != 0) return rc;

  auto argv = c_strings(r.argv);
  auto envp = c_strings(r.env);
  return posix_spawn(pid, r.executable.c_str(), &f.fa, &a.attr, argv.data(), envp.data());
}

bool group_has_live_members(pid_t pgid) {
  DIR* d = ::opendir("/proc");
  if (!d) return false;
  bool found = false;
  char path[300];
  char buf[512];
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) continue;
    buf[n] = '\0';
    // "pid (comm) S ppid pgrp ...": comm may hold spaces and parentheses; use the last ')'.
    char* p = std::strrchr(buf, ')');
    if (!p) continue;
    char state = 0;
    int ppid = 0, pgrp = 0;
    if (std::sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') {
      found = true;
      break;
    }
  }
  ::closedir(d);
  return found;
}

namespace {
// pidfd_open(2) (Linux 5.3; always close-on-exec); -1 on older kernels, which then rely on the
// 100 ms polling alone. Called through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C".
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}
}  // namespace

Child::Child(pid_t pid) : pid_(pid), pidfd_(open_pidfd(pid)) {}

Child::~Child() {
  if (reaped_) return;
  ::kill(-pid_, SIGKILL);
  reap();
}

bool Child::exited() {
  if (exited_) return true;
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  int rc;
  do {
    rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    exited_ = true;  // ECHILD: someone else reaped it; treat as gone
    return true;
  }
  if (info.si_pid == pid_) exited_ = true;
  return exited_;
}

bool Child::group_alive() {
  if (reaped_) return false;
  if (!exited()) return true;
  return group_has_live_members(pid_);
}

void Child::signal_group(int sig) {
  if (!reaped_) ::kill(-pid_, sig);
}

int Child::reap() {
  if (reaped_) return status_;
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, 0);
  } while (rc < 0 && errno == EINTR);
  reaped_ = true;
  exited_ = true;
  status_ = rc == pid_ ? status : 0;
  return status_;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* abbrev = sigabbrev_np(sig);
    std::string s = "killed by signal " + std::to_string(sig);
    if (abbrev) s += std::string(" (SIG") + abbrev + ")";
    return s;
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace autoglm::process
