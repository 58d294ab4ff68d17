// StudyView: the read-only view of a study that samplers and pruners receive.
//
// Algorithms are pure functions of trial history: they read `FrozenTrial` snapshots through this
// interface and never touch storage handles. `Study` implements it over a storage; tests
// implement it over a plain vector (`HistoryView`).
#pragma once

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

 private:
  std::string name_;
  std::vector<StudyDirection> directions_;
  std::vector<FrozenTrial> trials_;
};

}  // namespace autoglm
