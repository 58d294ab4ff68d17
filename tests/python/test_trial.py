"""Trial: suggest_*, report / should_prune, attributes, lifetime; FixedTrial / FrozenTrial as trials."""
import math
import warnings

import numpy as np
import pytest

import autoglm
from autoglm import exceptions as exc
from autoglm.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


@pytest.fixture
def study():
    return autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=3))


def test_suggest_float_variants(study):
    for _ in range(20):
        t = study.ask()
        a = t.suggest_float("a", -1.5, 2.5)
        b = t.suggest_float("b", 1e-4, 1e2, log=True)
        c = t.suggest_float("c", 0.0, 1.0, step=0.25)
        d = t.suggest_float("d", 3.0, 3.0)
        assert isinstance(a, float) and -1.5 <= a <= 2.5
        assert 1e-4 <= b <= 1e2
        assert c in (0.0, 0.25, 0.5, 0.75, 1.0)
        assert d == 3.0
        dists = t.distributions
        assert dists["b"] == FloatDistribution(1e-4, 1e2, log=True)
        assert dists["c"] == FloatDistribution(0.0, 1.0, step=0.25)
        study.tell(t, a)
    frozen = study.trials[0]
    assert set(frozen.params) == {"a", "b", "c", "d"}
    # The log-scale parameter spreads over decades.
    bs = [t.params["b"] for t in study.trials]
    assert min(bs) < 1e-1 and max(bs) > 1e0


def test_suggest_int_variants(study):
    seen_step, seen_log = set(), set()
    for _ in range(30):
        t = study.ask()
        i = t.suggest_int("i", -3, 3)
        s = t.suggest_int("s", 0, 10, step=2)
        lg = t.suggest_int("lg", 1, 1000, log=True)
        f = t.suggest_int("f", 2.0, 5.0)  # integral floats are accepted, as in Optuna
        assert type(i) is int and -3 <= i <= 3
        assert s in range(0, 11, 2)
        assert type(lg) is int and 1 <= lg <= 1000
        assert 2 <= f <= 5
        seen_step.add(s)
        seen_log.add(lg)
        assert t.distributions["s"] == IntDistribution(0, 10, step=2)
        assert t.distributions["lg"] == IntDistribution(1, 1000, log=True)
        study.tell(t, 0.0)
    assert len(seen_step) >= 4
    assert min(seen_log) < 30
    t = study.ask()
    with pytest.raises(TypeError):
        t.suggest_int("bad", 0.5, 3)


def test_suggest_categorical_types(study):
    choices = [None, True, 3, 2.5, "s"]
    seen = set()
    for _ in range(40):
        t = study.ask()
        v = t.suggest_categorical("c", choices)
        assert any(v is c or (type(v) is type(c) and v == c) for c in choices)
        seen.add(repr(v))
        study.tell(t, 0.0)
    assert seen == {repr(c) for c in choices}
    assert study.trials[0].distributions["c"] == CategoricalDistribution(choices)
    # Types survive storage: True stays a bool, 3 an int.
    for fr in study.trials:
        v = fr.params["c"]
        assert any(type(v) is type(c) and v == c for c in choices)


def test_suggest_categorical_numpy_scalars(study):
    t = study.ask()
    v = t.suggest_categorical("n", [np.int64(4), np.int64(7)])
    assert v in (4, 7) and isinstance(v, int)
    w = t.suggest_categorical("f", (np.float64(0.5), np.float32(1.5)))
    assert w in (0.5, 1.5)
    b = t.suggest_categorical("b", [np.bool_(True), np.bool_(False)])
    assert type(b) is bool  # a numpy bool is a bool choice, not the integer 0 / 1
    assert t.distributions["b"] == CategoricalDistribution([True, False])
    study.tell(t, 1.0)
    assert study.trials[0].params["n"] == v
    assert study.trials[0].params["b"] is b


def test_out_of_range_integers(study):
    t = study.ask()
    with pytest.raises(exc.ConfigError, match="64-bit"):
        t.suggest_categorical("big", [2**70, 1])
    with pytest.raises(ValueError, match="64-bit"):
        t.suggest_int("i", 0, 2**70)
    assert t.suggest_int("edge", -2**63, 2**63 - 1) in range(-2**63, 2**63)
    assert t.suggest_categorical("c", [2**63 - 1]) == 2**63 - 1


def test_suggest_categorical_refuses_other_types(study):
    t = study.ask()
    with pytest.raises(exc.ConfigError):
        t.suggest_categorical("l", [[1, 2], [3]])
    with pytest.raises(exc.ConfigError, match="choices are empty"):
        t.suggest_categorical("e", [])
    with pytest.raises(exc.ConfigError, match="listed twice"):
        t.suggest_categorical("d", ["a", "a"])


def test_deprecated_suggest_methods(study):
    t = study.ask()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        u = t.suggest_uniform("u", 0, 1)
        lu = t.suggest_loguniform("lu", 1e-3, 1)
        du = t.suggest_discrete_uniform("du", 0, 1, 0.5)
    assert [x.category for x in w] == [FutureWarning] * 3
    assert "suggest_uniform has been deprecated" in str(w[0].message)
    assert 0 <= u <= 1 and 1e-3 <= lu <= 1 and du in (0.0, 0.5, 1.0)
    d = t.distributions
    assert d["u"] == FloatDistribution(0, 1)
    assert d["lu"] == FloatDistribution(1e-3, 1, log=True)
    assert d["du"] == FloatDistribution(0, 1, step=0.5)


def test_same_name_twice(study):
    t = study.ask()
    x = t.suggest_float("x", 0, 1)
    assert t.suggest_float("x", 0, 1) == x
    c = t.suggest_categorical("c", ["a", "b"])
    assert t.suggest_categorical("c", ["a", "b"]) == c
    with pytest.raises(exc.ConfigError) as info:
        t.suggest_int("x", 0, 1)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == ("parameter 'x' was already suggested in trial 0 as float [0, 1] and is now suggested as "
                               "int [0, 1]; use one distribution per parameter name")
    with pytest.raises(ValueError, match="already suggested"):
        t.suggest_float("x", 0, 2)
    assert t.params == {"x": x, "c": c}


@pytest.mark.parametrize("call, message", [
    (lambda t: t.suggest_float("a", 1, 0), "parameter 'a': low (1) is greater than high (0); swap the bounds"),
    (lambda t: t.suggest_float("b", 0, 1, log=True),
     "parameter 'b': log scale needs low > 0, got low = 0; use a positive lower bound or drop log"),
    (lambda t: t.suggest_float("c", 0.1, 1, log=True, step=0.1),
     "parameter 'c': step and log cannot be combined; drop one of them"),
    (lambda t: t.suggest_int("e", 0, 10, log=True),
     "parameter 'e': log scale needs low >= 1, got low = 0; use a positive lower bound or drop log"),
    (lambda t: t.suggest_int("f", 5, 1), "parameter 'f': low (5) is greater than high (1); swap the bounds"),
    (lambda t: t.suggest_categorical("h", []), "parameter 'h': choices are empty; list at least one choice"),
])
def test_invalid_ranges_raise_engine_message(study, call, message):
    t = study.ask()
    with pytest.raises(exc.ConfigError) as info:
        call(t)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(message)
    # Nothing was recorded for the refused parameter.
    assert t.params == {}


def test_step_not_dividing_the_range_lowers_high_with_a_warning(study):
    # Optuna 3.1's rule: warn, and replace [0, 1] step 0.3 by [0, 0.9] (ints: [0, 10] step 3 by [0, 9]).
    t = study.ask()
    with pytest.warns(UserWarning, match=r"It will be replaced by \[0.0, 0.9\]"):
        v = t.suggest_float("d", 0, 1, step=0.3)
    with pytest.warns(UserWarning, match=r"It will be replaced by \[0, 9\]"):
        n = t.suggest_int("g", 0, 10, step=3)
    d = t.distributions
    assert d["d"] == FloatDistribution(0, 0.9, step=0.3) and d["d"].high == 0.9
    assert d["g"] == IntDistribution(0, 9, step=3)
    assert min(abs(v - k * 0.3) for k in range(4)) < 1e-9 and n in (0, 3, 6, 9)
    with pytest.warns(UserWarning):
        assert FloatDistribution(0, 1, step=0.3).high == 0.9


def test_report_and_intermediate_values(study):
    t = study.ask()
    t.report(3.0, 0)
    t.report(np.float32(2.5), 1)
    t.report(2, 5)
    with pytest.warns(UserWarning, match="already reported"):
        t.report(9.0, 1)  # a repeated step keeps the first value, as in Optuna
    with pytest.raises(ValueError, match="cannot be negative"):
        t.report(1.0, -1)
    with pytest.raises(TypeError, match="supposed to be a float"):
        t.report("high", 2)
    with pytest.raises(TypeError):
        t.report(None, 2)
    assert t.should_prune() is False  # median pruner: no other trial yet
    study.tell(t, 1.0)
    fr = study.trials[0]
    assert fr.intermediate_values == {0: 3.0, 1: 2.5, 5: 2.0}
    assert fr.last_step == 5


def test_multi_objective_trial_cannot_report():
    m = autoglm.create_study(directions=["minimize", "maximize"])
    t = m.ask()
    with pytest.raises(NotImplementedError):
        t.report(1.0, 0)
    with pytest.raises(NotImplementedError):
        t.should_prune()
    m.tell(t, [1.0, 2.0])
    assert m.trials[0].values == [1.0, 2.0]
    with pytest.raises(RuntimeError):
        m.trials[0].value


def test_user_and_system_attrs(study):
    t = study.ask()
    t.set_user_attr("int", 1)
    t.set_user_attr("list", [1, "a", None, 2.5, {"k": False}])
    t.set_user_attr("np", np.arange(3))
    t.set_user_attr("tuple", (1, 2))
    with pytest.raises(exc.ConfigError) as info:
        t.set_user_attr("obj", object())
    assert isinstance(info.value, ValueError)
    assert "user attr 'obj' must be JSON-serializable" in str(info.value)
    with pytest.raises(exc.ConfigError, match="JSON keys must be str"):
        t.set_user_attr("d", {1: 2})
    with pytest.raises(exc.ConfigError):
        t.set_user_attr("set", {1, 2})
    # JSON has no NaN / infinity: refused loudly rather than stored as null.
    for bad in (float("nan"), float("inf"), [1.0, float("-inf")], {"k": np.float64("nan")}):
        with pytest.raises(exc.ConfigError, match="JSON cannot represent"):
            t.set_user_attr("nonfinite", bad)
    with pytest.raises(exc.ConfigError, match="64-bit"):
        t.set_user_attr("huge", 2**70)
    with pytest.raises(exc.ConfigError, match="JSON cannot represent"):
        study.set_user_attr("nonfinite", float("nan"))
    t.set_system_attr("sys", "v")
    assert t.user_attrs == {"int": 1, "list": [1, "a", None, 2.5, {"k": False}], "np": [0, 1, 2], "tuple": [1, 2]}
    assert t.system_attrs["sys"] == "v"
    study.tell(t, 0.0)
    assert study.trials[0].user_attrs["np"] == [0, 1, 2]


def test_trial_after_objective_returned_raises(study):
    kept = []

    def objective(trial):
        kept.append(trial)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    t = kept[0]
    # Read-only attributes still work, as in Optuna (and as the module documents).
    assert t.number == 0
    assert t.params == study.trials[0].params and set(t.params) == {"x"}
    assert t.distributions == {"x": FloatDistribution(0, 1)}
    assert t.user_attrs == {} and "worker.pid" in t.system_attrs
    assert t.datetime_start == study.trials[0].datetime_start
    for use in (lambda: t.suggest_float("y", 0, 1), lambda: t.report(1.0, 0), lambda: t.should_prune(),
                lambda: t.set_user_attr("k", 1), lambda: t.set_system_attr("k", 1)):
        with pytest.raises(RuntimeError, match="has finished"):
            use()
    assert study.trials[0].params.keys() == {"x"}
    # After tell too.
    a = study.ask()
    study.tell(a, 1.0)
    with pytest.raises(RuntimeError):
        a.suggest_float("x", 0, 1)


def test_trial_properties(study):
    t = study.ask()
    assert t.number == 0 and t.study is study
    t.suggest_float("x", 0, 1)
    assert t.datetime_start is not None
    assert "worker.pid" in t.system_attrs


def test_fixed_trial_and_frozen_trial_as_trials():
    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        n = trial.suggest_int("n", 1, 4)
        c = trial.suggest_categorical("c", ["a", "b"])
        trial.report(1.0, 0)
        assert trial.should_prune() is False
        return x * n + (c == "b")

    assert objective(autoglm.FixedTrial({"x": 2.0, "n": 3, "c": "b"})) == 7.0
    with pytest.raises(ValueError, match="'n'"):
        objective(autoglm.FixedTrial({"x": 2.0}))
    study = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=5)
    best = study.best_trial
    assert objective(best) == pytest.approx(study.best_value)
    ft = autoglm.FixedTrial({"x": 9.0, "n": 1, "c": "a"})
    with pytest.warns(UserWarning):
        objective(ft)
    assert ft.params == {"x": 9.0, "n": 1, "c": "a"}


def test_distributions_module():
    from autoglm import distributions as d
    f = d.FloatDistribution(0.0, 1.0, step=0.5)
    assert d.json_to_distribution(d.distribution_to_json(f)) == f
    assert d.json_to_distribution('{"name": "UniformDistribution", "attributes": {"low": 0, "high": 2}}') == \
        d.FloatDistribution(0, 2)
    assert d.IntLogUniformDistribution(1, 8) == d.IntDistribution(1, 8, log=True)
    c = d.CategoricalDistribution([None, True, 1, "a"])
    assert c.to_internal_repr(True) == 1 and c.to_internal_repr(1) == 2
    assert c.to_external_repr(3) == "a"
    with pytest.raises(ValueError):
        d.check_distribution_compatibility(d.FloatDistribution(0, 1), d.IntDistribution(0, 1))
    with pytest.raises(ValueError):
        d.FloatDistribution(1, 0)
    assert not math.isnan(d.FloatDistribution(0, 1).low)


_BG_RACE = r"""
import threading, time, autoglm
autoglm.logging.set_verbosity(autoglm.logging.ERROR)
threads, outcomes = [], []
def objective(trial):
    def bg():  # a logging / data-loader thread still using the trial when the objective returns
        for i in range(2000):
            try:
                trial.suggest_float(f"p{i}", 0, 1)
                trial.report(0.1, i)
                trial.set_user_attr(f"u{i}", i)
            except RuntimeError as e:
                assert "finished" in str(e) or "already" in str(e), e
                outcomes.append("finished")
                return
        outcomes.append("ran through")
    th = threading.Thread(target=bg)
    th.start()
    threads.append(th)
    time.sleep(0.0005)
    return 1.0
study = autoglm.create_study()
study.optimize(objective, n_trials=40, n_jobs=N_JOBS)
for th in threads:
    th.join()
assert len(outcomes) == 40, outcomes
assert {t.state.name for t in study.trials} == {"COMPLETE"}
print("ok")
"""


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_background_thread_using_trial_while_objective_returns(n_jobs):
    """A call in flight on another thread when the objective returns finishes before the C++ trial
    is destroyed (it used to crash); later calls raise RuntimeError. Several runs, each in a child
    process (a crash must fail the test, not kill pytest)."""
    import subprocess
    import sys
    from conftest import child_env
    for _ in range(3):
        r = subprocess.run([sys.executable, "-c", _BG_RACE.replace("N_JOBS", str(n_jobs))], capture_output=True,
                           text=True, timeout=120, env=child_env())
        assert r.returncode == 0 and r.stdout.strip() == "ok", (r.returncode, r.stdout, r.stderr[-2000:])


def test_threads_sharing_one_trial(study):
    """Concurrent calls on one Trial from several threads are serialized."""
    import threading
    t = study.ask()
    errors = []

    def work(k):
        try:
            for i in range(50):
                t.suggest_float(f"x{k}_{i}", 0, 1)
                t.set_user_attr(f"u{k}_{i}", i)
                t.report(float(i), k * 1000 + i)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(t.params) == 200 and len(t.user_attrs) == 200
    study.tell(t, 1.0)
    assert len(study.trials[0].intermediate_values) == 200


@pytest.mark.parametrize("call, error, message", [
    (lambda t: t.suggest_float(None, 0, 1), TypeError, "`name` must be a str, got NoneType"),
    (lambda t: t.suggest_int(1, 0, 3), TypeError, "`name` must be a str, got int"),
    (lambda t: t.suggest_categorical(b"c", [1, 2]), TypeError, "`name` must be a str, got bytes"),
    (lambda t: t.suggest_float("\udc80", 0, 1), ValueError, "`name` .* lone surrogate"),
    (lambda t: t.set_user_attr(1, "x"), TypeError, "`key` must be a str, got int"),
    (lambda t: t.set_system_attr(None, "x"), TypeError, "`key` must be a str, got NoneType"),
    (lambda t: t.set_user_attr("\udcff", "x"), ValueError, "`key` .* lone surrogate"),
])
def test_bad_names_and_keys_are_clear_errors(study, call, error, message):
    t = study.ask()
    with pytest.raises(error, match=message):
        call(t)
    t.suggest_float("ok", 0, 1)  # the trial still works
    assert set(t.params) == {"ok"}


def test_step_adjustment_skipped_for_non_finite_or_tiny_steps(study):
    """_adjust_discrete_high leaves what it cannot compute to the engine's message."""
    from autoglm.distributions import _adjust_discrete_high
    assert _adjust_discrete_high(0.0, math.inf, 0.1) == math.inf
    assert _adjust_discrete_high(0.0, 1.0, math.nan) == 1.0
    assert _adjust_discrete_high(0.0, 1e300, 1e-300) == 1e300
    t = study.ask()
    with pytest.raises(exc.ConfigError, match="finite"):
        t.suggest_float("a", 0, math.inf, step=0.1)
    with pytest.raises(exc.ConfigError, match="finite"):
        t.suggest_float("b", -math.inf, 1, step=0.1)
    with pytest.raises(exc.ConfigError):
        t.suggest_float("c", 0, 1e300, step=1e-300)
