"""Ask-and-tell: the caller runs its own loop and tells results (and failures) back."""
import json
import warnings

import autoglm as optuna

TrialState = optuna.trial.TrialState
FloatDistribution = optuna.distributions.FloatDistribution
IntDistribution = optuna.distributions.IntDistribution
CategoricalDistribution = optuna.distributions.CategoricalDistribution
optuna.logging.set_verbosity(optuna.logging.WARNING)


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


def outcome(fn):
    """(exception class name or None, warning messages) of a call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn()
            error = None
        except Exception as e:  # noqa: BLE001
            error = type(e).__name__ + (": " + str(e) if isinstance(e, ValueError) else "")
    return error, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=3, n_startup_trials=5))
told = {}
for i in range(16):
    trial = study.ask()
    x = trial.suggest_float("x", -4.0, 4.0)
    n = trial.suggest_int("n", 1, 8, log=True)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    value = -(x - 1.0) ** 2 + n * 0.1 + (0.3 if kind == "a" else 0.0)
    if i % 5 == 3:
        trial.report(value - 1.0, 0)
        frozen = study.tell(trial, state=TrialState.PRUNED)
    elif i % 5 == 4:
        frozen = study.tell(trial, state=TrialState.FAIL)
    elif i % 2:
        frozen = study.tell(trial.number, value)  # by number
        told[trial.number] = value
    else:
        frozen = study.tell(trial, value)
        told[trial.number] = value
    assert frozen.number == trial.number and frozen.state.is_finished()

trials = study.trials
fact(states=[t.state.name for t in trials])
fact(told_values_exact=all(trials[n].value == v for n, v in told.items()),
     best_value_is_max_told=study.best_value == max(told.values()),
     best_number_told=study.best_trial.number in told)
fact(pruned_values=[t.value == t.intermediate_values[0] for t in trials if t.state == TrialState.PRUNED],
     fail_values=[t.value for t in trials if t.state == TrialState.FAIL])
fact(ints=all(type(t.params["n"]) is int and 1 <= t.params["n"] <= 8 for t in trials),
     floats=all(-4.0 <= t.params["x"] <= 4.0 for t in trials))

# Fixed distributions are suggested at once.
fixed = {"lr": FloatDistribution(1e-4, 1e-1, log=True), "batch": IntDistribution(16, 128, step=16),
         "opt": CategoricalDistribution(["sgd", "adam"])}
trial = study.ask(fixed_distributions=fixed)
params = dict(trial.params)
fact(fixed_names=sorted(params), lr_ok=1e-4 <= params["lr"] <= 1e-1, batch_ok=params["batch"] % 16 == 0,
     opt_ok=params["opt"] in ("sgd", "adam"), same_again=trial.suggest_float("lr", 1e-4, 1e-1, log=True) == params["lr"],
     dists_equal=trial.distributions == fixed)
frozen = study.tell(trial, 0.125)
fact(fixed_told=frozen.value, fixed_params_kept=frozen.params == params)

# Misuse.
trial = study.ask()
trial.suggest_float("x", -4.0, 4.0)
fact(complete_without_value=outcome(lambda: study.tell(trial, state=TrialState.COMPLETE)))
fact(pruned_with_value=outcome(lambda: study.tell(trial, 1.0, state=TrialState.PRUNED)))
fact(fail_with_value=outcome(lambda: study.tell(trial, 1.0, state=TrialState.FAIL)))
fact(running_state=outcome(lambda: study.tell(trial, 1.0, state=TrialState.RUNNING))[0] is not None)
fact(tell_ok=outcome(lambda: study.tell(trial, 2.0)))
try:
    study.tell(trial, 3.0)
except ValueError:
    fact(tell_twice="ValueError")
fact(skip_if_finished=study.tell(trial, 3.0, skip_if_finished=True).value, value_kept=study.trials[-1].value)
fact(unknown_number=outcome(lambda: study.tell(999, 1.0)))
fact(not_a_trial=outcome(lambda: study.tell("3", 1.0)))
trial = study.ask()
fact(explicit_complete_nan=outcome(lambda: study.tell(trial, float("nan"), state=TrialState.COMPLETE)),
     still_running=study.trials[-1].state.name)
study.tell(trial, state=TrialState.FAIL)

# Values the study cannot use make the trial FAIL, with a warning.
for bad in [float("nan"), None, "abc", [1.0, 2.0]]:
    trial = study.ask()
    error, warned = outcome(lambda: study.tell(trial, bad))
    fact(bad=repr(bad), error=error, warned=len(warned), state=study.trials[-1].state.name)
fact(n_trials=len(study.trials), last_number=study.trials[-1].number)

# A told trial cannot take new parameters or reports.
trial = study.ask()
study.tell(trial, 1.0)
fact(suggest_after_tell=outcome(lambda: trial.suggest_float("late", 0.0, 1.0))[0],
     report_after_tell=outcome(lambda: trial.report(0.5, 1))[0] is not None)
