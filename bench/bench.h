// Shared pieces of autoglm-bench: the run plan read from bench/suites.json, the JSON-lines
// writer, the resume bookkeeping (which cells a results folder already holds) and timers.
//
// The plan is the single definition of what a mode runs; optuna_runner.py reads the same file,
// so every optimizer gets the same problems, budgets and seeds.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

namespace autoglm::bench {

/// One quality cell: a problem of a suite with a budget, run for one seed.
struct Cell {
  std::string suite;    ///< "A", "B", "C".
  std::string problem;  ///< "branin", "rosenbrock", "hartmann6_mixed", ...
  int dim = 0;          ///< Dimension (fixed functions: their own).
  int budget = 0;       ///< Evaluations.
  int64_t seed = 0;     ///< Shift seed = sampler seed.
};

/// One cell of the multi-objective suite M (the "multi" mapping of a mode): a problem of
/// objectives::make_multi_problem (unshifted: ZDT/DTLZ are defined on [0, 1]^d only) with M
/// objectives, a budget, run for one sampler seed.
struct MultiCell {
  std::string suite = "M";
  std::string problem;   ///< "zdt1", "zdt2", "zdt3", "dtlz2".
  int dim = 0;           ///< d.
  int n_objectives = 2;  ///< M.
  int budget = 0;        ///< Evaluations.
  int64_t seed = 0;      ///< Sampler seed.
};

struct Plan {
  std::string mode;
  std::vector<std::string> optimizers;  ///< Every optimizer of the mode (ours, Optuna's, dlib).
  /// Cells in the canonical order (group, problem, seed); shard k of N takes index % N == k.
  std::vector<Cell> cells;
  nlohmann::json overhead;  ///< The "overhead" mapping of the mode, or null.
  nlohmann::json e2e;       ///< The "e2e" mapping of the mode, or null.
  /// Suite M: its optimizers (ours and Optuna's, e.g. "tpe-mv", "optuna-nsga2"), the sampler
  /// spec of each of ours (make_sampler JSON without the seed; default {"name": optimizer}) and
  /// its cells in canonical order (problem, seed). Empty when the mode has no "multi" mapping.
  std::vector<std::string> multi_optimizers;
  nlohmann::json multi_specs = nlohmann::json::object();
  /// Suite M cells not to run: [optimizer, problem, dim, n_objectives] entries ("skip").
  nlohmann::json multi_skip = nlohmann::json::array();
  std::vector<MultiCell> multi_cells;
  /// The "mo_overhead" mapping of the mode (hypervolume / non-dominated sorting timings), or null.
  nlohmann::json mo_overhead;
};

/// Reads mode `mode` of the suites file. Throws autoglm::ConfigError on a malformed file.
Plan load_plan(const std::string& path, const std::string& mode);

/// Keys of finished work found in the *.jsonl files of a results folder.
struct Done {
  /// (optimizer, problem, dim, seed, budget) -> trial indices present.
  std::map<std::tuple<std::string, std::string, int, int64_t, int>, std::set<int>> trials;
  /// (optimizer, n, d) rows of the overhead measurement.
  std::set<std::tuple<std::string, int, int>> overhead;
  /// (optimizer, n, d) rows of the end-to-end study.
  std::set<std::tuple<std::string, int, int>> e2e;
  /// Suite M: (optimizer, problem, dim, n_objectives, seed, budget) -> trial indices present.
  std::map<std::tuple<std::string, std::string, int, int, int64_t, int>, std::set<int>> mo_trials;
  /// (impl, task, n, m) rows of the multi-objective overhead measurement.
  std::set<std::tuple<std::string, std::string, int, int>> mo_overhead;

  bool cell_done(const std::string& optimizer, const Cell& c) const;
  bool cell_done(const std::string& optimizer, const MultiCell& c) const;
};
/// Scans dir/*.jsonl (malformed lines, e.g. the last line of an interrupted write, are ignored);
/// only the file dir/only_file when given.
Done scan_results(const std::string& dir, const std::string& only_file = "");

/// Appends JSON lines to a file; write_block writes several lines with one fwrite + fflush, so a
/// cell's rows land together.
class JsonlWriter {
 public:
  explicit JsonlWriter(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;
  void write(const nlohmann::json& row) { write_block({row}); }
  void write_block(const std::vector<nlohmann::json>& rows);

 private:
  std::FILE* file_ = nullptr;
};

using SteadyClock = std::chrono::steady_clock;
inline double seconds_between(SteadyClock::time_point a, SteadyClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

/// Regret floor of the benchmark statistics (REFERENCE.md).
inline constexpr double kRegretFloor = 1e-12;

/// The name of our default sampler: "auto" when registered, else "tpe" (with a warning on
/// stderr, once).
std::string default_sampler_name();
/// True when make_sampler knows `name`.
bool sampler_registered(const std::string& name);

/// Peak resident set size of this process (getrusage ru_maxrss), kilobytes.
long peak_rss_kb();
/// Current resident set size (/proc/self/statm), kilobytes.
long current_rss_kb();
/// CPU time of this process (user + system, all threads), seconds.
double process_cpu_seconds();
/// The first three fields of /proc/loadavg ("1.02 0.87 0.55"), or "" when unreadable.
std::string load_average();

// Sub-commands (run_quality.cc, run_overhead.cc).
int run_check(const Plan& plan);
int run_quality(const Plan& plan, const std::string& results_dir, const std::string& out_path, int shard,
                int n_shards, const std::vector<std::string>& only_optimizers);
int run_overhead(const Plan& plan, const std::string& results_dir, const std::string& out_path);
int run_e2e(const Plan& plan, const std::string& results_dir, const std::string& out_path);
// Suite M and the multi-objective overhead (run_multi.cc).
int run_multi_check(const Plan& plan);
int run_multi_quality(const Plan& plan, const Done& done, JsonlWriter& out, int shard, int n_shards,
                      const std::vector<std::string>& only_optimizers);
int run_mo_overhead(const Plan& plan, const std::string& results_dir, const std::string& out_path);

}  // namespace autoglm::bench
