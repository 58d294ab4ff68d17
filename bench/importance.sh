#!/usr/bin/env bash
# Parameter-importance benchmark: our fANOVA and PED-ANOVA (include/autoglm/importance.h) against
# Optuna 3.1's FanovaImportanceEvaluator (and PedAnovaImportanceEvaluator when the installed
# Optuna has it; 3.1 does not) on the same study, in the same run, on this machine.
#
# The study (default 1,000 trials x 10 parameters: floats, log float, int, log int, stepped
# float, two categoricals; RandomSampler(seed)) is written once by bench/importance_optuna.py to a
# JSON file that both sides read. Ours: bench/importance_bench.cc, best of --repeats runs (each
# run includes the forest fit); Optuna: best of --optuna-repeats (one run takes about a minute).
# Writes the raw JSON to the results folder and the page docs/benchmarks-importance.md.
#
# Usage: bench/importance.sh [--trials N] [--seed S] [--repeats R] [--optuna-repeats R]
#                            [--build-dir DIR] [--no-build] [--results-dir DIR] [--report FILE]
#   --build-dir   CMake build folder with the bench enabled (default build-impbench/; configured
#                 Release, torch and tests off, bench on, if new); only autoglm-importance-bench is built
#   --no-build    use the binary in --build-dir as it is
#   --results-dir default bench/results/importance (git-ignored)
#   --report      default docs/benchmarks-importance.md
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRIALS=1000 SEED=0 REPEATS=5 OPTUNA_REPEATS=1 BUILD_DIR=$ROOT/build-impbench NO_BUILD=0
RESULTS_DIR=$ROOT/bench/results/importance REPORT=$ROOT/docs/benchmarks-importance.md
PY=/usr/bin/python3
while (($#)); do
  case "$1" in
    --trials) TRIALS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    --optuna-repeats) OPTUNA_REPEATS=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) NO_BUILD=1; shift ;;
    --results-dir) RESULTS_DIR=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "importance.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

$PY -c 'import optuna, sklearn' 2>/dev/null || { echo "importance.sh: $PY lacks optuna or sklearn (Debian python3-optuna, python3-sklearn)" >&2; exit 2; }
if [[ $NO_BUILD == 0 ]]; then
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DAUTOGLM_WITH_TORCH=OFF \
      -DAUTOGLM_BUILD_BENCH=ON -DAUTOGLM_BUILD_TESTS=OFF >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target autoglm-importance-bench >/dev/null
fi
BIN=$BUILD_DIR/bench/autoglm-importance-bench
[[ -x $BIN ]] || { echo "importance.sh: $BIN not found (drop --no-build)" >&2; exit 2; }

mkdir -p "$RESULTS_DIR"
cut -d' ' -f1-3 /proc/loadavg > "$RESULTS_DIR/loadavg.txt" 2>/dev/null || echo "?" > "$RESULTS_DIR/loadavg.txt"
STUDY=$RESULTS_DIR/study-$TRIALS-$SEED.json
echo "importance.sh: writing the study ($TRIALS trials, seed $SEED) to $STUDY" >&2
$PY "$ROOT/bench/importance_optuna.py" study --out "$STUDY" --trials "$TRIALS" --seed "$SEED"
echo "importance.sh: ours (best of $REPEATS)" >&2
"$BIN" "$STUDY" "$REPEATS" > "$RESULTS_DIR/ours.json"
echo "importance.sh: ours on one core (taskset -c 0)" >&2
if command -v taskset >/dev/null; then taskset -c 0 "$BIN" "$STUDY" "$REPEATS" > "$RESULTS_DIR/ours-1core.json"; else echo '{}' > "$RESULTS_DIR/ours-1core.json"; fi
echo "importance.sh: Optuna (best of $OPTUNA_REPEATS; about a minute each)" >&2
$PY "$ROOT/bench/importance_optuna.py" time --study "$STUDY" --repeats "$OPTUNA_REPEATS" > "$RESULTS_DIR/optuna.json"

CMD="bench/importance.sh --trials $TRIALS --seed $SEED --repeats $REPEATS --optuna-repeats $OPTUNA_REPEATS"
BENCH_DIR="$ROOT/bench" $PY - "$RESULTS_DIR" "$REPORT" "$CMD" <<'PYEOF'
import json, os, platform, subprocess, sys
res, report, cmd = sys.argv[1:4]
ours = json.load(open(os.path.join(res, "ours.json")))
one = json.load(open(os.path.join(res, "ours-1core.json")))
opt = json.load(open(os.path.join(res, "optuna.json")))
sys.path.insert(0, os.environ["BENCH_DIR"])
from report import machine_info  # bench/report.py: one reading of the machine for every page
cpu = machine_info()["cpu"]
def s(x): return "n/a" if x is None else f"{x:.3f}"
def ratio(a, b): return "n/a" if a is None or b is None or b <= 0 else f"{a / b:.0f}x"
of = opt.get("fanova_s"); op = opt.get("ped_anova_s")
rows = [
    ("fANOVA (64 trees), main effects", ours.get("fanova_s"), one.get("fanova_s"), of),
    ("fANOVA + all 45 pairwise interactions", ours.get("fanova_interactions_s"), one.get("fanova_interactions_s"), None),
    ("PED-ANOVA (gamma = 0.1, local)", ours.get("ped_anova_s"), one.get("ped_anova_s"), op),
    ("PED-ANOVA + pairwise interactions", ours.get("ped_anova_interactions_s"), one.get("ped_anova_interactions_s"), None),
]
lines = ["# Parameter importance: ours vs Optuna " + opt.get("optuna_version", "?"), "",
         f"Study: {ours['n_trials']} trials x {ours['n_params']} parameters (floats, log float, int, log int, "
         "stepped float, two categoricals), RandomSampler, written once by `bench/importance_optuna.py` and read by both sides "
         "(`bench/importance_bench.cc` for ours). Wall-clock seconds on this machine in the same run "
         f"({cpu}, {os.cpu_count()} logical cores; load average {open(os.path.join(res, 'loadavg.txt')).read().strip()} when the run began: "
         "other processes share the cores, so the multi-threaded figures may be no better than the 1-core ones); "
         f"ours: best of {ours['repeats']} runs, each including the forest fit.", "",
         f"Command: `{cmd}`", "",
         "| evaluator | ours, s | ours on 1 core, s | Optuna, s | speed-up (ours vs Optuna) |",
         "|---|---:|---:|---:|---:|"]
for name, a, b, c in rows:
    lines.append(f"| {name} | {s(a)} | {s(b)} | {s(c)} | {ratio(c, a)} |")
lines += ["", "Optuna 3.1 has no PED-ANOVA evaluator (it arrived in Optuna 3.6) and no interaction importances, so those cells are n/a.", "",
          "Importances on this study (sum 1):", "",
          "| parameter | ours fANOVA | Optuna fANOVA | ours PED-ANOVA |", "|---|---:|---:|---:|"]
o = dict(map(tuple, ours["fanova"])); p = dict(map(tuple, opt["fanova"])); q = dict(map(tuple, ours["ped_anova"]))
for name, _ in ours["fanova"]:
    lines.append(f"| {name} | {o[name]:.4f} | {p.get(name, float('nan')):.4f} | {q[name]:.4f} |")
lines += ["", "The fANOVA values differ from Optuna's by forest noise (our bootstrap draws come from another generator "
          "than scikit-learn's); the parity test `tests/importance/importance_test.cc` (FanovaParityTest) checks rankings and "
          "values on the studies of `tests/data/importance_optuna.json`. PED-ANOVA measures what sets the best 10% of trials "
          "apart, not the global variance, so its ranking may differ from fANOVA's by design.", ""]
open(report, "w").write("\n".join(lines))
print("\n".join(lines))
PYEOF
echo "importance.sh: wrote $REPORT" >&2
