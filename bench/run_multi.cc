// Suite M (multi-objective quality) for our samplers, the check of the multi-objective problems,
// and the multi-objective part of suite F (hypervolume and non-dominated sorting timings).
//
// Suite M row (one JSON line per evaluation; optuna_runner.py writes the same):
//   {"kind": "mo_trial", "suite": "M", "optimizer", "problem", "dim", "n_objectives", "seed",
//    "budget", "trial", "values": [f_0, ..., f_{M-1}], "hv", "hv_gap", "suggest_s", "tell_s"}
// hv: autoglm::hypervolume (pareto.h) of every objective vector evaluated so far (trials
// 0..trial), with respect to the problem's published reference point (objectives.h,
// REFERENCE.md "Multi-objective test problems"); vectors not strictly inside the reference box
// contribute nothing, dominated ones change nothing, so this is the hypervolume of the
// non-dominated set within the box. hv_gap = max(HV* - hv, 1e-12), HV* = max_hypervolume. Both
// runners compute hv with the same C++ function on the full list of values (Optuna's side
// through autoglm_hypervolume of libautoglm_bench_objectives.so), so the metric is identical.
// suggest_s: ask() plus the d suggest_float calls; tell_s: tell() with the M values.
//
// Multi-objective overhead row:
//   {"kind": "mo_overhead", "impl": "ours", "task": "hv" | "nds", "function", "points", "n", "m",
//    "repeats", "ms" (median over repeats), "ms_min", "ms_mean", "times_ms", "result",
//    "target_ms"}
// task "hv": autoglm::hypervolume of n points (mo_overhead_points(points, n, m, seed)) with the
// reference point `ref` per objective; result = the hypervolume. task "nds":
// autoglm::non_dominated_ranks of n points; result = the number of fronts. Times are wall clock
// (steady_clock) of the call alone, in milliseconds; the point set is built outside the timing.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <set>

#include "autoglm/error.h"
#include "autoglm/objectives.h"
#include "autoglm/pareto.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "bench.h"
#include "problems.h"

namespace autoglm::bench {
namespace {

bool is_optuna(const std::string& optimizer) { return optimizer.rfind("optuna-", 0) == 0; }

// The make_sampler spec of one of our suite-M optimizers: plan.multi_specs[optimizer], else
// {"name": optimizer}; plus the seed.
nlohmann::json sampler_spec(const Plan& plan, const std::string& optimizer, int64_t seed) {
  nlohmann::json spec = plan.multi_specs.contains(optimizer) ? plan.multi_specs[optimizer]
                                                            : nlohmann::json{{"name", optimizer}};
  spec["seed"] = seed;
  return spec;
}

std::vector<nlohmann::json> run_one(const Plan& plan, const std::string& optimizer, const MultiCell& cell,
                                    const objectives::MultiProblem& problem) {
  CreateStudyOptions options;
  options.storage = open_storage(":memory:");
  options.study_name = "bench-mo";
  options.directions.assign(static_cast<size_t>(problem.n_objectives), StudyDirection::MINIMIZE);
  options.sampler = make_sampler(sampler_spec(plan, optimizer, cell.seed));
  options.pruner = make_pruner("nop");
  auto study = create_study(std::move(options));

  std::vector<std::string> names;
  for (int j = 0; j < problem.dim; ++j) names.push_back("x" + std::to_string(j));
  std::vector<std::vector<double>> seen;  // every objective vector so far
  std::vector<nlohmann::json> rows;
  std::vector<double> x(static_cast<size_t>(problem.dim));
  for (int t = 0; t < cell.budget; ++t) {
    const auto t0 = SteadyClock::now();
    Trial trial = study->ask();
    for (int j = 0; j < problem.dim; ++j) x[j] = trial.suggest_float(names[j], problem.low[j], problem.high[j]);
    const auto t1 = SteadyClock::now();
    const std::vector<double> values = problem(x);
    const auto t2 = SteadyClock::now();
    study->tell(trial.number(), TrialState::COMPLETE, values);
    const auto t3 = SteadyClock::now();
    seen.push_back(values);
    const double hv = hypervolume(seen, problem.reference_point);
    if (hv > problem.max_hypervolume * (1 + 1e-9))
      throw Error(cell.problem + " (d=" + std::to_string(cell.dim) + ", M=" + std::to_string(cell.n_objectives) +
                  ", seed " + std::to_string(cell.seed) + "): " + optimizer + " reached hypervolume " +
                  std::to_string(hv) + " above HV* = " + std::to_string(problem.max_hypervolume) +
                  "; the published HV* is wrong");
    rows.push_back({{"kind", "mo_trial"},
                    {"suite", cell.suite},
                    {"optimizer", optimizer},
                    {"problem", cell.problem},
                    {"dim", cell.dim},
                    {"n_objectives", cell.n_objectives},
                    {"seed", cell.seed},
                    {"budget", cell.budget},
                    {"trial", t},
                    {"values", values},
                    {"hv", hv},
                    {"hv_gap", std::max(problem.max_hypervolume - hv, kRegretFloor)},
                    {"suggest_s", seconds_between(t0, t1)},
                    {"tell_s", seconds_between(t2, t3)}});
  }
  return rows;
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

int run_multi_check(const Plan& plan) {
  std::set<std::tuple<std::string, int, int>> seen;
  int checked = 0, failed = 0;
  for (const MultiCell& c : plan.multi_cells) {
    if (!seen.insert({c.problem, c.dim, c.n_objectives}).second) continue;
    const std::string msg = check_multi_problem(objectives::make_multi_problem(c.problem, c.dim, c.n_objectives));
    ++checked;
    if (!msg.empty()) {
      std::cerr << "autoglm-bench check: " << msg << "\n";
      ++failed;
    }
  }
  if (checked)
    std::cout << "autoglm-bench check: reference point and HV* consistent with the true front for "
              << (checked - failed) << " of " << checked << " multi-objective problems of mode '" << plan.mode
              << "'\n";
  return failed ? 1 : 0;
}

int run_multi_quality(const Plan& plan, const Done& done, JsonlWriter& out, int shard, int n_shards,
                      const std::vector<std::string>& only_optimizers) {
  if (plan.multi_cells.empty()) return 0;
  std::vector<std::string> optimizers;
  for (const auto& o : plan.multi_optimizers) {
    if (is_optuna(o)) continue;
    if (!only_optimizers.empty() && std::find(only_optimizers.begin(), only_optimizers.end(), o) == only_optimizers.end())
      continue;
    const std::string name = sampler_spec(plan, o, 0).value("name", o);
    if (!sampler_registered(name)) {
      std::cerr << "autoglm-bench: warning: sampler '" << name << "' (suite M optimizer '" << o
                << "') is not registered; skipped\n";
      continue;
    }
    optimizers.push_back(o);
  }
  int ran = 0, skipped = 0;
  const auto start = SteadyClock::now();
  // Cells are numbered after the single-objective ones, so the shards stay balanced.
  const size_t offset = plan.cells.size();
  for (size_t i = 0; i < plan.multi_cells.size(); ++i) {
    if (static_cast<int>((i + offset) % static_cast<size_t>(n_shards)) != shard) continue;
    const MultiCell& cell = plan.multi_cells[i];
    const objectives::MultiProblem problem = objectives::make_multi_problem(cell.problem, cell.dim, cell.n_objectives);
    for (const auto& o : optimizers) {
      const nlohmann::json skip_key = {o, cell.problem, cell.dim, cell.n_objectives};
      if (std::find(plan.multi_skip.begin(), plan.multi_skip.end(), skip_key) != plan.multi_skip.end()) continue;
      if (done.cell_done(o, cell)) {
        ++skipped;
        continue;
      }
      out.write_block(run_one(plan, o, cell, problem));
      ++ran;
    }
  }
  std::cerr << "autoglm-bench quality M (shard " << shard << "/" << n_shards << "): " << ran << " runs, " << skipped
            << " already done, " << seconds_between(start, SteadyClock::now()) << " s\n";
  return 0;
}

int run_mo_overhead(const Plan& plan, const std::string& results_dir, const std::string& out_path) {
  if (plan.mo_overhead.is_null()) return 0;
  const auto& cfg = plan.mo_overhead;
  const int repeats = cfg.value("repeats", 10);
  const uint64_t seed = cfg.value("seed", 0);
  const Done done = scan_results(results_dir);
  JsonlWriter out(out_path);
  for (const auto& task : cfg.at("tasks")) {
    const std::string name = task.at("task"), kind = task.at("points");
    const int n = task.at("n"), m = task.at("m");
    if (done.mo_overhead.count({"ours", name, n, m})) continue;
    if (name != "hv" && name != "nds") throw ConfigError("mo_overhead: unknown task '" + name + "' (hv, nds)");
    const auto points = mo_overhead_points(kind, n, m, seed);
    const std::vector<double> ref(static_cast<size_t>(m), task.value("ref", 1.2));
    std::vector<double> times;
    double result = 0.0;
    for (int r = -1; r < repeats; ++r) {  // one untimed warm-up call
      const auto t0 = SteadyClock::now();
      if (name == "hv") {
        result = hypervolume(points, ref);
      } else {
        const std::vector<int> ranks = non_dominated_ranks(points);
        result = 1.0 + *std::max_element(ranks.begin(), ranks.end());
      }
      const auto t1 = SteadyClock::now();
      if (r >= 0) times.push_back(1e3 * seconds_between(t0, t1));
    }
    nlohmann::json row = {{"kind", "mo_overhead"},
                          {"impl", "ours"},
                          {"task", name},
                          {"function", name == "hv" ? "autoglm::hypervolume" : "autoglm::non_dominated_ranks"},
                          {"points", kind},
                          {"n", n},
                          {"m", m},
                          {"repeats", repeats},
                          {"ms", median_of(times)},
                          {"ms_min", *std::min_element(times.begin(), times.end())},
                          {"ms_mean", std::accumulate(times.begin(), times.end(), 0.0) / times.size()},
                          {"times_ms", times},
                          {"result", result},
                          {"target_ms", task.value("target_ms", 0.0)}};
    if (name == "hv") row["ref"] = ref;
    std::cerr << "autoglm-bench mo_overhead: " << name << " n=" << n << " m=" << m << ": "
              << row["ms"].get<double>() << " ms (median of " << repeats << ")\n";
    out.write(row);
  }
  return 0;
}

}  // namespace autoglm::bench
