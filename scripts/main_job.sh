#!/usr/bin/env bash
# The main job: tunes a byte-level GLM (decoder-only transformer, libtorch) on Moby Dick with
# TPE + successive halving, two trials in parallel, then compares the best trial with the
# default configuration, and writes a self-contained HTML report of the study
# (runs/glm-moby-dick-report.html: history, learning curves, importance, timeline...).
# Installs and builds what it needs first.
# Usage: scripts/main_job.sh [extra autoglm tune flags, e.g. --n-trials 8]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh autoglm autoglm-train
mkdir -p runs
start=$(date +%s)
./build/autoglm tune examples/glm-moby-dick.yaml --storage sqlite:///runs/glm-moby-dick.db "$@"
echo "main_job.sh: tuning wall time $(( $(date +%s) - start )) s"
./build/autoglm importance --study glm-moby-dick --storage sqlite:///runs/glm-moby-dick.db \
  || echo "main_job.sh: no importance (it needs at least 2 COMPLETE trials)"
./build/autoglm report --study glm-moby-dick --storage sqlite:///runs/glm-moby-dick.db --out runs/glm-moby-dick-report.html
echo "main_job.sh: watch it live with ./build/autoglm dashboard --storage sqlite:///runs/glm-moby-dick.db"
