#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "autoglm/error.h"
#include "cli/cli.h"

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

std::shared_ptr<Storage> open_existing_storage(const std::string& url) {
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
  return open_storage(url, options);
}

int64_t find_study(Storage& storage, const std::string& name, const std::string& url) {
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
  j["datetime_start"] = t.datetime_start ? nlohmann::json(format_time(*t.datetime_start)) : nlohmann::json(nullptr);
  j["datetime_complete"] =
      t.datetime_complete ? nlohmann::json(format_time(*t.datetime_complete)) : nlohmann::json(nullptr);
  auto d = t.duration_seconds();
  j["duration"] = d ? nlohmann::json(*d) : nlohmann::json(nullptr);
  return j;
}

}  // namespace autoglm::cli
