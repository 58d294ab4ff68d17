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

#include "autoglm/frozen_trial.h"
#include "autoglm/storage.h"

namespace autoglm::cli {

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;    ///< The run went wrong after validation (engine error).
inline constexpr int kExitUsage = 2;      ///< Bad input: nothing was written.
inline constexpr int kExitInterrupted = 130;  ///< Ctrl-C (128 + SIGINT).

/// Storage URL used when neither --storage nor the config's `storage` is given.
inline constexpr const char* kDefaultStorage = "sqlite:///autoglm.db";

struct TuneFlags {
  std::string config_path;
  std::optional<std::string> storage;
  std::optional<std::string> study;
  std::optional<int> n_trials;
  std::optional<double> timeout_seconds;
  std::optional<int> n_jobs;
  std::optional<uint64_t> seed;
};

int run_tune(const TuneFlags& flags);

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
std::shared_ptr<Storage> open_existing_storage(const std::string& url);
/// Checks that a storage URL can be opened for writing without creating anything: a sqlite
/// file's directory must exist. Throws Error naming the URL and the fix.
void check_storage_writable(const std::string& url);
/// The study id for `name`, or an Error naming it and how to list the studies.
int64_t find_study(Storage& storage, const std::string& name, const std::string& url);

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
/// True when the trial is the baseline run of `autoglm tune` (user attr "baseline": true).
bool is_baseline(const FrozenTrial& t);

}  // namespace autoglm::cli
