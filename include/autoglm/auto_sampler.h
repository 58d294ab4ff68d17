// AutoSampler ("auto", the default sampler of YAML configs): picks, for each trial, one of the
// built-in samplers from the study's history and delegates every call of that trial to it.
//
// The rule (re-evaluated at each trial, from the history only, so a resumed study makes the same
// decision; names as in docs/config.md "Samplers"):
//  1. Multi-objective study -> TPE {multivariate, group} (TPE handles several objectives;
//     constant_liar, which only acts on single-objective studies, is left off).
//  2. Otherwise the search space seen so far is looked at: the union and the intersection of the
//     distributions of the COMPLETE trials (the intersection: the names present with an equal
//     distribution in every COMPLETE trial).
//     - No COMPLETE trial yet -> GP: the GP sampler's own start-up phase (space-filling Sobol
//       points) samples the first trials.
//     - A COMPLETE trial carries constraint values (system attr "constraints") -> TPE
//       {multivariate, group, constant_liar}: TPE ranks infeasible trials after feasible ones,
//       while GP and CMA-ES would ignore feasibility.
//     - Conditional space (union != intersection, which includes a parameter whose
//       distribution changed), or categorical-heavy (more categorical parameters than float and
//       int ones), or more than `max_gp_dims` parameters -> TPE {multivariate, group,
//       constant_liar}: the joint, conditional-aware TPE.
//  3. Else (a non-conditional, numeric or mostly numeric space of <= max_gp_dims parameters):
//     GP while the number of COMPLETE trials is below `gp_max_trials` (the GP fit is cubic in
//     the number of trials); from then on CMA-ES {restart_strategy: ipop} when every parameter is
//     a float or an int, else TPE {multivariate}.
//  Parameters with a single possible value (low == high, one choice) are not counted in 2 and 3
//  (no sampler has anything to choose there), but they do take part in the union/intersection.
//
// The decision is printed to stderr once per sampler (i.e. per study run) at the first decision
// and again whenever the chosen sampler changes, as one line such as
//   auto sampler: gp (4 continuous parameters, no conditional or categorical-heavy space,
//   trial 0 of the GP phase <= 300 trials)
// ("trial N" counts the COMPLETE trials).
//
// Delegation: the delegated samplers are created lazily, at most one of each kind, with seeds
// derived from the auto seed (so a fixed seed reproduces the whole study with one worker). The
// choice is made at `before_trial` (or at the first hook of a trial that had none) and
// remembered per trial number until `after_trial`, so `infer_relative_search_space`,
// `sample_relative`, `sample_independent` and `after_trial` of one trial all go to the sampler
// that was chosen for it, even when a later trial is assigned another one. `reseed` reseeds every
// delegate created so far (each with its own derived seed) and the ones created later.
//
// Ownership: an AutoSampler owns its delegates. Thread-safety: every method may be called
// concurrently; the per-trial choices, the delegates and the printed state are guarded by
// `mutex_`, which is not held while a delegate runs (the delegates are thread-safe themselves
// and live as long as the AutoSampler).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/sampler.h"
#include "autoglm/study_view.h"

namespace autoglm {

struct AutoSamplerOptions {
  /// Seed from which the delegates' seeds are derived. Default: none (not reproducible).
  std::optional<uint64_t> seed;
  /// The GP is used while fewer than this many trials are COMPLETE (rule 3). Default 300; the
  /// GP's fit costs O(n^3) per trial, so larger values make late trials slow. Must be >= 1.
  int gp_max_trials = 300;
  /// Spaces of more parameters go to TPE (rule 2); the GP's acquisition optimization grows with
  /// the dimension. Default 20. Must be >= 1.
  int max_gp_dims = 20;

  /// Throws ConfigError naming the field when a value is out of range.
  void validate() const;
};

class AutoSampler final : public Sampler {
 public:
  /// The samplers the rule chooses from.
  enum class Choice {
    kGP,               ///< "gp" with the derived seed and its default options.
    kTPE,              ///< "tpe" {multivariate, group, constant_liar (single objective only)}.
    kTPEMultivariate,  ///< "tpe" {multivariate} (past gp_max_trials, with categoricals).
    kCmaEs,            ///< "cmaes" {restart_strategy: ipop} (past gp_max_trials, numeric).
  };
  struct Decision {
    Choice choice = Choice::kGP;
    /// The text in parentheses of the printed line (why this sampler).
    std::string reason;
  };

  /// Throws ConfigError when `options` are invalid (see AutoSamplerOptions::validate).
  explicit AutoSampler(AutoSamplerOptions options = {});
  ~AutoSampler() override;

  SearchSpace infer_relative_search_space(const StudyView& study, const FrozenTrial& trial) override;
  std::map<std::string, double> sample_relative(const StudyView& study, const FrozenTrial& trial,
                                                const SearchSpace& search_space) override;
  double sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                            const Distribution& distribution) override;
  void before_trial(const StudyView& study, const FrozenTrial& trial) override;
  void after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                   const std::vector<double>& values) override;
  void reseed(uint64_t seed) override;
  std::string name() const override { return "auto"; }

  const AutoSamplerOptions& options() const { return options_; }

  /// The rule above applied to `study`'s current history (pure; prints nothing).
  static Decision decide(const StudyView& study, const AutoSamplerOptions& options);
  /// Registered name of a choice's sampler: "gp", "tpe" or "cmaes".
  static std::string choice_name(Choice choice);
  /// The sampler chosen for trial `number` while that trial is running (before_trial ..
  /// after_trial); nullopt when none was chosen or the trial has finished.
  std::optional<Choice> choice_of(int number) const;
  /// The most recent decision (nullopt before the first one).
  std::optional<Choice> last_choice() const;

 private:
  /// The delegate for `trial`: the remembered one, else a fresh decision (remembered).
  Sampler& delegate_for_(const StudyView& study, const FrozenTrial& trial);
  /// The delegate of `choice`, created at its first use.
  Sampler& delegate_(Choice choice, bool multi_objective);  // REQUIRES(mutex_)
  uint64_t derived_seed_(Choice choice) const;  // REQUIRES(mutex_)

  const AutoSamplerOptions options_;
  mutable std::mutex mutex_;
  uint64_t seed_;                                       // GUARDED_BY(mutex_); base of the derived seeds
  std::map<Choice, std::unique_ptr<Sampler>> samplers_;  // GUARDED_BY(mutex_); created lazily, never removed
  std::map<int, Choice> running_;                       // GUARDED_BY(mutex_); trial number -> choice
  std::optional<Choice> printed_;                       // GUARDED_BY(mutex_); last announced choice
};

/// Factory called by the registry: {"seed", "gp_max_trials", "max_gp_dims"}; unknown keys throw
/// ConfigError with a did-you-mean suggestion, out-of-range values a ConfigError naming the key.
std::unique_ptr<Sampler> make_auto_sampler(const nlohmann::json& options);

}  // namespace autoglm
