"""ask / tell, with Optuna 3.1's error types (checked against optuna 3.1 by hand, see each test)."""
import warnings

import numpy as np
import pytest

import autoglm
from autoglm import TrialState
from autoglm import exceptions as exc
from autoglm.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


@pytest.fixture
def study():
    return autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))


def test_tell_values(study):
    t = study.ask()
    x = t.suggest_float("x", 0, 1)
    frozen = study.tell(t, x * 2)
    assert isinstance(frozen, autoglm.FrozenTrial)
    assert frozen.state == TrialState.COMPLETE and frozen.value == x * 2 and frozen.params == {"x": x}
    t2 = study.ask()
    assert t2.number == 1
    assert study.tell(t2, [0.5]).value == 0.5
    t3 = study.ask()
    assert study.tell(t3, np.float64(0.25)).value == 0.25
    t4 = study.ask()
    assert study.tell(t4, 7, state=TrialState.COMPLETE).value == 7.0
    assert study.best_value == 0.25


def test_tell_multi_objective():
    m = autoglm.create_study(directions=["minimize", "maximize"])
    t = m.ask()
    assert m.tell(t, [1.0, 2.0]).values == [1.0, 2.0]
    t = m.ask()
    assert m.tell(t, (3, np.float32(4.5))).values == [3.0, 4.5]
    t = m.ask()
    with pytest.warns(UserWarning):
        assert m.tell(t, 1.0).state == TrialState.FAIL  # one value for two objectives
    t = m.ask()
    with pytest.raises(ValueError, match="did not match the number of the objectives"):
        m.tell(t, [1.0], state=TrialState.COMPLETE)


def test_tell_pruned_and_fail(study):
    t = study.ask()
    t.report(3.0, 0)
    t.report(2.0, 4)
    frozen = study.tell(t, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED and frozen.value == 2.0
    t = study.ask()
    frozen = study.tell(t, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED and frozen.value is None
    t = study.ask()
    frozen = study.tell(t, state=TrialState.FAIL)
    assert frozen.state == TrialState.FAIL and frozen.values is None
    # by the enum's value too
    t = study.ask()
    assert study.tell(t, state=3).state == TrialState.FAIL


def test_tell_errors_match_optuna_types(study):
    t = study.ask()
    # Optuna 3.1: ValueError("Values were told. Values cannot be specified when state is ...")
    with pytest.raises(ValueError, match="Values were told"):
        study.tell(t, 1.0, state=TrialState.PRUNED)
    with pytest.raises(ValueError, match="Values were told"):
        study.tell(t, 1.0, state=TrialState.FAIL)
    # ValueError("No values were told. ...") with an explicit COMPLETE
    with pytest.raises(ValueError, match="No values were told"):
        study.tell(t, state=TrialState.COMPLETE)
    # ValueError("Cannot tell with state ...")
    for st in (TrialState.RUNNING, TrialState.WAITING):
        with pytest.raises(ValueError, match="Cannot tell with state"):
            study.tell(t, state=st)
    # An explicit COMPLETE with a NaN value: ValueError, the trial is left RUNNING.
    with pytest.raises(ValueError, match="not acceptable"):
        study.tell(t, float("nan"), state=TrialState.COMPLETE)
    with pytest.raises(ValueError, match="could not be cast to float"):
        study.tell(t, "x", state=TrialState.COMPLETE)
    # ValueError("Cannot tell for trial with number 999 since it has not been created.")
    with pytest.raises(ValueError, match="999"):
        study.tell(999, 1.0)
    # TypeError("Trial must be a trial object or trial number.")
    with pytest.raises(TypeError):
        study.tell("0", 1.0)
    with pytest.raises(TypeError):
        study.tell(None, 1.0)
    assert study.trials[0].state == TrialState.RUNNING
    assert study.tell(t, 1.0).state == TrialState.COMPLETE


def test_tell_without_values_fails_with_warning(study):
    # Optuna 3.1: tell(trial) with neither values nor state makes the trial FAIL with a warning.
    t = study.ask()
    with pytest.warns(UserWarning, match="The value None could not be cast to float"):
        frozen = study.tell(t)
    assert frozen.state == TrialState.FAIL
    t = study.ask()
    with pytest.warns(UserWarning, match="NaN"):
        assert study.tell(t, float("nan")).state == TrialState.FAIL
    t = study.ask()
    with pytest.warns(UserWarning, match="could not be cast to float"):
        assert study.tell(t, "abc").state == TrialState.FAIL
    assert [x.state for x in study.trials] == [TrialState.FAIL] * 3
    assert all(x.system_attrs.get("fail_reason") for x in study.trials)


def test_tell_twice(study):
    t = study.ask()
    study.tell(t, 1.0)
    with pytest.raises(exc.UpdateFinishedTrialError) as info:
        study.tell(t.number, 2.0)
    assert isinstance(info.value, ValueError)  # Optuna 3.1 raises ValueError("Cannot tell a COMPLETE trial.")
    assert "already COMPLETE" in str(info.value)
    with pytest.raises(ValueError):
        study.tell(t.number, state=TrialState.FAIL)
    again = study.tell(t.number, 2.0, skip_if_finished=True)
    assert again.state == TrialState.COMPLETE and again.value == 1.0
    again = study.tell(t.number, state=TrialState.FAIL, skip_if_finished=True)
    assert again.state == TrialState.COMPLETE
    assert study.trials[0].value == 1.0


def test_tell_by_number_and_frozen(study):
    a, b = study.ask(), study.ask()
    a.suggest_float("x", 0, 1)
    study.tell(b.number, 2.0)
    study.tell(study.trials[0], 1.0)  # a FrozenTrial names its trial too
    assert [t.value for t in study.trials] == [1.0, 2.0]
    # b was told by number: the storage refuses its writes (Optuna: UpdateFinishedTrialError, a RuntimeError).
    with pytest.raises(RuntimeError):
        b.suggest_float("late", 0, 1)
    assert "late" not in study.trials[1].params


def test_ask_fixed_distributions(study):
    fixed = {"x": FloatDistribution(0, 1), "n": IntDistribution(0, 4, step=2),
             "c": CategoricalDistribution(["a", None])}
    t = study.ask(fixed_distributions=fixed)
    p = t.params
    assert set(p) == {"x", "n", "c"}
    assert 0 <= p["x"] <= 1 and p["n"] in (0, 2, 4) and p["c"] in ("a", None)
    assert t.suggest_float("x", 0, 1) == p["x"]
    assert t.distributions == fixed
    study.tell(t, 1.0)
    with pytest.raises(ValueError):
        study.ask(fixed_distributions={"bad": FloatDistribution(0.1, 1, log=True, step=0.1)})


def test_ask_takes_enqueued_trials_first(study):
    study.enqueue_trial({"x": 0.5})
    t = study.ask()
    assert t.suggest_float("x", 0, 1) == 0.5
    study.tell(t, 0.0)
    assert study.trials[0].state == TrialState.COMPLETE


def test_tell_with_constraints_func():
    sampler = autoglm.samplers.TPESampler(seed=0, constraints_func=lambda ft: [ft.params["x"] - 0.5])
    s = autoglm.create_study(sampler=sampler)
    t = s.ask()
    t.suggest_float("x", 0, 1)
    s.tell(t, state=TrialState.FAIL)
    assert all("constraints" not in t.system_attrs for t in s.trials)  # FAIL: not evaluated, as Optuna
    for x in (0.9, 0.2, 0.4):
        s.enqueue_trial({"x": x})
        t = s.ask()
        t.suggest_float("x", 0, 1)
        s.tell(t, -x)
    done = s.get_trials(states=[TrialState.COMPLETE])
    assert [t.system_attrs["constraints"] for t in done] == [pytest.approx([0.4]), pytest.approx([-0.3]),
                                                                pytest.approx([-0.1])]
    # 0.9 has the best value but is infeasible.
    assert s.best_trial.params == {"x": 0.4}
    # tell by number evaluates the constraints on the stored trial.
    s.enqueue_trial({"x": 0.45})
    t = s.ask()
    t.suggest_float("x", 0, 1)
    s.tell(t.number, -0.45)
    assert s.trials[-1].system_attrs["constraints"] == pytest.approx([-0.05])
    assert s.best_trial.params == {"x": 0.45}


def test_warnings_are_not_raised_for_good_values(study):
    t = study.ask()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        study.tell(t, 1.0)
