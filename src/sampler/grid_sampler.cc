// GridSampler: each point of a Cartesian grid once, in a seeded random order (see samplers.h).
#include <algorithm>
#include <iostream>
#include <set>

#include "autoglm/error.h"
#include "autoglm/samplers.h"
#include "common/options.h"
#include "sampler/seed.h"

namespace autoglm {

namespace {

constexpr size_t kMaxGridPoints = 10'000'000;

/// Key of a trial in the assignment map: its storage id, or (snapshots built in tests without
/// one) a negative key from its number.
int64_t trial_key(const FrozenTrial& t) { return t.trial_id >= 0 ? t.trial_id : -2 - static_cast<int64_t>(t.number); }

}  // namespace

GridSampler::GridSampler(GridSamplerOptions options) : rng_(seed_or_random(options.seed)) {
  if (options.search_space.empty())
    throw ConfigError("sampler 'grid': search_space is required and must map at least one parameter name to a list of values");
  size_t n = 1;
  for (const auto& [name, vals] : options.search_space) {
    if (vals.empty()) throw ConfigError("sampler 'grid': search_space '" + name + "' has no values; give at least one");
    for (size_t i = 0; i < vals.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (vals[i] == vals[j])
          throw ConfigError("sampler 'grid': search_space '" + name + "' lists " + to_string(vals[i]) +
                            " twice; each grid value must be distinct");
    if (n > kMaxGridPoints / vals.size())
      throw ConfigError("sampler 'grid': the grid has more than " + std::to_string(kMaxGridPoints) +
                        " points; use fewer values or another sampler");
    n *= vals.size();
    names_.push_back(name);  // std::map: sorted
    values_.push_back(vals);
  }
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) order_[i] = i;
  // Fisher-Yates with the seeded generator (the modulo bias of a 64-bit draw is negligible here).
  std::mt19937_64 shuffle_rng(seed_or_random(options.seed) ^ 0x9e3779b97f4a7c15ULL);
  for (size_t i = n; i > 1; --i) std::swap(order_[i - 1], order_[shuffle_rng() % i]);
}

std::optional<size_t> GridSampler::grid_id_of_(const FrozenTrial& t) const {
  size_t id = 0, stride = 1;
  for (size_t i = names_.size(); i-- > 0;) {
    auto p = t.params.find(names_[i]);
    auto d = t.distributions.find(names_[i]);
    if (p == t.params.end() || d == t.distributions.end()) return std::nullopt;
    std::optional<size_t> k;
    for (size_t j = 0; j < values_[i].size() && !k; ++j) {
      try {
        if (to_internal(d->second, values_[i][j]) == p->second) k = j;
      } catch (const ConfigError&) {
        // not a value of this distribution: no match
      }
    }
    if (!k) return std::nullopt;
    id += *k * stride;
    stride *= values_[i].size();
  }
  return id;
}

size_t GridSampler::pick_(const StudyView& study, const FrozenTrial& trial) {
  const int64_t me = trial_key(trial);
  std::set<size_t> taken;
  for (const auto& t : study.get_trials()) {  // every state counts, as in Optuna
    if (trial_key(t) == me) continue;
    if (auto id = grid_id_of_(t)) taken.insert(*id);
  }
  for (const auto& [key, id] : assigned_)
    if (key != me) taken.insert(id);
  for (size_t id : order_)
    if (!taken.count(id)) return id;
  if (!warned_exhausted_) {
    warned_exhausted_ = true;
    std::cerr << "[autoglm] sampler 'grid': all " << order_.size() << " grid points of study '" << study.study_name()
              << "' are taken; further trials re-visit random grid points (set n_trials to the grid size to run "
                 "each point once)\n";
  }
  return order_[rng_() % order_.size()];
}

double GridSampler::sample_independent(const StudyView& study, const FrozenTrial& trial, const std::string& name,
                                       const Distribution& distribution) {
  auto it = std::find(names_.begin(), names_.end(), name);
  if (it == names_.end()) {
    std::string list;
    for (const auto& n : names_) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError("sampler 'grid': parameter '" + name + "' is not in the grid's search_space (" + list +
                      "); add it to search_space or do not suggest it");
  }
  const size_t dim = static_cast<size_t>(it - names_.begin());
  size_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t key = trial_key(trial);
    auto a = assigned_.find(key);
    if (a == assigned_.end()) a = assigned_.emplace(key, pick_(study, trial)).first;
    id = a->second;
  }
  // Mixed-radix decoding, last name fastest.
  for (size_t i = names_.size(); i-- > dim + 1;) id /= values_[i].size();
  const ParamValue& v = values_[dim][id % values_[dim].size()];
  try {
    return to_internal(distribution, v, name);
  } catch (const ConfigError& e) {
    throw ConfigError(std::string("sampler 'grid': grid value does not fit the suggested distribution: ") + e.what());
  }
}

void GridSampler::after_trial(const StudyView& study, const FrozenTrial& trial, TrialState state,
                              const std::vector<double>& values) {
  (void)study; (void)state; (void)values;
  std::lock_guard<std::mutex> lock(mutex_);
  assigned_.erase(trial_key(trial));  // the trial's params now mark its point as taken
}

bool GridSampler::exhausted(const StudyView& study) {
  std::set<size_t> covered;
  for (const auto& t : *study.finished_trials_snapshot())
    if (auto id = grid_id_of_(t)) covered.insert(*id);
  if (covered.size() < order_.size())
    for (const auto& t : study.get_trials(std::vector<TrialState>{TrialState::RUNNING}))
      if (auto id = grid_id_of_(t)) covered.insert(*id);
  return covered.size() == order_.size();
}

void GridSampler::reseed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  rng_.seed(seed);
}

std::unique_ptr<Sampler> make_grid_sampler(const nlohmann::json& options) {
  OptionReader r(options, "sampler 'grid'");
  GridSamplerOptions o;
  o.seed = r.get_optional<uint64_t>("seed");
  if (!r.has("search_space")) {
    (void)r.get_optional<nlohmann::json>("search_space");
    r.finish();
    r.fail("search_space", "is required: a mapping of parameter names to lists of values, e.g. {lr: [0.001, 0.01]}");
  }
  const nlohmann::json& ss = r.raw("search_space");
  r.finish();
  if (!ss.is_object()) r.fail("search_space", "must be a mapping of parameter names to lists of values, got " + ss.dump());
  for (const auto& [name, vals] : ss.items()) {
    if (!vals.is_array()) r.fail("search_space", "'" + name + "' must be a list of values, got " + vals.dump());
    std::vector<ParamValue> out;
    for (const auto& v : vals) out.push_back(param_value_from_json(v));
    o.search_space[name] = std::move(out);
  }
  return std::make_unique<GridSampler>(std::move(o));
}

}  // namespace autoglm
