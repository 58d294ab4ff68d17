#!/usr/bin/env bash
# The main job: tunes a byte-level GLM (decoder-only transformer, libtorch) on Moby Dick with
# TPE + successive halving, two trials in parallel, then compares the best trial with the
# default configuration. Installs and builds what it needs first.
# Usage: scripts/main_job.sh [extra autoglm tune flags, e.g. --n-trials 8]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh autoglm autoglm-train
mkdir -p runs
start=$(date +%s)
./build/autoglm tune examples/glm-moby-dick.yaml --storage sqlite:///runs/glm-moby-dick.db "$@"
echo "main_job.sh: tuning wall time $(( $(date +%s) - start )) s"
