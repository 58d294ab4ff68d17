#include "storage/in_memory_storage.h"

#include <algorithm>
#include <cmath>

#include "autoglm/error.h"
#include "storage/storage_internal.h"

namespace autoglm {

using storage_internal::now_us;
using storage_internal::truncate_to_us;

namespace {

bool state_in(TrialState s, const std::optional<std::vector<TrialState>>& states) {
  return !states || std::find(states->begin(), states->end(), s) != states->end();
}

size_t state_index(TrialState s) { return static_cast<size_t>(s); }

}  // namespace

std::string InMemoryStorage::study_list_locked() const {
  if (studies_.empty()) return "it has no studies";
  std::string out = "studies:";
  int shown = 0;
  for (const auto& [id, s] : studies_) {
    if (shown++ == 10) {
      out += " ...";
      break;
    }
    out += (shown == 1 ? " '" : ", '") + s.name + "'";
  }
  return out;
}

InMemoryStorage::StudyRecord& InMemoryStorage::study_locked(int64_t study_id) {
  auto it = studies_.find(study_id);
  if (it == studies_.end()) {
    throw NotFoundError("no study with id " + std::to_string(study_id) + " in in-memory storage (" +
                        study_list_locked() + "); look studies up by name with get_study_id_from_name");
  }
  return it->second;
}

InMemoryStorage::TrialRecord& InMemoryStorage::trial_locked(int64_t trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) {
    throw NotFoundError("no trial with id " + std::to_string(trial_id) +
                        " in in-memory storage; list a study's trials with get_all_trials");
  }
  return it->second;
}

InMemoryStorage::TrialRecord& InMemoryStorage::updatable_trial_locked(int64_t trial_id) {
  TrialRecord& r = trial_locked(trial_id);
  if (is_finished(r.trial.state)) {
    throw UpdateFinishedTrialError("trial " + std::to_string(r.trial.number) + " (id " + std::to_string(trial_id) +
                                   ") of study '" + studies_.at(r.study_id).name + "' is already " +
                                   to_string(r.trial.state) +
                                   " and cannot change again; create a new trial instead");
  }
  return r;
}

void InMemoryStorage::check_param_locked(const StudyRecord& study, const std::string& name,
                                         const Distribution& distribution) const {
  auto it = study.param_distributions.find(name);
  if (it != study.param_distributions.end() && !compatible(it->second, distribution)) {
    throw ConfigError(storage_internal::incompatible_param_message(name, study.name, it->second, distribution));
  }
}

// ---- studies ----

int64_t InMemoryStorage::create_new_study(const std::string& study_name,
                                          const std::vector<StudyDirection>& directions) {
  if (directions.empty()) {
    throw ConfigError("study '" + study_name + "' needs at least one direction (minimize or maximize)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (study_name_to_id_.count(study_name)) {
    throw DuplicatedStudyError("a study named '" + study_name +
                               "' already exists in in-memory storage; choose another name or load the existing study");
  }
  const int64_t id = next_study_id_++;
  StudyRecord& s = studies_[id];
  s.name = study_name;
  s.directions = directions;
  study_name_to_id_[study_name] = id;
  return id;
}

void InMemoryStorage::delete_study(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  StudyRecord& s = study_locked(study_id);
  for (int64_t tid : s.trial_ids) trials_.erase(tid);
  study_name_to_id_.erase(s.name);
  studies_.erase(study_id);
}

int64_t InMemoryStorage::get_study_id_from_name(const std::string& study_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = study_name_to_id_.find(study_name);
  if (it == study_name_to_id_.end()) {
    throw NotFoundError("no study named '" + study_name + "' in in-memory storage (" + study_list_locked() +
                        "); check the name or create the study first");
  }
  return it->second;
}

std::string InMemoryStorage::get_study_name_from_id(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return study_locked(study_id).name;
}

std::vector<StudyDirection> InMemoryStorage::get_study_directions(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return study_locked(study_id).directions;
}

void InMemoryStorage::set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  std::lock_guard<std::mutex> lock(mu_);
  study_locked(study_id).user_attrs[key] = value;
}

void InMemoryStorage::set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) {
  std::lock_guard<std::mutex> lock(mu_);
  study_locked(study_id).system_attrs[key] = value;
}

std::map<std::string, nlohmann::json> InMemoryStorage::get_study_user_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return study_locked(study_id).user_attrs;
}

std::map<std::string, nlohmann::json> InMemoryStorage::get_study_system_attrs(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return study_locked(study_id).system_attrs;
}

std::vector<StudySummary> InMemoryStorage::get_all_studies() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<StudySummary> out;
  out.reserve(studies_.size());
  for (const auto& [id, s] : studies_) {
    StudySummary sum;
    sum.study_id = id;
    sum.study_name = s.name;
    sum.directions = s.directions;
    sum.user_attrs = s.user_attrs;
    sum.system_attrs = s.system_attrs;
    const FrozenTrial* best = nullptr;
    const bool single = s.directions.size() == 1;
    const bool maximize = single && s.directions[0] == StudyDirection::MAXIMIZE;
    for (int64_t tid : s.trial_ids) {
      const FrozenTrial& t = trials_.at(tid).trial;
      ++sum.n_trials_by_state[t.state];
      if (t.datetime_start && (!sum.datetime_start || *t.datetime_start < *sum.datetime_start)) {
        sum.datetime_start = t.datetime_start;
      }
      if (single && t.state == TrialState::COMPLETE && !t.values.empty() && !std::isnan(t.values[0])) {
        if (!best || (maximize ? t.values[0] > best->values[0] : t.values[0] < best->values[0])) best = &t;
      }
    }
    if (best) sum.best_trial = *best;
    out.push_back(std::move(sum));
  }
  return out;
}

// ---- trials ----

int64_t InMemoryStorage::create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial) {
  std::lock_guard<std::mutex> lock(mu_);
  return create_trial_locked(study_id, template_trial);
}

int64_t InMemoryStorage::create_trial_locked(int64_t study_id, const std::optional<FrozenTrial>& template_trial) {
  StudyRecord& s = study_locked(study_id);
  FrozenTrial t;
  if (template_trial) {
    t = *template_trial;
    // Validate everything before writing anything.
    for (const auto& [name, value] : t.params) {
      auto d = t.distributions.find(name);
      if (d == t.distributions.end()) {
        throw ConfigError("template trial for study '" + s.name + "' has parameter '" + name +
                          "' without a distribution; give every parameter its distribution");
      }
      check_param_locked(s, name, d->second);
    }
    if (t.distributions.size() != t.params.size()) {
      for (const auto& [name, d] : t.distributions) {
        if (!t.params.count(name)) {
          throw ConfigError("template trial for study '" + s.name + "' has a distribution for '" + name +
                            "' but no value; give every distribution a parameter value");
        }
      }
    }
    if (t.state == TrialState::RUNNING && !t.datetime_start) t.datetime_start = now_us();
    if (t.datetime_start) t.datetime_start = truncate_to_us(*t.datetime_start);
    if (t.datetime_complete) t.datetime_complete = truncate_to_us(*t.datetime_complete);
  } else {
    t.state = TrialState::RUNNING;
    t.datetime_start = now_us();
  }
  t.trial_id = next_trial_id_++;
  t.number = static_cast<int>(s.trial_ids.size());
  for (const auto& [name, d] : t.distributions) s.param_distributions.emplace(name, d);
  if (t.state != TrialState::RUNNING) t.last_heartbeat.reset();
  else if (t.last_heartbeat) t.last_heartbeat = truncate_to_us(*t.last_heartbeat);
  s.trial_ids.push_back(t.trial_id);
  ++s.n_by_state[state_index(t.state)];
  const int64_t id = t.trial_id;
  if (is_finished(t.state)) {
    const int64_t seq = s.finished_by_sequence.empty() ? 1 : s.finished_by_sequence.rbegin()->first + 1;
    s.finished_by_sequence.emplace(seq, id);
  }
  trials_.emplace(id, TrialRecord{study_id, std::move(t)});
  return id;
}

void InMemoryStorage::set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                                      const Distribution& distribution) {
  std::lock_guard<std::mutex> lock(mu_);
  TrialRecord& r = updatable_trial_locked(trial_id);
  StudyRecord& s = studies_.at(r.study_id);
  check_param_locked(s, name, distribution);
  s.param_distributions.emplace(name, distribution);
  r.trial.params[name] = internal_value;
  r.trial.distributions.insert_or_assign(name, distribution);
}

bool InMemoryStorage::set_trial_state_values(int64_t trial_id, TrialState state, const std::vector<double>& values) {
  std::lock_guard<std::mutex> lock(mu_);
  TrialRecord& r = updatable_trial_locked(trial_id);
  if (state == TrialState::RUNNING && r.trial.state != TrialState::WAITING) return false;
  if (!values.empty()) r.trial.values = values;
  set_state_locked(r, state);
  return true;
}

void InMemoryStorage::set_state_locked(TrialRecord& r, TrialState state) {
  StudyRecord& s = studies_.at(r.study_id);
  --s.n_by_state[state_index(r.trial.state)];
  ++s.n_by_state[state_index(state)];
  r.trial.state = state;
  if (state == TrialState::RUNNING) r.trial.datetime_start = now_us();
  if (is_finished(state)) {
    r.trial.datetime_complete = now_us();
    const int64_t seq = s.finished_by_sequence.empty() ? 1 : s.finished_by_sequence.rbegin()->first + 1;
    s.finished_by_sequence.emplace(seq, r.trial.trial_id);
  }
}

bool InMemoryStorage::record_heartbeat(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  TrialRecord& r = trial_locked(trial_id);
  if (r.trial.state != TrialState::RUNNING) return false;
  r.trial.last_heartbeat = now_us();
  return true;
}

std::vector<int64_t> InMemoryStorage::get_stale_trial_ids(int64_t study_id, double grace_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  const StudyRecord& s = study_locked(study_id);
  const auto cutoff = now_us() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(grace_seconds));
  std::vector<int64_t> out;
  if (s.n_by_state[state_index(TrialState::RUNNING)] == 0) return out;
  for (int64_t id : s.trial_ids) {
    const FrozenTrial& t = trials_.at(id).trial;
    if (t.state == TrialState::RUNNING && t.last_heartbeat && *t.last_heartbeat < cutoff) out.push_back(id);
  }
  return out;
}

std::optional<FailedTrial> InMemoryStorage::fail_running_trial(int64_t trial_id, const std::string& reason,
                                                               int max_retries, std::optional<double> stale_grace_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  TrialRecord& r = trial_locked(trial_id);
  if (r.trial.state != TrialState::RUNNING) return std::nullopt;
  if (stale_grace_seconds) {
    const auto cutoff =
        now_us() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*stale_grace_seconds));
    if (!r.trial.last_heartbeat || *r.trial.last_heartbeat >= cutoff) return std::nullopt;
  }
  r.trial.system_attrs["fail_reason"] = reason;
  set_state_locked(r, TrialState::FAIL);
  FailedTrial out;
  out.trial_id = trial_id;
  out.number = r.trial.number;
  if (storage_internal::retry_count_of(r.trial) < max_retries) {
    const FrozenTrial retry = storage_internal::retry_template(r.trial);
    out.retry_number = trials_.at(create_trial_locked(r.study_id, retry)).trial.number;
  }
  return out;
}

std::vector<FrozenTrial> InMemoryStorage::get_finished_trials_after(int64_t study_id, int64_t after_sequence, int limit,
                                                                    int64_t* last_sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  const StudyRecord& s = study_locked(study_id);
  std::vector<FrozenTrial> out;
  for (auto it = s.finished_by_sequence.upper_bound(after_sequence);
       it != s.finished_by_sequence.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(trials_.at(it->second).trial);
    *last_sequence = it->first;
  }
  return out;
}

void InMemoryStorage::set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  updatable_trial_locked(trial_id).trial.intermediate_values[step] = value;
}

void InMemoryStorage::set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  std::lock_guard<std::mutex> lock(mu_);
  updatable_trial_locked(trial_id).trial.user_attrs[key] = value;
}

void InMemoryStorage::set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) {
  std::lock_guard<std::mutex> lock(mu_);
  updatable_trial_locked(trial_id).trial.system_attrs[key] = value;
}

FrozenTrial InMemoryStorage::get_trial(int64_t trial_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return trial_locked(trial_id).trial;
}

int64_t InMemoryStorage::get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) {
  std::lock_guard<std::mutex> lock(mu_);
  const StudyRecord& s = study_locked(study_id);
  if (trial_number < 0 || static_cast<size_t>(trial_number) >= s.trial_ids.size()) {
    throw NotFoundError("no trial number " + std::to_string(trial_number) + " in study '" + s.name + "' (it has " +
                        std::to_string(s.trial_ids.size()) + " trials, numbered from 0) in in-memory storage");
  }
  return s.trial_ids[trial_number];
}

std::vector<FrozenTrial> InMemoryStorage::get_all_trials(int64_t study_id,
                                                         const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  const StudyRecord& s = study_locked(study_id);
  std::vector<FrozenTrial> out;
  out.reserve(s.trial_ids.size());
  for (int64_t tid : s.trial_ids) {
    const FrozenTrial& t = trials_.at(tid).trial;
    if (state_in(t.state, states)) out.push_back(t);
  }
  return out;
}

int InMemoryStorage::get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  std::lock_guard<std::mutex> lock(mu_);
  const StudyRecord& s = study_locked(study_id);
  if (!states) return static_cast<int>(s.trial_ids.size());
  std::array<bool, 5> asked{};
  for (TrialState st : *states) asked[state_index(st)] = true;  // a state listed twice counts once
  int n = 0;
  for (size_t k = 0; k < asked.size(); ++k) n += asked[k] ? s.n_by_state[k] : 0;
  return n;
}

std::optional<int64_t> InMemoryStorage::pop_waiting_trial(int64_t study_id) {
  std::lock_guard<std::mutex> lock(mu_);
  StudyRecord& s = study_locked(study_id);
  if (s.n_by_state[state_index(TrialState::WAITING)] == 0) return std::nullopt;
  for (int64_t tid : s.trial_ids) {
    FrozenTrial& t = trials_.at(tid).trial;
    if (t.state == TrialState::WAITING) {
      --s.n_by_state[state_index(TrialState::WAITING)];
      ++s.n_by_state[state_index(TrialState::RUNNING)];
      t.state = TrialState::RUNNING;
      t.datetime_start = now_us();
      return tid;
    }
  }
  return std::nullopt;
}

}  // namespace autoglm
