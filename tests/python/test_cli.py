"""A study shared between Python and the `autoglm` CLI through one SQLite file: listed, shown, served
by the dashboard and continued by `autoglm tune` / `autoglm worker` (and the other way round)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

import autoglm
from autoglm import TrialState

from conftest import SOURCE_DIR, child_env

QUADRATIC = os.path.join(SOURCE_DIR, "examples", "quadratic.py")


def python_study(url, name="from-python", n=5):
    s = autoglm.create_study(storage=url, study_name=name, sampler=autoglm.samplers.RandomSampler(seed=3))

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", -3, 3)
        trial.set_user_attr("origin", "python")
        return (x - 2) ** 2 + (y + 1) ** 2

    s.optimize(objective, n_trials=n)
    return s


def write_config(tmp_path, study, n_trials=8, extra=""):
    """A tune config whose space matches python_study's (float x in [-5, 5], int y in [-3, 3])."""
    cfg = tmp_path / f"{study}.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        study: {study}
        direction: minimize
        n_trials: {n_trials}
        n_jobs: 2
        seed: 1
        space:
          x: {{type: float, low: -5.0, high: 5.0}}
          y: {{type: int, range: [-3, 3]}}
        sampler: {{name: random}}
        pruner: none
        objective:
          command: {sys.executable} {QUADRATIC} --x {{x}} --y {{y}} --steps 2 --sleep 0.001
          timeout: 60
        """) + extra)
    return cfg


def test_cli_lists_and_shows_a_python_study(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    s = python_study(url)
    autoglm.create_study(storage=url, study_name="other", directions=["minimize", "maximize"])
    table = cli("studies", "--storage", url).stdout
    assert "from-python" in table and "other" in table
    studies = {x["study_name"]: x for x in json.loads(cli("studies", "--storage", url, "--format", "json").stdout)}
    assert studies["from-python"]["n_trials"] == 5
    assert studies["from-python"]["n_trials_by_state"] == {"COMPLETE": 5}
    assert studies["from-python"]["directions"] == ["minimize"]
    assert studies["from-python"]["best_trial"]["number"] == s.best_trial.number
    assert studies["other"]["directions"] == ["minimize", "maximize"]

    trials = json.loads(cli("trials", "--study", "from-python", "--storage", url, "--format", "json").stdout)
    assert [t["number"] for t in trials] == [t.number for t in s.trials]
    for ours, theirs in zip(s.trials, trials):
        assert theirs["state"] == "COMPLETE"
        assert theirs["value"] == pytest.approx(ours.value)
        assert theirs["params"] == pytest.approx(ours.params)
        assert theirs["user_attrs"] == {"origin": "python"}
        assert theirs["distributions"] == {"x": "float [-5, 5]", "y": "int [-3, 3]"}
    csv = cli("trials", "--study", "from-python", "--storage", url, "--format", "csv").stdout.splitlines()
    assert csv[0].split(",")[:2] == ["number", "state"] and len(csv) == 6

    best = json.loads(cli("best", "--study", "from-python", "--storage", url, "--format", "json").stdout)
    assert best["number"] == s.best_trial.number
    assert best["value"] == pytest.approx(s.best_value)
    assert best["params"] == pytest.approx(s.best_params)
    text = cli("best", "--study", "from-python", "--storage", url).stdout
    assert f"#{s.best_trial.number}" in text

    missing = cli("trials", "--study", "nope", "--storage", url, check=False)
    assert missing.returncode == 2 and "no study named 'nope'" in missing.stderr


def test_cli_importance_status_retry_on_a_python_study(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'imp.db'}"
    s = autoglm.create_study(storage=url, study_name="imp", sampler=autoglm.samplers.RandomSampler(seed=0))

    def objective(trial):
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        trial.suggest_categorical("c", [None, True, 3, "s"])
        if trial.number == 3:
            raise ValueError("fails once")
        return 10 * x + y

    s.optimize(objective, n_trials=30, catch=(ValueError,))
    imp = json.loads(cli("importance", "--study", "imp", "--storage", url, "--format", "json").stdout)
    assert imp["n_trials"] == 29
    assert imp["importances"][0]["name"] == "x"
    assert list(autoglm.importance.get_param_importances(s))[0] == "x"
    status = json.loads(cli("status", "--study", "imp", "--storage", url, "--format", "json").stdout)
    assert status["n_trials_by_state"]["COMPLETE"] == 29 and status["n_trials_by_state"]["FAIL"] == 1
    # `autoglm retry` enqueues the FAIL trial's parameters; the Python study runs it next.
    out = cli("retry", "--study", "imp", "--storage", url).stdout
    assert "enqueued 1 retry (3 -> 30)" in out
    s.optimize(objective, n_trials=1)
    retried = s.trials[30]
    assert retried.state == TrialState.COMPLETE
    assert retried.params == s.trials[3].params and retried.system_attrs["retry_of"] == 3


def test_cli_best_of_multi_objective_python_study(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    m = autoglm.create_study(storage=url, study_name="mo", directions=["minimize", "maximize"],
                             sampler=autoglm.samplers.RandomSampler(seed=0))
    m.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1)), n_trials=15)
    front = json.loads(cli("best", "--study", "mo", "--storage", url, "--format", "json").stdout)
    assert sorted(t["number"] for t in front) == [t.number for t in m.best_trials]


def http_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read().decode())


def test_dashboard_serves_a_python_study(tmp_path, autoglm_bin, free_port):
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    s = python_study(url, name="dash-study", n=6)
    s.optimize(lambda t: float("nan"), n_trials=1)  # one FAIL
    proc = subprocess.Popen([autoglm_bin, "dashboard", "--storage", url, "--port", str(free_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=child_env())
    try:
        base = f"http://127.0.0.1:{free_port}"
        deadline = time.monotonic() + 15
        data = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"dashboard exited {proc.returncode}: {proc.stdout.read()}")
            try:
                data = http_json(base + "/api/studies")
                break
            except OSError:
                time.sleep(0.1)
        assert data is not None, "the dashboard did not answer within 15 s"
        studies = {x["name"]: x for x in data["studies"]}
        assert set(studies) == {"dash-study"}
        st = studies["dash-study"]
        assert st["n_trials"] == 7
        assert st["states"]["COMPLETE"] == 6 and st["states"]["FAIL"] == 1
        assert st["directions"] == ["minimize"]
        assert st["best_values"] == [pytest.approx(s.best_value)]
        # Live: trials added from Python appear.
        s.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2, n_trials=2)
        # (the dashboard re-reads the storage at most every 0.5 s: docs/dashboard.md)
        deadline = time.monotonic() + 10
        while True:
            again = {x["name"]: x for x in http_json(base + "/api/studies")["studies"]}
            if again["dash-study"]["n_trials"] == 9 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert again["dash-study"]["n_trials"] == 9
        one = http_json(f"{base}/api/studies/{st['id']}/trials/{s.best_trial.number}")
        assert one["params"] == pytest.approx(s.best_params)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_python_study_continued_by_tune_and_worker(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'cont.db'}"
    python_study(url, name="cont", n=5)
    # `autoglm worker` needs the config `autoglm tune` stores with a study; a Python study has none.
    refused = cli("worker", "--study", "cont", "--storage", url, check=False)
    assert refused.returncode == 2
    assert "has no stored config" in refused.stderr and "autoglm tune" in refused.stderr
    # `autoglm tune CONFIG --study NAME` resumes the Python study: n_trials is the total with a result.
    cfg = write_config(tmp_path, "cont", n_trials=8)
    out = cli("tune", cfg, "--study", "cont", "--storage", url, timeout=120)
    assert "resuming with 5 finished trial(s); running 3 more" in out.stderr
    s = autoglm.load_study(study_name="cont", storage=url)
    assert len(s.trials) == 8
    # Now that tune stored its config, workers can join.
    cli("worker", "--study", "cont", "--storage", url, "--n-trials", "11", timeout=120)
    s = autoglm.load_study(study_name="cont", storage=url)
    trials = s.trials
    assert len(trials) == 11
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 11
    for t in trials[5:]:
        assert -5 <= t.params["x"] <= 5 and type(t.params["y"]) is int and -3 <= t.params["y"] <= 3
        assert t.value == pytest.approx((t.params["x"] - 2) ** 2 + (t.params["y"] + 1) ** 2)
        assert t.intermediate_values and t.user_attrs == {}
        assert t.system_attrs.get("log_path", "").endswith(f"trial-{t.number}.log")
    assert all(t.user_attrs == {"origin": "python"} for t in trials[:5])
    # And Python goes on after the CLI.
    s.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_int("y", -3, 3), n_trials=2)
    assert len(autoglm.load_study(study_name="cont", storage=url).trials) == 13


def test_tune_refuses_a_python_study_with_another_space(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'clash.db'}"
    s = autoglm.create_study(storage=url, study_name="clash")
    s.optimize(lambda t: t.suggest_categorical("x", ["a", "b"]) == "a", n_trials=2)
    cfg = write_config(tmp_path, "clash")
    r = cli("tune", cfg, "--study", "clash", "--storage", url, check=False)
    assert r.returncode == 2
    assert "already sampled 'x'" in r.stderr
    assert len(autoglm.load_study(study_name="clash", storage=url).trials) == 2
    # A study with other directions is refused too.
    autoglm.create_study(storage=url, study_name="maxi", direction="maximize")
    r = cli("tune", write_config(tmp_path, "maxi"), "--study", "maxi", "--storage", url, check=False)
    assert r.returncode == 2


def test_tune_study_loaded_and_continued_in_python(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'fromcli.db'}"
    cfg = write_config(tmp_path, "cli-made", n_trials=4)
    cli("tune", cfg, "--storage", url, timeout=120)
    s = autoglm.load_study(study_name="cli-made", storage=url)
    assert s.direction == autoglm.StudyDirection.MINIMIZE
    assert len(s.trials) == 4 and all(t.state == TrialState.COMPLETE for t in s.trials)
    assert s.trials[0].distributions == {"x": autoglm.distributions.FloatDistribution(-5, 5),
                                         "y": autoglm.distributions.IntDistribution(-3, 3)}
    assert s.user_attrs.get("objective_names") is not None
    assert "config" in s.system_attrs
    best_before = s.best_value

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", -3, 3)
        return (x - 2) ** 2 + (y + 1) ** 2

    s.optimize(objective, n_trials=6)
    assert len(s.trials) == 10
    assert s.best_value <= best_before
    trials = json.loads(cli("trials", "--study", "cli-made", "--storage", url, "--format", "json").stdout)
    assert len(trials) == 10 and all(t["state"] == "COMPLETE" for t in trials)
    # A worker joins the study (its stored config) after Python's trials; n_trials counts all of them.
    cli("worker", "--study", "cli-made", "--storage", url, "--n-trials", "12", timeout=120)
    assert len(autoglm.load_study(study_name="cli-made", storage=url).trials) == 12
    # Python and the CLI agree on the best trial.
    best = json.loads(cli("best", "--study", "cli-made", "--storage", url, "--format", "json").stdout)
    s = autoglm.load_study(study_name="cli-made", storage=url)
    assert best["number"] == s.best_trial.number
    # copy_study keeps the study's system attrs (Optuna's copy_study does), the stored config
    # included: a worker joins the copy.
    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    autoglm.copy_study(from_study_name="cli-made", from_storage=url, to_storage=copy_url)
    cli("worker", "--study", "cli-made", "--storage", copy_url, "--n-trials", "13", timeout=120)
    copied = autoglm.load_study(study_name="cli-made", storage=copy_url)
    assert len(copied.trials) == 13 and copied.trials[12].state == TrialState.COMPLETE


def test_python_and_cli_run_one_study_at_the_same_time(tmp_path, autoglm_bin):
    """`autoglm tune` (n_trials 20, counted over the whole study) and a Python optimize (10 trials,
    n_jobs=2) share one SQLite study concurrently: trials are numbered once, all COMPLETE, and the
    CLI stops at the study's total."""
    url = f"sqlite:///{tmp_path / 'conc.db'}"
    study = autoglm.create_study(storage=url, study_name="conc")
    cfg = write_config(tmp_path, "conc", n_trials=20)
    proc = subprocess.Popen([autoglm_bin, "tune", str(cfg), "--storage", url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=child_env())

    def objective(trial):
        time.sleep(0.02)
        x = trial.suggest_float("x", -5, 5)
        y = trial.suggest_int("y", -3, 3)
        return (x - 2) ** 2 + (y + 1) ** 2

    study.optimize(objective, n_trials=10, n_jobs=2)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    from_cli = [t for t in trials if "log_path" in t.system_attrs]
    assert len(trials) - len(from_cli) == 10
    assert len(trials) >= 20
    # The CLI starts a trial only while the study has fewer than 20 (+ a few Python ones started at
    # the same moment: Python does not take the CLI's start lock).
    for t in from_cli:
        assert sum(1 for o in trials if o.datetime_start < t.datetime_start) < 20 + 2
    assert "COMPLETE" in out


def test_autoglm_cancel_stops_a_python_optimize_and_a_new_optimize_lifts_it(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'cancel.db'}"
    s = autoglm.create_study(storage=url, study_name="cancel", sampler=autoglm.samplers.RandomSampler(seed=0))
    cancelled = []

    def objective(trial):
        if trial.number == 3:
            cli("cancel", "--study", "cancel", "--storage", url)  # another process asks the study to stop
            cancelled.append(trial.number)
        return trial.suggest_float("x", 0, 1)

    s.optimize(objective, n_trials=50)
    assert cancelled == [3]
    assert len(s.trials) == 4 and all(t.state == TrialState.COMPLETE for t in s.trials)
    assert s.system_attrs["stop_requested"] is True
    # Like `autoglm tune`, a new optimize is a request to run again: the stop is lifted.
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(s.trials) == 6 and s.system_attrs["stop_requested"] is False


def test_tune_and_python_stop_when_the_grid_is_covered(tmp_path, cli):
    # One engine rule (Sampler::exhausted) stops both front ends once every grid point has a trial.
    url = f"sqlite:///{tmp_path / 'grid.db'}"
    cfg = write_config(tmp_path, "grid", n_trials=10)
    cfg.write_text(cfg.read_text().replace("sampler: {name: random}",
                                           "sampler: {name: grid, search_space: {x: [-1.0, 1.0], y: [0, 2]}}")
                   .replace("n_jobs: 2", "n_jobs: 1"))  # one worker: exactly the grid (see the race below)
    out = cli("tune", str(cfg), "--storage", url)
    s = autoglm.load_study(storage=url, study_name="grid",
                           sampler=autoglm.samplers.GridSampler({"x": [-1.0, 1.0], "y": [0, 2]}))
    assert len(s.trials) == 4, out.stdout + out.stderr
    assert {(t.params["x"], t.params["y"]) for t in s.trials} == {(-1.0, 0), (-1.0, 2), (1.0, 0), (1.0, 2)}
    py = autoglm.create_study(sampler=autoglm.samplers.GridSampler({"x": [0.0, 0.5, 1.0]}))
    py.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    assert sorted(t.params["x"] for t in py.trials) == [0.0, 0.5, 1.0]
    # With 2 workers, a trial started before the other one suggested its (last) point may re-visit
    # one (Optuna has the same race): at most one extra trial, every point covered.
    par = autoglm.create_study(sampler=autoglm.samplers.GridSampler({"x": [0.0, 0.5, 1.0]}))
    par.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, n_jobs=2)
    assert {t.params["x"] for t in par.trials} == {0.0, 0.5, 1.0} and len(par.trials) <= 4
