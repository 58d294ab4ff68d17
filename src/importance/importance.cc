// evaluate_importance: input checks, encoding, and the two evaluators (fanova.h, ped_anova.h).
#include "autoglm/importance.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "autoglm/error.h"
#include "common/text.h"
#include "importance/fanova.h"
#include "importance/ped_anova.h"

namespace autoglm {

std::string to_string(ImportanceEvaluator e) {
  switch (e) {
    case ImportanceEvaluator::FANOVA:
      return "fanova";
    case ImportanceEvaluator::PED_ANOVA:
      return "ped_anova";
  }
  return "fanova";
}

ImportanceEvaluator importance_evaluator_from_string(const std::string& s) {
  const std::string l = ascii_lower(s);
  if (l == "fanova") return ImportanceEvaluator::FANOVA;
  if (l == "ped_anova" || l == "ped-anova" || l == "pedanova") return ImportanceEvaluator::PED_ANOVA;
  throw ConfigError("importance evaluator '" + s + "' is unknown: use 'fanova' or 'ped_anova'");
}

namespace {

void check_options(const ImportanceOptions& o, size_t n_objectives) {
  if (n_objectives == 0) throw ConfigError("importance: the study has no directions; pass one per objective");
  if (o.objective_index < 0 || static_cast<size_t>(o.objective_index) >= n_objectives)
    throw ConfigError("importance: objective_index " + std::to_string(o.objective_index) +
                      " is out of range; the study has " + std::to_string(n_objectives) +
                      " objective(s), use 0.." + std::to_string(n_objectives - 1));
  if (o.n_trees < 1) throw ConfigError("importance: n_trees must be >= 1 (default 64)");
  if (o.max_depth < 1) throw ConfigError("importance: max_depth must be >= 1 (default 64)");
  if (o.min_samples_split < 2) throw ConfigError("importance: min_samples_split must be >= 2 (default 2)");
  if (o.min_samples_leaf < 1) throw ConfigError("importance: min_samples_leaf must be >= 1 (default 1)");
  if (!(o.baseline_quantile > 0.0 && o.baseline_quantile <= 1.0))
    throw ConfigError("importance: baseline_quantile must be in (0, 1] (default 0.1)");
}

}  // namespace

ImportanceResult evaluate_importance(const std::vector<FrozenTrial>& trials,
                                     const std::vector<StudyDirection>& directions,
                                     const ImportanceOptions& options) {
  check_options(options, directions.size());
  const size_t obj = static_cast<size_t>(options.objective_index);

  // COMPLETE trials with a finite value for the chosen objective.
  std::vector<const FrozenTrial*> used;
  for (const FrozenTrial& t : trials)
    if (t.state == TrialState::COMPLETE && t.values.size() > obj && std::isfinite(t.values[obj])) used.push_back(&t);

  // The parameters and their distributions.
  SearchSpace space;
  if (options.params) {
    if (options.params->empty()) throw ConfigError("importance: params is empty; name at least one parameter or leave it unset");
    std::set<std::string> seen;
    for (const std::string& name : *options.params) {
      if (!seen.insert(name).second) throw ConfigError("importance: parameter '" + name + "' is listed twice in params");
      const bool known = std::any_of(used.begin(), used.end(), [&](const FrozenTrial* t) { return t->params.count(name) > 0; });
      if (!known)
        throw ConfigError("importance: parameter '" + name +
                          "' is in no completed trial; check the name or leave params unset");
    }
    // As Optuna: only the trials holding every requested parameter are used.
    std::vector<const FrozenTrial*> keep;
    for (const FrozenTrial* t : used)
      if (std::all_of(options.params->begin(), options.params->end(),
                      [&](const std::string& n) { return t->params.count(n) > 0; }))
        keep.push_back(t);
    used.swap(keep);
    for (const FrozenTrial* t : used)
      for (const std::string& name : *options.params) {
        const Distribution& d = t->distributions.at(name);
        auto [it, inserted] = space.emplace(name, d);
        if (!inserted && !(it->second == d))
          throw ConfigError("importance: parameter '" + name +
                            "' has different distributions across trials (dynamic search space); drop it from params");
      }
  } else if (!used.empty()) {
    // Intersection search space: names present in every used trial with an equal distribution.
    space = SearchSpace(used[0]->distributions.begin(), used[0]->distributions.end());
    for (size_t k = 1; k < used.size(); ++k)
      for (auto it = space.begin(); it != space.end();) {
        auto found = used[k]->distributions.find(it->first);
        if (found == used[k]->distributions.end() || !(found->second == it->second))
          it = space.erase(it);
        else
          ++it;
      }
  }
  if (used.size() < 2)
    throw ConfigError("importance: needs at least 2 COMPLETE trials with a finite value of objective " +
                      std::to_string(obj) + " (and every chosen parameter); found " + std::to_string(used.size()));
  if (space.empty())
    throw ConfigError("importance: no parameter is common to all completed trials; pass params explicitly");

  ImportanceResult result;
  result.evaluator = options.evaluator;
  result.n_trials = static_cast<int>(used.size());
  const size_t n = used.size();

  // Parameters with a single possible value explain nothing (importance 0, as Optuna).
  std::vector<std::string> names;
  std::vector<Distribution> dists;
  for (const auto& [name, d] : space)
    if (!is_single(d)) names.push_back(name), dists.push_back(d);
  const int P = static_cast<int>(names.size());
  // Internal values come from storage; a corrupt one must not index out of a one-hot group.
  for (const FrozenTrial* t : used)
    for (int i = 0; i < P; ++i) {
      const double v = t->params.at(names[i]);
      bool ok = std::isfinite(v);
      if (const auto* c = std::get_if<CategoricalDistribution>(&dists[i]))
        ok = ok && v >= 0 && v < static_cast<double>(c->choices.size()) && v == std::floor(v);
      if (!ok)
        throw ConfigError("importance: trial " + std::to_string(t->number) + " has internal value " +
                          std::to_string(v) + " for parameter '" + names[i] + "', outside " + to_string(dists[i]) +
                          "; repair or drop that trial");
    }
  std::vector<double> y(n);
  for (size_t k = 0; k < n; ++k) y[k] = used[k]->values[obj];
  const bool constant = std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });

  std::vector<double> main(P, 0.0);
  std::vector<std::vector<double>> pairs;
  if (P > 0 && !constant) {
    if (options.evaluator == ImportanceEvaluator::FANOVA) {
      // Encoding (Optuna 3.1 _SearchSpaceTransform with transform_log=False, transform_step=False):
      // numeric: the internal value on [low, high]; categorical: one-hot columns on [0, 1].
      importance::FanovaInput in;
      for (int i = 0; i < P; ++i) {
        std::vector<int> group;
        if (const auto* c = std::get_if<CategoricalDistribution>(&dists[i])) {
          for (size_t k = 0; k < c->choices.size(); ++k) {
            group.push_back(static_cast<int>(in.low.size()));
            in.low.push_back(0.0), in.high.push_back(1.0);
          }
        } else if (const auto* f = std::get_if<FloatDistribution>(&dists[i])) {
          group.push_back(static_cast<int>(in.low.size()));
          in.low.push_back(f->low), in.high.push_back(f->high);
        } else {
          const auto& d = std::get<IntDistribution>(dists[i]);
          group.push_back(static_cast<int>(in.low.size()));
          in.low.push_back(static_cast<double>(d.low)), in.high.push_back(static_cast<double>(d.high));
        }
        in.groups.push_back(std::move(group));
      }
      const size_t C = in.low.size();
      in.X.assign(n * C, 0.0);
      for (size_t k = 0; k < n; ++k)
        for (int i = 0; i < P; ++i) {
          const double v = used[k]->params.at(names[i]);
          if (std::holds_alternative<CategoricalDistribution>(dists[i]))
            in.X[k * C + in.groups[i][static_cast<size_t>(v)]] = 1.0;
          else
            in.X[k * C + in.groups[i][0]] = v;
        }
      in.y = y;
      importance::ForestOptions forest;
      forest.n_trees = options.n_trees;
      forest.max_depth = options.max_depth;
      forest.min_samples_split = options.min_samples_split;
      forest.min_samples_leaf = options.min_samples_leaf;
      forest.seed = options.seed;
      importance::FanovaOutput out = importance::fanova(in, forest, options.interactions);
      main = out.main;
      pairs = std::move(out.pairs);
    } else {
      // Good set: every trial at least as good as the ceil(gamma n)-th best (at least 2), so
      // trials tied with it are all in (as Optuna's quantile filter keeps value <= cutoff); no
      // tie is broken by trial order.
      const bool maximize = directions[obj] == StudyDirection::MAXIMIZE;
      std::vector<size_t> order(n);
      for (size_t k = 0; k < n; ++k) order[k] = k;
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return maximize ? y[a] > y[b] : y[a] < y[b]; });
      const size_t n_top = std::min(n, std::max<size_t>(2, static_cast<size_t>(std::ceil(options.baseline_quantile * n - 1e-9))));
      const double cutoff = y[order[n_top - 1]];
      std::vector<char> top(n, 0);
      for (size_t k = 0; k < n; ++k) top[k] = maximize ? y[k] >= cutoff : y[k] <= cutoff;
      std::vector<std::vector<double>> columns(P, std::vector<double>(n));
      for (int i = 0; i < P; ++i)
        for (size_t k = 0; k < n; ++k) columns[i][k] = used[k]->params.at(names[i]);
      importance::PedAnovaOutput out =
          importance::ped_anova(columns, dists, top, options.evaluate_on_local, options.interactions);
      main = out.main;
      pairs = std::move(out.pairs);
    }
  }

  // Normalise main effects to sum 1 and sort; single-valued parameters get 0.
  double sum = 0.0;
  for (double v : main) sum += v;
  std::vector<std::pair<std::string, double>> imp;
  std::map<std::string, int> model_index;
  for (int i = 0; i < P; ++i) {
    imp.emplace_back(names[i], sum > 0.0 ? main[i] / sum : 0.0);
    model_index[names[i]] = i;
  }
  for (const auto& [name, d] : space)
    if (is_single(d)) imp.emplace_back(name, 0.0);
  std::sort(imp.begin(), imp.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  result.importances = imp;

  if (options.interactions) {
    const size_t p = imp.size();
    result.interactions.assign(p, std::vector<double>(p, 0.0));
    for (size_t a = 0; a < p; ++a) {
      result.interaction_params.push_back(imp[a].first);
      if (pairs.empty()) continue;
      auto ia = model_index.find(imp[a].first);
      if (ia == model_index.end()) continue;
      for (size_t b = 0; b < p; ++b) {
        auto ib = model_index.find(imp[b].first);
        if (ib != model_index.end()) result.interactions[a][b] = pairs[ia->second][ib->second];
      }
    }
  }
  return result;
}

}  // namespace autoglm
