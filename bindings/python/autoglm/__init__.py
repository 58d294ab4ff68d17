"""Open-AutoGLM from Python: hyperparameter optimization with an Optuna-compatible API on the
C++ engine (docs/python.md).

    import autoglm

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    study = autoglm.create_study(storage="sqlite:///example.db", study_name="quadratic")
    study.optimize(objective, n_trials=100)
    print(study.best_params)

Most Optuna scripts run after ``import autoglm as optuna``; docs/python.md lists what differs.
The database is shared with the ``autoglm`` CLI (workers, dashboard).
"""
from . import _core  # noqa: F401  (the C++ engine; raises ImportError when the build is missing)
from . import distributions, exceptions, importance, logging, pruners, samplers, storages, study, trial
from .exceptions import TrialPruned
from .study import (Study, StudyDirection, StudySummary, copy_study, create_study, delete_study,
                    get_all_study_names, get_all_study_summaries, load_study)
from .trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial

__version__ = "0.1.0"

__all__ = [
    "FixedTrial", "FrozenTrial", "Study", "StudyDirection", "StudySummary", "Trial", "TrialPruned", "TrialState",
    "copy_study", "create_study", "create_trial", "delete_study", "distributions", "exceptions",
    "get_all_study_names", "get_all_study_summaries", "importance", "load_study", "logging", "pruners",
    "samplers", "storages", "study", "trial",
]
