#!/usr/bin/env bash
# Dashboard benchmark: writes a study of N COMPLETE trials (default 10,000; 10 params, every 10th
# trial with intermediate values) into a fresh SQLite file, starts `autoglm dashboard` on it and
# measures
#   - the optimization-history API (/api/studies/ID/history): the first (cold: the server reads
#     the study from storage) request, then the median of R warm requests (curl %{time_total});
#     target < 200 ms;
#   - the other study-page routes (first request and median of 5), for information;
#   - first meaningful paint of the study page in headless Chromium: navigation start -> the
#     history plot drawn, median of P cold page loads (bench/dashboard.mjs); target < 2 s.
# Prints the figures against the targets and writes docs/benchmarks-dashboard.md.
#
# Usage: bench/dashboard.sh [--build-dir DIR] [--trials N] [--requests R] [--page-loads P]
#                           [--report FILE | --no-report] [--keep]
#   --build-dir   CMake build folder with autoglm and dashboard_fixtures (default build/);
#                 build them with: cmake --build DIR --target autoglm dashboard_fixtures
#   --trials      trials in the study (default 10000)
#   --requests    warm /history requests (default 20)
#   --page-loads  cold page loads (default 5)
#   --report      page to write (default docs/benchmarks-dashboard.md); --no-report: print only
#   --keep        keep the temporary folder (database, server log)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$ROOT/build TRIALS=10000 REQUESTS=20 PAGE_LOADS=5 REPORT=$ROOT/docs/benchmarks-dashboard.md KEEP=0
ARGS="$*"
while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --trials) TRIALS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --page-loads) PAGE_LOADS=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --no-report) REPORT=""; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "dashboard.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

AUTOGLM=${AUTOGLM_BIN:-$BUILD_DIR/autoglm}
FIXTURES=${AUTOGLM_FIXTURES_BIN:-$BUILD_DIR/dashboard_fixtures}
for bin in "$AUTOGLM" "$FIXTURES"; do
  [[ -x $bin ]] || { echo "dashboard.sh: $bin not found; build it: cmake --build $BUILD_DIR --target autoglm dashboard_fixtures" >&2; exit 2; }
done
command -v node >/dev/null || { echo "dashboard.sh: node is needed (Chromium is driven by web/node_modules/playwright-core)" >&2; exit 2; }
command -v curl >/dev/null || { echo "dashboard.sh: curl is needed" >&2; exit 2; }

TMP=$(mktemp -d /tmp/autoglm-dashboard-bench.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if ((KEEP)); then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

STORAGE="sqlite:///$TMP/bench.db"
t0=$(date +%s.%N)
"$FIXTURES" "$STORAGE" --large bench "$TRIALS"
WRITE_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')

"$AUTOGLM" dashboard --storage "$STORAGE" --host 127.0.0.1 --port 0 >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 150); do
  URL=$(sed -n 's/^dashboard: serving \(http:[^ ]*\/\).*/\1/p' "$TMP/server.out" | head -1)
  [[ -n $URL ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$TMP/server.err" >&2; exit 1; }
  sleep 0.1
done
[[ -n $URL ]] || { echo "dashboard.sh: the server did not start" >&2; cat "$TMP/server.err" >&2; exit 1; }
ms() { curl -s -o /dev/null -w '%{time_total}' "$1" | awk '{printf "%.1f", $1 * 1000}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
max() { tr ' ' '\n' | grep -v '^$' | sort -g | tail -1; }

# The server's first request reads the whole study from storage (the list needs best values).
STUDIES_COLD=$(ms "${URL}api/studies")
ID=$(curl -sf "${URL}api/studies" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.studies.find(x=>x.name==="bench").id)})')

HISTORY="${URL}api/studies/$ID/history"
HIST_COLD=$(ms "$HISTORY")
HIST_RUNS=""
for _ in $(seq 1 "$REQUESTS"); do HIST_RUNS="$HIST_RUNS $(ms "$HISTORY")"; done
HIST_MED=$(echo "$HIST_RUNS" | median)
HIST_MAX=$(echo "$HIST_RUNS" | max)
HIST_BYTES=$(curl -s "$HISTORY" | wc -c)

ROUTES="studies/$ID studies/$ID/params studies/$ID/intermediate studies/$ID/timeline studies/$ID/trials?sort=value studies/$ID/importance?interactions=1"
ROUTE_ROWS=""
for r in $ROUTES; do
  first=$(ms "${URL}api/$r")
  runs=""
  for _ in 1 2 3 4 5; do runs="$runs $(ms "${URL}api/$r")"; done
  ROUTE_ROWS="$ROUTE_ROWS| \`/api/$r\` | $first | $(echo "$runs" | median) |"$'\n'
done

paint() {
  node "$ROOT/bench/dashboard.mjs" "$URL" "$ID" "$PAGE_LOADS" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.median_ms, j.runs.join(","), j.dom_content_loaded_ms.join(","), j.history_points)})'
}
read -r PAINT_MED PAINT_RUNS DCL_RUNS POINTS < <(paint)
# Diagnostic: the same without HTTP compression (Accept-Encoding: identity), which tells the
# front end's own time apart from the server compressing plotly.js (4.8 MB) on each request.
read -r RAW_MED RAW_RUNS RAW_DCL _ < <(ACCEPT_ENCODING=identity paint)
PLOTLY_BR=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip, deflate, br' -w '%{time_total} %{size_download}' "${URL}assets/plotly.min.js" | awk '{printf "%.0f ms, %d bytes", $1 * 1000, $2}')

verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v < t) ? "met" : "MISSED"}'; }
HIST_OK=$(verdict "$HIST_MED" 200)
PAINT_OK=$(verdict "$PAINT_MED" 2000)

COMPRESSION_NOTE=""
if [[ $PAINT_OK == MISSED && $(verdict "$RAW_MED" 2000) == met ]]; then
  COMPRESSION_NOTE="
- The first paint misses its target only through HTTP compression: the server compresses
  plotly.min.js on every request ($PLOTLY_BR); without compression the same page paints in
  $RAW_MED ms. Serving the assets precompressed (or uncompressed) removes the difference."
fi
CPU=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
CORES=$(nproc)
CHROMIUM=$(/usr/bin/chromium --version 2>/dev/null | head -1 | sed 's/ built on.*//' || echo chromium)
DATE=$(date -u +%Y-%m-%dT%H:%MZ)

echo "dashboard benchmark: $TRIALS trials (written in ${WRITE_S}s), $CORES cores, $CPU"
printf '  /history  cold %s ms, warm median %s ms (max %s, %s requests)  target < 200 ms: %s\n' \
  "$HIST_COLD" "$HIST_MED" "$HIST_MAX" "$REQUESTS" "$HIST_OK"
printf '  first meaningful paint  median %s ms (runs %s)  target < 2000 ms: %s\n' "$PAINT_MED" "$PAINT_RUNS" "$PAINT_OK"
printf '    without HTTP compression (diagnostic): median %s ms (runs %s); plotly.min.js as a browser gets it: %s\n' \
  "$RAW_MED" "$RAW_RUNS" "$PLOTLY_BR"
printf '  first request after start (/api/studies): %s ms\n' "$STUDIES_COLD"
printf '%s' "$ROUTE_ROWS" | sed 's/^| /  /; s/ | / first /; s/ | / ms, median /; s/ |$/ ms/'

[[ -z $REPORT ]] && exit 0
cat >"$REPORT" <<EOF
# Dashboard benchmark

Written by \`bench/dashboard.sh${ARGS:+ $ARGS}\` on $DATE: one SQLite study of $TRIALS COMPLETE trials
(10 float params, every 10th trial with 5 intermediate values; \`dashboard_fixtures --large\`),
served by \`autoglm dashboard\` (Release build) on $CORES cores ($CPU), measured
from the same machine over loopback. $CHROMIUM, headless (\`--disable-gpu\`).

| measure | target | result | |
| --- | --- | --- | --- |
| \`GET /api/studies/$ID/history\`, median of $REQUESTS warm requests (curl \`%{time_total}\`) | < 200 ms | **$HIST_MED ms** (max $HIST_MAX ms) | $HIST_OK |
| the same, first request | | $HIST_COLD ms | |
| the server's first request (\`/api/studies\`: reads the $TRIALS trials from SQLite) | | $STUDIES_COLD ms | |
| first meaningful paint of \`#/study/$ID\`: navigation start to the history plot drawn, median of $PAGE_LOADS cold page loads | < 2 s | **$PAINT_MED ms** | $PAINT_OK |
| the same without HTTP compression (\`Accept-Encoding: identity\`; diagnostic) | | $RAW_MED ms | |

- History answer: $HIST_BYTES bytes, $POINTS points drawn (the API thins to at most 5,000 and keeps
  every best-so-far improvement).
- Page loads (ms to the history plot): $PAINT_RUNS; DOMContentLoaded (plotly.js, 4.8 MB, parsed):
  $DCL_RUNS. Without compression: $RAW_RUNS (DOMContentLoaded $RAW_DCL).
  Each load is a fresh browser context (empty cache). The page fetches the study
  summary and the history together, draws the history, and only then the plots below the fold
  (as they scroll into view), so the other routes do not delay the first paint.
- \`plotly.min.js\` as a browser asks for it (\`Accept-Encoding: gzip, deflate, br\`): $PLOTLY_BR.
- Writing the study took ${WRITE_S} s.${COMPRESSION_NOTE}

Other routes of the study page (ms; first request, then the median of 5):

| route | first | median |
| --- | --- | --- |
$ROUTE_ROWS
Reproduce: \`cmake --build build --target autoglm dashboard_fixtures && bench/dashboard.sh\`
(\`--build-dir DIR\`, \`--trials N\`, \`--requests R\`, \`--page-loads P\`, \`--no-report\`).
EOF
echo "wrote $REPORT"
