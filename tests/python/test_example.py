"""Smoke test of examples/python/pytorch_digits.py: the example runs as a child process with tiny
settings on a temporary SQLite file, then the study is loaded back with autoglm and checked
(trial count, states, one intermediate value per epoch).

The child imports autoglm from $PYTHONPATH (ctest sets <build>/python); run by hand without it,
from <source>/build-core/python. Skipped only when PyTorch cannot be imported (Debian:
python3-torch); scikit-learn is required as well (python3-sklearn) and its absence fails.
"""
import os
import subprocess
import sys

import pytest

import autoglm

SOURCE_DIR = os.environ.get("AUTOGLM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(SOURCE_DIR, "examples", "python", "pytorch_digits.py")


def _env():
    env = dict(os.environ)
    if not env.get("PYTHONPATH"):
        binary_dir = env.get("AUTOGLM_BINARY_DIR") or os.path.join(SOURCE_DIR, "build-core")
        env["PYTHONPATH"] = os.path.join(binary_dir, "python")
    env.pop("AUTOGLM_STORAGE", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


@pytest.fixture(scope="module")
def torch_available():
    r = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["?"])[-1]
        pytest.skip(f"PyTorch cannot be imported by {sys.executable} ({last}); install Debian's python3-torch")


@pytest.mark.parametrize("pruner,n_jobs,n_trials", [("median", 1, 4), ("hyperband", 2, 6)])
def test_pytorch_digits_example(torch_available, tmp_path, pruner, n_jobs, n_trials):
    storage = f"sqlite:///{tmp_path / 'digits.db'}"
    epochs = 3
    cmd = [sys.executable, EXAMPLE, "--storage", storage, "--study-name", "smoke", "--n-trials", str(n_trials),
           "--epochs", str(epochs), "--pruner", pruner, "--n-jobs", str(n_jobs)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=_env(), cwd=tmp_path)
    assert r.returncode == 0, f"{' '.join(cmd)} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert "Best trial" in r.stdout, r.stdout
    assert f"autoglm dashboard --storage {storage}" in r.stdout, r.stdout

    study = autoglm.load_study(study_name="smoke", storage=storage)
    trials = study.trials
    assert len(trials) == n_trials
    assert [t.number for t in trials] == list(range(n_trials))
    states = {t.state for t in trials}
    assert states <= {autoglm.TrialState.COMPLETE, autoglm.TrialState.PRUNED}, states
    complete = study.get_trials(states=(autoglm.TrialState.COMPLETE,))
    assert complete, "no COMPLETE trial"
    if pruner == "median":  # MedianPruner(n_startup_trials=5) prunes nothing in the first 5 trials
        assert len(complete) == n_trials
    for t in trials:
        assert t.intermediate_values, f"trial {t.number} recorded no intermediate value"
        assert set(t.intermediate_values) <= set(range(epochs))
        assert all(0.0 <= v <= 1.0 for v in t.intermediate_values.values())
        assert {"n_layers", "dropout", "optimizer", "lr", "batch_size", "n_units_l0"} <= set(t.params)
    for t in complete:
        assert sorted(t.intermediate_values) == list(range(epochs))
        assert t.value == pytest.approx(t.intermediate_values[epochs - 1])
    assert study.direction == autoglm.StudyDirection.MAXIMIZE
    assert study.best_value > 0.5  # 3 epochs on digits: well above chance (0.1)
