"""Choosing a sampler: grid search, reproducible seeds, CMA-ES and QMC on a box-constrained space."""
import json
import warnings

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.simplefilter("ignore")  # QMCSampler is experimental in Optuna


def objective(trial):
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_int("y", -3, 3)
    return (x - 0.5) ** 2 + (y - 1) ** 2


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


# Grid search visits every point once and stops when the grid is exhausted.
grid = {"x": [-1.0, 0.0, 1.5], "y": [-3, 0, 2]}
study = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
study.optimize(objective, n_trials=100)
points = sorted((t.params["x"], t.params["y"]) for t in study.trials)
fact(grid_trials=len(study.trials), grid_points=points,
     grid_best=study.best_params, grid_best_value=study.best_value)

# The same seed gives the same trials; each sampler keeps values in range.
for name, make in [("random", lambda: optuna.samplers.RandomSampler(seed=42)),
                   ("tpe", lambda: optuna.samplers.TPESampler(seed=42, n_startup_trials=5)),
                   ("cmaes", lambda: optuna.samplers.CmaEsSampler(seed=42)),
                   ("qmc", lambda: optuna.samplers.QMCSampler(seed=42, scramble=True))]:
    runs = []
    for _ in range(2):
        study = optuna.create_study(sampler=make())
        study.optimize(objective, n_trials=20)
        runs.append([(t.params, t.value) for t in study.trials])
    params = [p for p, _ in runs[0]]
    fact(sampler=name, reproducible=runs[0] == runs[1], n=len(runs[0]),
         in_range=all(-2.0 <= p["x"] <= 2.0 and -3 <= p["y"] <= 3 and type(p["y"]) is int for p in params),
         distinct=len({p["x"] for p in params}) > 10)

# A sampler's seed does not leak into another study created without one.
a = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
b = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
a.optimize(objective, n_trials=5)
b.optimize(objective, n_trials=5)
fact(different_seeds_differ=[t.params for t in a.trials] != [t.params for t in b.trials])
