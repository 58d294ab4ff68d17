// Private declarations of the `autoglm` command-line front end (docs/cli.md).
//
// The CLI parses, presents and never decides: every verb validates its whole input first (config,
// flags, storage URL, study name) and only then opens a storage. Bad input is an autoglm::Error;
// main() prints "autoglm: error: <message>" on one line and exits 2.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/config.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace autoglm::cli {

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    ///< The run went wrong after validation (engine error).
inline constexpr int kExitUsage = 2;      ///< Bad input: nothing was written.
inline constexpr int kExitInterrupted = 130;  ///< Ctrl-C (128 + SIGINT).

/// Study system attr set by `autoglm cancel` (true): workers start no new trial; `autoglm tune`
/// clears it.
inline constexpr const char* kStopRequestedAttr = "stop_requested";

/// Storage URL used when neither --storage nor the config's `storage` is given.
inline constexpr const char* kDefaultStorage = "sqlite:///autoglm.db";

/// `autoglm tune ... --launcher slurm` options (docs/cli.md, "On a Slurm cluster").
struct SlurmFlags {
  int workers = 1;         ///< --workers: array tasks, each running one `autoglm worker` process
  int gpus_per_trial = 0;  ///< --gpus-per-trial: GPUs per trial (each worker asks Slurm for n_jobs x this)
  std::string partition;   ///< --partition ("" = the cluster's default)
  std::string time_limit;  ///< --time HH:MM:SS per array task ("" = the partition's default)
};

struct TuneFlags {
  std::string config_path;
  std::optional<std::string> storage;
  std::optional<std::string> study;
  std::optional<int> n_trials;
  /// --n-complete N: run until the study has N COMPLETE trials (failures and pre-emptions are
  /// replaced); exclusive with n_trials.
  std::optional<int> n_complete;
  std::optional<double> timeout_seconds;
  std::optional<int> n_jobs;
  std::optional<uint64_t> seed;
  std::string launcher = "local";  ///< --launcher local|slurm
  SlurmFlags slurm;
};

int run_tune(const TuneFlags& flags);

/// `autoglm worker --study NAME [--storage URL] [--n-trials N] [--n-complete N] [--n-jobs J]
/// [--gpus LIST] [--timeout D]`: joins a study created by `autoglm tune` (its config is stored
/// with it) and runs trials until the study's target is reached. --storage defaults to the
/// environment variable AUTOGLM_STORAGE (so credentials need not appear on command lines).
struct WorkerFlags {
  std::string storage;
  std::string study;
  std::optional<int> n_trials;
  std::optional<int> n_complete;
  std::optional<int> n_jobs;
  std::optional<double> timeout_seconds;
  std::optional<std::string> gpus;  ///< "0,1" (e.g. "$CUDA_VISIBLE_DEVICES" under Slurm)
};
int run_worker(const WorkerFlags& flags);

/// `autoglm retry --study NAME [--storage URL] [--state FAIL]`: enqueues a retry of every trial in
/// that state that has none yet (same parameters; system attrs retry_of / retry_count).
int run_retry(const std::string& storage_url, const std::string& study, const std::string& state);

/// Slurm launcher (src/cli/slurm.cc). `cfg` is the validated config of a study that run_tune has
/// already created or loaded in `storage_url`, with its config stored (so `autoglm worker
/// --study NAME` can join with the URL alone). Writes the batch script, submits it with sbatch as
/// a job array of flags.slurm.workers tasks (the storage URL travels in the environment variable
/// AUTOGLM_STORAGE, never in the script or argv), records the job id in the study's system attr
/// "slurm_jobs", and prints the job id and how to follow it. Throws ConfigError on bad flags or
/// when sbatch is missing / refuses the job (its message included).
int launch_slurm(const StudyConfig& cfg, const std::string& storage_url, const TuneFlags& flags);
/// Validates the Slurm launcher's flags (nothing when flags.launcher is not "slurm"): workers >= 1,
/// gpus_per_trial >= 0, --time as [D-]HH:MM:SS or MM:SS, --partition's characters, sbatch in PATH.
/// Throws ConfigError naming the flag and the fix. main() calls it before run_tune (so nothing is
/// written on bad flags); launch_slurm calls it again.
void check_slurm_flags(const TuneFlags& flags);
/// `autoglm status --study NAME [--storage URL] [--format text|json]`: trial counts by state
/// (RUNNING ones with their heartbeat age) and the study's Slurm jobs with their states
/// (squeue / sacct).
int run_status(const std::string& storage_url, const std::string& study, const std::string& format);
/// `autoglm cancel --study NAME [--storage URL]`: cancels the study's Slurm jobs (scancel) and
/// asks every worker of the study to start no new trial (study system attr "stop_requested").
int run_cancel(const std::string& storage_url, const std::string& study);

/// `autoglm dashboard [--storage URL] [--host H] [--port P] [--token T] [--allow-writes]`
/// (docs/dashboard.md): serves the web dashboard until Ctrl-C / SIGTERM. Prints
/// "dashboard: serving http://HOST:PORT/[?token=T]" on stdout once listening. Beyond loopback
/// without a token (flag or AUTOGLM_DASHBOARD_TOKEN) it makes one up and prints it in that URL.
/// Read-only storage unless allow_writes.
struct DashboardFlags {
  std::string storage;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string token;
  bool allow_writes = false;
};
int run_dashboard(const DashboardFlags& flags);

/// `autoglm importance --study NAME [--evaluator fanova|ped_anova] [--objective I] [--params a,b]
/// [--seed S] [--interactions] [--format table|json]`: parameter importance of the study's
/// COMPLETE trials (include/autoglm/importance.h).
struct ImportanceFlags {
  std::string storage;
  std::string study;
  std::string evaluator = "fanova";
  int objective = 0;
  std::string params;  ///< comma-separated; empty: every parameter common to the trials
  uint64_t seed = 0;
  bool interactions = false;
  std::string format = "table";
};
int run_importance(const ImportanceFlags& flags);

/// `autoglm report --study NAME [--storage URL] --out FILE.html`: the self-contained HTML report
/// (written to FILE.html.tmp, then renamed).
int run_report(const std::string& storage_url, const std::string& study, const std::string& out);

/// `autoglm studies`.
int run_studies(const std::string& storage_url, const std::string& format);
/// `autoglm trials`.
int run_trials(const std::string& storage_url, const std::string& study, const std::optional<std::string>& state,
               const std::string& format);
/// `autoglm best`: the best feasible trial, or the Pareto front of a multi-objective study; with
/// `weights` ("f1=2,latency_ms=1" or "2,1"), every feasible COMPLETE trial re-scored with those
/// weights (include/autoglm/scoring.h), best first, at most `top` of them (0: all).
int run_best(const std::string& storage_url, const std::string& study, const std::string& format,
             const std::optional<std::string>& weights = std::nullopt, int top = 10);
/// `autoglm train WORKLOAD ARGS...`: execs autoglm-train beside this binary; returns only on error.
int run_train(const std::vector<std::string>& args);

// ---- helpers shared by the verbs ----

/// Directory of the running `autoglm` binary (from /proc/self/exe).
std::string self_dir();
/// Path of the running binary.
std::string self_exe();

/// Opens a storage that must already exist (read-only verbs): a sqlite file that is missing is
/// an Error naming the path and how to create it, so nothing is created by a typo.
/// `follow_writes`: a long-lived reader (the dashboard) that must see later writes of other
/// processes (StorageOpenOptions::follow_writes).
std::shared_ptr<Storage> open_existing_storage(const std::string& url, bool follow_writes = false);
/// Checks that a storage URL can be opened for writing without creating anything: a sqlite
/// file's directory must exist. Throws Error naming the URL and the fix.
void check_storage_writable(const std::string& url);
/// The environment variable AUTOGLM_STORAGE ("" when unset): every verb's storage when --storage
/// is not given (before a config's `storage` and the default), so passwords stay out of argv.
std::string env_storage();
/// The study id for `name`, or a NotFoundError naming it, the studies there and how to list them
/// (the storage's URL in it is storage.url(), without credentials).
int64_t find_study(Storage& storage, const std::string& name);

/// "host:pid" of the worker that runs (ran) a trial (system attrs worker.host / worker.pid).
std::string worker_text(const FrozenTrial& t);
/// Seconds since the trial's last heartbeat on this machine's clock; nullopt without one.
std::optional<double> heartbeat_age_seconds(const FrozenTrial& t);
/// JSON form of a trial for `trials --format json` and `best --format json`.
nlohmann::json trial_to_json(const FrozenTrial& t);
/// "x=1.5 optimizer=sgd" (external values, in name order; floats with 10 significant digits).
std::string format_params(const FrozenTrial& t);
/// Shortest round-tripping text of a double ("0.001", "1e-05").
std::string format_double(double v);
/// Six significant digits, for progress lines and tables ("0.0903086").
std::string format_short(double v);
/// "x=1.5 optimizer=sgd" with six significant digits per float.
std::string format_params_short(const FrozenTrial& t);
/// "1.2s", "3m04s", "1h02m".
std::string format_duration(double seconds);
/// Prints rows (the first one the header) as a table with aligned columns on stdout, each line
/// starting with `indent`.
void print_table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");
/// True when the trial is the baseline run of `autoglm tune` (user attr "baseline": true).
bool is_baseline(const FrozenTrial& t);
/// Throws ConfigError "--format: unknown format ..." (with a did-you-mean) unless `format` is
/// one of `allowed`.
void check_format(const std::string& format, const std::vector<std::string>& allowed);
/// Names of a study's objective values: its user attr "objective_names" (written by `autoglm
/// tune`), else "value" / "value0", "value1", ...
std::vector<std::string> value_names(const std::map<std::string, nlohmann::json>& study_user_attrs, size_t n);
/// "f1 0.93, latency_ms 1.2": every digit when `precise`, else six significant digits.
std::string named_values(const std::vector<std::string>& names, const std::vector<double>& values, bool precise);
/// The best feasible COMPLETE trial (one objective; the first of equals), or the Pareto front
/// (several objectives); empty when no COMPLETE trial is feasible.
std::vector<FrozenTrial> best_feasible_trials(const std::vector<FrozenTrial>& complete,
                                              const std::vector<StudyDirection>& directions);

}  // namespace autoglm::cli
