#!/usr/bin/env bash
# Benchmarks of the collector's network engines on loopback, each against the
# reference tool in the same run, taking turns so that background load hits
# both alike; prints one table per section with the ratio and PASS/MISS
# against the issue's target. bench/RESULTS.md records runs (--record).
#
#   bench/run_collector_bench.sh                # every section
#   bench/run_collector_bench.sh ping           # only the named sections
#   bench/run_collector_bench.sh --record ping  # also append the results to bench/RESULTS.md
#
# Sections:
#   ping   IcmpPinger vs fping: one echo request to each of N loopback
#          addresses (127.1.x.y), 1 s timeout; target: our wall time <= fping's.
#   snmp   one resource + process cycle over N simulated nodes (127.2.x.y,
#          bench/snmp_simulator) with NetSnmpClient and the two monitors, vs
#          prometheus-snmp-exporter scraping the same objects (installed with
#          apt-get when missing and we are root); targets: cycle <= 30 s on one
#          core, rate >= 5 x the exporter's, collector RSS <= 200 MB.
#
# Options: --quick (1,000 targets, 1 repetition), --count N (default 10000),
#          --reps N (default 5; medians are reported), --record.
# Environment: PING_BENCH=path uses a ready ping_bench (e.g. build/bench/ping_bench);
#   otherwise CXX (default g++) builds bench/ping_bench.cc with IcmpPinger
#   directly (seconds, and no configured build tree needed).
#
# Needs root (or CAP_NET_RAW, or a net.ipv4.ping_group_range that covers us)
# and fping (installed with apt-get when missing and we are root). Exit
# status: 0 when everything ran (whatever the verdicts), 1 when a tool is
# missing or fails, 2 on a usage error.
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=10000
REPS=5
RECORD=false
SECTIONS=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) COUNT=1000 REPS=1 ;;
    --count) COUNT=${2:?}; shift ;;
    --reps) REPS=${2:?}; shift ;;
    --record) RECORD=true ;;
    -h | --help) usage; exit 0 ;;
    ping | snmp) SECTIONS+=("$1") ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(ping snmp)

die() { echo "run_collector_bench: $*" >&2; exit 1; }
note() { echo "run_collector_bench: $*" >&2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mimamori-collector-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

now_ns() { date +%s%N; }
# Median of the numbers on stdin.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# 10000 -> 10,000
commas() { sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/;ta' <<<"$1"; }
# The value of key=value on a line.
field() { tr ' ' '\n' | sed -n "s/^$1=//p"; }

# --- ping: IcmpPinger vs fping ----------------------------------------------
bench_ping() {
  if ! command -v fping >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      note "installing fping"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fping >/dev/null ||
        die "apt-get install fping failed"
    else
      die "fping not found (Debian: apt-get install fping)"
    fi
  fi
  local fping fping_version
  fping=$(command -v fping)
  fping_version=$("$fping" --version 2>&1 | head -1)

  local bench=${PING_BENCH:-}
  if [ -z "$bench" ]; then
    bench=$WORK/ping_bench
    "${CXX:-g++}" -std=c++20 -O2 -DNDEBUG -DBOOST_ASIO_NO_DEPRECATED -I"$ROOT" \
      "$ROOT/bench/ping_bench.cc" "$ROOT/collector/net/icmp_pinger.cc" -pthread -o "$bench" ||
      die "building ping_bench failed"
  fi
  "$bench" --print-targets --count "$COUNT" >"$WORK/targets"

  # fping: -i 0 sends to the next target without its default 10 ms gap (root
  # only; with the gap, 10,000 targets take over 100 s); -r 0: one request
  # per target, like ours; -t 1000: the same 1 s timeout; -a lists who answered.
  local ours_wall=() ours_loop=() fping_wall=() ours_answered fping_answered socket rep
  local start out
  for ((rep = 1; rep <= REPS; ++rep)); do
    start=$(now_ns)
    out=$("$bench" --count "$COUNT" --timeout-ms 1000 2>"$WORK/ping_bench.err") ||
      { cat "$WORK/ping_bench.err" >&2; die "ping_bench failed or not every target answered"; }
    ours_wall+=("$(( $(now_ns) - start ))")
    ours_loop+=("$(field wall_seconds <<<"$out")")
    ours_answered=$(field answered <<<"$out")
    socket=$(field socket <<<"$out")

    start=$(now_ns)
    fping_answered=$("$fping" -a -r 0 -t 1000 -i 0 -f "$WORK/targets" 2>/dev/null | wc -l || true)
    fping_wall+=("$(( $(now_ns) - start ))")
  done

  local ours_s ours_loop_s fping_s ratio verdict
  ours_s=$(printf '%s\n' "${ours_wall[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
  ours_loop_s=$(printf '%s\n' "${ours_loop[@]}" | median | awk '{ printf "%.3f", $1 }')
  fping_s=$(printf '%s\n' "${fping_wall[@]}" | median | awk '{ printf "%.3f", $1 / 1e9 }')
  ratio=$(awk -v a="$ours_s" -v b="$fping_s" 'BEGIN { printf "%.2f", a / b }')
  verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.0) ? "PASS" : "MISS" }')

  local table
  table=$(
    echo "| tool | answered | wall time (median of $REPS, whole process) |"
    echo "|---|---|---|"
    echo "| mimamori IcmpPinger ($socket socket) | $ours_answered / $COUNT | $ours_s s (first Ping() to last reply: $ours_loop_s s) |"
    echo "| fping -r 0 -t 1000 -i 0 | $fping_answered / $COUNT | $fping_s s |"
    echo
    echo "Ratio IcmpPinger / fping: **$ratio** (target <= 1.00: **$verdict**)"
  )
  echo
  echo "Ping: $(commas "$COUNT") loopback addresses"
  echo "$table"

  if $RECORD; then
    local section
    section=$(
      echo
      echo "## Ping: $(commas "$COUNT") loopback addresses"
      echo
      echo "Run $(date -u +%Y-%m-%dT%H:%MZ) by \`bench/run_collector_bench.sh --record ping\` on" \
        "$(nproc) CPUs, Linux $(uname -r), $fping_version. One echo request to each of" \
        "127.1.0.1 ... 127.1.$(( (COUNT - 1) / 250 )).$(( (COUNT - 1) % 250 + 1 )), 1 s timeout;" \
        "the two take turns $REPS times and the medians are shown. Wall time is the whole" \
        "process for both (start, socket setup, all replies, exit)."
      echo
      echo "$table"
    )
    # One append: other sections of this file are written concurrently.
    printf '%s\n' "$section" >>"$ROOT/bench/RESULTS.md"
    note "appended the ping section to bench/RESULTS.md"
  fi
}

# --- snmp: one resource + process cycle, collector vs prometheus-snmp-exporter
bench_snmp() {
  if ! command -v prometheus-snmp-exporter >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      note "installing prometheus-snmp-exporter"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus-snmp-exporter >/dev/null ||
        die "apt-get install prometheus-snmp-exporter failed"
    else
      die "prometheus-snmp-exporter not found (Debian: apt-get install prometheus-snmp-exporter)"
    fi
  fi
  command -v ss >/dev/null || die "ss (iproute2) is needed to find the exporter's port"
  local exporter exporter_version
  exporter=$(command -v prometheus-snmp-exporter)
  exporter_version=$("$exporter" --version 2>&1 | sed -n 's/.*version \([^ ,]*\).*/\1/p' | head -1)

  # Until bench/CMakeLists.txt links these with mimamori_collector, build them
  # here; SNMP_SIMULATOR=path / COLLECTOR_BENCH=path use ready binaries.
  local simulator=${SNMP_SIMULATOR:-} bench=${COLLECTOR_BENCH:-}
  if [ -z "$simulator" ]; then
    simulator=$WORK/snmp_simulator
    "${CXX:-g++}" -std=c++20 -O2 -DNDEBUG -I"$ROOT" -I"$ROOT/proto/include" \
      "$ROOT/bench/snmp_simulator.cc" "$ROOT"/proto/src/*.cc -o "$simulator" ||
      die "building snmp_simulator failed"
  fi
  if [ -z "$bench" ]; then
    bench=$WORK/collector_bench
    "${CXX:-g++}" -std=c++20 -O2 -DNDEBUG -I"$ROOT" -I"$ROOT/proto/include" \
      "$ROOT/bench/collector_bench.cc" "$ROOT/collector/net/netsnmp_client.cc" \
      "$ROOT/collector/monitors/resource_monitor.cc" "$ROOT/collector/monitors/process_monitor.cc" \
      "$ROOT/collector/core/check.cc" "$ROOT/collector/inventory/inventory.cc" \
      "$ROOT"/proto/src/*.cc -lnetsnmp -pthread -o "$bench" || die "building collector_bench failed"
  fi

  # One core each: the collector (and later the exporter) on CPU 0, the
  # simulator (and the exporter's HTTP clients) on CPU 1.
  local on0=() on1=() client_cpu=()
  if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    on0=(taskset -c 0) on1=(taskset -c 1) client_cpu=(--exporter-client-cpu 1)
  else
    note "fewer than 2 CPUs or no taskset: nothing is pinned"
  fi

  local sim_pid exp_pid sim_port exp_port i
  "${on1[@]}" "$simulator" --nodes "$COUNT" >"$WORK/simulator.out" 2>&1 &
  sim_pid=$!
  for ((i = 0; i < 100; ++i)); do
    sim_port=$(sed -n 's/^listening on 0\.0\.0\.0:\([0-9]*\).*/\1/p' "$WORK/simulator.out")
    [ -n "$sim_port" ] && break
    sleep 0.1
  done
  [ -n "$sim_port" ] || { kill "$sim_pid" 2>/dev/null; die "snmp_simulator did not start: $(cat "$WORK/simulator.out")"; }

  "${on0[@]}" "$exporter" --config.file="$ROOT/bench/snmp_exporter.yml" \
    --web.listen-address=127.0.0.1:0 --log.level=warn >"$WORK/exporter.log" 2>&1 &
  exp_pid=$!
  for ((i = 0; i < 100; ++i)); do
    exp_port=$(ss -ltnpH 2>/dev/null | awk -v pid="pid=$exp_pid," \
      'index($0, pid) { n = split($4, a, ":"); print a[n]; exit }')
    [ -n "$exp_port" ] && break
    sleep 0.1
  done
  if [ -z "$exp_port" ]; then
    kill "$sim_pid" "$exp_pid" 2>/dev/null
    die "prometheus-snmp-exporter did not start: $(cat "$WORK/exporter.log")"
  fi

  local out status=0
  out=$("${on0[@]}" "$bench" --port "$sim_port" --nodes "$COUNT" --steady-cycles 3 \
    --exporter "127.0.0.1:$exp_port" --exporter-pid "$exp_pid" "${client_cpu[@]}" \
    2>"$WORK/collector_bench.err") || status=$?
  kill "$exp_pid" 2>/dev/null || true
  kill "$sim_pid" 2>/dev/null || true
  wait "$exp_pid" "$sim_pid" 2>/dev/null || true
  cat "$WORK/collector_bench.err" >&2
  [ "$status" = 0 ] || die "collector_bench failed (exit $status)"

  local cold_wall cold_cpu wall cpu rate rss pdus timeouts verdicts
  local exp_ok exp_failed exp_wall exp_rate exp_cpu exp_rss
  cold_wall=$(field cold_wall <<<"$out"); cold_cpu=$(field cold_cpu <<<"$out")
  wall=$(field wall <<<"$out"); cpu=$(field cpu <<<"$out"); rate=$(field rate <<<"$out")
  rss=$(field rss_mib <<<"$out"); pdus=$(field pdus <<<"$out"); timeouts=$(field timeouts <<<"$out")
  verdicts=$(sed -n 's/^verdicts="\(.*\)"$/\1/p' <<<"$out")
  exp_ok=$(field exporter_ok <<<"$out"); exp_failed=$(field exporter_failed <<<"$out")
  exp_wall=$(field exporter_wall <<<"$out"); exp_rate=$(field exporter_rate <<<"$out")
  exp_cpu=$(field exporter_cpu <<<"$out"); exp_rss=$(field exporter_rss_mib <<<"$out")

  local ratio v_wall v_ratio v_rss
  ratio=$(awk -v a="$rate" -v b="$exp_rate" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')
  v_wall=$(awk -v w="$cold_wall" 'BEGIN { print (w <= 30) ? "PASS" : "MISS" }')
  v_ratio=$(awk -v r="$ratio" 'BEGIN { print (r >= 5) ? "PASS" : "MISS" }')
  v_rss=$(awk -v m="$rss" 'BEGIN { print (m <= 200) ? "PASS" : "MISS" }')

  local table
  table=$(
    echo "| | wall | CPU | rate | peak RSS |"
    echo "|---|---|---|---|---|"
    echo "| mimamori collector, cycle 1 (cold: two CPU samples 6 s apart) | $cold_wall s | $cold_cpu s | | |"
    echo "| mimamori collector, steady cycle (median of 3) | $wall s | $cpu s | $rate nodes/s | $rss MiB |"
    echo "| prometheus-snmp-exporter $exporter_version, $exp_ok/$COUNT scrapes ok, 64 concurrent | $exp_wall s | $exp_cpu s | $exp_rate targets/s | $exp_rss MiB |"
    echo
    echo "Steady cycle: $pdus PDUs, $timeouts timeouts; verdicts $verdicts."
    echo
    echo "- cycle wall time <= 30 s on one core: $cold_wall s (cold), $wall s (steady): **$v_wall**"
    echo "- rate >= 5 x the exporter's: **${ratio} x** ($rate vs $exp_rate per second): **$v_ratio**"
    echo "- collector RSS <= 200 MB: $rss MiB: **$v_rss**"
  )
  echo
  echo "SNMP: one resource + process cycle over $COUNT simulated nodes"
  echo "$table"
  [ "${exp_failed:-0}" = 0 ] || note "$exp_failed exporter scrapes failed (see above)"

  if $RECORD; then
    local section count_text
    count_text=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$COUNT")
    section=$(
      echo
      echo "## Collector: one resource + process cycle over $count_text nodes"
      echo
      echo "Run $(date -u +%Y-%m-%dT%H:%MZ) by \`bench/run_collector_bench.sh --record snmp\` on" \
        "$(nproc) CPUs, Linux $(uname -r), Net-SNMP $(net-snmp-config --version 2>/dev/null || echo '?')," \
        "prometheus-snmp-exporter $exporter_version. \`bench/snmp_simulator\` answers SNMP v2c for" \
        "$COUNT nodes on 127.2.0.1 ... (one socket, IP_PKTINFO; a RHEL-like MIB per node: ssCpuRaw*," \
        "UCD memory, hrStorageTable with 4 file systems, hrSWRunTable with 150 processes), pinned to" \
        "CPU 1. \`bench/collector_bench\` (pinned to CPU 0) runs one resource and one process monitor" \
        "(3 process checks) per node through NetSnmpClient (256 requests in flight, GetBulk 25), all" \
        "started at once: a cold cycle, then 3 steady cycles (what runs every 5 minutes). Then the" \
        "exporter, alone on CPU 0, is scraped for the same objects (\`bench/snmp_exporter.yml\`) on" \
        "every node by 64 concurrent HTTP clients on CPU 1. The exporter only collects; the collector" \
        "also judges every threshold and process. The machine is shared with other builds, so" \
        "absolute numbers vary between runs."
      echo
      echo "$table"
    )
    # One append: other sections of this file are written concurrently.
    printf '%s\n' "$section" >>"$ROOT/bench/RESULTS.md"
    note "appended the snmp section to bench/RESULTS.md"
  fi
}

for section in "${SECTIONS[@]}"; do
  "bench_$section"
done
