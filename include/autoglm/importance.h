// Parameter importance: which hyperparameters explain the variation of the objective.
//
// Two evaluators, selectable by ImportanceOptions::evaluator:
//  - fANOVA (Hutter, Hoos, Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
//    Importance", ICML 2014): a random-forest regression surrogate of the objective; each tree's
//    prediction is decomposed exactly into functional-ANOVA components over the tree's leaf
//    boxes (Sec. 3, Eq. 3-7), and the importance of a parameter (or pair) is the fraction of the
//    tree's total variance its marginal explains, averaged over the trees. Same defaults as
//    Optuna 3.1's FanovaImportanceEvaluator (64 trees, max depth 64, min split 2, min leaf 1,
//    bootstrap, all features considered at each split).
//  - PED-ANOVA (Watanabe, Bansal, Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter
//    Importance in Arbitrary Subspaces", IJCAI 2023): for the top-gamma quantile of trials,
//    the Pearson divergence between the parameter's density over the good trials and over all
//    trials (Eq. 16), with Parzen estimators per parameter. Closed form, no surrogate model.
//
// Input: finished trials (only COMPLETE ones with a finite value are used) and the study's
// directions. Parameters: those present in every used trial (the intersection search space, as
// Optuna does), or ImportanceOptions::params. Categorical parameters are one-hot encoded for
// the forest and their importance is that of the group of columns; log-scale parameters are
// split on their internal (already log-transformed when `log`) value.
//
// Pure functions of their input: no storage handle, deterministic for a fixed seed, safe to call
// concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autoglm/frozen_trial.h"

namespace autoglm {

enum class ImportanceEvaluator { FANOVA, PED_ANOVA };
/// "fanova" / "ped_anova".
std::string to_string(ImportanceEvaluator e);
/// Accepts "fanova", "ped_anova", "ped-anova", "pedanova" (case-insensitive); throws ConfigError
/// naming the accepted values otherwise.
ImportanceEvaluator importance_evaluator_from_string(const std::string& s);

struct ImportanceOptions {
  ImportanceEvaluator evaluator = ImportanceEvaluator::FANOVA;
  /// Which objective of a multi-objective study (index into its directions). Default 0.
  int objective_index = 0;
  /// Restrict to these parameters (each must be in every used trial, else ConfigError). Default:
  /// the intersection search space of the used trials.
  std::optional<std::vector<std::string>> params;
  /// Also compute pairwise interaction importance (ImportanceResult::interactions). Costs about
  /// one more pass over each tree per pair for fANOVA; PED-ANOVA uses 2-D Parzen estimators.
  bool interactions = false;
  /// Seed of the forest's bootstrap and feature choices (fANOVA) — results are identical for a
  /// fixed seed and input.
  uint64_t seed = 0;
  // fANOVA forest (Optuna 3.1 defaults).
  int n_trees = 64;            ///< More trees: steadier estimates, linear cost.
  int max_depth = 64;          ///< Depth limit of each regression tree.
  int min_samples_split = 2;   ///< A node with fewer samples is a leaf.
  int min_samples_leaf = 1;    ///< Each child keeps at least this many samples.
  // PED-ANOVA (Optuna 3.x PedAnovaImportanceEvaluator defaults).
  double baseline_quantile = 0.1;  ///< gamma: fraction of best trials forming the "good" set.
  bool evaluate_on_local = true;   ///< Baseline = the trials' own spread (local space), not the whole domain.
};

struct ImportanceResult {
  ImportanceEvaluator evaluator = ImportanceEvaluator::FANOVA;
  /// (parameter, importance) sorted by importance, largest first (ties by name). Importances are
  /// >= 0 and sum to 1 (all 0 when the objective is constant).
  std::vector<std::pair<std::string, double>> importances;
  /// When ImportanceOptions::interactions: parameter names (the order of `importances`) and a
  /// symmetric matrix of shape (p, p): off-diagonal [i][j] is the pairwise interaction importance
  /// of (i, j) (fANOVA: variance fraction of the pure pair component, Hutter et al. Eq. 7;
  /// PED-ANOVA: the 2-D divergence minus the two 1-D ones, floored at 0), on the same scale as
  /// the main effects before normalisation; the diagonal holds the main effects. Empty otherwise.
  std::vector<std::string> interaction_params;
  std::vector<std::vector<double>> interactions;
  int n_trials = 0;  ///< Trials used (COMPLETE, finite value, every chosen parameter present).
};

/// Importance of each parameter for objective `options.objective_index` of `trials`.
/// `directions` are the study's (their count gives the number of objectives; PED-ANOVA uses the
/// direction to choose the good quantile; fANOVA ignores it). Throws ConfigError when fewer than
/// 2 trials are usable, when no parameter is common to them, when objective_index is out of
/// range, or when an option is out of range (message names the option and the fix).
ImportanceResult evaluate_importance(const std::vector<FrozenTrial>& trials,
                                     const std::vector<StudyDirection>& directions,
                                     const ImportanceOptions& options = {});

}  // namespace autoglm
