// PED-ANOVA (private to src/importance/).
//
// Watanabe, Bansal, Hutter, "PED-ANOVA: Efficiently Quantifying Hyperparameter Importance in
// Arbitrary Subspaces", IJCAI 2023. With b(x) = 1[f(x) is in the top-gamma' quantile], the
// f-ANOVA variance of b's marginal over a set S of parameters is, up to the factor gamma'^2,
// the Pearson divergence D_S = integral q_S (p_S / q_S - 1)^2 between the density p_S of the
// good configurations and the baseline density q_S (Theorem 1, Eq. 16): uniform over the domain
// (global), or the density of all observed trials (local, evaluate_on_local). The importance of
// a parameter is D_{i} (normalised to sum 1 by the caller); the pure pairwise component is
// D_{ij} - D_i - D_j (the f-ANOVA pair term of b), floored at 0. Note b is an indicator, so
// even an additive objective has a positive pair term (e.g. D_i * D_j when p factorises).
//
// Densities are Parzen estimators evaluated on a grid and normalised over it: per parameter a
// 1-D grid (categorical: the choices; int / stepped float with at most kGridSize values: those
// values; otherwise kGridSize equally spaced points over [low, high], in log space for `log`);
// each observation contributes a kernel (categorical: its choice; numeric: a Gaussian with
// Scott's bandwidth 1.059 min(std, IQR/1.34) n^(-1/5), at least one grid spacing, at most the
// range), plus one uniform prior component: p(g) = (sum_k K_k(g) + 1/G) / (n + 1). Pairs use
// product kernels, p(g1, g2) = (sum_k K1_k(g1) K2_k(g2) + 1/(G1 G2)) / (n + 1), computed as a
// matrix product. Cost: O(n G) per parameter, O(n G^2) per pair.
#pragma once

#include <vector>

#include "autoglm/distribution.h"

namespace autoglm::importance {

inline constexpr int kPedAnovaGridSize = 50;

struct PedAnovaOutput {
  std::vector<double> main;                 ///< Shape (p): D_i.
  std::vector<std::vector<double>> pairs;   ///< Shape (p, p) when asked; diagonal = main.
};

/// `columns[i]`: the internal values of parameter i over all used trials (shape (n)), in the
/// distribution `dists[i]`; `top[k]`: whether trial k is in the good set (at least one).
/// `local`: baseline = the density of all trials; otherwise uniform over the grid.
PedAnovaOutput ped_anova(const std::vector<std::vector<double>>& columns, const std::vector<Distribution>& dists,
                         const std::vector<char>& top, bool local, bool pairs);

}  // namespace autoglm::importance
