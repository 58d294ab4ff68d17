// InMemoryStorage: a process-local Storage kept in maps; used for ":memory:" / "" URLs, tests and
// quick single-process studies. Everything is lost when the object is destroyed.
//
// Thread-safety: every method takes `mu_`; all state below is GUARDED_BY(mu_). Reads return
// copies (FrozenTrial snapshots), never references into the maps.
// Ids: study and trial ids start at 0 and are never reused, even after delete_study.
// Times are kept at microsecond precision, as SQLiteStorage keeps them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoglm/storage.h"

namespace autoglm {

class InMemoryStorage final : public Storage {
 public:
  InMemoryStorage() = default;

  int64_t create_new_study(const std::string& study_name, const std::vector<StudyDirection>& directions) override;
  void delete_study(int64_t study_id) override;
  int64_t get_study_id_from_name(const std::string& study_name) override;
  std::string get_study_name_from_id(int64_t study_id) override;
  std::vector<StudyDirection> get_study_directions(int64_t study_id) override;
  void set_study_user_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) override;
  void set_study_system_attr(int64_t study_id, const std::string& key, const nlohmann::json& value) override;
  std::map<std::string, nlohmann::json> get_study_user_attrs(int64_t study_id) override;
  std::map<std::string, nlohmann::json> get_study_system_attrs(int64_t study_id) override;
  std::vector<StudySummary> get_all_studies() override;

  int64_t create_new_trial(int64_t study_id, const std::optional<FrozenTrial>& template_trial = std::nullopt) override;
  void set_trial_param(int64_t trial_id, const std::string& name, double internal_value,
                       const Distribution& distribution) override;
  bool set_trial_state_values(int64_t trial_id, TrialState state, const std::vector<double>& values = {}) override;
  void set_trial_intermediate_value(int64_t trial_id, int64_t step, double value) override;
  void set_trial_user_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) override;
  void set_trial_system_attr(int64_t trial_id, const std::string& key, const nlohmann::json& value) override;

  FrozenTrial get_trial(int64_t trial_id) override;
  int64_t get_trial_id_from_study_id_trial_number(int64_t study_id, int trial_number) override;
  std::vector<FrozenTrial> get_all_trials(int64_t study_id,
                                          const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  int get_n_trials(int64_t study_id, const std::optional<std::vector<TrialState>>& states = std::nullopt) override;
  std::optional<int64_t> pop_waiting_trial(int64_t study_id) override;

  bool record_heartbeat(int64_t trial_id) override;
  std::vector<int64_t> get_stale_trial_ids(int64_t study_id, double grace_seconds) override;
  std::optional<FailedTrial> fail_running_trial(int64_t trial_id, const std::string& reason, int max_retries,
                                                std::optional<double> stale_grace_seconds = std::nullopt) override;
  std::vector<FrozenTrial> get_finished_trials_after(int64_t study_id, int64_t after_sequence, int limit,
                                                     int64_t* last_sequence) override;

  std::string url() const override { return ":memory:"; }

 private:
  struct StudyRecord {
    std::string name;
    std::vector<StudyDirection> directions;
    std::map<std::string, nlohmann::json> user_attrs;
    std::map<std::string, nlohmann::json> system_attrs;
    std::vector<int64_t> trial_ids;                   ///< Index = trial number.
    std::map<std::string, Distribution> param_distributions;  ///< First distribution seen per name.
    /// Trials per state (index: TrialState), so that get_n_trials and pop_waiting_trial (called
    /// on every ask and every snapshot check) do not walk all trials.
    std::array<int, 5> n_by_state{};
    /// Finish sequence -> trial id (get_finished_trials_after); sequences start at 1.
    std::map<int64_t, int64_t> finished_by_sequence;
  };
  struct TrialRecord {
    int64_t study_id;
    FrozenTrial trial;
  };

  // All require mu_ held. Throw NotFoundError / UpdateFinishedTrialError naming the study/trial.
  StudyRecord& study_locked(int64_t study_id);
  TrialRecord& trial_locked(int64_t trial_id);
  TrialRecord& updatable_trial_locked(int64_t trial_id);
  // Throws ConfigError when `distribution` is incompatible with the study's earlier use of `name`.
  void check_param_locked(const StudyRecord& study, const std::string& name, const Distribution& distribution) const;
  std::string study_list_locked() const;
  // Moves a trial to `state`, keeping counts, times and the finish sequence.
  void set_state_locked(TrialRecord& r, TrialState state);
  int64_t create_trial_locked(int64_t study_id, const std::optional<FrozenTrial>& template_trial);

  mutable std::mutex mu_;
  int64_t next_study_id_ = 0;                                // GUARDED_BY(mu_)
  int64_t next_trial_id_ = 0;                                // GUARDED_BY(mu_)
  std::map<int64_t, StudyRecord> studies_;                   // GUARDED_BY(mu_)
  std::unordered_map<std::string, int64_t> study_name_to_id_;  // GUARDED_BY(mu_)
  std::unordered_map<int64_t, TrialRecord> trials_;          // GUARDED_BY(mu_)
};

}  // namespace autoglm
