// Quality suites A/B/C for our samplers (autoglm::Study, in-memory storage, ask/tell) and for
// dlib's find_min_global, and the f(x*) = f* check that precedes every run.
//
// Row format (one JSON line per evaluation; optuna_runner.py writes the same):
//   {"kind": "trial", "suite", "optimizer", "problem", "dim", "seed", "budget", "trial", "value",
//    "best", "regret", "suggest_s", "tell_s"}
// regret = best-so-far f - f*, floored at 1e-12. suggest_s: ours, ask() plus every suggest_*
// call of the trial; dlib, the time from the end of the previous evaluation to the start of this
// one (dlib's own work between calls). tell_s: ours, tell(); dlib, 0 (inside suggest_s).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include <dlib/global_optimization.h>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "bench.h"
#include "problems.h"

namespace autoglm::bench {
namespace {

bool is_ours(const std::string& optimizer) {
  return optimizer.rfind("optuna-", 0) != 0 && optimizer != "dlib";
}

// Builds rows for one evaluation; keeps the best-so-far.
struct RowMaker {
  const Cell& cell;
  const std::string& optimizer;
  double f_star;
  double best = INFINITY;
  std::vector<nlohmann::json> rows;

  void add(int trial, double value, double suggest_s, double tell_s) {
    best = std::min(best, value);
    const double tol = 1e-6 * std::max(1.0, std::abs(f_star));
    if (best < f_star - tol)
      throw Error(cell.problem + " (d=" + std::to_string(cell.dim) + ", seed " + std::to_string(cell.seed) +
                  "): " + optimizer + " found f = " + std::to_string(best) + " below f* = " + std::to_string(f_star) +
                  "; the known optimum is wrong");
    rows.push_back({{"kind", "trial"},      {"suite", cell.suite},   {"optimizer", optimizer},
                    {"problem", cell.problem}, {"dim", cell.dim},     {"seed", cell.seed},
                    {"budget", cell.budget},   {"trial", trial},      {"value", value},
                    {"best", best},            {"regret", std::max(best - f_star, kRegretFloor)},
                    {"suggest_s", suggest_s},  {"tell_s", tell_s}});
  }
};

std::vector<nlohmann::json> run_ours(const std::string& optimizer, const Cell& cell, const BenchProblem& problem) {
  CreateStudyOptions options;
  options.storage = open_storage(":memory:");
  options.study_name = "bench";
  options.sampler = make_sampler({{"name", optimizer}, {"seed", cell.seed}});
  options.pruner = make_pruner("nop");
  auto study = create_study(std::move(options));

  RowMaker rows{cell, optimizer, problem.optimum_value};
  std::vector<std::string> choices;
  std::vector<double> x(problem.params.size());
  for (int t = 0; t < cell.budget; ++t) {
    const auto t0 = SteadyClock::now();
    Trial trial = study->ask();
    for (size_t j = 0; j < problem.params.size(); ++j) {
      const BenchParam& p = problem.params[j];
      switch (p.kind) {
        case ParamKind::kFloat:
          x[j] = trial.suggest_float(p.name, p.low, p.high);
          break;
        case ParamKind::kInt:
          x[j] = static_cast<double>(
              trial.suggest_int(p.name, static_cast<int64_t>(p.low), static_cast<int64_t>(p.high)));
          break;
        case ParamKind::kCategorical: {
          const std::string c = trial.suggest_categorical(p.name, p.choices);
          x[j] = static_cast<double>(std::find(p.choices.begin(), p.choices.end(), c) - p.choices.begin());
          break;
        }
      }
    }
    const auto t1 = SteadyClock::now();
    const double value = problem(x);
    const auto t2 = SteadyClock::now();
    study->tell(trial, value);
    const auto t3 = SteadyClock::now();
    rows.add(t, value, seconds_between(t0, t1), seconds_between(t2, t3));
  }
  return std::move(rows.rows);
}

// dlib's find_min_global with max_function_calls = budget. Integers through is_integer_variable;
// a categorical parameter is an integer variable over its choice indices (an ordinal encoding:
// dlib has no categorical type).
std::vector<nlohmann::json> run_dlib(const Cell& cell, const BenchProblem& problem) {
  const long n = static_cast<long>(problem.params.size());
  dlib::matrix<double, 0, 1> low(n), high(n);
  std::vector<bool> is_integer(static_cast<size_t>(n));
  for (long j = 0; j < n; ++j) {
    const BenchParam& p = problem.params[static_cast<size_t>(j)];
    low(j) = p.low;
    high(j) = p.high;
    is_integer[static_cast<size_t>(j)] = p.kind != ParamKind::kFloat;
  }
  const std::string optimizer = "dlib";
  RowMaker rows{cell, optimizer, problem.optimum_value};
  int calls = 0;
  std::vector<double> x(static_cast<size_t>(n));
  auto last = SteadyClock::now();
  auto f = [&](const dlib::matrix<double, 0, 1>& m) -> double {
    const auto t_in = SteadyClock::now();
    for (long j = 0; j < n; ++j)
      x[static_cast<size_t>(j)] = is_integer[static_cast<size_t>(j)] ? std::round(m(j)) : m(j);
    const double value = problem(x);
    if (calls < cell.budget) rows.add(calls, value, seconds_between(last, t_in), 0.0);
    ++calls;
    last = SteadyClock::now();
    return value;
  };
  dlib::find_min_global(f, low, high, is_integer, dlib::max_function_calls(static_cast<size_t>(cell.budget)));
  if (calls != cell.budget)
    throw Error("dlib made " + std::to_string(calls) + " calls on " + cell.problem + ", expected " +
                std::to_string(cell.budget));
  return std::move(rows.rows);
}

}  // namespace

int run_check(const Plan& plan) {
  std::set<std::tuple<std::string, int, int64_t>> seen;
  int checked = 0, failed = 0;
  for (const Cell& c : plan.cells) {
    for (int64_t seed : {int64_t{-1}, c.seed}) {
      if (!seen.insert({c.problem, c.dim, seed}).second) continue;
      const BenchProblem p = make_bench_problem(c.problem, c.dim, seed);
      const std::string msg = check_optimum(p);
      ++checked;
      if (!msg.empty()) {
        std::cerr << "autoglm-bench check: " << msg << "\n";
        ++failed;
      }
    }
  }
  std::cout << "autoglm-bench check: f(x*) = f* for " << (checked - failed) << " of " << checked
            << " (problem, seed) pairs of mode '" << plan.mode << "'\n";
  return failed ? 1 : 0;
}

int run_quality(const Plan& plan, const std::string& results_dir, const std::string& out_path, int shard,
                int n_shards, const std::vector<std::string>& only_optimizers) {
  std::vector<std::string> optimizers;
  for (const auto& o : plan.optimizers) {
    if (!is_ours(o) && o != "dlib") continue;
    if (!only_optimizers.empty() && std::find(only_optimizers.begin(), only_optimizers.end(), o) == only_optimizers.end())
      continue;
    if (o == "auto" && default_sampler_name() != "auto") continue;  // warned once
    if (is_ours(o) && !sampler_registered(o)) {
      std::cerr << "autoglm-bench: warning: sampler '" << o << "' is not registered; skipped\n";
      continue;
    }
    optimizers.push_back(o);
  }
  const Done done = scan_results(results_dir);
  JsonlWriter out(out_path);
  int ran = 0, skipped = 0;
  const auto start = SteadyClock::now();
  for (size_t i = 0; i < plan.cells.size(); ++i) {
    if (static_cast<int>(i % static_cast<size_t>(n_shards)) != shard) continue;
    const Cell& cell = plan.cells[i];
    const BenchProblem problem = make_bench_problem(cell.problem, cell.dim, cell.seed);
    if (const std::string msg = check_optimum(problem); !msg.empty()) {
      std::cerr << "autoglm-bench: " << msg << "\n";
      return 1;
    }
    for (const auto& o : optimizers) {
      if (done.cell_done(o, cell)) {
        ++skipped;
        continue;
      }
      out.write_block(o == "dlib" ? run_dlib(cell, problem) : run_ours(o, cell, problem));
      ++ran;
    }
  }
  std::cerr << "autoglm-bench quality (shard " << shard << "/" << n_shards << "): " << ran << " runs, " << skipped
            << " already done, " << seconds_between(start, SteadyClock::now()) << " s\n";
  // Suite M (run_multi.cc), same shard, same output file.
  return run_multi_quality(plan, done, out, shard, n_shards, only_optimizers);
}

}  // namespace autoglm::bench
