"""Trials, as ``optuna.trial`` (Optuna 3.1): the define-by-run ``Trial`` an objective receives,
the immutable ``FrozenTrial`` snapshot, ``TrialState``, ``create_trial`` and ``FixedTrial``.

A ``Trial`` wraps a C++ trial: each ``suggest_*`` asks the study's sampler (in C++, without the
GIL) and records the parameter in storage at once. A ``Trial`` given to an objective by
``Study.optimize`` is valid while the objective runs; afterwards its read-only attributes (number,
params, ...) still work but suggesting or reporting raises RuntimeError. Calls on one ``Trial``
from several threads are serialized (the C++ trial is not thread-safe), and a call still running
when the objective returns completes before the C++ trial goes away.
"""
import datetime as _datetime
import enum as _enum
import math as _math
import threading as _threading
import warnings as _warnings

from . import distributions as _dists


class TrialState(_enum.Enum):
    """Life cycle: WAITING (enqueued) -> RUNNING -> COMPLETE | PRUNED | FAIL (Optuna's values)."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self):
        return f"TrialState.{self.name}"

    def is_finished(self):
        return self not in (TrialState.RUNNING, TrialState.WAITING)


def _dist_dicts(distributions):
    return {name: d._asdict() for name, d in distributions.items()}


class _FinishedCore:
    """Stands in for the C++ trial once the objective returned (the C++ object is gone)."""

    def __init__(self, number):
        self._number = number

    def __getattr__(self, name):
        raise RuntimeError(
            f"trial {self._number} has finished: suggest_*, report, should_prune and set_*_attr work only "
            "while its objective runs (use study.trials[number] to read it)")


class Trial:
    """The trial an objective receives (``optuna.trial.Trial``).

    Attributes: ``number`` (0-based within the study), ``study``, ``params`` (external values
    suggested so far), ``distributions``, ``user_attrs``, ``system_attrs``, ``datetime_start``.
    Every method may raise ``autoglm.exceptions.ConfigError`` (a ValueError) with the engine's
    message, e.g. for an invalid range or a distribution that changed within the trial.
    """

    def __init__(self, study, core):
        self.study = study
        # _lock is held around every call into _core, and by _finish while it swaps in the
        # sentinel: a call from another thread cannot use the C++ trial after it is destroyed.
        # Reentrant: converting an argument may run Python code that uses this trial again.
        self._lock = _threading.RLock()
        self._core = core
        self._number = core.number
        self._trial_id = core.trial_id
        self._multi = len(study._directions) > 1

    @property
    def number(self):
        return self._number

    # ---- suggest ----
    def suggest_float(self, name, low, high, *, step=None, log=False):
        """A float in [low, high]; ``log``: sampled in log space; ``step``: on the grid low + k*step
        (a step that does not divide the range lowers ``high`` to the grid, with a warning, as Optuna)."""
        _check_name(name)
        low, high = float(low), float(high)
        if step is not None:
            step = float(step)
            if not log and 0 < step and low <= high:
                high = float(_dists._adjust_discrete_high(low, high, step))
        log = bool(log)
        with self._lock:
            return self._core.suggest_float(name, low, high, step, log)

    def suggest_int(self, name, low, high, step=1, log=False):
        """An int in [low, high] (inclusive), on the grid low + k*step; ``log`` needs step 1."""
        _check_name(name)
        low, high, step = _as_int(low, "low"), _as_int(high, "high"), _as_int(step, "step")
        if step > 1 and low <= high:
            high = _dists._adjust_discrete_high(low, high, step)
        log = bool(log)
        with self._lock:
            return self._core.suggest_int(name, low, high, step, log)

    def suggest_categorical(self, name, choices):
        """One of ``choices`` (a sequence of None / bool / int / float / str)."""
        _check_name(name)
        choices = list(choices)
        with self._lock:
            return self._core.suggest_categorical(name, choices)

    def suggest_uniform(self, name, low, high):
        """Deprecated in Optuna 3: ``suggest_float(name, low, high)``."""
        _deprecated("suggest_uniform")
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name, low, high):
        """Deprecated in Optuna 3: ``suggest_float(name, low, high, log=True)``."""
        _deprecated("suggest_loguniform")
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name, low, high, q):
        """Deprecated in Optuna 3: ``suggest_float(name, low, high, step=q)``."""
        _deprecated("suggest_discrete_uniform")
        return self.suggest_float(name, low, high, step=q)

    def _suggest(self, name, distribution):
        _check_name(name)
        d = distribution._asdict()
        with self._lock:
            return self._core.suggest(name, d)

    # ---- pruning ----
    def report(self, value, step):
        """Records intermediate ``value`` at ``step`` (>= 0); a repeated step keeps the first value.

        Raises NotImplementedError in a multi-objective study (as Optuna), TypeError when
        ``value`` is not a number, ValueError when ``step`` is negative.
        """
        if self._multi:
            raise NotImplementedError("Trial.report is not supported for multi-objective optimization.")
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"The `value` argument is of type '{type(value).__name__}' but supposed to be a float.") from None
        step = _as_int(step, "step")
        if step < 0:
            raise ValueError(f"The `step` argument is {step} but cannot be negative.")
        reported = self.__dict__.setdefault("_reported_steps", set())
        if step in reported:
            # Optuna's warning; the engine keeps the first value.
            _warnings.warn(f"The reported value is ignored because this `step` {step} is already reported.")
            return
        with self._lock:
            self._core.report(value, step)
        reported.add(step)

    def should_prune(self):
        """Whether the study's pruner says this trial should stop now (raise TrialPruned then)."""
        if self._multi:
            raise NotImplementedError("Trial.should_prune is not supported for multi-objective optimization.")
        with self._lock:
            return self._core.should_prune()

    # ---- attributes ----
    def set_user_attr(self, key, value):
        """Stores a JSON-serializable ``value`` under ``key`` (ConfigError otherwise)."""
        _check_name(key, "key")
        with self._lock:
            self._core.set_user_attr(key, value)

    def set_system_attr(self, key, value):
        """Deprecated in Optuna 3; stores a system attribute."""
        _check_name(key, "key")
        with self._lock:
            self._core.set_system_attr(key, value)

    def _snapshot(self):
        with self._lock:
            if not isinstance(self._core, _FinishedCore):
                return FrozenTrial._from_core(self._core.snapshot())
        return self.study._trial(self._number)  # read-only attributes keep working (from storage)

    @property
    def params(self):
        with self._lock:
            if not isinstance(self._core, _FinishedCore):
                return self._core.params()
        return self._snapshot().params

    @property
    def distributions(self):
        return self._snapshot().distributions

    @property
    def user_attrs(self):
        return self._snapshot().user_attrs

    @property
    def system_attrs(self):
        return self._snapshot().system_attrs

    @property
    def datetime_start(self):
        return self._snapshot().datetime_start

    def _finish(self):
        # Waits (GIL released) for a call in flight on another thread: the caller destroys the
        # C++ trial once this returns.
        with self._lock:
            self._core = _FinishedCore(self._number)

    def __repr__(self):
        return f"Trial(number={self._number})"


def _naive_local(dt):
    """The engine takes naive local datetimes (as it returns them): convert an aware one."""
    if dt is not None and dt.tzinfo is not None and dt.utcoffset() is not None:
        return dt.astimezone().replace(tzinfo=None)
    return dt


def _deprecated(name):
    # Optuna 3.1 warns the same way (FutureWarning) for its deprecated suggest_* methods.
    _warnings.warn(f"{name} has been deprecated in v3.0.0. This feature will be removed in v6.0.0. "
                   "See https://github.com/optuna/optuna/releases/tag/v3.0.0. "
                   "Use :func:`~optuna.trial.Trial.suggest_float` instead.", FutureWarning, stacklevel=3)


def _json_copy(v):
    """A copy of a JSON-like value (lists and dicts copied, scalars shared)."""
    if isinstance(v, list):
        return [_json_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_copy(x) for k, x in v.items()}
    return v


def _as_int(v, what):
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        if isinstance(v, float) and v.is_integer():
            return int(v)
        raise TypeError(f"`{what}` must be an int, got {v!r}")
    v = int(v)
    if not -2**63 <= v < 2**63:  # the engine's integers are 64-bit
        raise ValueError(f"`{what}` = {v} is outside the 64-bit integer range the engine supports")
    return v


def _check_name(name, what="name"):
    """A parameter name / attribute key must be a str the engine can store (UTF-8)."""
    if not isinstance(name, str):
        raise TypeError(f"`{what}` must be a str, got {type(name).__name__} {name!r}")
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"`{what}` {name!r} is not valid Unicode text (it holds a lone surrogate, "
                             "e.g. from os.fsdecode); use a str that encodes as UTF-8") from None


#: The datetimes the engine stores (64-bit nanoseconds since 1970, in local time), with a margin.
_MIN_DATETIME = _datetime.datetime(1678, 1, 1)
_MAX_DATETIME = _datetime.datetime(2262, 4, 10)


def _check_datetime(dt, what):
    """``dt`` (None or a datetime) as the naive local datetime the engine takes; ValueError when
    it is outside what the engine can store."""
    if dt is None:
        return None
    if not isinstance(dt, _datetime.datetime):
        raise TypeError(f"`{what}` must be a datetime.datetime or None, got {type(dt).__name__} {dt!r}")
    try:
        local = _naive_local(dt)
    except (OverflowError, ValueError):
        local = None
    if local is None or not _MIN_DATETIME <= local < _MAX_DATETIME:
        raise ValueError(f"`{what}` = {dt} is outside the supported range: it must lie between {_MIN_DATETIME.date()} and "
                         f"{_MAX_DATETIME.date()} (the engine stores datetimes as 64-bit nanoseconds)")
    return local


def _intermediate_values(values):
    """``values`` (step -> value) with int steps and float values, as the engine takes them."""
    if not isinstance(values, dict):
        raise TypeError(f"`intermediate_values` must be a dict (step -> value), got {type(values).__name__}")
    out = {}
    for step, v in values.items():
        if isinstance(step, bool) or not hasattr(step, "__index__"):
            raise TypeError(f"`intermediate_values` steps must be ints, got {type(step).__name__} {step!r}")
        step = _as_int(step, "intermediate_values` step")
        try:
            if isinstance(v, (str, bytes)):
                raise TypeError
            out[step] = float(v)
        except (TypeError, ValueError):
            raise TypeError(f"`intermediate_values` values must be numbers, got {type(v).__name__} {v!r} "
                            f"at step {step}") from None
    return out


def _check_keys(mapping, what):
    if not isinstance(mapping, dict):
        raise TypeError(f"`{what}` must be a dict, got {type(mapping).__name__}")
    for k in mapping:
        if not isinstance(k, str):
            raise TypeError(f"`{what}` keys must be str, got {type(k).__name__} {k!r}")
        _check_name(k, f"{what} key")


class _FixedParams:
    """suggest_* answered from fixed parameters (FrozenTrial's own, FixedTrial's given ones).
    Subclasses provide ``_fixed_value(name)`` (raises ValueError when absent) and may record
    what was suggested in ``_on_suggest``."""

    _kind = "trial"

    def _fixed(self, name, distribution):
        value = self._fixed_value(name)
        if value is _MISSING:
            raise ValueError(f"The value of the parameter '{name}' is not found. "
                             f"Please set it at the construction of the {self._kind} object.")
        if not distribution._contains(distribution.to_internal_repr(value)):
            _warnings.warn(f"The value {value} of the parameter '{name}' is out of the range of the distribution {distribution}.")
        self._on_suggest(name, value, distribution)
        return value

    def _on_suggest(self, name, value, distribution):
        pass

    def suggest_float(self, name, low, high, *, step=None, log=False):
        return self._fixed(name, _dists.FloatDistribution(low, high, log=log, step=step))

    def suggest_int(self, name, low, high, step=1, log=False):
        return int(self._fixed(name, _dists.IntDistribution(low, high, log=log, step=step)))

    def suggest_categorical(self, name, choices):
        return self._fixed(name, _dists.CategoricalDistribution(choices))

    def suggest_uniform(self, name, low, high):
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name, low, high):
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name, low, high, q):
        return self.suggest_float(name, low, high, step=q)

    def should_prune(self):
        return False

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value

    def set_system_attr(self, key, value):
        self.system_attrs[key] = value


_MISSING = object()


class FrozenTrial(_FixedParams):
    """An immutable snapshot of a trial (``optuna.trial.FrozenTrial``).

    Fields: ``number``, ``state`` (TrialState), ``value`` / ``values`` (objective values; for a
    PRUNED trial the last intermediate value), ``datetime_start``, ``datetime_complete`` (naive
    local datetimes), ``params`` (external values), ``distributions``, ``user_attrs``,
    ``system_attrs`` (the engine records "fail_reason" with the traceback of a failed trial,
    "worker.host"/"worker.pid", "constraints"...), ``intermediate_values`` (step -> value),
    ``duration`` (timedelta or None), ``last_step``. It also works as a trial that returns its own
    parameters, so ``objective(study.best_trial)`` re-evaluates the best configuration.
    """

    def __init__(self, number, state, value, datetime_start, datetime_complete, params, distributions,
                 user_attrs, system_attrs, intermediate_values, trial_id, *, values=None):
        if value is not None and values is not None:
            raise ValueError("Specify only one of `value` and `values`.")
        self.number = number
        self.state = TrialState(state)
        self._values = [float(value)] if value is not None else (None if values is None else [float(v) for v in values])
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self.params = dict(params)
        self.distributions = dict(distributions)
        self.user_attrs = dict(user_attrs)
        self.system_attrs = dict(system_attrs)
        self.intermediate_values = dict(intermediate_values)
        self._trial_id = trial_id

    @classmethod
    def _from_core(cls, d):
        t = cls.__new__(cls)
        t.number = d["number"]
        t.state = TrialState[d["state"]]
        t._values = d["values"]
        t.datetime_start = d["datetime_start"]
        t.datetime_complete = d["datetime_complete"]
        t.params = d["params"]
        t.distributions = {k: _dists._from_dict(v) for k, v in d["distributions"].items()}
        t.user_attrs = d["user_attrs"]
        t.system_attrs = d["system_attrs"]
        t.intermediate_values = d["intermediate_values"]
        t._trial_id = d["trial_id"]
        return t

    def _copy(self):
        """A copy that can be modified without touching this one: its containers and the lists
        and dicts inside its attrs are its own (distributions are immutable, so shared)."""
        t = FrozenTrial.__new__(FrozenTrial)
        t.__dict__.update(self.__dict__)
        t._values = None if self._values is None else list(self._values)
        t.params = dict(self.params)
        t.distributions = dict(self.distributions)
        t.user_attrs = {k: _json_copy(v) for k, v in self.user_attrs.items()}
        t.system_attrs = {k: _json_copy(v) for k, v in self.system_attrs.items()}
        t.intermediate_values = dict(self.intermediate_values)
        return t

    def _to_core(self):
        return {
            "state": self.state.name,
            "values": self._values,
            "params": self.params,
            "distributions": _dist_dicts(self.distributions),
            "user_attrs": self.user_attrs,
            "system_attrs": self.system_attrs,
            "intermediate_values": _intermediate_values(self.intermediate_values),
            "datetime_start": _check_datetime(self.datetime_start, "datetime_start"),
            "datetime_complete": _check_datetime(self.datetime_complete, "datetime_complete"),
        }

    @property
    def value(self):
        """The objective value (None without one); RuntimeError in a multi-objective study."""
        if self._values is None:
            return None
        if len(self._values) > 1:
            raise RuntimeError("This attribute is not available during multi-objective optimization.")
        return self._values[0]

    @value.setter
    def value(self, v):
        self._values = None if v is None else [float(v)]

    @property
    def values(self):
        return None if self._values is None else list(self._values)

    @values.setter
    def values(self, v):
        self._values = None if v is None else [float(x) for x in v]

    @property
    def duration(self):
        """datetime_complete - datetime_start (a timedelta), or None while either is missing."""
        if self.datetime_start and self.datetime_complete:
            return self.datetime_complete - self.datetime_start
        return None

    @property
    def last_step(self):
        """The largest step with an intermediate value, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    # A FrozenTrial answers suggest_* with its own parameters (Optuna's behaviour).
    _kind = "FrozenTrial"

    def _fixed_value(self, name):
        return self.params.get(name, _MISSING)

    def report(self, value, step):
        pass

    def _validate(self):
        if self.state != TrialState.WAITING and self.datetime_start is None:
            raise ValueError("`datetime_start` is supposed to be set when the trial is not waiting.")
        _check_datetime(self.datetime_start, "datetime_start")
        _check_datetime(self.datetime_complete, "datetime_complete")
        _check_keys(self.params, "params")
        _check_keys(self.distributions, "distributions")
        _check_keys(self.user_attrs, "user_attrs")
        _check_keys(self.system_attrs, "system_attrs")
        _intermediate_values(self.intermediate_values)
        if self.state.is_finished() and self.datetime_complete is None and self.state != TrialState.FAIL:
            pass  # filled in by add_trial
        if self.state == TrialState.COMPLETE:
            if self._values is None:
                raise ValueError("`value` is supposed to be set for a complete trial.")
            if any(_math.isnan(v) for v in self._values):
                raise ValueError("`value` is supposed to not be NaN for a complete trial.")
        if set(self.params) != set(self.distributions):
            raise ValueError("Inconsistent parameters {} and distributions {}.".format(set(self.params), set(self.distributions)))
        for name, v in self.params.items():
            d = self.distributions[name]
            if not d._contains(d.to_internal_repr(v)):
                raise ValueError(f"The value {v} of parameter '{name}' isn't contained in the distribution {d}.")

    def __eq__(self, other):
        return isinstance(other, FrozenTrial) and self.__dict__ == other.__dict__

    def __lt__(self, other):
        return self.number < other.number

    def __le__(self, other):
        return self.number <= other.number

    __hash__ = None

    def __repr__(self):
        return ("FrozenTrial(number={!r}, state={!r}, values={!r}, datetime_start={!r}, datetime_complete={!r}, "
                "params={!r}, user_attrs={!r}, system_attrs={!r}, intermediate_values={!r}, distributions={!r}, "
                "trial_id={!r})").format(self.number, self.state, self._values, self.datetime_start, self.datetime_complete,
                                         self.params, self.user_attrs, self.system_attrs, self.intermediate_values,
                                         self.distributions, self._trial_id)


def create_trial(*, state=TrialState.COMPLETE, value=None, values=None, params=None, distributions=None,
                 user_attrs=None, system_attrs=None, intermediate_values=None):
    """A FrozenTrial to pass to ``Study.add_trial`` (``optuna.trial.create_trial``).

    Raises ValueError when a COMPLETE trial has no value or a NaN one, when params and
    distributions name different parameters, or when a value is outside its distribution.
    """
    now = _datetime.datetime.now()
    state = TrialState(state)
    t = FrozenTrial(
        number=-1, state=state, value=value,
        datetime_start=None if state == TrialState.WAITING else now,
        datetime_complete=now if state.is_finished() else None,
        params=params or {}, distributions=distributions or {}, user_attrs=user_attrs or {},
        system_attrs=system_attrs or {}, intermediate_values=intermediate_values or {}, trial_id=-1, values=values)
    t._validate()
    return t


class FixedTrial(_FixedParams):
    """A trial with fixed parameters, to run an objective outside a study (``optuna.trial.FixedTrial``)."""

    def __init__(self, params, number=0):
        self._params = dict(params)
        self._suggested = {}
        self._distributions = {}
        self.user_attrs = {}
        self.system_attrs = {}
        self.intermediate_values = {}
        self.number = number
        self.datetime_start = _datetime.datetime.now()

    _kind = "FixedTrial"

    def _fixed_value(self, name):
        return self._params.get(name, _MISSING)

    def _on_suggest(self, name, value, distribution):
        self._suggested[name] = value
        self._distributions[name] = distribution

    def report(self, value, step):
        self.intermediate_values[step] = value

    @property
    def params(self):
        return self._suggested

    @property
    def distributions(self):
        return self._distributions


#: Optuna's abstract base of Trial / FrozenTrial / FixedTrial, for type annotations.
BaseTrial = Trial
