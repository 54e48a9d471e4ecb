#!/usr/bin/env bash
# Compares mimamori-agent with Debian's Net-SNMP snmpd on loopback, in one run:
# Get (5 varbinds) and hrSWRunTable GetBulk-walk throughput, the daemons' CPU
# seconds per 1,000 requests or walks, their RSS, and zabbix_agentd's idle RSS
# for reference. Prints one table with mimamori/snmpd ratios and PASS/MISS
# against the issue's targets; bench/RESULTS.md records a run.
#
#   bench/run_agent_bench.sh            # ~1 minute: 3 x (4 s Get + 4 s walk) per daemon
#   bench/run_agent_bench.sh --quick    # ~15 s smoke run for CI
#
# Options: --quick, --duration S, --reps N, --window N, --max-repetitions N,
# --no-build (use the binaries in BUILD_DIR as they are, e.g. in CI).
# Environment: BUILD_DIR (default build, relative to the repository root).
#
# Every measurement is repeated (default 3 times) and the median reported,
# because the machine is not assumed to be idle; the daemons take turns within
# each repetition so that background load hits both alike. Exit status: 0 when
# everything ran (whatever the verdicts), 1 when a daemon or tool is missing or
# does not start, 2 on a usage error.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR

DURATION=4      # seconds per measured phase
REPS=3          # repetitions; medians are reported
WARMUP=1        # seconds of unmeasured load per daemon and mode before the first repetition
SETTLE=2        # seconds zabbix_agentd gets to start its processes before its RSS is read
WINDOW=8        # Get requests in flight
MAX_REPETITIONS=25
BUILD=yes
while [ $# -gt 0 ]; do
  case $1 in
    --quick) DURATION=0.8 WARMUP=0.3 SETTLE=1 ;;
    --duration) DURATION=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    --window) WINDOW=${2:?}; shift ;;
    --max-repetitions) MAX_REPETITIONS=${2:?}; shift ;;
    --no-build) BUILD=no ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

die() { echo "run_agent_bench: $*" >&2; exit 1; }
note() { echo "run_agent_bench: $*" >&2; }

# --- tools ------------------------------------------------------------------
if [ "$BUILD" = yes ]; then
  [ -f "$BUILD_DIR/build.ninja" ] ||
    die "$BUILD_DIR is not configured; run: cmake -S . -B build -G Ninja"
  # ninja is a no-op when both are up to date; its output only matters on failure.
  ninja_log=$(ninja -C "$BUILD_DIR" mimamori-agent snmp_loadgen 2>&1) ||
    { echo "$ninja_log" >&2; die "build failed"; }
fi
AGENT=$BUILD_DIR/agent/mimamori-agent
LOADGEN=$BUILD_DIR/bench/snmp_loadgen
for binary in "$AGENT" "$LOADGEN"; do
  [ -x "$binary" ] || die "$binary missing; build it first"
done
# /usr/sbin is not on every user's PATH.
SNMPD=$(command -v snmpd || echo /usr/sbin/snmpd)
[ -x "$SNMPD" ] || die "snmpd not found (Debian: apt-get install snmpd)"
ZABBIX=$(command -v zabbix_agentd || echo /usr/sbin/zabbix_agentd)
if [ ! -x "$ZABBIX" ]; then
  ZABBIX=
  note "zabbix_agentd not found (apt-get install zabbix-agent); its rows are skipped"
fi
CLK_TCK=$(getconf CLK_TCK)

# Daemon and load generator on different cores, so that neither steals the
# other's CPU and the daemon's CPU time is its own work only.
PIN_DAEMON=() PIN_LOAD=() PINNING="none (taskset missing or fewer than 2 CPUs)"
if command -v taskset >/dev/null; then
  mapfile -t cpus < <(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
    awk -F- '{ last = NF > 1 ? $2 : $1; for (c = $1; c <= last; ++c) print c }')
  if [ "${#cpus[@]}" -ge 2 ]; then
    PIN_DAEMON=(taskset -c "${cpus[0]}") PIN_LOAD=(taskset -c "${cpus[1]}")
    PINNING="daemons on CPU ${cpus[0]}, load generator on CPU ${cpus[1]}"
  fi
fi

# --- processes and clean-up -------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mimamori-bench.XXXXXX")
chmod 755 "$TMP"  # the daemons drop privileges and still read their files here
STARTED=()
stop_pid() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do stop_pid "$pid"; done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on now (there is a race with other programs; a daemon
# that then fails to bind is reported as not starting).
port_in_use() {  # udp|tcp PORT
  local files=() f
  for f in "/proc/net/$1" "/proc/net/${1}6"; do [ -r "$f" ] && files+=("$f"); done
  awk -v want=":$(printf '%04X' "$2")" \
    'FNR > 1 && substr($2, length($2) - 4) == want { found = 1 } END { exit !found }' "${files[@]}"
}
free_port() {  # udp|tcp
  local port
  for _ in $(seq 100); do
    # Below 32768: zabbix_agentd rejects a higher ListenPort, and Linux hands
    # out ephemeral ports from 32768 up.
    port=$((20000 + RANDOM % 12768))
    port_in_use "$1" "$port" || { echo "$port"; return 0; }
  done
  die "no free $1 port found"
}

# Waits until the SNMP agent at PORT answers a Get (or PID dies).
wait_ready() {  # NAME PID PORT
  for _ in $(seq 50); do
    kill -0 "$2" 2>/dev/null || return 1
    "$LOADGEN" --target "127.0.0.1:$3" --mode get --duration 0.1 --timeout-ms 50 \
      --oids .1.3.6.1.2.1.1.3.0 --json >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }  # PID VmRSS|VmHWM
pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || status_kb "$1" VmRSS; }
cpu_ticks() {  # utime + stime of all threads
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }  # the command name may contain spaces and parentheses
  awk '{ print $12 + $13 }' <<<"$stat"
}
children() {
  local stat_file stat
  for stat_file in /proc/[0-9]*/stat; do
    { read -r stat <"$stat_file"; } 2>/dev/null || continue
    stat=${stat##*) }
    read -r _ ppid _ <<<"$stat"
    [ "$ppid" = "$1" ] && { stat_file=${stat_file#/proc/}; echo "${stat_file%/stat}"; }
  done
  return 0
}

# --- math helpers -------------------------------------------------------------
calc() { awk "BEGIN { x = $1; printf \"%.6g\n\", x }"; }
div() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "" || a == "nan" || b == "" || b == "nan" || b + 0 == 0) print "nan"
    else printf "%.6g\n", a / b }'
}
median() {
  [ -s "$1" ] || { echo nan; return 0; }
  sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Values of the flat JSON object snmp_loadgen --json prints.
jget() { grep -oE "\"$1\": *-?[0-9.]+" <<<"$2" | head -1 | sed 's/.*: *//'; }
record() { echo "$3" >>"$TMP/results/$1.$2"; }  # DAEMON METRIC VALUE
med() { median "$TMP/results/$1.$2"; }
mkdir -p "$TMP/results"

# --- daemons ------------------------------------------------------------------
start_agent() {
  local user=() port
  [ "$(id -u)" -eq 0 ] && user=(--user nobody)
  "${PIN_DAEMON[@]}" "$AGENT" --listen udp:127.0.0.1:0 "${user[@]}" 2>"$TMP/agent.log" &
  AGENT_PID=$!
  STARTED+=("$AGENT_PID")
  for _ in $(seq 50); do
    port=$(head -1 "$TMP/agent.log" | grep -oE 'listening on udp:127\.0\.0\.1:[0-9]+' |
      grep -oE '[0-9]+$' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$TMP/agent.log" >&2; die "mimamori-agent did not start"; }
  AGENT_PORT=$port
  wait_ready mimamori "$AGENT_PID" "$AGENT_PORT" || die "mimamori-agent does not answer"
}

start_snmpd() {
  # As Debian's snmpd.service runs it, except: a private config (-C -c), no
  # MIB files loaded (-m '', as Debian's /etc/snmp/snmp.conf "mibs :" does),
  # state in our temp dir, and only warnings logged (-LOw, as the unit does;
  # -Lo would log a line per request and bill that to snmpd's CPU).
  local user=() conf=$TMP/snmpd.conf
  printf 'rocommunity MieKiban 127.0.0.1\ndontLogTCPWrappersConnects yes\n' >"$conf"
  mkdir -p "$TMP/snmpd-state"
  if [ "$(id -u)" -eq 0 ] && id Debian-snmp >/dev/null 2>&1; then
    user=(-u Debian-snmp -g Debian-snmp)
    chown Debian-snmp "$TMP/snmpd-state"
  fi
  for _ in 1 2 3; do
    SNMPD_PORT=$(free_port udp)
    SNMP_PERSISTENT_DIR=$TMP/snmpd-state "${PIN_DAEMON[@]}" "$SNMPD" -f -LOw -C -c "$conf" -m '' \
      -I -smux,mteTrigger,mteTriggerConf -p "$TMP/snmpd.pid" "${user[@]}" \
      "udp:127.0.0.1:$SNMPD_PORT" >"$TMP/snmpd.log" 2>&1 &
    SNMPD_PID=$!
    STARTED+=("$SNMPD_PID")
    wait_ready snmpd "$SNMPD_PID" "$SNMPD_PORT" && return 0
    stop_pid "$SNMPD_PID"
  done
  cat "$TMP/snmpd.log" >&2
  die "snmpd did not start"
}

# zabbix_agentd's idle memory, for reference only: it does not speak SNMP and
# is stopped before any load runs. Its config is Debian's stock one (passive
# checks from 127.0.0.1 plus an active-checks process) with private paths and
# ports; ServerActive points at a port nothing listens on.
measure_zabbix() {
  local conf=$TMP/zabbix_agentd.conf pid children_list rss pss kids child_rss child_pss
  {
    echo "PidFile=$TMP/zabbix_agentd.pid"
    echo "LogType=console"
    echo "Server=127.0.0.1"
    echo "ServerActive=127.0.0.1:$(free_port tcp)"
    echo "Hostname=mimamori-bench"
    echo "ListenIP=127.0.0.1"
    echo "ListenPort=$(free_port tcp)"
    if [ "$(id -u)" -eq 0 ]; then echo "AllowRoot=1"; fi
  } >"$conf"
  "${PIN_DAEMON[@]}" "$ZABBIX" -f -c "$conf" >"$TMP/zabbix.log" 2>&1 &
  pid=$!
  STARTED+=("$pid")
  sleep "$SETTLE"
  kill -0 "$pid" 2>/dev/null || { cat "$TMP/zabbix.log" >&2; note "zabbix_agentd did not start"; return 0; }
  for _ in 1 2 3; do
    children_list=$(children "$pid")
    rss=$(status_kb "$pid" VmRSS) pss=$(pss_kb "$pid") kids=0
    record zabbix main_rss_kb "$rss"
    for child in $children_list; do
      child_rss=$(status_kb "$child" VmRSS 2>/dev/null || true)
      child_pss=$(pss_kb "$child" 2>/dev/null || true)
      rss=$((rss + ${child_rss:-0})) pss=$((pss + ${child_pss:-0})) kids=$((kids + 1))
    done
    record zabbix sum_rss_kb "$rss"
    record zabbix sum_pss_kb "$pss"
    record zabbix processes $((kids + 1))
    sleep 0.5
  done
  stop_pid "$pid"
}

# --- measurement --------------------------------------------------------------
load() {  # PORT MODE DURATION
  "${PIN_LOAD[@]}" "$LOADGEN" --target "127.0.0.1:$1" --mode "$2" --duration "$3" \
    --window "$WINDOW" --max-repetitions "$MAX_REPETITIONS" --json || true
}

# One measured phase: loadgen output plus the daemon's CPU time over it.
phase() {  # NAME PID PORT MODE REP
  local name=$1 pid=$2 port=$3 mode=$4 before after json cpu_s elapsed
  before=$(cpu_ticks "$pid")
  json=$(load "$port" "$mode" "$DURATION")
  after=$(cpu_ticks "$pid")
  cpu_s=$(div "$((after - before))" "$CLK_TCK")
  elapsed=$(jget duration_s "$json")
  [ -n "$elapsed" ] || die "snmp_loadgen produced no result against $name"
  record "$name" "$mode.daemon_cpu_pct" "$(calc "100 * $cpu_s / $elapsed")"
  record "$name" "$mode.loadgen_cpu_pct" "$(calc "100 * $(jget loadgen_cpu_s "$json") / $elapsed")"
  record "$name" "$mode.errors" "$(jget errors "$json")"
  record "$name" "$mode.p50_us" "$(jget latency_p50_us "$json")"
  record "$name" "$mode.p99_us" "$(jget latency_p99_us "$json")"
  if [ "$mode" = get ]; then
    record "$name" get.rate "$(jget requests_per_s "$json")"
    record "$name" get.cpu_per_1k "$(div "$(calc "1000 * $cpu_s")" "$(jget responses "$json")")"
    record "$name" get.per_cpu_s "$(div "$(jget responses "$json")" "$cpu_s")"
    record "$name" get.exceptions_per_response \
      "$(div "$(jget exception_varbinds "$json")" "$(jget responses "$json")")"
    note "rep $5 $name get: $(jget requests_per_s "$json") req/s, daemon CPU ${cpu_s}s, errors $(jget errors "$json")"
  else
    record "$name" bulkwalk.rate "$(jget walks_per_s "$json")"
    record "$name" bulkwalk.cpu_per_1k "$(div "$(calc "1000 * $cpu_s")" "$(jget walks "$json")")"
    record "$name" bulkwalk.per_cpu_s "$(div "$(jget walks "$json")" "$cpu_s")"
    record "$name" bulkwalk.walk_p50_ms "$(calc "$(jget walk_p50_us "$json") / 1000")"
    record "$name" bulkwalk.walk_p99_ms "$(calc "$(jget walk_p99_us "$json") / 1000")"
    record "$name" bulkwalk.rows "$(jget rows_per_walk "$json")"
    record "$name" bulkwalk.varbinds "$(jget varbinds_per_walk "$json")"
    record "$name" bulkwalk.requests "$(jget requests_per_walk "$json")"
    note "rep $5 $name bulkwalk: $(jget walks_per_s "$json") walks/s of $(jget rows_per_walk "$json") rows, daemon CPU ${cpu_s}s, errors $(jget errors "$json")"
  fi
}

measure_daemon() {  # NAME PID PORT REP
  record "$1" idle_rss_kb "$(status_kb "$2" VmRSS)"
  phase "$1" "$2" "$3" get "$4"
  phase "$1" "$2" "$3" bulkwalk "$4"
}

started_at=$(date +%s)
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if [ -n "$ZABBIX" ]; then measure_zabbix; fi
start_agent
start_snmpd
record mimamori start_rss_kb "$(status_kb "$AGENT_PID" VmRSS)"
record snmpd start_rss_kb "$(status_kb "$SNMPD_PID" VmRSS)"

# Unmeasured: fills both agents' caches and faults in their code paths.
for mode in get bulkwalk; do
  load "$AGENT_PORT" "$mode" "$WARMUP" >/dev/null
  load "$SNMPD_PORT" "$mode" "$WARMUP" >/dev/null
done

for rep in $(seq "$REPS"); do
  # Alternate who goes first, so that a drift in background load is shared.
  if [ $((rep % 2)) -eq 1 ]; then
    measure_daemon mimamori "$AGENT_PID" "$AGENT_PORT" "$rep"
    measure_daemon snmpd "$SNMPD_PID" "$SNMPD_PORT" "$rep"
  else
    measure_daemon snmpd "$SNMPD_PID" "$SNMPD_PORT" "$rep"
    measure_daemon mimamori "$AGENT_PID" "$AGENT_PORT" "$rep"
  fi
done
record mimamori peak_rss_kb "$(status_kb "$AGENT_PID" VmHWM)"
record snmpd peak_rss_kb "$(status_kb "$SNMPD_PID" VmHWM)"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report -------------------------------------------------------------------
cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
echo "mimamori-agent vs snmpd ($("$SNMPD" -v 2>/dev/null | awk '/version/ { print $NF; exit }')) on loopback"
echo "machine: $(nproc) CPUs ($cpu_model), kernel $(uname -r); $PINNING"
echo "load average before/after: $LOAD_BEFORE / $LOAD_AFTER; wall time $(($(date +%s) - started_at)) s"
echo "phases: $DURATION s each, median of $REPS; Get: 5 varbinds, window $WINDOW;" \
  "walk: hrSWRunTable, GetBulk max-repetitions $MAX_REPETITIONS"
echo

row() { printf '%-44s %12s %12s %9s  %s\n' "$@"; }
ratio() { div "$1" "$2" | awk '{ if ($1 == "nan") print "-"; else printf "%.3f\n", $1 }'; }
fmt() { awk -v v="$1" -v f="${2:-%.1f}" 'BEGIN { if (v == "nan" || v == "") print "-"; else printf f "\n", v }'; }
verdict() {  # RATIO OP LIMIT
  awk -v r="$1" -v op="$2" -v lim="$3" 'BEGIN {
    if (r == "-") { print "n/a"; exit }
    ok = (op == "<=") ? (r <= lim) : (r >= lim); print ok ? "PASS" : "MISS" }'
}
# LABEL METRIC [FORMAT [OP LIMIT TARGET_TEXT]]; OP "text" prints LIMIT as the verdict.
metric_row() {
  local a b r v=""
  a=$(med mimamori "$2") b=$(med snmpd "$2")
  r=$(ratio "$a" "$b")
  case ${4:-} in
    "") ;;
    text) v=$5 ;;
    *) v="$(verdict "$r" "$4" "$5")  (target: ratio $6)" ;;
  esac
  row "$1" "$(fmt "$a" "${3:-%.1f}")" "$(fmt "$b" "${3:-%.1f}")" "$r" "$v"
}

row "metric (median of $REPS)" mimamori snmpd ratio "verdict"
row "--------------------------------------------" "------------" "------------" "---------" "-------"
metric_row "RSS after start (kB)" start_rss_kb "%.0f"
metric_row "RSS idle, between phases (kB)" idle_rss_kb "%.0f" "<=" 0.3334 "<= 1/3"
metric_row "RSS peak, VmHWM (kB)" peak_rss_kb "%.0f"
metric_row "Get: requests/s" get.rate "%.0f" ">=" 2 ">= 2"
metric_row "Get: latency p50 (us)" get.p50_us
metric_row "Get: latency p99 (us)" get.p99_us
metric_row "Get: daemon CPU s per 1,000 requests" get.cpu_per_1k "%.4f"
# What a whole core would sustain: unlike requests/s, it does not depend on
# how much of its core the daemon got on a busy machine.
metric_row "Get: requests per daemon CPU second" get.per_cpu_s "%.0f"
metric_row "Get: daemon CPU use (% of a core)" get.daemon_cpu_pct "%.0f"
metric_row "Get: load generator CPU (% of a core)" get.loadgen_cpu_pct "%.0f"
metric_row "Get: exception varbinds per response" get.exceptions_per_response "%.2f"
metric_row "Get: errors (timeouts etc.)" get.errors "%.0f"
walk_verdict=(">=" 2 ">= 2")
walk_rows=$(med mimamori bulkwalk.rows)
walk_served=yes
if awk -v r="$walk_rows" 'BEGIN { exit !(r == "nan" || r + 0 == 0) }'; then
  # Nothing to compare: our agent does not serve the table (yet).
  walk_served=no walk_verdict=(text "NOT SERVED (mimamori returned no rows)")
fi
metric_row "Walk: hrSWRunTable walks/s" bulkwalk.rate "%.1f" "${walk_verdict[@]}"
metric_row "Walk: walk time p50 (ms)" bulkwalk.walk_p50_ms "%.2f"
metric_row "Walk: walk time p99 (ms)" bulkwalk.walk_p99_ms "%.2f"
metric_row "Walk: rows per walk" bulkwalk.rows "%.0f"
metric_row "Walk: varbinds per walk" bulkwalk.varbinds "%.0f"
metric_row "Walk: GetBulk requests per walk" bulkwalk.requests "%.0f"
metric_row "Walk: daemon CPU s per 1,000 walks" bulkwalk.cpu_per_1k "%.3f"
metric_row "Walk: walks per daemon CPU second" bulkwalk.per_cpu_s "%.1f"
metric_row "Walk: daemon CPU use (% of a core)" bulkwalk.daemon_cpu_pct "%.0f"
metric_row "Walk: load generator CPU (% of a core)" bulkwalk.loadgen_cpu_pct "%.0f"
metric_row "Walk: errors (timeouts etc.)" bulkwalk.errors "%.0f"
if [ -n "$ZABBIX" ] && [ ! -s "$TMP/results/zabbix.sum_rss_kb" ]; then
  echo
  echo "reference: zabbix_agentd did not start; see the messages above"
elif [ -n "$ZABBIX" ]; then
  idle=$(med mimamori idle_rss_kb)
  echo
  row "reference: zabbix_agentd idle" "zabbix" "" "ratio" "(mimamori idle RSS / zabbix)"
  z=$(med zabbix main_rss_kb)
  row "  RSS of its main process (kB)" "$(fmt "$z" %.0f)" "" "$(ratio "$idle" "$z")" ""
  z=$(med zabbix sum_rss_kb)
  row "  RSS summed over its $(med zabbix processes) processes (kB)" "$(fmt "$z" %.0f)" "" \
    "$(ratio "$idle" "$z")" ""
  z=$(med zabbix sum_pss_kb)
  row "  PSS summed over its processes (kB)" "$(fmt "$z" %.0f)" "" "$(ratio "$idle" "$z")" \
    "(shared pages counted once)"
fi

# Caveats the numbers cannot show by themselves.
echo
exceptions=$(med mimamori get.exceptions_per_response)
if awk -v e="$exceptions" 'BEGIN { exit !(e != "nan" && e + 0 > 0) }'; then
  echo "NOTE: mimamori answered $(fmt "$exceptions" %.1f) of the 5 Get varbinds with an exception" \
    "(object not served yet), so its Get did less work than snmpd's."
fi
if [ "$walk_served" = no ]; then
  echo "NOTE: hrSWRunTable is not served by this mimamori build; rerun once HOST-RESOURCES lands."
else
  awk -v a="$walk_rows" -v b="$(med snmpd bulkwalk.rows)" 'BEGIN {
    if (a + 0 > 0 && b + 0 > 0 && (a / b > 1.2 || b / a > 1.2))
      printf "NOTE: the walks returned different row counts (%d vs %d); compare walk times with care.\n", a, b }'
fi
for name in mimamori snmpd; do
  # With several Gets in flight the daemon always has work queued, so less than a
  # whole core means something else ran there. (A walk has one request in
  # flight: there the daemon idles while the client works, by design.)
  awk -v p="$(med "$name" get.daemon_cpu_pct)" -v n="$name" 'BEGIN {
    if (p != "nan" && p + 0 < 80) printf "NOTE: %s got only %.0f%% of its core under Get load: the core was shared (see the load average), so compare the per-CPU-second rows.\n", n, p }'
  for mode in get bulkwalk; do
    awk -v p="$(med "$name" "$mode.loadgen_cpu_pct")" -v n="$name" -v m="$mode" 'BEGIN {
      if (p != "nan" && p + 0 > 90) printf "NOTE: the load generator used %.0f%% of its core during %s %s: that rate is a lower bound.\n", p, n, m }'
  done
done
echo "ratio = mimamori / snmpd (lower is better for RSS, latency and CPU; higher for rates)."
