// Helpers of the fault-injection tests (tests/fault/): real `autoglm tune` / `autoglm worker`
// processes on a SQLite file or a PostgreSQL server, killed, partitioned and restarted by the
// test. Builds on tests/e2e/e2e_util.h (spawn_in, decode_status, read_file, kAutoglm).
//
// Everything a test starts is owned by an RAII guard that kills and reaps it when the test ends,
// also when an assertion fails midway: Processes (spawned workers, kill -9 + waitpid), the
// objective commands they leave behind (killed by pid, found by the unique path of the test's
// objective script), PrivatePostgres (a private server from scripts/test_pg.sh, stopped), and
// NetNamespaces (network namespaces and veth pairs, deleted).
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"
#include "e2e/e2e_util.h"

#if __has_include("common/pg_server.h")
#include "common/pg_server.h"
#define AUTOGLM_FAULT_HAVE_PG_HELPER 1
#else
#define AUTOGLM_FAULT_HAVE_PG_HELPER 0
#endif

namespace autoglm_fault {

namespace fs = std::filesystem;
using autoglm::FrozenTrial;
using autoglm::TrialState;
using autoglm_e2e::kAutoglm;
using autoglm_e2e::read_file;
using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
inline void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

/// Runs a shell command line; returns its exit status (127/-1 when it could not run).
inline int sh(const std::string& cmd) {
  std::cout.flush();
  int st = std::system(cmd.c_str());
  return st == -1 ? -1 : autoglm_e2e::decode_status(st);
}

/// Runs a shell command line; returns its stdout (trailing newline stripped) and sets *code.
inline std::string sh_output(const std::string& cmd, int* code = nullptr) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    if (code) *code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = ::pclose(p);
  if (code) *code = st == -1 ? -1 : autoglm_e2e::decode_status(st);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

/// Pids of the processes (not zombies, not this one) whose command line contains `marker`.
inline std::vector<pid_t> pids_matching(const std::string& marker) {
  std::vector<pid_t> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0 || pid == ::getpid()) continue;
    std::string cmdline = read_file(fs::path("/proc") / e->d_name / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (!cmdline.empty() && cmdline.find(marker) != std::string::npos) out.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return out;
}

/// SIGKILLs, by pid, every process whose command line contains `marker`; returns how many.
inline int kill_matching(const std::string& marker) {
  auto pids = pids_matching(marker);
  for (pid_t p : pids) ::kill(p, SIGKILL);
  return static_cast<int>(pids.size());
}

/// The processes a test started. The destructor SIGKILLs and reaps every one still running and,
/// with `marker` set, every process whose command line contains it (the objective commands that
/// a killed worker left behind; they are not our children).
class Processes {
 public:
  Processes() = default;
  Processes(const Processes&) = delete;
  Processes& operator=(const Processes&) = delete;
  ~Processes() { kill_all(); }

  std::string marker;  ///< e.g. the path of the test's objective script

  /// Starts argv (argv[0] a path) in `cwd` with output to `log_stem`.out / .err.
  pid_t spawn(const fs::path& cwd, const std::vector<std::string>& argv, const fs::path& log_stem) {
    pid_t pid = autoglm_e2e::spawn_in(cwd, argv, log_stem.string() + ".out", log_stem.string() + ".err");
    if (pid > 0) {
      live_.insert(pid);
      logs_[pid] = log_stem;
    }
    return pid;
  }
  bool running(pid_t pid) { return reap(pid, false) == std::nullopt && live_.count(pid); }
  /// Reaps `pid` if it ended (blocking when `block`); returns its exit code (128 + signal) once
  /// ended, nullopt while running.
  std::optional<int> reap(pid_t pid, bool block) {
    if (auto it = codes_.find(pid); it != codes_.end()) return it->second;
    if (!live_.count(pid)) return std::nullopt;
    int st = 0;
    pid_t r = ::waitpid(pid, &st, block ? 0 : WNOHANG);
    if (r != pid) return std::nullopt;
    live_.erase(pid);
    return codes_[pid] = autoglm_e2e::decode_status(st);
  }
  /// Waits up to `timeout` seconds for `pid`; nullopt when it is still running then.
  std::optional<int> wait(pid_t pid, double timeout) {
    const auto t0 = Clock::now();
    for (;;) {
      if (auto c = reap(pid, false)) return c;
      if (seconds_since(t0) > timeout) return std::nullopt;
      sleep_s(0.05);
    }
  }
  void kill9(pid_t pid) {
    if (!live_.count(pid)) return;
    ::kill(pid, SIGKILL);
    reap(pid, true);
  }
  std::vector<pid_t> alive() {
    std::vector<pid_t> out;
    for (pid_t p : std::vector<pid_t>(live_.begin(), live_.end()))
      if (!reap(p, false)) out.push_back(p);
    return out;
  }
  /// Waits up to `timeout` seconds for every process; true when all ended.
  bool wait_all(double timeout) {
    const auto t0 = Clock::now();
    while (!alive().empty()) {
      if (seconds_since(t0) > timeout) return false;
      sleep_s(0.05);
    }
    return true;
  }
  const std::map<pid_t, int>& exit_codes() const { return codes_; }
  std::string err_of(pid_t pid) { return read_file(logs_[pid].string() + ".err"); }
  std::string out_of(pid_t pid) { return read_file(logs_[pid].string() + ".out"); }
  /// Last `n` lines of the stderr of `pid`.
  std::string err_tail(pid_t pid, int n = 15) {
    std::string s = err_of(pid);
    size_t pos = s.size();
    for (int i = 0; i <= n && pos != std::string::npos && pos > 0; ++i) pos = s.rfind('\n', pos - 1);
    return pos == std::string::npos ? s : s.substr(pos + 1);
  }
  void kill_all() {
    for (pid_t p : std::vector<pid_t>(live_.begin(), live_.end())) kill9(p);
    if (!marker.empty()) kill_matching(marker);
  }

 private:
  std::set<pid_t> live_;
  std::map<pid_t, int> codes_;
  std::map<pid_t, fs::path> logs_;
};

/// A fresh temp directory (0755: a PostgreSQL server running as `postgres` must traverse it),
/// removed at the end unless the test failed.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "autoglm-fault-") {
    std::string tmpl = "/tmp/" + prefix + "XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    if (!::testing::Test::HasFailure()) fs::remove_all(path_, ec);
    else std::cerr << "kept " << path_ << " for inspection\n";
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }
  void write(const std::string& name, const std::string& text, bool executable = false) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    if (executable) ::chmod((path_ / name).c_str(), 0755);
  }

 private:
  fs::path path_;
};

/// A private PostgreSQL server of scripts/test_pg.sh in DIR/pg, stopped by the destructor.
class PrivatePostgres {
 public:
  explicit PrivatePostgres(fs::path dir) : dir_(std::move(dir)) {}
  ~PrivatePostgres() {
    if (started_) sh(script() + " stop '" + dir_.string() + "' >/dev/null 2>&1");
  }
  /// Starts the server (listening on `listen`, e.g. "127.0.0.1,10.231.7.1"); returns its URL
  /// (database `postgres`, host 127.0.0.1) or "" on failure (the message in *error).
  std::string start(const std::string& listen = "127.0.0.1", std::string* error = nullptr) {
    int code = 0;
    std::string out = sh_output(script() + " start '" + dir_.string() + "' '' '" + listen + "' 2>&1", &code);
    started_ = true;
    if (code != 0) {
      if (error) *error = out + "\n" + read_file(dir_ / "log");
      return "";
    }
    return url_ = out.substr(out.rfind('\n') == std::string::npos ? 0 : out.rfind('\n') + 1);
  }
  /// scripts/test_pg.sh restart: a fast shutdown (connections dropped), then a start on the same port.
  int restart() { return sh(script() + " restart '" + dir_.string() + "' >/dev/null 2>&1"); }
  int stop() { return sh(script() + " stop '" + dir_.string() + "' >/dev/null 2>&1"); }
  const std::string& url() const { return url_; }
  fs::path log() const { return dir_ / "log"; }

 private:
  static std::string script() { return std::string("bash '") + AUTOGLM_SOURCE_DIR + "/scripts/test_pg.sh'"; }
  fs::path dir_;
  std::string url_;
  bool started_ = false;
};

/// The URL with its host (between '@' and ':PORT') replaced.
inline std::string with_host(const std::string& url, const std::string& host) {
  const auto at = url.find('@');
  const auto colon = url.find(':', at);
  if (at == std::string::npos || colon == std::string::npos) return url;
  return url.substr(0, at + 1) + host + url.substr(colon);
}

/// Network namespaces ("hosts") joined to the root namespace by veth pairs: host i has the
/// namespace-side address 10.231.SUBNET.2/24 and the root-side address 10.231.SUBNET.1/24.
/// The destructor deletes the namespaces and links (also after a failed assertion).
class NetNamespaces {
 public:
  struct Host {
    std::string ns, root_link, ns_link, root_addr, ns_addr;
  };
  /// Deletes what earlier test processes that died (no destructor ran: a ctest timeout, kill -9)
  /// left behind: namespaces autoglm-fault-TAG-PID whose PID is gone, with their links.
  NetNamespaces() {
    std::istringstream list(sh_output("ip netns list 2>/dev/null"));
    for (std::string line; std::getline(list, line);) {
      const std::string name = line.substr(0, line.find(' '));
      if (name.rfind("autoglm-fault-", 0) != 0) continue;
      const auto dash = name.rfind('-');
      const std::string tag = name.substr(14, dash - 14), pid = name.substr(dash + 1);
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
      if (::kill(std::stoi(pid), 0) == 0 || errno != ESRCH) continue;
      sh("ip link del vf" + tag + pid + " >/dev/null 2>&1");
      sh("ip netns del " + name + " >/dev/null 2>&1");
    }
  }
  NetNamespaces(const NetNamespaces&) = delete;
  NetNamespaces& operator=(const NetNamespaces&) = delete;
  ~NetNamespaces() {
    for (const auto& h : hosts_) {
      sh("ip link del " + h.root_link + " >/dev/null 2>&1");
      sh("ip netns del " + h.ns + " >/dev/null 2>&1");
    }
  }
  /// Adds a host; "" on success, else the failing command and its output.
  std::string add(const std::string& tag, int subnet) {
    Host h;
    const std::string id = std::to_string(::getpid());
    h.ns = "autoglm-fault-" + tag + "-" + id;
    h.root_link = "vf" + tag + id;  // <= 15 characters
    h.ns_link = "vp" + tag + id;
    h.root_addr = "10.231." + std::to_string(subnet) + ".1";
    h.ns_addr = "10.231." + std::to_string(subnet) + ".2";
    int code = 0;
    std::string out = sh_output("ip netns add " + h.ns + " 2>&1", &code);
    if (code != 0) return "ip netns add " + h.ns + ": " + out;
    hosts_.push_back(h);
    const std::vector<std::string> steps = {
        "ip link add " + h.root_link + " type veth peer name " + h.ns_link,
        "ip link set " + h.ns_link + " netns " + h.ns,
        "ip addr add " + h.root_addr + "/24 dev " + h.root_link,
        "ip link set " + h.root_link + " up",
        "ip netns exec " + h.ns + " ip addr add " + h.ns_addr + "/24 dev " + h.ns_link,
        "ip netns exec " + h.ns + " ip link set " + h.ns_link + " up",
        "ip netns exec " + h.ns + " ip link set lo up",
    };
    for (const auto& s : steps) {
      out = sh_output(s + " 2>&1", &code);
      if (code != 0) return s + ": " + out;
    }
    return "";
  }
  const Host& host(size_t i) const { return hosts_.at(i); }
  int set_link(size_t i, bool up) { return sh("ip link set " + hosts_.at(i).root_link + (up ? " up" : " down")); }

 private:
  std::vector<Host> hosts_;
};

// ---- the study ------------------------------------------------------------------------------

/// The objective script of the kill / restart tests: `obj.sh X K SLEEP` reports the intermediate
/// values v+2, v+1, v at steps 0, 1, 2 (v = X*X + K), sleeps SLEEP seconds, then reports v.
inline const char* kQuadraticScript = R"(#!/bin/sh
awk -v x="$1" -v k="$2" 'BEGIN { v = x * x + k; for (i = 0; i < 3; i++) printf "{\"step\": %d, \"value\": %.17g}\n", i, v + 2 - i }' >&3
[ "$3" = 0 ] || sleep "$3"
awk -v x="$1" -v k="$2" 'BEGIN { printf "{\"value\": %.17g}\n", x * x + k }' >&3
)";

/// A study config (YAML) on `obj.sh` in the config's directory; `extra` adds top-level keys
/// (one per line), `objective_extra` keys of the objective (indented by the caller).
inline std::string quadratic_config(const std::string& study, const std::string& budget, double trial_sleep,
                                    const std::string& extra, const std::string& objective_extra = "") {
  return "study: " + study +
         "\n"
         "direction: minimize\n" +
         budget +
         "\n"
         "seed: 7\n"
         "sampler: {name: random}\n"
         "pruner: none\n"
         "space:\n"
         "  x: {type: float, low: -5.0, high: 5.0}\n"
         "  k: {type: int, range: [0, 3]}\n" +
         extra +
         "objective:\n"
         "  command:\n"
         "    - sh\n"
         "    - '{config_dir}/obj.sh'\n"
         "    - '{x}'\n"
         "    - '{k}'\n"
         "    - '" + std::to_string(trial_sleep) + "'\n" + objective_extra;
}

/// Every trial of study `study` in `url`, read through a fresh connection (the server may have
/// restarted since the last read); throws what open_storage / get_all_trials throw.
inline std::vector<FrozenTrial> read_trials(const std::string& url, const std::string& study) {
  auto storage = autoglm::open_storage(url);
  return storage->get_all_trials(storage->get_study_id_from_name(study));
}

/// Counts of the trials by state.
inline std::map<TrialState, int> count_states(const std::vector<FrozenTrial>& trials) {
  std::map<TrialState, int> c;
  for (const auto& t : trials) ++c[t.state];
  return c;
}

inline std::string counts_text(const std::vector<FrozenTrial>& trials) {
  auto c = count_states(trials);
  std::string s;
  for (auto st : {TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL, TrialState::RUNNING, TrialState::WAITING})
    s += (s.empty() ? "" : ", ") + std::to_string(c[st]) + " " + autoglm::to_string(st);
  return s;
}

/// Polls the study until `done(trials)` or `timeout` seconds; returns the last trials read
/// (read errors, e.g. a restarting server, are retried).
inline std::vector<FrozenTrial> poll_until(const std::string& url, const std::string& study, double timeout,
                                           const std::function<bool(const std::vector<FrozenTrial>&)>& done,
                                           double every = 0.2) {
  const auto t0 = Clock::now();
  std::vector<FrozenTrial> last;
  for (;;) {
    try {
      last = read_trials(url, study);
      if (done(last)) return last;
    } catch (const std::exception&) {
    }
    if (seconds_since(t0) > timeout) return last;
    sleep_s(every);
  }
}

inline int n_in_state(const std::vector<FrozenTrial>& trials, TrialState s) {
  return static_cast<int>(std::count_if(trials.begin(), trials.end(), [&](const FrozenTrial& t) { return t.state == s; }));
}

inline std::string fail_reason(const FrozenTrial& t) {
  auto it = t.system_attrs.find("fail_reason");
  return it != t.system_attrs.end() && it->second.is_string() ? it->second.get<std::string>() : std::string();
}

inline std::optional<int> int_attr(const FrozenTrial& t, const std::string& key) {
  auto it = t.system_attrs.find(key);
  if (it == t.system_attrs.end() || !it->second.is_number_integer()) return std::nullopt;
  return it->second.get<int>();
}

/// The invariants every study of the kill / restart tests must end with (quadratic_config):
/// exactly `n_complete` COMPLETE trials, numbers 0..N-1 once each, each COMPLETE trial with its
/// three intermediate values and value x^2 + k, nothing RUNNING or WAITING, every FAIL trial
/// stale (its reason names `fail_reason_part`, unless empty) and, when interrupted (stale or its
/// worker stopped), retried unless it used up `max_retries`,
/// parameters inside their distributions, retries with the parameters of the trial they repeat.
inline void expect_study_invariants(const std::vector<FrozenTrial>& trials, int n_complete, int max_retries,
                                    const std::string& fail_reason_part = "stale") {
  const auto c = count_states(trials);
  EXPECT_EQ(c.count(TrialState::COMPLETE) ? c.at(TrialState::COMPLETE) : 0, n_complete) << counts_text(trials);
  EXPECT_EQ(c.count(TrialState::RUNNING) ? c.at(TrialState::RUNNING) : 0, 0) << counts_text(trials);
  EXPECT_EQ(c.count(TrialState::WAITING) ? c.at(TrialState::WAITING) : 0, 0) << counts_text(trials);
  std::map<int, const FrozenTrial*> by_number;
  for (const auto& t : trials) EXPECT_TRUE(by_number.emplace(t.number, &t).second) << "duplicate trial number " << t.number;
  for (int n = 0; n < static_cast<int>(trials.size()); ++n)
    EXPECT_TRUE(by_number.count(n)) << "trial numbers are not contiguous: " << n << " is missing";
  std::map<int, std::vector<int>> retries_of;  // number -> numbers of its retries
  int params_resampled = 0;  // retries of trials killed before all their params were sampled
  int bad = 0;
  for (const auto& t : trials) {
    if (auto r = int_attr(t, autoglm::kRetryOfAttr)) retries_of[*r].push_back(t.number);
    for (const auto& [name, internal] : t.params) {
      auto d = t.distributions.find(name);
      EXPECT_TRUE(d != t.distributions.end() && autoglm::contains(d->second, internal))
          << "trial " << t.number << ": param " << name << "=" << internal << " outside its distribution";
    }
    if (t.state == TrialState::COMPLETE) {
      if (bad > 5) continue;  // enough detail
      if (!t.params.count("x") || !t.params.count("k") || t.values.size() != 1) {
        ++bad;
        ADD_FAILURE() << "COMPLETE trial " << t.number << " lacks params or a value";
        continue;
      }
      const double v = t.params.at("x") * t.params.at("x") + t.params.at("k");
      if (std::abs(t.values[0] - v) > 1e-9 * (1 + std::abs(v))) {
        ++bad;
        ADD_FAILURE() << "trial " << t.number << ": value " << t.values[0] << " but x^2+k = " << v;
      }
      const std::map<int64_t, double> expected{{0, v + 2}, {1, v + 1}, {2, v}};
      bool same = t.intermediate_values.size() == 3;
      for (const auto& [s, iv] : expected)
        same = same && t.intermediate_values.count(s) && std::abs(t.intermediate_values.at(s) - iv) <= 1e-9 * (1 + std::abs(iv));
      if (!same) {
        ++bad;
        ADD_FAILURE() << "trial " << t.number << ": " << t.intermediate_values.size() << " intermediate values, expected 3 ("
                      << v + 2 << ", " << v + 1 << ", " << v << ")";
      }
    }
  }
  for (const auto& t : trials) {
    if (auto r = int_attr(t, autoglm::kRetryOfAttr)) {
      auto orig = by_number.find(*r);
      if (orig == by_number.end()) {
        ADD_FAILURE() << "trial " << t.number << " retries unknown trial " << *r;
        continue;
      }
      EXPECT_EQ(orig->second->state, TrialState::FAIL) << "trial " << t.number << " retries trial " << *r << " which is not FAIL";
      // The retry repeats every parameter the failed trial had (a worker killed between ask()
      // and suggest leaves a trial without some: the retry samples those afresh). A WAITING
      // retry has no params yet.
      if (t.state != TrialState::WAITING) {
        const auto mine = t.external_params();
        for (const auto& [name, value] : orig->second->external_params())
          EXPECT_TRUE(mine.count(name) && mine.at(name) == value)
              << "retry " << t.number << " of trial " << *r << " has another value of " << name;
        if (mine.size() != orig->second->external_params().size()) ++params_resampled;
      }
      EXPECT_EQ(int_attr(t, autoglm::kRetryCountAttr).value_or(-1), int_attr(*orig->second, autoglm::kRetryCountAttr).value_or(0) + 1)
          << "retry " << t.number;
    }
    if (t.state != TrialState::FAIL) continue;
    const std::string reason = fail_reason(t);
    if (!fail_reason_part.empty()) {
      EXPECT_NE(reason.find(fail_reason_part), std::string::npos) << "FAIL trial " << t.number << ": reason '" << reason << "'";
    }
    // Only interrupted trials (stale, worker stopped) are retried (docs/config.md max_retries).
    if (reason.find("stale") == std::string::npos && reason.find("interrupted") == std::string::npos) continue;
    const int count = int_attr(t, autoglm::kRetryCountAttr).value_or(0);
    const size_t n_retries = retries_of.count(t.number) ? retries_of.at(t.number).size() : 0;
    EXPECT_EQ(n_retries, count < max_retries ? 1u : 0u)
        << "FAIL trial " << t.number << " (retry_count " << count << ", max_retries " << max_retries << ")";
  }
  if (params_resampled) std::cout << "  (" << params_resampled << " retried trial(s) had been killed before sampling all parameters)\n";
}

/// `autoglm worker --study STUDY --storage URL`, optionally under `ip netns exec NS`.
inline std::vector<std::string> worker_argv(const std::string& study, const std::string& url, const std::string& netns = "") {
  std::vector<std::string> a;
  if (!netns.empty()) a = {"/usr/sbin/ip", "netns", "exec", netns};
  for (const auto& s : {kAutoglm, std::string("worker"), std::string("--study"), study, std::string("--storage"), url}) a.push_back(s);
  return a;
}

/// `autoglm tune DIR/study.yaml --storage URL`, optionally under `ip netns exec NS`.
inline std::vector<std::string> tune_argv(const TempDir& dir, const std::string& url, const std::string& netns = "") {
  std::vector<std::string> a;
  if (!netns.empty()) a = {"/usr/sbin/ip", "netns", "exec", netns};
  for (const auto& s : {kAutoglm, std::string("tune"), (dir / "study.yaml").string(), std::string("--storage"), url}) a.push_back(s);
  return a;
}

/// Writes DIR/obj.sh (kQuadraticScript) and DIR/study.yaml (quadratic_config) for a study that
/// runs until `n_complete` COMPLETE trials of `trial_sleep` s each, with heartbeats every
/// `heartbeat_interval` s, trials stale after `grace` s and retried up to `max_retries` times.
inline void write_quadratic_study(const TempDir& dir, const std::string& study, int n_complete, double trial_sleep,
                                  int max_retries, double heartbeat_interval, double grace) {
  dir.write("obj.sh", kQuadraticScript, true);
  char hb[160];
  std::snprintf(hb, sizeof hb, "max_retries: %d\nheartbeat_interval: %g\nheartbeat_grace_period: %g\n", max_retries,
                heartbeat_interval, grace);
  dir.write("study.yaml", quadratic_config(study, "n_complete: " + std::to_string(n_complete), trial_sleep, hb));
}

/// Waits until the stderr of `pid` says the study is open (tune printed its first line, after it
/// stored the config) or the process ended; true when the study is ready.
inline bool wait_study_open(Processes& procs, pid_t pid, double timeout) {
  const auto t0 = Clock::now();
  while (seconds_since(t0) < timeout) {
    if (procs.err_of(pid).find("study '") != std::string::npos) return true;
    if (!procs.running(pid)) return procs.err_of(pid).find("study '") != std::string::npos;
    sleep_s(0.05);
  }
  return false;
}

}  // namespace autoglm_fault
