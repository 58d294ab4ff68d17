// Api: the dashboard's JSON API (docs/dashboard.md, "JSON API (v1)") without sockets. The HTTP
// server (server.cc) and the report (report.cc) both answer through it, and the tests call it
// directly.
//
// Reads go through the Storage interface only, via one StudyCache per study (created on first
// use). Rendered answers are cached per study version and request, so polling pages of a
// 10,000-trial study are answered from memory.
//
// Thread-safety: every method may be called concurrently (cpp-httplib's worker threads); the
// study-cache map is guarded by `mu_`, each StudyCache guards itself; at most kMaxComputing
// answers are computed at once (memory), cached ones are served without waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>
#include <map>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>

#include "autoglm/storage.h"
#include "dashboard/study_cache.h"

namespace autoglm::dashboard {

/// One answer: HTTP status and a JSON body (`{"error": "<one line>"}` when status >= 400).
struct Response {
  int status = 200;
  std::string body;
};

class Api {
 public:
  /// `refresh_interval`: seconds between two storage reads of one study (StudyCache).
  Api(std::shared_ptr<Storage> storage, double refresh_interval);

  /// GET `path` (e.g. "/api/studies/1/history", decoded, without the query string) with the
  /// decoded query parameters. Never throws: 400 for a bad or unknown query parameter, 404 for an
  /// unknown route / study / trial, 500 for storage trouble.
  Response get(const std::string& path, const std::map<std::string, std::string>& query);

  /// PUT /api/studies/{id}/note with JSON body {"note": "text"}: sets the study user attr "note".
  /// Answers {"ok": true}. The caller checks that writes are allowed. Never throws.
  Response put_note(const std::string& path, const std::string& body);
  /// DELETE /api/studies/{id}: deletes the study. Answers {"ok": true}. Never throws.
  Response delete_study(const std::string& path);

  /// Study summaries restricted to one study (the report bakes only its own study).
  Response get_studies_only(int64_t study_id);

  /// JSON text as every answer writes it: invalid UTF-8 replaced, non-finite numbers as null.
  static std::string dump(const nlohmann::json& j);
  /// {"error": message} as a Response.
  static Response error(int status, const std::string& message);

 private:
  std::shared_ptr<Storage> storage_;
  double refresh_interval_;
  std::mutex mu_;
  std::map<int64_t, std::shared_ptr<StudyCache>> caches_;  // GUARDED_BY(mu_)
  // Study ids (Storage::get_all_studies, which also counts every study's trials: slow on big
  // databases), re-read at most every refresh interval.
  std::mutex ids_mu_;  // one reader of the list at a time
  std::vector<int64_t> ids_;                                               // GUARDED_BY(mu_)
  std::optional<std::chrono::steady_clock::time_point> ids_read_at_;      // GUARDED_BY(mu_)

  // Answers being built (not served from the cache) at once; the others wait.
  static constexpr std::ptrdiff_t kMaxComputing = 2;
  std::counting_semaphore<kMaxComputing> computing_{kMaxComputing};

  std::vector<int64_t> study_ids();

  std::shared_ptr<StudyCache> cache_for(int64_t study_id);
  void forget(int64_t study_id);
  Response dispatch(const std::string& path, const std::map<std::string, std::string>& query,
                    std::optional<int64_t> only_study);
};

}  // namespace autoglm::dashboard
