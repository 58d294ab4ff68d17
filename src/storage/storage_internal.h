// Helpers shared by the storage back ends (private to src/storage/ and tests/storage/).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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

}  // namespace autoglm::storage_internal
