// dashboard_fixtures: writes the dashboard's fixture studies (tests/dashboard/fixtures.h) into a
// storage, for the browser tests (tests/e2e/browser) and the dashboard benchmark (bench/dashboard.sh).
// Usage: dashboard_fixtures STORAGE_URL [--large NAME N | --append NAME K]
//   (no flag)     the fixture studies
//   --large N     a study NAME with N COMPLETE trials (testing_util::write_large_study)
//   --append K    K more COMPLETE trials in the existing study NAME, each a copy of its last
//                 COMPLETE trial (same params) with half its values, started and finished now
//                 (the browser tests' live-update writer)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dashboard/fixtures.h"

namespace {

void append_trials(autoglm::Storage& storage, const std::string& name, int k) {
  const int64_t study = storage.get_study_id_from_name(name);
  const auto complete = storage.get_all_trials(study, std::vector<autoglm::TrialState>{autoglm::TrialState::COMPLETE});
  if (complete.empty()) throw std::runtime_error("study '" + name + "' has no COMPLETE trial to copy");
  autoglm::FrozenTrial t = complete.back();
  for (int i = 0; i < k; ++i) {
    t.trial_id = -1;
    t.number = -1;
    t.state = autoglm::TrialState::COMPLETE;
    for (double& v : t.values) v *= 0.5;
    t.intermediate_values.clear();
    t.datetime_start = autoglm::Clock::now() - std::chrono::milliseconds(200);
    t.datetime_complete = autoglm::Clock::now();
    t.last_heartbeat.reset();
    storage.create_new_trial(study, t);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 5 ? argv[2] : "";
  if (argc != 2 && !(argc == 5 && (mode == "--large" || mode == "--append"))) {
    std::cerr << "usage: dashboard_fixtures STORAGE_URL [--large NAME N | --append NAME K]\n";
    return 2;
  }
  try {
    auto storage = autoglm::open_storage(argv[1]);
    if (mode == "--large")
      testing_util::write_large_study(*storage, argv[3], std::atoi(argv[4]));
    else if (mode == "--append")
      append_trials(*storage, argv[3], std::atoi(argv[4]));
    else
      testing_util::write_dashboard_fixtures(*storage);
  } catch (const std::exception& e) {
    std::cerr << "dashboard_fixtures: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
