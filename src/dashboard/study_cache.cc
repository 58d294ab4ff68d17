#include "dashboard/study_cache.h"

#include "common/text.h"

#include <algorithm>
#include <cstdio>
#include <functional>

namespace autoglm::dashboard {

namespace {

void append_lower(std::string& out, const std::string& s) { out += ascii_lower(s); }

}  // namespace

const std::string& CachedTrial::search_text() const {
  std::call_once(once_, [this] {
    std::string& out = search_;
    out += std::to_string(number);
    out += '\x01';
    append_lower(out, to_string(state));
    for (const auto& [name, internal] : params) {
      out += '\x01';
      append_lower(out, name);
      out += '=';
      auto d = distributions.find(name);
      ParamValue v = internal;
      if (d != distributions.end()) {
        try {
          v = to_external(d->second, internal);
        } catch (const std::exception&) {
        }
      }
      if (auto* x = std::get_if<double>(&v)) {
        // Both a short and a full spelling, each after "name=" (the separator keeps a query
        // from matching across them).
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", *x);
        out += buf;
        out += '\x01';
        append_lower(out, name);
        out += '=';
        std::snprintf(buf, sizeof buf, "%.17g", *x);
        out += buf;
      } else if (auto* i = std::get_if<int64_t>(&v)) {
        out += std::to_string(*i);
      } else {
        append_lower(out, to_string(v));
      }
    }
    for (const auto& [k, v] : user_attrs) {
      out += '\x01';
      append_lower(out, k);
      out += '=';
      append_lower(out, v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  });
  return search_;
}

const FrozenTrial* StudySnapshot::find(int number) const {
  auto it = std::lower_bound(trials.begin(), trials.end(), number,
                             [](const TrialPtr& t, int n) { return t->number < n; });
  if (it == trials.end() || (*it)->number != number) return nullptr;
  return it->get();
}

StudyCache::StudyCache(std::shared_ptr<Storage> storage, int64_t study_id, double refresh_interval)
    : storage_(std::move(storage)), study_id_(study_id), refresh_interval_(std::max(0.0, refresh_interval)) {}

std::shared_ptr<const StudySnapshot> StudyCache::snapshot(bool force) {
  {
    std::lock_guard lock(mu_);
    if (current_ && !force && std::chrono::steady_clock::now() - refreshed_at_ < refresh_interval_) return current_;
  }
  std::lock_guard refreshing(refresh_mu_);
  {
    // Another thread may have refreshed while this one waited.
    std::lock_guard lock(mu_);
    if (current_ && !force && std::chrono::steady_clock::now() - refreshed_at_ < refresh_interval_) return current_;
  }
  auto next = refresh();
  std::lock_guard lock(mu_);
  current_ = next;
  refreshed_at_ = std::chrono::steady_clock::now();
  return current_;
}

namespace {

void mix(uint64_t& h, uint64_t v) {
  // FNV-1a style mixing over 64-bit words: only has to change when its input changes.
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h *= 0x100000001b3ULL;
}

uint64_t ticks(const std::optional<Clock::time_point>& t) {
  return t ? static_cast<uint64_t>(t->time_since_epoch().count()) : 0;
}

std::string hex(uint64_t v) {
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

std::shared_ptr<const StudySnapshot> StudyCache::refresh() {
  auto snap = std::make_shared<StudySnapshot>();
  snap->study_id = study_id_;
  // Unfinished trials first, then the finished ones: a trial finishing in between shows up in
  // both (the finished copy wins) rather than in neither.
  snap->name = storage_->get_study_name_from_id(study_id_);
  snap->directions = storage_->get_study_directions(study_id_);
  snap->user_attrs = storage_->get_study_user_attrs(study_id_);
  snap->system_attrs = storage_->get_study_system_attrs(study_id_);
  const std::vector<TrialState> open_states{TrialState::RUNNING, TrialState::WAITING};
  // A count (one indexed query) first: reading the trials pages through the whole study.
  std::vector<FrozenTrial> unfinished;
  if (storage_->get_n_trials(study_id_, open_states) > 0) unfinished = storage_->get_all_trials(study_id_, open_states);

  constexpr int kPage = 1000;
  std::vector<TrialPtr> fresh;
  int64_t cursor = cursor_;  // committed only when every read succeeded
  for (;;) {
    int64_t last = cursor;
    auto page = storage_->get_finished_trials_after(study_id_, cursor, kPage, &last);
    cursor = last;
    for (auto& t : page) fresh.push_back(std::make_shared<const CachedTrial>(std::move(t)));
    if (static_cast<int>(page.size()) < kPage) break;
  }
  const auto by_number = [](const TrialPtr& a, const TrialPtr& b) { return a->number < b->number; };
  cursor_ = cursor;
  if (!fresh.empty()) {
    std::sort(fresh.begin(), fresh.end(), by_number);
    const auto old_size = static_cast<std::ptrdiff_t>(finished_.size());
    const bool in_order = finished_.empty() || finished_.back()->number < fresh.front()->number;
    finished_.insert(finished_.end(), fresh.begin(), fresh.end());
    if (!in_order) std::inplace_merge(finished_.begin(), finished_.begin() + old_size, finished_.end(), by_number);
  }

  // Merge finished and unfinished by number; a number in both keeps the finished copy.
  std::sort(unfinished.begin(), unfinished.end(),
            [](const FrozenTrial& a, const FrozenTrial& b) { return a.number < b.number; });
  snap->trials.reserve(finished_.size() + unfinished.size());
  uint64_t h = 1469598103934665603ULL;
  std::size_t i = 0;
  for (auto& u : unfinished) {
    while (i < finished_.size() && finished_[i]->number < u.number) snap->trials.push_back(finished_[i++]);
    if (i < finished_.size() && finished_[i]->number == u.number) continue;
    mix(h, static_cast<uint64_t>(u.trial_id));
    mix(h, static_cast<uint64_t>(u.state));
    mix(h, u.params.size());
    mix(h, u.intermediate_values.size());
    mix(h, u.intermediate_values.empty() ? 0 : static_cast<uint64_t>(u.intermediate_values.rbegin()->first));
    mix(h, ticks(u.last_heartbeat));
    mix(h, ticks(u.datetime_start));
    mix(h, u.user_attrs.size());
    mix(h, u.system_attrs.size());
    snap->trials.push_back(std::make_shared<const CachedTrial>(std::move(u)));
  }
  while (i < finished_.size()) snap->trials.push_back(finished_[i++]);

  for (auto s : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL})
    snap->n_by_state[s] = 0;
  for (const auto& t : snap->trials) {
    ++snap->n_by_state[t->state];
    for (const auto& tp : {t->datetime_start, t->datetime_complete, t->last_heartbeat})
      if (tp && (!snap->last_update || *tp > *snap->last_update)) snap->last_update = tp;
    if (t->datetime_start && (!snap->datetime_start || *t->datetime_start < *snap->datetime_start))
      snap->datetime_start = t->datetime_start;
  }
  snap->finish_sequence = cursor_;
  snap->n_finished = static_cast<int>(finished_.size());
  const std::string attrs = nlohmann::json(snap->user_attrs).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                            nlohmann::json(snap->system_attrs).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  mix(h, std::hash<std::string>{}(attrs));
  mix(h, snap->trials.size());
  snap->finished_version = std::to_string(snap->n_finished) + "-" + std::to_string(cursor_);
  snap->version = snap->finished_version + "-" + hex(h);
  return snap;
}

std::shared_ptr<const std::string> StudyCache::cached_answer(const std::string& version, const std::string& key,
                                                             const std::function<std::string()>& make) {
  {
    std::lock_guard lock(answers_mu_);
    auto it = answers_.find(key);
    if (it != answers_.end() && it->second.first == version) return it->second.second;
  }
  auto value = std::make_shared<const std::string>(make());
  std::lock_guard lock(answers_mu_);
  if (auto it = answers_.find(key); it != answers_.end()) {  // an older version of this answer
    answer_bytes_ -= it->second.second->size();
    answers_.erase(it);
  }
  if (value->size() > kMaxAnswerBytes) return value;
  if (answer_bytes_ + value->size() > kMaxAnswerBytes) {
    answers_.clear();
    answer_bytes_ = 0;
  }
  answers_[key] = {version, value};
  answer_bytes_ += value->size();
  return value;
}

}  // namespace autoglm::dashboard
