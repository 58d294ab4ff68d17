"""The package on PostgreSQL (the shared throw-away cluster of scripts/test_pg.sh): two Study objects,
n_jobs=2, load, summaries, delete; unique study names keep runs apart."""
import threading

import pytest

import autoglm
from autoglm import TrialState
from autoglm import exceptions as exc


def objective(trial):
    x = trial.suggest_float("x", -3, 3)
    c = trial.suggest_categorical("c", ["a", "b"])
    trial.set_user_attr("c", c)
    return x * x + (c == "b")


def test_two_study_objects_share_a_postgres_study(pg_url, unique_name):
    a = autoglm.create_study(storage=pg_url, study_name=unique_name, sampler=autoglm.samplers.TPESampler(seed=0))
    b = autoglm.load_study(study_name=unique_name, storage=autoglm.storages.RDBStorage(pg_url))
    errors = []

    def run(study):
        try:
            study.optimize(objective, n_trials=10, n_jobs=2)
        except BaseException as e:  # noqa: B036
            errors.append(e)

    threads = [threading.Thread(target=run, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    trials = autoglm.load_study(study_name=unique_name, storage=pg_url).trials
    assert len(trials) == 20
    assert sorted(t.number for t in trials) == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        assert t.value == pytest.approx(t.params["x"] ** 2 + (t.params["c"] == "b"))
        assert t.user_attrs == {"c": t.params["c"]}
    assert a.best_value == b.best_value == min(t.value for t in trials)
    names = autoglm.get_all_study_names(pg_url)
    assert unique_name in names
    summary = [s for s in autoglm.get_all_study_summaries(pg_url) if s.study_name == unique_name][0]
    assert summary.n_trials == 20


def test_postgres_ask_tell_attrs_and_delete(pg_url, unique_name):
    s = autoglm.create_study(storage=pg_url, study_name=unique_name, directions=["minimize", "maximize"])
    s.set_user_attr("k", {"nested": [1, None]})
    t = s.ask()
    t.suggest_int("n", 1, 8, log=True)
    s.tell(t, [1.0, 2.0])
    s.enqueue_trial({"n": 4})
    again = autoglm.load_study(study_name=unique_name, storage=pg_url)
    assert again.user_attrs == {"k": {"nested": [1, None]}}
    assert [x.state for x in again.trials] == [TrialState.COMPLETE, TrialState.WAITING]
    assert again.trials[0].values == [1.0, 2.0]
    with pytest.raises(exc.DuplicatedStudyError):
        autoglm.create_study(storage=pg_url, study_name=unique_name)
    autoglm.delete_study(study_name=unique_name, storage=pg_url)
    assert unique_name not in autoglm.get_all_study_names(pg_url)
    with pytest.raises(KeyError):
        autoglm.load_study(study_name=unique_name, storage=pg_url)


def test_postgres_bad_url_is_storage_error(pg_url):
    bad = pg_url.rsplit("/", 1)[0] + "/no_such_database_xyz"
    with pytest.raises(exc.StorageError) as info:
        autoglm.create_study(storage=bad)
    # The password is not shown in the message.
    password = pg_url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert password not in str(info.value)
