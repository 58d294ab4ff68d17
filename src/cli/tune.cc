// `autoglm tune CONFIG.yaml`: runs (or resumes) a study described by a YAML config.
//
// Order of work (docs/cli.md): load and validate the whole config, apply the flags, resolve the
// objective's program and the storage URL, and only then open the storage. A study that exists
// is resumed (load_if_exists): `n_trials` is the total number of trials with a result (COMPLETE
// or PRUNED, the baseline excluded) the study should have, so a rerun only runs what is missing.
// With a `baseline`, one extra trial with the baseline's parameters (user attr "baseline": true,
// never pruned) runs after the search unless the study already has a COMPLETE one, and the best
// trial is compared with it.
//
// Ctrl-C: the first SIGINT (or SIGTERM) stops starting trials and asks the executor to stop the
// running commands (request_shutdown), whose trials become FAIL "interrupted: ..."; the command
// then exits 130 (143 for SIGTERM). A third signal exits at once.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "autoglm/config.h"
#include "autoglm/error.h"
#include "autoglm/executor.h"
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
std::atomic<Study*> g_running_study{nullptr};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
  int n = g_signals.fetch_add(1) + 1;
  g_last_signal.store(sig);
  request_shutdown();
  if (Study* s = g_running_study.load()) s->stop();  // a lock-free atomic store
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

// Publishes the study that optimize() is running to the signal handler, for its lifetime.
class RunningStudy {
 public:
  explicit RunningStudy(Study& s) {
    g_running_study.store(&s);
    if (interrupted()) s.stop();
  }
  ~RunningStudy() { g_running_study.store(nullptr); }
  RunningStudy(const RunningStudy&) = delete;
  RunningStudy& operator=(const RunningStudy&) = delete;
};

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
  Progress(bool tty, std::optional<int> total, int done, std::vector<StudyDirection> directions, std::string value_name)
      : tty_(tty), total_(total), done_(done), directions_(std::move(directions)), value_name_(std::move(value_name)),
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
    if (directions_.size() != 1 || t.state != TrialState::COMPLETE || t.values.empty() || is_baseline(t)) return false;
    double v = t.values[0];
    bool better = !best_ || (directions_[0] == StudyDirection::MINIMIZE ? v < best_->first : v > best_->first);
    if (better) best_ = std::make_pair(v, t.number);
    return better;
  }

  std::string describe(const FrozenTrial& t, bool baseline) const {
    std::ostringstream os;
    os << (baseline ? "baseline trial " : "trial ") << t.number << " " << to_string(t.state);
    if (!t.values.empty()) {
      os << " " << value_name_ << "=";
      for (size_t i = 0; i < t.values.size(); ++i) os << (i ? "," : "") << format_short(t.values[i]);
    }
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
    if (best_) os << " | best " << value_name_ << " " << format_short(best_->first) << " (#" << best_->second << ")";
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
  const std::string value_name_;
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
    argv[0] = self_exe();
    if (argv.size() > 1 && argv[1] == "train") need_train();
  } else if (argv[0] == "autoglm-train" && !found_in_path("autoglm-train")) {
    need_train();
    argv[0] = train.string();
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
  std::error_code ec;
  fs::path abs = fs::absolute(base / study, ec);
  return (ec ? base / study : abs).lexically_normal().string();
}

int count_results(Storage& storage, int64_t study_id) {
  int n = 0;
  for (const auto& t : storage.get_all_trials(study_id, std::vector<TrialState>{TrialState::COMPLETE, TrialState::PRUNED}))
    if (!is_baseline(t)) ++n;
  return n;
}

std::optional<FrozenTrial> best_of(const std::vector<FrozenTrial>& trials, StudyDirection dir, bool baseline) {
  std::optional<FrozenTrial> best;
  for (const auto& t : trials) {
    if (t.state != TrialState::COMPLETE || t.values.empty() || is_baseline(t) != baseline) continue;
    if (!best || (dir == StudyDirection::MINIMIZE ? t.values[0] < best->values[0] : t.values[0] > best->values[0]))
      best = t;
  }
  return best;
}

void print_summary(Study& study, const StudyConfig& cfg, double elapsed) {
  auto trials = study.get_trials();
  std::map<TrialState, int> counts;
  int baseline_n = 0;
  for (const auto& t : trials) {
    if (is_baseline(t)) { ++baseline_n; continue; }
    ++counts[t.state];
  }
  std::cout << "study '" << study.study_name() << "': " << counts[TrialState::COMPLETE] << " COMPLETE, "
            << counts[TrialState::PRUNED] << " PRUNED, " << counts[TrialState::FAIL] << " FAIL"
            << (counts[TrialState::RUNNING] ? ", " + std::to_string(counts[TrialState::RUNNING]) + " RUNNING" : "")
            << (baseline_n ? " (+ baseline)" : "") << "; this run took " << format_duration(elapsed) << "\n";
  const auto& name = cfg.objective.value_name;
  if (study.directions().size() != 1) {
    auto front = study.best_trials();
    std::cout << "Pareto front: " << front.size() << " trial(s)\n";
    for (const auto& t : front) {
      std::cout << "  trial #" << t.number << ": values ";
      for (size_t i = 0; i < t.values.size(); ++i) std::cout << (i ? ", " : "") << format_double(t.values[i]);
      std::cout << "  " << format_params(t) << "\n";
    }
    return;
  }
  const StudyDirection dir = study.directions()[0];
  auto best = best_of(trials, dir, false);
  if (!best) {
    std::cout << "no COMPLETE trial yet; see `autoglm trials --study " << study.study_name() << "` for the reasons\n";
    return;
  }
  auto base = cfg.baseline.empty() ? std::nullopt : best_of(trials, dir, true);
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
  if (!cfg.baseline.empty() && !base)
    std::cout << "default configuration: no COMPLETE baseline trial (see `autoglm trials --study "
              << study.study_name() << "`)\n";
}

}  // namespace

int run_tune(const TuneFlags& flags) {
  // 1. Everything the user gave, validated before any storage is touched.
  StudyConfig cfg = load_study_config(flags.config_path);
  if (flags.study) {
    if (flags.study->empty()) throw ConfigError("--study: the study name must not be empty");
    cfg.study_name = *flags.study;
  }
  if (flags.n_trials) {
    if (*flags.n_trials < 1) throw ConfigError("--n-trials: must be >= 1, got " + std::to_string(*flags.n_trials));
    cfg.n_trials = flags.n_trials;
  }
  if (flags.timeout_seconds) {
    if (!(*flags.timeout_seconds > 0)) throw ConfigError("--timeout: must be > 0 seconds");
    cfg.timeout_seconds = flags.timeout_seconds;
  }
  if (flags.n_jobs) {
    if (*flags.n_jobs < 1) throw ConfigError("--n-jobs: must be >= 1, got " + std::to_string(*flags.n_jobs));
    cfg.n_jobs = *flags.n_jobs;
  }
  if (flags.seed) {
    cfg.seed = flags.seed;
    cfg.sampler["seed"] = *flags.seed;
  }
  validate_study_config(cfg);
  cfg.objective.command = resolve_program(cfg.objective.command);
  const std::string url = flags.storage ? *flags.storage : cfg.storage ? *cfg.storage : kDefaultStorage;
  check_storage_writable(url);
  std::unique_ptr<GpuPool> gpus;
  if (!cfg.gpus.empty()) gpus = std::make_unique<GpuPool>(cfg.gpus, cfg.gpus_per_trial);
  const std::string log_dir =
      cfg.objective.log_dir.empty() ? default_log_dir(url, cfg.study_name) : cfg.objective.log_dir;

  // 2. The study (created, or loaded to resume).
  install_signal_handlers();
  auto storage = open_storage(url);
  CreateStudyOptions opts;
  opts.storage = storage;
  opts.study_name = cfg.study_name;
  opts.directions = cfg.directions;
  opts.sampler = make_sampler(cfg.sampler_spec());
  opts.pruner = make_pruner(cfg.pruner_spec());
  opts.load_if_exists = true;
  auto study = Study::create(std::move(opts));

  // A resumed study must keep each parameter's kind (and categorical choices): refuse before
  // running anything rather than failing every trial.
  {
    std::set<std::string> checked;
    for (const auto& t : study->get_trials()) {
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

  const int stale = study->fail_stale_trials();
  const int done_before = count_results(*storage, study->study_id());
  int waiting_baselines = 0;
  for (const auto& t : study->get_trials(std::vector<TrialState>{TrialState::WAITING}))
    if (is_baseline(t)) ++waiting_baselines;
  std::optional<int> to_run;
  if (cfg.n_trials) to_run = std::max(0, *cfg.n_trials - done_before);

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  Progress progress(tty, cfg.n_trials, done_before, cfg.directions, cfg.objective.value_name);
  progress.seed_best(study->get_trials(std::vector<TrialState>{TrialState::COMPLETE}));
  {
    std::ostringstream os;
    os << "study '" << cfg.study_name << "' in " << storage->url() << ": ";
    if (done_before > 0 || stale > 0) os << "resuming with " << done_before << " finished trial(s)";
    else os << "new study";
    if (stale > 0) os << ", " << stale << " stale RUNNING trial(s) marked FAIL";
    if (to_run) os << "; running " << *to_run << " more (n_trials " << *cfg.n_trials << ")";
    os << " with " << cfg.n_jobs << " job(s); logs in " << log_dir;
    progress.message(os.str());
  }

  const std::vector<ParamSpec>& space = cfg.space;
  MultiObjective objective = [&](Trial& trial) -> std::vector<double> {
    progress.trial_started();
    struct Ended {
      Progress& p;
      ~Ended() { p.trial_ended(); }
    } ended{progress};
    if (interrupted()) {  // a signal that arrived while optimize() was starting
      trial.study().stop();
      throw Error("interrupted: the engine is shutting down");
    }
    auto params = suggest_space(trial, space);
    CommandSpec spec = make_command_spec(cfg.objective, space, params, log_dir);
    try {
      return run_command_trial(trial, spec, gpus.get());
    } catch (const CommandFailed& e) {
      throw Error(e.reason());  // fail_reason: the one-line reason; the log tail is in "log_tail"
    }
  };

  OptimizeOptions run;
  run.n_jobs = cfg.n_jobs;
  run.timeout_seconds = cfg.timeout_seconds;
  run.callbacks.push_back([&](Study& s, const FrozenTrial& t) {
    progress.on_trial(t);
    if (interrupted()) s.stop();
    // Other processes may work on the same study: stop once the total is reached.
    if (cfg.n_trials && !is_baseline(t) && count_results(s.storage(), s.study_id()) >= *cfg.n_trials) s.stop();
  });

  progress.start_ticker();
  if (!to_run || *to_run > 0) {
    if (to_run) run.n_trials = *to_run + waiting_baselines;
    RunningStudy published(*study);
    study->optimize(objective, run);
  }

  // 3. The baseline (default configuration), once, never pruned.
  if (!cfg.baseline.empty() && !interrupted()) {
    bool have = false, waiting = false;
    for (const auto& t : study->get_trials()) {
      if (!is_baseline(t)) continue;
      have = have || t.state == TrialState::COMPLETE;
      waiting = waiting || t.state == TrialState::WAITING;
    }
    if (!have) {
      auto base_study = Study::load(storage, cfg.study_name, make_sampler(cfg.sampler_spec()),
                                    make_pruner({{"name", "nop"}}));
      if (!waiting) base_study->enqueue_trial(cfg.baseline, {{"baseline", true}});
      progress.message("running the baseline (default configuration) as one extra trial");
      OptimizeOptions once;
      once.n_trials = 1;
      once.n_jobs = 1;
      once.callbacks.push_back([&](Study&, const FrozenTrial& t) { progress.on_trial(t); });
      RunningStudy published(*base_study);
      base_study->optimize(objective, once);
    }
  }
  progress.finish();

  if (interrupted()) {
    const int sig = g_last_signal.load();
    std::cerr << "autoglm: interrupted; running trials were stopped and marked FAIL. Run the same command to resume."
              << std::endl;
    print_summary(*study, cfg, progress.elapsed());
    return 128 + (sig ? sig : SIGINT);
  }
  print_summary(*study, cfg, progress.elapsed());
  return kExitOk;
}

}  // namespace autoglm::cli
