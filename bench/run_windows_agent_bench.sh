#!/usr/bin/env bash
# The Windows agent under wine beside the Linux agent and snmpd, in one run:
# CPU seconds per 1,000 Gets (5 varbinds, bench/snmp_loadgen) and resident
# memory ("working set") after the load. These are WINE figures: the .exe runs
# on Linux through wine's Win32 layer (whose CPU is counted with the process;
# wineserver's is reported apart), so they bound, not measure, what Windows
# Server would show. Prints one table with ratios to the Linux agent.
#
# The daemons run on one CPU, the load generator on another (as in
# bench/run_agent_bench.sh). The wine agent's process and its wineserver
# share the daemon CPU: every socket operation of the .exe is a round trip
# to wineserver, and on different CPUs of this VM each wake-up costs so much
# that the agent's rate drops five-fold, and unpinned it flips between the
# two (--no-pin shows it).
#
#   bench/run_windows_agent_bench.sh [--duration S] [--reps N] [--no-pin]
# Environment: BUILD_DIR (default build; needs build/windows/agent/mimamori-agent.exe,
# build/agent/mimamori-agent and build/bench/snmp_loadgen).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
DURATION=4
REPS=3
PIN=1
while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    --no-pin) PIN="" ;;
    *) sed -n '2,20p' "$0" >&2; exit 2 ;;
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

PIN_DAEMON=() PIN_LOAD=() PINNING="none (--no-pin, taskset missing or fewer than 2 CPUs)"
if [ -n "$PIN" ] && command -v taskset >/dev/null; then
  mapfile -t cpus < <(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
    awk -F- '{ last = NF > 1 ? $2 : $1; for (c = $1; c <= last; ++c) print c }')
  if [ "${#cpus[@]}" -ge 2 ]; then
    PIN_DAEMON=(taskset -c "${cpus[0]}") PIN_LOAD=(taskset -c "${cpus[1]}")
    PINNING="daemons (and wineserver) on CPU ${cpus[0]}, load generator on CPU ${cpus[1]}"
  fi
fi

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
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# Persistent, so the prefix's services stay up between the wine commands;
# its own process, measured apart from the agent.
"${PIN_DAEMON[@]}" wineserver -p -f >/dev/null 2>&1 </dev/null &
WINESERVER_PID=$!
pids+=("$WINESERVER_PID")
wineboot -i >"$TMP/wineboot.log" 2>&1 </dev/null || die "wineboot -i failed: $(cat "$TMP/wineboot.log")"

cpu_ticks() { local s; s=$(<"/proc/$1/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
wait_port() {  # LOGFILE -> port from "listening on udp:127.0.0.1:PORT"
  local _
  for _ in $(seq 1 300); do
    if grep -qo 'listening on udp:127\.0\.0\.1:[0-9]*' "$1" 2>/dev/null; then
      grep -o 'listening on udp:127\.0\.0\.1:[0-9]*' "$1" | head -1 | sed 's/.*://'
      return
    fi
    sleep 0.1
  done
  die "no 'listening on' line in $1: $(cat "$1")"
}

# The Windows agent: wine execs its loader in place, so $! is the process
# that runs the .exe (its command line becomes the .exe's).
"${PIN_DAEMON[@]}" wine "$EXE" --console --listen udp:127.0.0.1:0 >/dev/null 2>"$TMP/win.log" </dev/null &
WIN_PID=$!
pids+=("$WIN_PID")
WIN_PORT=$(wait_port "$TMP/win.log")
tr '\0' ' ' <"/proc/$WIN_PID/cmdline" | grep -q 'mimamori-agent\.exe' ||
  die "process $WIN_PID is not the agent: $(tr '\0' ' ' <"/proc/$WIN_PID/cmdline")"
grep -q wineserver "/proc/$WINESERVER_PID/comm" || die "process $WINESERVER_PID is not the wineserver"
if [ ${#PIN_DAEMON[@]} -gt 0 ]; then
  # Every thread, including those wine started before its loader ran.
  taskset -a -pc "${cpus[0]}" "$WIN_PID" >/dev/null
  taskset -a -pc "${cpus[0]}" "$WINESERVER_PID" >/dev/null
fi

"${PIN_DAEMON[@]}" "$AGENT" --listen udp:127.0.0.1:0 --user "$(id -un)" 2>"$TMP/linux.log" &
LINUX_PID=$!
pids+=("$LINUX_PID")
LINUX_PORT=$(wait_port "$TMP/linux.log")

# snmpd as bench/run_agent_bench.sh runs it (Debian's unit's flags, a
# private config, no MIB files, warnings only), so the figures compare.
SNMPD_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'rocommunity MieKiban 127.0.0.1\ndontLogTCPWrappersConnects yes\n' >"$TMP/snmpd.conf"
mkdir -p "$TMP/snmpd-state"
snmpd_user=()
if [ "$(id -u)" -eq 0 ] && id Debian-snmp >/dev/null 2>&1; then
  snmpd_user=(-u Debian-snmp -g Debian-snmp)
  chown Debian-snmp "$TMP/snmpd-state"
fi
SNMP_PERSISTENT_DIR=$TMP/snmpd-state "${PIN_DAEMON[@]}" "$SNMPD" -f -LOw -C -c "$TMP/snmpd.conf" -m '' \
  -I -smux,mteTrigger,mteTriggerConf "${snmpd_user[@]}" "udp:127.0.0.1:$SNMPD_PORT" \
  >"$TMP/snmpd.log" 2>&1 &
SNMPD_PID=$!
pids+=("$SNMPD_PID")
snmpd_up=""
for _ in $(seq 1 100); do
  kill -0 "$SNMPD_PID" 2>/dev/null || break
  if snmpget -v2c -c MieKiban -t 0.2 -r 0 -On "127.0.0.1:$SNMPD_PORT" .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; then
    snmpd_up=1
    break
  fi
  sleep 0.1
done
[ -n "$snmpd_up" ] || die "snmpd does not answer: $(cat "$TMP/snmpd.log")"

HZ=$(getconf CLK_TCK)
# One measured phase: prints "cpu_s_per_1000 extra_cpu_s_per_1000 responses
# errors exception_varbinds" (exceptions would mean less work per Get).
measure() {  # PID PORT [EXTRA_PID]
  local pid=$1 port=$2 extra=${3:-} before after extra_before=0 extra_after=0 json
  before=$(cpu_ticks "$pid")
  [ -z "$extra" ] || extra_before=$(cpu_ticks "$extra")
  json=$("${PIN_LOAD[@]}" "$LOADGEN" --target "127.0.0.1:$port" --mode get --duration "$DURATION" --json)
  after=$(cpu_ticks "$pid")
  [ -z "$extra" ] || extra_after=$(cpu_ticks "$extra")
  key() { sed -E "s/.*\"$1\": ([0-9]+).*/\1/" <<<"$json"; }
  awk -v d=$((after - before)) -v e=$((extra_after - extra_before)) -v r="$(key responses)" \
    -v hz="$HZ" -v err="$(key errors)" -v x="$(key exception_varbinds)" \
    'BEGIN { if (r == 0) r = 1e-9; printf "%.4f %.4f %d %d %d\n", d / hz / r * 1000, e / hz / r * 1000, r, err, x }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Warm-up (the first Gets fill every cache), then the daemons take turns.
for port in "$WIN_PORT" "$LINUX_PORT" "$SNMPD_PORT"; do
  "${PIN_LOAD[@]}" "$LOADGEN" --target "127.0.0.1:$port" --mode get --duration 1 --json >/dev/null
done
declare -A cpu rate
wsrv=""
for rep in $(seq 1 "$REPS"); do
  for daemon in win linux snmpd; do
    case $daemon in
      win) read -r c w r e x <<<"$(measure "$WIN_PID" "$WIN_PORT" "$WINESERVER_PID")"; wsrv+="$w " ;;
      linux) read -r c _ r e x <<<"$(measure "$LINUX_PID" "$LINUX_PORT")" ;;
      snmpd) read -r c _ r e x <<<"$(measure "$SNMPD_PID" "$SNMPD_PORT")" ;;
    esac
    cpu[$daemon]+="$c "
    rate[$daemon]+="$((r / DURATION)) "
    echo "rep $rep $daemon: $c CPU s/1000 Get, $((r / DURATION)) Get/s, $e errors, $x exception varbinds" >&2
    [ "$e" = 0 ] || echo "run_windows_agent_bench: $daemon had $e errors in repetition $rep" >&2
  done
done
m() { tr ' ' '\n' <<<"$1" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
for daemon in win linux snmpd; do
  cpu[$daemon]=$(m "${cpu[$daemon]}")
  rate[$daemon]=$(m "${rate[$daemon]}")
done
wsrv_cpu=$(m "$wsrv")
declare -A rss pss pid=([win]=$WIN_PID [linux]=$LINUX_PID [snmpd]=$SNMPD_PID)
for daemon in win linux snmpd; do
  rss[$daemon]=$(rss_kb "${pid[$daemon]}")
  pss[$daemon]=$(pss_kb "${pid[$daemon]}")
done
wsrv_rss=$(rss_kb "$WINESERVER_PID")

echo "WINE figures: mimamori-agent.exe under $(wine --version) on $(uname -sr), $(nproc) CPUs ($(date -u +%F))"
echo "Gets of 5 varbinds (snmp_loadgen, window 8), ${DURATION} s per daemon x $REPS turns, medians;"
echo "pinning: $PINNING"
echo "memory after the load; load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-30s %14s %9s %10s %10s %14s %14s\n' "" "CPU s/1000 Get" "Get/s" "RSS (kB)" "PSS (kB)" \
  "CPU vs Linux" "RSS vs Linux"
row() { # LABEL KEY
  printf '%-30s %14.4f %9s %10s %10s %14s %14s\n' "$1" "${cpu[$2]}" "${rate[$2]}" "${rss[$2]}" \
    "${pss[$2]}" "$(ratio "${cpu[$2]}" "${cpu[linux]}")" "$(ratio "${rss[$2]}" "${rss[linux]}")"
}
row "mimamori-agent.exe (wine)" win
printf '%-30s %14.4f %9s %10s %10s %14s %14s\n' "  wineserver, during its load" "$wsrv_cpu" "-" \
  "$wsrv_rss" "-" "$(ratio "$wsrv_cpu" "${cpu[linux]}")" "-"
row "mimamori-agent (Linux)" linux
row "snmpd (Net-SNMP)" snmpd
echo "wine agent vs snmpd: CPU $(ratio "${cpu[win]}" "${cpu[snmpd]}"), RSS $(ratio "${rss[win]}" "${rss[snmpd]}")"
