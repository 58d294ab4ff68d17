// `autoglm`: the command-line front end (docs/cli.md).
//
//   autoglm tune CONFIG.yaml [--storage URL] [--study NAME] [--n-trials N] [--timeout DURATION]
//                            [--n-complete N] [--n-jobs N] [--seed S]
//                            [--launcher local|slurm [--workers N] [--gpus-per-trial G] [--partition P] [--time T]]
//   autoglm worker --study NAME [--storage URL | $AUTOGLM_STORAGE] [--n-trials N | --n-complete N]
//                  [--n-jobs N] [--timeout DURATION] [--gpus LIST]   (join a study from any machine)
//   autoglm retry --study NAME [--storage URL] [--state FAIL|PRUNED]   (re-enqueue trials in bulk)
//   autoglm studies [--storage URL] [--format table|json]
//   autoglm trials --study NAME [--storage URL] [--state S] [--format table|csv|json]
//   autoglm best --study NAME [--storage URL] [--format text|json] [--weights NAME=W,...] [--top N]
//   autoglm status --study NAME [--storage URL] [--format text|json]   (trials, workers, Slurm jobs)
//   autoglm cancel --study NAME [--storage URL]   (scancel the study's Slurm jobs, stop its workers)
//   autoglm dashboard [--storage URL] [--host H] [--port P] [--token T] [--allow-writes]
//   autoglm importance --study NAME [--storage URL] [--evaluator fanova|ped_anova] [--objective I]
//                      [--params a,b] [--seed S] [--interactions] [--format table|json]
//   autoglm report --study NAME [--storage URL] --out FILE.html   (self-contained HTML report)
//   autoglm train WORKLOAD ARGS...      (execs autoglm-train beside this binary)
//   autoglm --version | --help | VERB --help
//
// Exit codes: 0 success, 1 engine failure, 2 bad input (one line on stderr, nothing written),
// 130 interrupted by Ctrl-C (143 by SIGTERM).
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "autoglm/config.h"
#include "autoglm/dashboard.h"
#include "autoglm/error.h"
#include "cli/cli.h"

#ifndef AUTOGLM_VERSION
#define AUTOGLM_VERSION "0.0.0"
#endif

namespace autoglm::cli {

int run_train(const std::vector<std::string>& args) {
  const std::filesystem::path exe = std::filesystem::path(self_dir()) / "autoglm-train";
  if (::access(exe.c_str(), X_OK) != 0)
    throw ConfigError("autoglm-train was not built (expected at " + exe.string() +
                      "); configure with -DAUTOGLM_WITH_TORCH=ON and build the autoglm-train target");
  if (args.empty())
    throw ConfigError("train: missing the workload; usage: autoglm train WORKLOAD ARGS... (e.g. autoglm train lm --help)");
  std::vector<std::string> argv_s;
  argv_s.push_back(exe.string());
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(exe.c_str(), argv.data());
  throw Error("cannot run " + exe.string() + ": " + std::strerror(errno));
}

}  // namespace autoglm::cli

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int fail(const std::string& message, int code) {
  std::cerr << "autoglm: error: " << one_line(message) << std::endl;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace autoglm::cli;
  std::vector<std::string> args(argv + 1, argv + argc);

  // `train` passes everything after the workload name through untouched.
  if (!args.empty() && args[0] == "train") {
    try {
      return run_train(std::vector<std::string>(args.begin() + 1, args.end()));
    } catch (const autoglm::Error& e) {
      return fail(e.what(), kExitUsage);
    }
  }

  CLI::App app{"Open-AutoGLM: hyperparameter optimization for language models and any training command.\n"
               "Describe a search space and an objective in YAML, then `autoglm tune CONFIG.yaml`.",
               "autoglm"};
  app.set_version_flag("--version", std::string("autoglm ") + AUTOGLM_VERSION);
  app.set_help_all_flag("--help-all", "Help of every verb");

  TuneFlags tune;
  // Every verb's storage: --storage, else $AUTOGLM_STORAGE, else the default file.
  std::string storage = env_storage().empty() ? std::string(kDefaultStorage) : env_storage();
  int n_trials = 0, n_jobs = 0;
  std::string timeout;  // seconds or a duration (90s, 30m, 2h, 1d), parsed as the config's `timeout`
  int64_t seed = 0;     // signed, so that -1 is refused like `seed: -1` rather than wrapped around
  std::string storage_t, study_t;
  auto* tune_cmd = app.add_subcommand("tune", "Run a study from a YAML config, or resume it (same command)");
  tune_cmd->add_option("config", tune.config_path, "Study config (YAML; see docs/config.md)")->required();
  auto* o_storage = tune_cmd->add_option("--storage", storage_t, std::string("Storage URL (default: the config's `storage`, else ") +
                                                                     kDefaultStorage + ")");
  auto* o_study = tune_cmd->add_option("--study", study_t, "Study name (default: the config's `study`, else its file name)");
  auto* o_trials = tune_cmd->add_option(
      "--n-trials", n_trials,
      "TOTAL trials with a result (COMPLETE or PRUNED) the study should have; a resumed study runs only the missing ones");
  auto* o_timeout =
      tune_cmd->add_option("--timeout", timeout, "Stop starting trials after this long: seconds, or 90s, 30m, 2h, 1d");
  auto* o_jobs = tune_cmd->add_option("--n-jobs", n_jobs, "Trials run in parallel (default: the config's n_jobs, else 1)");
  auto* o_seed = tune_cmd->add_option("--seed", seed, "Sampler seed, >= 0 (overrides the config)");
  int n_complete = 0;
  auto* o_complete = tune_cmd->add_option(
      "--n-complete", n_complete,
      "Run until the study has N COMPLETE trials (failed, pruned and interrupted trials are replaced); exclusive with "
      "--n-trials");
  // Slurm launcher (docs/cli.md, "On a Slurm cluster"; src/cli/slurm.cc).
  tune_cmd->add_option("--launcher", tune.launcher, "Where trials run: local (this process) or slurm (a job array of workers)")
      ->check(CLI::IsMember({"local", "slurm"}))
      ->capture_default_str();
  auto* o_workers = tune_cmd->add_option("--workers", tune.slurm.workers, "With --launcher slurm: array tasks, one worker each (default 1)");
  auto* o_gpus_pt = tune_cmd->add_option("--gpus-per-trial", tune.slurm.gpus_per_trial,
                                         "With --launcher slurm: GPUs per trial; each worker asks for n_jobs x G (default 0)");
  auto* o_partition = tune_cmd->add_option("--partition", tune.slurm.partition, "With --launcher slurm: Slurm partition");
  auto* o_time = tune_cmd->add_option("--time", tune.slurm.time_limit, "With --launcher slurm: time limit per array task, HH:MM:SS");

  WorkerFlags worker;
  int w_trials = 0, w_complete = 0, w_jobs = 0;
  std::string w_timeout, w_gpus;
  auto* worker_cmd = app.add_subcommand(
      "worker", "Join a study started by `autoglm tune` (its config is stored with it) and run trials until its target");
  worker_cmd->add_option("--study", worker.study, "Study name")->required();
  worker_cmd->add_option("--storage", worker.storage, "Storage URL (default: $AUTOGLM_STORAGE)");
  auto* o_w_trials = worker_cmd->add_option("--n-trials", w_trials, "Override the study's n_trials (total with a result)");
  auto* o_w_complete = worker_cmd->add_option("--n-complete", w_complete, "Override: run until N COMPLETE trials");
  auto* o_w_jobs = worker_cmd->add_option("--n-jobs", w_jobs, "Trials run in parallel by this worker");
  auto* o_w_timeout = worker_cmd->add_option("--timeout", w_timeout, "Stop starting trials after this long");
  auto* o_w_gpus = worker_cmd->add_option("--gpus", w_gpus, "GPU ids this worker hands out, e.g. 0,1 (default: the config's)");

  std::string fmt_studies = "table";
  auto* studies_cmd = app.add_subcommand("studies", "List the studies in a storage");
  studies_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  studies_cmd->add_option("--format", fmt_studies, "table or json")->capture_default_str();

  std::string study_name, state, fmt_trials = "table";
  auto* trials_cmd = app.add_subcommand("trials", "List the trials of a study");
  trials_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  trials_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  auto* o_state = trials_cmd->add_option("--state", state, "Only trials in this state: WAITING, RUNNING, COMPLETE, PRUNED, FAIL");
  trials_cmd->add_option("--format", fmt_trials, "table, csv or json")->capture_default_str();

  std::string fmt_best = "text", weights;
  int top = 10;
  auto* best_cmd = app.add_subcommand("best", "Show the best trial of a study (the Pareto front for several objectives)");
  best_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  best_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  best_cmd->add_option("--format", fmt_best, "text or json")->capture_default_str();
  auto* o_weights = best_cmd->add_option(
      "--weights", weights,
      "Re-rank the trials by a weighted score of the study's scoring metrics (or of its objectives): NAME=W,... or "
      "W1,W2,...");
  auto* o_top = best_cmd->add_option("--top", top, "With --weights: how many trials to list (0: all)")->capture_default_str();

  std::string retry_state = "FAIL";
  auto* retry_cmd = app.add_subcommand("retry", "Enqueue a retry of every FAIL (or PRUNED) trial that has none yet");
  retry_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  retry_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  retry_cmd->add_option("--state", retry_state, "FAIL or PRUNED")->capture_default_str();

  std::string fmt_status = "text";
  auto* status_cmd = app.add_subcommand("status", "Show a study's progress: trial counts, running trials, Slurm jobs");
  status_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  status_cmd->add_option("--storage", storage, "Storage URL (default: $AUTOGLM_STORAGE, else " +
                                                                            std::string(kDefaultStorage) + ")");
  status_cmd->add_option("--format", fmt_status, "text or json")->capture_default_str();

  auto* cancel_cmd = app.add_subcommand("cancel", "Cancel a study's Slurm jobs and stop its workers from starting trials");
  cancel_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  cancel_cmd->add_option("--storage", storage, "Storage URL (default: $AUTOGLM_STORAGE, else " +
                                                                            std::string(kDefaultStorage) + ")");

  DashboardFlags dash;
  auto* dashboard_cmd = app.add_subcommand("dashboard", "Serve the web dashboard (live plots of every study; read-only by default)");
  dashboard_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  dashboard_cmd->add_option("--host", dash.host, "Address to bind; beyond loopback a token is required")->capture_default_str();
  dashboard_cmd->add_option("--port", dash.port, "TCP port (0: any free port)")->capture_default_str();
  dashboard_cmd->add_option("--token", dash.token,
                            std::string("Bearer token required on every request (default: $") + autoglm::kDashboardTokenEnv +
                                "; generated when --host is beyond loopback)");
  dashboard_cmd->add_flag("--allow-writes", dash.allow_writes, "Allow the write routes (study note, delete study)");

  ImportanceFlags imp;
  int64_t imp_seed = 0;
  auto* importance_cmd = app.add_subcommand("importance", "Parameter importance of a study (fANOVA or PED-ANOVA)");
  importance_cmd->add_option("--study", imp.study, "Study name (see `autoglm studies`)")->required();
  importance_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  importance_cmd->add_option("--evaluator", imp.evaluator, "fanova or ped_anova")->capture_default_str();
  importance_cmd->add_option("--objective", imp.objective, "Objective index of a multi-objective study")->capture_default_str();
  importance_cmd->add_option("--params", imp.params, "Comma-separated parameters (default: every common one)");
  importance_cmd->add_option("--seed", imp_seed, "Seed of the fANOVA forest, >= 0")->capture_default_str();
  importance_cmd->add_flag("--interactions", imp.interactions, "Also print pairwise interaction importance");
  importance_cmd->add_option("--format", imp.format, "table or json")->capture_default_str();

  std::string report_out;
  auto* report_cmd = app.add_subcommand("report", "Write a self-contained HTML report of a study (opens offline)");
  report_cmd->add_option("--study", study_name, "Study name (see `autoglm studies`)")->required();
  report_cmd->add_option("--storage", storage, "Storage URL")->capture_default_str();
  report_cmd->add_option("--out", report_out, "HTML file to write")->required();

  app.add_subcommand("train", "Run a built-in training workload: autoglm train WORKLOAD ARGS... (e.g. lm --help)");
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string verb;
    for (auto* sub : app.get_subcommands()) verb = sub->get_name();
    return fail(std::string(e.what()) + "; run 'autoglm " + (verb.empty() ? "" : verb + " ") + "--help'", kExitUsage);
  }

  try {
    if (tune_cmd->parsed()) {
      if (o_storage->count()) tune.storage = storage_t;
      if (o_study->count()) tune.study = study_t;
      if (o_trials->count()) tune.n_trials = n_trials;
      if (o_complete->count()) tune.n_complete = n_complete;
      if (o_timeout->count()) tune.timeout_seconds = autoglm::parse_duration_seconds(timeout, "--timeout");
      if (o_jobs->count()) tune.n_jobs = n_jobs;
      if (o_seed->count()) {
        if (seed < 0) throw autoglm::ConfigError("--seed: must be >= 0, got " + std::to_string(seed));
        tune.seed = static_cast<uint64_t>(seed);
      }
      if (tune.launcher != "slurm") {
        for (auto* o : {o_workers, o_gpus_pt, o_partition, o_time})
          if (o->count())
            throw autoglm::ConfigError(o->get_name() + ": applies with --launcher slurm; add --launcher slurm");
      }
      check_slurm_flags(tune);
      return run_tune(tune);
    }
    if (studies_cmd->parsed()) return run_studies(storage, fmt_studies);
    if (worker_cmd->parsed()) {
      if (o_w_trials->count()) worker.n_trials = w_trials;
      if (o_w_complete->count()) worker.n_complete = w_complete;
      if (o_w_jobs->count()) worker.n_jobs = w_jobs;
      if (o_w_timeout->count()) worker.timeout_seconds = autoglm::parse_duration_seconds(w_timeout, "--timeout");
      if (o_w_gpus->count()) worker.gpus = w_gpus;
      return run_worker(worker);
    }
    if (retry_cmd->parsed()) return run_retry(storage, study_name, retry_state);
    if (status_cmd->parsed()) return run_status(storage, study_name, fmt_status);
    if (cancel_cmd->parsed())
      return run_cancel(storage, study_name);
    if (trials_cmd->parsed())
      return run_trials(storage, study_name, o_state->count() ? std::optional<std::string>(state) : std::nullopt,
                        fmt_trials);
    if (best_cmd->parsed()) {
      if (top < 0) throw autoglm::ConfigError("--top: must be >= 0, got " + std::to_string(top));
      if (o_top->count() && !o_weights->count())
        throw autoglm::ConfigError("--top: applies with --weights (the ranked list); add --weights NAME=W,...");
      return run_best(storage, study_name, fmt_best, o_weights->count() ? std::optional<std::string>(weights) : std::nullopt,
                      top);
    }
    if (dashboard_cmd->parsed()) {
      dash.storage = storage;
      return run_dashboard(dash);
    }
    if (importance_cmd->parsed()) {
      if (imp_seed < 0) throw autoglm::ConfigError("--seed: must be >= 0, got " + std::to_string(imp_seed));
      imp.seed = static_cast<uint64_t>(imp_seed);
      imp.storage = storage;
      return run_importance(imp);
    }
    if (report_cmd->parsed()) return run_report(storage, study_name, report_out);
    return fail("missing a verb; run 'autoglm --help' (verbs: tune, worker, retry, studies, trials, best, status, cancel, "
                "dashboard, importance, report, train)", kExitUsage);
  } catch (const autoglm::Error& e) {
    return fail(e.what(), kExitUsage);
  } catch (const std::exception& e) {
    return fail(std::string("internal error: ") + e.what(), kExitFailure);
  }
}
