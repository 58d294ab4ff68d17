#!/usr/bin/python3
"""Expected pruning decisions from Optuna 3.1, for tests/pruner/pruner_parity_test.cc.

Replays fixed, seeded trial histories through Optuna's own pruners (an in-memory study driven with
ask / report / should_prune / tell, trials interleaved as asynchronous workers would run them) and
writes every should_prune() answer to tests/data/optuna_pruner_expected.json. The C++ test replays
the same event lists through our pruners and requires the same answers.

Run with Debian's interpreter (it has python3-optuna 3.1):
    /usr/bin/python3 scripts/gen_optuna_pruners.py [output.json]

File format (values are numbers, or the strings "nan", "inf", "-inf"):
  {"optuna_version": "3.1.0",
   "histories": [{"id", "study_name", "direction", "pruner": {"name": ..., options...},
                  "events": [["start", number],
                             ["report", number, step, value, should_prune],
                             ["finish", number, "COMPLETE" | "PRUNED" | "FAIL", value or null]]}],
   "hyperband_brackets": [{"min_resource", "max_resource", "reduction_factor", "n_brackets",
                           "study_name", "bracket_ids": [bracket of trial 0, 1, ...]}]}
The event index is the clock: a trial finished at event i has datetime_complete = i seconds.

Histories stay inside the domain where a history-pure pruner can match Optuna exactly (see
include/autoglm/pruners.h): every promotion step is reported, and with "auto" resources the
first trial runs alone until a trial completes.
"""
import json
import math
import random
import sys
import warnings
from pathlib import Path

import optuna
from optuna.trial import TrialState

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "optuna_pruner_expected.json"

# Each history: pruner spec (our config form, "name" + options), direction, and the shape of the
# simulated workload.
#   n_trials, n_workers     trials in the study, trials running at once
#   steps                   "consecutive" (0, 1, ...), "from1" (1, 2, ...), ("stride", k) (0, k,
#                           2k, ...) or ("sparse", p) (each step reported with probability p)
#   max_steps               reports per full-length trial (for strides: the last step bound)
#   variable_length         full-length trials stop at a random length in [max_steps/2, max_steps]
#   first_steps             length of trial 0 (defaults to max_steps)
#   nan / inf               probability that a reported value is NaN / +-inf
#   fail                    probability that a trial fails (FAIL) after some report
#   stubborn                probability that a trial ignores should_prune() == True and goes on
#   repeat                  probability that a step is reported and asked twice (Optuna keeps the
#                           first value)
#   quantize                round values to 2 decimals (ties)
#   sequential_start        run one trial at a time until a trial has completed ("auto" resources)
HISTORIES = [
    # ---- MedianPruner / PercentilePruner
    dict(id="median-default-minimize", pruner={"name": "median"}, direction="minimize", seed=1,
         n_trials=30, n_workers=4, steps="consecutive", max_steps=20, quantize=True),
    dict(id="median-options-maximize-nan",
         pruner={"name": "median", "n_startup_trials": 3, "n_warmup_steps": 4, "interval_steps": 3,
                 "n_min_trials": 2},
         direction="maximize", seed=2, n_trials=30, n_workers=3, steps="consecutive", max_steps=25,
         nan=0.05, inf=0.01, fail=0.1, stubborn=0.15, repeat=0.05),
    dict(id="median-sparse-steps",
         pruner={"name": "median", "n_warmup_steps": 2, "interval_steps": 5},
         direction="minimize", seed=3, n_trials=30, n_workers=4, steps=("sparse", 0.6), max_steps=30,
         variable_length=True, stubborn=0.2, fail=0.05),
    dict(id="median-sequential-all-nan", pruner={"name": "median", "n_startup_trials": 2},
         direction="maximize", seed=4, n_trials=15, n_workers=1, steps="from1", max_steps=12, nan=0.3),
    dict(id="percentile-25-maximize", pruner={"name": "percentile", "percentile": 25.0, "n_startup_trials": 2},
         direction="maximize", seed=5, n_trials=25, n_workers=4, steps="consecutive", max_steps=15,
         quantize=True),
    dict(id="percentile-80.5-minimize-nan",
         pruner={"name": "percentile", "percentile": 80.5, "n_warmup_steps": 3, "n_min_trials": 3},
         direction="minimize", seed=6, n_trials=30, n_workers=3, steps="consecutive", max_steps=20,
         nan=0.08, inf=0.02, fail=0.1, stubborn=0.1),
    dict(id="percentile-0-maximize", pruner={"name": "percentile", "percentile": 0.0, "n_startup_trials": 1},
         direction="maximize", seed=7, n_trials=15, n_workers=2, steps="consecutive", max_steps=10),
    dict(id="percentile-100-minimize", pruner={"name": "percentile", "percentile": 100.0, "n_startup_trials": 1},
         direction="minimize", seed=8, n_trials=15, n_workers=2, steps=("stride", 2), max_steps=20,
         nan=0.05),
    # ---- SuccessiveHalvingPruner
    dict(id="sha-auto-default-minimize", pruner={"name": "successive_halving"}, direction="minimize",
         seed=11, n_trials=40, n_workers=4, steps="consecutive", max_steps=250, sequential_start=True,
         quantize=True),
    dict(id="sha-auto-eta3-maximize", pruner={"name": "successive_halving", "min_resource": "auto",
                                              "reduction_factor": 3},
         direction="maximize", seed=12, n_trials=40, n_workers=3, steps="consecutive", max_steps=30,
         variable_length=True, sequential_start=True, fail=0.1, stubborn=0.1, nan=0.02),
    dict(id="sha-auto-eta2-minimize-long", pruner={"name": "successive_halving", "reduction_factor": 2},
         direction="minimize", seed=13, n_trials=30, n_workers=3, steps="consecutive", max_steps=120,
         first_steps=320, sequential_start=True, fail=0.1),
    dict(id="sha-eta2-rate1-maximize", pruner={"name": "successive_halving", "min_resource": 1,
                                               "reduction_factor": 2, "min_early_stopping_rate": 1},
         direction="maximize", seed=14, n_trials=40, n_workers=5, steps="consecutive", max_steps=40,
         quantize=True, stubborn=0.1, repeat=0.05),
    dict(id="sha-bootstrap-minimize-nan", pruner={"name": "successive_halving", "min_resource": 2,
                                                  "reduction_factor": 3, "bootstrap_count": 2},
         direction="minimize", seed=15, n_trials=40, n_workers=4, steps="from1", max_steps=40,
         nan=0.05, inf=0.02, fail=0.1),
    dict(id="sha-stride4-minimize", pruner={"name": "successive_halving", "min_resource": 4,
                                            "reduction_factor": 2},
         direction="minimize", seed=16, n_trials=30, n_workers=3, steps=("stride", 4), max_steps=80,
         stubborn=0.1, quantize=True),
    dict(id="sha-eta5-maximize", pruner={"name": "successive_halving", "min_resource": 3,
                                         "reduction_factor": 5},
         direction="maximize", seed=17, n_trials=40, n_workers=6, steps="consecutive", max_steps=80,
         variable_length=True, fail=0.05),
    # ---- HyperbandPruner
    dict(id="hyperband-auto-default-minimize", pruner={"name": "hyperband"}, direction="minimize",
         seed=21, n_trials=50, n_workers=4, steps="consecutive", max_steps=27, sequential_start=True,
         quantize=True, stubborn=0.1),
    dict(id="hyperband-fixed81-maximize", pruner={"name": "hyperband", "max_resource": 81},
         direction="maximize", seed=22, n_trials=50, n_workers=5, steps="consecutive", max_steps=81,
         fail=0.1, nan=0.02),
    dict(id="hyperband-eta2-bootstrap-minimize", pruner={"name": "hyperband", "min_resource": 2,
                                                         "max_resource": 64, "reduction_factor": 2,
                                                         "bootstrap_count": 1},
         direction="minimize", seed=23, n_trials=50, n_workers=4, steps="from1", max_steps=64,
         repeat=0.05, quantize=True),
    dict(id="hyperband-auto-eta4-maximize", pruner={"name": "hyperband", "max_resource": "auto",
                                                    "reduction_factor": 4},
         direction="maximize", seed=24, n_trials=50, n_workers=4, steps="consecutive", max_steps=64,
         variable_length=True, sequential_start=True, fail=0.05, stubborn=0.1),
    # ---- ThresholdPruner
    dict(id="threshold-upper-interval-minimize",
         pruner={"name": "threshold", "upper": 1.1, "n_warmup_steps": 4, "interval_steps": 2},
         direction="minimize", seed=41, n_trials=20, n_workers=3, steps="consecutive", max_steps=20, nan=0.03),
    dict(id="threshold-lower-sparse-maximize", pruner={"name": "threshold", "lower": -0.9},
         direction="maximize", seed=42, n_trials=20, n_workers=2, steps=("sparse", 0.6), max_steps=25,
         stubborn=0.2),
    dict(id="threshold-both-minimize", pruner={"name": "threshold", "lower": 0.3, "upper": 1.5},
         direction="minimize", seed=43, n_trials=20, n_workers=4, steps="consecutive", max_steps=15,
         inf=0.03, repeat=0.05),
    # ---- PatientPruner
    dict(id="patient-alone-minimize", pruner={"name": "patient", "patience": 2},
         direction="minimize", seed=51, n_trials=20, n_workers=3, steps="consecutive", max_steps=25,
         nan=0.05, stubborn=0.2),
    dict(id="patient-median-maximize",
         pruner={"name": "patient", "patience": 3, "min_delta": 0.02,
                 "wrapped_pruner": {"name": "median", "n_startup_trials": 2}},
         direction="maximize", seed=52, n_trials=30, n_workers=4, steps="consecutive", max_steps=30,
         quantize=True, fail=0.05),
    # ---- NopPruner
    dict(id="nop-minimize", pruner={"name": "nop"}, direction="minimize", seed=31, n_trials=8,
         n_workers=2, steps="consecutive", max_steps=6, nan=0.1),
]

# (min_resource, max_resource, reduction_factor): Hyperband bracket counts (float log edge cases
# included: log3(243) evaluates to 4.999..., log5(125) to 3.000...04) and bracket assignments.
BRACKET_CASES = [(1, 27, 3), (1, 28, 3), (1, 81, 3), (1, 243, 3), (1, 125, 5), (1, 64, 4), (2, 64, 2),
                 (3, 100, 3), (1, 1, 3), (1, 2, 3), (5, 1000, 4)]


def encode(v):
    if v is None:
        return None
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def make_optuna_pruner(spec):
    opts = {k: v for k, v in spec.items() if k != "name"}
    name = spec["name"]
    if name == "nop":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(**opts)
    if name == "percentile":
        return optuna.pruners.PercentilePruner(**opts)
    if name == "successive_halving":
        return optuna.pruners.SuccessiveHalvingPruner(**opts)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(**opts)
    if name == "threshold":
        return optuna.pruners.ThresholdPruner(**opts)
    if name == "patient":
        wrapped = opts.pop("wrapped_pruner", None)
        return optuna.pruners.PatientPruner(None if wrapped is None else make_optuna_pruner(wrapped), **opts)
    raise ValueError(name)


def plan_trial(h, rng, number):
    """The reports a trial will make if never pruned: list of (step, value), plus its fate."""
    max_steps = h.get("first_steps", h["max_steps"]) if number == 0 else h["max_steps"]
    length = max_steps
    if h.get("variable_length") and number > 0:
        length = rng.randint(max(1, max_steps // 2), max_steps)
    kind = h["steps"]
    if kind == "consecutive":
        steps = list(range(length))
    elif kind == "from1":
        steps = list(range(1, length + 1))
    elif kind[0] == "stride":
        steps = list(range(0, length, kind[1]))
    elif kind[0] == "sparse":
        steps = [s for s in range(length) if rng.random() < kind[1]] or [0]
    else:
        raise ValueError(kind)

    quality = rng.random()
    tau = rng.uniform(2.0, max(3.0, length / 3.0))
    sign = -1.0 if h["direction"] == "maximize" else 1.0
    values = []
    for s in steps:
        v = 0.2 + 0.6 * quality + 1.5 * math.exp(-(s + 1) / tau) + rng.gauss(0.0, 0.05)
        v = sign * v
        if h.get("quantize"):
            v = round(v, 2)
        r = rng.random()
        if r < h.get("nan", 0.0):
            v = math.nan
        elif r < h.get("nan", 0.0) + h.get("inf", 0.0):
            v = rng.choice([math.inf, -math.inf])
        values.append(v)
    fail_after = None
    if number > 0 and rng.random() < h.get("fail", 0.0):
        fail_after = rng.randrange(len(steps))
    stubborn = rng.random() < h.get("stubborn", 0.0)
    repeats = {i for i in range(len(steps)) if rng.random() < h.get("repeat", 0.0)}
    return dict(steps=steps, values=values, fail_after=fail_after, stubborn=stubborn, repeats=repeats,
                final=sign * (0.2 + 0.6 * quality))


def run_history(h):
    rng = random.Random(h["seed"])
    study_name = h["id"]
    study = optuna.create_study(study_name=study_name, direction=h["direction"],
                                pruner=make_optuna_pruner(h["pruner"]))
    events = []
    plans = [plan_trial(h, rng, n) for n in range(h["n_trials"])]
    next_number = 0
    active = {}  # number -> (optuna trial, index of its next report)
    any_complete = False

    def finish(number, trial, state, value):
        nonlocal any_complete
        if state == TrialState.COMPLETE:
            study.tell(trial, value)
        else:
            study.tell(trial, state=state)
        frozen = study._storage.get_trial(trial._trial_id)
        assert frozen.state == state, (frozen.state, state)
        any_complete = any_complete or state == TrialState.COMPLETE
        events.append(["finish", number, state.name, encode(frozen.value)])
        del active[number]

    while next_number < len(plans) or active:
        limit = 1 if (h.get("sequential_start") and not any_complete) else h["n_workers"]
        while len(active) < limit and next_number < len(plans):
            trial = study.ask()
            assert trial.number == next_number
            active[next_number] = [trial, 0]
            events.append(["start", next_number])
            next_number += 1
        number = rng.choice(sorted(active))
        trial, i = active[number]
        plan = plans[number]
        if i == len(plan["steps"]):
            finish(number, trial, TrialState.COMPLETE, plan["final"])
            continue
        step, value = plan["steps"][i], plan["values"][i]
        trial.report(value, step)
        pruned = trial.should_prune()
        events.append(["report", number, step, encode(value), bool(pruned)])
        if i in plan["repeats"] and not pruned:
            # Reported again (Optuna keeps the first value at a step) and asked again. Only after a
            # "keep": after a "prune", Optuna's SuccessiveHalvingPruner answers a repeated question
            # from the next rung (its first answer recorded the rung), a documented difference.
            again = value + 1.0 if not math.isnan(value) else 0.5
            trial.report(again, step)
            pruned = trial.should_prune()
            events.append(["report", number, step, encode(again), bool(pruned)])
        active[number][1] = i + 1
        if pruned and not plan["stubborn"]:
            finish(number, trial, TrialState.PRUNED, None)
        elif plan["fail_after"] == i:
            finish(number, trial, TrialState.FAIL, None)
    n_decisions = sum(1 for e in events if e[0] == "report")
    n_pruned = sum(1 for e in events if e[0] == "report" and e[4])
    print(f"{study_name}: {n_decisions} decisions, {n_pruned} prune", file=sys.stderr)
    return dict(id=h["id"], study_name=study_name, direction=h["direction"], pruner=h["pruner"],
                events=events)


def bracket_cases():
    out = []
    for min_r, max_r, eta in BRACKET_CASES:
        name = f"brackets-{min_r}-{max_r}-{eta}"
        pruner = optuna.pruners.HyperbandPruner(min_resource=min_r, max_resource=max_r, reduction_factor=eta)
        study = optuna.create_study(study_name=name, pruner=pruner)
        pruner._try_initialization(study)
        ids = []
        for n in range(40):
            trial = study.ask()
            ids.append(pruner._get_bracket_id(study, study._storage.get_trial(trial._trial_id)))
        out.append(dict(min_resource=min_r, max_resource=max_r, reduction_factor=eta,
                        n_brackets=pruner._n_brackets, study_name=name, bracket_ids=ids))
    return out


def main():
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    data = dict(generator="scripts/gen_optuna_pruners.py", optuna_version=optuna.__version__,
                histories=[run_history(h) for h in HISTORIES], hyperband_brackets=bracket_cases())
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w") as f:
        json.dump(data, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    total = sum(1 for h in data["histories"] for e in h["events"] if e[0] == "report")
    print(f"wrote {out}: {len(data['histories'])} histories, {total} decisions", file=sys.stderr)


if __name__ == "__main__":
    main()
