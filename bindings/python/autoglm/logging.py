"""Logging, as ``optuna.logging``: one logger named "autoglm" with a stderr handler at INFO.

Each finished trial of ``Study.optimize`` logs one INFO line ("Trial 3 finished with value: ...");
failures log a WARNING with the traceback. ``set_verbosity(autoglm.logging.WARNING)`` silences
the per-trial lines.
"""
import logging as _logging
import sys as _sys
import threading as _threading

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARN
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_ROOT = "autoglm"
_lock = _threading.Lock()
_handler = None


def _configure():
    global _handler
    with _lock:
        if _handler is not None:
            return
        _handler = _logging.StreamHandler(_sys.stderr)
        _handler.setFormatter(_logging.Formatter("[%(levelname)1.1s %(asctime)s] %(message)s"))
        root = _logging.getLogger(_ROOT)
        root.addHandler(_handler)
        root.setLevel(INFO)
        root.propagate = False


def get_logger(name):
    """The logger ``name`` under the package's root logger (``autoglm.<name>``)."""
    _configure()
    return _logging.getLogger(name if name.startswith(_ROOT) else _ROOT + "." + name)


def get_verbosity():
    """The level of the package's root logger (autoglm.logging.INFO by default)."""
    _configure()
    return _logging.getLogger(_ROOT).getEffectiveLevel()


def set_verbosity(verbosity):
    """Sets the level of the package's root logger (autoglm.logging.WARNING, INFO, DEBUG...)."""
    _configure()
    _logging.getLogger(_ROOT).setLevel(verbosity)


def disable_default_handler():
    """Stops the package's stderr handler (configure your own on logger 'autoglm')."""
    _configure()
    _logging.getLogger(_ROOT).removeHandler(_handler)


def enable_default_handler():
    """Restores the package's stderr handler."""
    _configure()
    _logging.getLogger(_ROOT).addHandler(_handler)


def disable_propagation():
    """Keeps the package's records away from the root logger (the default)."""
    _configure()
    _logging.getLogger(_ROOT).propagate = False


def enable_propagation():
    """Passes the package's records on to the root logger as well."""
    _configure()
    _logging.getLogger(_ROOT).propagate = True
