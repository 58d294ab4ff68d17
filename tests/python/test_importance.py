"""autoglm.importance.get_param_importances (fANOVA and PED-ANOVA computed by the engine)."""
import pytest

import autoglm
from autoglm import exceptions as exc
from autoglm.importance import (FanovaImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator,
                                PedAnovaImportanceEvaluator, get_param_importances)


@pytest.fixture(scope="module")
def study():
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=0))

    def obj(t):
        x, y, z = (t.suggest_float(n, 0, 1) for n in "xyz")
        return 10 * x + y + 0 * z

    s.optimize(obj, n_trials=80)
    return s


@pytest.mark.parametrize("evaluator", [None, FanovaImportanceEvaluator(seed=1), PedAnovaImportanceEvaluator()])
def test_ranking_and_normalization(study, evaluator):
    imp = get_param_importances(study, evaluator=evaluator)
    assert set(imp) == {"x", "y", "z"}
    assert list(imp)[0] == "x"
    assert sum(imp.values()) == pytest.approx(1.0)
    assert all(v >= 0 for v in imp.values())
    assert imp["x"] > 0.6
    values = list(imp.values())
    assert values == sorted(values, reverse=True)


def test_fanova_seeded_is_reproducible(study):
    a = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=4))
    b = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=4))
    assert a == b
    assert get_param_importances(study, evaluator=FanovaImportanceEvaluator(n_trees=8, max_depth=4, seed=4))["x"] > 0.6


def test_params_subset(study):
    imp = get_param_importances(study, params=["z", "x"], evaluator=FanovaImportanceEvaluator(seed=0))
    assert set(imp) == {"x", "z"}
    assert list(imp)[0] == "x"
    assert sum(imp.values()) == pytest.approx(1.0)
    with pytest.raises(exc.ConfigError, match="'nope'"):
        get_param_importances(study, params=["nope"])


def test_target(study):
    imp = get_param_importances(study, target=lambda t: t.params["z"] ** 2, evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(imp)[0] == "z"
    assert sum(imp.values()) == pytest.approx(1.0)


def test_multi_objective_requires_target():
    m = autoglm.create_study(directions=["minimize", "maximize"], sampler=autoglm.samplers.RandomSampler(seed=1))
    m.optimize(lambda t: (t.suggest_float("a", 0, 1), 5 * t.suggest_float("b", 0, 1)), n_trials=40)
    with pytest.raises(ValueError, match="target"):
        get_param_importances(m)
    first = get_param_importances(m, target=lambda t: t.values[0], evaluator=FanovaImportanceEvaluator(seed=0))
    second = get_param_importances(m, target=lambda t: t.values[1], evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(first)[0] == "a" and list(second)[0] == "b"


def test_unsupported_and_too_few_trials(study):
    with pytest.raises(NotImplementedError):
        get_param_importances(study, normalize=False)
    with pytest.raises(NotImplementedError):
        MeanDecreaseImpurityImportanceEvaluator()
    with pytest.raises(TypeError):
        get_param_importances(study, evaluator=object())
    one = autoglm.create_study()
    one.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    with pytest.raises(ValueError):
        get_param_importances(one)


def test_conditional_parameters_use_only_completed_trials():
    s = autoglm.create_study(sampler=autoglm.samplers.RandomSampler(seed=2))

    def obj(t):
        x = t.suggest_float("x", 0, 1)
        if t.number % 4 == 3:
            raise autoglm.TrialPruned()
        return 3 * x + 0.1 * t.suggest_float("w", 0, 1)

    s.optimize(obj, n_trials=40)
    imp = get_param_importances(s, evaluator=FanovaImportanceEvaluator(seed=0))
    assert list(imp) == ["x", "w"]
