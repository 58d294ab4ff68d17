// StudyView: the read-only view of a study that samplers and pruners receive.
//
// Algorithms are pure functions of trial history: they read `FrozenTrial` snapshots through this
// interface and never touch storage handles. `Study` implements it over a storage; tests
// implement it over a plain vector (`HistoryView`).
//
// Snapshots: `get_trials` returns a fresh copy on every call, which costs O(n) FrozenTrial copies
// (maps of params, distributions and attributes). Algorithms that read the history on every
// trial should use `finished_trials_snapshot`, a shared immutable list of the finished trials
// that `Study` maintains incrementally (one pointer copy per call instead of n trial copies).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "autoglm/frozen_trial.h"

namespace autoglm {

class StudyView {
 public:
  virtual ~StudyView() = default;
  virtual std::string study_name() const = 0;
  virtual std::vector<StudyDirection> directions() const = 0;
  /// Snapshot of the study's trials ordered by number, filtered by state when given.
  virtual std::vector<FrozenTrial> get_trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const = 0;
  /// Single-objective direction (asserts one direction).
  StudyDirection direction() const { return directions().at(0); }

  /// The finished trials (COMPLETE, PRUNED and FAIL; they never change again) ordered by number,
  /// as one shared immutable list. Callers filter by state themselves. Hold the pointer only for
  /// the duration of one sampler or pruner call: `Study` appends to its list in place while no one
  /// else holds it, and copies it (O(n)) when someone does. Thread-safe.
  /// Default: a copy made from get_trials (so every view works); `Study` keeps the list up to
  /// date as trials finish (O(1) per call, plus one count query on the storage to notice trials
  /// finished by other writers), and `HistoryView` builds it once.
  virtual std::shared_ptr<const std::vector<FrozenTrial>> finished_trials_snapshot() const {
    return std::make_shared<const std::vector<FrozenTrial>>(get_trials(finished_states()));
  }

  /// {COMPLETE, PRUNED, FAIL}: the states of finished_trials_snapshot.
  static std::vector<TrialState> finished_states() {
    return {TrialState::COMPLETE, TrialState::PRUNED, TrialState::FAIL};
  }
};

/// A StudyView over a fixed list of trials (tests, replays, parity checks).
class HistoryView final : public StudyView {
 public:
  HistoryView(std::string name, std::vector<StudyDirection> directions, std::vector<FrozenTrial> trials)
      : name_(std::move(name)), directions_(std::move(directions)), trials_(std::move(trials)) {}
  std::string study_name() const override { return name_; }
  std::vector<StudyDirection> directions() const override { return directions_; }
  std::vector<FrozenTrial> get_trials(const std::optional<std::vector<TrialState>>& states = std::nullopt) const override {
    if (!states) return trials_;
    std::vector<FrozenTrial> out;
    for (const auto& t : trials_)
      for (auto s : *states)
        if (t.state == s) { out.push_back(t); break; }
    return out;
  }
  /// Built once, at the first call (in the order of get_trials), and shared by copies of the view.
  std::shared_ptr<const std::vector<FrozenTrial>> finished_trials_snapshot() const override {
    std::call_once(finished_->once, [this] {
      std::vector<FrozenTrial> finished;
      for (const auto& t : trials_)
        if (is_finished(t.state)) finished.push_back(t);
      finished_->trials = std::make_shared<const std::vector<FrozenTrial>>(std::move(finished));
    });
    return finished_->trials;
  }

 private:
  struct Finished {
    std::once_flag once;
    std::shared_ptr<const std::vector<FrozenTrial>> trials;  // written once, under `once`
  };
  std::string name_;
  std::vector<StudyDirection> directions_;
  std::vector<FrozenTrial> trials_;
  std::shared_ptr<Finished> finished_ = std::make_shared<Finished>();
};

}  // namespace autoglm
