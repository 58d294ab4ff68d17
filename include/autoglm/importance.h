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
// directions. Parameters: those present with an equal distribution in every used trial (the
// intersection search space, as Optuna does), or ImportanceOptions::params. Parameters with a
// single possible value get importance 0 and are left out of the models (as Optuna).
//
// fANOVA encoding (Optuna 3.1's FanovaImportanceEvaluator: _SearchSpaceTransform with
// transform_log=False, transform_step=False): float / int parameters are one column holding the
// internal value (the raw value, also for `log` distributions) on [low, high], so leaf volumes
// are measured on the raw scale; categorical parameters are one-hot columns on [0, 1] and their
// importance is that of the group of columns (their marginal over the product grid of the
// group, as Optuna computes it). PED-ANOVA places its kernels in log space for `log`
// distributions (src/importance/ped_anova.h).
//
// Cost (1,000 trials x 10 parameters, 64 trees, 2-core machine; docs/benchmarks-importance.md):
// fANOVA ~0.05-0.1 s (Optuna 3.1: ~40 s), ~0.2 s with all pairwise interactions; PED-ANOVA
// ~5 ms. fANOVA fits and decomposes the trees on std::thread::hardware_concurrency() threads.
//
// Pure functions of their input: no storage handle, deterministic for a fixed seed (whatever the
// number of threads), safe to call concurrently.
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
  /// Restrict to these parameters. As Optuna, only the trials holding all of them are used; a
  /// name held by no usable trial, a name listed twice, an empty list, or a parameter whose
  /// distribution differs between those trials throws ConfigError. Default: the intersection
  /// search space of the used trials.
  std::optional<std::vector<std::string>> params;
  /// Also compute pairwise interaction importance (ImportanceResult::interactions). fANOVA: one
  /// more marginal per pair and tree (about 3x the time at 10 parameters); PED-ANOVA: 2-D Parzen
  /// estimators on a 50 x 50 grid per pair.
  bool interactions = false;
  /// Seed of the forest's bootstrap samples and of the feature order at each split (ties);
  /// fANOVA only — results are identical for a fixed seed and input. (Not bit-compatible with
  /// scikit-learn's generator, so values differ from Optuna's by forest noise.)
  uint64_t seed = 0;
  // fANOVA forest (Optuna 3.1 defaults).
  int n_trees = 64;            ///< More trees: steadier estimates, linear cost.
  int max_depth = 64;          ///< Depth limit of each regression tree.
  int min_samples_split = 2;   ///< A node with fewer distinct samples is a leaf (bootstrap
                               ///< duplicates count once, as in scikit-learn).
  int min_samples_leaf = 1;    ///< Each child keeps at least this many distinct samples.
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
  /// the main effects before normalisation; the diagonal holds the main effects before
  /// normalisation (fANOVA: V_i / V averaged over trees; PED-ANOVA: the Pearson divergence D_i).
  /// PED-ANOVA's pair term is the f-ANOVA pair term of the indicator of the good set, which is
  /// positive even for an additive objective (D_i * D_j when the good set's density factorises);
  /// compare pairs with each other rather than with 0. Single-valued parameters: rows of 0.
  /// Empty otherwise.
  std::vector<std::string> interaction_params;
  std::vector<std::vector<double>> interactions;
  int n_trials = 0;  ///< Trials used (COMPLETE, finite value, every chosen parameter present).
};

/// Importance of each parameter for objective `options.objective_index` of `trials`.
/// `directions` are the study's (their count gives the number of objectives; PED-ANOVA uses the
/// direction to choose the good quantile; fANOVA ignores it). Throws ConfigError when fewer than
/// 2 trials are usable, when no parameter is common to them, when objective_index is out of
/// range, when no directions are given, or when an option is out of range (n_trees, max_depth,
/// min_samples_leaf >= 1; min_samples_split >= 2; baseline_quantile in (0, 1]); the message
/// names the option or parameter and the fix. PED-ANOVA's good set is the ceil(gamma n) best
/// trials (at least 2) by `directions[objective_index]`.
ImportanceResult evaluate_importance(const std::vector<FrozenTrial>& trials,
                                     const std::vector<StudyDirection>& directions,
                                     const ImportanceOptions& options = {});

}  // namespace autoglm
