"""Multi-objective optimization: minimize cost, maximize accuracy; the Pareto front."""
import json

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial):
    x = trial.suggest_float("x", 0.0, 5.0)
    y = trial.suggest_float("y", 0.0, 3.0)
    depth = trial.suggest_int("depth", 1, 8)
    cost = 4 * x ** 2 + 4 * y ** 2 + depth
    accuracy = -((x - 5) ** 2 + (y - 5) ** 2) + 0.5 * depth
    return cost, accuracy


def dominates(a, b, directions):
    signs = [1 if d == optuna.study.StudyDirection.MINIMIZE else -1 for d in directions]
    better_or_equal = all(s * u <= s * v for s, u, v in zip(signs, a, b))
    return better_or_equal and any(s * u < s * v for s, u, v in zip(signs, a, b))


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return None


for label, sampler, n_trials in [("nsga2", optuna.samplers.NSGAIISampler(seed=0, population_size=10), 40),
                                 ("tpe", optuna.samplers.TPESampler(seed=0, n_startup_trials=8), 30),
                                 ("default", None, 20)]:
    study = optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    fact(sampler=label, directions=[d.name for d in study.directions],
         sampler_class=type(study.sampler).__name__ if label == "default" else label)
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    front = study.best_trials
    front_numbers = {t.number for t in front}
    fact(sampler=label, n_complete=len(complete), front_nonempty=len(front) > 0,
         values_have_two=all(len(t.values) == 2 for t in complete),
         front_sorted=[t.number for t in front] == sorted(front_numbers))
    fact(sampler=label, front_mutually_nondominated=all(
        not dominates(a.values, b.values, study.directions) for a in front for b in front))
    fact(sampler=label, front_dominates_rest=all(
        any(dominates(p.values, t.values, study.directions) or p.values == t.values for p in front)
        for t in complete if t.number not in front_numbers))
    fact(sampler=label, params_in_range=all(
        0 <= t.params["x"] <= 5 and 0 <= t.params["y"] <= 3 and 1 <= t.params["depth"] <= 8 for t in complete))

study = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=1))
study.optimize(objective, n_trials=5)
fact(best_trial_error=error_of(lambda: study.best_trial), direction_error=error_of(lambda: study.direction),
     value_error=error_of(lambda: study.trials[0].value))
try:
    study.direction
except RuntimeError as e:
    fact(direction_message=str(e))
try:
    study.trials[0].value
except RuntimeError as e:
    fact(value_message=str(e))

# report() is single-objective only; a wrong number of values fails the trial, the study goes on.
study.optimize(lambda t: t.report(1.0, 0), n_trials=1, catch=(NotImplementedError,))
fact(report_fails=study.trials[-1].state.name)
study.optimize(lambda t: (t.suggest_float("x", 0, 1),), n_trials=2)
study.optimize(lambda t: (1.0, 2.0, 3.0), n_trials=1)
study.optimize(lambda t: (1.0, float("nan")), n_trials=1)
fact(states=[t.state.name for t in study.trials])
trial = study.ask()
frozen = study.tell(trial, [1.5, 2.5])
fact(told_values=frozen.values, stored=study.trials[-1].values)
df = study.trials_dataframe()
fact(columns=[c for c in df.columns if not c.startswith("system_attrs_")])

# Constraints (<= 0 is feasible) are stored on each trial. (Optuna 3.1's best_trials ignores them,
# newer Optuna versions and the reimplementation keep feasible trials only: not compared.)
sampler = optuna.samplers.NSGAIISampler(seed=3, population_size=8, constraints_func=lambda t: [t.params["x"] - 3.0])
study = optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)
study.optimize(objective, n_trials=24)
fact(constraints_stored=all(list(t.system_attrs["constraints"]) == [t.params["x"] - 3.0] for t in study.trials))

# Enqueued and added trials take part in the front.
study = optuna.create_study(directions=["minimize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=2))
study.enqueue_trial({"x": 0.0, "y": 0.0, "depth": 1})
study.add_trial(optuna.trial.create_trial(
    params={"x": 5.0, "y": 3.0, "depth": 8}, values=[200.0, 0.0],
    distributions={"x": optuna.distributions.FloatDistribution(0.0, 5.0),
                   "y": optuna.distributions.FloatDistribution(0.0, 3.0),
                   "depth": optuna.distributions.IntDistribution(1, 8)}))
study.optimize(objective, n_trials=6)
fact(enqueued_params=study.trials[0].params, added_values=study.trials[1].values,
     in_front=sorted(t.number for t in study.best_trials if t.number < 2))
