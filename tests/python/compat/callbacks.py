"""Callbacks, early stopping, MaxTrialsCallback, catch=(...) and objectives that raise."""
import json

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
TrialState = optuna.trial.TrialState


class Flaky(Exception):
    pass


def objective(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    if trial.number % 4 == 2:
        raise Flaky(f"flaky trial {trial.number}")
    if trial.number % 4 == 3 and trial.number > 8:
        raise ValueError("bad input")
    return x ** 2


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


log = []


def record(study, frozen):
    log.append((study.study_name, frozen.number, frozen.state.name, isinstance(frozen, optuna.trial.FrozenTrial),
                frozen.value is not None))


def stop_at_seven(study, frozen):
    if frozen.number == 7:
        study.stop()


study = optuna.create_study(study_name="callbacks", sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=50, callbacks=[record, stop_at_seven], catch=(Flaky,))
fact(stopped_after=len(study.trials), last=study.trials[-1].number,
     states=[t.state.name for t in study.trials], log=[list(entry) for entry in log])
fact(fail_reason_mentions=all("flaky trial" in t.system_attrs.get("fail_reason", "flaky trial")
                              for t in study.trials if t.state == TrialState.FAIL))

# The study can be resumed after stop(); an uncaught exception propagates, callbacks do not see it.
log.clear()
try:
    study.optimize(objective, n_trials=10, callbacks=[record], catch=[Flaky])
except ValueError as e:
    fact(raised="ValueError", message=str(e))
fact(after_error=len(study.trials), last_state=study.trials[-1].state.name, log=[entry[1:3] for entry in log])

# MaxTrialsCallback counts COMPLETE trials by default (failed ones are not counted).
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
study.optimize(objective, n_trials=30, catch=(Flaky,),
               callbacks=[optuna.study.MaxTrialsCallback(5, states=(TrialState.COMPLETE,))])
fact(max_trials_complete=len(study.get_trials(states=[TrialState.COMPLETE])), total=len(study.trials))
study.optimize(objective, n_trials=30, catch=(Flaky,),
               callbacks=[optuna.study.MaxTrialsCallback(9, states=None)])
fact(max_trials_any_state=len(study.trials))

# Exceptions from a callback propagate; stop() outside optimize is an error.
study = optuna.create_study()


def broken(study, frozen):
    raise KeyError("callback failed")


try:
    study.optimize(lambda t: t.suggest_int("k", 0, 3), n_trials=5, callbacks=[broken])
except KeyError as e:
    fact(callback_error=str(e), trials=len(study.trials), state=study.trials[0].state.name)
try:
    study.stop()
except RuntimeError as e:
    fact(stop_outside=str(e))

# Objectives returning something unusable fail without stopping the study.
study = optuna.create_study()
study.optimize(lambda t: None, n_trials=1)
study.optimize(lambda t: "abc", n_trials=1)
study.optimize(lambda t: float("nan"), n_trials=1)
study.optimize(lambda t: 1, n_trials=1, gc_after_trial=True)
fact(states=[t.state.name for t in study.trials], values=[t.value for t in study.trials])
try:
    study.optimize(lambda t: 1 / 0, n_trials=3, catch=())
except ZeroDivisionError as e:
    fact(raised=type(e).__name__, message=str(e), trials=len(study.trials))
