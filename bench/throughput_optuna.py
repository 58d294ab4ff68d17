#!/usr/bin/python3
"""Optuna's side of the storage/worker throughput benchmark (bench/throughput.sh).

Run under Debian's interpreter (/usr/bin/python3: python3-optuna 3.1, python3-psycopg2).

Storage specs (--storage): an SQLAlchemy URL for Optuna's RDBStorage ("sqlite:////abs/x.db",
"postgresql+psycopg2://user:pw@127.0.0.1:5432/db") or "journal:/abs/path.log" for
JournalStorage(JournalFileStorage(path)) (its default lock).

Verbs (each prints one JSON object on stdout):
  create        --storage S --study NAME                 a new study (minimize), nothing run
  worker        --storage S --study NAME --n-trials n --seed k
                load_study with RandomSampler(seed=k), study.optimize(sphere of x0, x1 in
                [-5, 5], n_trials=n): one of the K processes throughput.sh starts at once
  verify        --storage S --study NAME --n N           states, lost / duplicated trial numbers
  fill          --db PATH --study NAME --n N --params D  N COMPLETE trials with D float params in
                Optuna's own SQLite schema, written in one transaction (setup for `memory`)
  memory        --storage S --study NAME --what optimize|dataframe
                optimize: load_study(TPESampler) + study.optimize(n_trials=1) on the D params;
                dataframe: load_study + study.trials_dataframe() (without pandas: get_trials()
                written as CSV to /dev/null). Seconds and peak RSS
                (getrusage) of this process.
"""
import argparse
import datetime
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput_tools import summarize  # noqa: E402

T_IMPORT = time.monotonic()
import optuna  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)
IMPORT_S = time.monotonic() - T_IMPORT


def open_storage(spec):
    if spec.startswith("journal:"):
        return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(spec[len("journal:"):]))
    kwargs = {}
    if spec.startswith("sqlite"):
        # SQLAlchemy's default SQLite busy timeout (5 s) fails trials under 16 writers; a long one
        # gives Optuna's RDB storage its best chance.
        kwargs = {"connect_args": {"timeout": 600}}
    return optuna.storages.RDBStorage(spec, engine_kwargs=kwargs)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def emit(obj):
    print(json.dumps(obj), flush=True)


def cmd_create(a):
    optuna.create_study(storage=open_storage(a.storage), study_name=a.study, direction="minimize")
    emit({"kind": "created", "storage": a.storage.split("@")[-1], "study": a.study})


def sphere(trial):
    x0 = trial.suggest_float("x0", -5.0, 5.0)
    x1 = trial.suggest_float("x1", -5.0, 5.0)
    return x0 * x0 + x1 * x1


def cmd_worker(a):
    t0 = time.monotonic()
    study = optuna.load_study(study_name=a.study, storage=open_storage(a.storage),
                              sampler=optuna.samplers.RandomSampler(seed=a.seed))
    t1 = time.monotonic()
    study.optimize(sphere, n_trials=a.n_trials)
    t2 = time.monotonic()
    emit({"kind": "worker", "import_s": IMPORT_S, "load_s": t1 - t0, "optimize_s": t2 - t1, "n": a.n_trials})


def cmd_verify(a):
    storage = open_storage(a.storage)
    study = optuna.load_study(study_name=a.study, storage=storage)
    trials = study.get_trials(deepcopy=False)
    ns = [(t.number, t.state.name) for t in trials]
    starts = [t.datetime_start for t in trials if t.datetime_start]
    completes = [t.datetime_complete for t in trials if t.datetime_complete]
    emit(dict(kind="verify", **summarize(ns, a.n, starts, completes)))


def cmd_fill(a):
    import sqlite3
    import random
    from optuna.distributions import FloatDistribution, distribution_to_json
    url = "sqlite:///" + os.path.abspath(a.db)
    optuna.create_study(storage=url, study_name=a.study, direction="minimize")
    dist = distribution_to_json(FloatDistribution(-5.0, 5.0))
    rng = random.Random(a.seed)
    t0 = time.monotonic()
    con = sqlite3.connect(a.db)
    cur = con.cursor()
    study_id = cur.execute("SELECT study_id FROM studies WHERE study_name = ?", (a.study,)).fetchone()[0]
    base_id = cur.execute("SELECT COALESCE(MAX(trial_id), 0) FROM trials").fetchone()[0] + 1
    now = datetime.datetime.now()
    trials, params, values = [], [], []
    for i in range(a.n):
        tid = base_id + i
        start = now + datetime.timedelta(microseconds=200 * i)
        done = start + datetime.timedelta(microseconds=100)
        trials.append((tid, i, study_id, "COMPLETE", str(start), str(done)))
        v = 0.0
        for d in range(a.params):
            x = rng.uniform(-5.0, 5.0)
            v += x * x
            params.append((tid, "x%d" % d, x, dist))
        values.append((tid, 0, v, "FINITE"))
    cur.executemany("INSERT INTO trials (trial_id, number, study_id, state, datetime_start, datetime_complete) "
                    "VALUES (?, ?, ?, ?, ?, ?)", trials)
    cur.executemany("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) "
                    "VALUES (?, ?, ?, ?)", params)
    cur.executemany("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, ?, ?, ?)", values)
    con.commit()
    con.close()
    seconds = time.monotonic() - t0
    # Read back through Optuna: the rows must be a valid study.
    study = optuna.load_study(study_name=a.study, storage=url)
    n = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))
    if n != a.n:
        sys.exit("fill: Optuna reads %d COMPLETE trials, expected %d" % (n, a.n))
    emit({"kind": "fill", "impl": "optuna", "n": a.n, "params": a.params, "seconds": seconds})


def cmd_memory(a):
    t0 = time.monotonic()
    if a.what == "optimize":
        study = optuna.load_study(study_name=a.study, storage=open_storage(a.storage),
                                  sampler=optuna.samplers.TPESampler(seed=1))
        names = sorted({k for t in study.get_trials(deepcopy=False)[:1] for k in t.params},
                       key=lambda s: int(s[1:]))

        def objective(trial):
            return sum(trial.suggest_float(n, -5.0, 5.0) ** 2 for n in names)

        study.optimize(objective, n_trials=1)
        extra = {"n_trials_after": len(study.get_trials(deepcopy=False))}
    else:
        study = optuna.load_study(study_name=a.study, storage=open_storage(a.storage))
        try:
            import pandas  # noqa: F401  (trials_dataframe needs it; Debian python3-pandas)
        except ImportError:
            pandas = None
        if pandas is not None:
            df = study.trials_dataframe()
            extra = {"method": "trials_dataframe", "rows": int(len(df)), "columns": int(len(df.columns))}
        else:
            # Without pandas: what trials_dataframe reads (every trial), written as CSV to /dev/null
            # like `autoglm trials --format csv > /dev/null`.
            import csv
            trials = study.get_trials(deepcopy=False)
            names = sorted({k for t in trials for k in t.params})
            with open(os.devnull, "w") as f:
                w = csv.writer(f)
                w.writerow(["number", "state", "value", "datetime_start", "datetime_complete"] + names)
                for t in trials:
                    w.writerow([t.number, t.state.name, t.value, t.datetime_start, t.datetime_complete] +
                               [t.params.get(n) for n in names])
            extra = {"method": "get_trials + csv (no pandas)", "rows": len(trials)}
    emit(dict(kind="memory", impl="optuna", what=a.what, seconds=time.monotonic() - t0,
              import_s=IMPORT_S, peak_rss_mib=peak_rss_mib(), **extra))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    c = sub.add_parser("create")
    c.add_argument("--storage", required=True)
    c.add_argument("--study", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--storage", required=True)
    w.add_argument("--study", required=True)
    w.add_argument("--n-trials", type=int, required=True)
    w.add_argument("--seed", type=int, default=0)
    v = sub.add_parser("verify")
    v.add_argument("--storage", required=True)
    v.add_argument("--study", required=True)
    v.add_argument("--n", type=int, required=True)
    f = sub.add_parser("fill")
    f.add_argument("--db", required=True)
    f.add_argument("--study", required=True)
    f.add_argument("--n", type=int, required=True)
    f.add_argument("--params", type=int, default=10)
    f.add_argument("--seed", type=int, default=1)
    m = sub.add_parser("memory")
    m.add_argument("--storage", required=True)
    m.add_argument("--study", required=True)
    m.add_argument("--what", choices=["optimize", "dataframe"], required=True)
    a = p.parse_args()
    {"create": cmd_create, "worker": cmd_worker, "verify": cmd_verify, "fill": cmd_fill,
     "memory": cmd_memory}[a.verb](a)


if __name__ == "__main__":
    main()
