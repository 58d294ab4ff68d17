#!/usr/bin/env bash
# Storage/worker throughput benchmark (bench/README.md): trials per second of K worker processes
# (K = 1, 4, 8, 16) on one study, random sampler, trivial objective, for our SQLite and PostgreSQL
# storages against Optuna 3.1's RDBStorage on the same SQLite / PostgreSQL and its
# JournalFileStorage, on this machine in this run; after each run the trials are checked (COMPLETE
# == N, numbers 0..N contiguous, nothing RUNNING: lost / duplicated counts). Also: peak RSS of the
# workers, memory and time on a large study (ours vs Optuna), stale-trial detection latency.
# Results: JSON lines in bench/results/throughput/ (git-ignored); page docs/benchmarks-throughput.md.
#
# Usage: bench/throughput.sh [--quick|--full] [--build-dir DIR] [--no-build] [--results-dir DIR]
#                            [--report FILE] [--workers "1 4 8 16"] [--backends "LIST"] [--repeats R]
#                            [--memory-trials M] [--no-memory] [--no-stale] [--keep]
#   --quick        (default) N = 2,000 trials for ours and Optuna's journal, 300 for Optuna's RDB
#                  storages (slow: their rate is measured on fewer trials); memory study 20,000 trials
#   --full         N = 10,000 for ours (the "zero lost or duplicated in 10,000" check), 3,000 for the journal,
#                  1,000 for Optuna's RDB; memory study 100,000 trials
#   --build-dir    CMake build folder (default build/; configured Release, torch off, if new)
#   --no-build     use the binaries in --build-dir as they are
#   --results-dir  default bench/results/throughput (the mode's file is replaced)
#   --report       default docs/benchmarks-throughput.md (full), docs/benchmarks-throughput-quick.md (quick)
#   --workers      worker counts (default "1 4 8 16")
#   --backends     subset of: ours-sqlite ours-postgresql optuna-rdb-sqlite optuna-rdb-postgresql
#                  optuna-journal (default all; PostgreSQL needs scripts/test_pg.sh and the server);
#                  none: only the memory and stale checks
#   --repeats R    runs per cell, the page shows the median (default 1)
#   --memory-trials M   size of the memory study (default 20,000 quick, 100,000 full)
#   --no-memory, --no-stale   skip those parts
#   --keep         keep the temporary folder (databases, worker logs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODE=quick BUILD_DIR=$ROOT/build NO_BUILD=0 RESULTS_DIR="" REPORT="" WORKERS="1 4 8 16" REPEATS=1
BACKENDS="ours-sqlite ours-postgresql optuna-rdb-sqlite optuna-rdb-postgresql optuna-journal"
MEM_TRIALS="" DO_MEMORY=1 DO_STALE=1 KEEP=0
ARGS="$*"
need_value() { [[ $# -ge 2 && -n $2 && $2 != --* ]] || { echo "throughput.sh: $1 needs a value (see --help)" >&2; exit 2; }; }
while (($#)); do
  case "$1" in
    --build-dir|--results-dir|--report|--workers|--backends|--repeats|--memory-trials) need_value "$@" ;;
  esac
  case "$1" in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --no-build) NO_BUILD=1 ;;
    --results-dir) RESULTS_DIR=$(realpath -m "$2"); shift ;;
    --report) REPORT=$(realpath -m "$2"); shift ;;
    --workers) WORKERS=$2; shift ;;
    --backends) BACKENDS=$2; shift ;;
    --repeats) REPEATS=$2; shift ;;
    --memory-trials) MEM_TRIALS=$2; shift ;;
    --no-memory) DO_MEMORY=0 ;;
    --no-stale) DO_STALE=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "throughput.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ $REPEATS =~ ^[1-9][0-9]*$ ]] || { echo "throughput.sh: --repeats needs a positive integer" >&2; exit 2; }
for k in $WORKERS; do [[ $k =~ ^[1-9][0-9]*$ ]] || { echo "throughput.sh: bad worker count '$k'" >&2; exit 2; }; done
[[ $BACKENDS == none ]] && BACKENDS=""
for b in $BACKENDS; do
  case $b in ours-sqlite|ours-postgresql|optuna-rdb-sqlite|optuna-rdb-postgresql|optuna-journal) ;;
    *) echo "throughput.sh: unknown back end '$b'" >&2; exit 2 ;; esac
done
if [[ $MODE == full ]]; then N_OURS=10000 N_JOURNAL=3000 N_RDB=1000 MEM_TRIALS=${MEM_TRIALS:-100000}
else N_OURS=2000 N_JOURNAL=2000 N_RDB=300 MEM_TRIALS=${MEM_TRIALS:-20000}; fi
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results/throughput}
if [[ -z $REPORT ]]; then
  [[ $MODE == full ]] && REPORT=$ROOT/docs/benchmarks-throughput.md || REPORT=$ROOT/docs/benchmarks-throughput-quick.md
fi

PY=/usr/bin/python3
"$PY" -c 'import optuna' 2>/dev/null || { echo "throughput.sh: $PY cannot import optuna (apt-get install python3-optuna)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "throughput.sh: GNU time missing (apt-get install time)" >&2; exit 2; }
TOOLS=$ROOT/bench/throughput_tools.py
OPT=$ROOT/bench/throughput_optuna.py

if ((!NO_BUILD)); then
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DAUTOGLM_WITH_TORCH=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  elif grep -q '^AUTOGLM_BUILD_BENCH:BOOL=OFF' "$BUILD_DIR/CMakeCache.txt"; then
    # autoglm-throughput-helper lives in bench/; only the two targets below are built.
    echo "throughput.sh: turning AUTOGLM_BUILD_BENCH on in $BUILD_DIR (for autoglm-throughput-helper)" >&2
    cmake -DAUTOGLM_BUILD_BENCH=ON "$BUILD_DIR" >/dev/null
  fi
  grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$BUILD_DIR/CMakeCache.txt" ||
    echo "throughput.sh: note: $BUILD_DIR is not a Release build; timings will be slower" >&2
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target autoglm autoglm-throughput-helper
fi
AG=$BUILD_DIR/autoglm
HELPER=$BUILD_DIR/bench/autoglm-throughput-helper
for f in "$AG" "$HELPER"; do [[ -x $f ]] || { echo "throughput.sh: $f not found (build it, or drop --no-build)" >&2; exit 2; }; done

mkdir -p "$RESULTS_DIR"
OUT=$RESULTS_DIR/$MODE.jsonl
rm -f "$OUT"
WORK=$(mktemp -d /tmp/autoglm-throughput.XXXXXX)
chmod 755 "$WORK"  # the PostgreSQL server runs as user postgres and must reach its folder
PG_DIR=$WORK/pg PG_URL=""
cleanup() {
  if [[ -n $PG_URL ]]; then "$ROOT/scripts/test_pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true; fi
  if ((KEEP)); then echo "throughput.sh: kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
note() { "$PY" -c 'import json,sys; print(json.dumps({"kind": "note", "text": sys.argv[1]}))' "$1" >>"$OUT"; echo "throughput.sh: $1" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

LOAD_START=$(load)
echo "throughput.sh: mode $MODE, work folder $WORK, load $LOAD_START"

# ---- PostgreSQL: a private server for both sides (two databases) ----------------------------
need_pg=0
for b in $BACKENDS; do [[ $b == *postgresql ]] && need_pg=1; done
if ((need_pg)); then
  if [[ -x $ROOT/scripts/test_pg.sh ]] && PG_URL=$("$ROOT/scripts/test_pg.sh" start "$PG_DIR" 2>"$WORK/pg-start.err"); then
    PG_PW=$(cat "$PG_DIR/password") PG_PORT=$(cat "$PG_DIR/port")
    PSQL=$(command -v psql || echo "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql")
    for db in autoglm_tp optuna_tp; do
      PGPASSWORD=$PG_PW "$PSQL" -q -X -h 127.0.0.1 -p "$PG_PORT" -U autoglm -d postgres -c "CREATE DATABASE $db" >/dev/null
    done
    OURS_PG="postgresql://autoglm:$PG_PW@127.0.0.1:$PG_PORT/autoglm_tp"
    OPTUNA_PG="postgresql+psycopg2://autoglm:$PG_PW@127.0.0.1:$PG_PORT/optuna_tp"
    if ! "$PY" -c 'import psycopg2' 2>/dev/null; then
      note "python3-psycopg2 missing: Optuna's RDB on PostgreSQL skipped (apt-get install python3-psycopg2)"
      BACKENDS=${BACKENDS//optuna-rdb-postgresql/}
    fi
  else
    PG_URL=""
    note "no PostgreSQL test server (scripts/test_pg.sh start failed: $(tail -1 "$WORK/pg-start.err" 2>/dev/null)); PostgreSQL back ends skipped"
    BACKENDS=${BACKENDS//ours-postgresql/}
    BACKENDS=${BACKENDS//optuna-rdb-postgresql/}
  fi
fi

# ---- meta -----------------------------------------------------------------------------------
PG_VERSION=""
[[ -n $PG_URL ]] && PG_VERSION=$(PGPASSWORD=$PG_PW "$PSQL" -X -A -t -h 127.0.0.1 -p "$PG_PORT" -U autoglm -d postgres -c 'SHOW server_version' 2>/dev/null | head -1)
"$PY" - "$OUT" "$MODE" "bench/throughput.sh $ARGS" "$LOAD_START" "$PG_VERSION" <<'EOF'
import json, os, platform, sqlite3, subprocess, sys, datetime
out, mode, cmd, load, pgv = sys.argv[1:6]
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
import optuna, sqlalchemy
versions = "Optuna %s (SQLAlchemy %s), Python %s, SQLite %s%s" % (
    optuna.__version__, sqlalchemy.__version__, platform.python_version(), sqlite3.sqlite_version,
    (", PostgreSQL %s (scripts/test_pg.sh: fsync off)" % pgv) if pgv else "")
row = {"kind": "meta", "mode": mode, "command": cmd.strip(), "load_start": load,
       "date": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu,
       "nproc": os.cpu_count(), "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
       "versions": versions}
open(out, "a").write(json.dumps(row) + "\n")
EOF

# ---- throughput -----------------------------------------------------------------------------
CFG=$WORK/throughput.yaml
cat >"$CFG" <<'EOF'
direction: minimize
space:
  x0: {type: float, low: -5.0, high: 5.0}
  x1: {type: float, low: -5.0, high: 5.0}
sampler: {name: random}
pruner: none
objective: {function: sphere}
EOF

# run_cell BACKEND K N REPEAT
run_cell() {
  local b=$1 k=$2 n=$3 r=$4
  local d=$WORK/$b-k$k-r$r study=tp-k$k-r$r url pre=0
  mkdir -p "$d"
  case $b in
    ours-*)
      if [[ $b == ours-sqlite ]]; then url="sqlite:///$d/ours.db"; else url=$OURS_PG; fi
      # The study with its config, and one first trial (tune runs it) before the clock starts.
      "$AG" tune "$CFG" --storage "$url" --study "$study" --n-trials 1 >"$d/tune.log" 2>&1
      pre=1
      AUTOGLM_STORAGE=$url "$PY" "$TOOLS" launch --k "$k" --n "$n" --out "$d/launch.json" --logs "$d/logs" -- \
        "$AG" worker --study "$study" --n-trials $((n + 1)) >/dev/null || true
      "$AG" trials --study "$study" --storage "$url" --format json >"$d/trials.json"
      "$PY" "$TOOLS" verify-ours --json "$d/trials.json" --n $((n + 1)) --span-from 1 >"$d/verify.json"
      ;;
    optuna-*)
      case $b in
        optuna-rdb-sqlite) url="sqlite:///$d/optuna.db" ;;
        optuna-rdb-postgresql) url=$OPTUNA_PG ;;
        optuna-journal) url="journal:$d/optuna.log" ;;
      esac
      "$PY" -W ignore "$OPT" create --storage "$url" --study "$study" >/dev/null
      "$PY" "$TOOLS" launch --k "$k" --n "$n" --out "$d/launch.json" --logs "$d/logs" -- \
        "$PY" -W ignore "$OPT" worker --storage "$url" --study "$study" --n-trials '{share}' --seed '{k}' >/dev/null || true
      "$PY" -W ignore "$OPT" verify --storage "$url" --study "$study" --n "$n" >"$d/verify.json"
      ;;
  esac
  "$PY" "$TOOLS" record --launch "$d/launch.json" --verify "$d/verify.json" --backend "$b" --workers "$k" \
    --n "$n" --pre "$pre" --repeat "$r" --out "$OUT" |
    "$PY" -c 'import json,sys; r=json.loads(sys.stdin.read()); print("throughput.sh: %-22s K=%-2d N=%-6d %8.1f trials/s (in-study %s) RSS %.1f MiB lost %d dup %d over %d FAIL %d RUNNING %d rcs %s" % (r["backend"], r["workers"], r["n"], r["trials_per_s"], "%.1f" % r["in_study_per_s"] if r.get("in_study_per_s") else "-", r["rss_max_mib"] or 0, r["lost"], r["duplicated"], r["overshoot"], r["n_fail"], r["n_running"], r["worker_rcs"]))'
}

for b in $BACKENDS; do
  case $b in ours-*) n=$N_OURS ;; optuna-journal) n=$N_JOURNAL ;; *) n=$N_RDB ;; esac
  for k in $WORKERS; do
    for ((r = 0; r < REPEATS; ++r)); do run_cell "$b" "$k" "$n" "$r"; done
  done
done

# ---- memory on a large study ----------------------------------------------------------------
# mem_row IMPL TASK N TIMEFILE [JSONFILE]: one "memory" row from GNU time's "%M %e" (peak RSS KiB,
# seconds), plus the "method" of the process's own JSON line when given.
mem_row() {
  "$PY" - "$OUT" "$1" "$2" "$3" "$4" "${5:-}" <<'EOF'
import json, sys
out, impl, task, n, tf, extra = sys.argv[1:7]
rss, secs = open(tf).read().split()[-2:]
row = {"kind": "memory", "impl": impl, "task": task, "n_trials": int(n), "seconds": float(secs),
       "peak_rss_mib": int(rss) / 1024.0}
if extra:
    e = json.loads(open(extra).read().strip().splitlines()[-1])
    row.update({k: e[k] for k in ("method", "seconds") if k in e and k == "method"})
    row["in_process_seconds"] = e.get("seconds")
open(out, "a").write(json.dumps(row) + "\n")
print("throughput.sh: memory %-6s %-13s %7.2f s %8.1f MiB" % (impl, task, row["seconds"], row["peak_rss_mib"]))
EOF
}
if ((DO_MEMORY)); then
  M=$MEM_TRIALS d=$WORK/memory
  mkdir -p "$d"
  url="sqlite:///$d/ours.db"
  space="space:"
  for i in 0 1 2 3 4 5 6 7 8 9; do space+=$'\n'"  x$i: {type: float, low: -5.0, high: 5.0}"; done
  for s in random tpe; do
    printf 'direction: minimize\n%s\nsampler: {name: %s}\npruner: none\nobjective: {function: sphere}\n' "$space" "$s" >"$d/$s.yaml"
    "$AG" tune "$d/$s.yaml" --storage "$url" --study "mem-$s" --n-trials 1 >"$d/tune-$s.log" 2>&1
    /usr/bin/time -f '%M %e' -o "$d/fill-$s.time" "$HELPER" fill --storage "$url" --study "mem-$s" --n $((M - 1)) --params 10 >/dev/null
    [[ $s == random ]] && mem_row ours fill "$M" "$d/fill-$s.time"
    /usr/bin/time -f '%M %e' -o "$d/worker-$s.time" "$AG" worker --study "mem-$s" --storage "$url" --n-trials $((M + 1)) >"$d/worker-$s.log" 2>&1
    mem_row ours "worker-$s" "$M" "$d/worker-$s.time"
  done
  /usr/bin/time -f '%M %e' -o "$d/trials.time" sh -c "\"$AG\" trials --study mem-random --storage \"$url\" --format csv >/dev/null"
  mem_row ours trials-csv "$M" "$d/trials.time"
  /usr/bin/time -f '%M %e' -o "$d/ofill.time" "$PY" -W ignore "$OPT" fill --db "$d/optuna.db" --study mem --n "$M" --params 10 >/dev/null
  mem_row optuna fill "$M" "$d/ofill.time"
  /usr/bin/time -f '%M %e' -o "$d/oopt.time" "$PY" -W ignore "$OPT" memory --storage "sqlite:///$d/optuna.db" --study mem --what optimize >"$d/oopt.json"
  mem_row optuna worker-tpe "$M" "$d/oopt.time" "$d/oopt.json"
  /usr/bin/time -f '%M %e' -o "$d/odf.time" "$PY" -W ignore "$OPT" memory --storage "sqlite:///$d/optuna.db" --study mem --what dataframe >"$d/odf.json"
  mem_row optuna trials-csv "$M" "$d/odf.time" "$d/odf.json"
fi

# ---- stale-trial detection latency ----------------------------------------------------------
if ((DO_STALE)); then
  for mode in local-after local-running cross-host; do
    "$PY" "$TOOLS" stale --autoglm "$AG" --helper "$HELPER" --dir "$WORK/stale" --mode "$mode" --out "$OUT" >/dev/null ||
      note "stale check $mode failed (see $WORK/stale/stale-$mode.log)"
  done
  if [[ -n $PG_URL ]]; then
    "$PY" "$TOOLS" stale --autoglm "$AG" --helper "$HELPER" --dir "$WORK/stale" --mode cross-host \
      --storage "$OURS_PG" --out "$OUT" >/dev/null || note "stale check cross-host on PostgreSQL failed"
  fi
  grep '"kind": "stale"' "$OUT" | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print("throughput.sh: stale %-13s %-30s %s bound %.0f s: recorded %s s, polled %s s" % (r["mode"], r["path"], r["storage"].split("/")[0], r["bound_s"], r["recorded_latency_s"], r["polled_latency_s"]))'
fi

# ---- report ---------------------------------------------------------------------------------
LOAD_END=$(load)
"$PY" - "$OUT" "$LOAD_END" <<'EOF'
import json, sys
out, load = sys.argv[1:3]
rows = [json.loads(l) for l in open(out)]
for r in rows:
    if r["kind"] == "meta":
        r["load_end"] = load
open(out, "w").write("".join(json.dumps(r) + "\n" for r in rows))
EOF
mkdir -p "$(dirname "$REPORT")"
"$PY" "$TOOLS" report --results "$OUT" --out "$REPORT" --root "$ROOT" --extra "$ROOT/bench/throughput_analysis.md"
echo "throughput.sh: results in $OUT, page $REPORT; load $LOAD_START at the start, $LOAD_END at the end"
