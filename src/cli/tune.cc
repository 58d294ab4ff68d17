// `autoglm tune CONFIG.yaml`: runs (or resumes) a study described by a YAML config.
//
// Order of work (docs/cli.md): load and validate the whole config, apply the flags, resolve the
// objective's program and the storage URL, and only then open the storage. A study that exists
// is resumed (load_if_exists): `n_trials` is the total number of trials with a result (COMPLETE
// or PRUNED, the baseline excluded) the study should have, so a rerun only runs what is missing.
// With a `baseline`, one extra trial with the baseline's parameters (user attr "baseline": true,
// never pruned) runs after the search unless the study already has one (in any state but FAIL),
// and the best trial is compared with it. A built-in function (`objective: {function: NAME}`)
// is evaluated in-process instead of running a command.
//
// Several processes may run the same study (the way to use more workers): each worker thread
// starts one trial at a time, and before each start it checks the whole study through the
// storage (trials with a result plus trials running anywhere must stay below n_trials) while
// holding the StartLock, so together they run n_trials, and the baseline once.
//
// Ctrl-C: the first SIGINT (or SIGTERM) stops starting trials and asks the executor to stop the
// running commands (request_shutdown), whose trials become FAIL "interrupted: ..."; the command
// then exits 130 (143 for SIGTERM). A third signal exits at once.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "autoglm/config.h"
#include "autoglm/error.h"
#include "autoglm/executor.h"
#include "autoglm/objectives.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "cli/cli.h"

namespace autoglm::cli {

namespace {

namespace fs = std::filesystem;

// ---- signals -------------------------------------------------------------------------------

std::atomic<int> g_signals{0};
std::atomic<int> g_last_signal{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

// The workers check interrupted() before starting each trial; request_shutdown() stops the
// running commands.
extern "C" void on_stop_signal(int sig) {
  int n = g_signals.fetch_add(1) + 1;
  g_last_signal.store(sig);
  request_shutdown();
  if (n >= 3) {
    const char msg[] = "\nautoglm: third interrupt, exiting now (trial commands may be left running)\n";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(128 + sig);
  }
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_signals.load() > 0; }

// ---- starting trials -----------------------------------------------------------------------

// Serializes "check the study, then start a trial" (the n_trials check with ask(), the baseline
// check with enqueue_trial) between the worker threads of this process and, for a SQLite storage,
// between the processes of this host that share the file: they take an flock on the database's
// directory (not on the database file: closing another descriptor of that file would drop
// SQLite's own POSIX locks). So each check sees every trial started before it. Where flock is
// not available (a network file system may refuse it) only the threads of this process are
// serialized, and two processes checking at the same moment may each start one trial (or
// enqueue one baseline) too many: a tiny race, accepted. Other back ends lock the study through
// Storage::lock_study (PostgreSQL: an advisory lock), which serializes workers on all machines.
// Thread-safe: fd_ is set once; flock and guard_ are taken only while mutex_ is held.
class StartLock {
 public:
  StartLock(const std::string& url, Storage& storage, int64_t study_id) : storage_(storage), study_id_(study_id) {
    if (auto p = sqlite_path_from_url(url)) {
      std::error_code ec;
      const fs::path dir = fs::absolute(*p, ec).parent_path();
      if (!ec) fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  }
  ~StartLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  StartLock(const StartLock&) = delete;
  StartLock& operator=(const StartLock&) = delete;

  void lock() {
    mutex_.lock();
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    } else {
      try {
        guard_ = storage_.lock_study(study_id_);
      } catch (...) {
        mutex_.unlock();
        throw;
      }
    }
  }
  void unlock() {
    if (fd_ >= 0) ::flock(fd_, LOCK_UN);
    guard_.reset();
    mutex_.unlock();
  }

 private:
  std::mutex mutex_;
  Storage& storage_;
  const int64_t study_id_;
  int fd_ = -1;
  std::unique_ptr<StudyLock> guard_;  // GUARDED_BY(mutex_)
};

// A RUNNING trial whose worker process (recorded by Study::ask) is gone from this host: it will
// never finish (Study::fail_stale_trials marks such trials FAIL). Trials of other hosts, or
// without a recorded worker, are taken as alive.
bool is_stale(const FrozenTrial& t) {
  static const WorkerIdentity me = WorkerIdentity::current();
  const std::optional<WorkerIdentity> owner = WorkerIdentity::of_trial(t);
  return owner && owner->host == me.host && !owner->alive();
}

// Finished trials that count towards the study's target, from every process: COMPLETE, plus
// PRUNED unless only COMPLETE ones count; the baseline never counts. Reads the study's
// incremental snapshot, so a start costs no full read of a large study.
// Counted incrementally: finished trials never change and the snapshot only grows, so only the
// trials added since the last call are looked at, found by scanning back from the end (a late
// finisher sits a few places before it) until every new one was seen. A full scan per start,
// under the start lock, made a 10,000-trial study 2.5x slower than a new one (bench/throughput.sh).
// Thread-safe (mutex_); one counter per run of one study (run_search).
class FinishedCounter {
 public:
  int count(const std::vector<FrozenTrial>& finished, bool complete_only) {
    std::lock_guard lock(mutex_);
    if (finished.size() < seen_n_ || complete_only != complete_only_) reset_locked(complete_only);
    size_t missing = finished.size() - seen_n_;
    for (auto it = finished.rbegin(); missing > 0 && it != finished.rend(); ++it) {
      const auto n = static_cast<size_t>(std::max(0, it->number));
      if (n >= seen_.size()) seen_.resize(std::max(n + 1, 2 * seen_.size()), false);
      if (seen_[n]) continue;
      seen_[n] = true;
      ++seen_n_;
      --missing;
      if (!is_baseline(*it) && (it->state == TrialState::COMPLETE || (!complete_only && it->state == TrialState::PRUNED)))
        ++count_;
    }
    return count_;
  }

 private:
  void reset_locked(bool complete_only) {
    seen_.clear();
    seen_n_ = 0;
    count_ = 0;
    complete_only_ = complete_only;
  }
  std::mutex mutex_;
  std::vector<bool> seen_;     // GUARDED_BY(mutex_): trial numbers already counted (or not)
  size_t seen_n_ = 0;          // GUARDED_BY(mutex_)
  int count_ = 0;              // GUARDED_BY(mutex_)
  bool complete_only_ = false;  // GUARDED_BY(mutex_)
};

// True when the study has reached `target`: counted finished trials (`counter`, over the
// study's incremental snapshot) plus the RUNNING ones. A plain count of RUNNING trials decides
// while far from the target; near it, the RUNNING trials are read to leave out stale ones (a
// dead local worker's) and the baseline. `*saw_stale` (when given) is set when a RUNNING trial
// of a dead local worker was seen.
bool target_reached(Study& study, FinishedCounter& counter, bool complete_only, int target,
                    bool* saw_stale = nullptr) {
  // RUNNING trials are read before the finished ones: a trial finishing in between is then
  // counted twice (this worker stops early; the one that finished it counts again after), never
  // missed (which would start one trial too many).
  Storage& storage = study.storage();
  const std::vector<TrialState> running{TrialState::RUNNING};
  const int n_running = storage.get_n_trials(study.study_id(), running);
  if (counter.count(*study.finished_trials_snapshot(), complete_only) + n_running < target) return false;
  const auto running_trials = storage.get_all_trials(study.study_id(), running);
  int n = counter.count(*study.finished_trials_snapshot(), complete_only);
  for (const auto& t : running_trials) {
    if (is_baseline(t)) continue;
    if (!is_stale(t)) ++n;
    else if (saw_stale) *saw_stale = true;
  }
  return n >= target;
}

// ---- progress ------------------------------------------------------------------------------

std::string clock_text(double s) {
  char buf[32];
  int t = static_cast<int>(s);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

// Reports finished trials: a progress bar on a terminal, one line per trial otherwise.
// Thread-safe: workers call on_trial concurrently; everything is guarded by mutex_.
class Progress {
 public:
  /// `value_names`: one name per objective value, for the lines ("f1", "latency_ms").
  Progress(bool tty, std::optional<int> total, int done, std::vector<StudyDirection> directions,
           std::vector<std::string> value_names)
      : tty_(tty), total_(total), done_(done), directions_(std::move(directions)), value_names_(std::move(value_names)),
        start_(std::chrono::steady_clock::now()) {}
  ~Progress() { finish(); }

  void seed_best(const std::vector<FrozenTrial>& trials) {
    std::lock_guard lock(mutex_);
    for (const auto& t : trials) consider_locked(t);
  }

  void start_ticker() {
    if (!tty_) return;
    ticker_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      while (!stopping_) {
        draw_locked();
        cv_.wait_for(lock, std::chrono::milliseconds(500));
      }
    });
  }

  void trial_started() { running_.fetch_add(1); }
  void trial_ended() { running_.fetch_sub(1); }

  void on_trial(const FrozenTrial& t) {
    std::lock_guard lock(mutex_);
    const bool baseline = is_baseline(t);
    if (!baseline && (t.state == TrialState::COMPLETE || t.state == TrialState::PRUNED)) ++done_;
    const bool improved = !baseline && consider_locked(t);
    std::string line = describe(t, baseline);
    if (!tty_) {
      std::cerr << line << std::endl;
      return;
    }
    if (t.state == TrialState::FAIL || improved || baseline) {
      std::cerr << "\r\033[K" << (improved ? line + "  << new best" : line) << "\n";
    }
    draw_locked();
  }

  void message(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (tty_) std::cerr << "\r\033[K";
    std::cerr << text << std::endl;
    if (tty_ && ticker_.joinable()) draw_locked();
  }

  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      if (tty_ && drawn_) {
        draw_locked();
        std::cerr << "\n";
      }
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  bool consider_locked(const FrozenTrial& t) {
    if (directions_.size() != 1 || t.state != TrialState::COMPLETE || t.values.empty() || is_baseline(t) ||
        !is_feasible(t))
      return false;
    double v = t.values[0];
    bool better = !best_ || (directions_[0] == StudyDirection::MINIMIZE ? v < best_->first : v > best_->first);
    if (better) best_ = std::make_pair(v, t.number);
    return better;
  }

  std::string describe(const FrozenTrial& t, bool baseline) const {
    std::ostringstream os;
    os << (baseline ? "baseline trial " : "trial ") << t.number << " " << to_string(t.state);
    if (!t.values.empty()) {
      if (t.values.size() == value_names_.size()) {
        for (size_t i = 0; i < t.values.size(); ++i) os << " " << value_names_[i] << "=" << format_short(t.values[i]);
      } else {  // a PRUNED trial's last intermediate value
        os << " " << value_names_.front() << "=" << format_short(t.values.front());
      }
    }
    if (t.state == TrialState::COMPLETE && !is_feasible(t)) os << " (infeasible)";
    if (t.state == TrialState::PRUNED) {
      if (auto s = t.last_step()) os << " at step " << *s;
    }
    if (auto d = t.duration_seconds()) os << " [" << format_duration(*d) << "]";
    os << " " << format_params_short(t);
    if (t.state == TrialState::FAIL) {
      auto it = t.system_attrs.find("fail_reason");
      if (it != t.system_attrs.end() && it->second.is_string()) {
        std::string r = it->second.get<std::string>();
        if (auto nl = r.find('\n'); nl != std::string::npos) r = r.substr(0, nl);
        os << " -- " << r;
      }
      auto lp = t.system_attrs.find("log_path");
      if (lp != t.system_attrs.end() && lp->second.is_string()) os << " (log: " << lp->second.get<std::string>() << ")";
    }
    if (best_ && !baseline) os << " (best " << format_short(best_->first) << " at #" << best_->second << ")";
    return os.str();
  }

  void draw_locked() {
    drawn_ = true;
    std::ostringstream os;
    os << "\r\033[K";
    if (total_) {
      const int width = 24;
      int filled = *total_ > 0 ? std::min(width, done_ * width / *total_) : width;
      os << "[" << std::string(filled, '#') << std::string(width - filled, '.') << "] " << done_ << "/" << *total_
         << " trials";
    } else {
      os << done_ << " trials";
    }
    if (best_) os << " | best " << value_names_.front() << " " << format_short(best_->first) << " (#" << best_->second << ")";
    os << " | " << running_.load() << " running | " << clock_text(elapsed());
    if (interrupted()) os << " | stopping...";
    std::cerr << os.str() << std::flush;
  }

  const bool tty_;
  const std::optional<int> total_;
  std::mutex mutex_;
  std::condition_variable cv_;
  int done_;  ///< GUARDED_BY(mutex_): trials with a result, baseline excluded.
  std::optional<std::pair<double, int>> best_;  ///< GUARDED_BY(mutex_): value, number.
  bool stopping_ = false;  ///< GUARDED_BY(mutex_)
  bool drawn_ = false;     ///< GUARDED_BY(mutex_)
  std::atomic<int> running_{0};
  const std::vector<StudyDirection> directions_;
  const std::vector<std::string> value_names_;
  const std::chrono::steady_clock::time_point start_;
  std::thread ticker_;
};

// ---- helpers -------------------------------------------------------------------------------

bool found_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (!path) return false;
  std::stringstream ss(path);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) dir = ".";
    if (::access((fs::path(dir) / program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A path as a command argument: the executor substitutes placeholders, so "{" is written "{{".
std::string escape_braces(const std::string& path) {
  std::string out;
  for (char c : path) out += c == '{' ? std::string("{{") : std::string(1, c);
  return out;
}

// `autoglm` in a command means this very binary; `autoglm-train`, when not in PATH, the one
// built beside it. Throws ConfigError when `autoglm train` is used but autoglm-train is missing.
std::vector<std::string> resolve_program(std::vector<std::string> argv) {
  const fs::path train = fs::path(self_dir()) / "autoglm-train";
  auto need_train = [&] {
    if (::access(train.c_str(), X_OK) != 0)
      throw ConfigError("objective.command runs the built-in trainer, but autoglm-train was not built (expected at " +
                        train.string() + "); configure with -DAUTOGLM_WITH_TORCH=ON and build the autoglm-train target");
  };
  if (argv[0] == "autoglm") {
    argv[0] = escape_braces(self_exe());
    if (argv.size() > 1 && argv[1] == "train") need_train();
  } else if (argv[0] == "autoglm-train" && !found_in_path("autoglm-train")) {
    need_train();
    argv[0] = escape_braces(train.string());
  }
  return argv;
}

std::string default_log_dir(const std::string& url, const std::string& study) {
  fs::path base;
  if (auto p = sqlite_path_from_url(url)) {
    fs::path db(*p);
    base = db.parent_path() / (db.stem().string() + "-logs");
  } else {
    base = "autoglm-logs";
  }
  // The study name as one folder name: no separators, no "..", no control characters.
  std::string folder;
  for (unsigned char c : study) folder += c == '/' || c < 0x20 || c == 0x7f ? '_' : static_cast<char>(c);
  if (folder == "." || folder == "..") folder = std::string(folder.size(), '_');
  std::error_code ec;
  fs::path abs = fs::absolute(base / folder, ec);
  return (ec ? base / folder : abs).lexically_normal().string();
}

std::optional<FrozenTrial> best_of(const std::vector<FrozenTrial>& trials, StudyDirection dir, bool baseline) {
  std::optional<FrozenTrial> best;
  for (const auto& t : trials) {
    if (t.state != TrialState::COMPLETE || t.values.empty() || is_baseline(t) != baseline || !is_feasible(t)) continue;
    if (!best || (dir == StudyDirection::MINIMIZE ? t.values[0] < best->values[0] : t.values[0] > best->values[0]))
      best = t;
  }
  return best;
}

// One name per objective value: the metrics (`objective.metric: [f1, latency_ms]`), "score" for
// a weighted score, f1 ... fM for a built-in multi-objective function, else `value_name`.
std::vector<std::string> objective_value_names(const StudyConfig& cfg) {
  if (cfg.scoring) return {"score"};
  if (!cfg.objective.metrics.empty()) return cfg.objective.metrics;
  if (cfg.directions.size() == 1) return {cfg.objective.value_name};
  std::vector<std::string> names;
  for (size_t k = 0; k < cfg.directions.size(); ++k) names.push_back("f" + std::to_string(k + 1));
  return names;
}

// "accuracy 0.12, recall 0.31 (AHP, CR 0.034)".
std::string weights_text(const ScoringConfig& scoring) {
  std::string out;
  for (size_t k = 0; k < scoring.metrics.size(); ++k)
    out += (k ? ", " : "") + scoring.metrics[k].name + " " + format_short(scoring.weights[k]);
  if (scoring.ahp) out += " (AHP, CR " + format_short(scoring.ahp->consistency_ratio) + ")";
  return out;
}

void print_summary(Study& study, const StudyConfig& cfg, double elapsed) {
  // The finished trials from the study's incremental snapshot (a second full copy of a large
  // study would double the peak memory: bench/throughput.sh), the unfinished ones read now.
  // Unfinished first: one that finishes meanwhile is then in the snapshot, and dropped here.
  auto unfinished = study.storage().get_all_trials(
      study.study_id(), std::vector<TrialState>{TrialState::WAITING, TrialState::RUNNING});
  const auto finished = study.finished_trials_snapshot();
  std::erase_if(unfinished, [&](const FrozenTrial& u) {
    return std::binary_search(finished->begin(), finished->end(), u,
                              [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  });
  std::map<TrialState, int> counts;
  int baseline_n = 0, infeasible = 0;
  for (const std::vector<FrozenTrial>* part : {finished.get(), &std::as_const(unfinished)}) {
    for (const auto& t : *part) {
      if (is_baseline(t)) { ++baseline_n; continue; }
      ++counts[t.state];
      if (t.state == TrialState::COMPLETE && !is_feasible(t)) ++infeasible;
    }
  }
  std::cout << "study '" << study.study_name() << "': " << counts[TrialState::COMPLETE] << " COMPLETE"
            << (infeasible ? " (" + std::to_string(infeasible) + " infeasible)" : "") << ", "
            << counts[TrialState::PRUNED] << " PRUNED, " << counts[TrialState::FAIL] << " FAIL"
            << (counts[TrialState::RUNNING] ? ", " + std::to_string(counts[TrialState::RUNNING]) + " RUNNING" : "")
            << (baseline_n ? " (+ baseline)" : "") << "; this run took " << format_duration(elapsed) << "\n";
  const auto names = objective_value_names(cfg);
  const auto& name = names.front();
  if (study.directions().size() != 1) {
    auto front = study.best_trials();
    std::cout << "Pareto front: " << front.size() << " feasible trial(s)";
    for (size_t k = 0; k < names.size(); ++k)
      std::cout << (k ? ", " : " (") << (study.directions()[k] == StudyDirection::MINIMIZE ? "min " : "max ") << names[k];
    std::cout << ")\n";
    for (const auto& t : front) {
      std::cout << "  trial #" << t.number << ":";
      for (size_t i = 0; i < t.values.size(); ++i) std::cout << (i ? ", " : " ") << names[i] << " " << format_short(t.values[i]);
      std::cout << "  " << format_params(t) << "\n";
    }
    return;
  }
  const StudyDirection dir = study.directions()[0];
  auto best = best_of(*finished, dir, false);
  if (!best) {
    const bool any_complete = counts[TrialState::COMPLETE] > 0;
    std::cout << "no " << (any_complete ? "feasible " : "") << "COMPLETE trial yet"
              << (any_complete ? " (every COMPLETE trial violates a constraint)" : "") << "; see `autoglm trials --study "
              << study.study_name() << "` for the reasons\n";
    return;
  }
  auto base = cfg.baseline.empty() ? std::nullopt : best_of(*finished, dir, true);
  const double v = best->values[0];
  std::cout << "best trial #" << best->number << ": " << name << " " << format_short(v);
  if (base) {
    // The comparison the baseline exists for: tuned vs. default configuration.
    const double b = base->values[0];
    const double gain = (dir == StudyDirection::MINIMIZE ? b - v : v - b) / std::abs(b) * 100.0;
    std::cout << " vs default configuration: " << format_short(b);
    if (b != 0 && std::isfinite(gain)) {
      char pct[32];
      std::snprintf(pct, sizeof pct, "%.1f%%", std::abs(gain));
      std::cout << " (" << pct << (gain >= 0 ? " better" : " worse") << ")";
    }
  }
  std::cout << "\n  params: " << format_params(*best) << "\n";
  if (cfg.scoring) {
    std::cout << "  metrics:";
    if (auto raw = scoring_metrics_of(*cfg.scoring, *best))
      for (size_t k = 0; k < raw->size(); ++k) std::cout << (k ? ", " : " ") << cfg.scoring->metrics[k].name << " " << format_short((*raw)[k]);
    std::cout << "\n  weights: " << weights_text(*cfg.scoring) << "; re-rank with other weights: autoglm best --study "
              << study.study_name() << " --weights NAME=W,...\n";
  }
  if (!cfg.baseline.empty() && !base) {
    std::optional<int> running;
    for (const auto& t : unfinished)
      if (is_baseline(t) && t.state == TrialState::RUNNING && !is_stale(t)) running = t.number;
    if (running)
      std::cout << "default configuration: still running in another process (trial #" << *running
                << "); see `autoglm trials --study " << study.study_name() << "` once it is done\n";
    else
      std::cout << "default configuration: no COMPLETE baseline trial (see `autoglm trials --study "
                << study.study_name() << "`)\n";
  }
}

// ---- shared by tune and worker ----------------------------------------------------------------

// Study system attr holding the config a study was started with, for `autoglm worker`:
// {"yaml": TEXT, "origin": ABSOLUTE PATH, "overrides": {n_trials, n_complete, timeout, n_jobs, seed}}.
constexpr const char* kConfigAttr = "config";
// With n_complete, a process stops after this many FAILs in a row (the objective looks broken).
constexpr int kMaxFailuresInARow = 10;

// The config text stored with a study: without its `storage` key (a URL may hold a password,
// and a worker brings its own URL). Verbatim when there is none (comments kept).
std::string config_text_to_store(const std::string& text) {
  YAML::Node root = YAML::Load(text);
  if (!root.IsMap() || !root["storage"]) return text;
  root.remove("storage");
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

// With a seed, every process would sample the same sequence: a process that joins a study
// other live processes are running (every `worker`, a second `tune`) derives its own seed from
// the configured one and its pid, so workers explore different points. A lone `tune` keeps the
// configured seed (reproducible).
void separate_seed_if_joining(StudyConfig& cfg, Storage& storage, bool worker) {
  std::optional<uint64_t> seed = cfg.seed;
  if (cfg.sampler.contains("seed") && cfg.sampler["seed"].is_number_unsigned()) seed = cfg.sampler["seed"].get<uint64_t>();
  if (!seed) return;
  bool joining = worker;
  if (!joining) {
    try {
      const int64_t id = storage.get_study_id_from_name(cfg.study_name);
      for (const auto& t : storage.get_all_trials(id, std::vector<TrialState>{TrialState::RUNNING}))
        joining = joining || !is_stale(t);
    } catch (const NotFoundError&) {
    }
  }
  if (!joining) return;
  const uint64_t mixed = (*seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(::getpid())) % 4294967296ULL;
  cfg.sampler["seed"] = mixed;
}

bool stop_requested(Study& study) {
  const auto attrs = study.storage().get_study_system_attrs(study.study_id());
  auto it = attrs.find(kStopRequestedAttr);
  return it != attrs.end() && it->second == true;
}

// Command-line values that replace the config's (tune's flags, stored with the study for workers).
struct Overrides {
  std::optional<int> n_trials, n_complete, n_jobs;
  std::optional<double> timeout_seconds;
  std::optional<uint64_t> seed;

  nlohmann::json to_json() const {
    nlohmann::json j = nlohmann::json::object();
    if (n_trials) j["n_trials"] = *n_trials;
    if (n_complete) j["n_complete"] = *n_complete;
    if (n_jobs) j["n_jobs"] = *n_jobs;
    if (seed) j["seed"] = *seed;
    return j;
  }
  static Overrides from_json(const nlohmann::json& j) {
    Overrides o;
    if (j.contains("n_trials")) o.n_trials = j["n_trials"].get<int>();
    if (j.contains("n_complete")) o.n_complete = j["n_complete"].get<int>();
    if (j.contains("n_jobs")) o.n_jobs = j["n_jobs"].get<int>();
    if (j.contains("seed")) o.seed = j["seed"].get<uint64_t>();
    return o;
  }
  // Checks the values (ConfigError naming the flag) and applies them; --n-trials and
  // --n-complete each replace both config keys (they are exclusive).
  void apply(StudyConfig& cfg) const {
    if (n_trials && n_complete) throw ConfigError("--n-trials and --n-complete are exclusive; keep one");
    if (n_trials) {
      if (*n_trials < 1) throw ConfigError("--n-trials: must be >= 1, got " + std::to_string(*n_trials));
      cfg.n_trials = n_trials;
      cfg.n_complete.reset();
    }
    if (n_complete) {
      if (*n_complete < 1) throw ConfigError("--n-complete: must be >= 1, got " + std::to_string(*n_complete));
      cfg.n_complete = n_complete;
      cfg.n_trials.reset();
    }
    if (timeout_seconds) {
      if (!(*timeout_seconds > 0)) throw ConfigError("--timeout: must be > 0 seconds");
      cfg.timeout_seconds = timeout_seconds;
    }
    if (n_jobs) {
      if (*n_jobs < 1) throw ConfigError("--n-jobs: must be >= 1, got " + std::to_string(*n_jobs));
      cfg.n_jobs = *n_jobs;
    }
    if (seed) {
      cfg.seed = seed;
      cfg.sampler["seed"] = *seed;
    }
  }
};

// What a validated config needs to run trials (prepare_run).
struct RunSetup {
  std::optional<objectives::Problem> function;
  std::optional<objectives::MultiProblem> multi_function;
  std::unique_ptr<GpuPool> gpus;
  std::string log_dir;
};

// The objective of a validated config, made ready to run: a built-in function, or the command
// with its program resolved, plus the GPU pool and the log folder. Throws ConfigError.
RunSetup prepare_run(StudyConfig& cfg, const std::string& url) {
  // A built-in function (`objective: {function: ...}`) is evaluated in this process; a command
  // runs as a child process per trial.
  RunSetup setup;
  auto& function = setup.function;
  auto& multi_function = setup.multi_function;
  if (cfg.objective.function && is_multi_objective_function(cfg.objective.function->name))
    multi_function = make_builtin_multi_problem(cfg);
  else if (cfg.objective.function) function = make_builtin_problem(cfg);
  else cfg.objective.command = resolve_program(cfg.objective.command);
  if (!cfg.gpus.empty()) setup.gpus = std::make_unique<GpuPool>(cfg.gpus, cfg.gpus_per_trial);
  const std::string log_dir = setup.log_dir =
      cfg.objective.log_dir.empty() ? default_log_dir(url, cfg.study_name) : cfg.objective.log_dir;
  if (!function && cfg.objective.log_dir.empty()) {  // objective.log_dir was checked by the loader
    const std::string problem = log_dir_problem(log_dir);
    if (!problem.empty()) throw ConfigError(problem + " (or set objective.log_dir in the config)");
  }
  return setup;
}

// Creates the study (or loads it to resume: load_if_exists), refuses a resume whose space,
// objectives, scoring or constraints changed, records what `autoglm best`/`trials` need, and,
// when `stored_config` is given (tune), stores the config with the study so that `autoglm
// worker` can join it with the URL and the name alone.
std::unique_ptr<Study> open_study(const StudyConfig& cfg, const std::shared_ptr<Storage>& storage,
                                  const nlohmann::json* stored_config) {
  CreateStudyOptions opts;
  opts.storage = storage;
  opts.study_name = cfg.study_name;
  opts.directions = cfg.directions;
  opts.sampler = make_sampler(cfg.sampler_spec());
  opts.pruner = make_pruner(cfg.pruner_spec());
  opts.load_if_exists = true;
  auto study = Study::create(std::move(opts));
  FailurePolicy policy;
  policy.heartbeat_interval_seconds = cfg.heartbeat_interval_seconds;
  policy.grace_period_seconds = cfg.heartbeat_grace_seconds;
  policy.max_retries = cfg.max_retries;
  study->set_failure_policy(policy);

  // A resumed study must keep each parameter's kind (and categorical choices): refuse before
  // running anything rather than failing every trial.
  {
    std::set<std::string> checked;
    for (const auto& t : *study->finished_trials_snapshot()) {
      for (const auto& [name, used] : t.distributions) {
        if (!checked.insert(name).second) continue;
        for (const auto& p : cfg.space)
          if (p.name == name && !compatible(used, p.distribution))
            throw ConfigError(cfg.source + ":" + std::to_string(p.line) + ": space." + name + ": study '" +
                              cfg.study_name + "' already sampled '" + name + "' as " + to_string(used) +
                              ", the config now says " + to_string(p.distribution) +
                              "; restore it or use a new study name (--study NAME)");
      }
    }
  }

  // What `autoglm best` and `autoglm trials` need to present and re-weight the study later. A
  // resumed study must keep them: its stored values were computed under them.
  {
    nlohmann::json names = objective_value_names(cfg);
    nlohmann::json scoring = cfg.scoring ? cfg.scoring->to_json() : nlohmann::json(nullptr);
    nlohmann::json constraints = nullptr;
    if (!cfg.constraints.empty()) {
      constraints = nlohmann::json::array();
      for (const auto& c : cfg.constraints) {
        nlohmann::json j = {{"metric", c.metric}};
        if (c.min) j["min"] = *c.min;
        if (c.max) j["max"] = *c.max;
        constraints.push_back(j);
      }
    }
    const auto stored = study->user_attrs();
    auto check_same = [&](const char* key, const nlohmann::json& now, const std::string& what) {
      auto it = stored.find(key);
      const nlohmann::json before = it == stored.end() ? nlohmann::json(nullptr) : it->second;
      if (it != stored.end() && before != now)
        throw ConfigError("study '" + cfg.study_name + "' was tuned with " + what + " " + before.dump() +
                          ", the config now says " + now.dump() +
                          "; its stored values were computed under the old ones: restore them, or use a new study name "
                          "(--study NAME)" + (cfg.scoring ? " (to re-rank with other weights: autoglm best --weights)" : ""));
    };
    check_same("objective_names", names, "objectives");
    check_same("scoring", scoring, "scoring");
    check_same("constraints", constraints, "constraints");
    study->set_user_attr("objective_names", names);
    if (cfg.scoring) study->set_user_attr("scoring", scoring);
    if (!cfg.constraints.empty()) study->set_user_attr("constraints", constraints);
  }
  if (stored_config) {
    study->storage().set_study_system_attr(study->study_id(), kConfigAttr, *stored_config);
    // `autoglm tune` is a request to run again: lift the stop `autoglm cancel` set, or the
    // (new) workers would exit at once.
    const auto attrs = study->storage().get_study_system_attrs(study->study_id());
    if (auto it = attrs.find(kStopRequestedAttr); it != attrs.end() && it->second == true) {
      study->storage().set_study_system_attr(study->study_id(), kStopRequestedAttr, false);
      std::cerr << "autoglm: note: study '" << cfg.study_name
                << "' had a stop requested by `autoglm cancel`; cleared it, workers may start trials again\n";
    }
  }
  return study;
}

// Runs the search (and the baseline) of an opened study until its target, the timeout, a stop
// request or a signal; prints the summary. Shared by `tune` and `worker`.
int run_search(StudyConfig& cfg, const std::string& url, const std::shared_ptr<Storage>& storage,
               std::unique_ptr<Study> study, RunSetup& setup) {
  auto& function = setup.function;
  auto& multi_function = setup.multi_function;
  const std::string& log_dir = setup.log_dir;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const int stale = study->fail_stale_trials();
  const bool complete_only = cfg.n_complete.has_value();
  const std::optional<int> target = complete_only ? cfg.n_complete : cfg.n_trials;
  FinishedCounter counter;
  const int done_before = counter.count(*study->finished_trials_snapshot(), complete_only);
  // With n_trials, this process starts at most the trials missing when it began (a command that
  // always fails ends); with n_complete, failures are replaced until kMaxFailuresInARow.
  std::optional<int> to_run;
  if (cfg.n_trials) to_run = std::max(0, *cfg.n_trials - done_before);

  Progress progress(tty, target, done_before, cfg.directions, objective_value_names(cfg));
  progress.seed_best(*study->finished_trials_snapshot());  // no copy: seed_best keeps COMPLETE ones
  {
    std::ostringstream os;
    os << "study '" << cfg.study_name << "' in " << storage->url() << ": ";
    if (done_before > 0 || stale > 0) os << "resuming with " << done_before << " finished trial(s)";
    else os << "new study";
    if (stale > 0) os << ", " << stale << " stale RUNNING trial(s) marked FAIL";
    if (to_run) os << "; running " << *to_run << " more (n_trials " << *cfg.n_trials << ")";
    if (complete_only) os << "; running until " << *cfg.n_complete << " COMPLETE (n_complete)";
    if (cfg.max_retries > 0) os << "; interrupted trials retried up to " << cfg.max_retries << " time(s)";
    os << " with " << cfg.n_jobs << " job(s); ";
    if (function) {
      os << "objective: built-in function " << function->name << " (d=" << function->dim;
      if (cfg.objective.function->shift_seed) os << ", shift_seed " << *cfg.objective.function->shift_seed;
      os << ", in-process)";
    } else if (multi_function) {
      os << "objective: built-in function " << multi_function->name << " (d=" << multi_function->dim << ", "
         << multi_function->n_objectives << " objectives, in-process)";
    } else {
      os << "logs in " << log_dir;
    }
    if (cfg.scoring) os << "; maximizing the weighted score of " << weights_text(*cfg.scoring);
    if (!cfg.constraints.empty()) os << "; " << cfg.constraints.size() << " constraint(s)";
    progress.message(os.str());
  }

  const std::vector<ParamSpec>& space = cfg.space;
  MultiObjective objective = [&](Trial& trial) -> std::vector<double> {
    progress.trial_started();
    struct Ended {
      Progress& p;
      ~Ended() { p.trial_ended(); }
    } ended{progress};
    if (interrupted()) throw Error("interrupted: the engine is shutting down");  // arrived after ask()
    auto params = suggest_space(trial, space);
    if (function) return {(*function)(builtin_point(params, function->dim))};
    if (multi_function) return (*multi_function)(builtin_point(params, multi_function->dim));
    CommandSpec spec = make_command_spec(cfg.objective, space, params, log_dir);
    if (cfg.scoring) {  // the command reports the scoring metrics; the value is their score
      spec.metrics.clear();
      for (const auto& m : cfg.scoring->metrics) spec.metrics.push_back(m.name);
      spec.intermediate_metric.reset();
    }
    std::vector<double> values;
    std::map<std::string, double> reported;
    try {
      values = run_command_trial(trial, spec, setup.gpus.get(), &reported);
    } catch (const CommandFailed& e) {
      throw Error(e.reason());  // fail_reason: the one-line reason; the log tail is in "log_tail"
    }
    if (!cfg.constraints.empty()) trial.set_system_attr(kConstraintsAttr, constraint_values_of(cfg.constraints, reported));
    if (!cfg.scoring) return values;
    // Min-max ranges over the COMPLETE trials so far plus this one (declared bounds win).
    std::vector<std::vector<double>> observed{values};
    for (const auto& t : *study->finished_trials_snapshot())
      if (t.state == TrialState::COMPLETE)
        if (auto raw = scoring_metrics_of(*cfg.scoring, t)) observed.push_back(std::move(*raw));
    return {score_of(*cfg.scoring, values, scoring_ranges(*cfg.scoring, observed))};
  };

  // The baseline runs in its own Study object, whose pruner never prunes.
  std::unique_ptr<Study> base_study;
  if (!cfg.baseline.empty())
    base_study = Study::load(storage, cfg.study_name, make_sampler(cfg.sampler_spec()), make_pruner({{"name", "nop"}}));
  if (base_study) base_study->set_failure_policy(study->failure_policy());

  // Runs one started trial to its end and tells its study (as Study::optimize does): PRUNED on
  // TrialPruned, FAIL with the reason on any other exception; a ConfigError (misuse that would
  // repeat in every trial) fails the trial and is rethrown to stop the run.
  std::atomic<int> consecutive_failures{0};
  auto run_one = [&](Trial trial) {
    Study& owner = trial.study();
    TrialState state = TrialState::COMPLETE;
    std::vector<double> values;
    std::string reason;
    try {
      values = objective(trial);
    } catch (const TrialPruned&) {
      state = TrialState::PRUNED;
    } catch (const ConfigError& e) {
      trial.set_system_attr("fail_reason", std::string(e.what()));
      progress.on_trial(owner.tell(trial, TrialState::FAIL));
      throw;
    } catch (const std::exception& e) {
      state = TrialState::FAIL;
      reason = e.what();
    } catch (...) {
      state = TrialState::FAIL;
      reason = "unknown exception";
    }
    try {
      if (state == TrialState::FAIL && (interrupted() || owner.heartbeat_lost(trial.trial_id()))) {
        // Not the objective's fault: the worker is stopping (or lost the trial). Retry it per
        // max_retries, as if its worker had died.
        if (owner.fail_interrupted_trial(trial.number(), reason.empty() ? "interrupted" : reason))
          progress.on_trial(owner.storage().get_trial(trial.trial_id()));
        return;
      }
      if (!reason.empty()) trial.set_system_attr("fail_reason", reason);
      progress.on_trial(owner.tell(trial, state, values));
      consecutive_failures = state == TrialState::FAIL ? consecutive_failures + 1 : 0;
    } catch (const UpdateFinishedTrialError&) {
      progress.message("trial " + std::to_string(trial.number()) +
                       " was failed as stale by another worker while it ran here (no heartbeat within the grace "
                       "period); its result is dropped");
    }
  };

  // 3. The search: n_jobs worker threads, each starting one trial at a time. Before each start,
  // under the StartLock, the study is checked through the storage: the trials with a result plus
  // those running in any process (the baseline excluded) must be below n_trials. So several
  // processes on one study together reach n_trials without overshooting it. A trial that FAILs
  // frees its place for a replacement, but this process starts at most the `to_run` trials that
  // were missing when it began (as Study::optimize's n_trials), so a command that always fails
  // ends. Hence the total can fall short: when trials FAIL, or when a trial counted as running
  // in another process FAILs after the others stopped starting trials (or belongs to a process
  // on another host that died); a rerun of the same command runs what is missing.
  StartLock start_lock(url, *storage, study->study_id());
  const auto started_at = std::chrono::steady_clock::now();
  int started_here = 0;  // GUARDED_BY(start_lock)
  std::atomic<bool> gave_up{false};
  std::atomic<bool> gave_up_on_failures{false};
  std::atomic<bool> timed_out{false};
  auto next_stop_check = std::chrono::steady_clock::now();  // GUARDED_BY(start_lock)
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::exception_ptr error;  // GUARDED_BY(error_mutex): the first engine error, rethrown below

  // Returns the study and id of a trial started under the start lock (Study::start_trial: one
  // storage write for a new trial); the caller makes the Trial (sampler work) after the lock.
  auto next_trial = [&]() -> std::optional<std::pair<Study*, int64_t>> {
    std::lock_guard lock(start_lock);
    if (stop || interrupted()) return std::nullopt;
    if (cfg.timeout_seconds &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count() >= *cfg.timeout_seconds) {
      if (!timed_out.exchange(true)) progress.message("stopping: the timeout of this run is reached (--timeout / timeout)");
      return std::nullopt;
    }
    if (to_run && started_here >= *to_run) return std::nullopt;
    if (complete_only && consecutive_failures >= kMaxFailuresInARow) {
      gave_up_on_failures = true;
      if (!gave_up.exchange(true))
        progress.message("stopping: " + std::to_string(kMaxFailuresInARow) +
                         " trials in a row FAILED here; see `autoglm trials --study " + cfg.study_name +
                         " --state FAIL` for the reasons");
      return std::nullopt;
    }
    if (target) {
      bool saw_stale = false;
      if (target_reached(*study, counter, complete_only, *target, &saw_stale)) return std::nullopt;
      // A trial left RUNNING by a dead worker of this host (not counted above): fail it now,
      // enqueuing its retry, rather than at the next heartbeat sweep, so that ask() below takes
      // the retry instead of starting a fresh trial. Otherwise the retry could be enqueued only
      // after the target was reached and stay WAITING, never run (tests/fault KillNineWorkers*).
      if (saw_stale && study->fail_stale_trials() > 0 && target_reached(*study, counter, complete_only, *target))
        return std::nullopt;
    }
    // `autoglm cancel` asks every worker to stop; read at most every 0.5 s.
    if (std::chrono::steady_clock::now() >= next_stop_check) {
      if (stop_requested(*study)) {
        if (!gave_up.exchange(true))
          progress.message("stopping: `autoglm cancel` asked the workers of study '" + cfg.study_name +
                           "' to start no new trial; `autoglm tune` on its config lifts that");
        return std::nullopt;
      }
      next_stop_check = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    }
    if (study->sampler_exhausted()) {
      if (!gave_up.exchange(true))
        progress.message("stopping: the sampler has no new point to propose (every grid point has a trial)");
      return std::nullopt;
    }
    // ask() takes the oldest WAITING trial first: a baseline left WAITING (by a run that stopped
    // between enqueuing and starting it) is started by the baseline study, never pruned.
    if (base_study) {
      auto waiting = storage->get_all_trials(study->study_id(), std::vector<TrialState>{TrialState::WAITING});
      if (!waiting.empty() && is_baseline(waiting.front()))
        return std::make_pair(base_study.get(), base_study->start_trial());
    }
    ++started_here;
    return std::make_pair(study.get(), study->start_trial());
  };
  auto worker = [&] {
    try {
      while (auto started = next_trial()) run_one(started->first->ask_started(started->second));
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      stop = true;
    }
  };

  progress.start_ticker();
  if (to_run && *to_run == 0)
    progress.message("nothing to run: the study already has " + std::to_string(done_before) +
                     " trial(s) with a result (n_trials " + std::to_string(*cfg.n_trials) +
                     "); pass a larger --n-trials to run more");
  if (!to_run || *to_run > 0) {
    std::vector<std::thread> threads;
    for (int i = 1; i < cfg.n_jobs; ++i) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
  }
  if (error) std::rethrow_exception(error);

  // 4. The baseline (default configuration), once per study, never pruned. The check and the
  // enqueue happen under the StartLock, so that of several processes finishing their search
  // only one enqueues it (see StartLock for the race left without flock); the one that enqueued
  // it starts it at once, and the others see it RUNNING and leave it to that process.
  if (base_study && !interrupted()) {
    std::optional<Trial> trial;
    std::optional<int> running_elsewhere;
    {
      std::lock_guard lock(start_lock);
      bool have = false, waiting = false;
      for (const auto& t : storage->get_all_trials(study->study_id())) {
        if (!is_baseline(t)) continue;
        if (t.state == TrialState::COMPLETE || t.state == TrialState::PRUNED) have = true;
        else if (t.state == TrialState::RUNNING && !is_stale(t)) running_elsewhere = t.number;
        else if (t.state == TrialState::WAITING) waiting = true;
      }
      if (!have && !running_elsewhere) {
        if (!waiting) base_study->enqueue_trial(cfg.baseline, {{"baseline", true}});
        trial = base_study->ask();
      }
    }
    if (running_elsewhere) {
      progress.message("the baseline (default configuration) is running in another process as trial " +
                       std::to_string(*running_elsewhere) + "; not running it here");
    } else if (trial) {
      progress.message("running the baseline (default configuration) as one extra trial");
      run_one(std::move(*trial));
    }
  }
  progress.finish();
  // Leave no dead worker's trial RUNNING behind (a worker killed while this one ran).
  try {
    study->fail_stale_trials();
  } catch (const StorageError&) {
  }

  if (interrupted()) {
    const int sig = g_last_signal.load();
    std::cerr << "autoglm: interrupted; running trials were stopped and marked FAIL. Run the same command to resume."
              << std::endl;
    print_summary(*study, cfg, progress.elapsed());
    return 128 + (sig ? sig : SIGINT);
  }
  print_summary(*study, cfg, progress.elapsed());
  return gave_up_on_failures ? kExitFailure : kExitOk;
}

}  // namespace

int run_tune(const TuneFlags& flags) {
  // 1. Everything the user gave, validated before any storage is touched.
  StudyConfig cfg = load_study_config(flags.config_path);
  if (flags.study) {
    if (flags.study->empty()) throw ConfigError("--study: the study name must not be empty");
    cfg.study_name = *flags.study;
  }
  Overrides overrides;
  overrides.n_trials = flags.n_trials;
  overrides.n_complete = flags.n_complete;
  overrides.timeout_seconds = flags.timeout_seconds;
  overrides.n_jobs = flags.n_jobs;
  overrides.seed = flags.seed;
  overrides.apply(cfg);
  validate_study_config(cfg);
  if (flags.launcher != "local" && flags.launcher != "slurm")
    throw ConfigError("--launcher: unknown launcher '" + flags.launcher + "'; use local (default) or slurm");
  const std::string url = flags.storage ? *flags.storage : !env_storage().empty() ? env_storage()
                          : cfg.storage ? *cfg.storage : kDefaultStorage;
  check_storage_writable(url);
  RunSetup setup = prepare_run(cfg, url);
  nlohmann::json stored = {{"overrides", overrides.to_json()}};
  {
    std::ifstream in(flags.config_path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    std::error_code ec;
    const fs::path origin = fs::absolute(flags.config_path, ec);
    stored["yaml"] = config_text_to_store(text.str());
    stored["origin"] = (ec ? fs::path(flags.config_path) : origin).lexically_normal().string();
  }

  // 2. The study (created, or loaded to resume), with its config stored for workers.
  install_signal_handlers();
  ::unsetenv("AUTOGLM_STORAGE");  // trial commands need no database credentials
  auto storage = open_storage(url);
  separate_seed_if_joining(cfg, *storage, false);
  auto study = open_study(cfg, storage, &stored);
  if (flags.launcher == "slurm") return launch_slurm(cfg, url, flags);
  return run_search(cfg, url, storage, std::move(study), setup);
}

int run_worker(const WorkerFlags& flags) {
  std::string url = flags.storage.empty() ? env_storage() : flags.storage;
  if (url.empty())
    throw ConfigError("worker: no storage; pass --storage URL or set AUTOGLM_STORAGE (the database of the study, e.g. "
                      "postgresql://user:password@host/db)");
  if (url == ":memory:") throw ConfigError("worker: an in-memory storage holds no study to join; pass the database URL");
  if (flags.study.empty()) throw ConfigError("worker: --study must not be empty");
  if (auto path = sqlite_path_from_url(url)) {
    std::error_code ec;
    if (!fs::is_regular_file(*path, ec))
      throw StorageError("worker: sqlite:///" + *path + " does not exist; start the study with `autoglm tune CONFIG.yaml "
                         "--storage " + url + "` first");
  }
  install_signal_handlers();
  ::unsetenv("AUTOGLM_STORAGE");  // trial commands need no database credentials
  // The study and its stored config are checked through a read-only view first, so a mistyped
  // name changes nothing (opening read-write may upgrade an older database's schema).
  std::shared_ptr<Storage> storage;
  try {
    storage = open_existing_storage(url);
  } catch (const StorageError&) {
    storage = open_storage(url);  // e.g. an older PostgreSQL schema, which only a writer can read
  }
  int64_t study_id = find_study(*storage, flags.study);
  const auto attrs = storage->get_study_system_attrs(study_id);
  auto it = attrs.find(kConfigAttr);
  if (it == attrs.end() || !it->second.is_object() || !it->second.contains("yaml"))
    throw ConfigError("worker: study '" + flags.study + "' has no stored config (it was not started by `autoglm tune`, "
                      "or by an older version); run `autoglm tune CONFIG.yaml --study " + flags.study + "` once");
  const nlohmann::json& stored = it->second;
  StudyConfig cfg = parse_study_config(stored.at("yaml").get<std::string>(), stored.value("origin", std::string("<stored>")));
  cfg.study_name = flags.study;
  Overrides::from_json(stored.value("overrides", nlohmann::json::object())).apply(cfg);
  Overrides mine;
  mine.n_trials = flags.n_trials;
  mine.n_complete = flags.n_complete;
  mine.n_jobs = flags.n_jobs;
  mine.timeout_seconds = flags.timeout_seconds;
  mine.apply(cfg);
  if (flags.gpus) {
    cfg.gpus.clear();
    std::stringstream ss(*flags.gpus);
    std::string id;
    while (std::getline(ss, id, ',')) {
      if (id.empty()) continue;
      try {
        size_t used = 0;
        const int g = std::stoi(id, &used);
        if (used != id.size() || g < 0) throw std::invalid_argument(id);
        cfg.gpus.push_back(g);
      } catch (const std::exception&) {
        throw ConfigError("--gpus: expected GPU ids like 0,1; got '" + *flags.gpus + "'");
      }
    }
  }
  validate_study_config(cfg);
  RunSetup setup = prepare_run(cfg, url);
  storage = open_storage(url);
  separate_seed_if_joining(cfg, *storage, true);
  auto study = open_study(cfg, storage, nullptr);
  return run_search(cfg, url, storage, std::move(study), setup);
}

int run_retry(const std::string& storage_url, const std::string& study_name, const std::string& state_text) {
  const TrialState state = trial_state_from_string(state_text);
  if (state != TrialState::FAIL && state != TrialState::PRUNED)
    throw ConfigError("retry: --state must be FAIL or PRUNED (trials that ended without a result), got " + state_text);
  check_storage_writable(storage_url);
  open_existing_storage(storage_url);  // refuses a missing database before creating anything
  auto storage = open_storage(storage_url);
  const int64_t study_id = find_study(*storage, study_name);
  std::set<int> retried;  // numbers that already have a retry (in any state)
  for (const auto& t : storage->get_all_trials(study_id))
    if (auto r = t.system_attrs.find(kRetryOfAttr); r != t.system_attrs.end() && r->second.is_number_integer())
      retried.insert(r->second.get<int>());
  int n = 0;
  std::ostringstream numbers;
  for (const auto& t : storage->get_all_trials(study_id, std::vector<TrialState>{state})) {
    if (retried.count(t.number)) continue;
    const FrozenTrial retry = retry_template(t);
    const int64_t id = storage->create_new_trial(study_id, retry);
    numbers << (n++ ? ", " : "") << t.number << " -> " << storage->get_trial(id).number;
  }
  if (n == 0) {
    std::cout << "study '" << study_name << "': no " << to_string(state) << " trial without a retry; nothing enqueued\n";
  } else {
    std::cout << "study '" << study_name << "': enqueued " << n << " retr" << (n == 1 ? "y" : "ies") << " (" << numbers.str()
              << "); run them with `autoglm worker --study " << study_name << "` or `autoglm tune` on the study's config\n";
  }
  return kExitOk;
}


}  // namespace autoglm::cli
