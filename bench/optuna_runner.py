#!/usr/bin/python3
"""Optuna's side of the benchmark (bench/README.md). Run with Debian's interpreter
(/usr/bin/python3, python3-optuna 3.1).

The objectives are our C++ functions, loaded from libautoglm_bench_objectives.so through
ctypes, so Optuna sees exactly what our samplers and dlib see. Studies use Optuna's in-memory
storage; logging is silenced. The plan (problems, budgets, seeds) comes from bench/suites.json.

Sub-commands:
  quality   suites A/B/C for optuna-tpe (TPESampler(seed=s), defaults) and optuna-random; then
            suite M (multi-objective) for optuna-nsga2 (NSGAIISampler(seed=s), defaults),
            optuna-tpe (TPESampler(seed=s), defaults: with several objectives Optuna 3.1's TPE is
            MOTPE) and optuna-random
  overhead  ms per ask+suggest+tell after prefilling n trials with study.add_trials (suite F);
            then the multi-objective kernels ("mo_overhead"): Optuna's WFG hypervolume and its
            non-dominated sorts on the same seeded point sets autoglm-bench times

Rows are the JSON lines autoglm-bench writes (see run_quality.cc, run_overhead.cc, run_multi.cc).
Suite M scores every run with OUR hypervolume (autoglm_hypervolume of the C library) on the
full list of objective vectors so far, exactly as autoglm-bench does, so the metric is identical.
"""
import argparse
import ctypes
import glob
import json
import math
import os
import platform
import random
import sys
import time
import warnings

try:
    import optuna
except ImportError:
    sys.exit("optuna_runner.py: optuna is not importable by %s; run it with Debian's /usr/bin/python3 "
             "(apt-get install python3-optuna)" % sys.executable)


class Objectives:
    """ctypes view of bench/objectives_c.cc."""

    def __init__(self, path):
        lib = ctypes.CDLL(path)
        c_dbl_p = ctypes.POINTER(ctypes.c_double)
        lib.autoglm_last_error.restype = ctypes.c_char_p
        lib.autoglm_problem_dim.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.autoglm_problem_dim.restype = ctypes.c_int
        lib.autoglm_problem_eval.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_longlong, c_dbl_p]
        lib.autoglm_problem_eval.restype = ctypes.c_double
        lib.autoglm_problem_optimum.argtypes = [ctypes.c_char_p, ctypes.c_int]
        lib.autoglm_problem_optimum.restype = ctypes.c_double
        lib.autoglm_problem_json.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_longlong]
        lib.autoglm_problem_json.restype = ctypes.c_char_p
        lib.autoglm_problem_check.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_longlong]
        lib.autoglm_problem_check.restype = ctypes.c_int
        # Suite M and the multi-objective overhead (objectives_c.cc).
        name_dim_m = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
        lib.autoglm_multi_dim.argtypes = name_dim_m
        lib.autoglm_multi_dim.restype = ctypes.c_int
        lib.autoglm_multi_eval.argtypes = name_dim_m + [c_dbl_p, c_dbl_p]
        lib.autoglm_multi_eval.restype = ctypes.c_int
        lib.autoglm_multi_bounds.argtypes = name_dim_m + [c_dbl_p, c_dbl_p]
        lib.autoglm_multi_bounds.restype = ctypes.c_int
        lib.autoglm_multi_reference.argtypes = name_dim_m + [c_dbl_p]
        lib.autoglm_multi_reference.restype = ctypes.c_int
        lib.autoglm_multi_max_hypervolume.argtypes = name_dim_m
        lib.autoglm_multi_max_hypervolume.restype = ctypes.c_double
        lib.autoglm_multi_check.argtypes = name_dim_m
        lib.autoglm_multi_check.restype = ctypes.c_int
        lib.autoglm_hypervolume.argtypes = [c_dbl_p, ctypes.c_int, ctypes.c_int, c_dbl_p]
        lib.autoglm_hypervolume.restype = ctypes.c_double
        lib.autoglm_mo_overhead_points.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_longlong,
                                                   c_dbl_p]
        lib.autoglm_mo_overhead_points.restype = ctypes.c_int
        self.lib = lib

    def error(self):
        return self.lib.autoglm_last_error().decode()

    def problem(self, name, dim, seed):
        s = self.lib.autoglm_problem_json(name.encode(), dim, seed)
        if s is None:
            raise ValueError(self.error())
        return json.loads(s.decode())

    def check(self, name, dim, seed):
        rc = self.lib.autoglm_problem_check(name.encode(), dim, seed)
        if rc != 0:
            raise SystemExit("optuna_runner.py: f(x*) != f*: " + self.error())

    def evaluator(self, name, dim, seed, n):
        fn, key, buf_t = self.lib.autoglm_problem_eval, name.encode(), ctypes.c_double * n

        def f(x):
            return fn(key, dim, seed, buf_t(*x))
        return f


    # ---- suite M ----
    def multi_problem(self, name, dim, m):
        """dict(dim, low, high, ref, hv_max) of make_multi_problem(name, dim, m)."""
        key = name.encode()
        d = self.lib.autoglm_multi_dim(key, dim, m)
        if d < 0:
            raise ValueError(self.error())
        low, high, ref = (ctypes.c_double * d)(), (ctypes.c_double * d)(), (ctypes.c_double * m)()
        if self.lib.autoglm_multi_bounds(key, dim, m, low, high) or self.lib.autoglm_multi_reference(key, dim, m, ref):
            raise ValueError(self.error())
        return dict(dim=d, low=list(low), high=list(high), ref=list(ref),
                    hv_max=self.lib.autoglm_multi_max_hypervolume(key, dim, m))

    def multi_check(self, name, dim, m):
        if self.lib.autoglm_multi_check(name.encode(), dim, m) != 0:
            raise SystemExit("optuna_runner.py: reference point / HV* check failed: " + self.error())

    def multi_evaluator(self, name, dim, m, d):
        fn, key, x_t, out_t = self.lib.autoglm_multi_eval, name.encode(), ctypes.c_double * d, ctypes.c_double * m

        def f(x):
            out = out_t()
            if fn(key, dim, m, x_t(*x), out) != 0:
                raise ValueError(self.error())
            return list(out)
        return f

    def hypervolume(self, points, ref):
        """autoglm::hypervolume (pareto.h) of a list of objective vectors, all minimized."""
        m = len(ref)
        flat = (ctypes.c_double * (len(points) * m))(*[v for p in points for v in p])
        hv = self.lib.autoglm_hypervolume(flat, len(points), m, (ctypes.c_double * m)(*ref))
        if math.isnan(hv):
            raise ValueError(self.error())
        return hv

    def overhead_points(self, kind, n, m, seed):
        """mo_overhead_points (problems.h) as a numpy array of shape (n, m)."""
        import numpy
        buf = (ctypes.c_double * (n * m))()
        if self.lib.autoglm_mo_overhead_points(kind.encode(), n, m, seed, buf) != 0:
            raise ValueError(self.error())
        return numpy.frombuffer(buf, dtype=numpy.float64).reshape(n, m).copy()


def load_plan(path, mode):
    with open(path) as f:
        m = json.load(f)["modes"][mode]
    cells = []
    for g in m["groups"]:
        for name, dim in g["problems"]:
            for s in range(g["seeds"]):
                cells.append(dict(suite=g["suite"], problem=name, dim=dim, budget=g["budget"], seed=s))
    return m, cells


def load_multi_cells(mode):
    """Suite M cells of a mode (the "multi" mapping), in autoglm-bench's order: problem, seed."""
    g = mode.get("multi")
    if not g:
        return []
    return [dict(suite=g.get("suite", "M"), problem=name, dim=dim, n_objectives=m, budget=g["budget"], seed=s)
            for name, dim, m in g["problems"] for s in range(g["seeds"])]


def scan_results(results_dir):
    """(trials, overhead): finished trial indices per suite A/B/C run key and per suite M run key
    (optimizer, problem, dim, n_objectives, seed, budget); overhead keys (optimizer, n, d) and
    multi-objective overhead keys ("mo", impl, task, n, m)."""
    trials, overhead = {}, set()
    for path in glob.glob(os.path.join(results_dir, "*.jsonl")):
        with open(path) as f:
            for line in f:
                try:
                    r = json.loads(line)
                except ValueError:
                    continue  # the last line of an interrupted write
                if r.get("kind") == "trial":
                    key = (r["optimizer"], r["problem"], r["dim"], r["seed"], r["budget"])
                    trials.setdefault(key, set()).add(r["trial"])
                elif r.get("kind") == "mo_trial":
                    key = (r["optimizer"], r["problem"], r["dim"], r["n_objectives"], r["seed"], r["budget"])
                    trials.setdefault(key, set()).add(r["trial"])
                elif r.get("kind") == "overhead":
                    overhead.add((r["optimizer"], r["n"], r["d"]))
                elif r.get("kind") == "mo_overhead":
                    overhead.add(("mo", r["impl"], r["task"], r["n"], r["m"]))
    return trials, overhead


def make_sampler(optimizer, seed):
    if optimizer == "optuna-tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if optimizer == "optuna-random":
        return optuna.samplers.RandomSampler(seed=seed)
    if optimizer == "optuna-nsga2":
        return optuna.samplers.NSGAIISampler(seed=seed)
    raise ValueError("unknown optimizer " + optimizer)


def run_cell(obj, optimizer, cell, problem):
    n = len(problem["params"])
    f = obj.evaluator(cell["problem"], cell["dim"], cell["seed"], n)
    f_star = problem["optimum_value"]
    tol = 1e-6 * max(1.0, abs(f_star))
    study = optuna.create_study(sampler=make_sampler(optimizer, cell["seed"]), direction="minimize")
    best, rows = float("inf"), []
    params = problem["params"]
    for t in range(cell["budget"]):
        t0 = time.perf_counter()
        trial = study.ask()
        x = []
        for p in params:
            if p["type"] == "float":
                x.append(trial.suggest_float(p["name"], p["low"], p["high"]))
            elif p["type"] == "int":
                x.append(float(trial.suggest_int(p["name"], int(p["low"]), int(p["high"]))))
            else:
                x.append(float(p["choices"].index(trial.suggest_categorical(p["name"], p["choices"]))))
        t1 = time.perf_counter()
        value = f(x)
        t2 = time.perf_counter()
        study.tell(trial, value)
        t3 = time.perf_counter()
        best = min(best, value)
        if best < f_star - tol:
            raise SystemExit("optuna_runner.py: %s (d=%d, seed %d): %s found %r below f* = %r; the known optimum is wrong"
                             % (cell["problem"], cell["dim"], cell["seed"], optimizer, best, f_star))
        rows.append(dict(kind="trial", suite=cell["suite"], optimizer=optimizer, problem=cell["problem"],
                         dim=cell["dim"], seed=cell["seed"], budget=cell["budget"], trial=t, value=value,
                         best=best, regret=max(best - f_star, 1e-12), suggest_s=t1 - t0, tell_s=t3 - t2))
    return rows


def run_multi_cell(obj, optimizer, cell, problem):
    """One suite-M run: rows as run_multi.cc writes them (hv by our C++ hypervolume)."""
    d, m = problem["dim"], cell["n_objectives"]
    f = obj.multi_evaluator(cell["problem"], cell["dim"], m, d)
    study = optuna.create_study(sampler=make_sampler(optimizer, cell["seed"]), directions=["minimize"] * m)
    names = ["x%d" % j for j in range(d)]
    seen, rows = [], []
    for t in range(cell["budget"]):
        t0 = time.perf_counter()
        trial = study.ask()
        x = [trial.suggest_float(nm, lo, hi) for nm, lo, hi in zip(names, problem["low"], problem["high"])]
        t1 = time.perf_counter()
        values = f(x)
        t2 = time.perf_counter()
        study.tell(trial, values)
        t3 = time.perf_counter()
        seen.append(values)
        hv = obj.hypervolume(seen, problem["ref"])
        if hv > problem["hv_max"] * (1 + 1e-9):
            raise SystemExit("optuna_runner.py: %s (d=%d, M=%d, seed %d): %s reached hypervolume %r above HV* = %r"
                             % (cell["problem"], cell["dim"], m, cell["seed"], optimizer, hv, problem["hv_max"]))
        rows.append(dict(kind="mo_trial", suite=cell["suite"], optimizer=optimizer, problem=cell["problem"],
                         dim=cell["dim"], n_objectives=m, seed=cell["seed"], budget=cell["budget"], trial=t,
                         values=values, hv=hv, hv_gap=max(problem["hv_max"] - hv, 1e-12), suggest_s=t1 - t0,
                         tell_s=t3 - t2))
    return rows


def write_rows(path, rows):
    text = "".join(json.dumps(r) + "\n" for r in rows)
    # End a partial last line left by a killed run, so that these rows start on their own line.
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                text = "\n" + text
    with open(path, "a") as f:
        f.write(text)
        f.flush()


def cmd_quality(args, obj, mode, cells):
    optimizers = [o for o in mode["optimizers"] if o.startswith("optuna-")]
    if args.optimizers:
        optimizers = [o for o in optimizers if o in args.optimizers.split(",")]
    k, n_shards = (int(v) for v in args.shard.split("/"))
    done, _ = scan_results(args.results_dir)
    ran = skipped = 0
    start = time.perf_counter()
    for i, cell in enumerate(cells):
        if i % n_shards != k:
            continue
        obj.check(cell["problem"], cell["dim"], cell["seed"])
        problem = obj.problem(cell["problem"], cell["dim"], cell["seed"])
        for o in optimizers:
            key = (o, cell["problem"], cell["dim"], cell["seed"], cell["budget"])
            if len(done.get(key, ())) >= cell["budget"]:
                skipped += 1
                continue
            write_rows(args.out, run_cell(obj, o, cell, problem))
            ran += 1
    print("optuna_runner quality (shard %s): %d runs, %d already done, %.1f s"
          % (args.shard, ran, skipped, time.perf_counter() - start), file=sys.stderr)

    # Suite M: cells numbered after the single-objective ones (as autoglm-bench does).
    multi = mode.get("multi") or {}
    m_opts = [o for o in multi.get("optimizers", []) if o.startswith("optuna-")]
    if args.optimizers:
        m_opts = [o for o in m_opts if o in args.optimizers.split(",")]
    ran = skipped = 0
    start = time.perf_counter()
    checked = set()
    for i, cell in enumerate(load_multi_cells(mode)):
        if (i + len(cells)) % n_shards != k:
            continue
        pkey = (cell["problem"], cell["dim"], cell["n_objectives"])
        if pkey not in checked:
            obj.multi_check(*pkey)
            checked.add(pkey)
        problem = obj.multi_problem(*pkey)
        for o in m_opts:
            if [o] + list(pkey) in multi.get("skip", []):
                continue
            # [optimizer, name, dim, M, n]: only the first n seeds of that cell (for very slow runs).
            if any(len(e) == 5 and e[:4] == [o] + list(pkey) and cell["seed"] >= e[4] for e in multi.get("skip", [])):
                continue
            key = (o,) + pkey + (cell["seed"], cell["budget"])
            if len(done.get(key, ())) >= cell["budget"]:
                skipped += 1
                continue
            write_rows(args.out, run_multi_cell(obj, o, cell, problem))
            ran += 1
    if multi:
        print("optuna_runner quality M (shard %s): %d runs, %d already done, %.1f s"
              % (args.shard, ran, skipped, time.perf_counter() - start), file=sys.stderr)


def measure(obj, sampler_name, n, d, window):
    prob = obj.problem("sphere", d, -1)
    f = obj.evaluator("sphere", d, -1, d)
    names = [p["name"] for p in prob["params"]]
    lows = [p["low"] for p in prob["params"]]
    highs = [p["high"] for p in prob["params"]]
    dists = {nm: optuna.distributions.FloatDistribution(lo, hi) for nm, lo, hi in zip(names, lows, highs)}
    study = optuna.create_study(sampler=make_sampler("optuna-" + sampler_name, 0), direction="minimize")
    rng = random.Random(12345)
    p0 = time.perf_counter()
    prefill = []
    for _ in range(n):
        x = [lo + (hi - lo) * rng.random() for lo, hi in zip(lows, highs)]
        prefill.append(optuna.trial.create_trial(params=dict(zip(names, x)), distributions=dists, value=f(x)))
    study.add_trials(prefill)
    prefill_s = time.perf_counter() - p0
    total, suggest, tell = [], [], []
    cpu_ms = 0.0
    for w in range(-1, window):  # one untimed warm-up trial, as autoglm-bench does
        c0 = time.process_time()
        t0 = time.perf_counter()
        trial = study.ask()
        x = [trial.suggest_float(nm, lo, hi) for nm, lo, hi in zip(names, lows, highs)]
        t1 = time.perf_counter()
        v = f(x)
        t2 = time.perf_counter()
        study.tell(trial, v)
        t3 = time.perf_counter()
        c1 = time.process_time()
        if w < 0:
            continue
        cpu_ms += 1e3 * (c1 - c0)
        suggest.append(1e3 * (t1 - t0))
        tell.append(1e3 * (t3 - t2))
        total.append(suggest[-1] + tell[-1])
    s = sorted(total)
    median = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
    return dict(kind="overhead", impl="optuna", optimizer="optuna-" + sampler_name, n=n, d=d, window=window,
                ms_per_trial=sum(total) / window, median_ms=median, suggest_ms=sum(suggest) / window,
                tell_ms=sum(tell) / window, cpu_ms_per_trial=cpu_ms / window, prefill_s=prefill_s, times_ms=total)


def mo_overhead(args, obj, mode, done):
    """Optuna's side of the multi-objective overhead, on the points autoglm-bench times
    (mo_overhead_points through ctypes); wall clock (time.perf_counter) of the call alone, ms:
      - task hv: optuna._hypervolume.WFG().compute(points, reference) (impl "optuna-wfg"; Optuna
        3.1's exact hypervolume, used by MOTPE);
      - task nds: optuna.samplers._tpe.sampler._calculate_nondomination_rank(points) (impl
        "optuna-tpe-nds"; MOTPE's numpy ranking, O(n^2) memory) and, for n <= nsga2_max_n (default
        1000), NSGAIISampler()._fast_non_dominated_sort(frozen trials, directions) (impl
        "optuna-nsga2-nds"; NSGA-II's pure-Python sort, O(n^2) pairs, on FrozenTrials built
        outside the timing).
    Repeats: optuna_repeats (these are slow); the median is reported. Tasks with n above
    optuna_max_n[task] (when given) are skipped: 10,000-point sorting takes Optuna about a minute."""
    import numpy
    from optuna._hypervolume import WFG
    from optuna.samplers._tpe.sampler import _calculate_nondomination_rank
    cfg = mode.get("mo_overhead")
    if not cfg:
        return
    repeats, seed = cfg.get("optuna_repeats", 1), cfg.get("seed", 0)
    for task in cfg["tasks"]:
        name, n, m = task["task"], task["n"], task["m"]
        pts = obj.overhead_points(task["points"], n, m, seed)
        calls = []
        if n > cfg.get("optuna_max_n", {}).get(name, n):
            print("optuna_runner mo_overhead: %s n=%d skipped in this mode (optuna_max_n)" % (name, n), file=sys.stderr)
            continue
        if name == "hv":
            ref = numpy.full(m, float(task.get("ref", 1.2)))
            calls.append(("optuna-wfg", "optuna._hypervolume.WFG().compute", lambda: WFG().compute(pts, ref)))
        elif name == "nds":
            calls.append(("optuna-tpe-nds", "optuna.samplers._tpe.sampler._calculate_nondomination_rank",
                          lambda: int(_calculate_nondomination_rank(pts).max()) + 1))
            if n <= cfg.get("nsga2_max_n", 1000):
                dist = {"x": optuna.distributions.FloatDistribution(0.0, 1.0)}
                frozen = [optuna.trial.create_trial(params={"x": 0.5}, distributions=dist, values=list(map(float, p)))
                          for p in pts]
                for i, t in enumerate(frozen):
                    t.number = i  # create_trial leaves number -1; the sort keys its bookkeeping by number
                sampler, directions = optuna.samplers.NSGAIISampler(), [optuna.study.StudyDirection.MINIMIZE] * m
                calls.append(("optuna-nsga2-nds", "optuna.samplers.NSGAIISampler()._fast_non_dominated_sort",
                              lambda: len(sampler._fast_non_dominated_sort(list(frozen), directions))))
        for impl, function, call in calls:
            if ("mo", impl, name, n, m) in done:
                continue
            times, result = [], None
            for _ in range(repeats):
                t0 = time.perf_counter()
                result = call()
                times.append(1e3 * (time.perf_counter() - t0))
            s = sorted(times)
            med = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
            row = dict(kind="mo_overhead", impl=impl, task=name, function=function, points=task["points"], n=n, m=m,
                       repeats=repeats, ms=med, ms_min=min(times), ms_mean=sum(times) / len(times), times_ms=times,
                       result=float(result), target_ms=task.get("target_ms", 0.0))
            print("optuna_runner mo_overhead: %s %s n=%d m=%d: %.1f ms" % (impl, name, n, m, med), file=sys.stderr)
            write_rows(args.out, [row])


def cmd_overhead(args, obj, mode):
    _, done_all = scan_results(args.results_dir)
    mo_overhead(args, obj, mode, done_all)
    cfg = mode.get("overhead")
    if not cfg:
        return
    window = cfg.get("window", 20)
    _, done = scan_results(args.results_dir)
    jobs = [(s, n, d) for s in cfg.get("optuna", []) for n in cfg["n"] for d in cfg["d"]]
    jobs += [(e["optimizer"], e["n"], e["d"]) for e in cfg.get("extra", []) if e.get("impl") == "optuna"]
    for s, n, d in jobs:
        if ("optuna-" + s, n, d) in done:
            continue
        row = measure(obj, s, n, d, window)
        print("optuna_runner overhead: optuna-%s n=%d d=%d: %.3f ms/trial" % (s, n, d, row["ms_per_trial"]),
              file=sys.stderr)
        write_rows(args.out, [row])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["quality", "overhead", "info"])
    ap.add_argument("--lib", required=True, help="path of libautoglm_bench_objectives.so")
    ap.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites.json"))
    ap.add_argument("--mode", default="quick")
    ap.add_argument("--results-dir")
    ap.add_argument("--out")
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--optimizers", default="")
    args = ap.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # Multi-objective TPE / NSGA-II options are marked experimental in Optuna 3.1: keep the log clean.
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    obj = Objectives(args.lib)
    if args.command == "info":
        import numpy
        print(json.dumps(dict(kind="meta", runner="optuna_runner", optuna_version=optuna.__version__,
                              numpy_version=numpy.__version__, python=platform.python_version(),
                              python_executable=sys.executable)))
        return
    if not args.results_dir or not args.out:
        ap.error("--results-dir and --out are required")
    mode, cells = load_plan(args.config, args.mode)
    if args.command == "quality":
        cmd_quality(args, obj, mode, cells)
    else:
        cmd_overhead(args, obj, mode)


if __name__ == "__main__":
    main()
