// Storage defaults, the URL factory (open_storage) and shared storage helpers.

#include "autoglm/storage.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <limits>

#include "autoglm/error.h"
#include "common/text.h"
#include "storage/in_memory_storage.h"
#include "storage/postgresql_storage.h"
#include "storage/sqlite_storage.h"
#include "storage/storage_internal.h"

namespace autoglm {

int Storage::get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states) {
  return static_cast<int>(get_all_trials(study_id, states).size());
}

std::optional<int64_t> Storage::pop_waiting_trial(int64_t study_id) {
  // Correct for any implementation whose set_trial_state_values is atomic: the WAITING ->
  // RUNNING move succeeds for exactly one caller; losers try the next waiting trial.
  for (const FrozenTrial& t : get_all_trials(study_id, std::vector<TrialState>{TrialState::WAITING})) {
    try {
      if (set_trial_state_values(t.trial_id, TrialState::RUNNING)) return t.trial_id;
    } catch (const UpdateFinishedTrialError&) {
      // Another worker took it and already finished it; try the next one.
    }
  }
  return std::nullopt;
}

namespace {

constexpr const char* kSupportedForms =
    "use \"\" or \":memory:\" (in-memory), \"sqlite:///relative/path.db\", "
    "\"sqlite:////absolute/path.db\", a file path ending in .db or .sqlite3, or "
    "\"postgresql://user:password@host:port/database\"";


bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && ascii_lower(s.substr(s.size() - suffix.size())) == suffix;
}

// The scheme of "scheme://..." in lower case, or "" when `url` has none.
std::string scheme_of(const std::string& url) {
  auto pos = url.find("://");
  if (pos == std::string::npos || pos == 0) return "";
  for (size_t i = 0; i < pos; ++i) {
    unsigned char c = url[i];
    if (!(std::isalnum(c) || c == '+' || c == '-' || c == '.')) return "";
  }
  return ascii_lower(url.substr(0, pos));
}

}  // namespace

std::optional<std::string> sqlite_path_from_url(const std::string& url) {
  const std::string scheme = scheme_of(url);
  if (scheme == "sqlite") {
    // SQLAlchemy style: "sqlite:///rel.db" (three slashes, relative) and "sqlite:////abs.db".
    const std::string prefix = "sqlite:///";
    if (url.size() <= prefix.size() || url[prefix.size() - 1] != '/') return std::nullopt;
    return url.substr(prefix.size());
  }
  if (!scheme.empty() || url.empty() || url == ":memory:") return std::nullopt;
  if (ends_with(url, ".db") || ends_with(url, ".sqlite3")) return url;
  return std::nullopt;
}

std::shared_ptr<Storage> open_storage(const std::string& url) { return open_storage(url, StorageOpenOptions{}); }

std::shared_ptr<Storage> open_storage(const std::string& url, const StorageOpenOptions& options) {
  if (url.empty() || url == ":memory:") {
    if (options.read_only) {
      throw ConfigError("storage '" + url + "' is in-memory: a new one is always empty, so it cannot be opened "
                        "read-only; pass the URL of an existing database such as sqlite:///FILE.db");
    }
    return std::make_shared<InMemoryStorage>();
  }

  if (auto path = sqlite_path_from_url(url)) {
    // SQLAlchemy passes "?timeout=30" on to its driver; here it would become part of the file name.
    if (scheme_of(url) == "sqlite" && path->find_first_of("?#") != std::string::npos)
      throw ConfigError("storage URL '" + url + "': query options (?...) and fragments (#...) are not supported for SQLite " +
                        "(busy waits are retried by the engine); write sqlite:///" + path->substr(0, path->find_first_of("?#")));
    return std::make_shared<SQLiteStorage>(*path, options);
  }

  const std::string shown = storage_internal::redact_url(url);
  const std::string scheme = scheme_of(url);
  if (scheme == "sqlite") {
    std::string rest = shown.substr(std::string("sqlite://").size());
    throw ConfigError("storage URL '" + shown + "' has no file path; write sqlite:///" +
                      (rest.empty() ? std::string("path/to.db") : rest) +
                      " (three slashes; four for an absolute path)");
  }
  if (scheme == "postgresql" || scheme == "postgres") return std::make_shared<PostgreSQLStorage>(url, options);
  if (scheme.rfind("postgresql+", 0) == 0) {  // SQLAlchemy's driver suffix
    throw ConfigError("storage URL '" + shown + "': drop the driver suffix '" + scheme.substr(10) +
                      "' (write postgresql://...); " + kSupportedForms);
  }
  if (!scheme.empty()) {
    throw ConfigError("storage URL '" + shown + "': unsupported scheme '" + scheme + "'; " + kSupportedForms);
  }
  throw ConfigError("storage URL '" + shown + "' is not recognised; " + kSupportedForms);
}

int retry_count_of(const FrozenTrial& trial) {
  auto it = trial.system_attrs.find(kRetryCountAttr);
  return it != trial.system_attrs.end() && it->second.is_number_integer() ? it->second.get<int>() : 0;
}

FrozenTrial retry_template(const FrozenTrial& failed) {
  FrozenTrial t;
  t.state = TrialState::WAITING;
  // Its fixed parameters (when it was itself enqueued or a retry that failed before suggesting
  // them), then the parameters it sampled.
  nlohmann::json fixed = nlohmann::json::object();
  if (auto it = failed.system_attrs.find("fixed_params"); it != failed.system_attrs.end() && it->second.is_object())
    fixed = it->second;
  for (const auto& [name, value] : failed.external_params()) fixed[name] = to_json(value);
  t.system_attrs["fixed_params"] = std::move(fixed);
  t.system_attrs[kRetryOfAttr] = failed.number;
  t.system_attrs[kRetryCountAttr] = retry_count_of(failed) + 1;
  t.user_attrs = failed.user_attrs;
  return t;
}

namespace storage_internal {

std::string redact_url(const std::string& url) {
  std::string out = url;
  // Userinfo: users do not always percent-encode their passwords, so the password may hold '/',
  // '@', '?' or '#'. It runs from the first ':' of the authority to the LAST '@' of the URL;
  // an '@' later in a path or query makes this hide too much (host, database), never too little.
  const auto scheme_end = out.find("://");
  const size_t auth_start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto at = out.rfind('@');
  if (at != std::string::npos && at > auth_start && out[auth_start] != '/') {
    const auto colon = out.find(':', auth_start);
    if (colon != std::string::npos && colon < at) out = out.substr(0, colon + 1) + "***" + out.substr(at);
  }
  // libpq-style "password=..." in a query string or a keyword list ("host=h password=x").
  const std::string key = "password=";
  for (size_t pos = 0; (pos = ascii_lower(out).find(key, pos)) != std::string::npos;) {
    const size_t value = pos + key.size();
    if (pos > 0 && std::string("?&; ").find(out[pos - 1]) == std::string::npos) {
      pos = value;
      continue;
    }
    const size_t end = std::min(out.find_first_of("& ;", value), out.size());
    out = out.substr(0, value) + "***" + out.substr(end);
    pos = value + 3;
  }
  return out;
}

std::string incompatible_param_message(const std::string& param_name, const std::string& study_name,
                                       const Distribution& before, const Distribution& now) {
  return "parameter '" + param_name + "' of study '" + study_name + "' was " + to_string(before) +
         " in earlier trials and cannot become " + to_string(now) +
         "; keep its kind (and choices) or use a new parameter name or a new study";
}

const char* state_name(TrialState s) {
  switch (s) {
    case TrialState::WAITING: return "WAITING";
    case TrialState::RUNNING: return "RUNNING";
    case TrialState::COMPLETE: return "COMPLETE";
    case TrialState::PRUNED: return "PRUNED";
    case TrialState::FAIL: return "FAIL";
  }
  return "FAIL";
}

std::optional<TrialState> state_from_name(const std::string& s) {
  for (TrialState t : {TrialState::WAITING, TrialState::RUNNING, TrialState::COMPLETE, TrialState::PRUNED,
                       TrialState::FAIL}) {
    if (s == state_name(t)) return t;
  }
  return std::nullopt;
}

const char* direction_name(StudyDirection d) { return d == StudyDirection::MAXIMIZE ? "MAXIMIZE" : "MINIMIZE"; }

int value_type_of(double v) {
  if (std::isnan(v)) return kNaN;
  if (std::isinf(v)) return v > 0 ? kPosInf : kNegInf;
  return kFinite;
}

double decode_value(bool is_null, double stored, int type) {
  switch (type) {
    case kPosInf: return std::numeric_limits<double>::infinity();
    case kNegInf: return -std::numeric_limits<double>::infinity();
    case kNaN: return std::numeric_limits<double>::quiet_NaN();
    default: return is_null ? std::numeric_limits<double>::quiet_NaN() : stored;
  }
}

std::string dump_json(const nlohmann::json& v, const std::string& what) {
  try {
    return v.dump();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(what + " cannot be stored as JSON (" + e.what() + "); pass valid UTF-8 strings");
  }
}

PreparedTrial prepare_trial(const std::optional<FrozenTrial>& template_trial) {
  PreparedTrial p;
  FrozenTrial& t = p.t;
  if (template_trial) {
    t = *template_trial;
    for (const auto& [name, value] : t.params) {
      auto d = t.distributions.find(name);
      if (d == t.distributions.end()) {
        throw ConfigError("template trial has parameter '" + name +
                          "' without a distribution; give every parameter its distribution");
      }
      p.distribution_json[name] = to_json(d->second).dump();
    }
    for (const auto& [name, d] : t.distributions) {
      if (!t.params.count(name)) {
        throw ConfigError("template trial has a distribution for '" + name +
                          "' but no value; give every distribution a parameter value");
      }
    }
    for (const auto& [k, v] : t.user_attrs) p.user_json[k] = dump_json(v, "trial user attribute '" + k + "'");
    for (const auto& [k, v] : t.system_attrs) p.system_json[k] = dump_json(v, "trial system attribute '" + k + "'");
    if (t.state == TrialState::RUNNING && !t.datetime_start) t.datetime_start = now_us();
  } else {
    t.state = TrialState::RUNNING;
    t.datetime_start = now_us();
  }
  return p;
}

}  // namespace storage_internal
}  // namespace autoglm
