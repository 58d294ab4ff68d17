"""Parameter importance, as ``optuna.importance``: ``get_param_importances`` with fANOVA
(Hutter et al. 2014, the default, as in Optuna) or PED-ANOVA (Watanabe et al. 2023), computed by
the engine (include/autoglm/importance.h) on the study's COMPLETE trials.
"""
import os as _os

from .trial import TrialState


class FanovaImportanceEvaluator:
    """fANOVA on a random forest of ``n_trees`` regression trees of depth <= ``max_depth``
    (Optuna 3.1's defaults). ``seed=None`` draws a seed, as Optuna does; a fixed seed gives
    identical results for identical trials."""

    def __init__(self, *, n_trees=64, max_depth=64, seed=None):
        self.n_trees = int(n_trees)
        self.max_depth = int(max_depth)
        self.seed = seed

    def _kwargs(self):
        seed = self.seed if self.seed is not None else int.from_bytes(_os.urandom(4), "little")
        return {"evaluator": "fanova", "n_trees": self.n_trees, "max_depth": self.max_depth, "seed": int(seed),
                "baseline_quantile": 0.1, "evaluate_on_local": True}


class PedAnovaImportanceEvaluator:
    """PED-ANOVA: Pearson divergence between the top ``baseline_quantile`` of trials and the
    baseline (the trials' own spread when ``evaluate_on_local``), Optuna 3.x's defaults."""

    def __init__(self, *, baseline_quantile=0.1, evaluate_on_local=True):
        self.baseline_quantile = float(baseline_quantile)
        self.evaluate_on_local = bool(evaluate_on_local)

    def _kwargs(self):
        return {"evaluator": "ped_anova", "n_trees": 64, "max_depth": 64, "seed": 0,
                "baseline_quantile": self.baseline_quantile, "evaluate_on_local": self.evaluate_on_local}


class MeanDecreaseImpurityImportanceEvaluator:
    """Not offered by autoglm: use FanovaImportanceEvaluator (the default) instead."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("MeanDecreaseImpurityImportanceEvaluator is not supported by autoglm; "
                                  "use FanovaImportanceEvaluator (the default) or PedAnovaImportanceEvaluator")


def get_param_importances(study, *, evaluator=None, params=None, target=None, normalize=True):
    """Importance of each parameter, a dict ordered from the most important; values sum to 1.

    ``params``: restrict to these names (only trials holding all of them are used). ``target``:
    ``target(frozen_trial) -> float`` evaluated on each COMPLETE trial (required for a
    multi-objective study, as in Optuna). Raises autoglm.exceptions.ConfigError (a ValueError)
    with fewer than 2 usable trials, no common parameter, an unknown name in ``params``;
    ValueError for a multi-objective study without ``target``; NotImplementedError for
    ``normalize=False`` (the engine reports normalized importances only).
    """
    if not normalize:
        raise NotImplementedError("get_param_importances(normalize=False) is not supported by autoglm; "
                                  "the importances are normalized to sum to 1")
    if target is None and len(study.directions) > 1:
        raise ValueError("If the `study` is being used for multi-objective optimization, please specify the `target`. "
                         "For example, use `target=lambda t: t.values[0]` for the first objective value.")
    evaluator = evaluator or FanovaImportanceEvaluator()
    if not hasattr(evaluator, "_kwargs"):
        raise TypeError("evaluator must be FanovaImportanceEvaluator or PedAnovaImportanceEvaluator from autoglm.importance")
    targets = None
    if target is not None:
        targets = {}
        for t in study.get_trials(states=(TrialState.COMPLETE,)):
            v = target(t)
            if v is not None:
                targets[t.number] = float(v)
    ranked = study._core.importance(params=None if params is None else list(params), targets=targets,
                                    objective_index=0, **evaluator._kwargs())
    return {name: value for name, value in ranked}
