#!/usr/bin/python3
"""Writes tests/data/optuna_tpe_expected.json: reference values for the TPE kernels.

Run with Debian's interpreter and python3-optuna 3.1 (the parity anchor):

    /usr/bin/python3 scripts/gen_optuna_tpe.py

Every expected value below is computed by Optuna's own internals
(optuna.samplers._tpe.sampler / parzen_estimator / _truncnorm), on fixed inputs written in this
file, so the C++ kernels in src/sampler/ can be checked one by one (tests/sampler/
tpe_parity_test.cc). The JSON is committed; the tests never run Python.

Two log-densities are recorded for each Parzen estimator:
  - "log_pdf": Optuna 3.1.0 exactly. Its truncated-normal log-pdf omits the -log(sigma) term of
    each continuous component (optuna issue #5109);
  - "log_pdf_exact": the same estimator with that term restored (the fix Optuna merged in
    PR #5110, released in 3.5), obtained here by wrapping Optuna's own truncnorm.logpdf
    (TPESamplerOptions::exact_log_pdf in the C++ engine).
Non-finite numbers are written as the strings "Infinity", "-Infinity" and "NaN" (JSON has no
literal for them).
"""

import json
import math
import os
import sys

import numpy as np

import optuna
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.samplers._tpe import _truncnorm
from optuna.samplers._tpe import parzen_estimator as pe_module
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import _get_observation_pairs
from optuna.samplers._tpe.sampler import _split_observation_pairs
from optuna.samplers._tpe.sampler import default_gamma
from optuna.samplers._tpe.sampler import default_weights
from optuna.samplers._tpe.sampler import hyperopt_default_gamma
from optuna.samplers._tpe.sampler import TPESampler
from optuna.trial import TrialState

if optuna.__version__ != "3.1.0":
    sys.exit(f"expected Debian python3-optuna 3.1.0, found optuna {optuna.__version__}")

optuna.logging.set_verbosity(optuna.logging.ERROR)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "optuna_tpe_expected.json")


def num(x):
    """A float for JSON; non-finite values as strings."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def nums(xs):
    return [num(x) for x in np.asarray(xs, dtype=float).ravel()]


def dist_json(d):
    return json.loads(optuna.distributions.distribution_to_json(d))


_original_logpdf = _truncnorm.logpdf


def _exact_logpdf(x, a, b, loc=0, scale=1):
    # Optuna 3.1's logpdf is the standardized density; a density in x needs -log(scale).
    return _original_logpdf(x, a, b, loc=loc, scale=scale) - np.log(scale)


def log_pdf_both(mpe, samples):
    """(Optuna 3.1 log-density, log-density with the -log(sigma) term) of `samples`."""
    raw = mpe.log_pdf(samples)
    pe_module.truncnorm.logpdf = _exact_logpdf
    try:
        exact = mpe.log_pdf(samples)
    finally:
        pe_module.truncnorm.logpdf = _original_logpdf
    return raw, exact


def params_json(p):
    return {
        "consider_prior": p.consider_prior,
        "prior_weight": p.prior_weight,
        "consider_magic_clip": p.consider_magic_clip,
        "consider_endpoints": p.consider_endpoints,
        "multivariate": p.multivariate,
    }


def make_params(consider_prior=True, prior_weight=1.0, consider_magic_clip=True,
                consider_endpoints=False, multivariate=False):
    return _ParzenEstimatorParameters(consider_prior, prior_weight, consider_magic_clip,
                                      consider_endpoints, default_weights, multivariate)


def estimator_json(mpe):
    """Weights and per-parameter mixture parameters of a fitted estimator."""
    out = {"weights": nums(mpe._weights), "params": {}}
    for name in mpe._search_space:
        if mpe._categorical_weights[name] is not None:
            out["params"][name] = {
                "categorical_weights": [nums(row) for row in mpe._categorical_weights[name]]
            }
        else:
            q = mpe._q[name]
            out["params"][name] = {
                "low": num(mpe._low[name]),
                "high": num(mpe._high[name]),
                "q": None if q is None else num(q),
                "mus": nums(mpe._mus[name]),
                "sigmas": nums(mpe._sigmas[name]),
            }
    return out


# ---------------------------------------------------------------------------------------------
# gamma and weights
gamma_ns = [0, 1, 5, 9, 10, 11, 19, 20, 21, 50, 100, 240, 241, 249, 250, 251, 1000]
gamma = [{"n": n, "gamma": int(default_gamma(n)), "hyperopt_gamma": int(hyperopt_default_gamma(n))}
         for n in gamma_ns]
weights = [{"n": n, "weights": nums(default_weights(n))} for n in [0, 1, 5, 24, 25, 26, 30, 60]]

# ---------------------------------------------------------------------------------------------
# truncated normal helpers
tn_rng = np.random.RandomState(7)
log_ndtr = [[a, num(_truncnorm._log_ndtr(np.asarray([a]))[0])]
            for a in [-40.0, -25.0, -20.5, -19.0, -8.0, -1.0, -0.3, 0.0, 0.7, 3.0, 5.9, 6.5, 12.0]]
gm_pairs = [(-3.0, -1.0), (-2.0, 0.0), (-0.5, 0.25), (-4.0, 4.0), (0.5, 2.0), (1.0, 9.0),
            (-30.0, -25.0), (25.0, 30.0), (-1e-3, 1e-3), (-12.0, 0.5)]
log_gauss_mass = [[a, b, num(_truncnorm._log_gauss_mass(np.asarray([a]), np.asarray([b]))[0])]
                  for a, b in gm_pairs]
ppf = []
for a, b in [(-2.0, 1.5), (-0.5, 3.0), (0.5, 2.0), (-6.0, -1.0), (-1.0, 0.01), (2.0, 8.0)]:
    for q in [0.0, 1e-6, 0.1, 0.5, 0.77, 0.999999, 1.0]:
        with np.errstate(divide="ignore"):  # log(0) at q = 0 or 1 is expected there
            ppf.append([q, a, b, num(_truncnorm.ppf(np.asarray([q]), a, b)[0])])

# ---------------------------------------------------------------------------------------------
# Parzen estimators
rng = np.random.RandomState(12345)
parzen = []


def add_parzen(name, search_space, observations, params, samples):
    obs = {k: np.asarray(v, dtype=float) for k, v in observations.items()}
    mpe = _ParzenEstimator(obs, search_space, params)
    samples = {k: np.asarray(v, dtype=float) for k, v in samples.items()}
    # Optuna indexes categorical weights with the samples, so those must be integers.
    for k, d in search_space.items():
        if isinstance(d, CategoricalDistribution):
            samples[k] = samples[k].astype(int)
    raw, exact = log_pdf_both(mpe, samples)
    case = {
        "name": name,
        "search_space": {k: dist_json(d) for k, d in search_space.items()},
        "parameters": params_json(params),
        "observations": {k: nums(v) for k, v in observations.items()},
        "samples": {k: nums(v) for k, v in samples.items()},
        "log_pdf": nums(raw),
        "log_pdf_exact": nums(exact),
    }
    case.update(estimator_json(mpe))
    parzen.append(case)


fx = FloatDistribution(-5.0, 5.0)
add_parzen("float", {"x": fx}, {"x": [0.3, -2.2, 4.1, 1.7, -4.6, 2.05, -0.9]}, make_params(),
           {"x": [-5.0, -3.3, -0.8, 0.0, 0.31, 1.9, 4.99, 5.0]})
add_parzen("float_one_observation", {"x": fx}, {"x": [1.25]}, make_params(),
           {"x": [-4.0, 0.0, 1.2, 3.0]})
add_parzen("float_no_observation", {"x": fx}, {"x": []}, make_params(),
           {"x": [-4.0, 0.0, 1.2, 3.0]})
add_parzen("float_endpoints_no_prior_no_clip", {"x": fx},
           {"x": [0.3, -2.2, 4.1, 1.7, -4.6, 2.05, -0.9, 0.31]},
           make_params(consider_prior=False, consider_magic_clip=False, consider_endpoints=True),
           {"x": [-5.0, -3.3, -0.8, 0.0, 0.31, 1.9, 4.99]})
add_parzen("float_prior_weight_2", {"x": fx}, {"x": [0.3, -2.2, 4.1]},
           make_params(prior_weight=2.0), {"x": [-1.0, 0.5, 4.0]})
obs30 = np.round(rng.uniform(-5.0, 5.0, size=30), 6)
add_parzen("float_30_ramp_weights", {"x": fx}, {"x": obs30}, make_params(),
           {"x": np.round(rng.uniform(-5.0, 5.0, size=10), 6)})
flog = FloatDistribution(1e-4, 1.0, log=True)
add_parzen("float_log", {"lr": flog}, {"lr": [3e-4, 0.02, 0.5, 1.1e-3, 0.07, 2e-4]}, make_params(),
           {"lr": [1e-4, 5e-4, 0.003, 0.02, 0.3, 1.0]})
fstep = FloatDistribution(0.0, 1.0, step=0.1)
add_parzen("float_step", {"d": fstep}, {"d": [0.1, 0.4, 0.5, 0.9, 0.0, 0.7]}, make_params(),
           {"d": [0.0, 0.1, 0.3, 0.5, 0.8, 1.0]})
fint = IntDistribution(1, 20)
add_parzen("int", {"n": fint}, {"n": [3, 7, 12, 19, 1, 8, 15]}, make_params(),
           {"n": [1, 2, 5, 8, 13, 20]})
fint2 = IntDistribution(0, 20, step=2)
add_parzen("int_step", {"n": fint2}, {"n": [2, 6, 10, 18, 0]}, make_params(),
           {"n": [0, 4, 10, 14, 20]})
fintlog = IntDistribution(1, 1024, log=True)
add_parzen("int_log", {"units": fintlog}, {"units": [16, 128, 3, 700, 40]}, make_params(),
           {"units": [1, 2, 20, 129, 512, 1024]})
fcat = CategoricalDistribution(["adam", "sgd", "rmsprop", "adamw"])
add_parzen("categorical", {"opt": fcat}, {"opt": [0, 3, 3, 1, 0, 3]}, make_params(),
           {"opt": [0, 1, 2, 3]})
add_parzen("categorical_no_prior", {"opt": fcat}, {"opt": [0, 3, 3, 1, 0, 3]},
           make_params(consider_prior=False), {"opt": [0, 1, 2, 3]})
mv_space = {"x": fx, "lr": flog, "n": fint, "opt": fcat}
mv_obs = {
    "x": [0.3, -2.2, 4.1, 1.7, -4.6, 2.05, -0.9, 3.3],
    "lr": [3e-4, 0.02, 0.5, 1.1e-3, 0.07, 2e-4, 0.9, 0.011],
    "n": [3, 7, 12, 19, 1, 8, 15, 4],
    "opt": [0, 3, 3, 1, 0, 3, 2, 1],
}
mv_samples = {
    "x": [-4.0, 0.0, 1.2, 3.0, 4.5],
    "lr": [2e-4, 0.001, 0.03, 0.4, 0.99],
    "n": [1, 6, 11, 17, 20],
    "opt": [3, 0, 2, 1, 3],
}
add_parzen("multivariate", mv_space, mv_obs, make_params(multivariate=True), mv_samples)
add_parzen("multivariate_step", {"d": fstep, "m": fint2},
           {"d": [0.1, 0.4, 0.5, 0.9], "m": [2, 6, 10, 18]}, make_params(multivariate=True),
           {"d": [0.0, 0.3, 0.8], "m": [0, 10, 20]})

# ---------------------------------------------------------------------------------------------
# Candidate selection: which of the candidates maximizes l(x) / g(x).
compare = []


def add_compare(name, search_space, below, above, params, n_candidates, seed):
    below = {k: np.asarray(v, dtype=float) for k, v in below.items()}
    above = {k: np.asarray(v, dtype=float) for k, v in above.items()}
    mpe_below = _ParzenEstimator(below, search_space, params)
    mpe_above = _ParzenEstimator(above, search_space, params)
    candidates = mpe_below.sample(np.random.RandomState(seed), n_candidates)
    for k, d in search_space.items():
        if isinstance(d, CategoricalDistribution):
            candidates[k] = np.asarray(candidates[k]).astype(int)
    log_l, log_l_exact = log_pdf_both(mpe_below, candidates)
    log_g, log_g_exact = log_pdf_both(mpe_above, candidates)
    best = TPESampler._compare(candidates, log_l, log_g)
    best_exact = TPESampler._compare(candidates, log_l_exact, log_g_exact)
    best_index = int(np.argmax(log_l - log_g))
    best_index_exact = int(np.argmax(log_l_exact - log_g_exact))
    assert all(float(best[k]) == float(candidates[k][best_index]) for k in search_space)
    assert all(float(best_exact[k]) == float(candidates[k][best_index_exact])
               for k in search_space)
    compare.append({
        "name": name,
        "search_space": {k: dist_json(d) for k, d in search_space.items()},
        "parameters": params_json(params),
        "below": {k: nums(v) for k, v in below.items()},
        "above": {k: nums(v) for k, v in above.items()},
        "candidates": {k: nums(v) for k, v in candidates.items()},
        "log_l": nums(log_l),
        "log_g": nums(log_g),
        "best_index": best_index,
        "log_l_exact": nums(log_l_exact),
        "log_g_exact": nums(log_g_exact),
        "best_index_exact": best_index_exact,
    })


add_compare("float", {"x": fx}, {"x": [0.3, 0.5, -0.1]},
            {"x": [-2.2, 4.1, 1.7, -4.6, 2.05, -0.9, 3.3, -3.9, 2.8, 1.1]}, make_params(), 24, 1)
add_compare("float_log", {"lr": flog}, {"lr": [3e-3, 5e-3]},
            {"lr": [3e-4, 0.02, 0.5, 1.1e-3, 0.07, 2e-4, 0.9, 0.011]}, make_params(), 24, 2)
add_compare("int", {"n": fint}, {"n": [7, 8]},
            {"n": [3, 12, 19, 1, 15, 4, 11, 17, 2]}, make_params(), 24, 3)
add_compare("categorical", {"opt": fcat}, {"opt": [3, 3]},
            {"opt": [0, 1, 0, 2, 1, 0, 3, 2]}, make_params(), 24, 4)
add_compare("multivariate", mv_space,
            {k: v[:2] for k, v in mv_obs.items()}, {k: v[2:] for k, v in mv_obs.items()},
            make_params(multivariate=True), 24, 5)

# ---------------------------------------------------------------------------------------------
# Observation pairs and the below / above split (pruned, running, failed and missing params).
observation_cases = []


def make_trial(state, params=None, value=None, intermediate_values=None):
    dists = {"x": fx, "n": fint}
    params = params or {}
    return optuna.trial.create_trial(
        state=state,
        value=value,
        params=params,
        distributions={k: dists[k] for k in params},
        intermediate_values=intermediate_values or {},
    )


history = [
    make_trial(TrialState.COMPLETE, {"x": 0.5, "n": 3}, 2.5),
    make_trial(TrialState.COMPLETE, {"x": -1.5, "n": 9}, 0.7),
    make_trial(TrialState.PRUNED, {"x": 2.0, "n": 4}, None, {1: 5.0, 3: 4.0}),
    make_trial(TrialState.FAIL, {"x": 3.0, "n": 2}),
    make_trial(TrialState.COMPLETE, {"x": 4.0}, 1.2),
    make_trial(TrialState.PRUNED, {"x": -3.0, "n": 11}, None, {1: 0.1}),
    make_trial(TrialState.PRUNED, {"x": 1.0, "n": 5}, None, {}),
    make_trial(TrialState.RUNNING, {"x": -0.5, "n": 6}),
    make_trial(TrialState.COMPLETE, {"x": 0.1, "n": 14}, -3.0),
    make_trial(TrialState.PRUNED, {"x": -4.0, "n": 8}, None, {2: float("nan")}),
    make_trial(TrialState.PRUNED, {"x": 2.5, "n": 1}, None, {1: 3.0, 2: 4.5}),
    make_trial(TrialState.COMPLETE, {"x": 3.5, "n": 20}, 0.7),
    make_trial(TrialState.RUNNING, {"x": 0.0}),
    make_trial(TrialState.RUNNING, {}),
    make_trial(TrialState.PRUNED, {"x": -2.0, "n": 17}, None, {3: 0.5}),
]


def trial_json(t):
    return {
        "state": t.state.name,
        "value": None if t.value is None else num(t.value),
        "params": {k: num(t.distributions[k].to_internal_repr(v)) for k, v in t.params.items()},
        "distributions": {k: dist_json(d) for k, d in t.distributions.items()},
        "intermediate_values": [[int(s), num(v)] for s, v in sorted(t.intermediate_values.items())],
    }


for direction in ["minimize", "maximize"]:
    study = optuna.create_study(direction=direction)
    study.add_trials(history)
    for constant_liar in [False, True]:
        for param_names in [["x"], ["n"], ["x", "n"]]:
            values, scores, _ = _get_observation_pairs(study, param_names, constant_liar)
            n = sum(s < float("inf") for s, v in scores)
            for n_below in sorted({default_gamma(n), 3, 5}):
                below, above = _split_observation_pairs(scores, n_below, None)
                observation_cases.append({
                    "direction": direction,
                    "constant_liar": constant_liar,
                    "param_names": param_names,
                    "values": {k: [None if x is None else num(x) for x in v]
                               for k, v in values.items()},
                    "scores": [[num(s), num(v[0])] for s, v in scores],
                    "n": int(n),
                    "n_below": int(n_below),
                    "indices_below": [int(i) for i in below],
                    "indices_above": [int(i) for i in above],
                })

data = {
    "generator": "scripts/gen_optuna_tpe.py",
    "optuna_version": optuna.__version__,
    "numpy_version": np.__version__,
    "gamma": gamma,
    "weights": weights,
    "truncnorm": {"log_ndtr": log_ndtr, "log_gauss_mass": log_gauss_mass, "ppf": ppf},
    "parzen": parzen,
    "compare": compare,
    "history": [trial_json(t) for t in history],
    "observation_pairs": observation_cases,
}

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump(data, f, indent=1, allow_nan=False)
    f.write("\n")
print(f"wrote {OUT}: {len(parzen)} estimators, {len(compare)} comparisons, "
      f"{len(observation_cases)} observation splits")
