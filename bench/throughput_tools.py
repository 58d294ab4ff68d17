#!/usr/bin/python3
"""Launcher, checks and report of the storage/worker throughput benchmark (bench/throughput.sh).

Standard library only (Optuna's side is throughput_optuna.py). Verbs:
  launch  --k K --n N --out FILE --logs DIR -- CMD ARG...
          starts K copies of CMD at once, each under GNU time (/usr/bin/time -f %M), and waits for
          all; in the arguments {k} is the worker index (0..K-1) and {share} its part of N trials
          (N/K, the first N%K get one more). Writes {"wall_s", "rcs", "rss_kib", ...}: wall time
          from the start of the first process to the exit of the last.
  record  --launch L.json --verify V.json --backend B --workers K --n N --out RESULTS.jsonl
          one "throughput" row from a launch and its verification
  verify-ours --json FILE --n N   checks `autoglm trials --format json` output: COMPLETE == N,
          numbers distinct and contiguous, nothing left RUNNING (lost / duplicated counts)
  stale   --autoglm BIN --helper BIN --dir DIR --mode local-after|local-running|cross-host
          [--storage URL]: stale-trial detection latency (kill -9 of a worker -> trial FAIL)
  report  --results FILE --out PAGE [--root DIR]   the markdown page from the JSON lines
"""
import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict


def emit(obj, out=None):
    line = json.dumps(obj)
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")
    print(line, flush=True)


def summarize(numbers_states, n_expected, starts=None, completes=None):
    """Counts of a finished run: states, lost and duplicated trials, the span of the trials."""
    states = Counter(s for _, s in numbers_states)
    numbers = [n for n, _ in numbers_states]
    distinct = set(numbers)
    complete = states.get("COMPLETE", 0)
    gaps = (max(numbers) + 1 - len(distinct)) if numbers else 0
    out = {
        "n_expected": n_expected, "n_trials": len(numbers), "n_complete": complete,
        "n_fail": states.get("FAIL", 0), "n_running": states.get("RUNNING", 0),
        "n_waiting": states.get("WAITING", 0), "n_pruned": states.get("PRUNED", 0),
        # Lost: fewer than N trials completed. Duplicated: a trial number recorded twice.
        # Overshoot: more than N completed (workers started trials beyond the study's target).
        "lost": max(0, n_expected - complete),
        "duplicated": len(numbers) - len(distinct),
        "overshoot": max(0, complete - n_expected),
        "number_gaps": gaps, "numbers_ok": bool(numbers) and min(numbers) == 0 and gaps == 0,
    }
    if starts and completes:
        out["span_s"] = (max(completes) - min(starts)).total_seconds()
    return out


def parse_iso(s):
    return datetime.datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")


# ---- launch ---------------------------------------------------------------------------------

def cmd_launch(a):
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    os.makedirs(a.logs, exist_ok=True)
    procs, timefiles = [], []
    argvs = []
    for k in range(a.k):
        share = a.n // a.k + (1 if k < a.n % a.k else 0)
        argvs.append([x.replace("{k}", str(k)).replace("{share}", str(share)) for x in cmd])
    t0 = time.monotonic()
    for k, argv in enumerate(argvs):
        tf = os.path.join(a.logs, "time-%d.txt" % k)
        timefiles.append(tf)
        log = open(os.path.join(a.logs, "worker-%d.log" % k), "w")
        procs.append(subprocess.Popen(["/usr/bin/time", "-f", "%M %e %U %S", "-o", tf] + argv,
                                      stdout=log, stderr=subprocess.STDOUT))
        log.close()
    rcs = [p.wait() for p in procs]
    wall = time.monotonic() - t0
    rss, user, sys_s = [], 0.0, 0.0
    for tf in timefiles:
        try:
            last = open(tf).read().strip().splitlines()[-1].split()
            rss.append(int(last[0]))
            user += float(last[2])
            sys_s += float(last[3])
        except (OSError, IndexError, ValueError):
            rss.append(None)
    res = {"wall_s": wall, "rcs": rcs, "rss_kib": rss, "cpu_user_s": user, "cpu_sys_s": sys_s}
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps(res), flush=True)
    return 0 if all(rc == 0 for rc in rcs) else 1


# ---- verify ours ----------------------------------------------------------------------------

def cmd_verify_ours(a):
    trials = json.load(open(a.json))
    ns = [(t["number"], t["state"]) for t in trials]
    timed = [t for t in trials if t["number"] >= a.span_from]
    starts = [parse_iso(t["datetime_start"]) for t in timed if t.get("datetime_start")]
    completes = [parse_iso(t["datetime_complete"]) for t in timed if t.get("datetime_complete")]
    emit(dict(kind="verify", **summarize(ns, a.n, starts, completes)))


# ---- record ---------------------------------------------------------------------------------

def cmd_record(a):
    launch = json.load(open(a.launch))
    verify = [json.loads(l) for l in open(a.verify) if l.strip().startswith("{")][-1]
    made = verify["n_complete"] - a.pre  # COMPLETE trials made by the workers
    rss = [x for x in launch["rss_kib"] if x]
    row = dict(kind="throughput", backend=a.backend, workers=a.workers, n=a.n, repeat=a.repeat,
               wall_s=launch["wall_s"], trials_per_s=made / launch["wall_s"] if launch["wall_s"] > 0 else None,
               in_study_per_s=(made / verify["span_s"]) if verify.get("span_s") else None,
               rss_max_mib=max(rss) / 1024.0 if rss else None,
               rss_mean_mib=sum(rss) / len(rss) / 1024.0 if rss else None,
               cpu_s=launch["cpu_user_s"] + launch["cpu_sys_s"], worker_rcs=launch["rcs"],
               **{k: v for k, v in verify.items() if k != "kind"})
    emit(row, a.out)


# ---- stale-trial latency --------------------------------------------------------------------

STALE_CFG = """study_name: stale
direction: minimize
space:
  x0: {type: float, low: 0.0, high: 1.0}
sampler: random
pruner: none
n_trials: 2
heartbeat_interval: 1
heartbeat_grace_period: 3
objective:
  command: [sleep, '30']
"""


def cmd_stale(a):
    d = os.path.abspath(a.dir)
    os.makedirs(d, exist_ok=True)
    url = a.storage or "sqlite:///" + os.path.join(d, "stale-%s.db" % a.mode)
    study = "stale-%s-%d" % (a.mode, int(time.time() * 1000) % 100000000)
    cfg = os.path.join(d, "stale.yaml")
    with open(cfg, "w") as f:
        f.write(STALE_CFG)
    ag = a.autoglm
    logf = open(os.path.join(d, "stale-%s.log" % a.mode), "a")

    def run(args, **kw):
        return subprocess.run([ag] + args, stdout=subprocess.PIPE, stderr=logf, text=True, **kw)

    def trials(state=None):
        args = ["trials", "--study", study, "--storage", url, "--format", "json"]
        if state:
            args += ["--state", state]
        r = run(args)
        return json.loads(r.stdout) if r.returncode == 0 and r.stdout.strip() else []

    def wait_running(number, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(t["number"] == number for t in trials("RUNNING")):
                return True
            time.sleep(0.05)
        return False

    # The study, with no trial run: a tiny --timeout (stored with it; the workers override it).
    r = run(["tune", cfg, "--storage", url, "--study", study, "--timeout", "0.000001"])
    if r.returncode != 0:
        sys.exit("stale: autoglm tune failed (see %s)" % logf.name)
    worker = [ag, "worker", "--study", study, "--storage", url, "--timeout", "600"]
    how = "local pid"
    if a.mode == "cross-host":
        probe = subprocess.run(["unshare", "--uts", "sh", "-c", "hostname elsewhere-bench"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if probe.returncode == 0:
            # Worker A in its own UTS namespace: its trials carry host "elsewhere-bench".
            a_argv = ["unshare", "--uts", "sh", "-c", 'hostname elsewhere-bench && exec "$@"', "sh"] + worker
            how = "other host (UTS namespace)"
        else:
            a_argv = worker
            how = "other host (worker.host rewritten)"
    else:
        a_argv = worker
    A = subprocess.Popen(a_argv, stdout=logf, stderr=logf)
    B = None
    try:
        if not wait_running(0):
            sys.exit("stale: trial 0 never became RUNNING (see %s)" % logf.name)
        if how == "other host (worker.host rewritten)":
            subprocess.run([a.helper, "set-attr", "--storage", url, "--study", study, "--number", "0",
                            "--key", "worker.host", "--value", '"elsewhere-bench"'], check=True)
        if a.mode in ("local-running", "cross-host"):
            B = subprocess.Popen(worker, stdout=logf, stderr=logf)
            if not wait_running(1):
                sys.exit("stale: worker B's trial 1 never became RUNNING")
            time.sleep(1.5)  # B's heartbeat loop is in its steady state
        children = []
        try:
            for task in os.listdir("/proc/%d/task" % A.pid):
                children += open("/proc/%d/task/%s/children" % (A.pid, task)).read().split()
        except OSError:
            pass
        t_kill_wall = datetime.datetime.utcnow()
        t_kill = time.monotonic()
        os.kill(A.pid, signal.SIGKILL)
        A.wait()
        if a.mode == "local-after":
            B = subprocess.Popen(worker, stdout=logf, stderr=logf)
        seen = None
        t_end = t_kill + 60
        polls = 0
        fail = None
        while time.monotonic() < t_end:
            polls += 1
            fails = [t for t in trials("FAIL") if t["number"] == 0]
            if fails:
                seen = time.monotonic() - t_kill
                fail = fails[0]
                break
            time.sleep(0.02)
        for c in children:  # A's orphaned `sleep` (another host's command is not stopped by B)
            try:
                os.killpg(int(c), signal.SIGKILL)
            except (OSError, ValueError):
                try:
                    os.kill(int(c), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
        recorded = None
        if fail and fail.get("datetime_complete"):
            recorded = (parse_iso(fail["datetime_complete"]) - t_kill_wall).total_seconds()
        emit({"kind": "stale", "mode": a.mode, "path": how, "storage": url.split("@")[-1],
              "heartbeat_interval_s": 1, "grace_period_s": 3, "bound_s": 4.0 if a.mode == "cross-host" else 1.0,
              "polled_latency_s": seen, "recorded_latency_s": recorded, "polls": polls,
              "fail_reason": (fail or {}).get("fail_reason")}, a.out)
    finally:
        for p in (A, B):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in (A, B):
            if p:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()


# ---- report ---------------------------------------------------------------------------------

BACKENDS = [
    ("ours-sqlite", "ours, SQLite file"),
    ("ours-postgresql", "ours, PostgreSQL"),
    ("optuna-rdb-sqlite", "Optuna RDB, SQLite"),
    ("optuna-rdb-postgresql", "Optuna RDB, PostgreSQL"),
    ("optuna-journal", "Optuna JournalFileStorage"),
]
SAME_DB = {"ours-sqlite": "optuna-rdb-sqlite", "ours-postgresql": "optuna-rdb-postgresql"}


def load_rows(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def fmt(x, nd=0):
    if x is None:
        return "-"
    return ("{:,.%df}" % nd).format(x)


def db_kind(row):
    return "SQLite" if row.get("storage", "").startswith("sqlite") else "PostgreSQL"


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def cmd_report(a):
    rows = load_rows(a.results)
    meta = [r for r in rows if r.get("kind") == "meta"]
    thr = [r for r in rows if r.get("kind") == "throughput"]
    cell = defaultdict(list)
    for r in thr:
        cell[(r["backend"], r["workers"])].append(r)
    workers = sorted({r["workers"] for r in thr})
    rate = {k: median([r["trials_per_s"] for r in v]) for k, v in cell.items()}
    L = []
    m = meta[-1] if meta else {}
    L.append("# Storage and worker throughput: ours against Optuna 3.1")
    L.append("")
    L.append("Generated by `%s` (bench/throughput.sh; bench/README.md) on %s." % (
        m.get("command", "bench/throughput.sh"), m.get("date", "?")))
    L.append("Machine: %s; %s CPU(s); load average at the start %s, at the end %s. %s" % (
        m.get("cpu", "?"), m.get("nproc", "?"), m.get("load_start", "?"), m.get("load_end", "?"),
        m.get("versions", "")))
    L.append("")
    L.append("Each cell: the study is created first (ours: `autoglm tune` with a random sampler, pruner none, "
             "`objective: {function: sphere}` on 2 float params, default heartbeat_interval, and one first trial; "
             "Optuna: `create_study`), then K worker processes start at once (ours: `autoglm worker --study S "
             "--storage URL --n-trials N+1`, the study-wide target; Optuna: K processes each running "
             "`load_study(RandomSampler)` + `study.optimize(sphere, n_trials=N/K)`). Trials/s = COMPLETE trials "
             "made by the workers / wall time from the start of the first worker to the exit of the last "
             "(process start-up, Python imports and connection set-up included). Peak RSS: the largest "
             "worker's maximum resident set (GNU time). After each run: lost = N - COMPLETE, dup = trial numbers "
             "recorded twice, over = COMPLETE beyond N (trials started past the study's target), and the "
             "numbers are checked to be contiguous from 0 with nothing left RUNNING.")
    L.append("")
    hdr = "| back end | N | " + " | ".join("%d worker%s" % (k, "s" if k > 1 else "") for k in workers) + \
          " | peak RSS / worker (MiB) | lost / dup / over / FAIL / RUNNING left |"
    L.append(hdr)
    L.append("|" + "---|" * (len(workers) + 4))
    for b, label in BACKENDS:
        if not any(k[0] == b for k in cell):
            continue
        ns = sorted({r["n"] for (bb, _), v in cell.items() if bb == b for r in v})
        rss = max((r.get("rss_max_mib") or 0) for (bb, _), v in cell.items() if bb == b for r in v)
        lost = sum(r["lost"] for (bb, _), v in cell.items() if bb == b for r in v)
        dup = sum(r["duplicated"] for (bb, _), v in cell.items() if bb == b for r in v)
        fail = sum(r["n_fail"] for (bb, _), v in cell.items() if bb == b for r in v)
        run_ = sum(r["n_running"] for (bb, _), v in cell.items() if bb == b for r in v)
        over = sum(r.get("overshoot", 0) for (bb, _), v in cell.items() if bb == b for r in v)
        vals = " | ".join(fmt(rate.get((b, k))) for k in workers)
        L.append("| %s | %s | %s | %s | %d / %d / %d / %d / %d |" % (label, "/".join(str(n) for n in ns), vals,
                                                                    fmt(rss, 1), lost, dup, over, fail, run_))
    L.append("")
    L.append("Trials/s (median over repeats when there are several). Ratios (ours / anchor, same worker count):")
    L.append("")
    L.append("| ratio | " + " | ".join("%d" % k for k in workers) + " | target |")
    L.append("|" + "---|" * (len(workers) + 2))
    for ours, anchor, target in [("ours-sqlite", "optuna-rdb-sqlite", ">= 10x"),
                                 ("ours-postgresql", "optuna-rdb-postgresql", ">= 10x"),
                                 ("ours-sqlite", "optuna-journal", ">= 3x"),
                                 ("ours-postgresql", "optuna-journal", ">= 3x")]:
        if not any(k[0] == ours for k in cell) or not any(k[0] == anchor for k in cell):
            continue
        vals = []
        for k in workers:
            o, p = rate.get((ours, k)), rate.get((anchor, k))
            vals.append("%.1fx" % (o / p) if o and p else "-")
        L.append("| %s / %s | %s | %s |" % (ours, anchor, " | ".join(vals), target))
    L.append("")
    # In-study rate: trials between the first start and the last completion (start-up excluded).
    L.append("In-study rate (COMPLETE / (last datetime_complete - first datetime_start) of the worker trials; "
             "excludes process start-up and imports):")
    L.append("")
    L.append("| back end | " + " | ".join("%d" % k for k in workers) + " |")
    L.append("|" + "---|" * (len(workers) + 1))
    for b, label in BACKENDS:
        if not any(k[0] == b for k in cell):
            continue
        vals = " | ".join(fmt(median([r.get("in_study_per_s") for r in cell.get((b, k), [])])) for k in workers)
        L.append("| %s | %s |" % (label, vals))
    L.append("")
    # Targets.
    L.append("## Targets")
    L.append("")
    o8 = rate.get(("ours-sqlite", 8))
    checks = []
    checks.append(("at least 2,000 trials/s with 8 workers on SQLite", o8 is not None and o8 >= 2000,
                   "%s trials/s" % fmt(o8)))
    for ours, anchor, factor in [("ours-sqlite", "optuna-rdb-sqlite", 10), ("ours-postgresql", "optuna-rdb-postgresql", 10),
                                 ("ours-sqlite", "optuna-journal", 3), ("ours-postgresql", "optuna-journal", 3)]:
        rs = [(k, rate.get((ours, k)), rate.get((anchor, k))) for k in workers]
        rs = [(k, o / p) for k, o, p in rs if o and p]
        if rs:
            checks.append(("%s >= %dx %s at every worker count" % (ours, factor, anchor),
                           all(x >= factor for _, x in rs), ", ".join("%d: %.1fx" % (k, x) for k, x in rs)))
    for b in ("ours-sqlite", "ours-postgresql"):
        zero = [r for r in thr if r["backend"] == b]
        if not zero:
            continue
        big = [r for r in zero if r["n"] >= 10000]
        ok = all(r["lost"] == 0 and r["duplicated"] == 0 and r["numbers_ok"] and r["n_running"] == 0 for r in zero)
        over = sum(r.get("overshoot", 0) for r in zero)
        checks.append(("%s: zero lost or duplicated trials%s" % (b, " in 10,000" if big else " (10,000-trial runs are --full)"),
                       ok, "%d runs (N = %s): lost %d, duplicated %d, numbers contiguous %s, RUNNING left %d; "
                       "overshoot beyond n_trials %d" % (
                           len(zero), "/".join(sorted({str(r["n"]) for r in zero})), sum(r["lost"] for r in zero),
                           sum(r["duplicated"] for r in zero), all(r["numbers_ok"] for r in zero),
                           sum(r["n_running"] for r in zero), over)))
    st = [r for r in rows if r.get("kind") == "stale"]
    for r in st:
        lat = r.get("recorded_latency_s") if r.get("recorded_latency_s") is not None else r.get("polled_latency_s")
        checks.append(("stale trial failed within %s s (%s, %s, %s)" % (r["bound_s"], r["mode"], r["path"], db_kind(r)),
                       lat is not None and lat <= r["bound_s"],
                       "recorded %s s, polled %s s" % (fmt(r.get("recorded_latency_s"), 2), fmt(r.get("polled_latency_s"), 2))))
    L.append("| target | met | measured |")
    L.append("|---|---|---|")
    for name, ok, txt in checks:
        L.append("| %s | %s | %s |" % (name, {True: "yes", False: "**no**", None: "not run"}[ok], txt))
    L.append("")
    mem = [r for r in rows if r.get("kind") == "memory"]
    if mem:
        L.append("## Memory and time on a %s-trial study" % fmt(mem[0].get("n_trials"), 0))
        L.append("")
        L.append("The study: COMPLETE trials with 10 float params each (ours: written by "
                 "`autoglm-throughput-helper fill` through `create_new_trial`; Optuna: the same count in its own "
                 "SQLite schema). Peak RSS of the whole process (GNU time) and its wall time.")
        L.append("")
        L.append("| task | ours: s | ours: peak RSS MiB | Optuna: s | Optuna: peak RSS MiB |")
        L.append("|---|---|---|---|---|")
        by = defaultdict(dict)
        for r in mem:
            by[r["task"]][r["impl"]] = r
        for task, label in [("worker-random", "one more trial, random sampler (ours: `autoglm worker --n-trials n+1`)"),
                            ("worker-tpe", "one more trial, TPE (ours: `autoglm worker`; Optuna: load_study + optimize(n_trials=1))"),
                            ("trials-csv", "all trials out (ours: `autoglm trials --format csv`; Optuna: trials_dataframe())"),
                            ("fill", "writing the study (setup, not a target)")]:
            if task not in by:
                continue
            o, p = by[task].get("ours", {}), by[task].get("optuna", {})
            if p.get("method") and p["method"] != "trials_dataframe":
                label += " (Optuna: %s)" % p["method"]
            L.append("| %s | %s | %s | %s | %s |" % (label, fmt(o.get("seconds"), 2), fmt(o.get("peak_rss_mib"), 1),
                                                    fmt(p.get("seconds"), 2), fmt(p.get("peak_rss_mib"), 1)))
        L.append("")
    if st:
        L.append("## Stale-trial detection")
        L.append("")
        L.append("heartbeat_interval 1 s, heartbeat_grace_period 3 s, objective `sleep 30`. Worker A's trial is "
                 "RUNNING, A is killed with SIGKILL; latency = the FAIL trial's datetime_complete minus the kill "
                 "(recorded) and the first `autoglm trials --state FAIL` poll that shows it (polled).")
        L.append("")
        L.append("| case | storage | how the worker looks | bound (s) | recorded (s) | polled (s) | fail_reason |")
        L.append("|---|---|---|---|---|---|---|")
        desc = {"local-after": "B started after the kill", "local-running": "B already running",
                "cross-host": "B already running, A on another host"}
        for r in st:
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (desc.get(r["mode"], r["mode"]), db_kind(r), r["path"], r["bound_s"],
                                                          fmt(r.get("recorded_latency_s"), 2),
                                                          fmt(r.get("polled_latency_s"), 2),
                                                          (r.get("fail_reason") or "").replace("|", "/")))
        L.append("")
    notes = [r for r in rows if r.get("kind") == "note"]
    if notes:
        L.append("## Notes")
        L.append("")
        for r in notes:
            L.append("* " + r["text"])
        L.append("")
    if a.extra and os.path.exists(a.extra):
        # Hand-written analysis of a measured run (bench/throughput_analysis.md), kept across reruns.
        L.append(open(a.extra).read().rstrip())
        L.append("")
    raw = os.path.abspath(a.results)
    if a.root and raw.startswith(os.path.abspath(a.root) + os.sep):
        raw = os.path.relpath(raw, a.root)
    L.append("Raw JSON lines: `%s` (git-ignored)." % raw)
    with open(a.out, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
    print("report: wrote %s" % a.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="verb", required=True)
    l = sub.add_parser("launch")
    l.add_argument("--k", type=int, required=True)
    l.add_argument("--n", type=int, default=0)
    l.add_argument("--out", required=True)
    l.add_argument("--logs", required=True)
    l.add_argument("cmd", nargs=argparse.REMAINDER)
    v = sub.add_parser("verify-ours")
    v.add_argument("--json", required=True)
    v.add_argument("--n", type=int, required=True)
    v.add_argument("--span-from", type=int, default=0, help="first trial number of the timed span")
    rc = sub.add_parser("record")
    rc.add_argument("--launch", required=True)
    rc.add_argument("--verify", required=True)
    rc.add_argument("--backend", required=True)
    rc.add_argument("--workers", type=int, required=True)
    rc.add_argument("--n", type=int, required=True)
    rc.add_argument("--pre", type=int, default=0, help="COMPLETE trials made before the workers started")
    rc.add_argument("--repeat", type=int, default=0)
    rc.add_argument("--out", required=True)
    s = sub.add_parser("stale")
    s.add_argument("--autoglm", required=True)
    s.add_argument("--helper", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--mode", choices=["local-after", "local-running", "cross-host"], required=True)
    s.add_argument("--storage")
    s.add_argument("--out")
    r = sub.add_parser("report")
    r.add_argument("--results", required=True, help="the JSON lines of one run")
    r.add_argument("--out", required=True)
    r.add_argument("--root", default="")
    r.add_argument("--extra", help="markdown appended to the page (the profile and proposals)")
    a = p.parse_args()
    if a.verb == "launch":
        sys.exit(cmd_launch(a))
    {"verify-ours": cmd_verify_ours, "record": cmd_record, "stale": cmd_stale, "report": cmd_report}[a.verb](a)


if __name__ == "__main__":
    main()
