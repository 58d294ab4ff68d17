// Fixture studies for the dashboard's API, browser and benchmark runs: written through the
// Storage interface with fixed contents (seeded), so tests can assert exact counts.
//
//  kSingleStudy   (minimize, objective name "loss"): 60 trials numbered 0..59 —
//                 50 COMPLETE, 5 PRUNED (numbers 10, 20, 30, 40, 50; stopped at step 3 + k), 3
//                 FAIL (15, 25, 35; system attr fail_reason), 1 RUNNING (58, heartbeat now,
//                 worker attrs, gpus [1]) and 1 WAITING (59). Params: x float [-5, 5],
//                 y int [0, 10], lr float [1e-5, 1e-1] log, opt categorical
//                 ["adam", "sgd", "<script>alert(1)</script>"]. value = (x - 1)^2 + 0.1 y + noise
//                 (x dominates). Every COMPLETE/PRUNED trial has intermediate values at steps 0..9
//                 (PRUNED: 0..its stop step). User attrs on every trial: "tag" = an HTML snippet
//                 with a quote and Unicode; study user attr "owner" likewise. Start times one
//                 second apart from kFixtureEpoch; duration 0.5 s + number ms.
//  kMultiStudy    (minimize, maximize; objective names "error", "accuracy"): 40 trials — 37
//                 COMPLETE, 2 FAIL (numbers 5, 17), 1 PRUNED (number 9). Params a, b float [0, 1].
//                 values = (a, 1 - a^2 + 0.1 b) style trade-off so the front has several points.
//  large study    (write_large_study): N COMPLETE trials, 10 float params, minimize,
//                 intermediate values at 5 steps for every 10th trial.
#pragma once

#include <string>

#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace testing_util {

/// Unicode and HTML in a name: what the dashboard must escape.
inline const std::string kSingleStudy = "quadratic <b>&amp;</b> \"Ünïcødé\" 学习率";
inline const std::string kMultiStudy = "pareto-two";
inline constexpr int kSingleTrials = 60;
inline constexpr int kSingleComplete = 50;
inline constexpr int kSinglePruned = 5;
inline constexpr int kSingleFail = 3;
inline constexpr int kMultiTrials = 40;
inline constexpr int kMultiComplete = 37;
/// 2026-01-01T00:00:00Z.
autoglm::Clock::time_point fixture_epoch();

/// Writes kSingleStudy and kMultiStudy (throws if they exist).
void write_dashboard_fixtures(autoglm::Storage& storage);
/// Writes a study called `name` with `n_trials` COMPLETE trials (10 params x0..x9 in [0, 1],
/// value = sum_k (k + 1) x_k^2 + noise; every 10th trial has intermediate values at steps 0..4).
/// Uses one create_new_trial per trial (template with everything), so 10,000 trials take ~1 s
/// on SQLite.
void write_large_study(autoglm::Storage& storage, const std::string& name, int n_trials);

}  // namespace testing_util
