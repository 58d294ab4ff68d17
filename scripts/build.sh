#!/usr/bin/env bash
# Configures and builds Open-AutoGLM into build/ (Release with debug info), after installing
# every dependency with scripts/setup.sh.
# Usage: scripts/build.sh [TARGET...]   (no target: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
JOBS=${AUTOGLM_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if (($#)); then
  for target in "$@"; do cmake --build build -j"$JOBS" --target "$target"; done
else
  cmake --build build -j"$JOBS"
fi
