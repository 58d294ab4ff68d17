"""Samplers and pruners by their Optuna names: each runs, seeds reproduce, unsupported options are refused."""
import itertools

import pytest

import autoglm
from autoglm import TrialState
from autoglm import exceptions as exc
from autoglm import pruners as P
from autoglm import samplers as S


def mixed(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_int("y", -3, 3)
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    c = trial.suggest_categorical("c", ["a", "b", None])
    return (x - 2) ** 2 + (y + 1) ** 2 + abs(lr - 1e-2) + (c == "b")


def continuous(trial):
    x = trial.suggest_float("x", -5, 5)
    y = trial.suggest_float("y", -5, 5)
    return (x - 1) ** 2 + (y + 2) ** 2


def two_objectives(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return x, (1 - x) ** 2 + y


SINGLE = [
    ("random", lambda: S.RandomSampler(seed=7), mixed, 20),
    ("tpe", lambda: S.TPESampler(seed=7, n_startup_trials=5), mixed, 20),
    ("tpe-multivariate", lambda: S.TPESampler(seed=7, n_startup_trials=5, multivariate=True, group=True), mixed, 20),
    ("tpe-constant-liar", lambda: S.TPESampler(seed=7, n_startup_trials=5, constant_liar=True), mixed, 20),
    ("tpe-hyperopt", lambda: S.TPESampler(seed=7, **S.TPESampler.hyperopt_parameters()), mixed, 25),
    ("qmc-sobol", lambda: S.QMCSampler(seed=7), mixed, 16),
    ("qmc-halton", lambda: S.QMCSampler(qmc_type="halton", scramble=True, seed=7), mixed, 16),
    ("cmaes", lambda: S.CmaEsSampler(seed=7), continuous, 20),
    ("cmaes-ipop-margin", lambda: S.CmaEsSampler(seed=7, restart_strategy="ipop", with_margin=True, popsize=6), mixed, 20),
    ("gp", lambda: S.GPSampler(seed=7, n_startup_trials=5), continuous, 12),
    ("auto", lambda: S.AutoSampler(seed=7), continuous, 12),
    ("nsga2-single", lambda: S.NSGAIISampler(seed=7, population_size=6), mixed, 18),
]


@pytest.mark.parametrize("name, make, objective, n", SINGLE, ids=[s[0] for s in SINGLE])
def test_sampler_runs_and_is_reproducible(name, make, objective, n):
    a = autoglm.create_study(sampler=make())
    a.optimize(objective, n_trials=n)
    b = autoglm.create_study(sampler=make())
    b.optimize(objective, n_trials=n)
    assert [t.state for t in a.trials] == [TrialState.COMPLETE] * n
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    # Parameters are in range and of the right type.
    for t in a.trials:
        assert -5 <= t.params["x"] <= 5
        if "y" in t.params and objective is mixed:
            assert type(t.params["y"]) is int and -3 <= t.params["y"] <= 3
            assert 1e-4 <= t.params["lr"] <= 1e-1 and t.params["c"] in ("a", "b", None)
    # A different seed gives a different sequence.
    assert len({repr(t.params) for t in a.trials}) > n // 2


def test_model_based_samplers_beat_random():
    def best_of(sampler):
        s = autoglm.create_study(sampler=sampler)
        s.optimize(continuous, n_trials=30)
        return s.best_value

    random = sum(best_of(S.RandomSampler(seed=k)) for k in range(3))
    gp = sum(best_of(S.GPSampler(seed=k, n_startup_trials=8)) for k in range(3))
    tpe = sum(best_of(S.TPESampler(seed=k, n_startup_trials=8)) for k in range(3))
    assert gp < random
    assert tpe < random * 1.5


@pytest.mark.parametrize("crossover", [None, S.nsgaii.UniformCrossover(), S.nsgaii.UniformCrossover(0.3),
                                       S.nsgaii.SBXCrossover(), S.nsgaii.BLXAlphaCrossover()])
def test_nsga2_crossovers(crossover):
    runs = []
    for _ in range(2):
        m = autoglm.create_study(directions=["minimize", "minimize"],
                                 sampler=S.NSGAIISampler(seed=3, population_size=6, crossover=crossover))
        m.optimize(two_objectives, n_trials=18)
        runs.append([t.params for t in m.trials])
        assert all(t.state == TrialState.COMPLETE for t in m.trials)
        assert m.best_trials
    assert runs[0] == runs[1]


def test_grid_sampler_covers_grid_exactly():
    space = {"x": [0.0, 1.5, 3.0], "n": [1, 2], "c": ["a", "b"]}
    s = autoglm.create_study(sampler=S.GridSampler(space, seed=1))

    def obj(t):
        return t.suggest_float("x", 0, 3) + t.suggest_int("n", 1, 2) + len(t.suggest_categorical("c", ["a", "b"]))

    s.optimize(obj, n_trials=12)
    got = sorted((t.params["x"], t.params["n"], t.params["c"]) for t in s.trials)
    assert got == sorted(itertools.product(space["x"], space["n"], space["c"]))
    again = autoglm.create_study(sampler=S.GridSampler(space, seed=1))
    again.optimize(obj, n_trials=12)
    assert [t.params for t in again.trials] == [t.params for t in s.trials]


def test_grid_sampler_with_n_jobs_covers_grid():
    space = {"x": list(range(8))}
    s = autoglm.create_study(sampler=S.GridSampler(space))
    s.optimize(lambda t: t.suggest_int("x", 0, 7), n_trials=8, n_jobs=2)
    assert sorted(t.params["x"] for t in s.trials) == list(range(8))


@pytest.mark.parametrize("make", [
    lambda: S.CmaEsSampler(x0={"x": 1.0}),
    lambda: S.CmaEsSampler(independent_sampler=S.RandomSampler()),
    lambda: S.CmaEsSampler(use_separable_cma=True),
    lambda: S.CmaEsSampler(consider_pruned_trials=True),
    lambda: S.CmaEsSampler(inc_popsize=3),
    lambda: S.QMCSampler(independent_sampler=S.RandomSampler()),
    lambda: S.GPSampler(independent_sampler=S.RandomSampler()),
    lambda: S.TPESampler(gamma=lambda n: 3),
    lambda: S.TPESampler(weights=lambda n: [1.0] * n),
    lambda: S.nsgaii.SBXCrossover(eta=5.0),
    lambda: S.nsgaii.BLXAlphaCrossover(alpha=0.3),
    lambda: S.NSGAIISampler(crossover="sbx"),
])
def test_unsupported_options_raise_value_error(make):
    with pytest.raises(ValueError, match="autoglm|accepts"):
        make()


def test_unknown_or_bad_engine_option_is_config_error_naming_it():
    sampler = S.RandomSampler()
    sampler._options["bogus"] = 1
    with pytest.raises(exc.ConfigError) as info:
        autoglm.create_study(sampler=sampler)
    assert str(info.value) == "sampler 'random': unknown option 'bogus'; valid: seed"
    with pytest.raises(exc.ConfigError, match="qmc_type"):
        autoglm.create_study(sampler=S.QMCSampler(qmc_type="lattice"))
    with pytest.raises(exc.ConfigError, match="'seed'"):
        autoglm.create_study(sampler=S.RandomSampler(seed=-1))
    with pytest.raises(exc.ConfigError, match="population_size"):
        autoglm.create_study(sampler=S.NSGAIISampler(population_size=1))
    pruner = P.MedianPruner()
    pruner._options["nonsense"] = 2
    with pytest.raises(exc.ConfigError, match="nonsense"):
        autoglm.create_study(pruner=pruner)
    with pytest.raises(exc.ConfigError, match="reduction_factor"):
        autoglm.create_study(pruner=P.SuccessiveHalvingPruner(reduction_factor=1))


def test_tpe_gamma_choices():
    assert S.default_gamma(100) == 10 and S.default_gamma(1000) == 25
    assert S.hyperopt_default_gamma(16) == 1
    assert S.default_weights(3) == [1.0, 1.0, 1.0]
    assert len(S.default_weights(30)) == 30
    s = autoglm.create_study(sampler=S.TPESampler(seed=0, gamma=S.hyperopt_default_gamma, n_startup_trials=3))
    s.optimize(continuous, n_trials=6)
    assert len(s.trials) == 6


def test_sampler_object_is_a_spec():
    sampler = S.TPESampler(seed=11, n_startup_trials=3)
    a, b = autoglm.create_study(sampler=sampler), autoglm.create_study(sampler=sampler)
    a.optimize(continuous, n_trials=6)
    b.optimize(continuous, n_trials=6)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert "seed=11" in repr(sampler)
    sampler.reseed_rng()


def test_constraints_func_single_objective():
    def constraints(ft):
        return [ft.params["x"] - 0.3, -1.0]

    s = autoglm.create_study(sampler=S.TPESampler(seed=1, n_startup_trials=5, constraints_func=constraints))

    def obj(t):
        x = t.suggest_float("x", 0, 1)
        if t.number == 3:
            raise autoglm.TrialPruned()
        return -x  # best unconstrained: x = 1, infeasible

    s.optimize(obj, n_trials=25)
    for t in s.trials:
        assert t.system_attrs["constraints"] == pytest.approx([t.params["x"] - 0.3, -1.0])
    feasible = [t for t in s.trials if t.state == TrialState.COMPLETE and t.params["x"] <= 0.3]
    assert feasible, "TPE with constraints found no feasible point"
    best = min(feasible, key=lambda t: t.value)
    assert s.best_trial.number == best.number
    assert s.best_trial.params["x"] <= 0.3
    # The TPE sampler steers toward the feasible region.
    late = [t.params["x"] for t in s.trials[10:]]
    assert sum(x <= 0.3 for x in late) >= len(late) // 3


def test_constraints_func_multi_objective():
    def constraints(ft):
        return [ft.params["x"] - 0.5]

    m = autoglm.create_study(directions=["minimize", "minimize"],
                             sampler=S.NSGAIISampler(seed=0, population_size=6, constraints_func=constraints))
    m.optimize(two_objectives, n_trials=24)
    assert all("constraints" in t.system_attrs for t in m.trials)
    front = m.best_trials
    assert front and all(t.params["x"] <= 0.5 for t in front)


def test_constraints_func_exception_fails_trial():
    def constraints(ft):
        raise RuntimeError("constraint broke")

    s = autoglm.create_study(sampler=S.RandomSampler(seed=0))
    s.sampler.constraints_func = constraints  # as TPESampler(constraints_func=...) would hold it
    with pytest.raises(RuntimeError, match="constraint broke"):
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.state for t in s.trials] == [TrialState.FAIL]


@pytest.mark.parametrize("pruner", [P.NopPruner(), P.MedianPruner(), P.PercentilePruner(25.0),
                                    P.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
                                    P.HyperbandPruner(min_resource=1, max_resource=9)])
def test_pruners_by_optuna_names(pruner):
    s = autoglm.create_study(pruner=pruner, sampler=S.RandomSampler(seed=1))
    assert s.pruner is pruner

    def obj(t):
        x = t.suggest_float("x", 0, 1)
        for step in range(9):
            t.report(x + 1.0 / (step + 1), step)
            if t.should_prune():
                raise autoglm.TrialPruned()
        return x

    s.optimize(obj, n_trials=20)
    n_pruned = sum(t.state == TrialState.PRUNED for t in s.trials)
    if isinstance(pruner, P.NopPruner):
        assert n_pruned == 0
    else:
        assert n_pruned > 0
    assert sum(t.state == TrialState.COMPLETE for t in s.trials) + n_pruned == 20


def test_threshold_and_patient_pruners_by_optuna_names():
    # A diverging run is stopped by ThresholdPruner as soon as its loss exceeds the bound.
    s = autoglm.create_study(pruner=autoglm.pruners.ThresholdPruner(upper=3.0))

    def diverging(trial):
        for step in range(10):
            trial.report(1.0 + step, step)
            if trial.should_prune():
                raise autoglm.TrialPruned()
        return 0.0

    s.optimize(diverging, n_trials=2)
    assert [t.state for t in s.trials] == [TrialState.PRUNED] * 2
    assert all(t.last_step == 3 for t in s.trials)  # 4.0 > 3.0 at step 3
    # PatientPruner without a wrapped pruner: a plateau longer than the patience is pruned.
    p = autoglm.create_study(pruner=autoglm.pruners.PatientPruner(None, patience=2))

    def plateau(trial):
        for step, v in enumerate([3.0, 2.0, 1.0, 1.5, 1.4, 1.3, 1.2]):
            trial.report(v, step)
            if trial.should_prune():
                raise autoglm.TrialPruned()
        return 1.0

    p.optimize(plateau, n_trials=1)
    assert p.trials[0].state == TrialState.PRUNED and p.trials[0].last_step == 5
    # Wrapped: the median pruner decides once the patience ran out (no completed trial yet: keep).
    w = autoglm.create_study(pruner=autoglm.pruners.PatientPruner(autoglm.pruners.MedianPruner(), patience=2))
    w.optimize(plateau, n_trials=1)
    assert w.trials[0].state == TrialState.COMPLETE
    with pytest.raises(TypeError):
        autoglm.pruners.ThresholdPruner()
    with pytest.raises(ValueError, match="patience and min_delta must be >= 0"):
        autoglm.pruners.PatientPruner(None, patience=-1)


def test_threshold_and_patient_pruner_arguments_as_optuna():
    # Infinite bounds are Optuna's own "no bound"; only NaN reports prune then.
    s = autoglm.create_study(pruner=autoglm.pruners.ThresholdPruner(lower=float("-inf"), upper=float("inf")))
    t = s.ask()
    t.report(1e300, 0)
    assert not t.should_prune()
    t.report(float("nan"), 1)
    assert t.should_prune()
    autoglm.create_study(pruner=autoglm.pruners.ThresholdPruner(upper=float("inf")))
    autoglm.create_study(pruner=autoglm.pruners.PatientPruner(None, patience=1, min_delta=float("inf")))
    # Range errors come at construction, as in Optuna.
    for bad in (lambda: autoglm.pruners.ThresholdPruner(lower=2, upper=1),
                lambda: autoglm.pruners.ThresholdPruner(upper=float("nan")),
                lambda: autoglm.pruners.ThresholdPruner(upper=1, interval_steps=0),
                lambda: autoglm.pruners.PatientPruner(None, patience=-1),
                lambda: autoglm.pruners.PatientPruner(None, patience=1, min_delta=-0.5)):
        with pytest.raises(ValueError):
            bad()
