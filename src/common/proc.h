// Reading /proc/PID/stat without exceptions. A process can exit between open() and read(); the
// kernel then fails the read with ESRCH, which std::ifstream (libstdc++'s filebuf::underflow)
// turns into an exception. Callers treat a vanished process like a missing one.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <string>

namespace autoglm {

/// The text of /proc/<pid>/stat (`pid` as its decimal text), or nullopt when the process does not
/// exist, has just exited, or the file cannot be read.
inline std::optional<std::string> read_proc_stat(const std::string& pid) {
  const std::string path = "/proc/" + pid + "/stat";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace autoglm
