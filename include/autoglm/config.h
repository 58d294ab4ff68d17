// Study configuration files: the YAML a user writes for `autoglm tune` (docs/config.md), parsed
// into a plain, fully validated `StudyConfig`.
//
//   StudyConfig cfg = load_study_config("examples/quadratic.yaml");  // throws ConfigError
//   ... Study::create(...) ...
//   study->optimize([&](Trial& t) { auto p = suggest_space(t, cfg.space); ... }, ...);
//
// Validation happens entirely in the loader, before anything touches a storage: the search
// space (bounds, log, step, choices, duplicate names, `when` conditions), the sampler and pruner
// specs (built once with make_sampler / make_pruner), the objective (placeholders, the program in
// PATH or as an executable path, working_dir, log_dir; or a built-in function's name and its
// coordinates x0 ... x{d-1} in the space), the baseline, numbers (out of range for a
// double is refused) and every key (unknown keys are refused with a did-you-mean suggestion).
// Every refusal is a ConfigError whose one-line message starts with "<file>:<line>: <key>: " when
// the YAML position is known, names the key and says how to fix it.
//
// All functions are pure (no global state besides the sampler/pruner registry) and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autoglm/distribution.h"
#include "autoglm/executor.h"
#include "autoglm/frozen_trial.h"
#include "autoglm/objectives.h"
#include "autoglm/scoring.h"
#include "autoglm/trial.h"

namespace autoglm {

/// `when: {parent: value}` or `when: {parent: [v1, v2]}`: the parameter is sampled only when the
/// earlier-declared parameter `parent` took one of `values`.
struct ParamCondition {
  std::string parent;
  std::vector<ParamValue> values;
  bool operator==(const ParamCondition&) const = default;
};

/// One hyperparameter of the search space, in declaration order.
struct ParamSpec {
  std::string name;
  Distribution distribution;
  /// All conditions must hold (AND) for the parameter to be sampled; empty: always sampled.
  std::vector<ParamCondition> when;
  /// Line of the declaration in the YAML file (1-based; 0 when unknown), for messages.
  int line = 0;

  /// True when every condition holds for the values sampled so far (a parent that was not
  /// sampled makes the condition false).
  bool active(const std::map<std::string, ParamValue>& sampled) const;
};

/// `objective: {function: NAME, shift_seed: S}`: a built-in benchmark function
/// (include/autoglm/objectives.h) evaluated in-process instead of a command. The space's
/// parameters are its coordinates x0 ... x{d-1} (float or int, unconditional), d = their count.
struct BuiltinObjective {
  /// One of objectives::function_names() ("branin", "hartmann6", ...).
  std::string name;
  /// nullopt (default): the function itself; else objectives::shifted(problem, *shift_seed).
  std::optional<uint64_t> shift_seed;
  /// Line of `function:` in the YAML file (1-based; 0 when unknown), for messages.
  int line = 0;
};

/// How one trial runs: a command speaking the trial protocol (docs/protocol.md), or a built-in
/// function (`function`; then `command` is empty and the command-only keys are unset).
struct ObjectiveConfig {
  /// argv; "{param}" placeholders are substituted per trial. A YAML string is split like a
  /// shell would (quotes and backslashes; no variables, globs or pipes). Required, non-empty,
  /// unless `function` is set (then empty).
  std::vector<std::string> command;
  /// `function` (with optional `shift_seed`): a built-in function instead of `command`.
  /// Default nullopt.
  std::optional<BuiltinObjective> function;
  /// Extra environment variables for the child (values may contain placeholders). Default none.
  std::map<std::string, std::string> env;
  /// Per-trial wall-clock limit in seconds; nullopt (default): none. Exceeded -> trial FAIL.
  std::optional<double> timeout_seconds;
  /// Seconds between SIGTERM and SIGKILL when a trial is pruned / timed out. Default 10.
  double grace_period_seconds = 10.0;
  /// `metric: NAME` or `metric: [NAME, ...]` (alias `metrics`): take the final value(s) from
  /// these named metrics ({"metrics": {...}} lines) instead of {"value": V}, one per direction;
  /// with one metric, its {"step": N, ...} lines are intermediate values too. Default: none.
  std::vector<std::string> metrics;
  /// How the objective value is called in messages ("val bpb"). Default "value".
  std::string value_name = "value";
  /// Per-trial log folder. Empty (default): the CLI picks `<db stem>-logs/<study>/` beside the
  /// storage file.
  std::string log_dir;
  /// Working directory of the child. Empty (default): the directory autoglm runs in.
  std::string working_directory;
};

/// `constraints: [{metric: NAME, max: V}, {metric: NAME, min: V}]`: a trial is feasible when
/// every reported metric lies within its bounds. Constraint value (Optuna's convention, <= 0
/// feasible): value - max for `max`, min - value for `min` (an entry with both gives two values).
/// Stored per trial in system attr "constraints"; samplers prefer feasible trials and the Pareto
/// front / best trial holds feasible ones only.
struct ConstraintSpec {
  std::string metric;
  std::optional<double> min;
  std::optional<double> max;
  int line = 0;  ///< YAML line (1-based; 0 when unknown).
};

/// Constraint values, in spec order, of reported metric values (name -> last value). Throws
/// Error naming the metric when one was never reported.
std::vector<double> constraint_values_of(const std::vector<ConstraintSpec>& constraints,
                                         const std::map<std::string, double>& metrics);

/// A validated study configuration. Defaults are those used when the key is absent.
struct StudyConfig {
  /// File the config came from ("<string>" for parse_study_config without origin).
  std::string source;
  /// `study` (alias `study_name`). Default: the config file's stem ("glm-moby-dick").
  std::string study_name;
  /// `storage` URL; nullopt: the CLI default (sqlite:///autoglm.db in the working directory).
  std::optional<std::string> storage;
  /// `direction: minimize|maximize` or `directions: [...]`. Default: minimize.
  std::vector<StudyDirection> directions{StudyDirection::MINIMIZE};
  /// `space`: ordered parameters. Required, non-empty.
  std::vector<ParamSpec> space;
  /// `sampler`: a name ("tpe") or a mapping {name: tpe, ...}. Default {"name": "auto"} (GP, TPE
  /// or CMA-ES chosen per trial from the history; include/autoglm/auto_sampler.h). The top
  /// level `seed` is copied in as "seed" when the spec has none.
  nlohmann::json sampler = {{"name", "auto"}};
  /// `pruner`: a name or a mapping. Default {"name": "median"} (as Optuna).
  nlohmann::json pruner = {{"name", "median"}};
  ObjectiveConfig objective;
  /// `n_trials`: total number of trials with a result (COMPLETE or PRUNED) the study should
  /// reach. nullopt (default): no limit (then `timeout` or Ctrl-C ends the run).
  std::optional<int> n_trials;
  /// `n_complete`: run until the study has this many COMPLETE trials (baseline excluded), so
  /// failures, pruned trials and pre-empted workers do not reduce the result; exclusive with
  /// n_trials. nullopt (default): n_trials decides.
  std::optional<int> n_complete;
  /// `heartbeat_interval`: seconds between heartbeats of a running trial (every worker also
  /// checks for stale trials this often). 0 disables heartbeats. Default 10.
  double heartbeat_interval_seconds = 10;
  /// `heartbeat_grace_period`: a RUNNING trial whose last heartbeat is older than this is stale:
  /// the first worker to notice fails it (and retries it, see max_retries). Must exceed
  /// heartbeat_interval. Default 60. Longer tolerates slow storage; shorter recovers sooner.
  double heartbeat_grace_seconds = 60;
  /// `max_retries`: how many times the parameters of a trial that was interrupted (its worker
  /// died, was pre-empted, lost its heartbeat or was stopped by a signal) are run again as a new
  /// trial (system attrs retry_of / retry_count). Default 0. Failures of the objective itself
  /// (non-zero exit, NaN, ...) are not retried: use `autoglm retry --state FAIL`.
  int max_retries = 0;
  /// `timeout`: stop starting trials after this many seconds. nullopt (default): none.
  std::optional<double> timeout_seconds;
  /// `n_jobs`: trials run in parallel. Default 1.
  int n_jobs = 1;
  /// `seed`: sampler seed (copied into the sampler spec). nullopt (default): random.
  std::optional<uint64_t> seed;
  /// `gpus`: GPU ids handed out to trials (CUDA_VISIBLE_DEVICES). Default none.
  std::vector<int> gpus;
  /// `gpus_per_trial`: GPUs each trial gets when `gpus` is set. Default 1.
  int gpus_per_trial = 1;
  /// `baseline` (alias `default_params`): the default configuration to compare the best trial
  /// with. Empty (default): no comparison. Validated: every active parameter has a value in its
  /// distribution, and no value is given for an unknown or inactive parameter.
  std::map<std::string, ParamValue> baseline;
  /// `constraints`: see ConstraintSpec. Default none. Needs a command objective.
  std::vector<ConstraintSpec> constraints;
  /// `scoring`: optimize one weighted score of several metrics (AHP or plain weights; see
  /// include/autoglm/scoring.h). Then the study has one direction, maximize (the score), and
  /// `objective.metric` is not set. Default none.
  std::optional<ScoringConfig> scoring;

  /// The sampler/pruner specs with the seed applied, ready for make_sampler / make_pruner.
  nlohmann::json sampler_spec() const;
  nlohmann::json pruner_spec() const { return pruner; }
};

/// Reads and validates a YAML config file. Throws ConfigError (missing / unreadable file, YAML
/// syntax error with its line, unknown key with did-you-mean, wrong type, invalid space,
/// sampler or pruner spec, ...).
StudyConfig load_study_config(const std::string& path);

/// Same from YAML text. `origin` names the text in messages and gives the default study name
/// (its stem) and the directory that `{config_dir}` expands to.
StudyConfig parse_study_config(const std::string& yaml_text, const std::string& origin = "<string>");

/// Re-checks the fields a caller may have changed after loading (n_trials, n_jobs, seed, ...),
/// and builds the sampler and pruner once. Throws ConfigError. Called by the loaders.
void validate_study_config(const StudyConfig& config);

/// Seconds from a duration written as for `timeout`: "90", "1.5", "90s", "30m", "2h", "1d" (for
/// command-line flags). Throws ConfigError starting with "<what>: " when it is not one, is out
/// of range for a number, or is not > 0.
double parse_duration_seconds(const std::string& text, const std::string& what);

/// Why `dir` cannot serve as a per-trial log folder, or "" when it can: it must be a writable
/// directory, or not exist yet with a writable directory as its nearest existing ancestor (it is
/// created when the first trial runs). Creates nothing (a probe directory is made in that
/// ancestor and removed at once, because access() says yes to root even on /proc).
std::string log_dir_problem(const std::string& dir);

/// Samples `space` in order for `trial`, skipping parameters whose `when` does not hold.
/// Returns the sampled (active) parameters, external values.
std::map<std::string, ParamValue> suggest_space(Trial& trial, const std::vector<ParamSpec>& space);

/// The parameters of `space` that are active for the given values (in order).
std::vector<std::string> active_parameters(const std::vector<ParamSpec>& space,
                                           const std::map<std::string, ParamValue>& values);

/// Splits a command line like a POSIX shell would for words: whitespace separates, single
/// quotes are literal, double quotes allow \" \\ \$ \`, a backslash outside quotes escapes the
/// next character. Throws ConfigError on an unterminated quote.
std::vector<std::string> split_command_line(const std::string& line);

/// The problem of a config whose objective is a built-in function: objectives::make_problem with
/// the dimension = number of parameters, shifted when `shift_seed` is set. Throws ConfigError
/// (no `function`, or a name / dimension the loader would have refused).
objectives::Problem make_builtin_problem(const StudyConfig& config);

/// The problem of a config whose objective is a built-in multi-objective function (zdt1, zdt2,
/// zdt3, dtlz2), in dimension = number of parameters, with one objective per direction. Throws
/// ConfigError (not a multi-objective function, or a name / dimension the loader refuses).
objectives::MultiProblem make_builtin_multi_problem(const StudyConfig& config);

/// True when `name` is a built-in multi-objective function (objectives::multi_function_names()).
bool is_multi_objective_function(const std::string& name);

/// The point x of a trial for a built-in function: x[i] is parameter "x<i>" (int or float) of
/// `params`, shape (dim). Throws ConfigError when one is missing or not a number.
std::vector<double> builtin_point(const std::map<std::string, ParamValue>& params, int dim);

/// Builds the executor's CommandSpec for one trial: arguments that mention a parameter that is
/// not in `params` (its `when` did not hold) are dropped, and when such an argument is exactly
/// "{name}" and the previous argument starts with '-', that flag is dropped too
/// ("--momentum {momentum}" disappears for adamw). Environment variables that mention a missing
/// parameter are dropped. `log_dir` is the per-trial log folder.
CommandSpec make_command_spec(const ObjectiveConfig& objective, const std::vector<ParamSpec>& space,
                              const std::map<std::string, ParamValue>& params,
                              const std::string& log_dir);

}  // namespace autoglm
