"""enqueue_trial, add_trial(s), best_*, Pareto front, get_trials(states), trials_dataframe."""
import datetime
import sys

import pytest

import autoglm
from autoglm import TrialState
from autoglm.distributions import CategoricalDistribution, FloatDistribution, IntDistribution


def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    n = trial.suggest_int("n", 0, 3)
    c = trial.suggest_categorical("c", ["a", "b"])
    return x + n + (c == "b")


def test_enqueue_trial_params_used():
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))
    s.enqueue_trial({"x": 0.25, "n": 2, "c": "b"}, user_attrs={"source": "manual"})
    s.enqueue_trial({"x": 0.75})  # partial: n and c are sampled
    s.optimize(objective, n_trials=3)
    t0, t1, t2 = s.trials
    assert t0.params == {"x": 0.25, "n": 2, "c": "b"} and t0.value == 3.25
    assert t0.user_attrs == {"source": "manual"}
    assert t0.system_attrs["fixed_params"] == {"x": 0.25, "n": 2, "c": "b"}
    assert t1.params["x"] == 0.75 and t1.params["n"] in range(4) and t1.params["c"] in ("a", "b")
    assert "fixed_params" not in t2.system_attrs
    assert all(t.state == TrialState.COMPLETE for t in s.trials)


def test_enqueue_waiting_state_and_skip_if_exists(sqlite_url):
    s = autoglm.create_study(storage=sqlite_url, study_name="enq")
    s.enqueue_trial({"x": 0.5, "n": 1})
    assert [t.state for t in s.trials] == [TrialState.WAITING]
    s.enqueue_trial({"x": 0.5, "n": 1}, skip_if_exists=True)  # the WAITING one exists
    s.enqueue_trial({"x": 0.5, "n": 2}, skip_if_exists=True)
    assert len(s.trials) == 2
    s.optimize(objective, n_trials=2)
    s.enqueue_trial({"x": 0.5, "n": 1}, skip_if_exists=True)  # ran: still exists
    assert len(s.trials) == 2
    s.enqueue_trial({"x": 0.5, "n": 1})  # without skip_if_exists: enqueued again
    assert [t.state for t in s.trials] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.WAITING]
    # Another process (study object) takes the WAITING trial.
    other = autoglm.load_study(study_name="enq", storage=sqlite_url)
    other.optimize(objective, n_trials=1)
    assert s.trials[2].state == TrialState.COMPLETE and s.trials[2].params["n"] == 1


def test_enqueue_out_of_range_value_is_refused():
    s = autoglm.create_study()
    s.enqueue_trial({"c": "zzz"})
    with pytest.raises(ValueError, match="zzz"):
        s.optimize(objective, n_trials=1)


def test_add_trial_and_add_trials():
    s = autoglm.create_study()
    dists = {"x": FloatDistribution(0, 5), "c": CategoricalDistribution(["a", "b"]), "k": IntDistribution(1, 9, step=2)}
    s.add_trial(autoglm.create_trial(params={"x": 2.0, "c": "a", "k": 3}, distributions=dists, value=4.0,
                                     user_attrs={"u": 1}, system_attrs={"s": 2}, intermediate_values={1: 5.0, 2: 4.5}))
    s.add_trials([
        autoglm.create_trial(params={"x": 1.0}, distributions={"x": dists["x"]}, value=1.0),
        autoglm.create_trial(state=TrialState.FAIL),
        autoglm.create_trial(state=TrialState.PRUNED, params={"x": 3.0}, distributions={"x": dists["x"]},
                             intermediate_values={0: 7.0}, value=7.0),
        autoglm.create_trial(state=TrialState.WAITING, params={"x": 0.5}, distributions={"x": dists["x"]}),
    ])
    t = s.trials
    assert [x.number for x in t] == [0, 1, 2, 3, 4]
    assert [x.state for x in t] == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED,
                                    TrialState.WAITING]
    assert t[0].params == {"x": 2.0, "c": "a", "k": 3} and t[0].distributions == dists
    assert t[0].user_attrs == {"u": 1} and t[0].system_attrs["s"] == 2
    assert t[0].intermediate_values == {1: 5.0, 2: 4.5}
    assert isinstance(t[0].datetime_start, datetime.datetime) and t[0].datetime_complete is not None
    assert t[4].datetime_start is None
    assert s.best_trial.number == 1 and s.best_value == 1.0 and s.best_params == {"x": 1.0}
    # The WAITING trial runs next with its parameters.
    s.optimize(lambda tr: tr.suggest_float("x", 0, 5), n_trials=1)
    assert s.trials[4].state == TrialState.COMPLETE and s.trials[4].value == 0.5
    assert s.best_trial.number == 4


def test_create_trial_validation():
    d = {"x": FloatDistribution(0, 5)}
    with pytest.raises(ValueError):
        autoglm.create_trial(params={"x": 9.0}, distributions=d, value=1.0)
    with pytest.raises(ValueError):
        autoglm.create_trial(value=float("nan"))
    with pytest.raises(ValueError):
        autoglm.create_trial()  # COMPLETE without a value
    with pytest.raises(ValueError):
        autoglm.create_trial(params={"x": 1.0}, value=1.0)  # no distribution
    with pytest.raises(ValueError):
        autoglm.create_trial(value=1.0, values=[1.0])
    m = autoglm.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError):
        m.add_trial(autoglm.create_trial(value=1.0))  # one value for two objectives
    m.add_trial(autoglm.create_trial(values=[1.0, 2.0]))
    assert m.trials[0].values == [1.0, 2.0]


def test_best_errors():
    s = autoglm.create_study()
    with pytest.raises(ValueError):
        s.best_trial
    with pytest.raises(ValueError):
        s.best_value
    with pytest.raises(ValueError):
        s.best_params
    s.optimize(lambda t: float("nan"), n_trials=2)
    with pytest.raises(ValueError):
        s.best_trial
    assert s.best_trials == []
    m = autoglm.create_study(directions=["minimize", "maximize"])
    m.optimize(lambda t: (1.0, 2.0), n_trials=1)
    with pytest.raises(RuntimeError):
        m.best_trial
    with pytest.raises(RuntimeError):
        m.best_value
    with pytest.raises(RuntimeError):
        m.best_params


def test_best_value_maximize():
    s = autoglm.create_study(direction="maximize", sampler=autoglm.samplers.RandomSampler(seed=2))
    s.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=20)
    assert s.best_value == max(t.value for t in s.trials)
    assert [t.number for t in s.best_trials] == [s.best_trial.number]


def non_dominated(trials, directions):
    sign = [1 if d == autoglm.StudyDirection.MINIMIZE else -1 for d in directions]
    pts = {t.number: [s * v for s, v in zip(sign, t.values)] for t in trials}

    def dominates(a, b):
        return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))

    return sorted(n for n, p in pts.items() if not any(dominates(q, p) for m, q in pts.items() if m != n))


@pytest.mark.parametrize("directions", [["minimize", "maximize"], ["minimize", "minimize", "maximize"]])
def test_best_trials_is_the_pareto_front(directions):
    m = autoglm.create_study(directions=directions, sampler=autoglm.samplers.RandomSampler(seed=5))

    def obj(t):
        x, y = t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)
        vals = [x, (1 - x) ** 2 + y, y * x]
        return [round(v, 1) for v in vals[:len(directions)]]  # rounding makes ties and duplicates

    m.optimize(obj, n_trials=60)
    m.optimize(lambda t: float("nan"), n_trials=2)  # FAIL trials are ignored
    complete = m.get_trials(states=[TrialState.COMPLETE])
    front = [t.number for t in m.best_trials]
    assert front == non_dominated(complete, m.directions)
    assert 1 <= len(front) < len(complete)


def test_get_trials_by_state():
    s = autoglm.create_study()

    def obj(t):
        if t.number % 3 == 1:
            raise autoglm.TrialPruned()
        if t.number % 3 == 2:
            return float("nan")
        return 1.0

    s.optimize(obj, n_trials=9)
    s.enqueue_trial({})
    s.ask()
    s.enqueue_trial({})
    by = lambda *st: [t.number for t in s.get_trials(states=st)]  # noqa: E731
    assert by(TrialState.COMPLETE) == [0, 3, 6]
    assert by(TrialState.PRUNED) == [1, 4, 7]
    assert by(TrialState.FAIL) == [2, 5, 8]
    assert by(TrialState.RUNNING) == [9]
    assert by(TrialState.WAITING) == [10]
    assert by(TrialState.COMPLETE, TrialState.PRUNED) == [0, 1, 3, 4, 6, 7]
    assert [t.number for t in s.get_trials(deepcopy=False)] == list(range(11))
    assert len(s.trials) == 11
    # Fresh copies: changing one does not change the study.
    got = s.trials[0]
    got.user_attrs["x"] = 1
    assert s.trials[0].user_attrs == {}


def make_dataframe_study(lib, directions=None):
    """A study of the same shape built with autoglm or optuna: the same parameters, attrs and states."""
    s = lib.create_study(directions=directions) if directions else lib.create_study()
    n_obj = len(directions) if directions else 1
    rows = [({"x": 0.5, "c": "a"}, {"k": "v"}, 1.0), ({"x": 0.25}, {}, 2.0), ({"x": 0.75, "c": "b"}, {"n": 3}, None)]
    for params, attrs, value in rows:
        t = s.ask()
        for name, v in params.items():
            if name == "x":
                t.suggest_float("x", 0, 1)
            else:
                t.suggest_categorical("c", ["a", "b"])
        for k, v in attrs.items():
            t.set_user_attr(k, v)
        if value is None:
            s.tell(t, state=lib.trial.TrialState.FAIL)
        else:
            s.tell(t, [value + i for i in range(n_obj)] if n_obj > 1 else value)
    return s


def strip_system(cols):
    return [c for c in cols if not (c[0] if isinstance(c, tuple) else c).startswith("system_attrs")]


@pytest.mark.parametrize("directions", [None, ["minimize", "maximize"]])
@pytest.mark.parametrize("multi_index", [False, True])
def test_trials_dataframe_columns_match_optuna(directions, multi_index):
    optuna = pytest.importorskip("optuna", reason="python3-optuna (reference behaviour) is not installed")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ours = make_dataframe_study(autoglm, directions).trials_dataframe(multi_index=multi_index)
    theirs = make_dataframe_study(optuna, directions).trials_dataframe(multi_index=multi_index)
    assert strip_system(list(ours.columns)) == strip_system(list(theirs.columns))
    assert len(ours) == len(theirs) == 3
    for attrs in [("number", "value", "state"), ("number", "values", "params"), ("params", "user_attrs")]:
        a = make_dataframe_study(autoglm, directions).trials_dataframe(attrs=attrs, multi_index=multi_index)
        b = make_dataframe_study(optuna, directions).trials_dataframe(attrs=attrs, multi_index=multi_index)
        assert list(a.columns) == list(b.columns), attrs


def test_trials_dataframe_values():
    pd = pytest.importorskip("pandas", reason="python3-pandas is not installed")
    s = make_dataframe_study(autoglm)
    df = s.trials_dataframe()
    assert list(df["number"]) == [0, 1, 2]
    assert list(df["state"]) == ["COMPLETE", "COMPLETE", "FAIL"]
    assert df["value"][0] == 1.0 and df["value"][1] == 2.0 and pd.isna(df["value"][2])
    assert list(df["params_x"]) == [t.params["x"] for t in s.trials]
    assert df["params_c"][0] == s.trials[0].params["c"] and pd.isna(df["params_c"][1])
    assert df["user_attrs_k"][0] == "v" and df["user_attrs_n"][2] == 3
    assert df["duration"][0] == s.trials[0].duration
    assert df["datetime_start"][0] == pd.Timestamp(s.trials[0].datetime_start)
    m = make_dataframe_study(autoglm, ["minimize", "maximize"])
    dfm = m.trials_dataframe()
    assert list(dfm["values_0"][:2]) == [1.0, 2.0] and list(dfm["values_1"][:2]) == [2.0, 3.0]
    mi = m.trials_dataframe(multi_index=True)
    assert mi[("values", 1)][0] == 2.0 and mi[("params", "x")][1] == m.trials[1].params["x"]
    empty = autoglm.create_study().trials_dataframe()
    assert len(empty) == 0 and list(empty.columns) == []


def test_trials_dataframe_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    s = autoglm.create_study()
    with pytest.raises(ImportError, match="pandas"):
        s.trials_dataframe()


def test_add_trial_datetimes_round_trip(sqlite_url):
    s = autoglm.create_study(storage=sqlite_url, study_name="dt")
    start = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)
    t = autoglm.create_trial(value=1.0)
    t.datetime_start, t.datetime_complete = start, start + datetime.timedelta(seconds=1.5)
    s.add_trial(t)
    got = s.trials[0]
    assert got.datetime_start == start and got.duration == datetime.timedelta(seconds=1.5)
    # An aware datetime is stored as the same instant (returned naive, local time).
    aware = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=5)))
    t = autoglm.create_trial(value=2.0)
    t.datetime_start, t.datetime_complete = aware, aware + datetime.timedelta(seconds=2)
    s.add_trial(t)
    got = s.trials[1]
    assert got.datetime_start == aware.astimezone().replace(tzinfo=None)
    assert got.duration == datetime.timedelta(seconds=2)


def test_frozen_trial_equality_and_order():
    s = autoglm.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    a, b = s.trials
    assert a == s.trials[0] and a != b
    assert a < b and a <= b and sorted([b, a]) == [a, b]
    assert "FrozenTrial(number=0" in repr(a)


def test_add_trials_from_an_optuna_study(sqlite_url):
    """The migration path the package documents: Optuna's trials added with Study.add_trials."""
    optuna = pytest.importorskip("optuna", reason="python3-optuna (reference behaviour) is not installed")
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    source = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(t):
        t.set_user_attr("u", [1, "a"])
        t.report(3.0, 1)
        x = t.suggest_float("x", 0, 1, step=0.25)
        n = t.suggest_int("n", 1, 8, log=True)
        c = t.suggest_categorical("c", ["a", None, 2])
        lr = t.suggest_float("lr", 1e-4, 1e-1, log=True)
        if t.number == 2:
            raise optuna.TrialPruned()
        if t.number == 3:
            raise ValueError("fails")
        return x + n + (c is None) + lr

    source.optimize(objective, n_trials=8, catch=(ValueError,))
    target = autoglm.create_study(storage=sqlite_url, study_name="migrated", direction="maximize")
    target.add_trials(source.trials)
    got = target.trials

    def facts(ts):
        return [(t.number, t.state.name, t.values, t.params, t.user_attrs, t.intermediate_values) for t in ts]

    assert facts(got) == facts(source.trials)
    assert got[0].distributions == {
        "x": FloatDistribution(0, 1, step=0.25), "n": IntDistribution(1, 8, log=True),
        "c": CategoricalDistribution(["a", None, 2]), "lr": FloatDistribution(1e-4, 1e-1, log=True)}
    assert target.best_value == source.best_value and target.best_params == source.best_params
    # The migrated study goes on in autoglm, its sampler learning from the imported trials.
    target.optimize(lambda t: objective(t) if t.number != 3 else 0.0, n_trials=2)
    assert len(target.trials) == 10


def test_trials_are_read_incrementally_and_see_other_writers(tmp_path):
    url = f"sqlite:///{tmp_path / 'inc.db'}"
    a = autoglm.create_study(storage=url, study_name="inc", sampler=autoglm.samplers.RandomSampler(seed=0))
    b = autoglm.load_study(storage=url, study_name="inc")
    a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert len(b.trials) == 3
    running = b.ask()  # RUNNING, seen by both
    b.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in a.trials] == [0, 1, 2, 3, 4, 5]
    assert a.trials[3].state == TrialState.RUNNING
    b.tell(running, 0.5)  # finished by the other object: the cached view of `a` follows
    assert a.trials[3].state == TrialState.COMPLETE and a.trials[3].value == 0.5
    assert [t.number for t in a.get_trials(states=(TrialState.RUNNING,))] == []
    # deepcopy=True (default): modifying a returned trial does not change later answers.
    first = a.trials[0]
    first.params["x"] = 42.0
    first.user_attrs["k"] = 1
    assert a.trials[0].params["x"] != 42.0 and "k" not in a.trials[0].user_attrs
    assert a.get_trials(deepcopy=False)[0] is a.get_trials(deepcopy=False)[0]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(intermediate_values={"a": 1.0}), TypeError, "`intermediate_values` steps must be ints, got str"),
    (dict(intermediate_values={0.5: 1.0}), TypeError, "`intermediate_values` steps must be ints, got float"),
    (dict(intermediate_values={0: None}), TypeError, "`intermediate_values` values must be numbers, got NoneType"),
    (dict(intermediate_values={0: "1.0"}), TypeError, "`intermediate_values` values must be numbers, got str"),
    (dict(system_attrs={1: "x"}), TypeError, "`system_attrs` keys must be str, got int"),
    (dict(user_attrs={("a", "b"): 1}), TypeError, "`user_attrs` keys must be str, got tuple"),
    (dict(user_attrs={"\udc80": 1}), ValueError, "`user_attrs key` .* lone surrogate"),
])
def test_create_trial_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        autoglm.trial.create_trial(value=1.0, **kwargs)


def test_add_trial_normalizes_intermediate_values():
    import numpy as np
    study = autoglm.create_study()
    study.add_trial(autoglm.trial.create_trial(value=1.0, intermediate_values={np.int64(2): np.float32(0.5), 3: 1}))
    assert study.trials[0].intermediate_values == {2: 0.5, 3: 1.0}


@pytest.mark.parametrize("start, complete, field", [
    (datetime.datetime(1, 1, 1), datetime.datetime(1, 1, 2), "datetime_start"),
    (datetime.datetime(2020, 1, 1), datetime.datetime(9999, 12, 31), "datetime_complete"),
    (datetime.datetime(2020, 1, 1), datetime.datetime.max, "datetime_complete"),
    (datetime.datetime(2020, 1, 1), datetime.datetime.max.replace(tzinfo=datetime.timezone.utc), "datetime_complete"),
    ("2020-01-01", None, "datetime_start"),
])
def test_add_trial_refuses_datetimes_out_of_range(start, complete, field):
    study = autoglm.create_study()
    t = autoglm.trial.create_trial(value=1.0)
    t.datetime_start, t.datetime_complete = start, complete
    with pytest.raises((ValueError, TypeError), match=field):
        study.add_trial(t)
    assert study.trials == []
    t.datetime_start = datetime.datetime(1700, 1, 1)
    t.datetime_complete = datetime.datetime(2200, 1, 1)
    study.add_trial(t)
    assert (study.trials[0].datetime_start, study.trials[0].datetime_complete) == (t.datetime_start, t.datetime_complete)


def test_add_trials_takes_a_generator_and_skips_nothing():
    study = autoglm.create_study()
    study.add_trials(autoglm.trial.create_trial(value=float(i)) for i in range(3))
    assert [t.value for t in study.trials] == [0.0, 1.0, 2.0]


def test_snapshots_have_no_holes_and_copies_are_deep():
    study = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))
    # A trial told by number while optimize runs it is refused (optimize tells it).
    def tells_by_number(trial):
        study.tell(trial.number, 5.0)
        return 1.0

    with pytest.raises(RuntimeError, match="is run by optimize"):
        study.optimize(tells_by_number, n_trials=1)
    # Nested attr values and distributions of returned trials cannot leak into later answers.
    def objective(trial):
        trial.set_user_attr("history", [1, 2])
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    t = study.trials[-1]
    t.user_attrs["history"].append(3)
    assert study.trials[-1].user_attrs["history"] == [1, 2]
    with pytest.raises(AttributeError, match="immutable"):
        t.distributions["x"].low = 0.5
    # Numbers in a snapshot are 0..n-1 without holes, even while trials start concurrently.
    import threading
    stop = threading.Event()
    holes = []

    def poll():
        while not stop.is_set():
            numbers = [x.number for x in study.trials]
            if numbers != list(range(len(numbers))):
                holes.append(numbers)

    poller = threading.Thread(target=poll)
    poller.start()
    study.optimize(lambda tr: tr.suggest_float("x", 0, 1), n_trials=150, n_jobs=2)
    stop.set()
    poller.join()
    assert holes == []
