#!/usr/bin/python3
"""Optuna's side of the parameter-importance benchmark (bench/importance.sh).

    /usr/bin/python3 bench/importance_optuna.py study --out FILE [--trials 1000] [--seed 0]
        writes a 10-parameter study (float, log float, int, log int, stepped float, two
        categoricals) filled by RandomSampler(seed), in the trial format of
        tests/data/importance_optuna.json (internal values + Optuna distribution JSON), so that
        bench/importance_bench.cc reads exactly the same trials;
    /usr/bin/python3 bench/importance_optuna.py time --study FILE [--repeats 1]
        rebuilds the study from FILE and times FanovaImportanceEvaluator(seed=0) (and
        PedAnovaImportanceEvaluator when the installed Optuna has it; 3.1 does not), printing
        one JSON object with seconds and importances.
"""

import argparse
import json
import math
import pathlib
import sys
import time

import optuna
from optuna.importance import FanovaImportanceEvaluator

optuna.logging.set_verbosity(optuna.logging.ERROR)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
from gen_importance_expected import export_trials  # noqa: E402  (one trial format for test and bench)


def objective(trial):
    x0 = trial.suggest_float("x0", 0.0, 1.0)
    x1 = trial.suggest_float("x1", 0.0, 1.0)
    x2 = trial.suggest_float("x2", -1.0, 1.0)
    trial.suggest_float("x3", 0.0, 1.0)  # unused
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    layers = trial.suggest_int("layers", 1, 16)
    batch = trial.suggest_int("batch", 8, 1024, log=True)
    dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
    opt = trial.suggest_categorical("opt", ["adam", "adamw", "sgd", "rmsprop"])
    act = trial.suggest_categorical("act", ["relu", "gelu", "tanh"])
    return (5.0 * x0 + 3.0 * x1 * x2 + (math.log10(lr) + 3.0) ** 2 / 4.0 + 0.2 * layers + 0.002 * batch
            + dropout + 2.0 * (opt == "sgd") + 0.5 * (act == "tanh"))


def cmd_study(args):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=args.seed))
    study.optimize(objective, n_trials=args.trials)
    trials = export_trials(study)
    with open(args.out, "w") as f:
        json.dump({"generator": "bench/importance_optuna.py", "seed": args.seed,
                   "directions": ["minimize"], "trials": trials}, f)


def load_study(path):
    with open(path) as f:
        data = json.load(f)
    study = optuna.create_study(directions=data["directions"])
    for t in data["trials"]:
        dists = {k: optuna.distributions.json_to_distribution(json.dumps(d)) for k, d in t["distributions"].items()}
        params = {k: dists[k].to_external_repr(v) for k, v in t["params"].items()}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, values=t["values"]))
    return study


def timed(evaluator, study, repeats):
    best, result = math.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = evaluator.evaluate(study)
        best = min(best, time.perf_counter() - start)
    return best, [[k, float(v)] for k, v in result.items()]


def cmd_time(args):
    study = load_study(args.study)
    out = {"optuna_version": optuna.__version__, "n_trials": len(study.trials),
           "n_params": len(study.trials[0].params)}
    out["fanova_s"], out["fanova"] = timed(FanovaImportanceEvaluator(seed=0), study, args.repeats)
    ped = getattr(optuna.importance, "PedAnovaImportanceEvaluator", None)
    if ped is not None:
        out["ped_anova_s"], out["ped_anova"] = timed(ped(), study, args.repeats)
    json.dump(out, sys.stdout)
    print()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("study")
    s.add_argument("--out", required=True)
    s.add_argument("--trials", type=int, default=1000)
    s.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("time")
    t.add_argument("--study", required=True)
    t.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    cmd_study(args) if args.cmd == "study" else cmd_time(args)


if __name__ == "__main__":
    main()
