#!/usr/bin/env bash
# Side-by-side sampler benchmark: our samplers, Optuna 3.1 and dlib on the same problems, budgets
# and seeds (bench/README.md): single-objective suites A/B/C, multi-objective suite M, overhead F. Builds what it needs, checks f(x*) = f*, runs every optimizer,
# appends raw JSON lines to bench/results/<mode>/ and writes docs/benchmarks.md (full) or
# docs/benchmarks-quick.md (quick).
#
# Usage: bench/run.sh [--quick|--full|--smoke] [--jobs N] [--build-dir DIR] [--no-build]
#                     [--bin-dir DIR] [--results-dir DIR] [--report FILE] [--fresh]
#   --quick        (default) what docs/benchmarks-quick.md shows; ~2 min on 2 cores, <5 min on a busy machine
#   --full         every suite at full size; ~40 min with the default 2 jobs
#   --smoke        seconds; results and page go to the results folder (ctest bench_smoke)
#   --jobs N       quality runs in N processes (default 2, or 1 on one core); overhead runs alone
#   --build-dir    CMake build folder (default build/; configured with torch off if new)
#   --no-build     use the binaries in --bin-dir (default BUILD_DIR/bench) as they are
#   --results-dir  where the JSONL goes (default bench/results/<mode>)
#   --report       markdown page to write (default docs/benchmarks.md for full, docs/benchmarks-quick.md
#                  for quick, the results folder for smoke)
#   --fresh        delete the mode's results first (default: resume, skipping finished cells)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=quick JOBS=$(( $(nproc) >= 2 ? 2 : 1 )) BUILD_DIR=$ROOT/build BIN_DIR="" RESULTS_DIR="" REPORT="" NO_BUILD=0 FRESH=0
# need_value OPTION NEXT: an option that takes a value got none (or another option).
need_value() { [[ $# -ge 2 && -n $2 && $2 != --* ]] || { echo "run.sh: $1 needs a value (see --help)" >&2; exit 2; }; }
while (($#)); do
  case "$1" in
    --jobs|--build-dir|--bin-dir|--results-dir|--report) need_value "$@" ;;
  esac
  case "$1" in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --smoke) MODE=smoke ;;
    --jobs) JOBS=$2; shift ;;
    --jobs=*) JOBS=${1#*=} ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --bin-dir) BIN_DIR=$(realpath -m "$2"); shift ;;
    --results-dir) RESULTS_DIR=$(realpath -m "$2"); shift ;;
    --report) REPORT=$(realpath -m "$2"); shift ;;
    --no-build) NO_BUILD=1 ;;
    --fresh) FRESH=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs needs a positive integer, got '$JOBS'" >&2; exit 2; }
BIN_DIR=${BIN_DIR:-$BUILD_DIR/bench}
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/$MODE}
if [[ -z $REPORT ]]; then
  case $MODE in
    smoke) REPORT=$RESULTS_DIR/benchmarks.md ;;
    quick) REPORT=$ROOT/docs/benchmarks-quick.md ;;
    full) REPORT=$ROOT/docs/benchmarks.md ;;
  esac
fi
CONFIG=$ROOT/bench/suites.json

# Debian's interpreter: the one python3-optuna / numpy / scipy are installed for.
PY=/usr/bin/python3
if ! "$PY" -c 'import optuna, numpy, scipy' 2>/dev/null; then
  echo "run.sh: $PY cannot import optuna, numpy and scipy (apt-get install python3-optuna python3-scipy)" >&2
  exit 2
fi

if ((!NO_BUILD)); then
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DAUTOGLM_WITH_TORCH=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target autoglm-bench autoglm_bench_objectives
fi
BENCH=$BIN_DIR/autoglm-bench
LIB=$BIN_DIR/libautoglm_bench_objectives.so
for f in "$BENCH" "$LIB"; do
  [[ -e $f ]] || { echo "run.sh: $f not found (build it, or pass --bin-dir)" >&2; exit 2; }
done

if [[ $MODE == smoke || $FRESH == 1 ]]; then rm -rf "$RESULTS_DIR"; fi
mkdir -p "$RESULTS_DIR"
start=$(date +%s)
echo "run.sh: mode $MODE, $JOBS job(s), results in $RESULTS_DIR"

"$BENCH" info >"$RESULTS_DIR/meta.jsonl"
"$PY" "$ROOT/bench/optuna_runner.py" info --lib "$LIB" >>"$RESULTS_DIR/meta.jsonl"
# The auto sampler reports each change of delegate on stderr; keep the console readable.
quiet_auto() { grep -v '^auto sampler: ' || true; }

"$BENCH" check --config "$CONFIG" --mode "$MODE"

# Quality suites (A/B/C, then M): shard k of N runs our samplers and dlib, then Optuna, on cells
# k, k+N, ... (suite M's cells are numbered after the single-objective ones).
pids=()
trap 'kill "${pids[@]}" 2>/dev/null' INT TERM
for ((k = 0; k < JOBS; ++k)); do
  (
    "$BENCH" quality --config "$CONFIG" --mode "$MODE" --shard "$k/$JOBS" \
      --results-dir "$RESULTS_DIR" --out "$RESULTS_DIR/ours-$k.jsonl" 2> >(quiet_auto >&2)
    "$PY" "$ROOT/bench/optuna_runner.py" quality --lib "$LIB" --config "$CONFIG" --mode "$MODE" \
      --shard "$k/$JOBS" --results-dir "$RESULTS_DIR" --out "$RESULTS_DIR/optuna-$k.jsonl"
  ) &
  pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
pids=()
((failed == 0)) || { echo "run.sh: a quality shard failed" >&2; exit 1; }
echo "run.sh: quality suites done after $(($(date +%s) - start)) s"

# Suite F (per-trial overhead, then the multi-objective kernels), alone on the machine so that
# timings are not disturbed.
"$BENCH" overhead --config "$CONFIG" --mode "$MODE" --results-dir "$RESULTS_DIR" \
  --out "$RESULTS_DIR/overhead-ours.jsonl" 2> >(quiet_auto >&2)
"$PY" "$ROOT/bench/optuna_runner.py" overhead --lib "$LIB" --config "$CONFIG" --mode "$MODE" \
  --results-dir "$RESULTS_DIR" --out "$RESULTS_DIR/overhead-optuna.jsonl"
"$BENCH" e2e --config "$CONFIG" --mode "$MODE" --results-dir "$RESULTS_DIR" --out "$RESULTS_DIR/e2e.jsonl"
wall=$(($(date +%s) - start))
echo "run.sh: all runs done after $wall s"

strict=()
[[ $MODE == smoke ]] && strict=(--strict)
"$PY" "$ROOT/bench/report.py" --results-dir "$RESULTS_DIR" --mode "$MODE" --config "$CONFIG" \
  --out "$REPORT" --wall-seconds "$wall" "${strict[@]}"
