#!/usr/bin/env bash
# The whole test suite: installs dependencies, builds, and runs every GoogleTest suite and the
# end-to-end tests through ctest. Usage: scripts/test.sh   (what .ci/run and README use)
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/build.sh
cd build
ctest --output-on-failure -j"${AUTOGLM_TEST_JOBS:-2}" --timeout 900
echo "test.sh: build + tests took $(( $(date +%s) - start )) s"
