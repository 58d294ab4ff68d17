#!/usr/bin/python3
"""Summarizes a benchmark run (bench/results/<mode>/*.jsonl) into docs/benchmarks.md (full) or docs/benchmarks-quick.md (quick) and prints
the targets with their figures. Run with Debian's /usr/bin/python3 (numpy, scipy).

Statistics (REFERENCE.md, "Benchmark statistics"):
  - simple regret r_N = min over the first N evaluations of f - f*, floored at 1e-12; per
    (problem, optimizer) cell the mean and median over seeds of log10 r_N at the budget;
  - anytime performance: the area under the log10-regret curve, i.e. the mean over trials
    t = 1..N of log10 r_t, averaged over seeds;
  - per problem, a paired one-sided Wilcoxon signed-rank test (scipy.stats.wilcoxon,
    alternative "less": our default's final log10 regret is lower) against each anchor, paired by
    seed, with Holm's step-down correction across the problems of the run (Demsar, JMLR 2006);
  - win / tie / loss against each anchor: win when our mean log10 regret is lower by more than
    0.3 (a factor of 2 in regret), loss when higher by more than 0.3, tie otherwise.

Suite M (multi-objective; REFERENCE.md "Multi-objective test problems"):
  - per run, the hypervolume gap HV* - HV after N evaluations, HV the hypervolume of every
    objective vector so far with respect to the published reference point, computed by our C++
    autoglm::hypervolume for every optimizer (the "hv" field of the mo_trial rows, written by
    autoglm-bench and, through ctypes, by optuna_runner.py), floored at 1e-12; reported as
    log10(HV* - HV): mean and median over seeds at 50, 100 and the budget (250);
  - "our best multi-objective sampler" is ONE of our suite-M optimizers, chosen per run as the one
    with the lowest mean (over the problems) of its mean final log10 gap (no per-problem choice);
  - per problem, a paired one-sided Wilcoxon signed-rank test (alternative "less": our best has
    the lower final log10 gap) against each Optuna sampler, paired by seed, Holm-corrected across
    the problems for each Optuna sampler (as for suites A/B/C);
  - target: our best has a smaller mean final log10 gap than both optuna-nsga2 and optuna-tpe on
    >= 4 of the 5 problems;
  - multi-objective overhead (mo_overhead rows): median wall-clock ms of our hypervolume /
    non-dominated sorting and of Optuna's functions on the same seeded points, ratio ours /
    Optuna, and the absolute targets (hypervolume of 1,000 3-D points < 10 ms, non-dominated
    sorting of 10,000 2-D points < 50 ms).
"""
import argparse
import collections
import datetime
import glob
import json
import math
import os
import platform
import sys
import warnings

import numpy as np
from scipy import stats

MARGIN = 0.3          # log10 units: the win/tie/loss rule and the Optuna target
DLIB_DECADE = 1.0     # "within one decade" of dlib on the easy problems of suite A
ANCHORS = ["optuna-tpe", "optuna-random", "dlib"]
OPT_ORDER = ["auto", "tpe", "gp", "cmaes", "qmc", "random", "optuna-tpe", "optuna-random", "dlib"]
REQUIRED = {
    "trial": ["suite", "optimizer", "problem", "dim", "seed", "budget", "trial", "value", "regret", "suggest_s"],
    "overhead": ["optimizer", "n", "d", "ms_per_trial", "suggest_ms"],
    "e2e": ["optimizer", "n", "d", "wall_s", "peak_rss_kb", "bytes_per_trial"],
    "meta": ["runner"],
    "mo_trial": ["suite", "optimizer", "problem", "dim", "n_objectives", "seed", "budget", "trial", "values", "hv",
                 "hv_gap", "suggest_s"],
    "mo_overhead": ["impl", "task", "n", "m", "ms", "repeats"],
}
MO_ANCHORS = ["optuna-nsga2", "optuna-tpe", "optuna-random"]
MO_ORDER = ["tpe-mv", "tpe", "nsga2", "random", "optuna-nsga2", "optuna-tpe", "optuna-random"]
MO_CHECKPOINTS = (50, 100)   # besides the budget


def holm(pvalues):
    """Holm's step-down adjusted p-values (same order as the input)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def load(results_dir):
    rows, bad = collections.defaultdict(list), []
    for path in sorted(glob.glob(os.path.join(results_dir, "*.jsonl"))):
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                try:
                    r = json.loads(line)
                    kind = r["kind"]
                    missing = [k for k in REQUIRED.get(kind, []) if k not in r]
                    if kind not in REQUIRED or missing:
                        raise ValueError("kind %r, missing %s" % (kind, missing))
                    if kind == "trial" and not (math.isfinite(r["value"]) and r["regret"] >= 1e-12):
                        raise ValueError("non-finite value or regret below the floor")
                    if kind == "mo_trial" and not (math.isfinite(r["hv"]) and r["hv_gap"] >= 1e-12
                                                   and len(r["values"]) == r["n_objectives"]):
                        raise ValueError("non-finite hypervolume, gap below the floor or wrong number of values")
                except (ValueError, KeyError, TypeError) as e:
                    bad.append("%s:%d: %s" % (os.path.basename(path), lineno, e))
                    continue
                rows[kind].append(r)
    return rows, bad


def cells_from(trial_rows):
    """(suite, problem, dim, budget) -> optimizer -> seed -> log10-regret curve (complete runs only)."""
    runs = collections.defaultdict(dict)
    for r in trial_rows:
        runs[(r["suite"], r["problem"], r["dim"], r["budget"], r["optimizer"], r["seed"])][r["trial"]] = r
    cells = collections.defaultdict(lambda: collections.defaultdict(dict))
    incomplete, suggest = [], collections.defaultdict(list)
    for (suite, problem, dim, budget, opt, seed), trials in runs.items():
        if len(trials) < budget or any(t not in trials for t in range(budget)):
            incomplete.append("%s %s d=%d seed %d (%d of %d trials)" % (opt, problem, dim, seed, len(trials), budget))
            continue
        curve = np.log10(np.array([trials[t]["regret"] for t in range(budget)]))
        cells[(suite, problem, dim, budget)][opt][seed] = curve
        suggest[(suite, opt)].extend(trials[t]["suggest_s"] for t in range(budget))
    return cells, incomplete, suggest


def opt_sort(opts):
    return sorted(opts, key=lambda o: (OPT_ORDER.index(o) if o in OPT_ORDER else len(OPT_ORDER), o))


def label(key):
    suite, problem, dim, budget = key
    fixed = problem in ("branin", "six_hump_camel", "hartmann3", "hartmann6", "hartmann6_mixed", "rosenbrock_mixed")
    return problem if fixed else "%s (d=%d)" % (problem, dim)


def summarize(cells, default):
    """Per cell: mean/median final log10 regret and AUC; tests of `default` against each anchor."""
    summary = {}
    for key, per_opt in cells.items():
        summary[key] = {}
        for opt, seeds in per_opt.items():
            final = np.array([c[-1] for c in seeds.values()])
            auc = np.array([c.mean() for c in seeds.values()])
            summary[key][opt] = dict(mean=final.mean(), median=float(np.median(final)), auc=auc.mean(), n=len(final))
    tests = {}
    for anchor in ANCHORS:
        keys, pvals = [], []
        for key, per_opt in cells.items():
            if default not in per_opt or anchor not in per_opt:
                continue
            seeds = sorted(set(per_opt[default]) & set(per_opt[anchor]))
            ours = np.array([per_opt[default][s][-1] for s in seeds])
            theirs = np.array([per_opt[anchor][s][-1] for s in seeds])
            if len(seeds) == 0 or np.all(ours - theirs == 0):
                p = 1.0
            else:
                try:
                    with warnings.catch_warnings():  # small samples / ties: scipy falls back and warns
                        warnings.simplefilter("ignore")
                        p = float(stats.wilcoxon(ours, theirs, alternative="less").pvalue)
                except ValueError:
                    p = 1.0
            keys.append(key)
            pvals.append(p)
        for key, p, adj in zip(keys, pvals, holm(pvals)):
            diff = summary[key][default]["mean"] - summary[key][anchor]["mean"]
            wtl = "win" if diff < -MARGIN else ("loss" if diff > MARGIN else "tie")
            tests[(key, anchor)] = dict(p=p, p_holm=adj, diff=diff, wtl=wtl)
    return summary, tests


def fmt(v, digits=2):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else ("%+.*f" % (digits, v))


# ---------------- suite M ----------------

def mo_label(key):
    problem, dim, m, budget = key
    return "%s (d=%d)" % (problem.upper(), dim) if problem.startswith("zdt") else "%s (d=%d, M=%d)" % (
        problem.upper(), dim, m)


def mo_cells_from(rows):
    """(problem, dim, M, budget) -> optimizer -> seed -> log10 hypervolume-gap curve (complete runs only)."""
    runs = collections.defaultdict(dict)
    for r in rows:
        runs[(r["problem"], r["dim"], r["n_objectives"], r["budget"], r["optimizer"], r["seed"])][r["trial"]] = r
    cells = collections.defaultdict(lambda: collections.defaultdict(dict))
    incomplete, suggest = [], collections.defaultdict(list)
    for (problem, dim, m, budget, opt, seed), trials in runs.items():
        if any(t not in trials for t in range(budget)):
            incomplete.append("%s %s d=%d M=%d seed %d (%d of %d trials)" % (opt, problem, dim, m, seed, len(trials),
                                                                             budget))
            continue
        cells[(problem, dim, m, budget)][opt][seed] = np.log10(np.array([trials[t]["hv_gap"] for t in range(budget)]))
        suggest[opt].extend(trials[t]["suggest_s"] for t in range(budget))
    return cells, incomplete, suggest


def mo_summarize(cells):
    """Per cell and optimizer: mean / median log10 gap at the checkpoints and the budget; our best
    sampler (one for the run); its one-sided Wilcoxon tests against each Optuna sampler (Holm
    across the problems, per Optuna sampler)."""
    summary = {}
    for key, per_opt in cells.items():
        summary[key] = {}
        for opt, seeds in per_opt.items():
            curves = list(seeds.values())
            at = {}
            for c in MO_CHECKPOINTS + (key[3],):
                if c <= key[3]:
                    v = np.array([cv[c - 1] for cv in curves])
                    at[c] = (float(v.mean()), float(np.median(v)))
            final = np.array([cv[-1] for cv in curves])
            summary[key][opt] = dict(mean=float(final.mean()), median=float(np.median(final)), at=at, n=len(final))
    ours = {o for k in summary for o in summary[k] if not o.startswith("optuna-")}
    full = [o for o in ours if all(o in summary[k] for k in summary)]
    best = min(full, key=lambda o: (np.mean([summary[k][o]["mean"] for k in summary]), o)) if full else None
    tests = {}
    if best:
        # Paired means for the target: over the seeds that our best sampler and both Optuna
        # samplers all have (the full plan runs Optuna's slow TPE on fewer seeds).
        for key, per_opt in cells.items():
            group = [o for o in (best, "optuna-nsga2", "optuna-tpe") if o in per_opt]
            common = sorted(set.intersection(*(set(per_opt[o]) for o in group))) if group else []
            for o in group:
                if common:
                    summary[key][o]["paired_mean"] = float(np.mean([per_opt[o][x][-1] for x in common]))
                    summary[key][o]["paired_n"] = len(common)
        for anchor in MO_ANCHORS:
            keys, pvals = [], []
            for key, per_opt in cells.items():
                if anchor not in per_opt:
                    continue
                seeds = sorted(set(per_opt[best]) & set(per_opt[anchor]))
                a = np.array([per_opt[best][x][-1] for x in seeds])
                b = np.array([per_opt[anchor][x][-1] for x in seeds])
                if len(seeds) == 0 or np.all(a - b == 0):
                    p = 1.0
                else:
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            p = float(stats.wilcoxon(a, b, alternative="less").pvalue)
                    except ValueError:
                        p = 1.0
                keys.append(key)
                pvals.append(p)
            for key, p, adj in zip(keys, pvals, holm(pvals)):
                tests[(key, anchor)] = dict(p=p, p_holm=adj, diff=summary[key][best]["mean"] - summary[key][anchor]["mean"])
            for key in keys:  # the difference over the common seeds (the pairs the test used)
                per_opt = cells[key]
                seeds = sorted(set(per_opt[best]) & set(per_opt[anchor]))
                if seeds:
                    tests[(key, anchor)]["diff"] = float(np.mean([per_opt[best][x][-1] - per_opt[anchor][x][-1]
                                                                 for x in seeds]))
                    tests[(key, anchor)]["n"] = len(seeds)
    return summary, best, tests


def mo_targets(summary, best, mo_over):
    """(target, figure, status) lines of suite M and of the multi-objective overhead."""
    out = []
    keys = [k for k in summary if best and "optuna-nsga2" in summary[k] and "optuna-tpe" in summary[k]]
    if keys:
        def pm(k, o):  # mean over the seeds the three share (see mo_summarize)
            return summary[k][o].get("paired_mean", summary[k][o]["mean"])
        won = [k for k in keys if pm(k, best) < min(pm(k, "optuna-nsga2"), pm(k, "optuna-tpe"))]
        need = 4 if len(keys) == 5 else math.ceil(4 / 5 * len(keys))
        out.append(("Multi-objective quality (M)",
                    "our best multi-objective sampler (`%s`) has a smaller mean HV gap than both Optuna NSGA-II and "
                    "Optuna TPE (means over the seeds all three ran) on >= 4 of 5 problems: %s (%d/%d%s)"
                    % (best, "met" if len(won) >= need else "not met", len(won), len(keys),
                       "" if len(keys) == 5 else "; need %d = 4/5 scaled" % need),
                    status(len(won) >= need, len(keys) != 5)))
    for task, n, m, what in (("hv", 1000, 3, "Hypervolume of 1,000 3-D points"),
                             ("nds", 10000, 2, "Non-dominated sort of 10,000 2-D points")):
        r = mo_over.get(("ours", task, n, m))
        if not r:
            continue
        target = r.get("target_ms") or (10.0 if task == "hv" else 50.0)
        opt_impl = "optuna-wfg" if task == "hv" else "optuna-tpe-nds"
        o = mo_over.get((opt_impl, task, n, m))
        ratio = "; Optuna (`%s`) %.1f ms, ratio 1/%.0f" % (o.get("function", opt_impl), o["ms"], o["ms"] / r["ms"]) if o else ""
        if not o:  # Optuna not run at this n in this mode: the largest n where both ran
            both = sorted(k[2] for k in mo_over if k[0] == opt_impl and k[1] == task and k[3] == m
                          and ("ours", task, k[2], m) in mo_over)
            if both:
                o2, r2 = mo_over[(opt_impl, task, both[-1], m)], mo_over[("ours", task, both[-1], m)]
                ratio = "; Optuna not run at n=%d in this mode; at n=%d: ours %.3f ms vs Optuna (`%s`) %.1f ms, ratio 1/%.0f" % (
                    n, both[-1], r2["ms"], o2.get("function", opt_impl), o2["ms"], o2["ms"] / r2["ms"])
        out.append((what, "ours %.3f ms (median of %d, wall; need < %g ms)%s" % (r["ms"], r["repeats"], target, ratio),
                    status(r["ms"] < target)))
    return out


def mo_markdown(summary, best, tests, suggest, mo_over):
    md = []
    if summary:
        keys = sorted(summary, key=lambda k: (k[0], k[2]))
        opts = sorted({o for k in keys for o in summary[k]},
                      key=lambda o: (MO_ORDER.index(o) if o in MO_ORDER else len(MO_ORDER), o))
        nseeds = max(x["n"] for k in keys for x in summary[k].values())
        md += ["## Suite M: multi-objective", "",
               "log10(HV* - HV) after N evaluations (the hypervolume gap; lower is better), %d seeds, same sampler "
               "seeds for every optimizer. HV: our C++ `autoglm::hypervolume` of all objective vectors evaluated so "
               "far (those outside the reference box contribute nothing), with the published reference point and "
               "HV* (REFERENCE.md); Optuna's runs are scored by the same function through "
               "`libautoglm_bench_objectives.so`, so the metric is identical. Per problem: mean (median) over seeds; "
               "the best final mean in bold. Our best multi-objective sampler for this run (lowest mean final gap "
               "over the problems): **`%s`**." % (nseeds, best or "n/a"), ""]
        for k in keys:
            budget = k[3]
            cps = [c for c in MO_CHECKPOINTS if c < budget] + [budget]
            bestmean = min(summary[k][o]["mean"] for o in opts if o in summary[k])
            table = []
            for o in opts:
                sm = summary[k].get(o)
                if not sm:
                    continue
                row = [("**%s**" % o) if o == best else o]
                for c in cps:
                    mean, med = sm["at"][c]
                    cell = "%s (%s)" % (fmt(mean), fmt(med))
                    row.append("**%s**" % cell if c == budget and sm["mean"] == bestmean else cell)
                table.append(row)
            md += ["### " + mo_label(k), "",
                   md_table(["optimizer"] + ["N = %d" % c for c in cps], table), ""]
        anchors = [a for a in MO_ANCHORS if any((k, a) in tests for k in keys)]
        if anchors:
            md += ["`%s` against each Optuna sampler: difference of mean final log10 gap (negative: ours better), "
                   "one-sided Wilcoxon p (Holm-adjusted across the problems):" % best, ""]
            table = []
            for k in keys:
                row = [mo_label(k)]
                for a in anchors:
                    t = tests.get((k, a))
                    row.append("%s, p=%.3g (%.3g)" % (fmt(t["diff"]), t["p"], t["p_holm"]) if t else "—")
                table.append(row)
            md += [md_table(["problem"] + ["vs " + a for a in anchors], table), ""]
        if suggest:
            md += ["Mean suggest time per trial in suite M (ms; ask + suggest_float x d): " +
                   ", ".join("%s %.3f" % (o, 1e3 * np.mean(suggest[o])) for o in opts if suggest.get(o)) + ".", ""]
    if mo_over:
        md += ["## Suite F: multi-objective kernels", "",
               "Median wall-clock ms of one call (the point set is built outside the timing; ours after one untimed "
               "warm-up call), the same seeded points for both (`mo_overhead_points` in bench/problems.h: hypervolume on "
               "points of the positive unit sphere plus U[0, 0.1) noise, reference 1.2 per objective; sorting on "
               "U[0, 1) points). Ratio = ours / Optuna; \"same result\": the hypervolume / number of fronts agree "
               "(relative 1e-9). Optuna's functions are slow (O(n^2) pairs), so quick mode "
               "runs them once and only up to `optuna_max_n` points (suites.json); \"—\": not run at that n.", ""]
        table = []
        for (impl, task, n, m), r in sorted(mo_over.items(), key=lambda kv: (kv[0][1], kv[0][2], kv[0][3])):
            if impl != "ours":
                continue
            what = "hypervolume" if task == "hv" else "non-dominated sort"
            target = r.get("target_ms") or 0
            st = ("< %g ms: %s" % (target, "met" if r["ms"] < target else "NOT met")) if target else "—"
            others = [(i, x) for (i, t2, n2, m2), x in mo_over.items() if i != "ours" and (t2, n2, m2) == (task, n, m)]
            if not others:
                table.append([what, n, m, "%.3f" % r["ms"], "—", "—", "—", "—", st])
            for i, x in sorted(others):
                # Both return the hypervolume (hv) or the number of fronts (nds): they must agree.
                same = "yes" if abs(x["result"] - r["result"]) <= 1e-9 * max(1.0, abs(r["result"])) else \
                    "NO (%.12g vs %.12g)" % (r["result"], x["result"])
                table.append([what, n, m, "%.3f" % r["ms"], "`%s`" % x.get("function", i),
                              "%.1f (%d run%s)" % (x["ms"], x["repeats"], "" if x["repeats"] == 1 else "s"),
                              "1/%.0f" % (x["ms"] / r["ms"]) if r["ms"] > 0 else "—", same, st])
        md += [md_table(["kernel", "n", "M", "ours ms", "Optuna function", "Optuna ms", "ratio", "same result",
                         "target"], table), ""]
    return md



def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = "%.1f GiB" % (kb / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return dict(nproc=os.cpu_count(), cpu=cpu, mem=mem, kernel=platform.release())


def status(ok, partial=False):
    s = "met" if ok else "NOT met"
    return s + (" (indicative: this mode covers only part of the cells)" if partial else "")


def targets(summary, tests, default, overhead, e2e):
    """Returns a list of (target, figure, status) lines."""
    out = []
    ab = [k for k in summary if k[0] in ("A", "B")]
    with_tpe = [k for k in ab if default in summary[k] and "optuna-tpe" in summary[k]]
    if with_tpe:
        diffs = {k: summary[k][default]["mean"] - summary[k]["optuna-tpe"]["mean"] for k in with_tpe}
        better = sum(d < -MARGIN for d in diffs.values())
        worse = [label(k) for k, d in diffs.items() if d > MARGIN]
        n = len(with_tpe)
        need = 11 if n == 16 else math.ceil(11 / 16 * n)
        figure = ("%s mean log10 regret >= 0.3 lower than optuna-tpe on %d of %d cells of suites A+B (need %d%s); "
                  "more than 0.3 higher on %d%s" % (default, better, n, need, "" if n == 16 else " = 11/16 scaled",
                                                    len(worse), (": " + ", ".join(worse)) if worse else ""))
        out.append(("Quality vs Optuna TPE", figure, status(better >= need and not worse, n != 16)))
    b = [k for k in summary if k[0] == "B" and default in summary[k] and "dlib" in summary[k]]
    if b:
        better = sum(summary[k][default]["mean"] < summary[k]["dlib"]["mean"] for k in b)
        need = 8 if len(b) == 12 else math.ceil(8 / 12 * len(b))
        out.append(("vs dlib, shifted suite B",
                    "%s better (lower mean log10 regret) on %d of %d cells (need %d)" % (default, better, len(b), need),
                    status(better >= need, len(b) != 12)))
    a = {k[1]: k for k in summary if k[0] == "A" and default in summary[k] and "dlib" in summary[k]}
    if a:
        parts, ok = [], True
        for name in ("branin", "six_hump_camel", "hartmann3"):
            if name in a:
                d = summary[a[name]][default]["mean"] - summary[a[name]]["dlib"]["mean"]
                parts.append("%s %+.2f (need <= +%.1f)" % (name, d, DLIB_DECADE))
                ok &= d <= DLIB_DECADE
        if "hartmann6" in a:
            d = summary[a["hartmann6"]][default]["mean"] - summary[a["hartmann6"]]["dlib"]["mean"]
            parts.append("hartmann6 %+.2f (need < 0)" % d)
            ok &= d < 0
        out.append(("vs dlib, suite A", "ours - dlib mean log10 regret: " + "; ".join(parts), status(ok, len(a) != 4)))

    def ov(opt, n, d):
        return overhead.get((opt, n, d))
    t, o = ov("tpe", 1000, 10), ov("optuna-tpe", 1000, 10)
    if t and o:
        ratio = t["ms_per_trial"] / o["ms_per_trial"]
        cpu = ""
        if t.get("cpu_ms_per_trial") and o.get("cpu_ms_per_trial"):
            cpu = "; CPU time %.2f vs %.1f ms, 1/%.0f" % (t["cpu_ms_per_trial"], o["cpu_ms_per_trial"],
                                                       o["cpu_ms_per_trial"] / t["cpu_ms_per_trial"])
        out.append(("TPE overhead n=1000, d=10",
                    "ours %.2f ms vs Optuna %.1f ms per trial (ask+suggest+tell, wall): ratio 1/%.0f (need <= 1/30)%s"
                    % (t["ms_per_trial"], o["ms_per_trial"], 1 / ratio, cpu), status(ratio <= 1 / 30)))
    t = ov("tpe", 1000, 2)
    if t:
        out.append(("TPE overhead n=1000, d=2", "%.3f ms per trial, wall (CPU %.3f ms; need < 1 ms)"
                    % (t["ms_per_trial"], t.get("cpu_ms_per_trial", float("nan"))), status(t["ms_per_trial"] < 1.0)))
    g = ov("gp", 200, 10)
    if g:
        out.append(("GP suggest n=200, d=10", "%.1f ms per suggest, wall (%.1f ms per trial, CPU %.1f ms; need < 100 ms)"
                    % (g["suggest_ms"], g["ms_per_trial"], g.get("cpu_ms_per_trial", float("nan"))),
                    status(g["suggest_ms"] < 100.0)))
    e = e2e.get(("tpe", 10000, 10))
    if e:
        st = status(e["wall_s"] < 60.0)
        if e["wall_s"] >= 60.0 and e.get("cpu_s", 1e9) < 60.0:
            st = "NOT met on wall time; met on CPU time (load average %s before the study)" % e.get("loadavg_before", "?")
        out.append(("10,000-trial 10-D TPE study", "%.1f s end to end, wall (CPU %.1f s; need < 60 s)"
                    % (e["wall_s"], e.get("cpu_s", float("nan"))), st))
        out.append(("Peak RSS at 10,000 trials", "%.1f MiB peak, %.0f bytes per stored trial (reported, no threshold)"
                    % (e["peak_rss_kb"] / 1024, e["bytes_per_trial"]), "reported"))
    return out


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


HOW_TO_RUN = """\
```
bench/run.sh --quick            # ~2 min on 2 cores after the build; writes docs/benchmarks-quick.md
bench/run.sh --full             # everything (suites A, B at d=5 and d=10, C, M, F), ~40+ min; writes docs/benchmarks.md
bench/run.sh --smoke            # seconds; what ctest's bench_smoke test runs (label "bench")
bench/run.sh --quick --build-dir build-bench   # another build folder (default build/)
```
`run.sh` builds `autoglm-bench` and `libautoglm_bench_objectives.so`, checks f(x*) = f* for every
problem and seed, runs our samplers and dlib (`autoglm-bench`) and Optuna
(`/usr/bin/python3 bench/optuna_runner.py`), appends raw rows to `bench/results/<mode>/*.jsonl`
(resumable: finished (optimizer, problem, seed) cells are skipped) and writes this page with
`bench/report.py`. What each mode runs is in `bench/suites.json`; see `bench/README.md`."""

MODES = """\
| mode | quality suites (same seeds for every optimizer) | F (overhead) | duration, 2 cores |
|---|---|---|---|
| smoke | A: branin; C: hartmann6_mixed; 15 evals, 2 seeds; ours random / tpe / auto, optuna-tpe, dlib; M: zdt1 (d=10), 30 evals, 1 seed, all 7 suite-M optimizers | tpe and optuna-tpe at n=100, d=2 (5 trials); a 200-trial TPE study; hypervolume of 100 3-D points, sorting of 300 2-D points | ~10 s |
| quick | A: branin, six_hump_camel, hartmann3, hartmann6 (100 evals); B at d=5: rosenbrock, ackley, levy, rastrigin (200 evals); C: hartmann6_mixed (150 evals); 3 seeds; all 7 optimizers. M: zdt1, zdt3, dtlz2 (M=2), d=10, 250 evals, 3 seeds (Optuna's multi-objective TPE is too slow for all 5 problems here); ours tpe-mv / tpe / nsga2 / random, optuna-nsga2 / optuna-tpe / optuna-random | all samplers at n = 100, 1000 and d = 2, 10 (GP: n = 100, and n = 200 at d = 10); the 10,000-trial 10-D TPE study; hypervolume of 1,000 3-D points (ours and Optuna's WFG, once), sorting of 10,000 2-D points (ours) and 1,000 (ours and Optuna's two sorts) | 108 s measured before suite M (load average 4 from other work); see "This run" for the last wall time |
| full | A (100 evals, 30 seeds); B: 6 functions at d=5 (200 evals) and d=10 (300 evals), 20 seeds; C: hartmann6_mixed, rosenbrock_mixed (150 evals, 20 seeds); all 7 optimizers. M: zdt1, zdt2, zdt3, dtlz2 (M=2, 3), d=10, 250 evals, 20 seeds, except Optuna's TPE: 10 seeds, 2 on DTLZ2 M=3, where one run takes about 15 minutes (the target compares means over the shared seeds) | n = 100, 1000, 5000; d = 2, 10 (GP: n <= 200); the 10,000-trial study; the multi-objective kernels at 1,000 / 10,000 points, Optuna's too (3 runs; NSGA-II's sort at 1,000 only) | 39 min measured with the default 2 jobs before suite M (load average 3-5 from other work; 45 CPU-minutes, most of it Optuna TPE and our auto/GP at d=10); ~75 min with --jobs 1 |

Quick-mode statistics are indicative only: 3 seeds, and suite B without styblinski_tang, griewank
and d=10, so the quality targets are checked on the cells it has, with the thresholds scaled."""

NOTES_STATIC = """\
- **Problems.** Every seed s evaluates `objectives::shifted(make_problem(name, d), s)`: shifted by up
  to 20% of the range and, for Hartmann, reflected, so that dlib's first evaluation at the box centre
  does not solve ackley / rastrigin / griewank by luck. All optimizers get the same transformed problem
  for a seed; Optuna evaluates the same C++ functions through `libautoglm_bench_objectives.so`.
  f(x*) = f* is checked for every (problem, seed) before a run; a value below f* aborts the run.
- **Mixed problems (suite C).** `hartmann6_mixed`: Hartmann6 of the seed with x0..x2 as ints
  k in 0..10 (x = k/10 + delta, delta < 0.05 chosen so that the grid point next to the seed's optimum
  lands exactly on it, clipped to [0, 1]), x3..x5 float, and categoricals c0, c1 in {a, b, c}, each
  adding 0.5 unless the seed's right choice is taken. `rosenbrock_mixed`: Rosenbrock d=6 of the seed
  with x0..x2 ints in -5..10 (same construction), x3..x5 float in [-5, 10], and c0, c1 adding 10
  each unless right. f* is unchanged by construction.
- **dlib** runs `find_min_global(f, low, high, is_integer_variable, max_function_calls(budget))`.
  Ints are integer variables; a categorical is an integer variable over its choice indices (an
  ordinal encoding; dlib has no categorical type). `find_min_global` takes no seed, so dlib is
  deterministic and its seeds differ only through the problem's shift. Its "suggest time" is the time
  between the end of one evaluation and the start of the next (dlib's own work).
- **Ours** run through `autoglm::Study` (in-memory storage, ask / suggest / tell, no pruner) with
  `make_sampler({"name": ..., "seed": s})`; Optuna through `optuna.create_study` (in-memory storage)
  with `TPESampler(seed=s)` / `RandomSampler(seed=s)`, default settings, ask / suggest / tell.
  Suggest time is ask plus the suggest calls; tell is timed separately.
- **Overhead (F)** prefills a study on the sphere with n COMPLETE random trials (ours: through the
  storage with template trials; Optuna: `study.add_trials(create_trial(...))`) and times the next 20
  ask + suggest + tell; figures are the mean ms per trial. F runs alone, after the quality suites, so
  the two processes of `--jobs 2` do not disturb its timings (quality-suite suggest times may be).
- **dlib on smooth problems.** `find_min_global` alternates a Lipschitz (LIPO) upper-bound search with
  a trust-region quadratic model around the best point; on smooth low-dimensional functions it can
  converge to machine precision (the 1e-12 regret floor) within the budget, which sampling-based
  methods do not. That is what the suite-A target ("within one decade of dlib") is about.
- **Ours: `auto`** chooses GP, TPE or CMA-ES per trial from the study's history (see
  `include/autoglm/auto_sampler.h`); its suggest times include the GP fits.
- **Timing.** Wall-clock figures depend on what else runs on the machine (see the load average above);
  the overhead table and the F targets also give process CPU time, which is less affected.
- **Resuming.** A run killed mid-write leaves one cut line in a JSONL file; it is skipped (counted as
  malformed below) and the cell is run again on the next invocation.
- **Suite M (multi-objective).** ZDT1-3 (d=10) and DTLZ2 (d=10, M=2 and 3) of
  `objectives::make_multi_problem`, unshifted (they are defined on [0, 1]^d only), all objectives
  minimized; x0..x{d-1} are `suggest_float` in [0, 1]. Ours: `tpe-mv` = TPE with `multivariate` and
  `group`, `tpe` = plain TPE, `nsga2` and `random`, all with defaults and `seed` s, multi-objective
  studies (M MINIMIZE directions) through `Study` ask / tell. Optuna: `NSGAIISampler(seed=s)`,
  `TPESampler(seed=s)` (with several objectives Optuna 3.1's TPE is MOTPE) and `RandomSampler(seed=s)`,
  defaults, evaluating the same C++ functions through ctypes. The reference point and HV* are the
  published ones; `autoglm-bench check` verifies them against a dense sample of each true front.
- **Statistics.** With 3 seeds (quick) the smallest possible one-sided Wilcoxon p-value is 0.125, so
  no quick-mode test can be significant; read the quick tables as indicative and use --full for claims.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results-dir", required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "suites.json"))
    ap.add_argument("--out", required=True, help="markdown page to write (docs/benchmarks.md)")
    ap.add_argument("--wall-seconds", type=float, help="wall time of the run, for the page")
    ap.add_argument("--strict", action="store_true",
                    help="exit 1 when a line is malformed or a planned cell is missing (smoke test)")
    args = ap.parse_args()

    rows, bad = load(args.results_dir)
    meta = {}
    for r in rows["meta"]:
        meta[r["runner"]] = r
    ours_meta = meta.get("autoglm-bench", {})
    registered = set(ours_meta.get("registered_samplers", []))
    default = ours_meta.get("default_sampler") or ("auto" if any(r["optimizer"] == "auto" for r in rows["trial"]) else "tpe")

    cells, incomplete, suggest = cells_from(rows["trial"])
    summary, tests = summarize(cells, default)
    overhead = {(r["optimizer"], r["n"], r["d"]): r for r in rows["overhead"]}
    mo_cells, mo_incomplete, mo_suggest = mo_cells_from(rows["mo_trial"])
    incomplete += mo_incomplete
    mo_summary, mo_best, mo_tests = mo_summarize(mo_cells)
    mo_over = {(r["impl"], r["task"], r["n"], r["m"]): r for r in rows["mo_overhead"]}
    e2e = {(r["optimizer"], r["n"], r["d"]): r for r in rows["e2e"]}

    # Planned cells that are missing.
    with open(args.config) as f:
        plan = json.load(f)["modes"][args.mode]
    missing = []
    for g in plan["groups"]:
        for name, dim in g["problems"]:
            key = (g["suite"], name, dim, g["budget"])
            for opt in plan["optimizers"]:
                if registered and not opt.startswith("optuna-") and opt != "dlib" and opt not in registered:
                    continue
                have = len(cells.get(key, {}).get(opt, {}))
                if have < g["seeds"]:
                    missing.append("%s %s d=%d: %d of %d seeds" % (opt, name, dim, have, g["seeds"]))

    multi = plan.get("multi")
    if multi:
        for name, dim, m in multi["problems"]:
            for opt in multi["optimizers"]:
                spec = multi.get("specs", {}).get(opt, {"name": opt})
                if registered and not opt.startswith("optuna-") and spec.get("name", opt) not in registered:
                    continue
                if [opt, name, dim, m] in multi.get("skip", []):
                    continue
                want = multi["seeds"]
                for e in multi.get("skip", []):
                    if len(e) == 5 and e[:4] == [opt, name, dim, m]:
                        want = min(want, e[4])
                have = len(mo_cells.get((name, dim, m, multi["budget"]), {}).get(opt, {}))
                if have < want:
                    missing.append("%s %s d=%d M=%d: %d of %d seeds" % (opt, name, dim, m, have, want))

    tgt = targets(summary, tests, default, overhead, e2e) + mo_targets(mo_summary, mo_best, mo_over)

    # ---------------- console ----------------
    print("report: %d trial rows, %d suite-M rows, %d overhead rows, %d e2e rows, %d malformed lines, "
          "%d incomplete runs, %d missing cells; our default sampler: %s"
          % (len(rows["trial"]), len(rows["mo_trial"]), len(rows["overhead"]) + len(rows["mo_overhead"]),
             len(rows["e2e"]), len(bad), len(incomplete), len(missing), default))
    for b in bad[:10]:
        print("  malformed: " + b)
    for m in missing[:10]:
        print("  missing: " + m)
    for name, figure, st in tgt:
        print("TARGET %-28s %s -> %s" % (name + ":", figure, st))

    # ---------------- markdown ----------------
    info = machine_info()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    shown_dir = os.path.relpath(os.path.abspath(args.results_dir), root)
    if shown_dir.startswith(".."):
        shown_dir = os.path.abspath(args.results_dir)
    if not tgt:
        tgt = [("(none)", "this mode measures none of the targets' figures", "—")]
    opt_meta = meta.get("optuna_runner", {})
    md = ["# Benchmarks: our samplers vs Optuna 3.1 and dlib", "",
          "_Generated by `bench/report.py` from `%s`; do not edit by hand._" % shown_dir, "",
          "## How to run", "", HOW_TO_RUN, "", "## Modes", "", MODES, "",
          "## This run", "",
          "- mode: **%s**; date: %s%s" % (args.mode, datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                                         ("; wall time of the last run.sh invocation %.0f s (build excluded; a resumed run counts only itself)" % args.wall_seconds)
                                         if args.wall_seconds else ""),
          "- machine: %s cores (`nproc`), %s, %s RAM, Linux %s" % (info["nproc"], info["cpu"], info["mem"],
                                                                 info["kernel"]),
          "- Optuna %s (Python %s, %s); dlib %s (find_min_global)" % (
              opt_meta.get("optuna_version", "?"), opt_meta.get("python", "?"),
              opt_meta.get("python_executable", "?"), ours_meta.get("dlib_version", "?")),
          "- load average when the run started: %s (on %s cores; other work on the machine slows wall-clock "
          "timings, CPU times are less affected)" % (ours_meta.get("loadavg", "?"), info["nproc"]),
          "- our default sampler: `%s`; samplers registered: %s" % (default, ", ".join(sorted(registered)) or "?"),
          "- rows: %d trials, %d suite-M trials, %d overhead, %d end-to-end; malformed lines: %d; incomplete runs: %d; "
          "missing cells: %d" % (len(rows["trial"]), len(rows["mo_trial"]), len(rows["overhead"]) + len(rows["mo_overhead"]),
                                 len(rows["e2e"]), len(bad), len(incomplete), len(missing)),
          ""]
    md += ["## Targets", "", md_table(["target", "figure", "status"], tgt), ""]

    suites = {"A": "Suite A: smooth low-dimensional", "B": "Suite B: scalable functions (shifted)",
              "C": "Suite C: mixed integer / categorical"}
    for suite in ("A", "B", "C"):
        keys = sorted([k for k in summary if k[0] == suite], key=lambda k: (k[3], k[2], k[1]))
        if not keys:
            continue
        opts = opt_sort({o for k in keys for o in summary[k]})
        nseeds = max(s["n"] for k in keys for s in summary[k].values())
        md += ["## " + suites[suite], "",
               "Mean log10 simple regret at the budget (median in parentheses), %d seeds; lower is better, "
               "the best mean in bold." % nseeds, ""]
        table = []
        for k in keys:
            best = min(summary[k][o]["mean"] for o in opts if o in summary[k])
            row = [label(k), k[3]]
            for o in opts:
                s = summary[k].get(o)
                if not s:
                    row.append("—")
                    continue
                cell = "%s (%s)" % (fmt(s["mean"]), fmt(s["median"]))
                row.append("**%s**" % cell if s["mean"] == best else cell)
            table.append(row)
        md += [md_table(["problem", "evals"] + opts, table), ""]
        md += ["Area under the log10-regret curve (mean over trials and seeds):", ""]
        table = [[label(k)] + [fmt(summary[k][o]["auc"]) if o in summary[k] else "—" for o in opts] for k in keys]
        md += [md_table(["problem"] + opts, table), ""]
        anchors = [a for a in ANCHORS if any((k, a) in tests for k in keys)]
        if anchors:
            md += ["`%s` against each anchor: difference of mean log10 regret (negative: ours better), "
                   "one-sided Wilcoxon p (Holm-adjusted across all problems of the run), win/tie/loss at 0.3:"
                   % default, ""]
            table = []
            for k in keys:
                row = [label(k)]
                for a in anchors:
                    t = tests.get((k, a))
                    row.append("%s, p=%.3g (%.3g), %s" % (fmt(t["diff"]), t["p"], t["p_holm"], t["wtl"]) if t else "—")
                table.append(row)
            wtl = []
            for a in anchors:
                c = collections.Counter(tests[(k, a)]["wtl"] for k in keys if (k, a) in tests)
                wtl.append("%d / %d / %d" % (c["win"], c["tie"], c["loss"]))
            table.append(["**win / tie / loss**"] + wtl)
            md += [md_table(["problem"] + ["vs " + a for a in anchors], table), ""]
        sug = [[o, "%.3f" % (1e3 * np.mean(suggest[(suite, o)]))] for o in opts if suggest.get((suite, o))]
        md += ["Mean suggest time per trial in this suite (ms): " +
               ", ".join("%s %s" % (o, v) for o, v in sug) + ".", ""]

    # Overall win/tie/loss.
    if tests:
        md += ["## Across all problems", "",
               md_table(["anchor", "win / tie / loss", "significant (Holm p < 0.05)"],
                        [[a, "%d / %d / %d" % tuple(collections.Counter(t["wtl"] for (k, b), t in tests.items()
                                                                         if b == a)[w] for w in ("win", "tie", "loss")),
                          sum(1 for (k, b), t in tests.items() if b == a and t["p_holm"] < 0.05)]
                         for a in ANCHORS if any(b == a for (_, b) in tests)]), ""]

    md += mo_markdown(mo_summary, mo_best, mo_tests, mo_suggest, mo_over)

    if overhead:
        ns = sorted({k[1] for k in overhead})
        ds = sorted({k[2] for k in overhead})
        opts = opt_sort({k[0] for k in overhead})
        md += ["## Suite F: overhead", "",
               "Mean ms per trial (ask + suggest + tell), wall clock, with the process CPU time in parentheses, "
               "over 20 trials after prefilling n random trials and one untimed warm-up trial; sphere, in-memory "
               "storage; ratio = ours / Optuna for the same algorithm (CPU-time ratio in parentheses).", ""]
        table = []
        for n in ns:
            for d in ds:
                if not any(k[1] == n and k[2] == d for k in overhead):
                    continue
                row = ["%d" % n, "%d" % d]
                for o in opts:
                    r = overhead.get((o, n, d))
                    row.append("%.3f (%.3f)" % (r["ms_per_trial"], r.get("cpu_ms_per_trial", float("nan"))) if r else "—")
                for ours, theirs in (("tpe", "optuna-tpe"), ("random", "optuna-random")):
                    a, b = overhead.get((ours, n, d)), overhead.get((theirs, n, d))
                    if a and b:
                        cpu = ""
                        if a.get("cpu_ms_per_trial") and b.get("cpu_ms_per_trial"):
                            cpu = " (1/%.0f)" % (b["cpu_ms_per_trial"] / a["cpu_ms_per_trial"])
                        row.append("1/%.0f%s" % (b["ms_per_trial"] / a["ms_per_trial"], cpu))
                    else:
                        row.append("—")
                table.append(row)
        md += [md_table(["n", "d"] + opts + ["tpe ratio", "random ratio"], table), ""]
        # Optuna TPE against the anchor figures of REFERENCE.md (same kind of 2-core machine).
        anchors = {(100, 10): 28, (1000, 10): 117, (100, 2): 6, (1000, 2): 22}
        seen = [(nd, overhead[("optuna-tpe",) + nd]) for nd in anchors if ("optuna-tpe",) + nd in overhead]
        if seen:
            md += ["Sanity check of the Optuna side against REFERENCE.md's anchor figures (Optuna TPE ms per trial): " +
                   "; ".join("n=%d d=%d: %.1f wall / %.1f CPU here, %d there" % (nd[0], nd[1], r["ms_per_trial"],
                                                                              r.get("cpu_ms_per_trial", float("nan")),
                                                                              anchors[nd]) for nd, r in seen) + ".", ""]
    for (opt, n, d), e in sorted(e2e.items()):
        checkpoints = ", ".join("%s: %.1f s" % (k, v) for k, v in sorted(e.get("elapsed_at", {}).items(),
                                                                      key=lambda kv: int(kv[0])))
        md += ["End to end: a %d-trial %d-D `%s` study (Study::optimize, sphere, in-memory storage) took "
               "**%.1f s** wall, %.1f s CPU (load average before: %s); peak RSS %.1f MiB (%.1f MiB before the "
               "study), **%.0f bytes per stored trial**. Elapsed (wall) at: %s."
               % (n, d, opt, e["wall_s"], e.get("cpu_s", float("nan")), e.get("loadavg_before", "?"),
                  e["peak_rss_kb"] / 1024, e["rss_before_kb"] / 1024, e["bytes_per_trial"], checkpoints), ""]

    md += ["## Notes", "", NOTES_STATIC]
    if default != "auto":
        md += ["- Sampler `auto` was not registered when this ran; our default here is `tpe`.", ""]
    unreg = [o for o in ("gp", "auto") if registered and o not in registered]
    if unreg:
        md += ["- Not registered, so not measured: %s." % ", ".join(unreg), ""]
    if incomplete or missing or bad:
        md += ["- Gaps: %d incomplete runs, %d missing cells, %d malformed lines%s." % (
            len(incomplete), len(missing), len(bad), (" (e.g. " + "; ".join((missing + incomplete + bad)[:5]) + ")"))]
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(md).rstrip() + "\n")
    print("report: wrote " + args.out)
    if args.strict and (bad or missing or incomplete or not rows["trial"] or (multi and not rows["mo_trial"])):
        print("report: --strict: malformed, missing or incomplete results", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
