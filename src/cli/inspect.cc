// Read-only verbs: `autoglm studies`, `autoglm trials`, `autoglm best`.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/scoring.h"
#include "autoglm/study.h"
#include "autoglm/storage.h"
#include "cli/cli.h"
#include "common/options.h"

namespace autoglm::cli {

namespace {

// Values of a trial; `precise`: every digit (csv), else six significant digits (tables).
std::string value_text(const FrozenTrial& t, bool precise = true) {
  std::string s;
  for (size_t i = 0; i < t.values.size(); ++i)
    s += (i ? "," : "") + (precise ? format_double(t.values[i]) : format_short(t.values[i]));
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string param_text(const ParamValue& v, bool precise) {
  if (!std::holds_alternative<double>(v)) return to_string(v);
  return precise ? format_double(std::get<double>(v)) : format_short(std::get<double>(v));
}

}  // namespace

int run_studies(const std::string& url, const std::string& format) {
  check_format(format, {"table", "json"});
  auto storage = open_existing_storage(url);
  auto studies = storage->get_all_studies();
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& s : studies) {
      nlohmann::json j;
      j["study_name"] = s.study_name;
      nlohmann::json dirs = nlohmann::json::array();
      for (auto d : s.directions) dirs.push_back(to_string(d));
      j["directions"] = dirs;
      nlohmann::json counts = nlohmann::json::object();
      int total = 0;
      for (const auto& [state, n] : s.n_trials_by_state) {
        counts[to_string(state)] = n;
        total += n;
      }
      j["n_trials"] = total;
      j["n_trials_by_state"] = counts;
      j["best_trial"] = s.best_trial ? trial_to_json(*s.best_trial) : nlohmann::json(nullptr);
      j["datetime_start"] = s.datetime_start ? nlohmann::json(format_time(*s.datetime_start)) : nlohmann::json(nullptr);
      arr.push_back(j);
    }
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  if (studies.empty()) {
    std::cout << "no studies in " << url << "; start one with `autoglm tune CONFIG.yaml --storage " << url << "`\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows{{"STUDY", "DIRECTION", "TRIALS", "COMPLETE", "PRUNED", "FAIL", "RUNNING",
                                              "BEST", "STARTED"}};
  for (const auto& s : studies) {
    std::string dirs;
    for (auto d : s.directions) dirs += (dirs.empty() ? "" : ",") + to_string(d);
    auto count = [&](TrialState st) {
      auto it = s.n_trials_by_state.find(st);
      return it == s.n_trials_by_state.end() ? 0 : it->second;
    };
    int total = 0;
    for (const auto& [st, n] : s.n_trials_by_state) total += n;
    std::string best = s.best_trial ? value_text(*s.best_trial, false) + " (#" + std::to_string(s.best_trial->number) + ")" : "-";
    rows.push_back({s.study_name, dirs, std::to_string(total), std::to_string(count(TrialState::COMPLETE)),
                    std::to_string(count(TrialState::PRUNED)), std::to_string(count(TrialState::FAIL)),
                    std::to_string(count(TrialState::RUNNING)), best,
                    s.datetime_start ? format_time(*s.datetime_start).substr(0, 19) : "-"});
  }
  print_table(rows);
  return kExitOk;
}

int run_trials(const std::string& url, const std::string& study, const std::optional<std::string>& state,
               const std::string& format) {
  check_format(format, {"table", "csv", "json"});
  std::optional<std::vector<TrialState>> states;
  if (state) {
    std::string up = *state;
    std::transform(up.begin(), up.end(), up.begin(), ::toupper);
    const std::vector<std::string> names = {"WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"};
    if (std::find(names.begin(), names.end(), up) == names.end())
      throw ConfigError("--state: unknown trial state '" + *state + "'" + did_you_mean(up, names));
    states = std::vector<TrialState>{trial_state_from_string(up)};
  }
  auto storage = open_existing_storage(url);
  int64_t id = find_study(*storage, study);
  auto trials = storage->get_all_trials(id, states);
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : trials) arr.push_back(trial_to_json(t));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  std::set<std::string> param_names;
  bool constrained = false;
  for (const auto& t : trials) {
    for (const auto& [k, v] : t.params) param_names.insert(k);
    constrained = constrained || constraint_values(t).has_value();
  }
  const auto directions = storage->get_study_directions(id);
  const auto names = value_names(storage->get_study_user_attrs(id), directions.size());
  std::vector<std::string> header{"number", "state"};
  for (const auto& n : names) header.push_back(n);
  if (constrained) header.push_back("feasible");
  header.push_back("duration");
  // RUNNING trials: who runs them and how old their last heartbeat is (a stale one is old).
  const bool any_running = std::any_of(trials.begin(), trials.end(), [](const FrozenTrial& t) { return t.state == TrialState::RUNNING; });
  if (any_running) {
    header.push_back("worker");
    header.push_back("heartbeat_age");
  }
  for (const auto& p : param_names) header.push_back(p);
  header.push_back("note");
  std::vector<std::vector<std::string>> rows{header};
  for (const auto& t : trials) {
    auto d = t.duration_seconds();
    const bool precise = format == "csv";
    std::vector<std::string> r{std::to_string(t.number), to_string(t.state)};
    for (size_t k = 0; k < names.size(); ++k) {
      // A PRUNED trial has one value (its last intermediate value) under the first name.
      if (k < t.values.size()) r.push_back(precise ? format_double(t.values[k]) : format_short(t.values[k]));
      else r.push_back("");
    }
    if (constrained) r.push_back(constraint_values(t) ? (is_feasible(t) ? "yes" : "no") : "");
    r.push_back(d ? (format == "csv" ? format_double(*d) : format_duration(*d)) : "");
    if (any_running) {
      const bool running = t.state == TrialState::RUNNING;
      r.push_back(running ? worker_text(t) : "");
      const auto age = heartbeat_age_seconds(t);
      r.push_back(!running ? "" : !age ? "none" : format == "csv" ? format_double(*age) : format_duration(*age));
    }
    auto params = t.external_params();
    for (const auto& p : param_names) {
      auto it = params.find(p);
      r.push_back(it == params.end() ? "" : param_text(it->second, precise));
    }
    std::string note;
    if (is_baseline(t)) note = "baseline";
    if (auto it = t.system_attrs.find(kRetryOfAttr); it != t.system_attrs.end() && it->second.is_number_integer())
      note += (note.empty() ? "" : "; ") + std::string("retry of #") + std::to_string(it->second.get<int>());
    if (auto it = t.system_attrs.find("fail_reason"); it != t.system_attrs.end() && it->second.is_string()) {
      std::string reason = it->second.get<std::string>();
      if (auto nl = reason.find('\n'); nl != std::string::npos) reason = reason.substr(0, nl);
      note += (note.empty() ? "" : "; ") + reason;
    }
    r.push_back(note);
    rows.push_back(r);
  }
  if (format == "csv") {
    for (const auto& r : rows) {
      std::string line;
      for (size_t c = 0; c < r.size(); ++c) line += (c ? "," : "") + csv_field(r[c]);
      std::cout << line << "\n";
    }
    return kExitOk;
  }
  if (trials.empty()) {
    std::cout << "study '" << study << "' has no trials" << (state ? " in state " + *state : std::string()) << "\n";
    return kExitOk;
  }
  print_table(rows);
  return kExitOk;
}

namespace {

// `best --weights`: every COMPLETE feasible trial scored with the new weights (min-max over those
// trials unless the metric has declared bounds), best first. The metrics are the study's scoring
// metrics (user attrs of each trial) or, for a multi-objective study, its objective values.
int print_reweighted(const std::vector<FrozenTrial>& complete, const std::vector<StudyDirection>& directions,
                     const std::map<std::string, nlohmann::json>& attrs, const std::string& study,
                     const std::string& weights, const std::string& format, int top) {
  ScoringConfig base;
  bool from_values = false;
  if (auto it = attrs.find("scoring"); it != attrs.end()) {
    base = ScoringConfig::from_json(it->second);
  } else if (directions.size() > 1) {
    from_values = true;
    const auto names = value_names(attrs, directions.size());
    for (size_t k = 0; k < directions.size(); ++k) base.metrics.push_back({names[k], directions[k], {}, {}});
    base.weights.assign(directions.size(), 1.0 / static_cast<double>(directions.size()));
  } else {
    throw ConfigError("--weights: study '" + study +
                      "' has one objective and no `scoring` metrics to weight; --weights re-ranks a multi-objective "
                      "study or one tuned with `scoring:`");
  }
  const ScoringConfig scoring = reweighted(base, weights);
  std::vector<std::pair<const FrozenTrial*, std::vector<double>>> rows;
  int unrankable = 0;  // a metric missing or not finite (an objective value of inf)
  for (const auto& t : complete) {
    if (!is_feasible(t) || is_baseline(t)) continue;
    std::optional<std::vector<double>> raw = from_values ? std::optional(t.values) : scoring_metrics_of(scoring, t);
    if (raw && std::all_of(raw->begin(), raw->end(), [](double v) { return std::isfinite(v); })) rows.emplace_back(&t, *raw);
    else ++unrankable;
  }
  if (rows.empty())
    throw NotFoundError("study '" + study + "' has no feasible COMPLETE trial whose metrics are all finite numbers (" +
                        std::to_string(unrankable) + " left out); nothing to rank");
  std::vector<std::vector<double>> observed;
  for (const auto& r : rows) observed.push_back(r.second);
  const auto ranges = scoring_ranges(scoring, observed);
  std::vector<std::pair<double, size_t>> order;
  for (size_t i = 0; i < rows.size(); ++i) order.emplace_back(score_of(scoring, rows[i].second, ranges), i);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (top > 0 && order.size() > static_cast<size_t>(top)) order.resize(static_cast<size_t>(top));
  std::vector<std::string> names;
  for (const auto& m : scoring.metrics) names.push_back(m.name);
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [score, i] : order) {
      nlohmann::json j = trial_to_json(*rows[i].first);
      j["weighted_score"] = score;
      arr.push_back(j);
    }
    std::cout << nlohmann::json{{"weights", scoring.to_json()}, {"trials", arr}}.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "weights:";
  for (size_t k = 0; k < names.size(); ++k) std::cout << (k ? ", " : " ") << names[k] << " " << format_short(scoring.weights[k]);
  std::cout << " (normalized: declared bounds, else min-max over " << rows.size() << " feasible COMPLETE trials"
            << (unrankable ? "; " + std::to_string(unrankable) + " left out: a metric missing or not finite" : "") << ")\n";
  for (const auto& [score, i] : order) {
    const FrozenTrial& t = *rows[i].first;
    std::cout << "trial #" << t.number << ": weighted score " << format_short(score) << "  ("
              << named_values(names, rows[i].second, false) << ")\n  params: " << format_params(t) << "\n";
  }
  return kExitOk;
}

}  // namespace

int run_best(const std::string& url, const std::string& study, const std::string& format,
             const std::optional<std::string>& weights, int top) {
  check_format(format, {"text", "json"});
  if (weights && weights->empty()) throw ConfigError("--weights: empty; write NAME=W,... or W1,W2,...");
  auto storage = open_existing_storage(url);
  int64_t id = find_study(*storage, study);
  auto directions = storage->get_study_directions(id);
  auto attrs = storage->get_study_user_attrs(id);
  auto complete = storage->get_all_trials(id, std::vector<TrialState>{TrialState::COMPLETE});
  if (complete.empty())
    throw NotFoundError("study '" + study + "' has no COMPLETE trial yet; see `autoglm trials --study " + study +
                        " --storage " + url + "`");
  if (weights) return print_reweighted(complete, directions, attrs, study, *weights, format, top);
  const std::vector<FrozenTrial> best = best_feasible_trials(complete, directions);
  if (directions.size() == 1) {
    if (best.empty())
      throw NotFoundError("study '" + study + "' has " + std::to_string(complete.size()) +
                          " COMPLETE trial(s) but none is feasible (each violates a constraint); see `autoglm trials "
                          "--study " + study + "`");
  } else {
    if (best.empty())
      throw NotFoundError("study '" + study + "' has " + std::to_string(complete.size()) +
                          " COMPLETE trial(s) but none is feasible (each violates a constraint), so its Pareto front is "
                          "empty; see `autoglm trials --study " + study + "`");
  }
  if (format == "json") {
    if (directions.size() == 1) {
      std::cout << trial_to_json(best[0]).dump(2) << "\n";
    } else {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& t : best) arr.push_back(trial_to_json(t));
      std::cout << arr.dump(2) << "\n";
    }
    return kExitOk;
  }
  const auto names = value_names(attrs, directions.size());
  if (directions.size() > 1) {
    std::cout << "Pareto front of study '" << study << "': " << best.size() << " of " << complete.size()
              << " COMPLETE trials (";
    for (size_t k = 0; k < names.size(); ++k)
      std::cout << (k ? ", " : "") << (directions[k] == StudyDirection::MINIMIZE ? "min " : "max ") << names[k];
    std::cout << ")\n";
  }
  for (const auto& t : best) {
    std::cout << "trial #" << t.number << (is_baseline(t) ? " (baseline)" : "") << ": " << named_values(names, t.values, true);
    if (auto d = t.duration_seconds()) std::cout << " in " << format_duration(*d);
    std::cout << "\n  params: " << format_params(t) << "\n";
  }
  return kExitOk;
}

}  // namespace autoglm::cli
