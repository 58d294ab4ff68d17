// HyperbandPruner (Li et al. 2018) over asynchronous successive-halving brackets, with Optuna
// 3.1's bracket assignment; see include/autoglm/pruners.h.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "autoglm/error.h"
#include "autoglm/pruners.h"
#include "pruner/asha.h"
#include "pruner/validate.h"

namespace autoglm {

using pruner_detail::invalid;

HyperbandPruner::HyperbandPruner(HyperbandPrunerOptions options) : options_(options) {
  const std::string what = "pruner 'hyperband'";
  if (options_.min_resource < 1)
    invalid(what, "min_resource", "must be >= 1, got " + std::to_string(options_.min_resource) +
                                      "; give the steps every trial runs before its first rung (1 is the default)");
  if (options_.max_resource && *options_.max_resource < options_.min_resource)
    invalid(what, "max_resource",
            "must be >= min_resource (" + std::to_string(options_.min_resource) + ") or \"auto\", got " +
                std::to_string(*options_.max_resource) + "; give the number of steps of a fully trained trial");
  if (options_.reduction_factor < 2)
    invalid(what, "reduction_factor", "must be >= 2, got " + std::to_string(options_.reduction_factor) +
                                          "; use 2 or more (3 is the default)");
  if (options_.bootstrap_count < 0)
    invalid(what, "bootstrap_count", "must be >= 0, got " + std::to_string(options_.bootstrap_count) +
                                         "; use 0 (the default)");
  if (options_.bootstrap_count > 0 && !options_.max_resource)
    invalid(what, "bootstrap_count",
            "cannot be used with max_resource \"auto\" (got bootstrap_count " + std::to_string(options_.bootstrap_count) +
                "); give max_resource as a number of steps, or set bootstrap_count to 0");
}

int HyperbandPruner::n_brackets(int64_t max_resource) const {
  // Python: math.floor(math.log(max_resource / min_resource, reduction_factor)) + 1.
  const double ratio = static_cast<double>(max_resource) / static_cast<double>(options_.min_resource);
  return static_cast<int>(std::floor(std::log(ratio) / std::log(static_cast<double>(options_.reduction_factor)))) + 1;
}

namespace {

/// Optuna's _calculate_trial_allocation_budget for every bracket.
std::vector<int64_t> allocation_budgets(int n_brackets, int64_t reduction_factor) {
  std::vector<int64_t> budgets;
  for (int bracket = 0; bracket < n_brackets; ++bracket) {
    const int64_t s = n_brackets - 1 - bracket;
    int64_t power = 1;
    for (int64_t i = 0; i < s; ++i) power *= reduction_factor;
    budgets.push_back(static_cast<int64_t>(
        std::ceil(static_cast<double>(n_brackets * power) / static_cast<double>(s + 1))));
  }
  return budgets;
}

int bracket_of(std::string_view study_name, int trial_number, const std::vector<int64_t>& budgets) {
  int64_t total = 0;
  for (int64_t b : budgets) total += b;
  std::string key(study_name);
  key += "_" + std::to_string(trial_number);
  int64_t n = static_cast<int64_t>(crc32(key) % static_cast<uint64_t>(total));
  for (size_t bracket = 0; bracket < budgets.size(); ++bracket) {
    n -= budgets[bracket];
    if (n < 0) return static_cast<int>(bracket);
  }
  return static_cast<int>(budgets.size()) - 1;  // unreachable: n < total
}

}  // namespace

int HyperbandPruner::bracket_id(std::string_view study_name, int trial_number, int64_t max_resource) const {
  const int nb = n_brackets(max_resource);
  if (nb <= 0) return 0;
  return bracket_of(study_name, trial_number, allocation_budgets(nb, options_.reduction_factor));
}

bool HyperbandPruner::prune(const StudyView& study, const FrozenTrial& trial) {
  if (trial.intermediate_values.empty()) return false;
  std::vector<FrozenTrial> trials = study.get_trials();
  std::optional<pruner_detail::FirstCompletion> first;
  int64_t max_resource = 0;
  if (options_.max_resource) {
    max_resource = *options_.max_resource;
  } else {
    // "auto": Optuna's _try_initialization takes the last step + 1 of the first completed trial.
    first = pruner_detail::find_first_completion(trials);
    if (!first) return false;
    max_resource = first->max_last_step + 1;
  }
  const int nb = n_brackets(max_resource);
  if (nb <= 0) return false;
  const std::vector<int64_t> budgets = allocation_budgets(nb, options_.reduction_factor);
  const std::string name = study.study_name();
  const int bracket = bracket_of(name, trial.number, budgets);

  std::vector<FrozenTrial> same_bracket;
  same_bracket.reserve(trials.size());
  for (auto& t : trials)
    if (bracket_of(name, t.number, budgets) == bracket) same_bracket.push_back(std::move(t));
  const pruner_detail::AshaParams params{options_.min_resource, options_.reduction_factor, bracket,
                                         options_.bootstrap_count};
  return pruner_detail::asha_prune(same_bracket, trial, study.direction(), params, first ? &*first : nullptr);
}

// ---------------------------------------------------------------------------------------------
// crc32

uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) c = table[(c ^ byte) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

}  // namespace autoglm
