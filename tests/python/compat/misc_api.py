"""Everyday odds and ends: empty studies, FixedTrial, bad input, parallel and timed runs."""
import datetime
import json
import os
import sys
import tempfile
import warnings

import numpy as np

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
workdir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COMPAT_TMPDIR") or tempfile.mkdtemp()


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        # The built-in class a user would catch (library subclasses differ in name).
        return next(c.__name__ for c in type(e).__mro__ if c.__module__ == "builtins")
    return None


def objective(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    k = trial.suggest_int("k", 1, 9, step=2)
    return x * x + k


# An empty study has no best trial.
study = optuna.create_study(direction="maximize")
fact(direction=study.direction.name, n_trials=len(study.trials), best_error=error_of(lambda: study.best_trial),
     best_value_error=error_of(lambda: study.best_value), user_attrs=study.user_attrs)

# Re-running an objective on fixed parameters.
fixed = optuna.trial.FixedTrial({"x": 0.5, "k": 3})
fact(fixed_value=objective(fixed), fixed_params=fixed.params, missing=error_of(lambda: objective(optuna.trial.FixedTrial({"x": 0.5}))))

# The same name with another distribution within one trial is an error; across trials it is allowed.
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
trial = study.ask()
trial.suggest_float("lr", 0.0, 1.0)
fact(changed_kind=error_of(lambda: trial.suggest_int("lr", 0, 10)))
trial = study.ask()
fact(other_range_ok=0.0 <= trial.suggest_float("lr", 0.0, 2.0) <= 2.0)
fact(bad_range=error_of(lambda: trial.suggest_float("bad", 1.0, 0.0)),
     bad_log=error_of(lambda: trial.suggest_float("bad_log", 0.0, 1.0, log=True)),
     log_and_step=error_of(lambda: trial.suggest_float("both", 0.1, 1.0, log=True, step=0.1)),
     int_log_step=error_of(lambda: trial.suggest_int("ilog", 1, 10, step=2, log=True)))
fact(single_value=trial.suggest_float("const", 3.0, 3.0), single_int=trial.suggest_int("iconst", 4, 4),
     single_choice=trial.suggest_categorical("only", ["one"]))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    deprecated = [0.0 <= trial.suggest_uniform("u", 0.0, 1.0) <= 1.0,
                  1e-3 <= trial.suggest_loguniform("lu", 1e-3, 1.0) <= 1.0,
                  trial.suggest_discrete_uniform("du", 0.0, 1.0, 0.5) in (0.0, 0.5, 1.0)]
fact(deprecated_apis=deprecated, warnings=sorted({w.category.__name__ for w in caught}))
fact(bad_direction=error_of(lambda: optuna.create_study(direction="up")),
     both_directions=error_of(lambda: optuna.create_study(direction="minimize", directions=["minimize"])))
fact(distribution_errors=[error_of(lambda: optuna.distributions.FloatDistribution(2.0, 1.0)),
                          error_of(lambda: optuna.distributions.IntDistribution(0, 10, log=True)),
                          error_of(lambda: optuna.distributions.CategoricalDistribution([]))])

# Parallel and timed runs.
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
study.optimize(objective, n_trials=12, n_jobs=3)
fact(n_jobs_trials=len(study.trials), numbers=sorted(t.number for t in study.trials) == list(range(12)),
     all_complete=all(t.state.name == "COMPLETE" for t in study.trials))
study.optimize(objective, timeout=0.3)
fact(timeout_ran_some=len(study.trials) > 12)

# Values as the study stores them; an RDBStorage object works like its URL.
storage = optuna.storages.RDBStorage("sqlite:///" + os.path.join(workdir, "misc.db"))
study = optuna.create_study(storage=storage, study_name="misc", direction=optuna.study.StudyDirection.MAXIMIZE)
study.optimize(lambda t: t.suggest_int("n", 0, 5) + 0.25, n_trials=4)
fact(name=study.study_name, direction=study.direction.name, best_at_most=study.best_value <= 5.25,
     values_ok=all(t.value == t.params["n"] + 0.25 for t in study.trials))
reloaded = optuna.load_study(study_name="misc", storage="sqlite:///" + os.path.join(workdir, "misc.db"))
fact(reloaded=[(t.number, t.params, t.value) == (u.number, u.params, u.value)
               for t, u in zip(study.trials, reloaded.trials)])
fact(state_values=[s.name for s in optuna.trial.TrialState], finished=[s.is_finished() for s in optuna.trial.TrialState],
     direction_values=[d.name for d in optuna.study.StudyDirection])

# Inside the objective: the live trial's attributes; numpy and sequence return values.
inside = []


def introspect(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.set_user_attr("tag", ["a", 1, None, 2.5, {"k": True}])
    inside.append([trial.number, trial.study is study, sorted(trial.params), sorted(trial.distributions),
                   trial.user_attrs, isinstance(trial.datetime_start, datetime.datetime)])
    return [np.float32(0.5), np.int64(2), np.float64(x), [x], True][trial.number]


study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
study.optimize(introspect, n_trials=5)
fact(inside=inside, values=[t.value == t.params["x"] if t.number in (2, 3) else t.value for t in study.trials],
     types=[type(t.value).__name__ for t in study.trials], stored_tag=study.trials[0].user_attrs["tag"])

fact(categorical_repr=repr(optuna.distributions.CategoricalDistribution(["a", 1, None])),
     int_repr=repr(optuna.distributions.IntDistribution(1, 8, log=True)))
