#include <optional>
#include <sstream>
#include <string>

#include <csignal>
#include <cerrno>
#include <unistd.h>

#include "autoglm/study.h"
#include "common/proc.h"

namespace autoglm {
namespace {

// Field 22 of /proc/PID/stat: the process start time in clock ticks after boot. Together with
// the pid it identifies a process even when pids are reused.
int64_t process_start_time(int64_t pid) {
  const std::optional<std::string> stat = read_proc_stat(std::to_string(pid));
  if (!stat) return -1;
  const std::string& all = *stat;
  auto close = all.rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) return -1;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  // Fields after the name start at field 3 (state); field 22 is the 20th from there.
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return -1;
  try {
    return std::stoll(field);
  } catch (...) {
    return -1;
  }
}

// Field 3 of /proc/PID/stat: R, S, D, T, Z (zombie), X (dead), ...; 0 when unknown.
char process_state(int64_t pid) {
  const std::optional<std::string> stat = read_proc_stat(std::to_string(pid));
  if (!stat) return 0;
  const std::string& all = *stat;
  auto close = all.rfind(')');
  return close == std::string::npos || close + 2 >= all.size() ? 0 : all[close + 2];
}

}  // namespace

WorkerIdentity WorkerIdentity::current() {
  WorkerIdentity id;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) id.host = host;
  id.pid = getpid();
  id.start_time = process_start_time(id.pid);
  return id;
}

WorkerIdentity WorkerIdentity::of_process(int64_t pid) {
  WorkerIdentity id = current();
  id.pid = pid;
  id.start_time = process_start_time(pid);
  return id;
}

std::optional<WorkerIdentity> WorkerIdentity::of_trial(const FrozenTrial& trial) {
  auto host = trial.system_attrs.find("worker.host");
  auto pid = trial.system_attrs.find("worker.pid");
  if (host == trial.system_attrs.end() || pid == trial.system_attrs.end() || !host->second.is_string() ||
      !pid->second.is_number_integer())
    return std::nullopt;
  WorkerIdentity id;
  id.host = host->second.get<std::string>();
  id.pid = pid->second.get<int64_t>();
  auto st = trial.system_attrs.find("worker.start_time");
  id.start_time = st != trial.system_attrs.end() && st->second.is_number_integer() ? st->second.get<int64_t>() : -1;
  return id;
}

bool WorkerIdentity::alive() const {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  // A zombie (killed, not yet reaped by its parent: some container inits reap orphans only every
  // second or two, a stuck launcher never) is dead: its trials are stale.
  if (const char state = process_state(pid); state == 'Z' || state == 'X') return false;
  int64_t st = process_start_time(pid);
  return st < 0 || start_time < 0 || st == start_time;
}

}  // namespace autoglm
