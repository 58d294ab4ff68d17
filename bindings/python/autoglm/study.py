"""Studies, as ``optuna.study`` (Optuna 3.1): ``Study``, ``create_study``, ``load_study``,
``delete_study``, ``get_all_study_summaries``, ``get_all_study_names``, ``copy_study``,
``StudyDirection``, ``MaxTrialsCallback``.

A ``Study`` wraps the C++ study (include/autoglm/study.h). ``optimize`` runs the engine's loop
with the GIL released: sampling, pruning decisions and storage writes happen in C++, and the
objective and callbacks are called back with the GIL held. With ``n_jobs > 1`` the engine runs
that many worker threads; Python objectives then run one at a time except where they release
the GIL themselves (PyTorch, NumPy do).
"""
import enum as _enum
import gc as _gc
import math as _math
import os as _os
import threading as _threading
import traceback as _traceback
import warnings as _warnings

from . import _core
from . import exceptions as _exc
from . import logging as _logging
from . import pruners as _pruners
from . import samplers as _samplers
from . import storages as _storages
from .trial import FrozenTrial, Trial, TrialState

_logger = _logging.get_logger(__name__)
#: Study system attr set by `autoglm cancel` (src/cli/cli.h kStopRequestedAttr); optimize honours it.
_STOP_REQUESTED = "stop_requested"
#: Finished trials read from the storage per round trip (Study._finished_trials).
_FINISHED_BATCH = 10000


class StudyDirection(_enum.Enum):
    """Whether lower (MINIMIZE) or higher (MAXIMIZE) values are better (Optuna's values)."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self):
        return f"StudyDirection.{self.name}"


def _direction_name(d):
    if isinstance(d, StudyDirection) and d != StudyDirection.NOT_SET:
        return d.name.lower()
    if isinstance(d, str) and d.lower() in ("minimize", "maximize"):
        return d.lower()
    raise ValueError(f"Please set either 'minimize' or 'maximize' to direction. You specified {d!r}.")


def _to_values(result, n):
    """([float] * k, None) or (None, reason) for an objective's return value."""
    try:
        if isinstance(result, (list, tuple)):
            return [float(v) for v in result], None
        try:
            return [float(result)], None
        except TypeError:
            if n > 1 and hasattr(result, "__iter__"):
                return [float(v) for v in result], None
            raise
    except (TypeError, ValueError, OverflowError):
        return None, f"The value {_short_repr(result)} could not be cast to float."


def _short_repr(v, limit=80):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "..."


def _check_key(key):
    if not isinstance(key, str):
        raise TypeError(f"`key` must be a str, got {type(key).__name__} {key!r}")


def _count(v, what):
    """An int-like ``v`` (int, numpy integer) as int; TypeError otherwise (bools refused)."""
    if isinstance(v, bool) or not hasattr(v, "__index__"):
        raise TypeError(f"{what} must be an int, got {v!r}")
    v = v.__index__()
    if not -2**31 <= v < 2**31:
        raise ValueError(f"{what} must fit in 32 bits, got {v}")
    return v


class Study:
    """An optimization task: trials in a storage under one name, with a sampler and a pruner.

    Create one with ``create_study`` or ``load_study``. Methods that read or write the storage
    may raise autoglm.exceptions.StorageError (e.g. a lost PostgreSQL connection) with the
    engine's message.
    """

    def __init__(self, core, sampler, pruner):
        self._core = core
        self._directions = [StudyDirection[d.upper()] for d in core.directions]
        self.sampler = sampler
        self.pruner = pruner
        self._optimize_lock = _threading.Lock()
        self._optimizing = False  # GUARDED_BY(_optimize_lock)
        self._running_numbers = set()  # GUARDED_BY(_optimize_lock): trials whose objective optimize is running
        self._finished_lock = _threading.Lock()
        self._finished = {}  # GUARDED_BY(_finished_lock): number -> FrozenTrial, finished trials read so far
        self._finish_cursor = 0  # GUARDED_BY(_finished_lock): storage finish sequence read up to

    # ---- identity ----
    @property
    def study_name(self):
        return self._core.study_name

    @property
    def _study_id(self):
        return self._core.study_id

    @property
    def direction(self):
        """The StudyDirection; RuntimeError in a multi-objective study (use ``directions``)."""
        if len(self._directions) > 1:
            raise RuntimeError("A single direction cannot be retrieved from a multi-objective study. "
                               "Consider using Study.directions to retrieve a list containing all directions.")
        return self._directions[0]

    @property
    def directions(self):
        return list(self._directions)

    # ---- results ----
    @property
    def best_trial(self):
        """The best COMPLETE (and feasible) trial. ValueError when there is none; RuntimeError in a
        multi-objective study (use best_trials)."""
        try:
            return FrozenTrial._from_core(self._core.best_trial())
        except _exc.AutoGLMError as e:
            if type(e) is not _exc.AutoGLMError:
                raise
            raise (RuntimeError if len(self._directions) > 1 else ValueError)(str(e)) from None

    @property
    def best_params(self):
        return self.best_trial.params

    @property
    def best_value(self):
        return self.best_trial.value

    @property
    def best_trials(self):
        """The Pareto front: feasible COMPLETE trials no other one dominates, ordered by number."""
        return [FrozenTrial._from_core(d) for d in self._core.best_trials()]

    @property
    def trials(self):
        """Every trial, ordered by number (``get_trials()``)."""
        return self.get_trials()

    def get_trials(self, deepcopy=True, states=None):
        """All trials ordered by number, or only those in ``states`` (an iterable of TrialState).

        Finished trials never change, so they are read once (incrementally, by the storage's
        finish sequence, which also sees trials other processes finish) and kept; each call reads
        only the RUNNING and WAITING trials again. ``deepcopy=True`` (default) returns objects
        whose fields can be modified without affecting later calls; ``deepcopy=False`` returns
        the kept objects themselves (do not modify them), as Optuna."""
        wanted = None if states is None else {TrialState(s) for s in states}
        read_unfinished = wanted is None or TrialState.RUNNING in wanted or TrialState.WAITING in wanted
        # Unfinished first: a trial finishing in between is then found among the finished ones.
        unfinished = [FrozenTrial._from_core(d) for d in self._core.trials(["RUNNING", "WAITING"])] if read_unfinished else []
        finished = self._finished_trials()
        by_number = dict(finished)
        for t in unfinished:
            if t.number not in finished:
                by_number[t.number] = t
        numbers = sorted(by_number)
        if read_unfinished:
            # Numbers are dense: a hole is a trial created after the unfinished ones were read and
            # still running; the trials above it are newer than this snapshot, so they wait too.
            for i, n in enumerate(numbers):
                if n != i:
                    numbers = numbers[:i]
                    break
        trials = [by_number[n] for n in numbers if wanted is None or by_number[n].state in wanted]
        return [t._copy() for t in trials] if deepcopy else trials

    def _finished_trials(self):
        """number -> FrozenTrial of every finished trial, brought up to date from the storage."""
        with self._finished_lock:
            while True:
                batch, self._finish_cursor = self._core.finished_after(self._finish_cursor, _FINISHED_BATCH)
                for d in batch:
                    self._finished[d["number"]] = FrozenTrial._from_core(d)
                if len(batch) < _FINISHED_BATCH:
                    return dict(self._finished)

    @property
    def user_attrs(self):
        return self._core.user_attrs()

    @property
    def system_attrs(self):
        return self._core.system_attrs()

    def set_user_attr(self, key, value):
        """Stores a JSON-serializable ``value`` on the study (ConfigError otherwise)."""
        _check_key(key)
        self._core.set_user_attr(key, value)

    def set_system_attr(self, key, value):
        _check_key(key)
        self._core.set_system_attr(key, value)

    # ---- optimize ----
    def optimize(self, func, n_trials=None, timeout=None, n_jobs=1, catch=(), callbacks=None,
                 gc_after_trial=False, show_progress_bar=False):
        """Runs ``func(trial)`` on new trials until ``n_trials`` trials ran, ``timeout`` seconds
        passed (checked before each new trial), or ``study.stop()`` was called.

        ``func`` returns a float (a sequence of floats, one per direction, in a multi-objective
        study). It may raise ``TrialPruned`` (the trial becomes PRUNED). Any other exception makes
        the trial FAIL with its traceback in system attr "fail_reason"; when the exception is an
        instance of ``catch`` the study goes on, otherwise no new trial starts and the exception
        is re-raised here once running trials finish (Optuna's semantics; KeyboardInterrupt
        included). A value that is NaN, not a number, or of the wrong count makes the trial FAIL
        and the study goes on. ``callbacks``: ``cb(study, frozen_trial)`` after each finished
        trial; an exception there stops the study and is re-raised. ``n_jobs``: worker threads
        (-1: one per CPU). Raises RuntimeError on a nested call.
        """
        if show_progress_bar:
            _warnings.warn("show_progress_bar is not supported by autoglm; progress is logged per trial "
                           "(watch the study with `autoglm dashboard`).")
        catch = _catch_tuple(catch)
        if n_jobs == -1:
            n_jobs = _os.cpu_count() or 1
        if n_trials is not None:
            n_trials = _count(n_trials, "n_trials")
        n_jobs = _count(n_jobs, "n_jobs")
        if timeout is not None:
            if isinstance(timeout, (str, bytes)):
                raise TypeError(f"timeout must be a number of seconds or None, got {timeout!r}")
            timeout = float(timeout)
            if not timeout >= 0:
                raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
        with self._optimize_lock:
            if self._optimizing:
                raise RuntimeError("optimize is already running on this Study object (nested, or from another "
                                   "thread); use n_jobs, or one Study object per thread (load_study)")
            self._optimizing = True
        if self._core.system_attrs().get(_STOP_REQUESTED) is True:
            # As `autoglm tune`: a new optimize is a request to run again, so lift `autoglm cancel`'s stop.
            _logger.warning(f"Study '{self.study_name}' had a stop requested by `autoglm cancel`; cleared it.")
            self._core.set_system_attr(_STOP_REQUESTED, False)
        errors = []
        errors_lock = _threading.Lock()
        n_dir = len(self._directions)
        constraints_func = getattr(self.sampler, "constraints_func", None)
        callbacks = list(callbacks or [])

        uncaught = set()  # trials whose objective raised an uncaught exception: no callbacks (Optuna)

        def stop_with(e, number=None):
            with errors_lock:
                errors.append(e)
                if number is not None:
                    uncaught.add(number)
            self._core.stop()

        def run(core_trial):
            # Never raises: an exception from outside the objective (gc_after_trial's collect, a
            # Ctrl-C between statements) would otherwise stop the study silently in the engine.
            try:
                return run_trial(core_trial)
            except BaseException as e:  # noqa: B036
                stop_with(e, core_trial.number)
                return ("stop", _traceback.format_exc())

        def run_trial(core_trial):
            trial = Trial(self, core_trial)
            trial._run_by_optimize = True
            with self._optimize_lock:
                self._running_numbers.add(trial.number)
            try:
                try:
                    result = func(trial)
                except Exception as e:
                    # optuna.TrialPruned raised by code written against Optuna counts as well.
                    if not isinstance(e, _exc.TrialPruned) and type(e).__name__ != "TrialPruned":
                        raise
                    _record_constraints(constraints_func, trial)
                    return ("pruned", None)
                values, reason = _to_values(result, n_dir)
                if reason is not None:
                    return ("fail", reason)
                _record_constraints(constraints_func, trial)
                return ("ok", values)
            except BaseException as e:  # noqa: B036 - KeyboardInterrupt also fails the trial, as Optuna
                tb = _traceback.format_exc()
                if isinstance(e, catch):  # catch=(BaseException,) catches KeyboardInterrupt too, as Optuna
                    return ("fail", tb)
                stop_with(e, trial.number)
                return ("stop", tb)
            finally:
                trial._finish()
                with self._optimize_lock:
                    self._running_numbers.discard(trial.number)
                if gc_after_trial:
                    _gc.collect()

        def on_done(d):
            try:
                frozen = FrozenTrial._from_core(d)
                self._log_finished(frozen)
                if self._core.system_attrs().get(_STOP_REQUESTED) is True:
                    _logger.info(f"Study '{self.study_name}' was cancelled (`autoglm cancel`): starting no new trial.")
                    self._core.stop()
                with errors_lock:
                    if frozen.number in uncaught:
                        return
                for cb in callbacks:
                    cb(self, frozen)
            except BaseException as e:  # noqa: B036
                stop_with(e)

        try:
            args = (run, n_trials, timeout, n_jobs, on_done)
            if n_jobs > 1 and _threading.current_thread() is _threading.main_thread():
                _optimize_interruptibly(self._core, args, stop_with)
            else:
                self._core.optimize(*args)
        finally:
            with self._optimize_lock:
                self._optimizing = False
        if errors:
            raise errors[0]

    def _log_finished(self, t):
        if t.state == TrialState.FAIL:
            if _logger.isEnabledFor(_logging.WARNING):
                _logger.warning(f"Trial {t.number} failed with parameters: {t.params} because of the following error: "
                                f"{t.system_attrs.get('fail_reason', 'unknown')}")
            return
        if not _logger.isEnabledFor(_logging.INFO):
            return
        if t.state == TrialState.PRUNED:
            _logger.info(f"Trial {t.number} pruned. ")
        elif len(self._directions) > 1:
            _logger.info(f"Trial {t.number} finished with values: {t.values} and parameters: {t.params}. ")
        else:
            try:
                best = self._core.best_trial()
                tail = f" Best is trial {best['number']} with value: {best['values'][0]}."
            except _exc.AutoGLMError:
                tail = ""
            _logger.info(f"Trial {t.number} finished with value: {t.value} and parameters: {t.params}.{tail}")

    def stop(self):
        """Starts no new trial in the running ``optimize`` (call it from an objective or callback)."""
        if not self._optimizing:
            raise RuntimeError("`Study.stop` is supposed to be invoked inside an objective function or a callback.")
        self._core.stop()

    # ---- ask / tell ----
    def ask(self, fixed_distributions=None):
        """Starts a trial (the oldest enqueued one if any) and returns it. ``fixed_distributions``
        (name -> distribution) are suggested at once, as in Optuna."""
        fixed = {name: d._asdict() for name, d in (fixed_distributions or {}).items()}
        return Trial(self, self._core.ask(fixed))

    def tell(self, trial, values=None, state=None, skip_if_finished=False):
        """Finishes ``trial`` (a Trial from ask, or its number) and returns its FrozenTrial.

        ``state`` None means COMPLETE with ``values`` (a float or one per direction); then missing
        values, or a value that is NaN, not a number or of the wrong count, make the trial FAIL
        with a UserWarning, as in Optuna 3.1 (with ``state=TrialState.COMPLETE`` they raise
        ValueError). PRUNED takes the last intermediate value. Raises ValueError for values given
        with PRUNED/FAIL, none with COMPLETE, a non-finished state or an unknown trial number,
        TypeError for a ``trial`` that is neither a trial nor a number; UpdateFinishedTrialError (a
        ValueError) when the trial already finished, unless ``skip_if_finished``.
        """
        if isinstance(trial, Trial):
            if getattr(trial, "_run_by_optimize", False):
                raise RuntimeError(f"trial {trial.number} is run by optimize, which tells it when its objective "
                                   "returns: return the value (or raise TrialPruned) instead of calling tell")
            other = trial.study
            if other is not self and (other._study_id != self._study_id or
                                      other._core.storage.url != self._core.storage.url):
                raise ValueError(f"trial {trial.number} belongs to study '{other.study_name}', not to "
                                 f"'{self.study_name}'; tell it with its own study")
            number = trial.number
        elif isinstance(trial, FrozenTrial):
            number = trial.number
        elif hasattr(trial, "__index__") and not isinstance(trial, bool):
            number = int(trial)
            if not 0 <= number < 2**31:
                raise ValueError(f"Cannot tell for trial with number {number} since it has not been created.")
            with self._optimize_lock:
                running_here = number in self._running_numbers
            if running_here:
                raise RuntimeError(f"trial {number} is run by optimize, which tells it when its objective "
                                   "returns: return the value (or raise TrialPruned) instead of calling tell")
        else:
            raise TypeError("Trial must be a trial object or trial number.")
        # Optuna 3.1: with state=None, missing or bad values FAIL the trial with a warning; with an
        # explicit state they raise ValueError.
        implicit = state is None
        if not implicit:
            state = TrialState(state)
            if state == TrialState.COMPLETE and values is None:
                raise ValueError("No values were told. Values are required when state is TrialState.COMPLETE.")
            if state in (TrialState.PRUNED, TrialState.FAIL) and values is not None:
                raise ValueError("Values were told. Values cannot be specified when state is TrialState.PRUNED or TrialState.FAIL.")
            if not state.is_finished():
                raise ValueError(f"Cannot tell with state {state!r}.")
        try:
            if skip_if_finished:
                current = self._trial(number)
                if current.state.is_finished():
                    _logger.info(f"Skipped telling trial {number} with values {values} and state {state!r} since trial "
                                 f"was already finished. Finished trial has values {current.values} and state {current.state!r}.")
                    return current
            vals = []
            if implicit or state == TrialState.COMPLETE:
                state = TrialState.COMPLETE
                if values is None:
                    vals, reason = None, "The value None could not be cast to float."
                else:
                    vals, reason = _to_values(values, len(self._directions))
                if reason is None and not implicit:
                    bad = [v for v in vals if _math.isnan(v)]
                    if bad:
                        reason = f"The value {bad[0]} is not acceptable."
                    elif len(vals) != len(self._directions):
                        reason = (f"The number of the values {len(vals)} did not match the number of the objectives "
                                  f"{len(self._directions)}.")
                if reason is not None:
                    if not implicit:
                        raise ValueError(reason)
                    self._core.set_trial_system_attr(number, "fail_reason", reason)
                    state, vals = TrialState.FAIL, []
                    _warnings.warn(reason)
            if state in (TrialState.COMPLETE, TrialState.PRUNED):
                constraints_func = getattr(self.sampler, "constraints_func", None)
                if constraints_func is not None:
                    _record_constraints(constraints_func, trial if isinstance(trial, Trial) else None, self, number)
            frozen = FrozenTrial._from_core(self._core.tell(number, state.name, vals))
        except _exc.NotFoundError:
            raise ValueError(f"Cannot tell for trial with number {number} since it has not been created.") from None
        if state == TrialState.COMPLETE and frozen.state == TrialState.FAIL:
            _warnings.warn(str(frozen.system_attrs.get("fail_reason", "the values were refused")))
        if isinstance(trial, Trial):
            trial._finish()
        return frozen

    def _trial(self, number):
        for t in self.get_trials(deepcopy=False):
            if t.number == number:
                return t._copy()
        raise _exc.NotFoundError(f"study '{self.study_name}' has no trial number {number}")

    def enqueue_trial(self, params, user_attrs=None, skip_if_exists=False):
        """Adds a WAITING trial whose parameters are fixed to ``params`` (others are sampled).
        ``skip_if_exists``: do nothing when a trial with the same parameters exists."""
        for name in params:
            if not isinstance(name, str):
                raise TypeError(f"enqueue_trial: parameter names must be str, got {name!r}")
        if skip_if_exists and self._has_params(params):
            _logger.info(f"Trial with params {params} already exists. Skipping enqueue.")
            return
        self._core.enqueue_trial(dict(params), dict(user_attrs or {}))

    def _has_params(self, params):
        for t in self.get_trials():
            existing = t.system_attrs.get("fixed_params", t.params)
            if existing.keys() != params.keys():
                continue
            if all(_same_value(existing[k], v) for k, v in params.items()):
                return True
        return False

    def add_trial(self, trial):
        """Adds a finished (or WAITING) FrozenTrial, e.g. from ``create_trial``; the sampler learns
        from it like any other trial; an Optuna FrozenTrial is converted (to migrate a study). Raises
        ValueError when it is inconsistent."""
        trial = _as_frozen(trial)
        trial._validate()
        self._core.add_trial(trial._to_core())

    def add_trials(self, trials):
        """``add_trial`` for each trial of an iterable (a list, a generator...), in order."""
        for t in trials:
            self.add_trial(t)

    # ---- export ----
    def trials_dataframe(self, attrs=("number", "value", "datetime_start", "datetime_complete", "duration",
                                      "params", "user_attrs", "system_attrs", "state"), multi_index=False):
        """The trials as a pandas DataFrame, one row per trial, with Optuna's columns
        (``params_<name>``, ``user_attrs_<key>``, ``values_<i>`` for several objectives, ``state``
        as its name...). Raises ImportError when pandas is not installed (Debian: python3-pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Study.trials_dataframe() needs pandas: install Debian's python3-pandas "
                              "(apt-get install python3-pandas)") from None
        multi = len(self._directions) > 1
        records, columns = [], {}
        for t in self.get_trials():
            row = {}
            for attr in attrs:
                if attr == "value":
                    if multi:
                        for i, v in enumerate(t.values or [None] * len(self._directions)):
                            row[("values", i)] = v
                        continue
                    row[("value", "")] = t.value if t.values is not None else None
                    continue
                if attr == "values":
                    for i, v in enumerate(t.values or [None] * len(self._directions)):
                        row[("values", i)] = v
                    continue
                value = getattr(t, attr)
                if attr == "state":
                    value = value.name
                if isinstance(value, dict):
                    for k, v in value.items():
                        row[(attr, k)] = v
                else:
                    row[(attr, "")] = value
            for key in row:
                columns.setdefault(key[0], set()).add(key[1])
            records.append(row)
        order = []
        for attr in attrs:
            name = "values" if (attr == "value" and multi) else attr
            if name in columns:
                order += [(name, k) for k in sorted(columns[name], key=lambda k: (str(type(k)), k))]
        df = pd.DataFrame(records, columns=pd.MultiIndex.from_tuples(order) if order else None)
        if not multi_index:
            df.columns = ["_".join(str(p) for p in col if p != "") for col in order] if order else []
        return df


def _as_frozen(trial):
    """``trial`` as this package's FrozenTrial: ours as it is, or one built from an Optuna FrozenTrial
    (the same attribute names; distributions through Optuna's JSON form: name + ``_asdict()``)."""
    if isinstance(trial, FrozenTrial):
        return trial
    from . import distributions as _dists
    dists = {name: d if isinstance(d, _dists.BaseDistribution)
             else _dists._from_dict({"name": type(d).__name__, "attributes": d._asdict()})
             for name, d in trial.distributions.items()}
    return FrozenTrial(number=trial.number, state=TrialState[trial.state.name], value=None, values=trial.values,
                       datetime_start=trial.datetime_start, datetime_complete=trial.datetime_complete,
                       params=trial.params, distributions=dists, user_attrs=trial.user_attrs,
                       system_attrs=trial.system_attrs, intermediate_values=trial.intermediate_values,
                       trial_id=getattr(trial, "_trial_id", -1))


def _optimize_interruptibly(core, args, stop_with):
    """Runs the engine's optimize loop on a helper thread while the main thread waits in Python.

    With several jobs every objective runs on an engine thread, so a main thread blocked in C++
    (GIL released) would never run Python's SIGINT handler: Ctrl-C would wait for the whole study.
    Here the main thread waits in short joins; a KeyboardInterrupt there stops the study (no new
    trial; the running ones finish, as Optuna's thread pool does) and is re-raised afterwards."""
    outcome = []
    done = _threading.Event()  # not Thread.join: a join interrupted by a signal may mark the thread dead

    def target():
        try:
            core.optimize(*args)
        except BaseException as e:  # noqa: B036 - handed to the main thread
            outcome.append(e)
        finally:
            done.set()

    worker = _threading.Thread(target=target, name="autoglm-optimize", daemon=True)
    worker.start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt as e:
            if interrupted:
                # A second Ctrl-C: give up waiting for the running trials (as Optuna). They stay
                # RUNNING until they finish or, if the process exits, a later study fails them as stale.
                raise
            interrupted = True
            _logger.warning("Ctrl-C: starting no new trial; waiting for the running ones (Ctrl-C again to stop now)")
            stop_with(e)
    worker.join()
    if outcome:
        raise outcome[0]


def _same_value(a, b):
    if isinstance(a, float) and isinstance(b, float) and _math.isnan(a) and _math.isnan(b):
        return True
    return a == b


def _catch_tuple(catch):
    if isinstance(catch, type):
        return (catch,)
    catch = tuple(catch or ())
    for c in catch:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(f"catch must hold exception classes, got {c!r}")
    return catch


def _record_constraints(constraints_func, trial, study=None, number=None):
    """Optuna's constraints_func: its values go to system attr "constraints" before the trial finishes."""
    if constraints_func is None:
        return
    if trial is not None:
        frozen = trial._snapshot()
        core_set = trial.set_system_attr
    else:
        frozen = study._trial(number)
        core_set = lambda k, v: study._core.set_trial_system_attr(number, k, v)  # noqa: E731
    values = [float(c) for c in constraints_func(frozen)]
    core_set("constraints", values)


def _sampler_and_pruner(sampler, pruner, n_directions):
    if sampler is None:
        sampler = _samplers.NSGAIISampler() if n_directions > 1 else _samplers.TPESampler()
    if not isinstance(sampler, _samplers.BaseSampler):
        raise TypeError(f"sampler must be one of autoglm.samplers (TPESampler, RandomSampler, ...); got "
                        f"{type(sampler).__name__} (Python-defined samplers are not supported, see docs/python.md)")
    if pruner is not None and not isinstance(pruner, _pruners.BasePruner):
        raise TypeError(f"pruner must be one of autoglm.pruners (MedianPruner, ...); got {type(pruner).__name__}")
    return sampler, pruner


def _wrap(core, sampler, pruner, policy):
    if policy is not None:
        core.set_failure_policy(*policy)
    if pruner is None:
        pruner = _pruners.NopPruner() if len(core.directions) > 1 else _pruners.MedianPruner()
    return Study(core, sampler, pruner)


def create_study(*, storage=None, sampler=None, pruner=None, study_name=None, direction=None,
                 load_if_exists=False, directions=None):
    """Creates a study (``optuna.create_study``).

    ``storage``: None (in memory), a URL (``sqlite:///x.db``, ``postgresql://...``),
    RDBStorage or InMemoryStorage. ``direction`` or ``directions`` ("minimize"/"maximize" or
    StudyDirection; default minimize). ``sampler``: default TPESampler, NSGAIISampler with several
    directions. ``pruner``: default MedianPruner (none with several directions; any other pruner is
    refused there). Raises DuplicatedStudyError when the name exists and not ``load_if_exists``,
    ConfigError when an existing study's directions differ from ones given (given none, it keeps
    its own), ValueError for both or bad directions.
    """
    if direction is not None and directions is not None:
        raise ValueError("Specify only one of `direction` and `directions`.")
    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str or None, got {study_name!r}")
    core_storage, policy = _storages._resolve(storage)
    if directions is None and direction is None and load_if_exists and study_name:
        # Nothing asked for: an existing study keeps its stored directions (as Optuna loads it).
        directions = next((d["directions"] for d in core_storage.study_summaries() if d["study_name"] == study_name),
                          None)
    if directions is None:
        directions = ["minimize" if direction is None else direction]
    names = [_direction_name(d) for d in directions]
    if not names:
        raise ValueError("The number of objectives must be greater than 0.")
    sampler, pruner = _sampler_and_pruner(sampler, pruner, len(names))
    core = _core.Study.create(core_storage, study_name or "", names, sampler._spec(),
                              None if pruner is None else pruner._spec(), bool(load_if_exists))
    return _wrap(core, sampler, pruner, policy)


def load_study(*, study_name, storage, sampler=None, pruner=None):
    """Loads an existing study (``optuna.load_study``); ``study_name=None`` loads the storage's only
    study. Raises NotFoundError (a KeyError) naming the study, ValueError when several exist."""
    if study_name is not None and not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str or None, got {study_name!r}")
    core_storage, policy = _storages._resolve(storage)
    summaries = core_storage.study_summaries()
    if study_name is None:
        names = [s["study_name"] for s in summaries]
        if len(names) != 1:
            raise ValueError(f"study_name=None needs exactly one study in the storage; it has {len(names)}: {names}")
        study_name = names[0]
    match = [s for s in summaries if s["study_name"] == study_name]
    n_dir = len(match[0]["directions"]) if match else 1  # no match: Study.load raises NotFoundError
    sampler, pruner = _sampler_and_pruner(sampler, pruner, n_dir)
    core = _core.Study.load(core_storage, study_name, sampler._spec(), None if pruner is None else pruner._spec())
    return _wrap(core, sampler, pruner, policy)


def delete_study(*, study_name, storage):
    """Deletes a study and its trials. Raises NotFoundError (a KeyError) naming it."""
    if not isinstance(study_name, str):
        raise TypeError(f"study_name must be a str, got {study_name!r}")
    core_storage, _ = _storages._resolve(storage)
    core_storage.delete_study(study_name)


class StudySummary:
    """A study's name, directions, attributes, trial count and best trial (``optuna.study.StudySummary``)."""

    def __init__(self, d):
        self.study_name = d["study_name"]
        self.directions = [StudyDirection[x.upper()] for x in d["directions"]]
        self.direction = self.directions[0] if len(self.directions) == 1 else StudyDirection.NOT_SET
        self.user_attrs = d["user_attrs"]
        self.system_attrs = d["system_attrs"]
        self.n_trials = d["n_trials"]
        self.datetime_start = d["datetime_start"]
        self.best_trial = None if d["best_trial"] is None else FrozenTrial._from_core(d["best_trial"])
        self._study_id = d["study_id"]

    def __repr__(self):
        return f"StudySummary(study_name={self.study_name!r}, n_trials={self.n_trials})"


def get_all_study_summaries(storage, include_best_trial=True):
    """Summaries of every study in ``storage``."""
    core_storage, _ = _storages._resolve(storage)
    out = [StudySummary(d) for d in core_storage.study_summaries()]
    if not include_best_trial:
        for s in out:
            s.best_trial = None
    return out


def get_all_study_names(storage):
    """Names of every study in ``storage`` (a URL, RDBStorage or InMemoryStorage)."""
    core_storage, _ = _storages._resolve(storage)
    return [d["study_name"] for d in core_storage.study_summaries()]


def copy_study(*, from_study_name, from_storage, to_storage, to_study_name=None):
    """Copies a study's trials, user and system attributes into another storage (e.g. memory ->
    SQLite), as Optuna does (a study `autoglm tune` started keeps its stored config)."""
    src = load_study(study_name=from_study_name, storage=from_storage)
    dst = create_study(study_name=to_study_name or from_study_name, storage=to_storage,
                       directions=src.directions, sampler=src.sampler)
    for k, v in src.system_attrs.items():
        dst.set_system_attr(k, v)
    for k, v in src.user_attrs.items():
        dst.set_user_attr(k, v)
    for t in src.get_trials():
        if t.state != TrialState.RUNNING:
            dst.add_trial(t)


class MaxTrialsCallback:
    """Stops the study once ``n_trials`` trials in ``states`` exist (across all processes)."""

    def __init__(self, n_trials, states=(TrialState.COMPLETE,)):
        self._n_trials = n_trials
        self._states = None if states is None else [TrialState(s).name for s in states]

    def __call__(self, study, trial):
        if study._core.n_trials(self._states) >= self._n_trials:
            study.stop()
