"""enqueue_trial: evaluate known-good configurations first, then let the sampler continue."""
import json

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
seen = []


def objective(trial):
    x = trial.suggest_float("x", -10.0, 10.0)
    y = trial.suggest_int("y", 0, 10)
    c = trial.suggest_categorical("c", ["a", "b", None, 2.5])
    seen.append((trial.number, x, y, c, trial.user_attrs.get("source")))
    return (x - 1.0) ** 2 + (y - 3) ** 2 + (0.0 if c == "b" else 1.0)


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=2))
study.enqueue_trial({"x": 1.5, "y": 3, "c": "b"})
study.enqueue_trial({"x": -2.0}, user_attrs={"source": "manual"})
study.enqueue_trial({"x": 1.5, "y": 3, "c": "b"}, skip_if_exists=True)  # already waiting: skipped
study.enqueue_trial({"c": None, "unused": 7})
waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
fact(n_waiting=len(waiting), waiting_numbers=[t.number for t in waiting], waiting_params=[t.params for t in waiting],
     waiting_user_attrs=[t.user_attrs for t in waiting])
study.optimize(objective, n_trials=8)
trials = study.trials
fact(n_trials=len(trials), states=sorted({t.state.name for t in trials}))
fact(first=trials[0].params, first_value=trials[0].value, first_types=[type(trials[0].params[k]).__name__ for k in "xyc"])
fact(second_x=trials[1].params["x"], second_user_attrs=trials[1].user_attrs, second_names=sorted(trials[1].params),
     second_in_range=0 <= trials[1].params["y"] <= 10 and trials[1].params["c"] in ("a", "b", None, 2.5))
fact(third_c=trials[2].params["c"], third_names=sorted(trials[2].params), third_x_in_range=-10 <= trials[2].params["x"] <= 10)
fact(seen_during_run=[list(seen[0]), seen[1][1]], objective_saw_user_attr=seen[1][4])

# skip_if_exists also looks at finished trials; a different value is enqueued.
study.enqueue_trial({"x": 1.5, "y": 3, "c": "b"}, skip_if_exists=True)
study.enqueue_trial({"x": -2.0}, skip_if_exists=True)
study.enqueue_trial({"x": 1.5, "y": 4, "c": "b"}, skip_if_exists=True)
fact(waiting_after_skip=[t.params for t in study.get_trials(states=[optuna.trial.TrialState.WAITING])])

# ask() takes the oldest enqueued trial.
trial = study.ask()
fact(asked_number=trial.number, asked_params_before_suggest=trial.params,
     asked_y=trial.suggest_int("y", 0, 10), asked_params=trial.params)
study.tell(trial, 1.0)
study.enqueue_trial({"x": 4.0, "y": 6.0})
study.optimize(objective, n_trials=1)
t = study.trials[-1]
fact(x=t.params["x"], y_from_float=t.params["y"], y_type=type(t.params["y"]).__name__, state=t.state.name)
fact(total=len(study.trials), best_params=study.best_params == {"x": 1.5, "y": 3, "c": "b"})
