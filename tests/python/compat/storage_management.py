"""A persistent study in SQLite: resume, load, summaries, delete, export, importance, add_trial."""
import datetime
import json
import os
import sys
import tempfile

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
workdir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("COMPAT_TMPDIR") or tempfile.mkdtemp()
storage = "sqlite:///" + os.path.join(workdir, "studies.db")


def objective(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", 0, 4)
    opt = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    trial.set_user_attr("double_x", 2 * x)
    for step in range(3):
        trial.report((x - 2) ** 2 + 1.0 / (step + 1), step)
    return (x - 2) ** 2 + 0.01 * y + (0.0 if opt == "adam" else 0.05)


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


study = optuna.create_study(storage=storage, study_name="resnet", sampler=optuna.samplers.TPESampler(seed=4),
                            pruner=optuna.pruners.NopPruner())
study.set_user_attr("dataset", "cifar10")
study.optimize(objective, n_trials=20)

# A second "process" resumes the same study.
again = optuna.create_study(storage=storage, study_name="resnet", load_if_exists=True,
                            sampler=optuna.samplers.TPESampler(seed=5), pruner=optuna.pruners.NopPruner())
fact(resumed_trials=len(again.trials), resumed_user_attrs=again.user_attrs)
again.optimize(objective, n_trials=10)
try:
    optuna.create_study(storage=storage, study_name="resnet")
except optuna.exceptions.DuplicatedStudyError:
    fact(duplicate="DuplicatedStudyError")

other = optuna.create_study(storage=storage, study_name="throwaway", direction="maximize")
other.optimize(lambda t: t.suggest_float("z", 0, 1), n_trials=3)
loaded = optuna.load_study(study_name="resnet", storage=storage)
fact(loaded_trials=len(loaded.trials), same_best=loaded.best_value == again.best_value,
     same_best_params=loaded.best_params == study.best_params, direction=loaded.direction.name)
summaries = sorted(optuna.get_all_study_summaries(storage=storage), key=lambda s: s.study_name)
fact(summaries=[[s.study_name, s.n_trials, s.direction.name, s.user_attrs] for s in summaries],
     summary_best=summaries[0].best_trial.value == loaded.best_value,
     datetime_start=isinstance(summaries[0].datetime_start, datetime.datetime))
optuna.delete_study(study_name="throwaway", storage=storage)
fact(after_delete=[s.study_name for s in optuna.get_all_study_summaries(storage=storage)])
try:
    optuna.load_study(study_name="throwaway", storage=storage)
except KeyError:
    fact(load_deleted="KeyError")
try:
    optuna.delete_study(study_name="throwaway", storage=storage)
except KeyError:
    fact(delete_deleted="KeyError")

# Export.
df = loaded.trials_dataframe()
fact(columns=[c for c in df.columns if not c.startswith("system_attrs_")], rows=len(df))
fact(dtypes={c: str(df[c].dtype) for c in ("number", "value", "datetime_start", "duration", "params_x", "params_y",
                                            "params_optimizer", "user_attrs_double_x", "state")})
fact(numbers=df["number"].tolist() == list(range(30)), states=sorted(set(df["state"])),
     values=df["value"].tolist() == [t.value for t in loaded.trials],
     user_attrs=all(abs(r.user_attrs_double_x - 2 * r.params_x) < 1e-12 for r in df.itertuples()))
mi = loaded.trials_dataframe(attrs=("number", "value", "params"), multi_index=True)
fact(multi_index=[list(c) for c in mi.columns])

# Importance: x drives the objective.
importances = optuna.importance.get_param_importances(loaded)
fact(importance_names=sorted(importances), top=next(iter(importances)),
     sums_to_one=bool(abs(sum(importances.values()) - 1.0) < 1e-6),
     non_negative=bool(min(importances.values()) >= 0))

# A trial from elsewhere.
dists = {"x": optuna.distributions.FloatDistribution(-5.0, 5.0), "y": optuna.distributions.IntDistribution(0, 4),
         "optimizer": optuna.distributions.CategoricalDistribution(["adam", "sgd"])}
loaded.add_trial(optuna.trial.create_trial(params={"x": 2.0, "y": 0, "optimizer": "adam"}, distributions=dists,
                                           value=0.0, user_attrs={"source": "paper"},
                                           intermediate_values={0: 1.0, 1: 0.5, 2: 0.0}))
t = optuna.load_study(study_name="resnet", storage=storage).trials[-1]
fact(number=t.number, state=t.state.name, value=t.value, params=t.params, user_attrs=t.user_attrs,
     intermediate_values={str(k): v for k, v in t.intermediate_values.items()},
     distributions_equal=t.distributions == dists, best_is_added=loaded.best_trial.number == t.number)
try:
    optuna.trial.create_trial(params={"x": 9.0}, distributions={"x": dists["x"]}, value=1.0)
except ValueError:
    fact(out_of_range="ValueError")
try:
    optuna.trial.create_trial(params={"x": 1.0}, distributions={"x": dists["x"]})
except ValueError:
    fact(complete_without_value="ValueError")

# FrozenTrial fields.
t = loaded.trials[3]
fact(fields=[t.number, t.state.name, sorted(t.params), sorted(t.distributions), sorted(t.intermediate_values),
             sorted(t.user_attrs), t.last_step],
     duration=isinstance(t.duration, datetime.timedelta) and t.duration.total_seconds() >= 0,
     start_before_complete=t.datetime_start <= t.datetime_complete,
     value_matches_params=abs(t.value - ((t.params["x"] - 2) ** 2 + 0.01 * t.params["y"]
                                         + (0.0 if t.params["optimizer"] == "adam" else 0.05))) < 1e-12)
