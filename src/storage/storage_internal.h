// Helpers shared by the storage back ends (private to src/storage/ and tests/storage/).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace autoglm::storage_internal {

/// Both back ends keep times at microsecond precision (SQLite stores integer microseconds since
/// the Unix epoch), so a trial reads back the same from either.
inline Clock::time_point truncate_to_us(Clock::time_point t) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch())));
}
inline Clock::time_point now_us() { return truncate_to_us(Clock::now()); }
inline int64_t to_unix_us(Clock::time_point t) {
  return std::chrono::floor<std::chrono::microseconds>(t.time_since_epoch()).count();
}
inline Clock::time_point from_unix_us(int64_t us) {
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::microseconds(us)));
}

/// `url` with any password replaced by "***" ("postgresql://u:secret@h/db" -> "postgresql://u:***@h/db").
/// The password is everything between the first ':' of the userinfo and the last '@' (so an
/// unencoded "u:se/cr@t@h/db" is hidden whole), and every "password=" value of a query string or
/// libpq keyword list.
std::string redact_url(const std::string& url);

// The retry protocol's helpers are public (include/autoglm/storage.h); the back ends use them here.
using autoglm::retry_count_of;
using autoglm::retry_template;

/// ConfigError message for a parameter whose distribution is incompatible with the one the
/// study already uses for it.
std::string incompatible_param_message(const std::string& param_name, const std::string& study_name,
                                       const Distribution& before, const Distribution& now);

// ---- what the SQL back ends (SQLite, PostgreSQL) write ----

/// Stable on-disk names of the trial states ("WAITING", ..., the `state` column). Kept apart
/// from to_string(TrialState), a display name, so that no change of the display reaches files.
const char* state_name(TrialState s);
/// The state with on-disk name `s`; nullopt for an unknown name.
std::optional<TrialState> state_from_name(const std::string& s);
/// Stable on-disk name of a direction ("MINIMIZE" / "MAXIMIZE", the `direction` column).
const char* direction_name(StudyDirection d);

/// The `value_type` column kept beside a stored float (SQLite stores NaN as NULL): its kind.
enum ValueType : int { kFinite = 0, kPosInf = 1, kNegInf = 2, kNaN = 3 };
/// The ValueType of `v`.
int value_type_of(double v);
/// The float a (value, value_type) pair stands for; `stored` counts only for kFinite (or an
/// unknown type) and a non-NULL value, NaN otherwise.
double decode_value(bool is_null, double stored, int type);

/// `v` as JSON text; ConfigError naming `what` when it cannot be (invalid UTF-8).
std::string dump_json(const nlohmann::json& v, const std::string& what);

/// A create_new_trial template validated and serialized before any transaction starts.
struct PreparedTrial {
  FrozenTrial t;
  std::map<std::string, std::string> distribution_json, user_json, system_json;  // by name / key
};
/// Checks that every parameter of the template has a distribution and every distribution a
/// value (ConfigError otherwise), serializes distributions and attributes, and fills in the
/// defaults (no template: a RUNNING trial started now; a RUNNING template without a start: now).
PreparedTrial prepare_trial(const std::optional<FrozenTrial>& template_trial);

}  // namespace autoglm::storage_internal
