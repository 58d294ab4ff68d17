// StudyCache: the dashboard's in-memory copy of one study's trials, kept up to date
// incrementally through the Storage interface.
//
// Finished trials (COMPLETE, PRUNED, FAIL) never change again, so they are read once, by finish
// sequence (Storage::get_finished_trials_after, a page of 1000 at a time), and kept. The
// unfinished ones (RUNNING, WAITING) and the study attrs are re-read on every refresh. A refresh
// happens at most every `refresh_interval` seconds; requests in between share the last snapshot.
//
// Snapshots are immutable and shared (std::shared_ptr<const StudySnapshot>): a request holds one
// for its whole computation while a refresh builds the next. The finished trials are held by
// shared_ptr, so building the next snapshot copies pointers, not trials.
//
// Also caches rendered API answers per (version key, request key), within a byte budget:
// StudyCache::cached_answer.
//
// Thread-safety: every method may be called from several threads; the state is guarded by
// `mu_` (the snapshot and the cursor) and `answers_mu_` (the answer cache). Storage reads happen
// under `refresh_mu_` only, so one refresh runs at a time and readers of the current snapshot
// never wait for the storage.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace autoglm::dashboard {

/// A trial as the cache holds it: the snapshot plus derived text built on first use.
class CachedTrial : public FrozenTrial {
 public:
  explicit CachedTrial(FrozenTrial t) : FrozenTrial(std::move(t)) {}
  /// Lower-case text the /trials `q` filter searches: the number, the state, "name=value" of
  /// each parameter (external value; floats with 6 significant digits and in full) and
  /// "key=value" of each user attr, separated by '\x01'. Built once (thread-safe).
  const std::string& search_text() const;

 private:
  mutable std::once_flag once_;
  mutable std::string search_;
};

using TrialPtr = std::shared_ptr<const CachedTrial>;

/// One immutable view of a study at a point in time.
struct StudySnapshot {
  int64_t study_id = -1;
  std::string name;
  std::vector<StudyDirection> directions;
  std::map<std::string, nlohmann::json> user_attrs;
  std::map<std::string, nlohmann::json> system_attrs;
  /// Every trial of the study, ordered by number (finished and unfinished merged).
  std::vector<TrialPtr> trials;
  /// Trials per state (every state present, 0 when none).
  std::map<TrialState, int> n_by_state;
  /// Largest finish sequence read so far (0 before any trial finished).
  int64_t finish_sequence = 0;
  int n_finished = 0;
  /// Opaque; changes whenever a trial or the study attrs change.
  std::string version;
  /// Changes only when a trial finishes (answers computed from finished trials only are keyed
  /// by it, so a running trial's heartbeat does not recompute, say, the importance).
  std::string finished_version;
  /// Latest of the trials' start, completion and heartbeat times; nullopt without trials.
  std::optional<Clock::time_point> last_update;
  /// Earliest start time of a trial.
  std::optional<Clock::time_point> datetime_start;

  /// The trial with this number, or nullptr (binary search).
  const FrozenTrial* find(int number) const;
};

class StudyCache {
 public:
  /// `refresh_interval`: seconds (>= 0) between two storage reads; 0 reads on every call.
  StudyCache(std::shared_ptr<Storage> storage, int64_t study_id, double refresh_interval);

  /// The current snapshot, refreshed first when older than the refresh interval (or when
  /// `force`). Throws NotFoundError when the study does not exist (any more), StorageError on
  /// storage trouble.
  std::shared_ptr<const StudySnapshot> snapshot(bool force = false);

  /// The rendered answer (a response body) cached under `key` for `version`, or computes it
  /// with `make` (outside any lock) and keeps it. The kept answers of a study total at most
  /// kMaxAnswerBytes (64 MiB; the cache is cleared when the next one would exceed it, and a larger
  /// answer is not kept), so clients varying a query cannot grow the server's memory.
  std::shared_ptr<const std::string> cached_answer(const std::string& version, const std::string& key,
                                                   const std::function<std::string()>& make);

 private:
  static constexpr std::size_t kMaxAnswerBytes = std::size_t{64} << 20;
  std::shared_ptr<Storage> storage_;
  const int64_t study_id_;
  const std::chrono::duration<double> refresh_interval_;

  std::mutex refresh_mu_;  // one storage refresh at a time
  std::mutex mu_;          // guards the fields below
  std::shared_ptr<const StudySnapshot> current_;           // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point refreshed_at_{};   // GUARDED_BY(mu_)
  // Finished trials read so far, ordered by number; only refresh() (under refresh_mu_) changes it.
  std::vector<TrialPtr> finished_;
  int64_t cursor_ = 0;

  std::mutex answers_mu_;
  // key -> (version, body); answer_bytes_ is the total size of the bodies.
  std::map<std::string, std::pair<std::string, std::shared_ptr<const std::string>>> answers_;  // GUARDED_BY(answers_mu_)
  std::size_t answer_bytes_ = 0;                                                              // GUARDED_BY(answers_mu_)

  std::shared_ptr<const StudySnapshot> refresh();
};

}  // namespace autoglm::dashboard
