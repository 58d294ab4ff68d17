"""Define-by-run conditional search space: classifier choice -> branch-specific parameters."""
import json
import math
import warnings

import autoglm as optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

# Expected parameter sets per branch, and checks of each value.
CHECKS = {
    "classifier": lambda v: v in ("svc", "forest", "mlp"),
    "svc_c": lambda v: isinstance(v, float) and 1e-3 <= v <= 1e3,
    "svc_kernel": lambda v: v in ("linear", "rbf", "poly"),
    "svc_degree": lambda v: type(v) is int and 2 <= v <= 5,
    "svc_gamma": lambda v: any(type(v) is type(c) and v == c for c in ("scale", 0.1, 3, None)),
    "rf_n_estimators": lambda v: type(v) is int and 10 <= v <= 200 and v % 10 == 0,
    "rf_max_depth": lambda v: type(v) is int and 2 <= v <= 64,
    "rf_bootstrap": lambda v: v is True or v is False,
    "mlp_layers": lambda v: type(v) is int and 1 <= v <= 3,
    "mlp_lr": lambda v: isinstance(v, float) and 1e-5 <= v <= 1e-1,
    "mlp_dropout": lambda v: isinstance(v, float) and any(abs(v - k * 0.125) < 1e-9 for k in range(5)),
}


def objective(trial):
    classifier = trial.suggest_categorical("classifier", ["svc", "forest", "mlp"])
    if classifier == "svc":
        c = trial.suggest_float("svc_c", 1e-3, 1e3, log=True)
        kernel = trial.suggest_categorical("svc_kernel", ["linear", "rbf", "poly"])
        score = abs(math.log10(c) - 1.0)
        if kernel == "poly":
            score += trial.suggest_int("svc_degree", 2, 5) * 0.1
        if kernel != "linear":
            gamma = trial.suggest_categorical("svc_gamma", ["scale", 0.1, 3, None])
            score += 0.05 if gamma is None else 0.0
    elif classifier == "forest":
        n = trial.suggest_int("rf_n_estimators", 10, 200, step=10)
        depth = trial.suggest_int("rf_max_depth", 2, 64, log=True)
        bootstrap = trial.suggest_categorical("rf_bootstrap", [True, False])
        score = 1.0 / n + abs(math.log2(depth) - 3) * 0.1 + (0.0 if bootstrap else 0.02)
    else:
        layers = trial.suggest_int("mlp_layers", 1, 3)
        lr = trial.suggest_float("mlp_lr", 1e-5, 1e-1, log=True)
        # Asking again for the same parameter returns the same value.
        assert trial.suggest_float("mlp_lr", 1e-5, 1e-1, log=True) == lr
        score = abs(math.log10(lr) + 3) + layers * 0.01
        for i in range(layers):
            score += trial.suggest_float("mlp_dropout", 0.0, 0.5, step=0.125) * 0.01 * i
    return score


def branch_ok(params):
    names = set(params)
    c = params["classifier"]
    if c == "svc":
        want = {"classifier", "svc_c", "svc_kernel"}
        if params["svc_kernel"] == "poly":
            want.add("svc_degree")
        if params["svc_kernel"] != "linear":
            want.add("svc_gamma")
    elif c == "forest":
        want = {"classifier", "rf_n_estimators", "rf_max_depth", "rf_bootstrap"}
    else:
        want = {"classifier", "mlp_layers", "mlp_lr", "mlp_dropout"}
    return names == want


def fact(**kw):
    print(json.dumps(kw, sort_keys=True))


warnings.simplefilter("ignore")  # multivariate TPE is experimental in Optuna
for label, sampler, n_trials in [("tpe", optuna.samplers.TPESampler(seed=7), 40),
                                 ("tpe_group", optuna.samplers.TPESampler(seed=7, multivariate=True, group=True), 30),
                                 ("random", optuna.samplers.RandomSampler(seed=3), 80)]:
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    trials = study.trials
    fact(sampler=label, n_trials=len(trials), states=sorted({t.state.name for t in trials}))
    fact(sampler=label, branch_params_ok=all(branch_ok(t.params) for t in trials))
    fact(sampler=label, values_in_range=all(CHECKS[k](v) for t in trials for k, v in t.params.items()))
    fact(sampler=label, distributions_match_params=all(set(t.distributions) == set(t.params) for t in trials))
    dists = {}
    for t in trials:
        for name, d in t.distributions.items():
            dists[name] = [type(d).__name__, getattr(d, "low", None), getattr(d, "high", None),
                           getattr(d, "log", None), getattr(d, "step", None), list(getattr(d, "choices", []))]
    fact(sampler=label, distributions={k: dists[k] for k in sorted(dists)} if label == "random" else sorted(dists)[:1])
    fact(sampler=label, all_internal_reprs_contained=all(
        t.distributions[k]._contains(t.distributions[k].to_internal_repr(v)) for t in trials for k, v in t.params.items()))
    best = min(t.value for t in trials)
    fact(sampler=label, best_value_is_min=study.best_value == best,
         best_params_match=study.best_params == study.best_trial.params,
         best_trial_value=study.best_trial.value == best)
    if label == "random":
        seen = sorted({(t.params["classifier"], t.params.get("svc_kernel", "-")) for t in trials})
        fact(sampler=label, branches_seen=seen)
        ints = all(type(t.params[k]) is int for t in trials for k in ("rf_n_estimators", "rf_max_depth", "mlp_layers")
                   if k in t.params)
        fact(sampler=label, int_params_are_int=ints)
