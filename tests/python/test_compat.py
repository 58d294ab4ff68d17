"""Optuna compatibility check: each script in compat/ is an ordinary Optuna script whose only
change is ``import autoglm as optuna``. Each one runs twice in a child process of Debian's
/usr/bin/python3, once as written (autoglm) and once with that line swapped to ``import optuna``
(Optuna 3.1), and both runs must exit 0 and print the same fact lines (JSON, one per line).

The package is found through PYTHONPATH (ctest sets <build>/python), else build-core/python.
"""
import difflib
import json
import os
import pathlib
import re
import subprocess
import functools
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
COMPAT = HERE / "compat"
REPO = HERE.parent.parent
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
IMPORT_LINE = "import autoglm as optuna"
TIMEOUT_S = 120

SCRIPTS = sorted(p for p in COMPAT.glob("*.py") if not p.name.startswith("_"))


def _pythonpath():
    return os.environ.get("PYTHONPATH") or str(REPO / "build-core" / "python")


@functools.lru_cache(maxsize=None)
def _optuna_version():
    """Optuna's version for PYTHON, or None when it is not installed (the facts were written against 3.1)."""
    r = subprocess.run([PYTHON, "-c", "import optuna; print(optuna.__version__)"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def _optuna_source(text):
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip("\n") == IMPORT_LINE]
    assert len(hits) == 1, "the script must hold exactly one line 'import autoglm as optuna'"
    lines[hits[0]] = "import optuna\n"
    return "".join(lines)


def _start(script_path, tmp, env):
    return subprocess.Popen([PYTHON, str(script_path), str(tmp)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(tmp))


def _finish(proc, what):
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"{what} ran over {TIMEOUT_S} s\n--- stderr ---\n{err[-4000:]}")
    assert proc.returncode == 0, f"{what} exited {proc.returncode}\n--- stdout ---\n{out[-4000:]}\n--- stderr ---\n{err[-6000:]}"
    return [line for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_script_differs_only_in_import(script):
    text = script.read_text()
    mentions = [line for line in text.splitlines() if re.search("autoglm", line, re.IGNORECASE)]
    assert mentions == [IMPORT_LINE], f"{script.name}: 'autoglm' may appear only in its import line, found {mentions}"
    # Any other `import optuna` / `from optuna... import` would load real Optuna in the autoglm run.
    others = [line for line in text.splitlines() if re.match(r"\s*(import|from)\s+optuna\b", line)]
    assert not others, f"{script.name}: use optuna.<module>.<name> instead of {others}"


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_same_facts_as_optuna(script, tmp_path):
    if _optuna_version() is None:
        pytest.skip(f"Optuna is not installed for {PYTHON} (Debian: python3-optuna)")
    env = dict(os.environ)
    env["PYTHONPATH"] = _pythonpath()
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    ours_dir = tmp_path / "autoglm"
    theirs_dir = tmp_path / "optuna"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    optuna_script = theirs_dir / script.name
    optuna_script.write_text(_optuna_source(script.read_text()))
    # The Optuna run must not pick up autoglm, nor the other way round.
    optuna_env = dict(env)
    optuna_env.pop("PYTHONPATH")
    ours = _start(script, ours_dir, env)
    theirs = _start(optuna_script, theirs_dir, optuna_env)
    expected = _finish(theirs, f"{script.name} under Optuna")
    got = _finish(ours, f"{script.name} under autoglm")
    assert expected, f"{script.name} printed no facts under Optuna"
    for line in expected:
        json.loads(line)  # facts are JSON lines; anything else is a stray print
    if got != expected:
        diff = "\n".join(difflib.unified_diff(expected, got, "optuna", "autoglm", lineterm="", n=1))
        pytest.fail(f"{script.name}: facts differ between Optuna {_optuna_version()} and autoglm\n{diff}")
