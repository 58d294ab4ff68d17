// Read-only verbs: `autoglm studies`, `autoglm trials`, `autoglm best`.
#include <algorithm>
#include <iostream>
#include <set>
#include <sstream>

#include "autoglm/error.h"
#include "autoglm/storage.h"
#include "cli/cli.h"
#include "common/options.h"

namespace autoglm::cli {

namespace {

void check_format(const std::string& format, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), format) == allowed.end())
    throw ConfigError("--format: unknown format '" + format + "'" + did_you_mean(format, allowed));
}

// Values of a trial; `precise`: every digit (csv), else six significant digits (tables).
std::string value_text(const FrozenTrial& t, bool precise = true) {
  std::string s;
  for (size_t i = 0; i < t.values.size(); ++i)
    s += (i ? "," : "") + (precise ? format_double(t.values[i]) : format_short(t.values[i]));
  return s;
}

// Prints rows as an aligned table (first row is the header).
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], r[c].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
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
  int64_t id = find_study(*storage, study, url);
  auto trials = storage->get_all_trials(id, states);
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : trials) arr.push_back(trial_to_json(t));
    std::cout << arr.dump(2) << "\n";
    return kExitOk;
  }
  std::set<std::string> param_names;
  for (const auto& t : trials)
    for (const auto& [k, v] : t.params) param_names.insert(k);
  std::vector<std::string> header{"number", "state", "value", "duration"};
  for (const auto& p : param_names) header.push_back(p);
  header.push_back("note");
  std::vector<std::vector<std::string>> rows{header};
  for (const auto& t : trials) {
    auto d = t.duration_seconds();
    const bool precise = format == "csv";
    std::vector<std::string> r{std::to_string(t.number), to_string(t.state), value_text(t, precise),
                               d ? (format == "csv" ? format_double(*d) : format_duration(*d)) : ""};
    auto params = t.external_params();
    for (const auto& p : param_names) {
      auto it = params.find(p);
      r.push_back(it == params.end() ? "" : param_text(it->second, precise));
    }
    std::string note;
    if (is_baseline(t)) note = "baseline";
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

int run_best(const std::string& url, const std::string& study, const std::string& format) {
  check_format(format, {"text", "json"});
  auto storage = open_existing_storage(url);
  int64_t id = find_study(*storage, study, url);
  auto directions = storage->get_study_directions(id);
  auto complete = storage->get_all_trials(id, std::vector<TrialState>{TrialState::COMPLETE});
  if (complete.empty())
    throw NotFoundError("study '" + study + "' has no COMPLETE trial yet; see `autoglm trials --study " + study +
                        " --storage " + url + "`");
  std::vector<FrozenTrial> best;
  if (directions.size() == 1) {
    const bool minimize = directions[0] == StudyDirection::MINIMIZE;
    const FrozenTrial* b = &complete[0];
    for (const auto& t : complete)
      if (minimize ? t.values[0] < b->values[0] : t.values[0] > b->values[0]) b = &t;
    best.push_back(*b);
  } else {
    // Pareto front: trials no other trial dominates.
    auto better_eq = [&](double a, double b, StudyDirection d) { return d == StudyDirection::MINIMIZE ? a <= b : a >= b; };
    for (const auto& a : complete) {
      bool dominated = false;
      for (const auto& b : complete) {
        bool all = true, strict = false;
        for (size_t i = 0; i < directions.size(); ++i) {
          all = all && better_eq(b.values[i], a.values[i], directions[i]);
          strict = strict || b.values[i] != a.values[i];
        }
        if (all && strict) { dominated = true; break; }
      }
      if (!dominated) best.push_back(a);
    }
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
  for (const auto& t : best) {
    std::cout << "trial #" << t.number << (is_baseline(t) ? " (baseline)" : "") << ": value " << value_text(t);
    if (auto d = t.duration_seconds()) std::cout << " in " << format_duration(*d);
    std::cout << "\n  params: " << format_params(t) << "\n";
  }
  return kExitOk;
}

}  // namespace autoglm::cli
