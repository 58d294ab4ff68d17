#include "dashboard/api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

#include "autoglm/error.h"
#include "common/text.h"
#include "autoglm/importance.h"
#include "autoglm/pareto.h"

namespace autoglm::dashboard {

using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Errors and query parameters

/// A bad query parameter or body: answered 400.
struct BadRequest : Error {
  using Error::Error;
};

/// An unknown route: answered 404.
struct NoRoute : Error {
  using Error::Error;
};

class Query {
 public:
  Query(const std::map<std::string, std::string>& q, std::initializer_list<const char*> allowed) : q_(q) {
    for (const auto& [k, v] : q) {
      if (k == "token") continue;  // the server's auth parameter
      bool ok = false;
      for (const char* a : allowed) ok = ok || k == a;
      if (!ok) {
        std::string names;
        for (const char* a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
        throw BadRequest("unknown query parameter '" + k + "'" +
                         (names.empty() ? std::string("; this route takes none") : "; this route takes: " + names));
      }
    }
  }

  const std::string* find(const char* name) const {
    auto it = q_.find(name);
    return it == q_.end() ? nullptr : &it->second;
  }

  int64_t get_int(const char* name, int64_t def, int64_t lo, int64_t hi) const {
    const std::string* s = find(name);
    if (!s) return def;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || p != s->data() + s->size() || s->empty())
      throw BadRequest("query parameter '" + std::string(name) + "' must be an integer in " + std::to_string(lo) + ".." +
                       std::to_string(hi) + ", got '" + *s + "'");
    if (v < lo || v > hi)
      throw BadRequest("query parameter '" + std::string(name) + "' must be in " + std::to_string(lo) + ".." +
                       std::to_string(hi) + ", got " + *s);
    return v;
  }

  bool get_bool(const char* name, bool def) const {
    const std::string* s = find(name);
    if (!s) return def;
    if (*s == "1" || *s == "true") return true;
    if (*s == "0" || *s == "false") return false;
    throw BadRequest("query parameter '" + std::string(name) + "' must be 0 or 1, got '" + *s + "'");
  }

  std::string get_str(const char* name, const std::string& def) const {
    const std::string* s = find(name);
    return s ? *s : def;
  }

 private:
  const std::map<std::string, std::string>& q_;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// JSON helpers

json time_json(const std::optional<Clock::time_point>& t) { return t ? json(format_time(*t)) : json(nullptr); }

json values_json(const std::vector<double>& v) {
  if (v.empty()) return nullptr;
  json a = json::array();
  for (double x : v) a.push_back(x);  // non-finite: dumped as null
  return a;
}

json distribution_json(const Distribution& d) {
  if (auto* f = std::get_if<FloatDistribution>(&d))
    return {{"type", "float"}, {"low", f->low}, {"high", f->high}, {"log", f->log},
            {"step", f->step ? json(*f->step) : json(nullptr)}};
  if (auto* i = std::get_if<IntDistribution>(&d))
    return {{"type", "int"}, {"low", i->low}, {"high", i->high}, {"log", i->log}, {"step", i->step}};
  const auto& c = std::get<CategoricalDistribution>(d);
  json choices = json::array();
  for (const auto& v : c.choices) choices.push_back(to_json(v));
  return {{"type", "categorical"}, {"choices", choices}};
}

json params_json(const FrozenTrial& t) {
  json p = json::object();
  for (const auto& [name, internal] : t.params) {
    auto d = t.distributions.find(name);
    if (d == t.distributions.end()) {
      p[name] = internal;
      continue;
    }
    try {
      p[name] = to_json(to_external(d->second, internal));
    } catch (const Error&) {
      p[name] = internal;
    }
  }
  return p;
}

json attrs_json(const std::map<std::string, json>& attrs) {
  json o = json::object();
  for (const auto& [k, v] : attrs) o[k] = v;
  return o;
}

const json* attr(const FrozenTrial& t, const char* key) {
  auto it = t.system_attrs.find(key);
  return it == t.system_attrs.end() ? nullptr : &it->second;
}

json worker_json(const FrozenTrial& t) {
  const json* host = attr(t, "worker.host");
  if (!host || !host->is_string()) return nullptr;
  std::string out = host->get<std::string>();
  const json* pid = attr(t, "worker.pid");
  if (pid && pid->is_number_integer()) out += ":" + std::to_string(pid->get<int64_t>());
  return out;
}

json gpus_json(const FrozenTrial& t) {
  const json* g = attr(t, "gpus");
  return g && g->is_array() ? *g : json(nullptr);
}

// `autoglm tune` stores the names as study user attr "objective_names"; a system attr of that
// name (written by other front ends) is read when there is no user attr.
json objective_names_json(const StudySnapshot& s) {
  for (const auto* attrs : {&s.user_attrs, &s.system_attrs})
    if (auto it = attrs->find("objective_names"); it != attrs->end() && it->second.is_array()) return it->second;
  return json(nullptr);
}

json directions_json(const StudySnapshot& s) {
  json d = json::array();
  for (auto dir : s.directions) d.push_back(to_string(dir));
  return d;
}

std::optional<double> finished_duration(const FrozenTrial& t) {
  if (!t.datetime_start || !t.datetime_complete) return std::nullopt;
  return std::chrono::duration<double>(*t.datetime_complete - *t.datetime_start).count();
}

json opt_json(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

/// Value of objective k, nullopt when absent or not finite.
std::optional<double> objective_value(const FrozenTrial& t, std::size_t k) {
  if (k >= t.values.size() || !std::isfinite(t.values[k])) return std::nullopt;
  return t.values[k];
}

bool better(double a, double b, StudyDirection d) { return d == StudyDirection::MINIMIZE ? a < b : a > b; }

// ---------------------------------------------------------------------------------------------
// Thinning

/// Indices (increasing) of at most `budget` of n items: all the `keep` ones (thinned evenly
/// themselves only when they alone exceed the budget) and an even sample of the others.
std::vector<std::size_t> thin(std::size_t n, const std::vector<bool>& keep, std::size_t budget) {
  std::vector<std::size_t> out;
  if (n <= budget) {
    out.resize(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = i;
    return out;
  }
  std::vector<std::size_t> kept, rest;
  for (std::size_t i = 0; i < n; ++i) (keep.size() > i && keep[i] ? kept : rest).push_back(i);
  auto even = [](const std::vector<std::size_t>& from, std::size_t m) {
    std::vector<std::size_t> r;
    if (m == 0 || from.empty()) return r;
    if (m >= from.size()) return from;
    if (m == 1) return std::vector<std::size_t>{from.back()};
    for (std::size_t j = 0; j < m; ++j) {
      std::size_t idx = static_cast<std::size_t>(std::llround(static_cast<double>(j) * static_cast<double>(from.size() - 1) /
                                                              static_cast<double>(m - 1)));
      r.push_back(from[idx]);
    }
    r.erase(std::unique(r.begin(), r.end()), r.end());
    return r;
  };
  if (kept.size() >= budget) return even(kept, budget);
  auto sample = even(rest, budget - kept.size());
  out.reserve(kept.size() + sample.size());
  std::merge(kept.begin(), kept.end(), sample.begin(), sample.end(), std::back_inserter(out));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Answers

/// Parameters seen in the study: name -> (distribution of the latest trial, count).
std::map<std::string, std::pair<Distribution, int>> study_params(const StudySnapshot& s) {
  std::map<std::string, std::pair<Distribution, int>> out;
  for (const auto& t : s.trials)  // by number: later trials overwrite the distribution
    for (const auto& [name, d] : t->distributions) {
      auto it = out.find(name);
      if (it == out.end())
        out.emplace(name, std::make_pair(d, 1));
      else {
        it->second.first = d;
        ++it->second.second;
      }
    }
  return out;
}

const FrozenTrial* best_trial(const StudySnapshot& s) {
  if (s.directions.size() != 1) return nullptr;
  const FrozenTrial* best = nullptr;
  for (const auto& t : s.trials) {
    if (t->state != TrialState::COMPLETE) continue;
    auto v = objective_value(*t, 0);
    if (!v) continue;
    if (!best || better(*v, best->values[0], s.directions[0])) best = t.get();
  }
  return best;
}

/// COMPLETE trials with every objective finite, and their values turned to minimization.
void complete_points(const StudySnapshot& s, std::vector<const FrozenTrial*>* trials,
                     std::vector<std::vector<double>>* points) {
  const std::size_t m = s.directions.size();
  for (const auto& t : s.trials) {
    if (t->state != TrialState::COMPLETE || t->values.size() != m) continue;
    bool ok = true;
    std::vector<double> p(m);
    for (std::size_t k = 0; k < m; ++k) {
      if (!std::isfinite(t->values[k])) ok = false;
      p[k] = s.directions[k] == StudyDirection::MAXIMIZE ? -t->values[k] : t->values[k];
    }
    if (!ok) continue;
    trials->push_back(t.get());
    points->push_back(std::move(p));
  }
}

json summary_json(const StudySnapshot& s) {
  json j;
  j["id"] = s.study_id;
  j["name"] = s.name;
  j["directions"] = directions_json(s);
  j["objective_names"] = objective_names_json(s);
  j["n_trials"] = s.trials.size();
  json states = json::object();
  for (const auto& [state, n] : s.n_by_state) states[to_string(state)] = n;
  j["states"] = states;
  if (s.directions.size() == 1) {
    const FrozenTrial* b = best_trial(s);
    j["best_values"] = b ? json::array({b->values[0]}) : json(nullptr);
    j["n_pareto"] = nullptr;
  } else {
    j["best_values"] = nullptr;
    std::vector<const FrozenTrial*> trials;
    std::vector<std::vector<double>> points;
    complete_points(s, &trials, &points);
    j["n_pareto"] = pareto_front_indices(points).size();
  }
  j["datetime_start"] = time_json(s.datetime_start);
  j["last_update"] = time_json(s.last_update);
  j["user_attrs"] = attrs_json(s.user_attrs);
  return j;
}

json study_json(const StudySnapshot& s) {
  json j = summary_json(s);
  j["system_attrs"] = attrs_json(s.system_attrs);
  j["version"] = s.version;
  json params = json::array();
  for (const auto& [name, dn] : study_params(s))
    params.push_back({{"name", name}, {"distribution", distribution_json(dn.first)}, {"n_trials", dn.second}});
  j["params"] = params;
  bool inter = false;
  for (const auto& t : s.trials) inter = inter || !t->intermediate_values.empty();
  j["intermediate"] = inter;
  const FrozenTrial* b = best_trial(s);
  j["best_trial"] = b ? json{{"number", b->number}, {"values", values_json(b->values)}, {"params", params_json(*b)}}
                      : json(nullptr);
  return j;
}

json trial_row_json(const FrozenTrial& t) {
  json j;
  j["number"] = t.number;
  j["state"] = to_string(t.state);
  j["values"] = values_json(t.values);
  j["params"] = params_json(t);
  j["datetime_start"] = time_json(t.datetime_start);
  j["datetime_complete"] = time_json(t.datetime_complete);
  j["duration"] = opt_json(finished_duration(t));
  auto ls = t.last_step();
  j["last_step"] = ls ? json(*ls) : json(nullptr);
  j["worker"] = worker_json(t);
  j["gpus"] = gpus_json(t);
  j["user_attrs"] = attrs_json(t.user_attrs);
  return j;
}

/// Last `max_lines` lines (at most `max_bytes`) of a regular file named *.log; nullopt otherwise.
std::optional<std::string> read_log_tail(const std::string& path, int number, int max_lines, std::size_t max_bytes) {
  // Only the file a command runner writes for this trial ("trial-<number>.log"), opened without
  // following a symlink: a trial attr written by anyone sharing the database cannot make the
  // dashboard read another file of its host.
  const std::string expected = "trial-" + std::to_string(number) + ".log";
  if (std::filesystem::path(path).filename().string() != expected) return std::nullopt;
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {  // nor a hard link to another file
    ::close(fd);
    return std::nullopt;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  std::string data(size - start, '\0');
  const ssize_t n = ::pread(fd, data.data(), data.size(), static_cast<off_t>(start));
  ::close(fd);
  data.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  if (start > 0) {  // drop the partial first line
    auto nl = data.find('\n');
    data = nl == std::string::npos ? std::string() : data.substr(nl + 1);
  }
  // Keep the last max_lines lines (a trailing newline does not start a line).
  std::size_t pos = data.size();
  if (pos > 0 && data[pos - 1] == '\n') --pos;
  int lines = 0;
  while (pos > 0) {
    if (data[pos - 1] == '\n' && ++lines == max_lines) break;
    --pos;
  }
  return data.substr(pos);
}

json trial_detail_json(const FrozenTrial& t) {
  json j;
  j["number"] = t.number;
  j["trial_id"] = t.trial_id;
  j["state"] = to_string(t.state);
  j["values"] = values_json(t.values);
  j["params"] = params_json(t);
  json dists = json::object();
  for (const auto& [name, d] : t.distributions) dists[name] = distribution_json(d);
  j["distributions"] = dists;
  json steps = json::array(), vals = json::array();
  for (const auto& [s, v] : t.intermediate_values) {
    steps.push_back(s);
    vals.push_back(v);
  }
  j["intermediate_values"] = {{"steps", steps}, {"values", vals}};
  j["user_attrs"] = attrs_json(t.user_attrs);
  j["system_attrs"] = attrs_json(t.system_attrs);
  j["datetime_start"] = time_json(t.datetime_start);
  j["datetime_complete"] = time_json(t.datetime_complete);
  j["duration"] = t.datetime_start && (t.datetime_complete || t.state == TrialState::RUNNING) ? opt_json(t.duration_seconds())
                                                                                             : json(nullptr);
  j["last_heartbeat"] = time_json(t.last_heartbeat);
  if (t.state == TrialState::RUNNING && t.last_heartbeat)
    j["heartbeat_age"] = std::max(0.0, std::chrono::duration<double>(Clock::now() - *t.last_heartbeat).count());
  else
    j["heartbeat_age"] = nullptr;
  j["worker"] = worker_json(t);
  j["gpus"] = gpus_json(t);
  const json* fr = attr(t, "fail_reason");
  j["fail_reason"] = fr && fr->is_string() ? *fr : json(nullptr);
  const json* ro = attr(t, kRetryOfAttr);
  j["retry_of"] = ro && ro->is_number_integer() ? *ro : json(nullptr);
  const json* lp = attr(t, "log_path");
  std::optional<std::string> tail;
  if (lp && lp->is_string()) tail = read_log_tail(lp->get<std::string>(), t.number, 200, 64 * 1024);
  if (!tail) {
    const json* lt = attr(t, "log_tail");
    if (lt && lt->is_string()) tail = lt->get<std::string>();
  }
  j["log_tail"] = tail ? json(*tail) : json(nullptr);
  j["log_path"] = lp && lp->is_string() ? *lp : json(nullptr);
  return j;
}

// ---- /trials ----

std::string param_text(const FrozenTrial& t, const std::string& name, double internal) {
  auto d = t.distributions.find(name);
  if (d == t.distributions.end()) return std::to_string(internal);
  try {
    return to_string(to_external(d->second, internal));
  } catch (const Error&) {
    return std::to_string(internal);
  }
}

json trials_answer(const StudySnapshot& s, const Query& q) {
  const int64_t offset = q.get_int("offset", 0, 0, std::numeric_limits<int32_t>::max());
  const int64_t limit = q.get_int("limit", 50, 1, 1000);
  const std::string sort = q.get_str("sort", "number");
  const std::string order = q.get_str("order", "asc");
  if (order != "asc" && order != "desc") throw BadRequest("query parameter 'order' must be asc or desc, got '" + order + "'");
  const bool desc = order == "desc";
  std::optional<std::set<TrialState>> states;
  if (const std::string* st = q.find("state")) {
    if (st->empty())
      throw BadRequest("query parameter 'state' is empty; list states (WAITING, RUNNING, COMPLETE, PRUNED, FAIL) or leave it out");
    states.emplace();
    for (const auto& name : split_commas(*st)) {
      try {
        states->insert(trial_state_from_string(name));
      } catch (const Error&) {
        throw BadRequest("query parameter 'state' holds unknown state '" + name +
                         "'; use WAITING, RUNNING, COMPLETE, PRUNED or FAIL (comma-separated)");
      }
    }
  }
  const std::string needle = ascii_lower(q.get_str("q", ""));

  std::vector<const FrozenTrial*> rows;
  rows.reserve(s.trials.size());
  for (const auto& t : s.trials) {
    if (states && !states->count(t->state)) continue;
    if (!needle.empty() && t->search_text().find(needle) == std::string::npos) continue;
    rows.push_back(t.get());
  }

  // Sort key: nullopt sorts last in either order; ties by number ascending.
  std::function<std::optional<double>(const FrozenTrial&)> key;
  std::function<std::optional<std::string>(const FrozenTrial&)> text_key;
  if (sort == "number") {
    key = [](const FrozenTrial& t) { return std::optional<double>(t.number); };
  } else if (sort == "state") {
    key = [](const FrozenTrial& t) { return std::optional<double>(static_cast<int>(t.state)); };
  } else if (sort == "duration") {
    key = [](const FrozenTrial& t) { return finished_duration(t); };
  } else if (sort == "datetime_start") {
    key = [](const FrozenTrial& t) {
      return t.datetime_start ? std::optional<double>(std::chrono::duration<double>(t.datetime_start->time_since_epoch()).count())
                              : std::nullopt;
    };
  } else if (sort.rfind("value", 0) == 0) {
    std::size_t k = 0;
    if (sort.size() > 5) {
      const std::string idx = sort.substr(5);
      auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), k);
      if (ec != std::errc() || p != idx.data() + idx.size())
        throw BadRequest("query parameter 'sort' value '" + sort + "' is unknown; use value, value1, value2, ...");
    }
    if (k >= s.directions.size())
      throw BadRequest("query parameter 'sort' value '" + sort + "' is out of range: the study has " +
                       std::to_string(s.directions.size()) + " objective(s)");
    key = [k](const FrozenTrial& t) { return objective_value(t, k); };
  } else if (sort.rfind("param:", 0) == 0) {
    const std::string name = sort.substr(6);
    bool categorical = false, known = false;
    for (const auto& t : s.trials)
      if (auto d = t->distributions.find(name); d != t->distributions.end()) {
        categorical = std::holds_alternative<CategoricalDistribution>(d->second);
        known = true;
        break;
      }
    if (!known && !s.trials.empty())
      throw BadRequest("query parameter 'sort' names parameter '" + name + "', which no trial of the study has");
    if (categorical) {
      text_key = [name](const FrozenTrial& t) -> std::optional<std::string> {
        auto p = t.params.find(name);
        if (p == t.params.end()) return std::nullopt;
        return param_text(t, name, p->second);
      };
    } else {
      key = [name](const FrozenTrial& t) -> std::optional<double> {
        auto p = t.params.find(name);
        if (p == t.params.end() || std::isnan(p->second)) return std::nullopt;
        return p->second;
      };
    }
  } else {
    throw BadRequest("query parameter 'sort' value '" + sort +
                     "' is unknown; use number, state, value, value1, ..., duration, datetime_start or param:NAME");
  }
  if (sort != "number" || desc) {
    auto cmp = [&](const auto& ka, const auto& kb, int na, int nb) {
      if (ka.has_value() != kb.has_value()) return ka.has_value();
      if (ka && *ka != *kb) return desc ? *ka > *kb : *ka < *kb;
      return na < nb;
    };
    if (text_key) {
      std::vector<std::pair<std::optional<std::string>, const FrozenTrial*>> keyed;
      keyed.reserve(rows.size());
      for (auto* t : rows) keyed.emplace_back(text_key(*t), t);
      std::sort(keyed.begin(), keyed.end(),
                [&](const auto& a, const auto& b) { return cmp(a.first, b.first, a.second->number, b.second->number); });
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = keyed[i].second;
    } else {
      std::vector<std::pair<std::optional<double>, const FrozenTrial*>> keyed;
      keyed.reserve(rows.size());
      for (auto* t : rows) keyed.emplace_back(key(*t), t);
      std::sort(keyed.begin(), keyed.end(),
                [&](const auto& a, const auto& b) { return cmp(a.first, b.first, a.second->number, b.second->number); });
      for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = keyed[i].second;
    }
  }
  json out;
  out["total"] = rows.size();
  out["offset"] = offset;
  out["limit"] = limit;
  json page = json::array();
  for (std::size_t i = static_cast<std::size_t>(offset); i < rows.size() && i < static_cast<std::size_t>(offset + limit); ++i)
    page.push_back(trial_row_json(*rows[i]));
  out["trials"] = page;
  return out;
}

// ---- /history ----

std::size_t objective_param(const StudySnapshot& s, const Query& q) {
  return static_cast<std::size_t>(q.get_int("objective", 0, 0, static_cast<int64_t>(s.directions.size()) - 1));
}

json history_answer(const StudySnapshot& s, const Query& q) {
  const std::size_t k = objective_param(s, q);
  const auto max_points = static_cast<std::size_t>(q.get_int("max_points", 5000, 1, 100000));
  const StudyDirection dir = s.directions[k];
  std::vector<const FrozenTrial*> complete, pruned, failed;
  int n_complete = 0;
  for (const auto& t : s.trials) {
    if (t->state == TrialState::COMPLETE) {
      ++n_complete;
      if (objective_value(*t, k)) complete.push_back(t.get());
    } else if (t->state == TrialState::PRUNED) {
      if (!t->intermediate_values.empty() && std::isfinite(t->intermediate_values.rbegin()->second)) pruned.push_back(t.get());
    } else if (t->state == TrialState::FAIL) {
      failed.push_back(t.get());
    }
  }
  std::vector<bool> improves(complete.size(), false);
  json best_numbers = json::array(), best_values = json::array();
  std::optional<double> best;
  for (std::size_t i = 0; i < complete.size(); ++i) {
    const double v = complete[i]->values[k];
    if (!best || better(v, *best, dir)) {
      best = v;
      improves[i] = true;
      best_numbers.push_back(complete[i]->number);
      best_values.push_back(v);
    }
  }
  json numbers = json::array(), values = json::array();
  for (std::size_t i : thin(complete.size(), improves, max_points)) {
    numbers.push_back(complete[i]->number);
    values.push_back(complete[i]->values[k]);
  }
  json pn = json::array(), pv = json::array();
  for (std::size_t i : thin(pruned.size(), {}, max_points)) {
    pn.push_back(pruned[i]->number);
    pv.push_back(pruned[i]->intermediate_values.rbegin()->second);
  }
  json fn = json::array();
  for (std::size_t i : thin(failed.size(), {}, max_points)) fn.push_back(failed[i]->number);
  json out;
  out["objective"] = k;
  out["direction"] = to_string(dir);
  out["n_complete"] = n_complete;
  out["numbers"] = numbers;
  out["values"] = values;
  out["best"] = {{"numbers", best_numbers}, {"values", best_values}};
  out["pruned"] = {{"numbers", pn}, {"values", pv}};
  out["failed_numbers"] = fn;
  return out;
}

// ---- /intermediate ----

json intermediate_answer(const StudySnapshot& s, const Query& q) {
  const auto max_trials = static_cast<std::size_t>(q.get_int("max_trials", 100, 1, 1000));
  std::vector<const FrozenTrial*> running, complete, pruned, other;
  std::size_t n_total = 0;
  for (const auto& t : s.trials) {
    if (t->intermediate_values.empty()) continue;
    ++n_total;
    switch (t->state) {
      case TrialState::RUNNING: running.push_back(t.get()); break;
      case TrialState::COMPLETE: complete.push_back(t.get()); break;
      case TrialState::PRUNED: pruned.push_back(t.get()); break;
      default: other.push_back(t.get()); break;
    }
  }
  // Best COMPLETE first (by objective 0; no value last), most recent PRUNED first.
  const StudyDirection dir = s.directions.empty() ? StudyDirection::MINIMIZE : s.directions[0];
  std::stable_sort(complete.begin(), complete.end(), [&](const FrozenTrial* a, const FrozenTrial* b) {
    auto va = objective_value(*a, 0), vb = objective_value(*b, 0);
    if (va.has_value() != vb.has_value()) return va.has_value();
    return va && *va != *vb && better(*va, *vb, dir);
  });
  std::reverse(pruned.begin(), pruned.end());
  std::reverse(other.begin(), other.end());
  std::vector<const FrozenTrial*> chosen;
  for (auto* t : running)
    if (chosen.size() < max_trials) chosen.push_back(t);
  const std::size_t left = max_trials - chosen.size();
  std::size_t n_complete = std::min(complete.size(), (left + 1) / 2);
  std::size_t n_pruned = std::min(pruned.size(), left - n_complete);
  n_complete = std::min(complete.size(), left - n_pruned);  // give unused PRUNED room to COMPLETE
  chosen.insert(chosen.end(), complete.begin(), complete.begin() + static_cast<std::ptrdiff_t>(n_complete));
  chosen.insert(chosen.end(), pruned.begin(), pruned.begin() + static_cast<std::ptrdiff_t>(n_pruned));
  for (auto* t : other)
    if (chosen.size() < max_trials) chosen.push_back(t);
  std::sort(chosen.begin(), chosen.end(), [](const FrozenTrial* a, const FrozenTrial* b) { return a->number < b->number; });
  json trials = json::array();
  for (auto* t : chosen) {
    json steps = json::array(), values = json::array();
    for (const auto& [st, v] : t->intermediate_values) {
      steps.push_back(st);
      values.push_back(v);
    }
    trials.push_back({{"number", t->number},
                      {"state", to_string(t->state)},
                      {"steps", steps},
                      {"values", values},
                      {"pruned_step", t->state == TrialState::PRUNED ? json(t->intermediate_values.rbegin()->first)
                                                                      : json(nullptr)}});
  }
  return {{"n_total", n_total}, {"trials", trials}};
}

// ---- /params ----

json params_answer(const StudySnapshot& s, const Query& q) {
  const std::size_t k = objective_param(s, q);
  const auto max_points = static_cast<std::size_t>(q.get_int("max_points", 2000, 1, 100000));
  const auto all = study_params(s);
  std::vector<std::string> names;
  if (const std::string* p = q.find("params")) {
    for (const auto& n : split_commas(*p)) {
      if (!all.count(n)) throw BadRequest("query parameter 'params' names unknown parameter '" + n + "'");
      names.push_back(n);
    }
  } else {
    for (const auto& [n, d] : all) names.push_back(n);
  }
  std::vector<const FrozenTrial*> rows;
  for (const auto& t : s.trials)
    if (t->state == TrialState::COMPLETE && objective_value(*t, k)) rows.push_back(t.get());
  std::vector<std::size_t> idx;
  if (rows.size() <= max_points) {
    idx.resize(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) idx[i] = i;
  } else {
    // The best half of the budget, then an even sample of the rest.
    std::vector<std::size_t> order(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) order[i] = i;
    const StudyDirection dir = s.directions[k];
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return better(rows[a]->values[k], rows[b]->values[k], dir); });
    const std::size_t n_best = max_points / 2;
    std::vector<bool> keep(rows.size(), false);
    for (std::size_t i = 0; i < n_best; ++i) keep[order[i]] = true;
    idx = thin(rows.size(), keep, max_points);
  }
  json numbers = json::array(), values = json::array();
  for (std::size_t i : idx) {
    numbers.push_back(rows[i]->number);
    values.push_back(rows[i]->values[k]);
  }
  json params = json::array();
  for (const auto& name : names) {
    json col = json::array();
    for (std::size_t i : idx) {
      const FrozenTrial& t = *rows[i];
      auto p = t.params.find(name);
      if (p == t.params.end()) {
        col.push_back(nullptr);
        continue;
      }
      auto d = t.distributions.find(name);
      try {
        col.push_back(d == t.distributions.end() ? json(p->second) : to_json(to_external(d->second, p->second)));
      } catch (const Error&) {
        col.push_back(p->second);
      }
    }
    params.push_back({{"name", name}, {"distribution", distribution_json(all.at(name).first)}, {"values", col}});
  }
  return {{"n_complete", rows.size()}, {"objective", k}, {"numbers", numbers}, {"values", values}, {"params", params}};
}

// ---- /importance ----

constexpr std::size_t kMaxImportanceTrials = 2000;

json importance_answer(const StudySnapshot& s, const Query& q) {
  ImportanceOptions opts;
  try {
    opts.evaluator = importance_evaluator_from_string(q.get_str("evaluator", "fanova"));
  } catch (const Error& e) {
    throw BadRequest(std::string("query parameter 'evaluator': ") + e.what());
  }
  opts.objective_index = static_cast<int>(objective_param(s, q));
  opts.interactions = q.get_bool("interactions", false);
  if (const std::string* p = q.find("params")) opts.params = split_commas(*p);
  json out;
  out["evaluator"] = to_string(opts.evaluator);
  out["objective"] = opts.objective_index;
  // fANOVA's forest costs about n log n per tree: an even sample (by number) of at most
  // kMaxImportanceTrials COMPLETE trials keeps a 100,000-trial study answering in about a second.
  std::vector<const FrozenTrial*> usable;
  for (const auto& t : s.trials)
    if (t->state == TrialState::COMPLETE && objective_value(*t, static_cast<std::size_t>(opts.objective_index)))
      usable.push_back(t.get());
  std::vector<FrozenTrial> trials;
  for (std::size_t i : thin(usable.size(), {}, kMaxImportanceTrials)) trials.push_back(*usable[i]);
  try {
    ImportanceResult r = evaluate_importance(trials, s.directions, opts);
    out["n_trials"] = r.n_trials;
    json imp = json::array();
    for (const auto& [name, v] : r.importances) imp.push_back({{"name", name}, {"importance", v}});
    out["importances"] = imp;
    if (opts.interactions && !r.interaction_params.empty())
      out["interactions"] = {{"params", r.interaction_params}, {"matrix", r.interactions}};
    else
      out["interactions"] = nullptr;
    out["error"] = nullptr;
  } catch (const Error& e) {
    out["n_trials"] = 0;
    out["importances"] = json::array();
    out["interactions"] = nullptr;
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    out["error"] = msg;
  }
  return out;
}

// ---- /pareto ----

json pareto_answer(const StudySnapshot& s, const Query& q) {
  const auto max_points = static_cast<std::size_t>(q.get_int("max_points", 2000, 1, 100000));
  if (s.directions.size() < 2)
    throw BadRequest("the Pareto front needs a multi-objective study; study " + std::to_string(s.study_id) +
                     " has one objective (use /history)");
  const std::size_t m = s.directions.size();
  std::vector<const FrozenTrial*> trials;
  std::vector<std::vector<double>> points;
  complete_points(s, &trials, &points);
  const auto front_idx = pareto_front_indices(points);
  std::vector<bool> on_front(points.size(), false);
  for (auto i : front_idx) on_front[i] = true;
  json front = json::array();
  for (auto i : front_idx) front.push_back({{"number", trials[i]->number}, {"values", values_json(trials[i]->values)}});
  std::vector<std::size_t> dominated_idx;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (!on_front[i]) dominated_idx.push_back(i);
  json dominated = json::array();
  for (std::size_t j : thin(dominated_idx.size(), {}, max_points)) {
    auto i = dominated_idx[j];
    dominated.push_back({{"number", trials[i]->number}, {"values", values_json(trials[i]->values)}});
  }
  json hv_numbers = json::array(), hv_values = json::array();
  json reference = nullptr;
  if (!points.empty()) {
    const std::vector<double> ref = default_reference_point(points);
    // Hypervolume after each trial: only a point that enters the front changes it.
    std::vector<std::vector<double>> cur;
    std::vector<double> hv(points.size());
    std::vector<bool> improves(points.size(), false);
    double h = 0.0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      bool covered = false;
      for (const auto& f : cur)
        if (f == p || dominates(f, p)) {
          covered = true;
          break;
        }
      if (!covered) {
        cur.erase(std::remove_if(cur.begin(), cur.end(), [&](const std::vector<double>& f) { return dominates(p, f); }),
                  cur.end());
        cur.push_back(p);
        const double nh = hypervolume(cur, ref);
        improves[i] = nh > h;
        h = nh;
      }
      hv[i] = h;
    }
    for (std::size_t i : thin(points.size(), improves, max_points)) {
      hv_numbers.push_back(trials[i]->number);
      hv_values.push_back(hv[i]);
    }
    reference = json::array();
    for (std::size_t k = 0; k < m; ++k) reference.push_back(s.directions[k] == StudyDirection::MAXIMIZE ? -ref[k] : ref[k]);
  }
  return {{"directions", directions_json(s)},
          {"objective_names", objective_names_json(s)},
          {"front", front},
          {"dominated", dominated},
          {"hypervolume_history", {{"numbers", hv_numbers}, {"values", hv_values}}},
          {"reference_point", reference}};
}

// ---- /timeline ----

json timeline_answer(const StudySnapshot& s, const Query& q) {
  const auto max_trials = static_cast<std::size_t>(q.get_int("max_trials", 2000, 1, 100000));
  std::vector<const FrozenTrial*> started;
  for (const auto& t : s.trials)
    if (t->datetime_start) started.push_back(t.get());
  const std::size_t first = started.size() > max_trials ? started.size() - max_trials : 0;
  json trials = json::array();
  for (std::size_t i = first; i < started.size(); ++i) {
    const FrozenTrial& t = *started[i];
    trials.push_back({{"number", t.number},
                      {"state", to_string(t.state)},
                      {"datetime_start", time_json(t.datetime_start)},
                      {"datetime_complete", time_json(t.datetime_complete)},
                      {"worker", worker_json(t)},
                      {"gpus", gpus_json(t)}});
  }
  return {{"n_total", started.size()}, {"trials", trials}};
}

// ---------------------------------------------------------------------------------------------
// Routing

/// Splits "/api/studies/12/trials/3" into its segments after "/api/".
std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<int64_t> parse_id(const std::string& s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 18) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

/// A canonical cache key of a query (sorted, without the token).
std::string query_key(const std::map<std::string, std::string>& query) {
  std::string k;
  for (const auto& [a, b] : query)
    if (a != "token") k += a + "=" + b + "&";
  return k;
}

}  // namespace

// -------------------------------------------------------------------------------------------------

Api::Api(std::shared_ptr<Storage> storage, double refresh_interval)
    : storage_(std::move(storage)), refresh_interval_(refresh_interval) {}

std::string Api::dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Response Api::error(int status, const std::string& message) {
  std::string one = message;
  std::replace(one.begin(), one.end(), '\n', ' ');
  return {status, dump(json{{"error", one}})};
}

std::shared_ptr<StudyCache> Api::cache_for(int64_t study_id) {
  std::lock_guard lock(mu_);
  auto& c = caches_[study_id];
  if (!c) c = std::make_shared<StudyCache>(storage_, study_id, refresh_interval_);
  return c;
}

void Api::forget(int64_t study_id) {
  std::lock_guard lock(mu_);
  caches_.erase(study_id);
  ids_read_at_.reset();  // re-read the list: the study may be gone
}

std::vector<int64_t> Api::study_ids() {
  std::lock_guard lock(ids_mu_);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard l(mu_);
    if (ids_read_at_ && now - *ids_read_at_ < std::chrono::duration<double>(refresh_interval_)) return ids_;
  }
  std::vector<int64_t> ids;
  for (const auto& summary : storage_->get_all_studies()) ids.push_back(summary.study_id);
  std::lock_guard l(mu_);
  ids_ = ids;
  ids_read_at_ = now;
  return ids;
}

Response Api::get(const std::string& path, const std::map<std::string, std::string>& query) {
  return dispatch(path, query, std::nullopt);
}

Response Api::get_studies_only(int64_t study_id) { return dispatch("/api/studies", {}, study_id); }

Response Api::dispatch(const std::string& path, const std::map<std::string, std::string>& query,
                       std::optional<int64_t> only_study) {
  std::optional<int64_t> study_id;
  try {
    auto seg = segments(path);
    // seg[0] == "" (leading slash), seg[1] == "api", seg[2] == "studies", ...
    if (seg.size() < 3 || !seg[0].empty() || seg[1] != "api" || seg[2] != "studies")
      throw NoRoute("no route " + path + " (see docs/dashboard.md for the API)");
    if (seg.size() == 3) {
      Query q(query, {});
      json list = json::array();
      for (int64_t sid : study_ids()) {
        if (only_study && sid != *only_study) continue;
        try {
          auto cache = cache_for(sid);
          auto snap = cache->snapshot();
          list.push_back(json::parse(
              *cache->cached_answer(snap->version, "summary", [&] { return dump(summary_json(*snap)); })));
        } catch (const NotFoundError&) {  // deleted meanwhile
          forget(sid);
        }
      }
      std::sort(list.begin(), list.end(), [](const json& a, const json& b) { return a["id"] < b["id"]; });
      return {200, dump(json{{"studies", list}})};
    }
    study_id = parse_id(seg[3]);
    if (!study_id) throw NoRoute("no study with id '" + seg[3] + "' (studies are addressed by numeric id)");
    auto cache = cache_for(*study_id);
    auto snap = cache->snapshot();
    const std::string qkey = query_key(query);
    // Answers that depend on finished trials only are keyed by the finished version.
    auto cached = [&](const std::string& name, bool finished_only, std::function<json()> make) -> Response {
      auto body = cache->cached_answer(finished_only ? snap->finished_version : snap->version, name + "?" + qkey, [&] {
        // At most kMaxComputing answers are built at once: building one for a 100,000-trial study
        // takes ~10 times its JSON size in transient memory (~160 MB for the whole timeline).
        computing_.acquire();
        struct Release {
          std::counting_semaphore<kMaxComputing>& s;
          ~Release() { s.release(); }
        } release{computing_};
        return dump(make());
      });
      return {200, *body};
    };
    if (seg.size() == 4) {
      Query q(query, {});
      return cached("study", false, [&] { return study_json(*snap); });
    }
    const std::string& what = seg[4];
    if (seg.size() == 5) {
      if (what == "version") {
        Query q(query, {});
        return {200, dump(json{{"version", snap->version}, {"n_trials", snap->trials.size()}, {"last_update", time_json(snap->last_update)}})};
      }
      if (what == "trials") {
        Query q(query, {"offset", "limit", "sort", "order", "state", "q"});
        return cached(what, false, [&] { return trials_answer(*snap, q); });
      }
      if (what == "history") {
        Query q(query, {"objective", "max_points"});
        return cached(what, true, [&] { return history_answer(*snap, q); });
      }
      if (what == "intermediate") {
        Query q(query, {"max_trials"});
        return cached(what, false, [&] { return intermediate_answer(*snap, q); });
      }
      if (what == "params") {
        Query q(query, {"objective", "max_points", "params"});
        return cached(what, true, [&] { return params_answer(*snap, q); });
      }
      if (what == "importance") {
        Query q(query, {"evaluator", "objective", "interactions", "params"});
        return cached(what, true, [&] { return importance_answer(*snap, q); });
      }
      if (what == "pareto") {
        Query q(query, {"max_points"});
        return cached(what, true, [&] { return pareto_answer(*snap, q); });
      }
      if (what == "timeline") {
        Query q(query, {"max_trials"});
        return cached(what, false, [&] { return timeline_answer(*snap, q); });
      }
    }
    if (seg.size() == 6 && what == "trials") {
      Query q(query, {});
      auto number = parse_id(seg[5]);
      const FrozenTrial* t = number && *number <= std::numeric_limits<int>::max() ? snap->find(static_cast<int>(*number)) : nullptr;
      if (!t) throw NotFoundError("study " + std::to_string(*study_id) + " has no trial number " + seg[5]);
      return {200, dump(trial_detail_json(*t))};  // not cached: heartbeat age and log tail are live
    }
    throw NoRoute("no route " + path + " (see docs/dashboard.md for the API)");
  } catch (const BadRequest& e) {
    return error(400, e.what());
  } catch (const NoRoute& e) {
    return error(404, e.what());
  } catch (const NotFoundError& e) {
    if (study_id) forget(*study_id);
    return error(404, e.what());
  } catch (const ConfigError& e) {
    return error(400, e.what());
  } catch (const std::exception& e) {
    return error(500, e.what());
  }
}

Response Api::put_note(const std::string& path, const std::string& body) {
  try {
    auto seg = segments(path);
    if (seg.size() != 5 || !seg[0].empty() || seg[1] != "api" || seg[2] != "studies" || seg[4] != "note")
      return error(404, "no route PUT " + path);
    auto id = parse_id(seg[3]);
    if (!id) return error(404, "no study with id '" + seg[3] + "'");
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("note") || !j["note"].is_string())
      return error(400, "the body must be a JSON object {\"note\": \"text\"}");
    storage_->get_study_name_from_id(*id);  // 404 for an unknown study
    storage_->set_study_user_attr(*id, "note", j["note"]);
    cache_for(*id)->snapshot(/*force=*/true);
    return {200, dump(json{{"ok", true}})};
  } catch (const NotFoundError& e) {
    return error(404, e.what());
  } catch (const std::exception& e) {
    return error(500, e.what());
  }
}

Response Api::delete_study(const std::string& path) {
  try {
    auto seg = segments(path);
    if (seg.size() != 4 || !seg[0].empty() || seg[1] != "api" || seg[2] != "studies")
      return error(404, "no route DELETE " + path);
    auto id = parse_id(seg[3]);
    if (!id) return error(404, "no study with id '" + seg[3] + "'");
    storage_->get_study_name_from_id(*id);
    storage_->delete_study(*id);
    forget(*id);
    return {200, dump(json{{"ok", true}})};
  } catch (const NotFoundError& e) {
    return error(404, e.what());
  } catch (const std::exception& e) {
    return error(500, e.what());
  }
}

}  // namespace autoglm::dashboard
