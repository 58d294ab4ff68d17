"""create_study / load_study / delete_study / summaries / names / copy_study over every kind of storage."""
import datetime
import os

import pytest

import autoglm
from autoglm import exceptions as exc
from autoglm.storages import InMemoryStorage, RDBStorage
from autoglm.study import StudyDirection


def quad(trial):
    x = trial.suggest_float("x", -5, 5)
    return (x - 2) ** 2


STORAGE_KINDS = ["none", "memory-url", "sqlite-url", "rdb", "inmemory"]


def make_storage(kind, tmp_path):
    if kind == "none":
        return None
    if kind == "memory-url":
        return ":memory:"
    if kind == "sqlite-url":
        return f"sqlite:///{tmp_path / 'a.db'}"
    if kind == "rdb":
        return RDBStorage(f"sqlite:///{tmp_path / 'b.db'}")
    return InMemoryStorage()


@pytest.mark.parametrize("kind", STORAGE_KINDS)
def test_create_optimize_and_results(kind, tmp_path):
    storage = make_storage(kind, tmp_path)
    study = autoglm.create_study(storage=storage, study_name="s1", sampler=autoglm.samplers.RandomSampler(seed=1))
    assert study.study_name == "s1"
    assert study.direction == StudyDirection.MINIMIZE
    assert study.directions == [StudyDirection.MINIMIZE]
    study.optimize(quad, n_trials=7)
    trials = study.trials
    assert [t.number for t in trials] == list(range(7))
    assert all(t.state == autoglm.TrialState.COMPLETE for t in trials)
    for t in trials:
        assert t.value == pytest.approx((t.params["x"] - 2) ** 2)
        assert -5 <= t.params["x"] <= 5
        assert isinstance(t.datetime_start, datetime.datetime) and t.datetime_complete >= t.datetime_start
    best = min(trials, key=lambda t: t.value)
    assert study.best_trial.number == best.number
    assert study.best_value == best.value
    assert study.best_params == best.params


@pytest.mark.parametrize("kind", ["sqlite-url", "rdb", "inmemory"])
def test_load_study_shares_trials(kind, tmp_path):
    storage = make_storage(kind, tmp_path)
    a = autoglm.create_study(storage=storage, study_name="shared", direction="maximize")
    a.optimize(quad, n_trials=3)
    b = autoglm.load_study(study_name="shared", storage=storage)
    assert b.direction == StudyDirection.MAXIMIZE
    assert [t.params for t in b.trials] == [t.params for t in a.trials]
    b.optimize(quad, n_trials=2)
    assert len(a.trials) == 5
    assert autoglm.get_all_study_names(storage) == ["shared"]


def test_memory_url_is_private_per_call():
    autoglm.create_study(storage=":memory:", study_name="m")
    # A new ":memory:" string opens a new, empty storage.
    with pytest.raises(KeyError):
        autoglm.load_study(study_name="m", storage=":memory:")


def test_generated_study_name_is_unique():
    a, b = autoglm.create_study(), autoglm.create_study()
    assert a.study_name and b.study_name and a.study_name != b.study_name


def test_direction_and_directions_validation():
    with pytest.raises(ValueError):
        autoglm.create_study(direction="minimize", directions=["minimize"])
    for bad in ("up", "MIN", 3, StudyDirection.NOT_SET):
        with pytest.raises(ValueError):
            autoglm.create_study(direction=bad)
    with pytest.raises(ValueError):
        autoglm.create_study(directions=["minimize", "sideways"])
    with pytest.raises(ValueError, match="greater than 0"):
        autoglm.create_study(directions=[])
    s = autoglm.create_study(direction=StudyDirection.MAXIMIZE)
    assert s.direction == StudyDirection.MAXIMIZE
    m = autoglm.create_study(directions=["minimize", StudyDirection.MAXIMIZE, "MAXIMIZE"])
    assert m.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE, StudyDirection.MAXIMIZE]
    with pytest.raises(RuntimeError):
        m.direction


def test_duplicate_and_load_if_exists(sqlite_url):
    a = autoglm.create_study(storage=sqlite_url, study_name="dup")
    a.optimize(quad, n_trials=2)
    with pytest.raises(exc.DuplicatedStudyError, match="dup"):
        autoglm.create_study(storage=sqlite_url, study_name="dup")
    # Optuna's class name is importable too.
    assert issubclass(exc.DuplicatedStudyError, exc.AutoGLMError)
    b = autoglm.create_study(storage=sqlite_url, study_name="dup", load_if_exists=True)
    assert len(b.trials) == 2
    # An existing study's directions cannot change on load_if_exists.
    with pytest.raises(exc.ConfigError):
        autoglm.create_study(storage=sqlite_url, study_name="dup", direction="maximize", load_if_exists=True)
    # Given no direction, load_if_exists keeps the stored ones (Optuna 3.1 loads the study as it is).
    autoglm.create_study(storage=sqlite_url, study_name="mo", directions=["minimize", "maximize"])
    mo = autoglm.create_study(storage=sqlite_url, study_name="mo", load_if_exists=True)
    assert mo.directions == [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE]
    assert isinstance(mo.sampler, autoglm.samplers.NSGAIISampler)
    autoglm.create_study(storage=sqlite_url, study_name="max", direction="maximize")
    assert autoglm.create_study(storage=sqlite_url, study_name="max",
                                load_if_exists=True).direction == StudyDirection.MAXIMIZE
    assert autoglm.create_study(storage=sqlite_url, study_name="new-one",
                                load_if_exists=True).direction == StudyDirection.MINIMIZE


def test_load_missing_study_is_keyerror_with_engine_message(sqlite_url):
    autoglm.create_study(storage=sqlite_url, study_name="present")
    with pytest.raises(KeyError) as info:
        autoglm.load_study(study_name="absent", storage=sqlite_url)
    e = info.value
    assert isinstance(e, exc.NotFoundError) and isinstance(e, exc.StorageError)
    msg = str(e)
    # The engine's message, unquoted (KeyError would add quotes).
    assert msg == e.args[0]
    assert not msg.startswith("'")
    assert msg.startswith("no study named 'absent' in ") and sqlite_url in msg
    # Exactly what the engine (the C++ storage) says, as the extension module raises it.
    with pytest.raises(exc.NotFoundError) as raw:
        autoglm._core.open_storage(sqlite_url).delete_study("absent")
    assert str(raw.value) == msg
    # The same text reaches Python from the engine for every entry point.
    with pytest.raises(KeyError) as info2:
        autoglm.delete_study(study_name="absent", storage=sqlite_url)
    assert str(info2.value) == msg


def test_load_study_name_none(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    autoglm.create_study(storage=url, study_name="only").optimize(quad, n_trials=1)
    s = autoglm.load_study(study_name=None, storage=url)
    assert s.study_name == "only" and len(s.trials) == 1
    autoglm.create_study(storage=url, study_name="second")
    with pytest.raises(ValueError):
        autoglm.load_study(study_name=None, storage=url)
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(ValueError):
        autoglm.load_study(study_name=None, storage=empty)


def test_delete_study(sqlite_url):
    autoglm.create_study(storage=sqlite_url, study_name="a").optimize(quad, n_trials=2)
    autoglm.create_study(storage=sqlite_url, study_name="b")
    autoglm.delete_study(study_name="a", storage=sqlite_url)
    assert autoglm.get_all_study_names(sqlite_url) == ["b"]
    with pytest.raises(KeyError):
        autoglm.load_study(study_name="a", storage=sqlite_url)
    # The name can be reused, with no trial left from before.
    again = autoglm.create_study(storage=sqlite_url, study_name="a")
    assert again.trials == []


def test_study_summaries(sqlite_url):
    s = autoglm.create_study(storage=sqlite_url, study_name="sum", sampler=autoglm.samplers.RandomSampler(seed=0))
    s.optimize(quad, n_trials=4)
    s.set_user_attr("owner", "me")
    m = autoglm.create_study(storage=sqlite_url, study_name="multi", directions=["minimize", "maximize"])
    summaries = {x.study_name: x for x in autoglm.get_all_study_summaries(sqlite_url)}
    assert set(summaries) == {"sum", "multi"}
    one = summaries["sum"]
    assert one.n_trials == 4
    assert one.direction == StudyDirection.MINIMIZE and one.directions == [StudyDirection.MINIMIZE]
    assert one.user_attrs == {"owner": "me"}
    assert one.best_trial.number == s.best_trial.number and one.best_trial.value == s.best_value
    assert isinstance(one.datetime_start, datetime.datetime)
    assert one._study_id == s._study_id
    two = summaries["multi"]
    assert two.n_trials == 0 and two.best_trial is None and two.direction == StudyDirection.NOT_SET
    assert two.directions == m.directions
    without = autoglm.get_all_study_summaries(sqlite_url, include_best_trial=False)
    assert all(x.best_trial is None for x in without)


def test_copy_study_between_storages(tmp_path):
    src = InMemoryStorage()
    a = autoglm.create_study(storage=src, study_name="orig", directions=["minimize", "maximize"])

    def two(trial):
        x = trial.suggest_float("x", 0, 1)
        c = trial.suggest_categorical("c", ["p", "q"])
        trial.set_user_attr("c_was", c)
        if trial.number == 2:
            raise autoglm.TrialPruned()
        return x, x * 2

    a.optimize(two, n_trials=5)
    a.set_user_attr("note", {"k": [1, 2]})
    a.set_system_attr("sys", "copied too")  # as Optuna's copy_study
    dst = f"sqlite:///{tmp_path / 'copy.db'}"
    autoglm.copy_study(from_study_name="orig", from_storage=src, to_storage=dst)
    autoglm.copy_study(from_study_name="orig", from_storage=src, to_storage=dst, to_study_name="renamed")
    for name in ("orig", "renamed"):
        b = autoglm.load_study(study_name=name, storage=dst)
        assert b.directions == a.directions
        assert b.user_attrs == {"note": {"k": [1, 2]}}
        assert b.system_attrs["sys"] == "copied too"
        assert [(t.state, t.values, t.params, t.user_attrs) for t in b.trials] == \
               [(t.state, t.values, t.params, t.user_attrs) for t in a.trials]


def test_storage_argument_errors(tmp_path):
    with pytest.raises(TypeError):
        autoglm.create_study(storage=42)
    # Engine messages, unchanged: unknown scheme -> ConfigError (a ValueError).
    with pytest.raises(exc.ConfigError) as info:
        autoglm.create_study(storage="mysql://user@host/db")
    assert isinstance(info.value, ValueError)
    assert "unsupported scheme 'mysql'" in str(info.value)
    # A folder that does not exist: StorageError naming the path.
    missing = tmp_path / "no" / "such" / "dir"
    with pytest.raises(exc.StorageError) as info:
        autoglm.create_study(storage=f"sqlite:///{missing}/x.db")
    assert str(missing) in str(info.value)
    with pytest.raises(exc.StorageError):
        RDBStorage(f"sqlite:///{missing}/x.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_unwritable_sqlite_path(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(exc.StorageError):
            autoglm.create_study(storage=f"sqlite:///{ro}/x.db")
    finally:
        ro.chmod(0o700)


def test_unwritable_sqlite_file_is_storage_error(tmp_path):
    # A path whose parent is a regular file cannot be a database, whoever runs the test.
    parent = tmp_path / "plainfile"
    parent.write_text("not a directory")
    with pytest.raises(exc.StorageError) as info:
        autoglm.create_study(storage=f"sqlite:///{parent}/x.db")
    assert str(parent) in str(info.value)
    # A file that is not a SQLite database.
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 200)
    with pytest.raises(exc.StorageError):
        autoglm.create_study(storage=f"sqlite:///{junk}")


def test_rdbstorage_options_validation(sqlite_url):
    with pytest.raises(ValueError):
        RDBStorage(sqlite_url, heartbeat_interval=0)
    with pytest.raises(ValueError):
        RDBStorage(sqlite_url, heartbeat_interval=1, grace_period=-1)
    with pytest.raises(ValueError):
        RDBStorage(sqlite_url, failed_trial_callback=lambda study, trial: None)
    with pytest.raises(ValueError):
        autoglm.storages.RetryFailedTrialCallback(inherit_intermediate_values=True)
    st = RDBStorage(sqlite_url, heartbeat_interval=1)
    assert st.url == sqlite_url
    assert autoglm.storages.get_storage(sqlite_url).url == sqlite_url
    assert isinstance(autoglm.storages.get_storage(None), InMemoryStorage)


def test_study_user_and_system_attrs(sqlite_url):
    s = autoglm.create_study(storage=sqlite_url, study_name="attrs")
    s.set_user_attr("n", 3)
    s.set_user_attr("nested", {"a": [1, 2.5, None, True, "x"]})
    s.set_system_attr("sys", "v")
    with pytest.raises(exc.ConfigError, match="'bad'"):
        s.set_user_attr("bad", object())
    again = autoglm.load_study(study_name="attrs", storage=sqlite_url)
    assert again.user_attrs == {"n": 3, "nested": {"a": [1, 2.5, None, True, "x"]}}
    assert again.system_attrs["sys"] == "v"


def test_type_checks_of_sampler_and_pruner():
    with pytest.raises(TypeError):
        autoglm.create_study(sampler=object())
    with pytest.raises(TypeError):
        autoglm.create_study(pruner=object())
    s = autoglm.create_study()
    assert isinstance(s.sampler, autoglm.samplers.TPESampler)
    assert isinstance(s.pruner, autoglm.pruners.MedianPruner)
    m = autoglm.create_study(directions=["minimize", "minimize"])
    assert isinstance(m.sampler, autoglm.samplers.NSGAIISampler)
    assert isinstance(m.pruner, autoglm.pruners.NopPruner)
    with pytest.raises(exc.ConfigError, match="multi-objective"):
        autoglm.create_study(directions=["minimize", "minimize"], pruner=autoglm.pruners.MedianPruner())


def test_processes_share_a_sqlite_study(tmp_path):
    """Three processes (n_jobs=2 each) on one SQLite study: every trial numbered once, none lost."""
    import subprocess
    import sys

    from conftest import child_env

    url = f"sqlite:///{tmp_path / 'mp.db'}"
    code = ("import autoglm, sys\n"
            "s = autoglm.create_study(storage=sys.argv[1], study_name='mp', load_if_exists=True)\n"
            "s.optimize(lambda t: t.suggest_float('x', 0, 1) ** 2, n_trials=10, n_jobs=2)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, url], env=child_env(), stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    s = autoglm.load_study(study_name="mp", storage=url)
    assert sorted(t.number for t in s.trials) == list(range(30))
    assert all(t.state == autoglm.TrialState.COMPLETE for t in s.trials)
    assert len({t.system_attrs["worker.pid"] for t in s.trials}) == 3


def test_relative_sqlite_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    autoglm.create_study(storage="plain.db", study_name="a").optimize(quad, n_trials=1)
    autoglm.create_study(storage="sqlite:///url.db", study_name="b")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == ["plain.db", "url.db"]
    # Both spellings name the same file.
    assert autoglm.get_all_study_names("sqlite:///plain.db") == ["a"]
    assert autoglm.get_all_study_names(str(tmp_path / "url.db")) == ["b"]
    assert len(autoglm.load_study(study_name="a", storage=f"sqlite:///{tmp_path}/plain.db").trials) == 1


def test_exception_classes_match_optuna_hierarchy():
    import warnings

    assert issubclass(exc.ConfigError, ValueError)
    assert issubclass(exc.NotFoundError, KeyError)
    assert issubclass(exc.UpdateFinishedTrialError, RuntimeError) and issubclass(exc.UpdateFinishedTrialError,
                                                                                ValueError)
    assert exc.OptunaError is exc.AutoGLMError and exc.StorageInternalError is exc.StorageError
    assert issubclass(exc.TrialPruned, exc.OptunaError)
    # Scripts written for Optuna filter its experimental warnings.
    assert issubclass(exc.ExperimentalWarning, Warning)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=exc.ExperimentalWarning)
    err = exc.NotFoundError("no study named 'x'")
    assert str(err) == "no study named 'x'"  # not quoted as KeyError would


def test_rdbstorage_and_retry_callback_refuse_bad_numbers(sqlite_url):
    with pytest.raises(ValueError, match=r"max_retry must be >= 0 \(or None for no limit\), got -1"):
        autoglm.storages.RetryFailedTrialCallback(max_retry=-1)
    with pytest.raises(TypeError, match="max_retry"):
        autoglm.storages.RetryFailedTrialCallback(max_retry=1.5)
    assert autoglm.storages.RetryFailedTrialCallback(max_retry=0)._max_retry == 0
    for kw in (dict(heartbeat_interval=float("nan")), dict(heartbeat_interval=1, grace_period=float("nan")),
               dict(heartbeat_interval=float("inf")), dict(heartbeat_interval="5")):
        with pytest.raises(ValueError, match="heartbeat_interval" if "grace_period" not in kw else "grace_period"):
            RDBStorage(sqlite_url, **kw)


def test_sampler_seed_range():
    import numpy as np
    for seed in (-1, 2**64, -2**70):
        with pytest.raises(ValueError, match="option 'seed' must be an integer in 0 .. 2"):
            autoglm.samplers.TPESampler(seed=seed)
    autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=np.int64(5)))
    assert autoglm.samplers.RandomSampler(seed=np.uint8(7))._spec()["seed"] == 7
