"""Exceptions of the autoglm package.

Errors raised by the C++ engine arrive as these classes with the engine's message unchanged
(the extension module translates autoglm::ConfigError to ConfigError, and so on). Each class also
derives from the built-in exception Optuna raises in the same situation, so `except ValueError`
or `except KeyError` written for Optuna keeps working.
"""


class AutoGLMError(Exception):
    """Base class of the engine's errors (C++ ``autoglm::Error``)."""


#: Optuna's name for the base class.
OptunaError = AutoGLMError


class ConfigError(AutoGLMError, ValueError):
    """Bad user input: a search space, an option, a distribution, a key (``ValueError``)."""


class StorageError(AutoGLMError):
    """Storage trouble: unreachable, corrupt or newer-schema database."""


class NotFoundError(StorageError, KeyError):
    """A study or trial looked up by name or number does not exist (``KeyError``, as Optuna)."""

    def __str__(self):  # KeyError would quote the message
        return Exception.__str__(self)


class DuplicatedStudyError(StorageError):
    """create_study with a name that exists and ``load_if_exists=False``."""


class UpdateFinishedTrialError(StorageError, RuntimeError, ValueError):
    """A write to a trial that already finished (COMPLETE, PRUNED or FAIL)."""


class TrialPruned(AutoGLMError):
    """Raised by an objective to end its trial as PRUNED (``optuna.TrialPruned``)."""


#: Optuna 3.1 raises this from storages; kept so that ``except optuna.exceptions.StorageInternalError`` imports.
StorageInternalError = StorageError


class ExperimentalWarning(Warning):
    """Optuna's warning category for experimental features; kept so that the common
    ``warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)`` works."""
