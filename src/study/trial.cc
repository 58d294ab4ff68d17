#include "autoglm/trial.h"

#include <cmath>

#include "autoglm/error.h"
#include "autoglm/study.h"

namespace autoglm {

Trial::Trial(Study* study, int64_t trial_id) : study_(study), trial_id_(trial_id) {
  FrozenTrial t = study_->storage_->get_trial(trial_id);
  number_ = t.number;
  if (auto it = t.system_attrs.find("fixed_params"); it != t.system_attrs.end() && it->second.is_object())
    for (const auto& [k, v] : it->second.items()) fixed_params_.emplace(k, param_value_from_json(v));
  for (const auto& [k, v] : t.params) cache_.emplace(k, std::make_pair(v, t.distributions.at(k)));
}

ParamValue Trial::suggest(const std::string& name, const Distribution& distribution) {
  validate_distribution(distribution, name);
  if (auto it = cache_.find(name); it != cache_.end()) {
    if (!(it->second.second == distribution))
      throw ConfigError("parameter '" + name + "' was already suggested in trial " + std::to_string(number_) + " as " +
                        to_string(it->second.second) + " and is now suggested as " + to_string(distribution) +
                        "; use one distribution per parameter name");
    return to_external(distribution, it->second.first);
  }
  double internal;
  if (auto f = fixed_params_.find(name); f != fixed_params_.end()) {
    internal = to_internal(distribution, f->second, name);
  } else if (auto r = relative_params_.find(name);
             r != relative_params_.end() && relative_space_.count(name) && relative_space_.at(name) == distribution) {
    internal = r->second;
  } else if (is_single(distribution)) {
    internal = std::visit(
        [](const auto& d) -> double {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, CategoricalDistribution>) return 0.0;
          else return static_cast<double>(d.low);
        },
        distribution);
  } else {
    FrozenTrial partial;
    partial.trial_id = trial_id_;
    partial.number = number_;
    partial.state = TrialState::RUNNING;
    for (const auto& [k, v] : cache_) {
      partial.params.emplace(k, v.first);
      partial.distributions.emplace(k, v.second);
    }
    std::lock_guard lock(study_->sampler_mutex_);
    internal = study_->sampler_->sample_independent(*study_, partial, name, distribution);
  }
  study_->storage_->set_trial_param(trial_id_, name, internal, distribution);
  cache_.emplace(name, std::make_pair(internal, distribution));
  return to_external(distribution, internal);
}

double Trial::suggest_float(const std::string& name, double low, double high, bool log, std::optional<double> step) {
  return std::get<double>(suggest(name, FloatDistribution{low, high, log, step}));
}

int64_t Trial::suggest_int(const std::string& name, int64_t low, int64_t high, int64_t step, bool log) {
  return std::get<int64_t>(suggest(name, IntDistribution{low, high, log, step}));
}

ParamValue Trial::suggest_categorical(const std::string& name, const std::vector<ParamValue>& choices) {
  return suggest(name, CategoricalDistribution{choices});
}

std::string Trial::suggest_categorical(const std::string& name, const std::vector<std::string>& choices) {
  std::vector<ParamValue> c(choices.begin(), choices.end());
  return std::get<std::string>(suggest(name, CategoricalDistribution{c}));
}

void Trial::report(double value, int64_t step) {
  if (study_->directions_.size() > 1)
    throw ConfigError("trial.report is not supported for multi-objective studies (as in Optuna); report only the final values");
  if (step < 0) throw ConfigError("trial.report: step must be >= 0, got " + std::to_string(step));
  if (!reported_steps_.insert(step).second) return;  // Optuna keeps the first value of a step
  study_->storage_->set_trial_intermediate_value(trial_id_, step, value);
}

bool Trial::should_prune() {
  if (study_->directions_.size() > 1)
    throw ConfigError("trial.should_prune is not supported for multi-objective studies (as in Optuna)");
  FrozenTrial t = study_->storage_->get_trial(trial_id_);
  return study_->pruner_->prune(*study_, t);
}

void Trial::set_user_attr(const std::string& key, const nlohmann::json& value) {
  study_->storage_->set_trial_user_attr(trial_id_, key, value);
}

void Trial::set_system_attr(const std::string& key, const nlohmann::json& value) {
  study_->storage_->set_trial_system_attr(trial_id_, key, value);
}

std::map<std::string, ParamValue> Trial::params() const {
  std::map<std::string, ParamValue> out;
  for (const auto& [k, v] : cache_) out.emplace(k, to_external(v.second, v.first));
  return out;
}

FrozenTrial Trial::snapshot() const { return study_->storage_->get_trial(trial_id_); }

}  // namespace autoglm
