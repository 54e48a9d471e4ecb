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
    ping) SECTIONS+=("$1") ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[ ${#SECTIONS[@]} -gt 0 ] || SECTIONS=(ping)

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

for section in "${SECTIONS[@]}"; do
  "bench_$section"
done
