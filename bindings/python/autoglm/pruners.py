"""Pruners by their Optuna names (``optuna.pruners``); each builds the C++ pruner of the same
algorithm (include/autoglm/pruners.h documents behaviour and sources). Defaults are Optuna 3.1's.
Like samplers, a pruner object is a specification the study builds its engine pruner from.
"""
import math as _math
import sys as _sys


class BasePruner:
    """Base class. ``_spec()`` returns the engine's pruner spec."""

    _name = ""

    def __init__(self, **options):
        self._options = {k: v for k, v in options.items() if v is not None}

    def _spec(self):
        return {"name": self._name, **self._options}

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._options.items())})"


class NopPruner(BasePruner):
    """Never prunes."""

    _name = "nop"


class PercentilePruner(BasePruner):
    """Prunes when the trial's best intermediate value is worse than ``percentile`` of the other
    trials' values at the same step (after ``n_warmup_steps``, every ``interval_steps``)."""

    _name = "percentile"

    def __init__(self, percentile, n_startup_trials=5, n_warmup_steps=0, interval_steps=1, *, n_min_trials=1):
        super().__init__(percentile=float(percentile), n_startup_trials=n_startup_trials,
                         n_warmup_steps=n_warmup_steps, interval_steps=interval_steps, n_min_trials=n_min_trials)


class MedianPruner(BasePruner):
    """PercentilePruner at the 50th percentile (Golovin et al. 2017, median stopping rule)."""

    _name = "median"

    def __init__(self, n_startup_trials=5, n_warmup_steps=0, interval_steps=1, *, n_min_trials=1):
        super().__init__(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps,
                         interval_steps=interval_steps, n_min_trials=n_min_trials)


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA, Li et al. 2020)."""

    _name = "successive_halving"

    def __init__(self, min_resource="auto", reduction_factor=4, min_early_stopping_rate=0, bootstrap_count=0):
        super().__init__(min_resource=min_resource, reduction_factor=reduction_factor,
                         min_early_stopping_rate=min_early_stopping_rate, bootstrap_count=bootstrap_count)


class HyperbandPruner(BasePruner):
    """Hyperband (Li et al. 2018) over ASHA brackets, as Optuna's HyperbandPruner."""

    _name = "hyperband"

    def __init__(self, min_resource=1, max_resource="auto", reduction_factor=3, bootstrap_count=0):
        super().__init__(min_resource=min_resource, max_resource=max_resource, reduction_factor=reduction_factor,
                         bootstrap_count=bootstrap_count)


class ThresholdPruner(BasePruner):
    """Prunes when the latest intermediate value is below ``lower``, above ``upper`` or NaN
    (after ``n_warmup_steps``, every ``interval_steps``)."""

    _name = "threshold"

    def __init__(self, lower=None, upper=None, n_warmup_steps=0, interval_steps=1):
        if lower is None and upper is None:
            raise TypeError("Either lower or upper must be specified.")
        lower = None if lower is None else float(lower)
        upper = None if upper is None else float(upper)
        if (lower is not None and _math.isnan(lower)) or (upper is not None and _math.isnan(upper)):
            raise ValueError(f"ThresholdPruner: lower and upper must be numbers, got lower={lower}, upper={upper}")
        if lower is not None and upper is not None and lower > upper:
            raise ValueError(f"ThresholdPruner: lower ({lower}) must not exceed upper ({upper})")
        if n_warmup_steps < 0 or interval_steps < 1:
            raise ValueError(f"ThresholdPruner: n_warmup_steps must be >= 0 and interval_steps >= 1, got "
                             f"{n_warmup_steps} and {interval_steps}")
        # An infinite bound never prunes (Optuna's own defaults); JSON has no infinity, so it is left out.
        super().__init__(lower=None if lower == -_math.inf else lower, upper=None if upper == _math.inf else upper,
                         n_warmup_steps=n_warmup_steps, interval_steps=interval_steps)
        if "lower" not in self._options and "upper" not in self._options:
            self._options["upper"] = _sys.float_info.max  # only infinite bounds: prunes on NaN alone


class PatientPruner(BasePruner):
    """Lets ``wrapped_pruner`` (or, when None, always) prune only a trial whose best value over its
    last ``patience`` + 1 reports is worse than its earlier best by more than ``min_delta``."""

    _name = "patient"

    def __init__(self, wrapped_pruner, patience, min_delta=0.0):
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise TypeError(f"wrapped_pruner must be one of autoglm.pruners or None; got {type(wrapped_pruner).__name__}")
        min_delta = float(min_delta)
        if patience < 0 or not min_delta >= 0:
            raise ValueError(f"PatientPruner: patience and min_delta must be >= 0, got {patience} and {min_delta}")
        super().__init__(patience=patience, min_delta=min(min_delta, _sys.float_info.max),
                         wrapped_pruner=None if wrapped_pruner is None else wrapped_pruner._spec())
