// Suite F for our samplers: time per trial at n trials already in the study, and a whole study
// end to end with its peak memory.
//
// overhead: for each sampler, n and d, a study on the sphere (trivial objective, in-memory
// storage) is prefilled with n COMPLETE trials of uniformly random parameters (written through
// the storage with a template trial, as Optuna's study.add_trials does); after one untimed
// warm-up trial, `window` trials run through ask + suggest_float x d + tell, each timed. Row:
//   {"kind": "overhead", "impl": "ours", "optimizer", "n", "d", "window", "ms_per_trial" (mean
//    of ask+suggest+tell), "median_ms", "suggest_ms" (mean of ask+suggest), "tell_ms",
//    "cpu_ms_per_trial" (process CPU time, robust to a loaded machine), "prefill_s", "times_ms": [...]}
// e2e: Study::optimize for n trials of the d-D sphere with TPE defaults. Row:
//   {"kind": "e2e", "optimizer", "n", "d", "wall_s", "cpu_s", "loadavg_before", "rss_before_kb", "peak_rss_kb",
//    "bytes_per_trial" ((peak - before) / n), "elapsed_at": {"1000": s, ...}}
#include <algorithm>
#include <iostream>
#include <numeric>
#include <random>

#include "autoglm/objectives.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "autoglm/storage.h"
#include "autoglm/study.h"
#include "bench.h"

namespace autoglm::bench {
namespace {

std::unique_ptr<Study> new_study(const std::string& sampler, uint64_t seed) {
  CreateStudyOptions options;
  options.storage = open_storage(":memory:");
  options.study_name = "overhead";
  options.sampler = make_sampler({{"name", sampler}, {"seed", seed}});
  options.pruner = make_pruner("nop");
  return create_study(std::move(options));
}

nlohmann::json measure(const std::string& sampler, int n, int d, int window) {
  const objectives::Problem sphere = objectives::make_problem("sphere", d);
  auto study = new_study(sampler, 0);
  std::vector<std::string> names;
  for (int j = 0; j < d; ++j) names.push_back("x" + std::to_string(j));

  // Prefill: n COMPLETE trials with random parameters.
  const auto p0 = SteadyClock::now();
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < n; ++i) {
    FrozenTrial t;
    t.state = TrialState::COMPLETE;
    std::vector<double> x(static_cast<size_t>(d));
    for (int j = 0; j < d; ++j) {
      x[j] = sphere.low[j] + (sphere.high[j] - sphere.low[j]) * u(rng);
      t.params[names[j]] = x[j];
      t.distributions[names[j]] = FloatDistribution{sphere.low[j], sphere.high[j]};
    }
    t.values = {sphere(x)};
    t.datetime_start = t.datetime_complete = Clock::now();
    study->storage().create_new_trial(study->study_id(), t);
  }
  const double prefill_s = seconds_between(p0, SteadyClock::now());

  std::vector<double> total_ms, suggest_ms, tell_ms;
  std::vector<double> x(static_cast<size_t>(d));
  // One untimed warm-up trial first: it reads the prefilled history into the study's snapshot,
  // a one-off cost that tell() then keeps up to date incrementally.
  double cpu_total_ms = 0.0;
  for (int w = -1; w < window; ++w) {
    const double c0 = process_cpu_seconds();
    const auto t0 = SteadyClock::now();
    Trial trial = study->ask();
    for (int j = 0; j < d; ++j) x[j] = trial.suggest_float(names[j], sphere.low[j], sphere.high[j]);
    const auto t1 = SteadyClock::now();
    const double v = sphere(x);
    const auto t2 = SteadyClock::now();
    study->tell(trial, v);
    const auto t3 = SteadyClock::now();
    const double c1 = process_cpu_seconds();
    if (w < 0) continue;
    cpu_total_ms += 1e3 * (c1 - c0);
    suggest_ms.push_back(1e3 * seconds_between(t0, t1));
    tell_ms.push_back(1e3 * seconds_between(t2, t3));
    total_ms.push_back(suggest_ms.back() + tell_ms.back());
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); };
  std::vector<double> sorted = total_ms;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted.size() % 2 ? sorted[sorted.size() / 2]
                                          : 0.5 * (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]);
  return {{"kind", "overhead"}, {"impl", "ours"},          {"optimizer", sampler},
          {"n", n},             {"d", d},                  {"window", window},
          {"ms_per_trial", mean(total_ms)}, {"median_ms", median}, {"suggest_ms", mean(suggest_ms)},
          {"tell_ms", mean(tell_ms)},       {"cpu_ms_per_trial", cpu_total_ms / window},
          {"prefill_s", prefill_s},         {"times_ms", total_ms}};
}

}  // namespace

int run_overhead(const Plan& plan, const std::string& results_dir, const std::string& out_path) {
  if (plan.overhead.is_null()) return 0;
  const auto& cfg = plan.overhead;
  const int window = cfg.value("window", 20);
  const nlohmann::json max_n = cfg.value("max_n", nlohmann::json::object());
  std::vector<std::tuple<std::string, int, int>> jobs;
  for (const auto& s : cfg.at("ours").get<std::vector<std::string>>())
    for (int n : cfg.at("n").get<std::vector<int>>())
      for (int d : cfg.at("d").get<std::vector<int>>())
        if (!max_n.contains(s) || n <= max_n[s].get<int>()) jobs.emplace_back(s, n, d);
  for (const auto& e : cfg.value("extra", nlohmann::json::array()))
    if (e.value("impl", "ours") == "ours") jobs.emplace_back(e.at("optimizer"), e.at("n"), e.at("d"));

  const Done done = scan_results(results_dir);
  JsonlWriter out(out_path);
  for (const auto& [sampler, n, d] : jobs) {
    if (done.overhead.count({sampler, n, d})) continue;
    if (sampler == "auto" && default_sampler_name() != "auto") continue;
    if (!sampler_registered(sampler)) {
      std::cerr << "autoglm-bench: warning: sampler '" << sampler << "' is not registered; overhead skipped\n";
      continue;
    }
    nlohmann::json row = measure(sampler, n, d, window);
    std::cerr << "autoglm-bench overhead: " << sampler << " n=" << n << " d=" << d << ": "
              << row["ms_per_trial"].get<double>() << " ms/trial\n";
    out.write(row);
  }
  return 0;
}

int run_e2e(const Plan& plan, const std::string& results_dir, const std::string& out_path) {
  if (plan.e2e.is_null()) return 0;
  const int n = plan.e2e.at("n"), d = plan.e2e.at("d");
  const std::string sampler = plan.e2e.value("sampler", "tpe");
  // Only the output file is read: parsing every result would leave the heap grown before the
  // study starts and distort the memory figure.
  const std::string out_name = out_path.substr(out_path.find_last_of('/') + 1);
  if (scan_results(results_dir, out_name).e2e.count({sampler, n, d})) return 0;

  const objectives::Problem sphere = objectives::make_problem("sphere", d);
  const long rss_before = current_rss_kb();
  const std::string load_before = load_average();
  const double cpu_before = process_cpu_seconds();
  auto study = new_study(sampler, 0);
  nlohmann::json elapsed_at = nlohmann::json::object();
  const auto start = SteadyClock::now();
  OptimizeOptions options;
  options.n_trials = n;
  options.callbacks.push_back([&](Study&, const FrozenTrial& t) {
    if ((t.number + 1) % 1000 == 0 || t.number + 1 == n)
      elapsed_at[std::to_string(t.number + 1)] = seconds_between(start, SteadyClock::now());
  });
  study->optimize(
      [&](Trial& trial) {
        std::vector<double> x(static_cast<size_t>(d));
        for (int j = 0; j < d; ++j)
          x[j] = trial.suggest_float("x" + std::to_string(j), sphere.low[j], sphere.high[j]);
        return sphere(x);
      },
      options);
  const double wall = seconds_between(start, SteadyClock::now());
  const double cpu = process_cpu_seconds() - cpu_before;
  const long peak = peak_rss_kb();
  nlohmann::json row = {{"kind", "e2e"},
                        {"optimizer", sampler},
                        {"n", n},
                        {"d", d},
                        {"wall_s", wall},
                        {"cpu_s", cpu},
                        {"loadavg_before", load_before},
                        {"rss_before_kb", rss_before},
                        {"peak_rss_kb", peak},
                        {"bytes_per_trial", 1024.0 * static_cast<double>(peak - rss_before) / n},
                        {"elapsed_at", elapsed_at}};
  std::cerr << "autoglm-bench e2e: " << n << " trials, d=" << d << ", " << sampler << ": " << wall << " s (CPU " << cpu << " s), peak RSS "
            << peak / 1024.0 << " MiB\n";
  JsonlWriter(out_path).write(row);
  return 0;
}

}  // namespace autoglm::bench
