#!/usr/bin/env bash
# WinRM service checks per second: the collector's service monitor
# (bench/winrm_bench: CurlHttpClient + libxml2, one Win32_Service Get per
# node) vs Debian's pywinrm doing the same Gets (bench/winrm_pywinrm_bench.py),
# both against one local WinRM listener (tests/integration/wsman_server.py,
# HTTP, Basic auth), taking turns, same concurrency. Prints a table with the
# medians and the ratio ours/pywinrm.
#
#   bench/run_winrm_bench.sh [--count 1000] [--concurrency 16] [--reps 3]
#
# Needs a configured build tree (BUILD_DIR, default build; the script builds
# winrm_bench with ninja) and /usr/bin/python3 with python3-winrm.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
COUNT=1000
CONCURRENCY=16
REPS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --count) COUNT=$2; shift 2 ;;
    --concurrency) CONCURRENCY=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
  esac
done
PYTHON=/usr/bin/python3
"$PYTHON" -c 'import winrm' 2>/dev/null || { echo "needs python3-winrm" >&2; exit 1; }
cmake --build "$BUILD_DIR" --target winrm_bench >/dev/null

TMP=$(mktemp -d)
SERVER_PID=""
cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
export WINRM_PASSWORD=bench-password
cat >"$TMP/services.json" <<JSON
{"user": "monitor", "password": "bench-password",
 "services": {"W3SVC": {"state": "Running", "start_mode": "Auto"}}}
JSON
"$PYTHON" "$ROOT/tests/integration/wsman_server.py" --config "$TMP/services.json" >"$TMP/port" 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q listening "$TMP/port" && break; sleep 0.1; done
PORT=$(awk '/listening on/ {print $3}' "$TMP/port")
[ -n "$PORT" ] || { echo "wsman_server.py did not start: $(cat "$TMP/server.log")" >&2; exit 1; }

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
: >"$TMP/ours"; : >"$TMP/theirs"
for rep in $(seq "$REPS"); do
  # Alternate who goes first, so background load hits both alike.
  for who in $( [ $((rep % 2)) -eq 1 ] && echo "ours theirs" || echo "theirs ours"); do
    if [ "$who" = ours ]; then
      line=$("$BUILD_DIR/bench/winrm_bench" --port "$PORT" --count "$COUNT" --concurrency "$CONCURRENCY")
    else
      line=$("$PYTHON" "$ROOT/bench/winrm_pywinrm_bench.py" "$PORT" "$COUNT" "$CONCURRENCY")
    fi
    echo "rep $rep $who: $line" >&2
    echo "$line" >>"$TMP/$who"
  done
done
ours_rate=$(field rate <"$TMP/ours" | median); theirs_rate=$(field rate <"$TMP/theirs" | median)
ours_cpu=$(field cpu_seconds <"$TMP/ours" | median); theirs_cpu=$(field cpu_seconds <"$TMP/theirs" | median)
ours_s=$(field seconds <"$TMP/ours" | median); theirs_s=$(field seconds <"$TMP/theirs" | median)
printf '\nWinRM Get of Win32_Service, %d nodes, concurrency %d, %d reps (medians), listener: wsman_server.py (Python, HTTP)\n\n' "$COUNT" "$CONCURRENCY" "$REPS"
printf '| client | wall s | checks/s | client CPU s | CPU ms/check |\n|---|---|---|---|---|\n'
awk -v n="$COUNT" -v s="$ours_s" -v r="$ours_rate" -v c="$ours_cpu" 'BEGIN {printf "| mimamori (curl multi + libxml2) | %.2f | %.0f | %.2f | %.3f |\n", s, r, c, 1000*c/n}'
awk -v n="$COUNT" -v s="$theirs_s" -v r="$theirs_rate" -v c="$theirs_cpu" 'BEGIN {printf "| pywinrm 0.3 (threads) | %.2f | %.0f | %.2f | %.3f |\n", s, r, c, 1000*c/n}'
awk -v a="$ours_rate" -v b="$theirs_rate" -v c="$ours_cpu" -v d="$theirs_cpu" 'BEGIN {printf "| ratio mimamori/pywinrm | | %.2fx | %.2fx less CPU | |\n", a/b, d/c}'
