#!/usr/bin/python3
"""Writes tests/data/importance_optuna.json: Optuna 3.1's fANOVA importances on fixed studies.

Run with Debian's interpreter (python3-optuna 3.1 and python3-sklearn, the parity anchor):

    /usr/bin/python3 scripts/gen_importance_expected.py

Each study is filled by optuna.samplers.RandomSampler(seed) on a closed-form objective whose
importances are clearly separated; the file records every trial (number, values, parameters in
Optuna's internal representation = the C++ FrozenTrial::params, distributions in Optuna's JSON
form) and FanovaImportanceEvaluator(seed=s).evaluate(...) for s = 0, 1, 2 (the spread over seeds
shows how much of a difference is forest noise). tests/importance/importance_test.cc rebuilds
the trials, runs our fANOVA and compares the top-k ranking ("top_k", the number of parameters
whose importances are far apart) and the values within a loose tolerance (our forest draws its
bootstrap from another generator than scikit-learn's, so values agree up to forest noise).
The JSON is committed; the tests never run Python.
"""

import json
import math
import os
import sys

import optuna
from optuna.importance import FanovaImportanceEvaluator

if optuna.__version__ != "3.1.0":
    sys.exit(f"expected Debian python3-optuna 3.1.0, found optuna {optuna.__version__}")
optuna.logging.set_verbosity(optuna.logging.ERROR)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "importance_optuna.json")


def mixed6(trial):
    x1 = trial.suggest_float("x1", 0.0, 1.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    n = trial.suggest_int("n", 1, 10)
    opt = trial.suggest_categorical("opt", ["adam", "sgd", "rmsprop"])
    x5 = trial.suggest_float("x5", 0.0, 1.0, step=0.1)
    trial.suggest_float("unused", -1.0, 1.0)
    return 10.0 * x1 + 5.0 * (opt == "sgd") + 0.5 * n + 0.3 * math.log10(lr) + 0.5 * x5


def branin(trial):
    x1 = trial.suggest_float("x1", -5.0, 10.0)
    x2 = trial.suggest_float("x2", 0.0, 15.0)
    trial.suggest_float("w", 0.0, 1.0)
    b, c, r, s, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


def logint(trial):
    k = trial.suggest_int("k", 1, 1024, log=True)
    c = trial.suggest_categorical("c", [0, 1, 2, 3])
    d = trial.suggest_float("d", 0.0, 1.0)
    return 0.01 * k + 3.0 * (c == 2) + 0.2 * d


def multi(trial):
    a = trial.suggest_float("a", 0.0, 1.0)
    b = trial.suggest_float("b", 0.0, 1.0)
    c = trial.suggest_int("c", 0, 4)
    return a + 0.1 * b + 0.01 * c, 5.0 * b + 0.5 * c


STUDIES = [
    # name, objective, directions, seed, n_trials, objective_index, top_k
    ("mixed6", mixed6, ["minimize"], 1, 200, 0, 3),
    ("branin", branin, ["minimize"], 2, 200, 0, 2),
    ("logint", logint, ["maximize"], 3, 200, 0, 2),
    ("multi", multi, ["minimize", "maximize"], 4, 200, 1, 2),
]


def export_trials(study):
    """The study's trials as tests/common/importance_study_json.h reads them (also used by
    bench/importance_optuna.py): internal parameter values and Optuna's distribution JSON."""
    return [{
        "number": t.number,
        "state": t.state.name,
        "values": list(t.values),
        "params": {k: t.distributions[k].to_internal_repr(v) for k, v in t.params.items()},
        "distributions": {k: json.loads(optuna.distributions.distribution_to_json(d))
                          for k, d in t.distributions.items()},
    } for t in study.trials]


def main():
    out = {"generator": "scripts/gen_importance_expected.py", "optuna_version": optuna.__version__,
           "evaluator": "FanovaImportanceEvaluator", "studies": []}
    for name, fn, directions, seed, n_trials, index, top_k in STUDIES:
        study = optuna.create_study(directions=directions, sampler=optuna.samplers.RandomSampler(seed=seed))
        study.optimize(fn, n_trials=n_trials)
        trials = export_trials(study)
        expected = {}
        for s in (0, 1, 2):
            imp = FanovaImportanceEvaluator(seed=s).evaluate(study, target=lambda t: t.values[index])
            expected[str(s)] = [[k, float(v)] for k, v in imp.items()]
        out["studies"].append({"name": name, "directions": directions, "objective_index": index,
                               "top_k": top_k, "trials": trials, "importances": expected})
        print(name, expected["0"])
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
