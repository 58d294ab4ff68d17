// run_command_trial: one child process per trial, its protocol channel, its log, its end.
//
// Life of a run (all in the calling worker thread; nothing here is shared between runs except
// the GpuPool and the shutdown flag):
//   1. substitute placeholders, acquire GPUs (GpuLease), open the log, resolve argv[0] in PATH;
//   2. spawn the child in its own process group with fd 3 = write end of a pipe;
//   3. loop: poll the pipe (<= 100 ms), handle complete lines, check exit (waitid WNOWAIT, so
//      the group id stays reserved), pruning, timeout and shutdown;
//   4. stop what is left of the group (SIGTERM + SIGCONT, SIGKILL after the grace period),
//      draining the pipe meanwhile so that no writer blocks, then reap the leader;
//   5. return the final value(s) or throw TrialPruned / CommandFailed.
// Every resource is owned by an RAII object (UniqueFd, Child, GpuLease), so an exception at any
// point (e.g. from storage) still kills the group, reaps the leader, closes fds, frees GPUs.
#include "executor/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <optional>

#include "autoglm/error.h"
#include "autoglm/study.h"
#include "executor/process.h"
#include "executor/protocol.h"

extern char** environ;

namespace autoglm {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kEngineVars[] = {"AUTOGLM_PARAMS", "AUTOGLM_TRIAL_NUMBER", "AUTOGLM_STUDY_NAME",
                                       "AUTOGLM_REPORT_FD"};
constexpr const char* kBuiltinPlaceholders[] = {"trial_number", "study_name"};
/// Malformed protocol lines recorded in "protocol_warnings" and in the log (the rest are counted).
constexpr size_t kMaxRecordedWarnings = 10;
/// How often the loop wakes up to check exit, timeout and shutdown.
constexpr int kPollMillis = 100;
/// After SIGKILL, how long to wait for the group to vanish before giving up (D-state processes).
constexpr double kKillWaitSeconds = 5.0;

std::string format_seconds(double s) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, s);
  return std::string(buf, res.ptr);
}

double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::string excerpt(std::string_view s, size_t max = 200) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max)) + "...";
}

std::string dump_json(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void check_spec_basics(const CommandSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty())
    throw ConfigError("objective command is empty; give the program to run and its arguments");
  if (!(spec.grace_period_seconds >= 0))
    throw ConfigError("grace_period_seconds must be >= 0, got " + format_seconds(spec.grace_period_seconds));
  if (spec.timeout_seconds && !(*spec.timeout_seconds > 0))
    throw ConfigError("timeout_seconds must be > 0, got " + format_seconds(*spec.timeout_seconds));
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos)
      throw ConfigError("env: invalid variable name '" + key + "'; use a name without '='");
    for (const char* v : kEngineVars)
      if (key == v)
        throw ConfigError("env: " + key + " is set by the engine for every trial; remove it from env");
  }
  for (const auto& m : spec.metrics)
    if (m.empty()) throw ConfigError("metric: empty name; give the metric to optimize or omit it");
  if (spec.intermediate_metric && spec.intermediate_metric->empty())
    throw ConfigError("intermediate_metric: empty name; give a metric name or omit it");
}

class CommandRun {
 public:
  CommandRun(TrialChannel& trial, const CommandSpec& spec) : trial_(trial), spec_(spec) {}

  std::vector<double> execute(GpuPool* gpus);
  /// Last number reported for each metric name (after execute()).
  const std::map<std::string, double>& metric_values() const { return metric_values_; }

 private:
  enum class Outcome { kRunning, kExited, kPruned, kTimedOut, kInterrupted };

  void open_log();
  void note(const std::string& text);
  [[noreturn]] void fail(const std::string& reason);
  void warn(const std::string& problem, std::string_view line);
  void publish_warnings();
  void handle_line(std::string_view line);
  void intermediate(int64_t step, double value, std::string_view line);
  /// Waits up to `millis` for protocol data (or for `exit_fd`, the leader's pidfd, to become
  /// readable) and handles what arrived; sleeps when there is nothing to wait on.
  void pump(int millis, int exit_fd = -1);
  /// Reads whatever the channel holds now (bounded per call so that a flood cannot starve the
  /// checks of the main loop).
  void drain();
  /// SIGTERM (+ SIGCONT) to the group, SIGKILL after the grace period, until no member is left.
  void terminate_group(process::Child& child);

  TrialChannel& trial_;
  const CommandSpec& spec_;
  std::vector<std::string> argv_;
  std::map<std::string, std::string> extra_env_;
  std::map<std::string, ParamValue> params_;
  process::UniqueFd log_fd_;
  std::string log_path_;
  process::UniqueFd report_fd_;  ///< Read end of the protocol pipe (non-blocking).
  protocol::LineBuffer lines_;
  int64_t line_number_ = 0;
  int64_t n_warnings_ = 0;
  std::vector<std::string> warnings_;  ///< The first kMaxRecordedWarnings.
  std::optional<std::vector<double>> final_values_;
  std::map<std::string, double> metric_values_;  ///< Last number reported for each metric name.
  std::map<std::string, std::string> metric_problems_;  ///< Wanted metrics reported as a non-number (JSON).
  bool consult_pruner_ = true;
  bool prune_requested_ = false;
  int64_t prune_step_ = -1;
};

void CommandRun::open_log() {
  if (spec_.log_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(spec_.log_dir, ec);
  if (ec) fail("cannot create log directory " + spec_.log_dir.string() + ": " + ec.message());
  std::filesystem::path path = std::filesystem::absolute(spec_.log_dir, ec) /
                               ("trial-" + std::to_string(trial_.number()) + ".log");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot open trial log " + path.string() + ": " + std::strerror(errno));
  log_fd_ = process::move_high(process::UniqueFd(fd));
  log_path_ = path.lexically_normal().string();
  trial_.set_system_attr("log_path", log_path_);
}

void CommandRun::note(const std::string& text) {
  if (!log_fd_.valid()) return;
  std::string s = "[autoglm] " + text + "\n";
  // One write with O_APPEND: lands whole after what the child wrote so far.
  ssize_t ignored = ::write(log_fd_.get(), s.data(), s.size());
  (void)ignored;
}

void CommandRun::fail(const std::string& reason) {
  note("trial failed: " + reason);
  std::string tail = log_path_.empty() ? std::string() : read_log_tail(log_path_, kLogTailLines);
  publish_warnings();
  trial_.set_system_attr("fail_reason", reason);
  trial_.set_system_attr("log_tail", tail);
  throw CommandFailed(reason, tail, log_path_);
}

void CommandRun::warn(const std::string& problem, std::string_view line) {
  ++n_warnings_;
  if (warnings_.size() >= kMaxRecordedWarnings) return;
  std::string w = "line " + std::to_string(line_number_) + ": " + problem;
  if (!line.empty()) w += ": " + excerpt(line);
  warnings_.push_back(w);
  note("protocol warning: " + w + (warnings_.size() == kMaxRecordedWarnings ? " (further warnings are only counted)" : ""));
  publish_warnings();
}

void CommandRun::publish_warnings() {
  if (n_warnings_ == 0) return;
  trial_.set_system_attr("protocol_warnings", {{"count", n_warnings_}, {"first", warnings_}});
}

void CommandRun::intermediate(int64_t step, double value, std::string_view line) {
  if (trial_.n_objectives() > 1) {
    warn("intermediate values are not supported for multi-objective studies (as in Optuna); ignored", line);
    return;
  }
  trial_.report(value, step);
  if (consult_pruner_ && !prune_requested_ && trial_.should_prune()) {
    prune_requested_ = true;
    prune_step_ = step;
  }
}

void CommandRun::handle_line(std::string_view line) {
  ++line_number_;
  protocol::ParseResult r = protocol::parse_line(line);
  if (!r.problem.empty()) {
    warn(r.problem, line);
    return;
  }
  if (!r.message) return;  // blank line
  const protocol::Message& m = *r.message;
  switch (m.kind) {
    case protocol::MessageKind::kIntermediate:
      intermediate(*m.step, m.values.at(0), line);
      break;
    case protocol::MessageKind::kFinal:
      final_values_ = m.values;
      break;
    case protocol::MessageKind::kAttr:
      trial_.set_user_attr(m.key, m.attr_value);
      break;
    case protocol::MessageKind::kMetrics:
      for (const auto& [name, value] : m.metrics) trial_.set_user_attr(name, value);
      for (const auto& [name, value] : m.metrics) {
        const bool wanted = std::find(spec_.metrics.begin(), spec_.metrics.end(), name) != spec_.metrics.end();
        const bool stepped = m.step && spec_.intermediate_metric == name;
        auto v = protocol::as_number(value);
        if (!v) {
          if (wanted || stepped) warn("metric '" + name + "' must be a number, got " + dump_json(value), line);
          if (wanted) metric_problems_[name] = dump_json(value);
          continue;
        }
        metric_values_[name] = *v;
        if (stepped) intermediate(*m.step, *v, line);
      }
      break;
  }
}

void CommandRun::drain() {
  char buf[65536];
  size_t total = 0;
  while (report_fd_.valid() && total < (4u << 20)) {
    ssize_t n = ::read(report_fd_.get(), buf, sizeof buf);
    if (n > 0) {
      total += static_cast<size_t>(n);
      lines_.feed(
          std::string_view(buf, static_cast<size_t>(n)), [this](std::string_view l) { handle_line(l); },
          [this] {
            ++line_number_;
            warn("line longer than 1 MiB; skipped", "");
          });
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    report_fd_.reset();  // EOF (every writer closed fd 3) or a read error
  }
}

void CommandRun::pump(int millis, int exit_fd) {
  struct pollfd fds[2] = {};
  nfds_t n = 0;
  if (report_fd_.valid()) fds[n++] = {report_fd_.get(), POLLIN, 0};
  if (exit_fd >= 0) fds[n++] = {exit_fd, POLLIN, 0};
  int rc = ::poll(n ? fds : nullptr, n, millis);
  if (rc > 0 && report_fd_.valid() && fds[0].revents) drain();
}

void CommandRun::terminate_group(process::Child& child) {
  child.signal_group(SIGTERM);
  child.signal_group(SIGCONT);  // a stopped process must run to see SIGTERM
  auto start = SteadyClock::now();
  while (child.group_alive()) {
    double left = spec_.grace_period_seconds - seconds_since(start);
    if (left <= 0) break;
    pump(std::clamp(static_cast<int>(left * 1000) + 1, 1, 20), child.exit_fd());
  }
  if (!child.group_alive()) return;
  note("process group still running " + format_seconds(spec_.grace_period_seconds) +
       " s after SIGTERM: sending SIGKILL");
  child.signal_group(SIGKILL);
  auto kill_start = SteadyClock::now();
  while (child.group_alive() && seconds_since(kill_start) < kKillWaitSeconds) pump(10);
  if (child.group_alive()) note("some processes of the group survived SIGKILL for 5 s (uninterruptible?)");
}

std::vector<double> CommandRun::execute(GpuPool* gpus) {
  params_ = trial_.params();
  std::map<std::string, std::string> values;
  for (const auto& name : spec_.search_space_params) values[name] = "";
  for (const auto& [name, value] : params_) values[name] = format_placeholder_value(value);
  values["trial_number"] = std::to_string(trial_.number());
  values["study_name"] = trial_.study_name();
  for (const auto& arg : spec_.argv) argv_.push_back(substitute_placeholders(arg, values));
  for (const auto& [key, value] : spec_.env) extra_env_[key] = substitute_placeholders(value, values);

  // Declared before `child` below: GPUs are released only after the group is gone.
  std::optional<GpuLease> lease;
  if (gpus) {
    lease.emplace(*gpus);
    trial_.set_system_attr("gpus", lease->ids());
  }
  open_log();
  trial_.set_system_attr("command", argv_);

  // Environment: ours, then the configured env, then the engine's variables.
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq) env[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
  }
  for (const auto& [k, v] : extra_env_) env[k] = v;
  nlohmann::json params_json = nlohmann::json::object();
  for (const auto& [name, value] : params_) params_json[name] = to_json(value);
  env["AUTOGLM_PARAMS"] = dump_json(params_json);
  env["AUTOGLM_TRIAL_NUMBER"] = std::to_string(trial_.number());
  env["AUTOGLM_STUDY_NAME"] = trial_.study_name();
  env["AUTOGLM_REPORT_FD"] = "3";
  if (lease) env["CUDA_VISIBLE_DEVICES"] = lease->visible_devices();

  process::SpawnRequest req;
  req.argv = argv_;
  for (const auto& [k, v] : env) req.env.push_back(k + "=" + v);
  req.working_directory = spec_.working_directory;
  const std::string& program = argv_[0];
  if (program.empty()) fail("command not found: '' (the first argument is empty after substitution)");
  if (program.find('/') != std::string::npos) {
    req.executable = program;
  } else {
    auto it = env.find("PATH");
    auto found = process::find_in_path(program, it != env.end() ? it->second : "/usr/local/bin:/usr/bin:/bin");
    if (!found) fail("command not found: " + program);
    req.executable = *found;
  }
  if (!spec_.working_directory.empty()) {
    struct stat st {};
    if (::stat(spec_.working_directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      fail("working directory does not exist: " + spec_.working_directory);
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail(std::string("cannot create the protocol pipe: ") + std::strerror(errno));
  report_fd_ = process::move_high(process::UniqueFd(pipe_fds[0]));
  process::UniqueFd write_end = process::move_high(process::UniqueFd(pipe_fds[1]));
  ::fcntl(report_fd_.get(), F_SETFL, ::fcntl(report_fd_.get(), F_GETFL) | O_NONBLOCK);
  req.output_fd = log_fd_.valid() ? log_fd_.get() : -1;
  req.report_fd = write_end.get();

  if (shutdown_requested()) fail("interrupted: the engine is shutting down");
  pid_t pid = -1;
  int err = process::spawn(req, &pid);
  write_end.reset();  // only the child holds the write end now: EOF when it (and its children) close it
  if (err != 0) {
    if (err == ENOENT)
      fail("command not found: " + program +
           (program.find('/') != std::string::npos ? " (or its #! interpreter is missing)" : ""));
    fail("cannot execute " + program + ": " + std::strerror(err));
  }
  process::Child child(pid);
  const auto start = SteadyClock::now();
  {
    // Lets a later resume stop this command if the engine dies without stopping it (kill -9).
    const WorkerIdentity leader = WorkerIdentity::of_process(pid);
    trial_.set_system_attr("process", {{"host", leader.host}, {"pgid", pid}, {"start_time", leader.start_time}});
  }

  Outcome outcome = Outcome::kRunning;
  while (outcome == Outcome::kRunning) {
    int wait_ms = kPollMillis;
    if (spec_.timeout_seconds) {
      double left = *spec_.timeout_seconds - seconds_since(start);
      wait_ms = std::clamp(static_cast<int>(left * 1000) + 1, 1, kPollMillis);
    }
    pump(wait_ms, child.exit_fd());
    if (prune_requested_) outcome = Outcome::kPruned;
    else if (child.exited()) outcome = Outcome::kExited;
    else if (spec_.timeout_seconds && seconds_since(start) >= *spec_.timeout_seconds) outcome = Outcome::kTimedOut;
    else if (shutdown_requested()) outcome = Outcome::kInterrupted;
  }

  const std::string grace = format_seconds(spec_.grace_period_seconds);
  if (outcome == Outcome::kExited) {
    drain();  // what the command wrote before exiting is in the pipe already
    if (prune_requested_) outcome = Outcome::kPruned;
    consult_pruner_ = false;
    if (child.group_alive()) {
      note("the command exited but processes of its group are still running: stopping them (SIGTERM, SIGKILL after " +
           grace + " s)");
      terminate_group(child);
    }
  } else {
    consult_pruner_ = false;
    if (outcome == Outcome::kPruned)
      note("pruned at step " + std::to_string(prune_step_) + ": stopping the process group (SIGTERM, SIGKILL after " +
           grace + " s)");
    else if (outcome == Outcome::kTimedOut)
      note("timed out after " + format_seconds(*spec_.timeout_seconds) +
           " s: stopping the process group (SIGTERM, SIGKILL after " + grace + " s)");
    else
      note("the engine is shutting down: stopping the process group (SIGTERM, SIGKILL after " + grace + " s)");
    terminate_group(child);
  }
  drain();
  std::string partial = lines_.take_partial();
  if (!partial.empty()) {
    ++line_number_;
    warn("incomplete last line (no newline at the end of the output); ignored", partial);
  }
  int status = child.reap();
  report_fd_.reset();
  publish_warnings();

  switch (outcome) {
    case Outcome::kPruned:
      throw TrialPruned("trial " + std::to_string(trial_.number()) + " pruned at step " + std::to_string(prune_step_));
    case Outcome::kTimedOut:
      fail("timed out after " + format_seconds(*spec_.timeout_seconds) + " s");
    case Outcome::kInterrupted:
      fail("interrupted: the engine is shutting down");
    case Outcome::kRunning:
    case Outcome::kExited:
      break;
  }
  std::string how = process::describe_wait_status(status);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("command " + how);

  std::optional<std::vector<double>> result = final_values_;
  if (!spec_.metrics.empty()) {
    std::vector<double> named;
    std::vector<std::string> missing;
    for (const auto& name : spec_.metrics) {
      auto it = metric_values_.find(name);
      if (it == metric_values_.end()) {
        auto bad = metric_problems_.find(name);
        missing.push_back("'" + name + "'" +
                          (bad == metric_problems_.end() ? "" : " (reported as " + bad->second + ", not a number)"));
      }
      else named.push_back(it->second);
    }
    if (missing.empty()) {
      result = std::move(named);
    } else if (!(spec_.metrics.size() == 1 && final_values_ && final_values_->size() == 1)) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      fail("command exited 0 without reporting metric" + std::string(missing.size() > 1 ? "s " : " ") + list +
           " (write {\"metrics\": {\"NAME\": V, ...}} to fd 3; see docs/protocol.md)");
    }
  }
  if (!result)
    fail(trial_.n_objectives() > 1
             ? "command exited 0 without reporting its final values (write {\"values\": [V1, V2, ...]} to fd 3, or name "
               "one reported metric per direction with objective.metric: [...]; see docs/protocol.md)"
             : "command exited 0 without reporting a final value (write {\"value\": V} to fd 3; see docs/protocol.md)");
  const size_t expected = spec_.metrics.empty() ? trial_.n_objectives() : spec_.metrics.size();
  if (result->size() != expected)
    fail("command reported " + std::to_string(result->size()) + " final value(s) but the study has " +
         std::to_string(trial_.n_objectives()) + " objective(s)");
  return *result;
}

/// TrialChannel over a real Trial of a Study.
class StudyTrialChannel final : public TrialChannel {
 public:
  explicit StudyTrialChannel(Trial& trial) : trial_(trial) {}
  int number() const override { return trial_.number(); }
  std::string study_name() const override { return trial_.study().study_name(); }
  std::map<std::string, ParamValue> params() const override { return trial_.params(); }
  size_t n_objectives() const override { return trial_.study().directions().size(); }
  void report(double value, int64_t step) override { trial_.report(value, step); }
  bool should_prune() override { return trial_.should_prune(); }
  void set_user_attr(const std::string& key, const nlohmann::json& value) override { trial_.set_user_attr(key, value); }
  void set_system_attr(const std::string& key, const nlohmann::json& value) override {
    trial_.set_system_attr(key, value);
  }

 private:
  Trial& trial_;
};

}  // namespace

CommandFailed::CommandFailed(std::string reason, std::string log_tail, std::string log_path)
    : Error(reason + (log_tail.empty() ? std::string()
                                       : "\n--- last lines of " + log_path + " ---\n" + log_tail)),
      reason_(std::move(reason)),
      log_tail_(std::move(log_tail)),
      log_path_(std::move(log_path)) {}

std::string read_log_tail(const std::string& path, int n_lines) {
  process::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || n_lines <= 0) return "";
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || st.st_size == 0) return "";
  const off_t window = 64 * 1024;
  off_t offset = st.st_size > window ? st.st_size - window : 0;
  std::string data(static_cast<size_t>(st.st_size - offset), '\0');
  ssize_t n = ::pread(fd.get(), data.data(), data.size(), offset);
  if (n <= 0) return "";
  data.resize(static_cast<size_t>(n));
  if (offset > 0) {  // the first line is cut: drop it
    size_t nl = data.find('\n');
    data = nl == std::string::npos ? std::string() : data.substr(nl + 1);
  }
  while (!data.empty() && data.back() == '\n') data.pop_back();
  std::vector<std::string_view> lines;
  std::string_view rest(data);
  while (!rest.empty() || lines.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  size_t first = lines.size() > static_cast<size_t>(n_lines) ? lines.size() - static_cast<size_t>(n_lines) : 0;
  std::string out;
  for (size_t i = first; i < lines.size(); ++i) {
    if (i > first) out += '\n';
    out += excerpt(lines[i], 1000);
  }
  return out;
}

void validate_command_spec(const CommandSpec& spec, const std::set<std::string>& param_names) {
  check_spec_basics(spec);
  std::map<std::string, std::string> known;
  for (const auto& n : param_names) known[n] = "";
  for (const char* b : kBuiltinPlaceholders) known[b] = "";
  for (const auto& n : spec.search_space_params) known[n] = "";
  for (size_t i = 0; i < spec.argv.size(); ++i) {
    try {
      substitute_placeholders(spec.argv[i], known);
    } catch (const ConfigError& e) {
      throw ConfigError("objective command, argument " + std::to_string(i) + ": " + e.what());
    }
  }
  for (const auto& [key, value] : spec.env) {
    try {
      substitute_placeholders(value, known);
    } catch (const ConfigError& e) {
      throw ConfigError("env " + key + ": " + e.what());
    }
  }
  const std::string& program = spec.argv[0];
  if (program.find('/') == std::string::npos && program.find('{') == std::string::npos) {
    auto it = spec.env.find("PATH");
    const char* path = std::getenv("PATH");
    std::string path_list = it != spec.env.end() ? it->second : (path ? path : "/usr/local/bin:/usr/bin:/bin");
    if (!process::find_in_path(program, path_list))
      throw ConfigError("objective command: command not found: " + program +
                        " (not in PATH; give its full path or install it)");
  }
  if (!spec.working_directory.empty()) {
    struct stat st {};
    if (::stat(spec.working_directory.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      throw ConfigError("working_directory: " + spec.working_directory + " does not exist or is not a directory");
  }
}

std::vector<double> run_command(TrialChannel& trial, const CommandSpec& spec, GpuPool* gpus,
                                std::map<std::string, double>* reported_metrics) {
  check_spec_basics(spec);
  CommandRun run(trial, spec);
  std::vector<double> values = run.execute(gpus);
  if (reported_metrics) *reported_metrics = run.metric_values();
  return values;
}

std::vector<double> run_command_trial(Trial& trial, const CommandSpec& spec, GpuPool* gpus,
                                      std::map<std::string, double>* reported_metrics) {
  StudyTrialChannel channel(trial);
  return run_command(channel, spec, gpus, reported_metrics);
}

}  // namespace autoglm
