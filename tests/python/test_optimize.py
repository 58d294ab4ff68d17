"""Study.optimize: stopping rules, n_jobs, callbacks, catch, failures, pruning, stop()."""
import gc
import math
import threading
import time

import pytest

import autoglm
from autoglm import TrialState
from autoglm.study import MaxTrialsCallback


def states(study):
    return [t.state for t in study.trials]


@pytest.fixture
def study():
    return autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))


def test_n_trials_and_repeat(study):
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(study.trials) == 7
    assert states(study) == [TrialState.COMPLETE] * 7
    with pytest.raises(TypeError):
        study.optimize(lambda t: 1.0, n_trials=2.5)


def test_timeout(study):
    t0 = time.monotonic()
    study.optimize(lambda t: time.sleep(0.05) or 1.0, timeout=0.4)
    elapsed = time.monotonic() - t0
    n = len(study.trials)
    assert 0.4 <= elapsed < 1.5
    assert 3 <= n <= 9
    assert states(study) == [TrialState.COMPLETE] * n


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_n_jobs(study, n_jobs):
    seen = set()
    lock = threading.Lock()

    def objective(trial):
        with lock:
            seen.add(threading.get_ident())
        time.sleep(0.02)
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=12, n_jobs=n_jobs)
    assert len(study.trials) == 12
    assert sorted(t.number for t in study.trials) == list(range(12))
    assert states(study) == [TrialState.COMPLETE] * 12
    assert len(seen) >= 2  # trials ran on several engine threads


def test_callbacks_receive_study_and_frozen_trial(study):
    calls = []

    def cb(s, frozen):
        calls.append((s, frozen))

    def objective(trial):
        if trial.number == 1:
            raise autoglm.TrialPruned()
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=3, callbacks=[cb, lambda s, f: calls.append(("second", f.number))])
    firsts = [c for c in calls if c[0] is study]
    assert [f.number for _, f in firsts] == [0, 1, 2]
    assert all(isinstance(f, autoglm.FrozenTrial) for _, f in firsts)
    assert [f.state for _, f in firsts] == [TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE]
    assert firsts[0][1].value == study.trials[0].value
    assert [c[1] for c in calls if c[0] == "second"] == [0, 1, 2]


def test_exception_in_callback_stops_and_is_reraised(study):
    class Boom(Exception):
        pass

    def cb(s, frozen):
        if frozen.number == 1:
            raise Boom("from callback")

    with pytest.raises(Boom, match="from callback"):
        study.optimize(lambda t: 1.0, n_trials=10, callbacks=[cb])
    assert len(study.trials) == 2
    assert states(study) == [TrialState.COMPLETE] * 2
    # The study is usable afterwards.
    study.optimize(lambda t: 1.0, n_trials=1)
    assert len(study.trials) == 3


def test_uncaught_exception_fails_trial_and_is_reraised(study):
    def objective(trial):
        trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise ZeroDivisionError("boom at 2")
        return 1.0

    with pytest.raises(ZeroDivisionError, match="boom at 2"):
        study.optimize(objective, n_trials=10)
    assert states(study) == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    reason = study.trials[2].system_attrs["fail_reason"]
    assert reason.startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: boom at 2" in reason
    assert "in objective" in reason
    assert study.trials[2].params.keys() == {"x"}


@pytest.mark.parametrize("catch", [(ZeroDivisionError,), [ArithmeticError], ZeroDivisionError, (ValueError, Exception)])
def test_caught_exception_fails_trial_and_continues(study, catch):
    def objective(trial):
        if trial.number in (1, 3):
            raise ZeroDivisionError("caught")
        return 1.0

    study.optimize(objective, n_trials=5, catch=catch)
    assert states(study) == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE, TrialState.FAIL,
                             TrialState.COMPLETE]
    assert "ZeroDivisionError: caught" in study.trials[1].system_attrs["fail_reason"]


def test_exception_not_in_catch_is_reraised(study):
    with pytest.raises(KeyError):
        study.optimize(lambda t: {}["missing"], n_trials=3, catch=(ValueError,))
    assert states(study) == [TrialState.FAIL]
    with pytest.raises(TypeError):
        study.optimize(lambda t: 1.0, n_trials=1, catch=("ValueError",))


def test_keyboard_interrupt(study):
    def objective(trial):
        if trial.number == 1:
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5, catch=(Exception,))
    assert states(study) == [TrialState.COMPLETE, TrialState.FAIL]
    assert "KeyboardInterrupt" in study.trials[1].system_attrs["fail_reason"]


def test_bad_return_values_fail_and_study_goes_on(study):
    returns = [float("nan"), None, [1.0, 2.0], "abc", 3.0, float("inf")]
    study.optimize(lambda t: returns[t.number], n_trials=len(returns))
    assert states(study) == [TrialState.FAIL] * 4 + [TrialState.COMPLETE] * 2
    reasons = [t.system_attrs.get("fail_reason") for t in study.trials[:4]]
    assert all(reasons)
    assert "None" in reasons[1] and "'abc'" in reasons[3]
    assert study.trials[4].value == 3.0
    assert study.trials[5].value == math.inf


def test_multi_objective_return_counts():
    m = autoglm.create_study(directions=["minimize", "maximize"])
    returns = [(1.0, 2.0), [3.0, 4.0], 5.0, (1.0, 2.0, 3.0), (float("nan"), 1.0)]
    m.optimize(lambda t: returns[t.number], n_trials=len(returns))
    assert states(m) == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.FAIL, TrialState.FAIL]
    assert m.trials[1].values == [3.0, 4.0]


def test_trial_pruned(study):
    def objective(trial):
        trial.report(5.0, 0)
        trial.report(4.0, 1)
        if trial.number % 2:
            raise autoglm.TrialPruned("odd")
        return 1.0

    study.optimize(objective, n_trials=4)
    assert states(study) == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    assert study.trials[1].value == 4.0  # the last intermediate value, as Optuna
    assert autoglm.TrialPruned is autoglm.exceptions.TrialPruned


def test_nested_optimize_raises(study):
    def objective(trial):
        study.optimize(lambda t: 1.0, n_trials=1)
        return 1.0

    with pytest.raises(RuntimeError, match="optimize is already running on this Study object"):
        study.optimize(objective, n_trials=3)
    assert states(study) == [TrialState.FAIL]
    # The flag was reset: a new call works.
    study.optimize(lambda t: 1.0, n_trials=1)
    assert states(study)[-1] == TrialState.COMPLETE


def test_stop_from_callback_and_objective(study):
    def cb(s, frozen):
        if frozen.number == 2:
            s.stop()

    study.optimize(lambda t: 1.0, n_trials=50, callbacks=[cb])
    assert len(study.trials) == 3

    other = autoglm.create_study()

    def objective(trial):
        if trial.number == 3:
            trial.study.stop()
        return 1.0

    other.optimize(objective, n_trials=50)
    assert len(other.trials) == 4
    assert states(other) == [TrialState.COMPLETE] * 4
    # stop() applies to one optimize call only.
    other.optimize(lambda t: 1.0, n_trials=2)
    assert len(other.trials) == 6
    with pytest.raises(RuntimeError, match="inside an objective function or a callback"):
        other.stop()


def test_max_trials_callback(sqlite_url):
    s = autoglm.create_study(storage=sqlite_url, study_name="max")
    s.optimize(lambda t: 1.0, n_trials=100, callbacks=[MaxTrialsCallback(5)])
    assert len(s.trials) == 5
    # Counts trials of every process / study object: a second object stops at once.
    again = autoglm.load_study(study_name="max", storage=sqlite_url)
    again.optimize(lambda t: 1.0, n_trials=100, callbacks=[MaxTrialsCallback(6)])
    assert len(again.trials) == 6
    # states=None counts every state.
    f = autoglm.create_study()
    f.optimize(lambda t: float("nan"), n_trials=50, callbacks=[MaxTrialsCallback(3, states=None)])
    assert len(f.trials) == 3
    g = autoglm.create_study()
    g.optimize(lambda t: float("nan") if t.number % 2 else 1.0, n_trials=50,
               callbacks=[MaxTrialsCallback(3, states=(TrialState.COMPLETE,))])
    assert g._core.n_trials(["COMPLETE"]) == 3 and len(g.trials) == 5


def test_gc_after_trial(study, monkeypatch):
    calls = []
    real = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(1) or real(*a))
    study.optimize(lambda t: 1.0, n_trials=3, gc_after_trial=True)
    assert len(calls) == 3
    calls.clear()
    study.optimize(lambda t: 1.0, n_trials=3)
    assert calls == []


def test_show_progress_bar_warns(study):
    with pytest.warns(UserWarning, match="show_progress_bar"):
        study.optimize(lambda t: 1.0, n_trials=1, show_progress_bar=True)


def curve_objective(trial):
    """Each trial's curve is x * (10 - step): a larger x is worse at every step."""
    x = trial.suggest_float("x", 0, 1)
    for step in range(10):
        trial.report(x * (10 - step), step)
        if trial.should_prune():
            raise autoglm.TrialPruned()
    return x


@pytest.mark.parametrize("pruner", [
    autoglm.pruners.MedianPruner(n_startup_trials=3),
    autoglm.pruners.PercentilePruner(50.0, n_startup_trials=3),
    autoglm.pruners.SuccessiveHalvingPruner(),
    autoglm.pruners.HyperbandPruner(max_resource=10),
])
def test_pruners_prune(pruner):
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0), pruner=pruner)
    s.optimize(curve_objective, n_trials=30)
    pruned = [t for t in s.trials if t.state == TrialState.PRUNED]
    complete = [t for t in s.trials if t.state == TrialState.COMPLETE]
    assert len(pruned) >= 5 and len(complete) >= 3
    for t in pruned:
        assert t.value == t.intermediate_values[t.last_step]
        assert 0 <= t.last_step <= 9


def test_median_pruner_rule():
    """MedianPruner(n_startup_trials=2): trial 2 is pruned at step 0 exactly when its value is worse
    than the median of the earlier trials' best-so-far values at that step."""
    s = autoglm.create_study(pruner=autoglm.pruners.MedianPruner(n_startup_trials=2))
    for v in (1.0, 3.0):
        t = s.ask()
        t.report(v, 0)
        s.tell(t, v)
    better = s.ask()
    better.report(1.5, 0)
    assert better.should_prune() is False  # median of (1, 3) is 2
    s.tell(better, 1.5)
    worse = s.ask()
    worse.report(2.9, 0)
    assert worse.should_prune() is True  # median of (1, 3, 1.5) is 1.5
    s.tell(worse, state=TrialState.PRUNED)
    # Best-so-far: a trial that was good at an earlier step is judged by its best value.
    late = s.ask()
    late.report(0.5, 0)
    late.report(100.0, 1)
    assert s.trials[-1].intermediate_values == {0: 0.5, 1: 100.0}


def test_nop_pruner_never_prunes():
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0), pruner=autoglm.pruners.NopPruner())
    s.optimize(curve_objective, n_trials=15)
    assert states(s) == [TrialState.COMPLETE] * 15


SIGINT_CHILD = r"""
import sys, time
import autoglm
study = autoglm.create_study()
print("go", flush=True)
try:
    study.optimize(lambda t: time.sleep(0.2) or 1.0, n_trials=200, n_jobs=int(sys.argv[1]))
except KeyboardInterrupt:
    print("KeyboardInterrupt", len(study.trials), sorted({t.state.name for t in study.trials}), flush=True)
    sys.exit(3)
print("finished", len(study.trials), flush=True)
"""


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_ctrl_c_stops_optimize(n_jobs):
    """SIGINT (Ctrl-C) reaches optimize at once, also while several engine threads run objectives:
    no new trial starts, running ones end, KeyboardInterrupt is raised (Optuna's behaviour)."""
    import signal
    import subprocess
    import sys

    from conftest import child_env

    proc = subprocess.Popen([sys.executable, "-c", SIGINT_CHILD, str(n_jobs)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=child_env())
    assert proc.stdout.readline().strip() == "go"
    time.sleep(0.7)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 3, out
    words = out.split(maxsplit=2)
    assert words[0] == "KeyboardInterrupt"
    assert 2 <= int(words[1]) < 60
    assert "RUNNING" not in words[2]
    assert elapsed < 2.0  # not the 200 trials' 40 s / n_jobs


def test_median_pruner_warmup_and_interval():
    pruner = autoglm.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=4, interval_steps=3)
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=1), pruner=pruner)
    s.optimize(curve_objective, n_trials=30)
    pruned = [t for t in s.trials if t.state == TrialState.PRUNED]
    assert pruned
    assert all(t.number >= 2 for t in pruned)  # n_startup_trials
    # Judged only from step 4 on, every 3 steps: steps 4 and 7.
    assert {t.last_step for t in pruned} <= {4, 7}


def test_exception_outside_the_objective_is_not_lost(study, monkeypatch):
    """An exception raised by the package's own per-trial code (here gc_after_trial's collect
    interrupted by Ctrl-C) stops the study and reaches the caller, like one from the objective."""
    def interrupted_collect(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(gc, "collect", interrupted_collect)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(lambda t: 1.0, n_trials=5, gc_after_trial=True)
    assert len(study.trials) == 1


def test_logging_per_trial_lines(caplog):
    log = autoglm.logging
    before = log.get_verbosity()
    log.set_verbosity(log.INFO)
    log.enable_propagation()
    try:
        with caplog.at_level("INFO"):
            s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))
            s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            s.optimize(lambda t: float("nan"), n_trials=1)
            s.optimize(lambda t: (_ for _ in ()).throw(autoglm.TrialPruned()), n_trials=1)
        messages = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("autoglm")]
        assert messages[0][0] == "INFO" and messages[0][1].startswith("Trial 0 finished with value: ")
        assert f"Best is trial {s.best_trial.number} with value: {s.best_value}." in messages[1][1]
        assert messages[2][0] == "WARNING" and messages[2][1].startswith("Trial 2 failed with parameters: {}")
        assert messages[3] == ("INFO", "Trial 3 pruned. ")
        caplog.clear()
        log.set_verbosity(log.WARNING)
        with caplog.at_level("INFO"):
            s.optimize(lambda t: 1.0, n_trials=2)
        assert not [r for r in caplog.records if r.name.startswith("autoglm")]
    finally:
        log.disable_propagation()
        log.set_verbosity(before)


def test_median_pruner_uses_best_so_far_of_the_trial():
    s = autoglm.create_study(pruner=autoglm.pruners.MedianPruner(n_startup_trials=2))
    for v in (1.0, 3.0):  # two finished trials with values at steps 0 and 1
        t = s.ask()
        t.report(v, 0)
        t.report(v, 1)
        s.tell(t, v)
    good_early = s.ask()
    good_early.report(0.5, 0)
    good_early.report(100.0, 1)
    # Judged by its best value so far (0.5), not the last one (100): median at step 1 is 2.
    assert good_early.should_prune() is False
    s.tell(good_early, state=TrialState.PRUNED)
    never_good = s.ask()
    never_good.report(5.0, 0)
    never_good.report(2.5, 1)
    assert never_good.should_prune() is True


def test_qa_round_misuse_gets_clear_errors(study, tmp_path):
    # tell() of a trial that optimize runs, from inside its objective.
    def tells_itself(trial):
        study.tell(trial, 5.0)
        return 1.0

    with pytest.raises(RuntimeError, match="is run by optimize, which tells it"):
        study.optimize(tells_itself, n_trials=1)
    assert states(study) == [TrialState.FAIL]
    # tell() of a trial asked from another study of the same storage.
    other = autoglm.create_study(storage=study._core.storage, study_name="other")
    foreign = other.ask()
    mine = study.ask()
    with pytest.raises(ValueError, match="belongs to study 'other'"):
        study.tell(foreign, 1.0)
    assert study.tell(mine, 2.0).state == TrialState.COMPLETE
    assert other.trials[0].state == TrialState.RUNNING
    # A WAITING (enqueued) trial cannot be told; it keeps its fixed params for the next ask().
    study.enqueue_trial({"x": 0.5})
    waiting = study.trials[-1].number
    with pytest.raises(ValueError, match="is WAITING"):
        study.tell(waiting, 1.0)
    t = study.ask()
    assert t.number == waiting and t.suggest_float("x", 0, 1) == 0.5
    study.tell(t, 0.5)
    # A value float() overflows fails its trial; the study goes on.
    study.optimize(lambda t: 10**400, n_trials=2)
    assert states(study)[-2:] == [TrialState.FAIL, TrialState.FAIL]
    assert "could not be cast to float" in study.trials[-1].system_attrs["fail_reason"]
    # Argument types: numpy ints are counts; strings and floats are not; many jobs are capped at n_trials.
    np = pytest.importorskip("numpy")
    study.optimize(lambda t: 1.0, n_trials=np.int64(1), n_jobs=100000)
    for bad in ("2", 2.5, True):
        with pytest.raises(TypeError):
            study.optimize(lambda t: 1.0, n_trials=1, n_jobs=bad)
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        study.optimize(lambda t: 1.0, n_trials=1, timeout=float("nan"))
    with pytest.raises(ValueError, match="32 bits"):
        study.optimize(lambda t: 1.0, n_trials=2**40)
    with pytest.raises(ValueError, match="has not been created"):
        study.tell(2**70, 1.0)
    # A self-referencing attr is refused with a message instead of crashing the interpreter.
    a = []
    a.append(a)
    with pytest.raises(ValueError, match="nested deeper than"):
        study.set_user_attr("loop", a)
    # catch=(BaseException,) catches KeyboardInterrupt too (Optuna 3.1).
    def interrupted(trial):
        raise KeyboardInterrupt

    study.optimize(interrupted, n_trials=2, catch=(BaseException,))
    assert states(study)[-2:] == [TrialState.FAIL, TrialState.FAIL]
    # A SQLite URL with a query string is refused rather than becoming part of the file name.
    with pytest.raises(ValueError, match="query options"):
        autoglm.create_study(storage=f"sqlite:///{tmp_path / 'q.db'}?timeout=30")
    assert not list(tmp_path.iterdir())
