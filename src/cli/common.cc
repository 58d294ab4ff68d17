#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "autoglm/error.h"
#include "autoglm/study.h"
#include "cli/cli.h"
#include "common/options.h"

namespace autoglm::cli {

std::string self_exe() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "autoglm";
  return p.string();
}

std::string self_dir() { return std::filesystem::path(self_exe()).parent_path().string(); }

namespace {

std::string describe_url(const std::string& url, const std::string& path) {
  return "storage '" + url + "'" + (url == path ? "" : " (file '" + path + "')");
}

}  // namespace

void check_storage_writable(const std::string& url) {
  auto path = sqlite_path_from_url(url);
  if (!path) return;  // in-memory, or a scheme open_storage will judge
  std::filesystem::path p(*path);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec))
    throw ConfigError(describe_url(url, *path) + " is a directory; give a database file such as " + (p / "autoglm.db").string());
  std::filesystem::path dir = p.parent_path();
  if (dir.empty()) dir = ".";
  if (!std::filesystem::is_directory(dir, ec))
    throw StorageError(describe_url(url, *path) + " is unreachable: directory '" + dir.string() +
                       "' does not exist; create it (mkdir -p " + dir.string() + ") or pass another --storage");
  if (!std::filesystem::exists(p, ec) && ::access(dir.c_str(), W_OK) != 0)
    throw StorageError(describe_url(url, *path) + " is unreachable: directory '" + dir.string() +
                       "' is not writable; pass another --storage");
}

std::shared_ptr<Storage> open_existing_storage(const std::string& url, bool follow_writes) {
  if (auto path = sqlite_path_from_url(url)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(*path, ec))
      throw StorageError(describe_url(url, *path) + " does not exist; run `autoglm tune CONFIG.yaml` first, or pass "
                         "--storage URL of an existing database");
  } else if (url.empty() || url == ":memory:") {
    throw ConfigError("storage '" + url + "' is in-memory and holds no studies between runs; pass --storage sqlite:///FILE.db");
  }
  // Read-only: the inspecting verbs never write, so they work on a chmod 444 file in a read-only
  // directory, and a file that is not an Open-AutoGLM database (an empty file) is refused untouched.
  StorageOpenOptions options;
  options.read_only = true;
  options.follow_writes = follow_writes;
  return open_storage(url, options);
}

std::string env_storage() {
  const char* env = std::getenv("AUTOGLM_STORAGE");
  return env ? std::string(env) : std::string();
}

int64_t find_study(Storage& storage, const std::string& name) {
  const std::string url = storage.url();  // without credentials
  try {
    return storage.get_study_id_from_name(name);
  } catch (const NotFoundError&) {
    std::string names;
    int n = 0;
    for (const auto& s : storage.get_all_studies()) {
      if (n++ < 10) names += (names.empty() ? "" : ", ") + s.study_name;
    }
    if (n > 10) names += ", ...";
    throw NotFoundError("no study named '" + name + "' in " + url +
                        (names.empty() ? std::string("; it has no studies yet") : "; it has: " + names) +
                        " (list them with `autoglm studies --storage " + url + "`)");
  }
}

std::string format_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  for (int p = 1; p <= 17; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string format_short(double v) {
  if (!std::isfinite(v)) return format_double(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string format_params_short(const FrozenTrial& t) {
  std::string out;
  for (const auto& [name, value] : t.external_params()) {
    if (!out.empty()) out += " ";
    std::string v = std::holds_alternative<double>(value) ? format_short(std::get<double>(value)) : to_string(value);
    out += name + "=" + v;
  }
  return out;
}

std::string format_duration(double s) {
  char buf[64];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) % 3600) / 60);
  }
  return buf;
}

bool is_baseline(const FrozenTrial& t) {
  auto it = t.user_attrs.find("baseline");
  return it != t.user_attrs.end() && it->second.is_boolean() && it->second.get<bool>();
}

std::string format_params(const FrozenTrial& t) {
  std::string out;
  for (const auto& [name, value] : t.external_params()) {
    if (!out.empty()) out += " ";
    std::string v;
    if (auto* d = std::get_if<double>(&value)) {
      // Ten significant digits hide the noise of step grids (0.15000000000000002); the JSON
      // outputs keep every digit.
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", *d);
      v = std::isfinite(*d) ? buf : format_double(*d);
    } else {
      v = to_string(value);
    }
    out += name + "=" + v;
  }
  return out;
}

// JSON has no NaN or infinity: write them as the strings "NaN", "Infinity", "-Infinity"
// (the spelling of the trial protocol) instead of nlohmann's silent null.
nlohmann::json number_to_json(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

std::string worker_text(const FrozenTrial& t) {
  auto host = t.system_attrs.find("worker.host");
  auto pid = t.system_attrs.find("worker.pid");
  std::string out = host != t.system_attrs.end() && host->second.is_string() ? host->second.get<std::string>() : "?";
  if (pid != t.system_attrs.end() && pid->second.is_number_integer()) out += ":" + std::to_string(pid->second.get<int64_t>());
  return out;
}

std::optional<double> heartbeat_age_seconds(const FrozenTrial& t) {
  if (!t.last_heartbeat) return std::nullopt;
  return std::max(0.0, std::chrono::duration<double>(Clock::now() - *t.last_heartbeat).count());
}

nlohmann::json trial_to_json(const FrozenTrial& t) {
  nlohmann::json j;
  j["number"] = t.number;
  j["state"] = to_string(t.state);
  nlohmann::json values = nlohmann::json::array();
  for (double v : t.values) values.push_back(number_to_json(v));
  j["values"] = values;
  j["value"] = t.values.size() == 1 ? number_to_json(t.values[0]) : nlohmann::json(nullptr);
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [name, value] : t.external_params()) params[name] = to_json(value);
  j["params"] = params;
  nlohmann::json dists = nlohmann::json::object();
  for (const auto& [name, d] : t.distributions) dists[name] = to_string(d);
  j["distributions"] = dists;
  nlohmann::json iv = nlohmann::json::object();
  for (const auto& [step, value] : t.intermediate_values) iv[std::to_string(step)] = number_to_json(value);
  j["intermediate_values"] = iv;
  nlohmann::json ua = nlohmann::json::object();
  for (const auto& [k, v] : t.user_attrs) ua[k] = v;
  j["user_attrs"] = ua;
  if (auto it = t.system_attrs.find("fail_reason"); it != t.system_attrs.end()) j["fail_reason"] = it->second;
  if (auto it = t.system_attrs.find("log_path"); it != t.system_attrs.end()) j["log_path"] = it->second;
  if (auto c = constraint_values(t)) {  // only trials of a study with constraints
    nlohmann::json cs = nlohmann::json::array();
    for (double v : *c) cs.push_back(number_to_json(v));
    j["constraints"] = cs;
    j["feasible"] = is_feasible(t);
  }
  if (auto it = t.system_attrs.find(kRetryOfAttr); it != t.system_attrs.end()) j["retry_of"] = it->second;
  if (t.state == TrialState::RUNNING) {
    j["worker"] = worker_text(t);
    j["last_heartbeat"] = t.last_heartbeat ? nlohmann::json(format_time(*t.last_heartbeat)) : nlohmann::json(nullptr);
    const auto age = heartbeat_age_seconds(t);
    j["heartbeat_age_seconds"] = age ? nlohmann::json(*age) : nlohmann::json(nullptr);
  }
  j["datetime_start"] = t.datetime_start ? nlohmann::json(format_time(*t.datetime_start)) : nlohmann::json(nullptr);
  j["datetime_complete"] =
      t.datetime_complete ? nlohmann::json(format_time(*t.datetime_complete)) : nlohmann::json(nullptr);
  auto d = t.duration_seconds();
  j["duration"] = d ? nlohmann::json(*d) : nlohmann::json(nullptr);
  return j;
}

void check_format(const std::string& format, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), format) == allowed.end())
    throw ConfigError("--format: unknown format '" + format + "'" + did_you_mean(format, allowed));
}

std::vector<std::string> value_names(const std::map<std::string, nlohmann::json>& attrs, size_t n) {
  auto it = attrs.find("objective_names");
  if (it != attrs.end() && it->second.is_array() && it->second.size() == n) {
    std::vector<std::string> names;
    for (const auto& v : it->second)
      if (v.is_string()) names.push_back(v.get<std::string>());
    if (names.size() == n) return names;
  }
  if (n == 1) return {"value"};
  std::vector<std::string> names;
  for (size_t k = 0; k < n; ++k) names.push_back("value" + std::to_string(k));
  return names;
}

std::string named_values(const std::vector<std::string>& names, const std::vector<double>& values, bool precise) {
  std::string s;
  for (size_t k = 0; k < values.size() && k < names.size(); ++k)
    s += (k ? ", " : "") + names[k] + " " + (precise ? format_double(values[k]) : format_short(values[k]));
  return s;
}

std::vector<FrozenTrial> best_feasible_trials(const std::vector<FrozenTrial>& complete,
                                              const std::vector<StudyDirection>& directions) {
  if (directions.size() != 1) return pareto_front_trials(complete, directions);
  const bool minimize = directions[0] == StudyDirection::MINIMIZE;
  const FrozenTrial* b = nullptr;
  for (const auto& t : complete)
    if (t.state == TrialState::COMPLETE && !t.values.empty() && is_feasible(t) &&
        (!b || (minimize ? t.values[0] < b->values[0] : t.values[0] > b->values[0])))
      b = &t;
  if (!b) return {};
  return {*b};
}

void print_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], r[c].size());
    }
  for (const auto& r : rows) {
    std::string line = indent;
    for (size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(width[c] - r[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << "\n";
  }
}

}  // namespace autoglm::cli
