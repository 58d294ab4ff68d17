"""Storages, as ``optuna.storages``: a URL string, ``RDBStorage`` (with Optuna's heartbeat and
retry options) or ``InMemoryStorage``. The database is the engine's own schema, shared with the
CLI (``autoglm tune``, ``autoglm worker``), the dashboard and other processes:

- ``"sqlite:///relative.db"``, ``"sqlite:////absolute.db"`` or a path ending in ``.db``;
- ``"postgresql://user:password@host:port/database"`` (libpq options in the query string);
- ``None`` / ``":memory:"``: in-memory, private to the study objects that share it.

An Optuna database (SQLAlchemy schema) is not read: export its trials with Optuna and add them
with ``Study.add_trials`` (docs/python.md).
"""
import math as _math

from . import _core


class InMemoryStorage:
    """A storage in this process's memory; studies sharing the object share the storage."""

    def __init__(self):
        self._core = _core.open_storage(":memory:")

    @property
    def url(self):
        return ":memory:"


class RetryFailedTrialCallback:
    """Retries a trial whose worker died (no heartbeat for ``grace_period``) up to ``max_retry``
    times as a new WAITING trial with the same parameters (``None``: no limit, as Optuna)."""

    def __init__(self, max_retry=None, inherit_intermediate_values=False):
        if inherit_intermediate_values:
            raise ValueError("RetryFailedTrialCallback(inherit_intermediate_values=True) is not supported by autoglm")
        if max_retry is not None:
            if isinstance(max_retry, bool) or not hasattr(max_retry, "__index__"):
                raise TypeError(f"max_retry must be an int >= 0 (or None for no limit), got {max_retry!r}")
            max_retry = int(max_retry)
            if max_retry < 0:
                raise ValueError(f"max_retry must be >= 0 (or None for no limit), got {max_retry}")
        self._max_retry = 2**31 - 1 if max_retry is None else min(max_retry, 2**31 - 1)

    @staticmethod
    def retried_trial_number(trial):
        """Number of the trial this one retries (system attr "retry_of"), or None."""
        return trial.system_attrs.get("retry_of")

    @staticmethod
    def retry_history(trial):
        """Numbers of the trials this one retries, oldest first."""
        n = trial.system_attrs.get("retry_of")
        return [] if n is None else [n]


class RDBStorage:
    """A database storage by URL (SQLite or PostgreSQL), as ``optuna.storages.RDBStorage``.

    ``heartbeat_interval`` (seconds): each running trial records a heartbeat this often, and a
    RUNNING trial silent for ``grace_period`` seconds (default 120 when heartbeats are on) is
    marked FAIL by the next study that looks; ``failed_trial_callback`` = RetryFailedTrialCallback
    retries it. Raises autoglm.exceptions.StorageError (unreachable, unwritable, newer schema) or
    ConfigError (unknown scheme) naming the URL and the fix.
    """

    def __init__(self, url, engine_kwargs=None, skip_compatibility_check=False, *, heartbeat_interval=None,
                 grace_period=None, failed_trial_callback=None, skip_table_creation=False):
        if failed_trial_callback is not None and not isinstance(failed_trial_callback, RetryFailedTrialCallback):
            raise ValueError("RDBStorage(failed_trial_callback=...) accepts autoglm.storages.RetryFailedTrialCallback only")
        # "not > 0" refuses NaN as well
        if heartbeat_interval is not None and not (_positive_number(heartbeat_interval) and heartbeat_interval > 0):
            raise ValueError(f"The value of `heartbeat_interval` should be a positive integer, got {heartbeat_interval!r}.")
        if grace_period is not None and not (_positive_number(grace_period) and grace_period > 0):
            raise ValueError(f"The value of `grace_period` should be a positive integer, got {grace_period!r}.")
        self.url = url
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.failed_trial_callback = failed_trial_callback
        self._core = _core.open_storage(url)

    def _failure_policy(self):
        if self.heartbeat_interval is None and self.failed_trial_callback is None:
            return None
        interval = float(self.heartbeat_interval or 0)
        grace = float(self.grace_period) if self.grace_period is not None else max(120.0, 2 * interval)
        retries = self.failed_trial_callback._max_retry if self.failed_trial_callback else 0
        return interval, grace, retries


def _positive_number(v):
    """A finite real number (int or float, not bool): what heartbeat_interval / grace_period take."""
    if isinstance(v, bool):
        return False
    try:
        return _math.isfinite(v)
    except TypeError:
        return False


def _resolve(storage):
    """(core storage, failure policy or None) of a create_study/load_study ``storage`` argument."""
    if storage is None:
        return _core.open_storage(":memory:"), None
    if isinstance(storage, str):
        return _core.open_storage(storage), None
    if isinstance(storage, RDBStorage):
        return storage._core, storage._failure_policy()
    if isinstance(storage, InMemoryStorage):
        return storage._core, None
    if isinstance(storage, _core.Storage):
        return storage, None
    raise TypeError(f"storage must be a URL string, None, autoglm.storages.RDBStorage or InMemoryStorage; got {type(storage).__name__}")


def get_storage(storage):
    """The storage object for a URL (``optuna.storages.get_storage``)."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, str):
        return RDBStorage(storage)
    return storage


def fail_stale_trials(study):
    """Marks FAIL (and retries, per the storage's RetryFailedTrialCallback) the study's RUNNING trials
    whose worker died or whose heartbeat is older than the grace period, as
    ``optuna.storages.fail_stale_trials``; ``optimize`` also does it by itself. Returns how many."""
    return study._core.fail_stale_trials()
