// Reads the study files that scripts/gen_importance_expected.py and bench/importance_optuna.py
// write (trials exported from Optuna 3.1: number, state, values, internal params, Optuna-style
// distribution JSON) into FrozenTrials. Shared by the importance parity test and benchmark.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/frozen_trial.h"

namespace testing_util {

/// `directions`: a JSON array of "minimize"/"maximize".
inline std::vector<autoglm::StudyDirection> directions_from_json(const nlohmann::json& directions) {
  std::vector<autoglm::StudyDirection> out;
  for (const auto& d : directions) out.push_back(autoglm::study_direction_from_string(d.get<std::string>()));
  return out;
}

/// `trials`: a JSON array of {"number", "state", "values", "params", "distributions"}.
inline std::vector<autoglm::FrozenTrial> trials_from_json(const nlohmann::json& trials) {
  std::vector<autoglm::FrozenTrial> out;
  for (const auto& t : trials) {
    autoglm::FrozenTrial f;
    f.number = t.at("number");
    f.trial_id = f.number;
    f.state = autoglm::trial_state_from_string(t.at("state"));
    f.values = t.at("values").get<std::vector<double>>();
    for (const auto& [k, v] : t.at("params").items()) f.params[k] = v.get<double>();
    for (const auto& [k, d] : t.at("distributions").items()) f.distributions.emplace(k, autoglm::distribution_from_json(d));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace testing_util
