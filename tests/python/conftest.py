"""Shared set-up of the tests of the `autoglm` Python package (tests/python).

ctest runs them as `python3 -m pytest -q -p no:cacheprovider tests/python` with
PYTHONPATH=<build>/python, AUTOGLM_BIN=<build>/autoglm, AUTOGLM_SOURCE_DIR and AUTOGLM_BINARY_DIR.
Run by hand, the variables fall back to the source tree and its build-core/ folder. A missing or
broken extension module is a usage error (every test would fail), never a silent skip.
"""
import os
import socket
import subprocess
import sys
import uuid

import pytest

SOURCE_DIR = os.environ.get("AUTOGLM_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.environ.get("AUTOGLM_BINARY_DIR") or os.path.join(SOURCE_DIR, "build-core")
AUTOGLM_BIN = os.environ.get("AUTOGLM_BIN") or os.path.join(BINARY_DIR, "autoglm")
PYTHON_DIR = os.path.join(BINARY_DIR, "python")

if PYTHON_DIR not in sys.path and not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, PYTHON_DIR)


def pytest_configure(config):
    try:
        import autoglm  # noqa: F401
        import autoglm._core  # noqa: F401
    except ImportError as e:
        raise pytest.UsageError(
            f"cannot import the autoglm package ({e}); build it (cmake --build BUILD --target autoglm_python) and "
            f"run with PYTHONPATH=BUILD/python (looked in {os.environ.get('PYTHONPATH') or PYTHON_DIR})")
    import autoglm
    autoglm.logging.set_verbosity(autoglm.logging.WARNING)


def child_env():
    """Environment for child Python processes and the CLI: the package importable, no storage default."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p and os.path.isdir(os.path.join(p, "autoglm"))]
    env["PYTHONPATH"] = os.pathsep.join(paths[:1] + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("AUTOGLM_STORAGE", None)
    return env


@pytest.fixture
def sqlite_url(tmp_path):
    """A SQLite URL of a fresh file in the test's temporary folder."""
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture(scope="session")
def autoglm_bin():
    if not (os.path.isfile(AUTOGLM_BIN) and os.access(AUTOGLM_BIN, os.X_OK)):
        pytest.fail(f"the autoglm CLI is not at {AUTOGLM_BIN} (set AUTOGLM_BIN or build the `autoglm` target)")
    return AUTOGLM_BIN


@pytest.fixture
def cli(autoglm_bin):
    """cli(*args, check=True) -> CompletedProcess of the autoglm CLI (text, 60 s limit)."""

    def run(*args, check=True, timeout=60, cwd=None):
        r = subprocess.run([autoglm_bin, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                           env=child_env(), cwd=cwd)
        if check and r.returncode != 0:
            pytest.fail(f"autoglm {' '.join(map(str, args))} exited {r.returncode}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}")
        return r

    return run


@pytest.fixture
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_url():
    """URL of the shared throw-away PostgreSQL cluster (scripts/test_pg.sh; ctest stops it)."""
    script = os.path.join(SOURCE_DIR, "scripts", "test_pg.sh")
    r = subprocess.run([script, "start", os.path.join(BINARY_DIR, "test-pg")], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0 and "server binaries not found" in r.stderr:
        pytest.skip("PostgreSQL server binaries are not installed (scripts/setup.sh installs them): " + r.stderr.strip())
    if r.returncode != 0:
        pytest.fail(f"scripts/test_pg.sh start failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture
def unique_name():
    return "py-" + uuid.uuid4().hex[:12]
