#include "autoglm/study.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <random>
#include <system_error>
#include <thread>

#include <csignal>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <dirent.h>
#include <sys/types.h>

#include "autoglm/error.h"
#include "common/proc.h"
#include "autoglm/pareto.h"

namespace autoglm {
namespace {

std::string generated_study_name() {
  std::random_device rd;
  std::mt19937_64 g(rd());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(g()));
  return std::string("no-name-") + buf;
}

std::string directions_text(const std::vector<StudyDirection>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + to_string(d[i]);
  return s + "]";
}

// True while process group `pgid` has a member that is not a zombie. An orphaned command's
// zombies wait for init to reap them, which some container inits do only every second or two:
// waiting for the group to vanish would stall the caller (the heartbeat thread) that long.
bool group_running(pid_t pgid) {
  if (::kill(-pgid, 0) != 0) return false;  // the whole group is gone
  DIR* proc = ::opendir("/proc");
  if (!proc) return true;
  bool running = false;
  while (const dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || !end || *end) continue;
    const std::string stat = read_proc_stat(e->d_name).value_or("");  // "": the process just exited
    const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(rest >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') {
      running = true;
      break;
    }
  }
  ::closedir(proc);
  return running;
}

// A stale trial's command may have outlived its (killed) engine: stop its process group, but
// only when the group leader is provably the recorded process (same pid and start time; a
// zombie leader still proves it, and may have live children in the group).
void stop_orphaned_command(const FrozenTrial& t, const std::string& host) {
  auto it = t.system_attrs.find("process");
  if (it == t.system_attrs.end() || !it->second.is_object()) return;
  const auto& p = it->second;
  if (p.value("host", std::string()) != host || !p.contains("pgid") || !p.contains("start_time")) return;
  const int64_t leader_pid = p.at("pgid").get<int64_t>();
  const int64_t leader_start = p.at("start_time").get<int64_t>();
  if (leader_pid <= 1 || leader_start < 0 || WorkerIdentity::of_process(leader_pid).start_time != leader_start) return;
  const pid_t pgid = static_cast<pid_t>(leader_pid);
  ::kill(-pgid, SIGTERM);
  ::kill(-pgid, SIGCONT);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!group_running(pgid)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(-pgid, SIGKILL);
}

// Optuna refuses pruning in multi-objective studies (Trial.report raises); so does create/load,
// before any trial runs, for any pruner but the no-op one.
void check_pruner_fits(const Pruner& pruner, const std::vector<StudyDirection>& directions) {
  if (directions.size() > 1 && pruner.name() != "nop")
    throw ConfigError("pruner '" + pruner.name() + "' cannot be used with a multi-objective study (" +
                      std::to_string(directions.size()) +
                      " directions): pruning compares intermediate values of one objective (as in Optuna); use the "
                      "nop pruner (YAML `pruner: none`)");
}

}  // namespace

Study::Study(std::shared_ptr<Storage> storage, int64_t study_id, std::string name,
             std::vector<StudyDirection> directions, std::unique_ptr<Sampler> sampler, std::unique_ptr<Pruner> pruner)
    : storage_(std::move(storage)),
      study_id_(study_id),
      study_name_(std::move(name)),
      directions_(std::move(directions)),
      sampler_(std::move(sampler)),
      pruner_(std::move(pruner)) {}

std::unique_ptr<Study> Study::create(CreateStudyOptions o) {
  if (!o.storage) throw ConfigError("create_study: storage is required; use open_storage(\":memory:\") for an in-memory study");
  if (o.directions.empty()) throw ConfigError("create_study: directions must not be empty; use minimize or maximize");
  register_builtins();
  if (!o.sampler) o.sampler = make_sampler(nlohmann::json{{"name", "tpe"}});
  // Multi-objective studies have no intermediate values to prune on (as in Optuna).
  if (!o.pruner) o.pruner = make_pruner(nlohmann::json{{"name", o.directions.size() > 1 ? "nop" : "median"}});
  check_pruner_fits(*o.pruner, o.directions);
  std::string name = o.study_name.empty() ? generated_study_name() : o.study_name;
  int64_t id;
  try {
    id = o.storage->create_new_study(name, o.directions);
  } catch (const DuplicatedStudyError&) {
    if (!o.load_if_exists) throw;
    id = o.storage->get_study_id_from_name(name);
    auto existing = o.storage->get_study_directions(id);
    if (existing != o.directions)
      throw ConfigError("study '" + name + "' already exists with directions " + directions_text(existing) +
                        ", not " + directions_text(o.directions) + "; use another study name or the same directions");
  }
  return std::unique_ptr<Study>(
      new Study(o.storage, id, name, o.directions, std::move(o.sampler), std::move(o.pruner)));
}

std::unique_ptr<Study> Study::load(std::shared_ptr<Storage> storage, const std::string& study_name,
                                   std::unique_ptr<Sampler> sampler, std::unique_ptr<Pruner> pruner) {
  if (!storage) throw ConfigError("load_study: storage is required");
  register_builtins();
  int64_t id = storage->get_study_id_from_name(study_name);
  auto dirs = storage->get_study_directions(id);
  if (!sampler) sampler = make_sampler(nlohmann::json{{"name", "tpe"}});
  if (!pruner) pruner = make_pruner(nlohmann::json{{"name", dirs.size() > 1 ? "nop" : "median"}});
  check_pruner_fits(*pruner, dirs);
  return std::unique_ptr<Study>(new Study(storage, id, study_name, dirs, std::move(sampler), std::move(pruner)));
}

std::vector<FrozenTrial> Study::get_trials(const std::optional<std::vector<TrialState>>& states) const {
  if (!states || states->empty() || !std::all_of(states->begin(), states->end(), is_finished))
    return storage_->get_all_trials(study_id_, states);
  const auto finished = finished_trials_snapshot();
  std::vector<FrozenTrial> out;
  for (const FrozenTrial& t : *finished)
    if (std::find(states->begin(), states->end(), t.state) != states->end()) out.push_back(t);
  return out;
}

std::shared_ptr<const std::vector<FrozenTrial>> Study::finished_trials_snapshot() const {
  // Reads only what finished since the last call (the storage's finish sequence), a page at a
  // time, so a study with 100,000 trials is read once, incrementally, and then kept up to date
  // with one small query per call.
  constexpr int kPage = 1000;
  std::lock_guard lock(snapshot_mutex_);
  std::vector<FrozenTrial> fresh;
  for (;;) {
    int64_t last = finished_cursor_;
    auto page = storage_->get_finished_trials_after(study_id_, finished_cursor_, kPage, &last);
    finished_cursor_ = last;
    const bool full = static_cast<int>(page.size()) == kPage;
    for (auto& t : page) fresh.push_back(std::move(t));
    if (!full) break;
  }
  if (!finished_) finished_ = std::make_shared<std::vector<FrozenTrial>>();
  if (fresh.empty()) return finished_;
  const auto by_number = [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; };
  std::sort(fresh.begin(), fresh.end(), by_number);
  // Trials tell() already added (finished here) come back from the storage: keep the copy held.
  fresh.erase(std::remove_if(fresh.begin(), fresh.end(),
                             [&](const FrozenTrial& t) {
                               return std::binary_search(finished_->begin(), finished_->end(), t, by_number);
                             }),
              fresh.end());
  if (fresh.empty()) return finished_;
  // In place unless a caller holds the list (then a copy: a snapshot handed out never changes).
  if (finished_.use_count() > 1) finished_ = std::make_shared<std::vector<FrozenTrial>>(*finished_);
  const auto old_size = static_cast<std::ptrdiff_t>(finished_->size());
  const bool in_order = finished_->empty() || finished_->back().number < fresh.front().number;
  finished_->insert(finished_->end(), std::make_move_iterator(fresh.begin()), std::make_move_iterator(fresh.end()));
  if (!in_order) std::inplace_merge(finished_->begin(), finished_->begin() + old_size, finished_->end(), by_number);
  return finished_;
}

void Study::add_finished_(FrozenTrial trial) {
  std::lock_guard lock(snapshot_mutex_);
  if (!finished_) return;  // built from storage at the first finished_trials_snapshot()
  auto pos = std::lower_bound(finished_->begin(), finished_->end(), trial.number,
                              [](const FrozenTrial& t, int number) { return t.number < number; });
  if (pos != finished_->end() && pos->number == trial.number) return;  // a re-read already has it
  if (finished_.use_count() > 1) {  // a caller still reads the list: leave it unchanged
    const auto offset = pos - finished_->begin();
    finished_ = std::make_shared<std::vector<FrozenTrial>>(*finished_);
    pos = finished_->begin() + offset;
  }
  finished_->insert(pos, std::move(trial));
}

int64_t Study::start_trial() {
  const WorkerIdentity me = WorkerIdentity::current();  // not cached: a forked worker is a new process
  const bool beats = failure_policy().heartbeat_interval_seconds > 0;
  if (std::optional<int64_t> id = storage_->pop_waiting_trial(study_id_)) {
    storage_->set_trial_system_attr(*id, "worker.host", me.host);
    storage_->set_trial_system_attr(*id, "worker.pid", me.pid);
    storage_->set_trial_system_attr(*id, "worker.start_time", me.start_time);
    if (beats) storage_->record_heartbeat(*id);
    return *id;
  }
  // One write: the trial, who runs it and (with heartbeats) its first heartbeat, so a worker that
  // dies at once still leaves a trial that others can recognize as stale.
  FrozenTrial t;
  t.state = TrialState::RUNNING;
  t.datetime_start = Clock::now();
  t.system_attrs["worker.host"] = me.host;
  t.system_attrs["worker.pid"] = me.pid;
  t.system_attrs["worker.start_time"] = me.start_time;
  if (beats) t.last_heartbeat = Clock::now();
  return storage_->create_new_trial(study_id_, t);
}

Trial Study::ask_started(int64_t trial_id, const SearchSpace& fixed_distributions) {
  start_heartbeat_(trial_id);
  Trial trial(this, trial_id);
  {
    FrozenTrial snap = storage_->get_trial(trial_id);
    std::lock_guard lock(sampler_mutex_);
    sampler_->before_trial(*this, snap);
    trial.relative_space_ = sampler_->infer_relative_search_space(*this, snap);
    if (!trial.relative_space_.empty())
      trial.relative_params_ = sampler_->sample_relative(*this, snap, trial.relative_space_);
  }
  for (const auto& [name, dist] : fixed_distributions) trial.suggest(name, dist);
  return trial;
}

Trial Study::ask(const SearchSpace& fixed_distributions) { return ask_started(start_trial(), fixed_distributions); }

FrozenTrial Study::tell(int trial_number, TrialState state, const std::vector<double>& values) {
  return tell_id_(storage_->get_trial_id_from_study_id_trial_number(study_id_, trial_number), state, values);
}

FrozenTrial Study::tell(Trial& trial, TrialState state, const std::vector<double>& values) {
  return tell_id_(trial.trial_id(), state, values);
}

FrozenTrial Study::tell_id_(int64_t id, TrialState state, const std::vector<double>& values) {
  FrozenTrial t = storage_->get_trial(id);
  const int trial_number = t.number;
  if (is_finished(t.state))
    throw UpdateFinishedTrialError("trial " + std::to_string(trial_number) + " of study '" + study_name_ +
                                   "' is already " + to_string(t.state) + "; a finished trial cannot change");
  if (t.state == TrialState::WAITING)
    throw ConfigError("trial " + std::to_string(trial_number) + " of study '" + study_name_ +
                      "' is WAITING (enqueued, not started); ask() starts it before it can be told");
  std::vector<double> vals;
  std::string fail_reason;
  if (state == TrialState::COMPLETE) {
    if (values.size() != directions_.size()) {
      fail_reason = "the objective returned " + std::to_string(values.size()) + " value(s) but the study has " +
                    std::to_string(directions_.size()) + " direction(s)";
      state = TrialState::FAIL;
    } else {
      for (double v : values)
        if (std::isnan(v)) {
          fail_reason = "the objective returned NaN";
          state = TrialState::FAIL;
        }
      if (state == TrialState::COMPLETE) vals = values;
    }
  } else if (state == TrialState::PRUNED) {
    if (auto last = t.last_step(); last && !std::isnan(t.intermediate_values.at(*last)))
      vals = {t.intermediate_values.at(*last)};
  } else if (state != TrialState::FAIL) {
    throw ConfigError("tell: state must be COMPLETE, PRUNED or FAIL, got " + to_string(state));
  }
  if (!fail_reason.empty()) storage_->set_trial_system_attr(id, "fail_reason", fail_reason);
  {
    std::lock_guard lock(sampler_mutex_);
    sampler_->after_trial(*this, t, state, vals);
  }
  stop_heartbeat_(id);
  storage_->set_trial_state_values(id, state, vals);
  FrozenTrial done = storage_->get_trial(id);
  add_finished_(done);
  return done;
}

void Study::optimize(const Objective& objective, const OptimizeOptions& options) {
  if (directions_.size() != 1)
    throw ConfigError("study '" + study_name_ + "' has " + std::to_string(directions_.size()) +
                      " directions; pass an objective returning one value per direction");
  optimize(MultiObjective([&objective](Trial& t) { return std::vector<double>{objective(t)}; }), options);
}

void Study::optimize(const MultiObjective& objective, const OptimizeOptions& options) {
  if (options.n_jobs < 1) throw ConfigError("optimize: n_jobs must be >= 1, got " + std::to_string(options.n_jobs));
  if (options.n_trials && *options.n_trials < 0)
    throw ConfigError("optimize: n_trials must be >= 0, got " + std::to_string(*options.n_trials));
  fail_stale_trials();
  stop_requested_ = false;
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> started{0};
  std::mutex error_mutex;
  std::exception_ptr error;  // GUARDED_BY(error_mutex): first engine error, rethrown in the caller

  auto worker = [&] {
    while (true) {
      if (stop_requested_) return;
      if (options.timeout_seconds &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= *options.timeout_seconds)
        return;
      if (options.n_trials && started.fetch_add(1) >= *options.n_trials) return;
      try {
        Trial trial = ask();
        TrialState state = TrialState::COMPLETE;
        std::vector<double> values;
        std::string reason;
        std::exception_ptr user_error;
        try {
          values = objective(trial);
        } catch (const TrialPruned&) {
          state = TrialState::PRUNED;
        } catch (const ConfigError&) {
          // Misuse of the API (an invalid distribution, ...) would repeat in every trial: stop.
          tell(trial, TrialState::FAIL);
          throw;
        } catch (const std::exception& e) {
          state = TrialState::FAIL;
          reason = e.what();
          if (options.stop_on_error) user_error = std::current_exception();
        } catch (...) {
          state = TrialState::FAIL;
          reason = "unknown exception";
          if (options.stop_on_error) user_error = std::current_exception();
        }
        FrozenTrial done;
        try {
          if (!reason.empty()) trial.set_system_attr("fail_reason", reason);
          done = tell(trial, state, values);
        } catch (const UpdateFinishedTrialError&) {
          // Another worker failed it as stale meanwhile (a lost heartbeat) and retried it: the
          // result is dropped, as the trial's record already says why.
          continue;
        }
        for (const auto& cb : options.callbacks) cb(*this, done);
        if (user_error) std::rethrow_exception(user_error);
        if (sampler_exhausted()) stop_requested_ = true;
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        stop_requested_ = true;
        return;
      }
    }
  };

  // No more threads than trials to run.
  const int n_threads = options.n_trials ? std::max(1, std::min(options.n_jobs, *options.n_trials)) : options.n_jobs;
  if (n_threads == 1) {
    worker();
  } else {
    std::vector<std::thread> threads;
    try {
      for (int i = 0; i < n_threads; ++i) threads.emplace_back(worker);
    } catch (const std::system_error& e) {
      stop_requested_ = true;  // the started workers finish their trial and return
      for (auto& t : threads) t.join();
      throw Error("optimize: could not start " + std::to_string(n_threads) + " worker threads (" + e.what() +
                  " after " + std::to_string(threads.size()) + "); use a smaller n_jobs");
    }
    for (auto& t : threads) t.join();
  }
  if (error) std::rethrow_exception(error);
}

bool Study::sampler_exhausted() {
  std::lock_guard lock(sampler_mutex_);
  return sampler_->exhausted(*this);
}

void Study::enqueue_trial(const std::map<std::string, ParamValue>& params,
                          const std::map<std::string, nlohmann::json>& user_attrs) {
  FrozenTrial t;
  t.state = TrialState::WAITING;
  nlohmann::json fixed = nlohmann::json::object();
  for (const auto& [k, v] : params) fixed[k] = to_json(v);
  t.system_attrs["fixed_params"] = fixed;
  t.user_attrs = user_attrs;
  storage_->create_new_trial(study_id_, t);
}

FrozenTrial Study::best_trial() const {
  if (directions_.size() != 1)
    throw Error("best_trial is defined for single-objective studies; study '" + study_name_ + "' has " +
                std::to_string(directions_.size()) + " directions: use best_trials (the Pareto front)");
  const auto finished = finished_trials_snapshot();
  const bool minimize = directions_[0] == StudyDirection::MINIMIZE;
  const FrozenTrial* best = nullptr;
  bool any_complete = false;
  for (const auto& t : *finished) {
    if (t.state != TrialState::COMPLETE) continue;
    any_complete = true;
    if (!is_feasible(t)) continue;
    if (!best || (minimize ? t.values[0] < best->values[0] : t.values[0] > best->values[0])) best = &t;
  }
  if (!best)
    throw Error("study '" + study_name_ + "' has no " + (any_complete ? "feasible " : "") +
                "COMPLETE trial yet" + (any_complete ? " (every COMPLETE trial violates a constraint)" : ""));
  return *best;
}

std::vector<FrozenTrial> Study::best_trials() const {
  return pareto_front_trials(*finished_trials_snapshot(), directions_);
}

void Study::set_user_attr(const std::string& key, const nlohmann::json& value) {
  storage_->set_study_user_attr(study_id_, key, value);
}

std::map<std::string, nlohmann::json> Study::user_attrs() const { return storage_->get_study_user_attrs(study_id_); }

int Study::fail_stale_trials() {
  const WorkerIdentity me = WorkerIdentity::current();
  const FailurePolicy policy = failure_policy();
  int failed = 0;
  for (const auto& t : storage_->get_all_trials(study_id_, std::vector<TrialState>{TrialState::RUNNING})) {
    const std::optional<WorkerIdentity> owner = WorkerIdentity::of_trial(t);
    if (!owner || owner->host != me.host || owner->alive()) continue;
    stop_orphaned_command(t, me.host);
    const std::string reason = "stale trial: its worker process " + std::to_string(owner->pid) + " on " + owner->host +
                               " is gone (killed or crashed)";
    if (auto f = storage_->fail_running_trial(t.trial_id, reason, policy.max_retries)) {
      ++failed;
      add_finished_(storage_->get_trial(f->trial_id));
    }
  }
  // Any host: a heartbeat older than the grace period (pre-empted node, cut network link).
  for (int64_t id : storage_->get_stale_trial_ids(study_id_, policy.grace_period_seconds)) {
    char reason[160];
    std::snprintf(reason, sizeof reason, "stale trial: no heartbeat from its worker for more than %g s (grace period)",
                  policy.grace_period_seconds);
    if (auto f = storage_->fail_running_trial(id, reason, policy.max_retries, policy.grace_period_seconds)) {
      ++failed;
      add_finished_(storage_->get_trial(f->trial_id));
    }
  }
  return failed;
}

void Study::set_failure_policy(const FailurePolicy& policy) {
  if (policy.heartbeat_interval_seconds < 0 || policy.grace_period_seconds <= 0 || policy.max_retries < 0)
    throw ConfigError("failure policy: heartbeat interval must be >= 0, grace period > 0 and max_retries >= 0");
  if (policy.heartbeat_interval_seconds > 0 && !(policy.grace_period_seconds > policy.heartbeat_interval_seconds))
    throw ConfigError("failure policy: the grace period (" + std::to_string(policy.grace_period_seconds) +
                      " s) must exceed the heartbeat interval (" + std::to_string(policy.heartbeat_interval_seconds) +
                      " s), or live trials would be failed as stale");
  std::lock_guard lock(heartbeat_mutex_);
  policy_ = policy;
  heartbeat_cv_.notify_all();
}

FailurePolicy Study::failure_policy() const {
  std::lock_guard lock(heartbeat_mutex_);
  return policy_;
}

std::optional<FailedTrial> Study::fail_interrupted_trial(int trial_number, const std::string& reason) {
  const int64_t id = storage_->get_trial_id_from_study_id_trial_number(study_id_, trial_number);
  stop_heartbeat_(id);
  auto f = storage_->fail_running_trial(id, reason, failure_policy().max_retries);
  if (f) add_finished_(storage_->get_trial(id));
  return f;
}

bool Study::heartbeat_lost(int64_t trial_id) const {
  std::lock_guard lock(heartbeat_mutex_);
  return lost_trials_.count(trial_id) > 0;
}

void Study::start_heartbeat_(int64_t trial_id) {
  std::lock_guard lock(heartbeat_mutex_);
  if (policy_.heartbeat_interval_seconds <= 0) return;
  heartbeat_trials_.insert(trial_id);  // its first heartbeat was recorded by start_trial()
  if (!heartbeat_thread_.joinable()) heartbeat_thread_ = std::thread([this] { heartbeat_loop_(); });
}

void Study::stop_heartbeat_(int64_t trial_id) {
  std::lock_guard lock(heartbeat_mutex_);
  heartbeat_trials_.erase(trial_id);
}

void Study::heartbeat_loop_() {
  std::unique_lock lock(heartbeat_mutex_);
  while (!heartbeat_stop_) {
    const auto interval = std::chrono::duration<double>(std::max(0.01, policy_.heartbeat_interval_seconds));
    heartbeat_cv_.wait_for(lock, interval);
    if (heartbeat_stop_) break;
    const std::vector<int64_t> ids(heartbeat_trials_.begin(), heartbeat_trials_.end());
    lock.unlock();
    // Storage trouble (a restarting server) must not end the thread: the storage retries with
    // back-off itself, and the next round tries again.
    std::vector<int64_t> lost;
    for (int64_t id : ids) {
      try {
        if (!storage_->record_heartbeat(id)) lost.push_back(id);
      } catch (const std::exception&) {
      }
    }
    try {
      fail_stale_trials();
    } catch (const std::exception&) {
    }
    lock.lock();
    for (int64_t id : lost) {
      // Finished here meanwhile (tell() erased it) is not a loss.
      if (heartbeat_trials_.erase(id)) lost_trials_.insert(id);
    }
  }
}

Study::~Study() {
  {
    std::lock_guard lock(heartbeat_mutex_);
    heartbeat_stop_ = true;
  }
  heartbeat_cv_.notify_all();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

std::vector<FrozenTrial> pareto_front_trials(const std::vector<FrozenTrial>& trials,
                                             const std::vector<StudyDirection>& directions) {
  std::vector<const FrozenTrial*> candidates;
  std::vector<std::vector<double>> points;  // minimized form
  for (const auto& t : trials) {
    if (t.state != TrialState::COMPLETE || t.values.size() != directions.size() || !is_feasible(t)) continue;
    std::vector<double> p(directions.size());
    for (size_t k = 0; k < p.size(); ++k)
      p[k] = directions[k] == StudyDirection::MAXIMIZE ? -t.values[k] : t.values[k];
    candidates.push_back(&t);
    points.push_back(std::move(p));
  }
  std::vector<FrozenTrial> front;
  if (points.empty()) return front;
  for (size_t i : pareto_front_indices(points)) front.push_back(*candidates[i]);
  std::sort(front.begin(), front.end(), [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  return front;
}

}  // namespace autoglm
