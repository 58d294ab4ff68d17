#!/usr/bin/python3
"""One side of the Python TPE benchmark (bench/python.sh): a TPE study driven from Python with a
trivial objective, by our package `autoglm` or by Optuna, timed end to end.

    /usr/bin/python3 bench/python_tpe.py --impl autoglm|optuna [--trials 1000]
        [--storage memory|sqlite] [--seed 0] [--params 5] [--sampler tpe|random] [--db FILE]

The script is the same for both sides; only the imported module differs (``import autoglm as
optuna`` for ours), as in a user's script. The objective is the sum of squares of --params float
parameters x_i in [-5, 5], plus n^2 for an int n in [-5, 5] and 0/1/2 for a categorical c in
("a", "b", "c"): minimum 0, nothing to compute, so the time measured is the library's (sampling,
storage, Python <-> library calls). TPESampler(seed=--seed) with default options, the default
pruner, logging at WARNING for both.

Prints one JSON line: impl, version, storage, sampler, trials, params, seed, seconds (wall time from
create_study to the end of optimize, study creation included; imports excluded, they are
reported as import_s), ms_per_trial, best_value, n_complete, peak_rss_mib (ru_maxrss of this
process, imports included), python.
SQLite: a fresh database file (--db, default a temporary file removed afterwards).
"""

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--impl", choices=("autoglm", "optuna"), required=True)
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--storage", choices=("memory", "sqlite"), default="memory")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--params", type=int, default=5, help="float parameters (plus one int and one categorical)")
    ap.add_argument("--sampler", choices=("tpe", "random"), default="tpe",
                    help="random: the library's own cost without TPE (bench/python.sh runs it for ours)")
    ap.add_argument("--db", default=None, help="SQLite file (default: a temporary file, removed)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    if args.impl == "autoglm":
        import autoglm as optuna
    else:
        import optuna
    import_s = time.perf_counter() - t0
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    names = [f"x{i}" for i in range(args.params)]
    penalty = {"a": 0.0, "b": 1.0, "c": 2.0}

    def objective(trial):
        s = 0.0
        for name in names:
            x = trial.suggest_float(name, -5.0, 5.0)
            s += x * x
        n = trial.suggest_int("n", -5, 5)
        c = trial.suggest_categorical("c", ("a", "b", "c"))
        return s + n * n + penalty[c]

    tmpdir = None
    storage = None
    if args.storage == "sqlite":
        db = args.db
        if db is None:
            tmpdir = tempfile.TemporaryDirectory(prefix="python_tpe_")
            db = os.path.join(tmpdir.name, "study.db")
        elif os.path.exists(db):
            os.remove(db)
        storage = "sqlite:///" + os.path.abspath(db)

    if args.sampler == "tpe":
        sampler = optuna.samplers.TPESampler(seed=args.seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=args.seed)

    start = time.perf_counter()
    study = optuna.create_study(storage=storage, study_name="python-tpe",
                                sampler=sampler)
    study.optimize(objective, n_trials=args.trials)
    seconds = time.perf_counter() - start

    n_complete = sum(1 for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE)
    out = {
        "impl": args.impl, "version": optuna.__version__, "storage": args.storage, "sampler": args.sampler, "trials": args.trials,
        "params": args.params + 2, "seed": args.seed, "seconds": round(seconds, 4),
        "ms_per_trial": round(1000.0 * seconds / max(args.trials, 1), 4), "best_value": study.best_value,
        "n_complete": n_complete, "import_s": round(import_s, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "python": platform.python_version(),
    }
    if tmpdir is not None:
        tmpdir.cleanup()
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
