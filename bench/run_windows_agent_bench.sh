#!/usr/bin/env bash
# The Windows agent under wine beside the Linux agent and snmpd, in one run:
# CPU seconds per 1,000 Gets (5 varbinds, bench/snmp_loadgen) and resident
# memory ("working set") after the load. These are WINE figures: the .exe runs
# on Linux through wine's Win32 layer (whose CPU is counted with the process;
# wineserver's is reported apart), so they bound, not measure, what Windows
# Server would show. Prints one table with ratios to the Linux agent.
#
#   bench/run_windows_agent_bench.sh [--duration S] [--reps N]
# Environment: BUILD_DIR (default build; needs build/windows/agent/mimamori-agent.exe,
# build/agent/mimamori-agent and build/bench/snmp_loadgen).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
DURATION=4
REPS=3
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
  shift
done
die() { echo "run_windows_agent_bench: $*" >&2; exit 1; }
EXE=$BUILD_DIR/windows/agent/mimamori-agent.exe
AGENT=$BUILD_DIR/agent/mimamori-agent
LOADGEN=$BUILD_DIR/bench/snmp_loadgen
for f in "$EXE" "$AGENT" "$LOADGEN"; do [ -x "$f" ] || [ -f "$f" ] || die "$f missing (build first)"; done
command -v wine >/dev/null || die "wine not installed"
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
[ -x "$SNMPD" ] || die "snmpd not installed"

TMP=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  WINEPREFIX=$TMP/prefix wineserver -k 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export WINEPREFIX=$TMP/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$WINEPREFIX"
wineserver -p -f >/dev/null 2>&1 &
pids+=($!)
wineboot -i >"$TMP/wineboot.log" 2>&1 </dev/null || die "wineboot -i failed"

cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
wait_port() {  # LOGFILE -> port from "listening on udp:127.0.0.1:PORT"
  local i
  for i in $(seq 1 300); do
    if grep -qo 'listening on udp:127\.0\.0\.1:[0-9]*' "$1" 2>/dev/null; then
      grep -o 'listening on udp:127\.0\.0\.1:[0-9]*' "$1" | head -1 | sed 's/.*://'
      return
    fi
    sleep 0.1
  done
  die "no 'listening on' line in $1: $(cat "$1")"
}

# The Windows agent: the wine process whose command line is the .exe's.
wine "$EXE" --console --listen udp:127.0.0.1:0 >/dev/null 2>"$TMP/win.log" </dev/null &
pids+=($!)
WIN_PORT=$(wait_port "$TMP/win.log")
WIN_PID=$(pgrep -n -f 'mimamori-agent\.exe --console' || true)
[ -n "$WIN_PID" ] || die "cannot find the wine process of the agent"
WINESERVER_PID=$(pgrep -n -x wineserver64 -U "$(id -u)" || pgrep -n wineserver || true)

"$AGENT" --listen udp:127.0.0.1:0 --user "$(id -un)" 2>"$TMP/linux.log" &
pids+=($!)
LINUX_PID=$!
LINUX_PORT=$(wait_port "$TMP/linux.log")

SNMPD_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$TMP/snmpd.conf" <<CONF
rocommunity MieKiban 127.0.0.1
agentAddress udp:127.0.0.1:$SNMPD_PORT
CONF
mkdir -p "$TMP/snmpd-state"
SNMP_PERSISTENT_DIR=$TMP/snmpd-state "$SNMPD" -f -LOw -C -c "$TMP/snmpd.conf" -m '' \
  udp:127.0.0.1:$SNMPD_PORT 2>"$TMP/snmpd.log" &
pids+=($!)
SNMPD_PID=$!
for i in $(seq 1 100); do
  snmpget -v2c -c MieKiban -t 0.2 -r 0 -On 127.0.0.1:$SNMPD_PORT .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1 && break
  sleep 0.1
done

HZ=$(getconf CLK_TCK)
# One measured phase: prints "cpu_s_per_1000 responses errors".
measure() {  # PID PORT [EXTRA_PID]
  local pid=$1 port=$2 extra=${3:-} before after extra_before=0 extra_after=0 json responses errors
  before=$(cpu_ticks "$pid")
  [ -n "$extra" ] && extra_before=$(cpu_ticks "$extra")
  json=$("$LOADGEN" --target 127.0.0.1:$port --mode get --duration "$DURATION" --json)
  after=$(cpu_ticks "$pid")
  [ -n "$extra" ] && extra_after=$(cpu_ticks "$extra")
  responses=$(sed 's/.*"responses": \([0-9]*\).*/\1/' <<<"$json")
  errors=$(sed 's/.*"errors": \([0-9]*\).*/\1/' <<<"$json")
  awk -v d=$((after - before)) -v e=$((extra_after - extra_before)) -v r="$responses" \
    -v hz="$HZ" -v err="$errors" \
    'BEGIN { printf "%.4f %.4f %d %d\n", d / hz / r * 1000, e / hz / r * 1000, r, err }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Warm-up (the first walk builds every cache), then the daemons take turns.
for port in "$WIN_PORT" "$LINUX_PORT" "$SNMPD_PORT"; do
  "$LOADGEN" --target 127.0.0.1:$port --mode get --duration 1 --json >/dev/null
done
declare -A cpu ws
for rep in $(seq 1 "$REPS"); do
  read -r c w _ e <<<"$(measure "$WIN_PID" "$WIN_PORT" "$WINESERVER_PID")"
  cpu[win]+="$c "; ws[wineserver]+="$w "; [ "$e" = 0 ] || echo "windows agent: $e errors" >&2
  read -r c _ _ e <<<"$(measure "$LINUX_PID" "$LINUX_PORT")"
  cpu[linux]+="$c "; [ "$e" = 0 ] || echo "linux agent: $e errors" >&2
  read -r c _ _ e <<<"$(measure "$SNMPD_PID" "$SNMPD_PORT")"
  cpu[snmpd]+="$c "; [ "$e" = 0 ] || echo "snmpd: $e errors" >&2
done
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
win_cpu=$(m "${cpu[win]}") linux_cpu=$(m "${cpu[linux]}") snmpd_cpu=$(m "${cpu[snmpd]}")
wsrv_cpu=$(m "${ws[wineserver]}")
win_rss=$(rss_kb "$WIN_PID") linux_rss=$(rss_kb "$LINUX_PID") snmpd_rss=$(rss_kb "$SNMPD_PID")

echo "WINE figures: mimamori-agent.exe under $(wine --version) on $(uname -sr), $(nproc) CPUs;"
echo "Gets of 5 varbinds, window 8, ${DURATION}s x $REPS, medians."
printf '%-34s %14s %12s %14s\n' "" "CPU s/1000 Get" "RSS (kB)" "CPU vs Linux"
printf '%-34s %14.4f %12s %14.2f\n' "mimamori-agent.exe (wine)" "$win_cpu" "$win_rss" \
  "$(awk -v a="$win_cpu" -v b="$linux_cpu" 'BEGIN { print (b > 0 ? a / b : 0) }')"
printf '%-34s %14.4f %12s %14s\n' "  + wineserver during its load" "$wsrv_cpu" "-" "-"
printf '%-34s %14.4f %12s %14.2f\n' "mimamori-agent (Linux)" "$linux_cpu" "$linux_rss" 1
printf '%-34s %14.4f %12s %14.2f\n' "snmpd (Net-SNMP)" "$snmpd_cpu" "$snmpd_rss" \
  "$(awk -v a="$snmpd_cpu" -v b="$linux_cpu" 'BEGIN { print (b > 0 ? a / b : 0) }')"
printf 'RSS ratios: wine/Linux %.2f, wine/snmpd %.2f\n' \
  "$(awk -v a="$win_rss" -v b="$linux_rss" 'BEGIN { print a / b }')" \
  "$(awk -v a="$win_rss" -v b="$snmpd_rss" 'BEGIN { print a / b }')"
