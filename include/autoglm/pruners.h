// Built-in pruners: NopPruner, PercentilePruner, MedianPruner, SuccessiveHalvingPruner (ASHA),
// HyperbandPruner, ThresholdPruner and PatientPruner, with Optuna 3.1's decision rules (optuna/pruners/*.py), for minimize and
// maximize, NaN intermediate values, and PRUNED / FAIL trials in the history.
//
// Every pruner here is a pure function of its options and of the history it is shown (the
// `FrozenTrial` snapshots of the study, with their intermediate values): it keeps no state
// between calls and writes nothing, so it is thread-safe and gives the same answer in every
// worker process that sees the same history. Steps are the `step` arguments of report(), in
// whatever unit the objective counts (epochs, batches, ...); they are assumed to start at 0 and to
// be reported in increasing order, and prune() to be called after every report (the engine does).
//
// Successive halving without side effects. Optuna's SuccessiveHalvingPruner records
// "completed_rung_<k>" system attributes as it goes and compares a trial with the values other
// trials recorded. Here the rung value of a trial is derived from its intermediate values instead:
//   rung k of trial t = t's intermediate value at its first reported step >= the rung's promotion
//                       step  min_resource * reduction_factor^(min_early_stopping_rate + k),
//                       skipping NaN values (Optuna records nothing for a NaN and retries at the
//                       next report).
// This is exactly what Optuna records whenever each report crosses at most one rung boundary
// (e.g. every step is reported, or the promotion steps are among the reported steps), whatever
// the interleaving of asynchronous workers; trials that go on after a pruning decision included.
// Known, documented differences from Optuna (all are artefacts of its bookkeeping):
//  - asked again at the same step after answering "prune", Optuna answers from the next rung
//    (its first answer recorded the rung), usually "keep", which contradicts its own
//    should_prune() documentation; we give the same answer again;
//  - a report that jumps over several promotion steps at once and gets the trial pruned at a
//    lower one: Optuna forgets the higher rungs, we keep the value in every rung it reached;
//  - with min_resource / max_resource "auto", Optuna records nothing until the first trial has
//    completed. We reproduce that for trials that finished by then (they take no part in rung
//    competitions) and take the first-completed trial (smallest datetime_complete, then number)
//    for the estimate (Optuna takes every trial completed by its next prune() call, and fixes
//    the estimate per process); a trial that was already running at that moment has its rungs
//    taken at the promotion steps, where Optuna takes its first report after that moment.
// Chosen over reading / writing "completed_rung_<k>" system attributes because Pruner::prune()
// gets a const snapshot (no write path), and because a pure rule gives every worker process the
// same answer. Optuna-written "completed_rung_<k>" attributes are not read.
//
// Hyperband (Li et al. 2018) runs one successive-halving bracket per early-stopping rate
// s = 0 .. n_brackets-1; a trial's bracket comes from crc32("<study_name>_<trial_number>") as in
// Optuna, and the bracket's pruner only sees trials of the same bracket. Optuna also filters the
// history that samplers see by bracket; that sampler side is not reproduced here.
//
// Options are validated when a pruner is constructed: invalid values throw ConfigError naming the
// option and the fix. The make_*_pruner factories read the same options from a JSON object (a
// config mapping), ignore the "name" key, accept "auto" for min_resource / max_resource, and refuse
// unknown keys with a did-you-mean suggestion.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/frozen_trial.h"
#include "autoglm/pruner.h"
#include "autoglm/study_view.h"

namespace autoglm {

/// Never prunes (Optuna's NopPruner).
class NopPruner final : public Pruner {
 public:
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "nop"; }
};

/// Options of PercentilePruner (Optuna's PercentilePruner arguments and defaults).
struct PercentilePrunerOptions {
  /// Percentile in [0, 100] of the trials kept at each step: 25 prunes a trial whose best value
  /// so far is worse than the best quarter of completed trials at that step (an aggressive
  /// setting); 50 is the median rule. Optuna has no default; configs must give it.
  double percentile = 50.0;
  /// No pruning until this many trials are COMPLETE. Default 5; lower prunes sooner on a noisier
  /// reference.
  int n_startup_trials = 5;
  /// No pruning of a trial before step `n_warmup_steps` (steps). Default 0; raise it when early
  /// values say little about the final one.
  int64_t n_warmup_steps = 0;
  /// Check only at steps n_warmup_steps + k * interval_steps (a check postponed to the next
  /// report when that step is not reported). Default 1 (every step); must be >= 1.
  int64_t interval_steps = 1;
  /// Never prune at a step where fewer than this many completed trials reported a value.
  /// Default 1; must be >= 1.
  int n_min_trials = 1;
};

/// Prunes a trial whose best intermediate value so far (min, or max when maximizing; NaN values
/// ignored) is worse than the given percentile of the completed trials' values at the current
/// step (numpy's linear interpolation, NaNs ignored). A trial whose values are all NaN is pruned.
/// Throws ConfigError for options out of range.
class PercentilePruner : public Pruner {
 public:
  explicit PercentilePruner(PercentilePrunerOptions options) : PercentilePruner(options, "percentile") {}
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "percentile"; }
  const PercentilePrunerOptions& options() const { return options_; }

 protected:
  /// `registered_name` names the pruner in error messages ("median" for MedianPruner).
  PercentilePruner(PercentilePrunerOptions options, const char* registered_name);
  PercentilePrunerOptions options_;
};

/// Options of MedianPruner (Optuna's MedianPruner defaults); see PercentilePrunerOptions.
struct MedianPrunerOptions {
  int n_startup_trials = 5;     ///< No pruning until this many trials are COMPLETE.
  int64_t n_warmup_steps = 0;   ///< No pruning before this step.
  int64_t interval_steps = 1;   ///< Check every interval_steps steps after the warm-up (>= 1).
  int n_min_trials = 1;         ///< Completed trials needed at a step before pruning there (>= 1).
};

/// The median stopping rule (Golovin et al. 2017, "Google Vizier", automated early stopping): a
/// PercentilePruner at 50. Default pruner of a study. Throws ConfigError for invalid options.
class MedianPruner final : public PercentilePruner {
 public:
  explicit MedianPruner(MedianPrunerOptions options = {});
  std::string name() const override { return "median"; }
};

/// Options of SuccessiveHalvingPruner (Optuna's defaults).
struct SuccessiveHalvingPrunerOptions {
  /// Steps every trial gets before its first rung (r in the ASHA paper), >= 1. nullopt = "auto"
  /// (Optuna's default): max(last step of the first completed trial / 100, 1), no pruning until
  /// a trial has completed. Give it explicitly when trials report different numbers of steps.
  std::optional<int64_t> min_resource;
  /// eta: about 1/reduction_factor of the trials reaching a rung go on to the next one, and rung
  /// k+1 comes reduction_factor times as many steps after rung k. Default 4; must be >= 2.
  int reduction_factor = 4;
  /// s: the first rung is at min_resource * reduction_factor^s steps. Default 0; must be >= 0.
  int min_early_stopping_rate = 0;
  /// A trial reaching a rung is pruned unless more than bootstrap_count trials (itself
  /// included) have values at that rung (Optuna's rule). Default 0; must be >= 0; needs an
  /// explicit min_resource.
  int bootstrap_count = 0;
};

/// Asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
/// Hyperparameter Tuning", Algorithm 2, ASHA), with Optuna 3.1's decisions: when a trial first
/// reports a step at or past the promotion step of its current rung k, it is kept only if its
/// value there is among the best floor(n / reduction_factor) (at least the best one) of the n
/// values at rung k (its own included); otherwise it is pruned. A NaN value there prunes it. See
/// the file comment for how rung values are derived. Throws ConfigError for invalid options.
class SuccessiveHalvingPruner final : public Pruner {
 public:
  explicit SuccessiveHalvingPruner(SuccessiveHalvingPrunerOptions options = {});
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "successive_halving"; }
  const SuccessiveHalvingPrunerOptions& options() const { return options_; }

 private:
  SuccessiveHalvingPrunerOptions options_;
};

/// Options of HyperbandPruner (Optuna's defaults).
struct HyperbandPrunerOptions {
  /// Steps before the first rung of the most aggressive bracket (r), >= 1. Default 1.
  int64_t min_resource = 1;
  /// Steps of a fully trained trial (R = max_resource / min_resource in the paper), >=
  /// min_resource. nullopt = "auto" (Optuna's default): last step + 1 of the first completed
  /// trial; no pruning before a trial has completed.
  std::optional<int64_t> max_resource;
  /// eta, as in SuccessiveHalvingPrunerOptions. Default 3; must be >= 2. The number of brackets
  /// is floor(log_eta(max_resource / min_resource)) + 1; about 4 to 6 works well.
  int reduction_factor = 3;
  /// As in SuccessiveHalvingPrunerOptions. Default 0; must be >= 0; needs an explicit
  /// max_resource.
  int bootstrap_count = 0;
};

/// Hyperband (Li et al. 2018, "Hyperband: A Novel Bandit-Based Approach to Hyperparameter
/// Optimization", JMLR 18, Algorithm 1) over asynchronous successive-halving brackets, as
/// Optuna 3.1 does it: bracket s has min_early_stopping_rate s, and a trial goes to a bracket with
/// probability proportional to ceil(n_brackets * eta^(n_brackets-1-s) / (n_brackets - s)),
/// chosen deterministically from crc32("<study_name>_<trial_number>"). Throws ConfigError for
/// invalid options.
class HyperbandPruner final : public Pruner {
 public:
  explicit HyperbandPruner(HyperbandPrunerOptions options = {});
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "hyperband"; }
  const HyperbandPrunerOptions& options() const { return options_; }

  /// floor(log_reduction_factor(max_resource / min_resource)) + 1, computed in double precision
  /// as Optuna does (so e.g. 243 / 1 with eta 3 gives 5 brackets, not 6). May be <= 0 when
  /// max_resource < min_resource, in which case nothing is pruned.
  int n_brackets(int64_t max_resource) const;
  /// Bracket (0-based early-stopping rate) of trial `trial_number` in study `study_name`.
  int bracket_id(std::string_view study_name, int trial_number, int64_t max_resource) const;

 private:
  HyperbandPrunerOptions options_;
};

/// Options of ThresholdPruner (Optuna's ThresholdPruner arguments and defaults).
struct ThresholdPrunerOptions {
  /// Prune when the latest intermediate value is below `lower` / above `upper` (either may be
  /// absent, not both; lower <= upper). E.g. upper = 5.0 on a loss stops diverging runs.
  std::optional<double> lower;
  std::optional<double> upper;
  /// No pruning before this step. Default 0.
  int64_t n_warmup_steps = 0;
  /// Check only at steps n_warmup_steps + k * interval_steps (as PercentilePrunerOptions).
  /// Default 1; must be >= 1.
  int64_t interval_steps = 1;
};

/// Prunes a trial whose latest intermediate value leaves [lower, upper] or is NaN (Optuna 3.1's
/// ThresholdPruner). Needs no other trial. Throws ConfigError for invalid options.
class ThresholdPruner final : public Pruner {
 public:
  explicit ThresholdPruner(ThresholdPrunerOptions options);
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "threshold"; }

 private:
  ThresholdPrunerOptions options_;
};

/// Options of PatientPruner (Optuna's PatientPruner arguments and defaults).
struct PatientPrunerOptions {
  /// Reports without improvement tolerated (>= 0): the trial's best value over its last
  /// patience + 1 reports is compared with its best value before them.
  int patience = 0;
  /// Tolerance (>= 0): the trial counts as stalled only when that recent best is worse than the
  /// earlier best by more than min_delta. Default 0.
  double min_delta = 0.0;
};

/// Patience (Optuna 3.1's PatientPruner): once the best intermediate value of a trial's last
/// `patience` + 1 reports (NaN values ignored) is worse than its best before them by more than
/// `min_delta`, the `wrapped` pruner decides (or the trial is pruned when there is none);
/// otherwise it is not pruned. Needs more than patience + 1 reports. Throws ConfigError for
/// invalid options.
class PatientPruner final : public Pruner {
 public:
  PatientPruner(std::unique_ptr<Pruner> wrapped, PatientPrunerOptions options);
  bool prune(const StudyView& study, const FrozenTrial& trial) override;
  std::string name() const override { return "patient"; }

 private:
  std::unique_ptr<Pruner> wrapped_;  // may be null
  PatientPrunerOptions options_;
};

/// CRC-32 (ISO-HDLC / zlib / Python binascii.crc32) of `bytes`.
uint32_t crc32(std::string_view bytes);

/// Factories called by the pruner registry (register_builtins). Each reads its options from a
/// JSON object (null = all defaults), ignoring "name"; unknown keys and invalid values throw
/// ConfigError naming the option and the fix.
std::unique_ptr<Pruner> make_nop_pruner(const nlohmann::json& options);
std::unique_ptr<Pruner> make_median_pruner(const nlohmann::json& options);
/// Requires "percentile".
std::unique_ptr<Pruner> make_percentile_pruner(const nlohmann::json& options);
std::unique_ptr<Pruner> make_successive_halving_pruner(const nlohmann::json& options);
std::unique_ptr<Pruner> make_hyperband_pruner(const nlohmann::json& options);
/// {"lower", "upper", "n_warmup_steps", "interval_steps"}; lower or upper required.
std::unique_ptr<Pruner> make_threshold_pruner(const nlohmann::json& options);
/// {"patience" (required), "min_delta", "wrapped_pruner": a pruner spec or null}; the wrapped
/// pruner is built by `make_wrapped` (the registry passes make_pruner).
std::unique_ptr<Pruner> make_patient_pruner(const nlohmann::json& options,
                                            const std::function<std::unique_ptr<Pruner>(const nlohmann::json&)>& make_wrapped);

}  // namespace autoglm
