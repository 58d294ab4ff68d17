// Pareto dominance, non-dominated sorting and hypervolume for multi-objective studies.
//
// Conventions (every function here):
//  - Every objective is MINIMIZED. Callers negate the values of maximized objectives first.
//  - A point set is a std::vector<std::vector<double>> of shape (n, m): n points, each with the
//    same number m >= 1 of objective values. An empty set (n = 0) is allowed.
//  - Bad input (points of different sizes, a reference point whose size is not m, a NaN
//    anywhere) throws autoglm::ConfigError with a message naming the offending point /
//    objective. +-infinity is accepted and follows IEEE arithmetic.
//  - Pure functions: no state, safe to call concurrently.
#pragma once

#include <cstddef>
#include <vector>

namespace autoglm {

/// True when `a` Pareto-dominates `b` (minimization): a[k] <= b[k] for every k and
/// a[k] < b[k] for at least one k. Equal points do not dominate each other.
/// Throws ConfigError when the sizes differ.
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

/// Non-dominated sorting ranks, one per point (shape (n)): rank 0 is the Pareto front, rank 1 the
/// front of the points left after removing rank 0, and so on. Identical points get the same rank
/// (they do not dominate each other). Equivalently, the rank of a point is the length of the
/// longest chain of points dominating one another that ends at it.
///  - m = 2: O(n log n) sweep: lexicographic sort, then each point goes to the first front whose
///    smallest second objective is larger than its own (binary search over the fronts' tails,
///    as in patience sorting / longest chains; Jensen, IEEE TEVC 2003 for the general idea).
///  - m = 1 and m >= 3: the O(m n^2) comparisons of Deb et al.'s fast non-dominated sort
///    (NSGA-II, IEEE TEVC 2002). Points are visited in lexicographic order (a dominator always
///    comes first there) so each rank is 1 + the largest rank among its dominators; this gives
///    Deb's fronts with O(n) memory instead of Deb's O(n^2) domination lists.
/// Throws ConfigError on inconsistent sizes or NaN.
std::vector<int> non_dominated_ranks(const std::vector<std::vector<double>>& points);

/// Indices (into `points`, increasing, i.e. in input order) of the rank-0 points: the Pareto
/// front. Duplicated front points are all listed. Throws as non_dominated_ranks.
std::vector<std::size_t> pareto_front_indices(const std::vector<std::vector<double>>& points);

/// Exact hypervolume (Lebesgue measure) of the region dominated by `points` (shape (n, m)) and
/// bounded above by `reference` (shape (m)): the union over the points p of the boxes
/// [p_0, r_0) x ... x [p_{m-1}, r_{m-1}). A point that is not strictly better than the reference
/// in every objective contributes nothing; dominated and duplicated points change nothing.
///  - m = 1: r - min p.
///  - m = 2: sort + sweep, O(n log n).
///  - m = 3: dimension sweep over the third objective with a balanced tree (std::map) holding the
///    2-D front (Fonseca, Paquete, Lopez-Ibanez, CEC 2006), O(n log n).
///  - m >= 4: WFG (While, Bradstreet, Barone, IEEE TEVC 2012, "A fast way of calculating exact
///    hypervolumes"): slicing along the last objective, exclusive hypervolumes computed from
///    non-dominated limit sets, recursing down to the exact 3-D routine.
/// Throws ConfigError when `reference` does not have m entries, on inconsistent point sizes, or
/// on NaN in the points or the reference. An empty point set has hypervolume 0.
double hypervolume(const std::vector<std::vector<double>>& points,
                   const std::vector<double>& reference);

/// The common "nadir + margin" reference point (shape (m)): per objective k,
///   max_i p_i[k] + 0.1 * (max_i p_i[k] - min_i p_i[k]),  or  max_i p_i[k] + 1.0 when that
/// range is 0 (for instance with a single point). Every point is then strictly better than the
/// reference in every objective, so each point on the front has a positive contribution.
/// Throws ConfigError on an empty set, inconsistent sizes or NaN.
std::vector<double> default_reference_point(const std::vector<std::vector<double>>& points);

/// Exclusive hypervolume contribution of each point (shape (n)):
///   HV(points) - HV(points without point i).
/// Dominated points, duplicated points (each copy of a duplicate) and points outside the
/// reference get 0. Computed per point as the volume of its own box minus the hypervolume of the
/// limit set (the other points clipped to that box), the WFG exclusive-hypervolume rule.
/// Used for tie-breaking in MOTPE. Throws as hypervolume().
std::vector<double> hypervolume_contributions(const std::vector<std::vector<double>>& points,
                                              const std::vector<double>& reference);

namespace detail {

/// Checks a point set: all points of one size, no NaN. Returns m (0 for an empty set). `what`
/// names the calling function in the ConfigError message.
std::size_t check_points(const std::vector<std::vector<double>>& points, const char* what);

/// The WFG algorithm applied at the top level whatever m (>= 1) is: for tests that compare it
/// against the exact 2-D / 3-D routines. Same contract as hypervolume().
double hypervolume_wfg(const std::vector<std::vector<double>>& points,
                       const std::vector<double>& reference);

}  // namespace detail

}  // namespace autoglm
