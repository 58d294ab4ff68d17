// autoglm-bench: our samplers and dlib's find_min_global on the benchmark problems, writing
// JSON lines (bench/README.md). Sub-commands:
//   check    verify f(x*) = f* for every problem and seed of a mode (exit 1 on a mismatch)
//   quality  the quality suites A/B/C for our samplers and dlib, then the multi-objective suite M
//            for our samplers (one shard of the cells)
//   overhead time per ask+suggest+tell at n prefilled trials, d dimensions (suite F), then the
//            multi-objective kernels: hypervolume and non-dominated sorting (suite F, "mo_overhead")
//   e2e      a whole n-trial TPE study end to end, with peak RSS (suite F)
//   info     registered samplers, default sampler, dlib version (JSON)
#include <dirent.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include <CLI/CLI.hpp>
#include <dlib/revision.h>

#include "autoglm/error.h"
#include "autoglm/pruner.h"
#include "autoglm/sampler.h"
#include "bench.h"

namespace autoglm::bench {

Plan load_plan(const std::string& path, const std::string& mode) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read the suites file '" + path + "'");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError("suites file '" + path + "' is not valid JSON: " + e.what());
  }
  if (!j.contains("modes") || !j["modes"].contains(mode))
    throw ConfigError("suites file '" + path + "' has no mode '" + mode + "'");
  const auto& m = j["modes"][mode];
  Plan plan;
  plan.mode = mode;
  plan.optimizers = m.at("optimizers").get<std::vector<std::string>>();
  for (const auto& g : m.at("groups")) {
    const int seeds = g.at("seeds").get<int>();
    for (const auto& p : g.at("problems")) {
      for (int s = 0; s < seeds; ++s)
        plan.cells.push_back({g.at("suite").get<std::string>(), p.at(0).get<std::string>(), p.at(1).get<int>(),
                              g.at("budget").get<int>(), s});
    }
  }
  if (m.contains("multi")) {
    const auto& g = m["multi"];
    plan.multi_optimizers = g.at("optimizers").get<std::vector<std::string>>();
    plan.multi_specs = g.value("specs", nlohmann::json::object());
    plan.multi_skip = g.value("skip", nlohmann::json::array());
    const int seeds = g.at("seeds").get<int>();
    for (const auto& p : g.at("problems")) {
      for (int s = 0; s < seeds; ++s) {
        MultiCell c;
        c.suite = g.value("suite", "M");
        c.problem = p.at(0).get<std::string>();
        c.dim = p.at(1).get<int>();
        c.n_objectives = p.at(2).get<int>();
        c.budget = g.at("budget").get<int>();
        c.seed = s;
        plan.multi_cells.push_back(c);
      }
    }
  }
  plan.mo_overhead = m.value("mo_overhead", nlohmann::json());
  plan.overhead = m.value("overhead", nlohmann::json());
  plan.e2e = m.value("e2e", nlohmann::json());
  return plan;
}

bool Done::cell_done(const std::string& optimizer, const MultiCell& c) const {
  auto it = mo_trials.find({optimizer, c.problem, c.dim, c.n_objectives, c.seed, c.budget});
  return it != mo_trials.end() && static_cast<int>(it->second.size()) >= c.budget;
}

bool Done::cell_done(const std::string& optimizer, const Cell& c) const {
  auto it = trials.find({optimizer, c.problem, c.dim, c.seed, c.budget});
  return it != trials.end() && static_cast<int>(it->second.size()) >= c.budget;
}

Done scan_results(const std::string& dir, const std::string& only_file) {
  Done done;
  DIR* d = opendir(dir.c_str());
  if (!d) return done;
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl" && (only_file.empty() || name == only_file))
      files.push_back(dir + "/" + name);
  }
  closedir(d);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json r = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!r.is_object() || !r.contains("kind")) continue;
      try {
        const std::string kind = r.at("kind").get<std::string>();
        const std::string optimizer = r.value("optimizer", "");
        if (kind == "trial") {
          done.trials[{optimizer, r.at("problem").get<std::string>(), r.at("dim").get<int>(),
                       r.at("seed").get<int64_t>(), r.at("budget").get<int>()}]
              .insert(r.at("trial").get<int>());
        } else if (kind == "mo_trial") {
          done.mo_trials[{optimizer, r.at("problem").get<std::string>(), r.at("dim").get<int>(),
                          r.at("n_objectives").get<int>(), r.at("seed").get<int64_t>(), r.at("budget").get<int>()}]
              .insert(r.at("trial").get<int>());
        } else if (kind == "mo_overhead") {
          done.mo_overhead.insert({r.at("impl").get<std::string>(), r.at("task").get<std::string>(),
                                   r.at("n").get<int>(), r.at("m").get<int>()});
        } else if (kind == "overhead" || kind == "e2e") {
          (kind == "e2e" ? done.e2e : done.overhead).insert({optimizer, r.at("n").get<int>(), r.at("d").get<int>()});
        }
      } catch (const nlohmann::json::exception&) {
        // A row of another shape: not ours to count.
      }
    }
  }
  return done;
}

JsonlWriter::JsonlWriter(const std::string& path) {
  // A run killed in the middle of a write leaves a partial last line: end it, so that the rows
  // appended now start on a line of their own (the partial line is skipped by every reader).
  bool needs_newline = false;
  if (std::FILE* in = std::fopen(path.c_str(), "rb")) {
    if (std::fseek(in, -1, SEEK_END) == 0) needs_newline = std::fgetc(in) != '\n';
    std::fclose(in);
  }
  file_ = std::fopen(path.c_str(), "a");
  if (!file_) throw Error("cannot open '" + path + "' for appending");
  if (needs_newline) std::fputc('\n', file_);
}

JsonlWriter::~JsonlWriter() {
  if (file_) std::fclose(file_);
}

void JsonlWriter::write_block(const std::vector<nlohmann::json>& rows) {
  std::string text;
  for (const auto& r : rows) text += r.dump() + "\n";
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

bool sampler_registered(const std::string& name) {
  const auto names = registered_samplers();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string default_sampler_name() {
  static std::once_flag once;
  static std::string name;
  std::call_once(once, [] {
    if (sampler_registered("auto")) {
      name = "auto";
    } else {
      name = "tpe";
      std::cerr << "autoglm-bench: warning: sampler 'auto' is not registered; our default is 'tpe' "
                   "(the 'auto' rows are skipped)\n";
    }
  });
  return name;
}

long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

long current_rss_kb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  if (!(in >> a >> b >> c)) return "";
  return a + " " + b + " " + c;
}

}  // namespace autoglm::bench

int main(int argc, char** argv) {
  using namespace autoglm::bench;
  CLI::App app{"autoglm-bench: our samplers and dlib on the benchmark problems (bench/README.md)"};
  app.require_subcommand(1);
  std::string config = "bench/suites.json", mode = "quick", results_dir, out, shard = "0/1", optimizers;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--config", config, "suites file (bench/suites.json)");
    sub->add_option("--mode", mode, "smoke | quick | full");
  };
  auto* check = app.add_subcommand("check", "verify f(x*) = f* for every problem and seed of the mode");
  add_common(check);
  auto* quality = app.add_subcommand("quality", "quality suites A/B/C (ours and dlib) and M (ours)");
  add_common(quality);
  auto* overhead = app.add_subcommand("overhead", "time per trial at n prefilled trials (suite F)");
  add_common(overhead);
  auto* e2e = app.add_subcommand("e2e", "an n-trial TPE study end to end with peak RSS (suite F)");
  add_common(e2e);
  for (auto* sub : {quality, overhead, e2e}) {
    sub->add_option("--results-dir", results_dir, "folder of *.jsonl already written (resume)")->required();
    sub->add_option("--out", out, "JSONL file to append to")->required();
  }
  quality->add_option("--shard", shard, "k/N: run cells with index % N == k");
  quality->add_option("--optimizers", optimizers, "comma-separated subset of the mode's optimizers");
  auto* info = app.add_subcommand("info", "registered samplers, default sampler, dlib version");
  CLI11_PARSE(app, argc, argv);

  try {
    if (info->parsed()) {
      nlohmann::json j = {{"kind", "meta"},
                          {"runner", "autoglm-bench"},
                          {"registered_samplers", autoglm::registered_samplers()},
                          {"default_sampler", default_sampler_name()},
                          {"loadavg", load_average()},
                          {"dlib_version", std::to_string(DLIB_MAJOR_VERSION) + "." + std::to_string(DLIB_MINOR_VERSION) +
                                               "." + std::to_string(DLIB_PATCH_VERSION)}};
      std::cout << j.dump() << "\n";
      return 0;
    }
    const Plan plan = load_plan(config, mode);
    if (check->parsed()) return std::max(run_check(plan), run_multi_check(plan));
    if (quality->parsed()) {
      int k = 0, n = 1;
      if (std::sscanf(shard.c_str(), "%d/%d", &k, &n) != 2 || n < 1 || k < 0 || k >= n)
        throw autoglm::ConfigError("--shard must be k/N with 0 <= k < N, got '" + shard + "'");
      std::vector<std::string> only;
      std::stringstream ss(optimizers);
      for (std::string item; std::getline(ss, item, ',');)
        if (!item.empty()) only.push_back(item);
      return run_quality(plan, results_dir, out, k, n, only);
    }
    if (overhead->parsed())
      return std::max(run_overhead(plan, results_dir, out), run_mo_overhead(plan, results_dir, out));
    if (e2e->parsed()) return run_e2e(plan, results_dir, out);
  } catch (const autoglm::Error& e) {
    std::cerr << "autoglm-bench: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
