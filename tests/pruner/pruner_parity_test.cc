// Parity with Optuna 3.1: replays the histories of tests/data/optuna_pruner_expected.json
// (written by scripts/gen_optuna_pruners.py, which drove Optuna's own pruners through them) and
// requires every pruning decision to equal Optuna's.
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "autoglm/pruner.h"
#include "autoglm/pruners.h"
#include "autoglm/study_view.h"

namespace autoglm {
namespace {

using nlohmann::json;

const json& expected_data() {
  static const json data = [] {
    std::ifstream in(std::string(AUTOGLM_SOURCE_DIR) + "/tests/data/optuna_pruner_expected.json");
    EXPECT_TRUE(in.good()) << "missing tests/data/optuna_pruner_expected.json; run "
                              "/usr/bin/python3 scripts/gen_optuna_pruners.py";
    return in.good() ? json::parse(in) : json::object();
  }();
  return data;
}

double decode(const json& v) {
  if (v.is_number()) return v.get<double>();
  const std::string s = v.get<std::string>();
  if (s == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  ADD_FAILURE() << "bad value " << v.dump();
  return 0.0;
}

/// The pruner of a history's spec, through the registry as a config would build it.
std::unique_ptr<Pruner> make(const json& spec) { return make_pruner(spec); }

struct ReplayResult {
  int decisions = 0;
  int pruned = 0;
  std::vector<std::string> mismatches;
};

/// Replays one history: trials start, report (then the pruner is asked, as should_prune() after
/// every report) and finish in event order; event i happens at time i seconds.
ReplayResult replay(const json& h) {
  ReplayResult r;
  const std::string study_name = h.at("study_name");
  const StudyDirection direction = h.at("direction") == "maximize" ? StudyDirection::MAXIMIZE : StudyDirection::MINIMIZE;
  std::unique_ptr<Pruner> pruner = make(h.at("pruner"));
  std::vector<FrozenTrial> trials;
  const Clock::time_point t0{};
  const json& events = h.at("events");
  for (size_t i = 0; i < events.size(); ++i) {
    const json& e = events[i];
    const std::string op = e.at(0);
    const int number = e.at(1);
    const Clock::time_point now = t0 + std::chrono::seconds(i);
    if (op == "start") {
      EXPECT_EQ(number, static_cast<int>(trials.size()));
      FrozenTrial t;
      t.trial_id = number;
      t.number = number;
      t.state = TrialState::RUNNING;
      t.datetime_start = now;
      trials.push_back(std::move(t));
    } else if (op == "report") {
      FrozenTrial& t = trials.at(number);
      const int64_t step = e.at(2);
      t.intermediate_values.emplace(step, decode(e.at(3)));  // a repeated step keeps the first value
      const bool expected = e.at(4);
      const HistoryView view(study_name, {direction}, trials);
      const bool got = pruner->prune(view, t);
      ++r.decisions;
      r.pruned += expected;
      if (got != expected)
        r.mismatches.push_back("event " + std::to_string(i) + ": trial " + std::to_string(number) + " step " +
                               std::to_string(step) + " value " + e.at(3).dump() + ": Optuna " +
                               (expected ? "prunes" : "keeps") + ", we " + (got ? "prune" : "keep"));
    } else if (op == "finish") {
      FrozenTrial& t = trials.at(number);
      const std::string state = e.at(2);
      t.state = state == "COMPLETE" ? TrialState::COMPLETE : state == "PRUNED" ? TrialState::PRUNED : TrialState::FAIL;
      t.values.clear();
      if (!e.at(3).is_null()) t.values.push_back(decode(e.at(3)));
      t.datetime_complete = now;
    } else {
      ADD_FAILURE() << "unknown event " << e.dump();
    }
  }
  return r;
}

TEST(PrunerParity, EveryDecisionEqualsOptunas) {
  const json& data = expected_data();
  ASSERT_TRUE(data.contains("histories"));
  int total = 0, pruned = 0, histories = 0;
  for (const json& h : data.at("histories")) {
    SCOPED_TRACE(h.at("id").get<std::string>());
    const ReplayResult r = replay(h);
    EXPECT_GT(r.decisions, 0);
    if (h.at("pruner").at("name") != "nop") {
      EXPECT_GT(r.pruned, 0) << "history never prunes: not a useful check";
    }
    EXPECT_TRUE(r.mismatches.empty()) << r.mismatches.size() << " of " << r.decisions
                                      << " decisions differ from Optuna's; first: " << r.mismatches.front();
    for (size_t k = 0; k < r.mismatches.size() && k < 10; ++k) ADD_FAILURE() << r.mismatches[k];
    total += r.decisions;
    pruned += r.pruned;
    ++histories;
  }
  EXPECT_GE(histories, 15);
  EXPECT_GE(total, 5000);
  std::printf("[ parity   ] %d histories, %d decisions compared with Optuna %s (%d prune)\n", histories, total,
              data.value("optuna_version", std::string("?")).c_str(), pruned);
}

TEST(PrunerParity, HyperbandBracketsEqualOptunas) {
  const json& data = expected_data();
  ASSERT_TRUE(data.contains("hyperband_brackets"));
  for (const json& c : data.at("hyperband_brackets")) {
    HyperbandPrunerOptions o;
    o.min_resource = c.at("min_resource");
    o.max_resource = c.at("max_resource").get<int64_t>();
    o.reduction_factor = c.at("reduction_factor");
    const HyperbandPruner pruner(o);
    const std::string name = c.at("study_name");
    SCOPED_TRACE(name);
    EXPECT_EQ(pruner.n_brackets(*o.max_resource), c.at("n_brackets").get<int>());
    const json& ids = c.at("bracket_ids");
    for (size_t n = 0; n < ids.size(); ++n)
      EXPECT_EQ(pruner.bracket_id(name, static_cast<int>(n), *o.max_resource), ids[n].get<int>()) << "trial " << n;
  }
}

}  // namespace
}  // namespace autoglm
