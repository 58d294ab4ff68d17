// autoglm-importance-bench: times evaluate_importance (fANOVA, fANOVA with interactions,
// PED-ANOVA) on a study file written by bench/importance_optuna.py (the same trials Optuna is
// timed on), and prints one JSON object: best-of-`repeats` seconds and the importances.
//
//   autoglm-importance-bench STUDY.json [repeats=5]
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/importance.h"
#include "common/importance_study_json.h"

using namespace autoglm;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: autoglm-importance-bench STUDY.json [repeats]\n";
    return 2;
  }
  const int repeats = argc > 2 ? std::max(1, std::stoi(argv[2])) : 5;
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "cannot read " << argv[1] << "\n";
    return 2;
  }
  const nlohmann::json j = nlohmann::json::parse(in);
  const std::vector<StudyDirection> dirs = testing_util::directions_from_json(j.at("directions"));
  const std::vector<FrozenTrial> trials = testing_util::trials_from_json(j.at("trials"));

  nlohmann::json out;
  out["n_trials"] = trials.size();
  out["n_params"] = trials.empty() ? 0 : trials[0].params.size();
  out["hardware_threads"] = std::thread::hardware_concurrency();
  out["repeats"] = repeats;
  auto run = [&](const std::string& key, ImportanceOptions o) {
    double best = std::numeric_limits<double>::infinity();
    ImportanceResult r;
    for (int k = 0; k < repeats; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      r = evaluate_importance(trials, dirs, o);
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    out[key + "_s"] = best;
    out[key] = nlohmann::json::array();
    for (const auto& [name, v] : r.importances) out[key].push_back({name, v});
  };
  ImportanceOptions fanova;
  run("fanova", fanova);
  fanova.interactions = true;
  run("fanova_interactions", fanova);
  ImportanceOptions ped;
  ped.evaluator = ImportanceEvaluator::PED_ANOVA;
  run("ped_anova", ped);
  ped.interactions = true;
  run("ped_anova_interactions", ped);
  std::cout << out.dump() << std::endl;
  return 0;
}
