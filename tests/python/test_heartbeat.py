"""Heartbeats and retries (RDBStorage(heartbeat_interval, grace_period, failed_trial_callback)):
a worker process killed mid-trial leaves a RUNNING trial that a later study marks FAIL and, within
max_retry, runs again as a new trial with the same parameters (system attrs retry_of, retry_count).
Engine behaviour: include/autoglm/study.h (FailurePolicy, Study::fail_stale_trials)."""
import signal
import subprocess
import sys
import time

import pytest

import autoglm
from autoglm import TrialState
from autoglm.storages import RDBStorage, RetryFailedTrialCallback

from conftest import child_env

CHILD = r"""
import sys, time
import autoglm
url, name = sys.argv[1], sys.argv[2]
storage = autoglm.storages.RDBStorage(url, heartbeat_interval=1, grace_period=2,
    failed_trial_callback=autoglm.storages.RetryFailedTrialCallback(max_retry=1))
study = autoglm.create_study(storage=storage, study_name=name, load_if_exists=True)
def objective(trial):
    trial.suggest_float("x", 0, 1)
    trial.suggest_int("n", 0, 5)
    print("started", trial.number, flush=True)
    time.sleep(120)
    return 0.0
study.optimize(objective, n_trials=1)
"""


def start_child(url, name):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, url, name], stdout=subprocess.PIPE, text=True,
                            env=child_env())
    line = proc.stdout.readline()
    assert line.startswith("started"), f"child did not start a trial (exit {proc.poll()})"
    return proc, int(line.split()[1])


def storage(url):
    return RDBStorage(url, heartbeat_interval=1, grace_period=2, failed_trial_callback=RetryFailedTrialCallback(max_retry=1))


def run_quick(study, n=1):
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("n", 0, 5), n_trials=n)


def test_killed_worker_trial_fails_and_is_retried_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'hb.db'}"
    proc, number = start_child(url, "hb")
    time.sleep(1.2)  # at least one heartbeat recorded
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    study = autoglm.load_study(study_name="hb", storage=storage(url))
    first = study.trials[number]
    assert first.state == TrialState.RUNNING
    assert first.system_attrs["worker.pid"] == proc.pid

    run_quick(study)  # optimize() fails stale trials first, then runs the retry (oldest WAITING) first
    trials = study.trials
    assert len(trials) == 2
    failed, retry = trials
    assert failed.state == TrialState.FAIL
    assert "stale trial" in failed.system_attrs["fail_reason"] and str(proc.pid) in failed.system_attrs["fail_reason"]
    assert retry.state == TrialState.COMPLETE
    assert retry.params == failed.params
    assert retry.system_attrs["retry_of"] == failed.number and retry.system_attrs["retry_count"] == 1
    assert RetryFailedTrialCallback.retried_trial_number(retry) == failed.number
    assert RetryFailedTrialCallback.retry_history(retry) == [failed.number]
    assert RetryFailedTrialCallback.retried_trial_number(failed) is None

    # The retry of a retry is not made (max_retry=1): a second killed worker's trial only FAILs.
    study.enqueue_trial({"x": 0.5, "n": 1})
    head = autoglm.load_study(study_name="hb", storage=url)
    head.add_trial(autoglm.create_trial(
        state=TrialState.WAITING, params={"x": 0.5, "n": 1},
        distributions={"x": autoglm.distributions.FloatDistribution(0, 1), "n": autoglm.distributions.IntDistribution(0, 5)},
        system_attrs={"retry_of": 0, "retry_count": 1}))
    study.tell(study.ask(), 1.0)  # takes the enqueued trial (number 2)
    proc2, number2 = start_child(url, "hb")  # takes the retry-marked WAITING trial (number 3)
    assert number2 == 3
    time.sleep(0.3)
    proc2.send_signal(signal.SIGKILL)
    proc2.wait()
    assert autoglm.storages.fail_stale_trials(study) == 1  # optuna.storages.fail_stale_trials
    trials = study.trials
    assert trials[3].state == TrialState.FAIL
    assert len(trials) == 4  # no retry beyond max_retry
    run_quick(study)
    assert [t.state for t in study.trials][4:] == [TrialState.COMPLETE]
    assert "retry_of" not in study.trials[4].system_attrs


def test_silent_worker_fails_after_grace_period(tmp_path):
    """A worker that is alive but records no heartbeat (stopped) is failed once its last heartbeat is
    older than grace_period, and retried."""
    url = f"sqlite:///{tmp_path / 'silent.db'}"
    proc, number = start_child(url, "silent")
    try:
        time.sleep(0.3)
        proc.send_signal(signal.SIGSTOP)
        study = autoglm.load_study(study_name="silent", storage=storage(url))
        assert study._core.fail_stale_trials() == 0  # heartbeat still fresh, process alive
        assert study.trials[number].state == TrialState.RUNNING
        deadline = time.monotonic() + 10
        while study._core.fail_stale_trials() == 0 and time.monotonic() < deadline:
            time.sleep(0.25)
        elapsed_ok = time.monotonic() < deadline
        trials = study.trials
        assert elapsed_ok, "the stopped worker's trial was not failed within 10 s (grace period 2 s)"
        assert trials[number].state == TrialState.FAIL
        assert "heartbeat" in trials[number].system_attrs["fail_reason"]
        assert trials[-1].state == TrialState.WAITING and trials[-1].system_attrs["retry_of"] == number
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run_quick(study)
    assert study.trials[-1].state == TrialState.COMPLETE
    assert study.trials[-1].params == study.trials[number].params


def test_without_retry_callback_a_dead_worker_trial_only_fails(tmp_path):
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    proc, number = start_child(url, "plain")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    study = autoglm.load_study(study_name="plain", storage=url)  # no heartbeat policy, no retries
    run_quick(study, n=2)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]
    assert all("retry_of" not in t.system_attrs for t in trials)


def test_failure_policy_validation(sqlite_url):
    with pytest.raises(autoglm.exceptions.ConfigError):
        autoglm.create_study(storage=RDBStorage(sqlite_url, heartbeat_interval=5, grace_period=2))


def test_default_retry_callback_retries_without_limit(tmp_path):
    """RetryFailedTrialCallback() (max_retry=None) retries indefinitely, as Optuna's: a retry of a
    retry is made too."""
    url = f"sqlite:///{tmp_path / 'unlimited.db'}"
    policy = RDBStorage(url, heartbeat_interval=1, grace_period=2, failed_trial_callback=RetryFailedTrialCallback())
    for round_ in range(2):
        proc, number = start_child(url, "unlimited")  # takes the WAITING retry in the second round
        assert number == round_
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        study = autoglm.load_study(study_name="unlimited", storage=policy)
        assert study._core.fail_stale_trials() == 1
        retry = study.trials[-1]
        assert retry.state == TrialState.WAITING and retry.system_attrs["retry_of"] == number
        assert retry.system_attrs["retry_count"] == round_ + 1
