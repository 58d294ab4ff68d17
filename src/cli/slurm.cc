// The Slurm launcher (`autoglm tune --launcher slurm`) and the verbs that follow and stop its
// jobs (`autoglm status`, `autoglm cancel`); docs/cli.md, "On a Slurm cluster".
//
// The engine never talks to slurmctld itself: it runs Slurm's own client programs (sbatch,
// squeue, sacct, scancel) found in PATH, so it works with whatever authentication and cluster
// configuration the user's shell has. The storage URL, which may hold a password, travels only in
// the environment variable AUTOGLM_STORAGE of sbatch (exported to the job): it is never written
// into the batch script nor put on a command line (visible to every user through `ps`).
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "cli/cli.h"

extern char** environ;

namespace autoglm::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kSlurmJobsAttr = "slurm_jobs";

// ---- running Slurm's client programs ------------------------------------------------------

// `prog` resolved through PATH ("" when absent). A name with a '/' is taken as a path.
std::string find_in_path(const std::string& prog) {
  if (prog.find('/') != std::string::npos) return ::access(prog.c_str(), X_OK) == 0 ? prog : "";
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    fs::path p = fs::path(dir) / prog;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

struct ProgramResult {
  int status = -1;  ///< exit status, 128 + signal, or -1 when it could not be started
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] a path) with stdin from /dev/null, the current environment plus `env`
// ("NAME=value" entries, which replace variables of the same name), and captures its output.
ProgramResult run_program(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  ProgramResult r;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return r;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return r;
  }
  // Everything the child needs is built before fork (no allocation after it).
  std::vector<std::string> env_s;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& x : env) replaced = replaced || x.substr(0, x.find('=')) == name;
    if (!replaced) env_s.push_back(entry);
  }
  env_s.insert(env_s.end(), env.begin(), env.end());
  std::vector<char*> envp, args;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_s = argv;
  for (auto& a : argv_s) args.push_back(a.data());
  args.push_back(nullptr);

  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[k]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  return r;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string first_line(const std::string& s) {
  std::string t = trim(s);
  return t.substr(0, t.find('\n'));
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line))
    if (!trim(line).empty()) out.push_back(trim(line));
  return out;
}

// ---- the batch script ------------------------------------------------------------------------

// POSIX shell single-quoting: 'it'\''s'.
std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// `s` as one shell word: as is when it needs no quoting, else single-quoted.
std::string shell_word(const std::string& s) {
  static const std::regex plain(R"(^[A-Za-z0-9_./:=@%+,-]+$)");
  return std::regex_match(s, plain) ? s : shell_quote(s);
}

// A study name as a file / job name: letters, digits, '.', '_' and '-' kept, others '_'.
std::string file_safe(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  if (out.empty() || out[0] == '.' || out[0] == '-') out = "_" + out;
  return out;
}

// A value on an #SBATCH line: sbatch strips one pair of double quotes around an argument, so a
// path with spaces is written in them. Double quotes and newlines cannot be represented there.
std::string sbatch_value(const std::string& v, const std::string& what) {
  if (v.find_first_of("\"\n\r") != std::string::npos)
    throw ConfigError(what + " '" + v + "' contains a double quote or a line break, which an #SBATCH line cannot hold; "
                      "use another directory (objective.log_dir)");
  return v.find_first_of(" \t'\\") == std::string::npos ? v : "\"" + v + "\"";
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Slurm's --time forms used here: [D-]HH:MM:SS or MM:SS.
bool valid_time_limit(const std::string& t) {
  static const std::regex re(R"(^([0-9]+-)?[0-9]{1,2}:[0-5][0-9]:[0-5][0-9]$|^[0-9]+:[0-5][0-9]$)");
  return std::regex_match(t, re);
}

bool is_in_memory(const std::string& url) { return url.empty() || url == ":memory:"; }

// Where the batch script and the array tasks' output go: beside the trial logs.
fs::path slurm_dir(const StudyConfig& cfg) {
  fs::path base = cfg.objective.log_dir.empty() ? fs::path("autoglm-slurm")
                                                : fs::path(cfg.objective.log_dir).lexically_normal().parent_path() / "slurm";
  if (base.empty()) base = "slurm";
  std::error_code ec;
  fs::path abs = fs::absolute(base, ec);
  return (ec ? base : abs).lexically_normal();
}

std::string batch_script(const StudyConfig& cfg, const SlurmFlags& slurm, const fs::path& dir, const std::string& exe) {
  const std::string& study = cfg.study_name;
  const std::string safe = file_safe(study);
  std::ostringstream s;
  s << "#!/bin/bash\n";
  s << "#SBATCH --job-name=autoglm-" << safe << "\n";
  s << "#SBATCH --array=0-" << (slurm.workers - 1) << "\n";
  s << "#SBATCH --output=" << sbatch_value((dir / (safe + "-%A_%a.out")).string(), "the Slurm output path") << "\n";
  s << "#SBATCH --ntasks=1\n";
  s << "#SBATCH --cpus-per-task=" << cfg.n_jobs << "\n";
  if (slurm.gpus_per_trial > 0) s << "#SBATCH --gpus-per-task=" << cfg.n_jobs * slurm.gpus_per_trial << "\n";
  if (!slurm.partition.empty()) s << "#SBATCH --partition=" << slurm.partition << "\n";
  if (!slurm.time_limit.empty()) s << "#SBATCH --time=" << slurm.time_limit << "\n";
  s << "#\n";
  s << "# Written by `autoglm tune --launcher slurm` for study " << shell_quote(safe == study ? study : safe) << ".\n";
  s << "# Each array task runs one worker that joins the study and runs trials until its target is\n";
  s << "# reached. The storage URL comes from AUTOGLM_STORAGE in the environment sbatch exported.\n";
  s << "if [ -z \"${AUTOGLM_STORAGE:-}\" ]; then\n";
  s << "  echo 'autoglm worker: AUTOGLM_STORAGE is not set (submit with it in the environment; see docs/cli.md)' >&2\n";
  s << "  exit 2\n";
  s << "fi\n";
  s << "exec " << shell_quote(exe) << " worker --study " << shell_quote(study);
  if (slurm.gpus_per_trial > 0) s << " --gpus \"$CUDA_VISIBLE_DEVICES\"";
  s << "\n";
  return s.str();
}

nlohmann::json slurm_jobs_of(const std::map<std::string, nlohmann::json>& system_attrs) {
  auto it = system_attrs.find(kSlurmJobsAttr);
  if (it == system_attrs.end() || !it->second.is_array()) return nlohmann::json::array();
  return it->second;
}

std::string job_id_of(const nlohmann::json& job) {
  if (!job.is_object() || !job.contains("job_id")) return "";
  const auto& id = job["job_id"];
  if (id.is_string()) return id.get<std::string>();
  if (id.is_number_integer()) return std::to_string(id.get<int64_t>());
  return "";
}

// ---- job states ------------------------------------------------------------------------------

struct JobState {
  std::string source;  ///< "squeue", "sacct" or "none"
  std::vector<std::pair<std::string, std::string>> tasks;  ///< (job id / array task, state)
  std::string note;    ///< When no task is listed: why.
};

JobState query_job(const std::string& job_id) {
  JobState js;
  const std::string squeue = find_in_path("squeue"), sacct = find_in_path("sacct");
  if (squeue.empty() && sacct.empty()) {
    js.source = "none";
    js.note = "unknown (squeue/sacct not found)";
    return js;
  }
  std::string squeue_note;
  if (!squeue.empty()) {
    // -r: one line per array task (pending tasks otherwise share one "ID_[2-5]" line); -t all:
    // finished tasks too, while slurmctld still holds them (MinJobAge, 300 s by default).
    auto r = run_program({squeue, "-h", "-r", "-t", "all", "-j", job_id, "-o", "%i %T"});
    if (r.status == 0) {
      for (const auto& line : lines_of(r.out)) {
        const auto sp = line.find(' ');
        js.tasks.emplace_back(line.substr(0, sp), sp == std::string::npos ? "" : trim(line.substr(sp + 1)));
      }
      if (!js.tasks.empty()) {
        std::sort(js.tasks.begin(), js.tasks.end(), [](const auto& x, const auto& y) {
          return x.first.size() != y.first.size() ? x.first.size() < y.first.size() : x.first < y.first;
        });
        js.source = "squeue";
        return js;
      }
      squeue_note = "squeue no longer lists it";
    } else {
      squeue_note = "squeue: " + first_line(r.err);
    }
  }
  if (!sacct.empty()) {
    auto r = run_program({sacct, "-n", "-X", "-P", "-j", job_id, "-o", "JobID,State"});
    if (r.status == 0) {
      for (const auto& line : lines_of(r.out)) {
        const auto bar = line.find('|');
        js.tasks.emplace_back(line.substr(0, bar), bar == std::string::npos ? "" : trim(line.substr(bar + 1)));
      }
      if (!js.tasks.empty()) {
        js.source = "sacct";
        return js;
      }
      js.source = "none";
      js.note = "finished or unknown (" + (squeue_note.empty() ? "" : squeue_note + "; ") + "sacct has no record)";
      return js;
    }
    js.source = "none";
    js.note = "finished or unknown (" + (squeue_note.empty() ? "" : squeue_note + "; ") + "sacct: " + first_line(r.err) + ")";
    return js;
  }
  js.source = "none";
  js.note = "finished or unknown (" + squeue_note + "; sacct not found)";
  return js;
}

std::string flag_value(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

void check_slurm_flags(const TuneFlags& flags) {
  if (flags.launcher != "slurm") return;
  const SlurmFlags& s = flags.slurm;
  if (s.workers < 1)
    throw ConfigError("--workers: must be >= 1 (the number of Slurm array tasks, one worker each), got " +
                      std::to_string(s.workers));
  if (s.gpus_per_trial < 0)
    throw ConfigError("--gpus-per-trial: must be >= 0 (0: no GPUs), got " + std::to_string(s.gpus_per_trial));
  if (!s.time_limit.empty() && !valid_time_limit(s.time_limit))
    throw ConfigError("--time: '" + s.time_limit + "' is not a Slurm time limit; write HH:MM:SS, D-HH:MM:SS or MM:SS "
                      "(e.g. 02:00:00)");
  if (!s.partition.empty()) {
    for (char c : s.partition)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ',')) {
        throw ConfigError("--partition: '" + s.partition +
                          "' is not a partition name; use letters, digits, '_', '-', '.' (several separated by ','; "
                          "see `sinfo -s`)");
      }
    if (s.partition.front() == ',' || s.partition.back() == ',' || s.partition.find(",,") != std::string::npos)
      throw ConfigError("--partition: '" + s.partition + "' has an empty name between commas; see `sinfo -s`");
  }
  if (find_in_path("sbatch").empty())
    throw ConfigError("sbatch not found: install Slurm's client or run without --launcher slurm");
}

int launch_slurm(const StudyConfig& cfg, const std::string& storage_url, const TuneFlags& flags) {
  TuneFlags checked = flags;
  checked.launcher = "slurm";
  check_slurm_flags(checked);
  const SlurmFlags& slurm = flags.slurm;
  if (is_in_memory(storage_url))
    throw ConfigError("--launcher slurm: storage '" + storage_url +
                      "' is in-memory, which the Slurm workers cannot share; pass --storage postgresql://... (or "
                      "sqlite:///FILE.db on a shared file system)");
  const std::string sbatch = find_in_path("sbatch");
  auto storage = open_storage(storage_url);
  const std::string shown = storage->url();  // without the password
  if (sqlite_path_from_url(storage_url))
    std::cerr << "autoglm: warning: SQLite storage " << shown
              << " is only valid when every node shares the file system and flock works; use postgresql:// for several "
                 "machines\n";
  const int64_t study_id = find_study(*storage, cfg.study_name);

  const fs::path dir = slurm_dir(cfg);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw ConfigError("cannot create the Slurm folder '" + dir.string() + "' (" + ec.message() +
                      "); set objective.log_dir in the config to a writable folder (scripts go to its parent's slurm/)");
  const fs::path script = dir / (file_safe(cfg.study_name) + ".sbatch");
  {
    std::ofstream out(script, std::ios::binary | std::ios::trunc);
    out << batch_script(cfg, slurm, dir, self_exe());
    out.close();
    if (!out) throw ConfigError("cannot write the batch script '" + script.string() + "'; check that folder's permissions");
  }
  fs::permissions(script, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read, ec);

  // --export=ALL overrides an SBATCH_EXPORT of the user's shell: the job must see AUTOGLM_STORAGE.
  auto r = run_program({sbatch, "--parsable", "--export=ALL", script.string()}, {"AUTOGLM_STORAGE=" + storage_url});
  if (r.status != 0) {
    std::string why = first_line(r.err);
    if (why.empty()) why = r.status < 0 ? std::string("could not be started") : "exit status " + std::to_string(r.status);
    throw ConfigError("sbatch refused the job array (" + script.string() + "): " + why);
  }
  const std::string parsed = first_line(r.out);
  const std::string job_id = parsed.substr(0, parsed.find(';'));
  if (!all_digits(job_id))
    throw ConfigError("sbatch --parsable printed '" + parsed + "', not JOBID[;CLUSTER]; check the job with squeue");
  const std::string cluster = parsed.find(';') == std::string::npos ? "" : parsed.substr(parsed.find(';') + 1);

  nlohmann::json job = {{"job_id", job_id},
                        {"array", "0-" + std::to_string(slurm.workers - 1)},
                        {"script", script.string()},
                        {"submitted_at", format_time(Clock::now())},
                        {"workers", slurm.workers}};
  if (!cluster.empty()) job["cluster"] = cluster;
  nlohmann::json jobs = slurm_jobs_of(storage->get_study_system_attrs(study_id));
  jobs.push_back(job);
  storage->set_study_system_attr(study_id, kSlurmJobsAttr, jobs);

  const std::string& s = cfg.study_name;
  const std::string q = shell_word(s);
  std::cout << "submitted Slurm job array " << job_id << " (" << slurm.workers << " worker"
            << (slurm.workers == 1 ? "" : "s") << ") for study '" << s << "'; follow it with: autoglm status --study "
            << q << " --storage " << shown << "; cancel with: autoglm cancel --study " << q << "\n";
  std::cout << "batch script: " << script.string() << "; worker output: " << (dir / (file_safe(s) + "-" + job_id + "_*.out")).string()
            << "\n";
  return kExitOk;
}

int run_status(const std::string& url, const std::string& study, const std::string& format) {
  check_format(format, {"text", "json"});
  auto storage = open_existing_storage(url);
  const int64_t id = find_study(*storage, study);
  const auto directions = storage->get_study_directions(id);
  const auto user_attrs = storage->get_study_user_attrs(id);
  const auto system_attrs = storage->get_study_system_attrs(id);
  const auto trials = storage->get_all_trials(id);

  std::map<TrialState, int> counts;
  for (auto st : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL})
    counts[st] = 0;
  std::vector<FrozenTrial> complete;
  std::vector<const FrozenTrial*> running;
  int retried = 0;
  for (const auto& t : trials) {
    ++counts[t.state];
    if (t.state == TrialState::COMPLETE) complete.push_back(t);
    if (t.state == TrialState::RUNNING) running.push_back(&t);
    if (t.system_attrs.count(kRetryOfAttr)) ++retried;
  }
  const auto best = best_feasible_trials(complete, directions);
  const auto names = value_names(user_attrs, directions.size());
  bool stop_requested = false;
  if (auto it = system_attrs.find(kStopRequestedAttr); it != system_attrs.end() && it->second.is_boolean())
    stop_requested = it->second.get<bool>();
  auto attr_text = [](const FrozenTrial& t, const char* key) -> std::string {
    auto it = t.system_attrs.find(key);
    if (it == t.system_attrs.end()) return "-";
    return it->second.is_string() ? it->second.get<std::string>() : it->second.dump();
  };
  const nlohmann::json jobs = slurm_jobs_of(system_attrs);
  std::vector<JobState> states;
  for (const auto& job : jobs) states.push_back(query_job(job_id_of(job)));

  if (format == "json") {
    nlohmann::json j;
    j["study_name"] = study;
    j["storage"] = storage->url();
    nlohmann::json dirs = nlohmann::json::array();
    for (auto d : directions) dirs.push_back(to_string(d));
    j["directions"] = dirs;
    j["n_trials"] = trials.size();
    nlohmann::json by_state = nlohmann::json::object();
    for (const auto& [st, n] : counts) by_state[to_string(st)] = n;
    j["n_trials_by_state"] = by_state;
    j["n_waiting"] = counts[TrialState::WAITING];
    j["n_retried"] = retried;
    j["stop_requested"] = stop_requested;
    if (directions.size() == 1) {
      j["best_trial"] = best.empty() ? nlohmann::json(nullptr) : trial_to_json(best[0]);
    } else {
      nlohmann::json front = nlohmann::json::array();
      for (const auto& t : best) front.push_back(trial_to_json(t));
      j["best_trials"] = front;
    }
    nlohmann::json run = nlohmann::json::array();
    for (const auto* t : running) {
      nlohmann::json r;
      r["number"] = t->number;
      auto host = t->system_attrs.find("worker.host");
      auto pid = t->system_attrs.find("worker.pid");
      r["worker_host"] = host == t->system_attrs.end() ? nlohmann::json(nullptr) : host->second;
      r["worker_pid"] = pid == t->system_attrs.end() ? nlohmann::json(nullptr) : pid->second;
      auto age = heartbeat_age_seconds(*t);
      r["heartbeat_age_seconds"] = age ? nlohmann::json(*age) : nlohmann::json(nullptr);
      r["datetime_start"] = t->datetime_start ? nlohmann::json(format_time(*t->datetime_start)) : nlohmann::json(nullptr);
      r["params"] = trial_to_json(*t)["params"];
      run.push_back(r);
    }
    j["running"] = run;
    nlohmann::json sj = nlohmann::json::array();
    for (size_t k = 0; k < jobs.size(); ++k) {
      nlohmann::json o = jobs[k].is_object() ? jobs[k] : nlohmann::json::object();
      o["source"] = states[k].source;
      nlohmann::json tasks = nlohmann::json::array();
      for (const auto& [task, state] : states[k].tasks) tasks.push_back({{"id", task}, {"state", state}});
      o["tasks"] = tasks;
      if (!states[k].note.empty()) o["state"] = states[k].note;
      sj.push_back(o);
    }
    j["slurm_jobs"] = sj;
    std::cout << j.dump(2) << "\n";
    return kExitOk;
  }

  std::string dirs;
  for (auto d : directions) dirs += (dirs.empty() ? "" : ", ") + to_string(d);
  std::cout << "study '" << study << "' (" << dirs << ") in " << storage->url() << "\n";
  std::cout << "trials: " << trials.size();
  std::string sep = " (";
  for (const auto& [st, n] : counts) {
    std::cout << sep << to_string(st) << " " << n;
    sep = ", ";
  }
  std::cout << "); " << retried << " retried (system attr " << kRetryOfAttr << ")\n";
  if (directions.size() == 1) {
    if (best.empty()) std::cout << "best: -\n";
    else std::cout << "best: trial #" << best[0].number << ": " << named_values(names, best[0].values, true) << "\n";
  } else {
    std::cout << "Pareto front: " << best.size() << " of " << complete.size() << " COMPLETE trials";
    for (const auto& t : best) std::cout << (&t == &best[0] ? ": " : "; ") << "#" << t.number << " (" << named_values(names, t.values, false) << ")";
    std::cout << "\n";
  }
  if (stop_requested) std::cout << "stop requested: workers start no new trial (autoglm cancel)\n";
  std::cout << "running: " << running.size() << ", waiting: " << counts[TrialState::WAITING] << "\n";
  if (!running.empty()) {
    std::vector<std::vector<std::string>> rows{{"TRIAL", "HOST", "PID", "HEARTBEAT_AGE", "RUNNING_FOR", "PARAMS"}};
    for (const auto* t : running) {
      auto age = heartbeat_age_seconds(*t);
      char buf[32] = "-";
      if (age) std::snprintf(buf, sizeof buf, "%.0fs", *age);
      auto d = t->duration_seconds();
      rows.push_back({"#" + std::to_string(t->number), attr_text(*t, "worker.host"), attr_text(*t, "worker.pid"), buf,
                      d ? format_duration(*d) : "-", format_params_short(*t)});
    }
    print_table(rows, "  ");
  }
  if (jobs.empty()) {
    std::cout << "Slurm jobs: none recorded\n";
    return kExitOk;
  }
  std::cout << "Slurm jobs:\n";
  for (size_t k = 0; k < jobs.size(); ++k) {
    std::cout << "  job " << job_id_of(jobs[k]) << " (array " << flag_value(jobs[k], "array") << ", "
              << flag_value(jobs[k], "workers") << " workers, submitted " << flag_value(jobs[k], "submitted_at").substr(0, 19)
              << ")";
    if (!states[k].note.empty()) {
      std::cout << ": " << states[k].note << "\n";
      continue;
    }
    std::cout << ", from " << states[k].source << ":\n";
    for (const auto& [task, state] : states[k].tasks) std::cout << "    " << task << " " << state << "\n";
  }
  return kExitOk;
}

int run_cancel(const std::string& url, const std::string& study) {
  // The read-only open checks first that the database exists (a typo creates nothing).
  open_existing_storage(url);
  auto storage = open_storage(url);
  const int64_t id = find_study(*storage, study);
  const nlohmann::json jobs = slurm_jobs_of(storage->get_study_system_attrs(id));
  // First stop every worker from starting trials (local ones too), then cancel the jobs.
  storage->set_study_system_attr(id, kStopRequestedAttr, true);
  std::cout << "study '" << study << "': stop requested (system attr " << kStopRequestedAttr
            << "): workers start no new trial\n";
  if (jobs.empty()) {
    std::cout << "no Slurm jobs recorded for study '" << study << "'\n";
    return kExitOk;
  }
  const std::string scancel = find_in_path("scancel");
  int failures = 0;
  for (const auto& job : jobs) {
    const std::string job_id = job_id_of(job);
    if (job_id.empty()) continue;
    if (scancel.empty()) {
      std::cerr << "autoglm: error: scancel not found: cancel Slurm job " << job_id
                << " where Slurm's client is installed (scancel " << job_id << ")\n";
      ++failures;
      continue;
    }
    auto r = run_program({scancel, job_id});
    if (r.status == 0) {
      std::cout << "cancelled Slurm job " << job_id << " (scancel " << job_id << ")\n";
    } else {
      const std::string why = first_line(r.err);
      // A finished job is no error: cancelling is idempotent.
      if (why.find("Invalid job id") != std::string::npos || why.find("already complet") != std::string::npos) {
        std::cout << "Slurm job " << job_id << " already finished (scancel: " << why << ")\n";
      } else {
        std::cerr << "autoglm: error: scancel " << job_id << " failed: " << (why.empty() ? "exit status " + std::to_string(r.status) : why)
                  << "\n";
        ++failures;
      }
    }
  }
  return failures ? kExitFailure : kExitOk;
}

}  // namespace autoglm::cli
