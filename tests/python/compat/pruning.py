"""Pruning with intermediate values: MedianPruner, SuccessiveHalvingPruner, HyperbandPruner."""
import json
import math
import warnings

import numpy as np

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
N_STEPS = 12


def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    width = trial.suggest_int("width", 4, 64)
    loss = 1.0
    for step in range(N_STEPS):
        # A fake training curve: converges faster for lr near 0.05 and wider layers.
        loss = abs(math.log10(lr) + 1.3) + 4.0 / width + 1.0 / (step + 1)
        trial.report(loss, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return loss


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


def counts(study):
    states = [t.state.name for t in study.trials]
    return {s: states.count(s) for s in sorted(set(states))}


def common_facts(label, study):
    c = counts(study)
    fact(pruner=label, states=sorted(c), some_pruned=c.get("PRUNED", 0) > 0, some_complete=c.get("COMPLETE", 0) > 0)
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    fact(pruner=label, pruned_value_is_last_intermediate=all(
        t.value == t.intermediate_values[t.last_step] for t in pruned))
    fact(pruner=label, intermediate_steps_contiguous=all(
        sorted(t.intermediate_values) == list(range(t.last_step + 1)) for t in study.trials))
    fact(pruner=label, complete_ran_all_steps=all(
        t.last_step == N_STEPS - 1 for t in study.get_trials(states=[optuna.trial.TrialState.COMPLETE])))
    fact(pruner=label, best_is_complete=study.best_trial.state.name,
         best_value_is_min_complete=study.best_value == min(
             t.value for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE))
    return pruned


# MedianPruner: check the median stopping rule on every reported step.
study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=11),
                            pruner=optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=3))
study.optimize(objective, n_trials=30)
pruned = common_facts("median", study)
fact(pruner="median", startup_trials_complete=all(t.state.name == "COMPLETE" for t in study.trials[:4]))
fact(pruner="median", no_pruning_in_warmup=all(t.last_step >= 3 for t in pruned))
rule_ok = True
for t in study.trials:
    before = [u for u in study.trials[:t.number] if u.state.name == "COMPLETE"]
    expected_stop = None
    for step in range(N_STEPS):
        if step not in t.intermediate_values or len(before) < 4 or step < 3:
            continue
        best = min(v for s, v in t.intermediate_values.items() if s <= step)
        if best > np.nanpercentile([u.intermediate_values[step] for u in before], 50):
            expected_stop = step
            break
    if expected_stop is None:
        rule_ok = rule_ok and t.state.name == "COMPLETE"
    else:
        rule_ok = rule_ok and t.state.name == "PRUNED" and t.last_step == expected_stop
fact(pruner="median", median_rule_holds=rule_ok)

# Reporting a step twice keeps the first value and warns.
study = optuna.create_study()
trial = study.ask()
trial.report(1.0, 0)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    trial.report(2.0, 0)
fact(duplicate_step_warns=[(w.category.__name__, str(w.message)) for w in caught],
     first_value_kept=study.trials[0].intermediate_values == {0: 1.0},
     should_prune_without_history=trial.should_prune())

# SuccessiveHalvingPruner: pruning only at rung promotion steps min_resource * rf**k - 1 ... or later.
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5),
                            pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
study.optimize(objective, n_trials=30)
pruned = common_facts("asha", study)
fact(pruner="asha", pruned_at_rungs=sorted({t.last_step for t in pruned} - {1, 3, 9}) == [])

study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=5),
                            pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=N_STEPS,
                                                                  reduction_factor=3))
study.optimize(objective, n_trials=40)
common_facts("hyperband", study)
fact(verbosity_is_warning=optuna.logging.get_verbosity() == optuna.logging.WARNING,
     pruned_is_exception=issubclass(optuna.TrialPruned, Exception),
     pruned_alias=optuna.exceptions.TrialPruned is optuna.TrialPruned)

# The exported table holds pruned trials with their last intermediate value, failed ones without.
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0),
                            pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
study.optimize(objective, n_trials=10)
study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True) * float("nan"), n_trials=1)
df = study.trials_dataframe()
fact(columns=[c for c in df.columns if not c.startswith("system_attrs_")], states=sorted(set(df["state"])),
     pruned_values=all(v == study.trials[n].value for n, v in zip(df["number"], df["value"]) if df["state"][n] == "PRUNED"),
     fail_value_nan=bool(df["value"].isna().tolist()[-1]))
fact(empty_columns=list(optuna.create_study().trials_dataframe().columns))
