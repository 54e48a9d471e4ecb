#!/usr/bin/env bash
# Syslog messages/s and traps/s the collector takes on one core with 1,000
# message rules and no loss, beside rsyslogd receiving the same syslog
# stream in the same run (also on one core, writing to a file).
#
# Each receiver is pinned to CPU 0, the load generator to CPU 1. At each
# rate the generator sends RATE x SECONDS datagrams over UDP; a rate counts
# as taken when every datagram was received (collector: its
# mimamori_messages_received_total; rsyslogd: lines in its file) and, for
# the collector, every 100th message matched its rule. The table shows the
# highest such rate. Both sockets get a 4 MB receive buffer (the collector asks
# for 8 MB, net.core.rmem_max caps it; rsyslogd is given rcvbufSize 4m).
#
# Usage: bench/run_message_bench.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
seconds=${2:-5}
rates=(10000 40000 80000 160000 240000 280000 320000 400000)
loadgen="$build/bench/message_loadgen"
collector="$build/collector/mimamori-collector"
[ -x "$loadgen" ] && [ -x "$collector" ] || { echo "build first: $loadgen, $collector" >&2; exit 1; }
command -v rsyslogd >/dev/null || { echo "rsyslogd not installed" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
syslog_port=$(free_port)
trap_port=$(free_port)
metrics_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rsyslog_port=$(free_port)

{
  cat <<YAML
defaults:
  intervals: {ping: 1h}
metrics: {listen: "127.0.0.1:$metrics_port"}
alerting:
  ledger: $work/ledger.db
  templates: $PWD/packaging/templates
messages:
  syslog: {udp: "127.0.0.1:$syslog_port", tcp: off}
  traps: {udp: "127.0.0.1:$trap_port", community: bench}
  rate_per_source: 1000000
  burst_per_source: 1000000
  rules:
YAML
  for i in $(seq 0 999); do
    printf '    - {name: disk-%04d, kinds: [esxi-host], text: "disk error code E%04d "}\n' "$i" "$i"
  done
  for i in $(seq 0 999); do
    printf '    - {name: trap-%04d, kinds: [esxi-host], trap: 1.3.6.1.4.1.6876.4.1.%d, varbinds: {1.3.6.1.2.1.2.2.1.2: "^vmnic%d down"}}\n' "$i" "$i" "$i"
  done
  cat <<YAML
nodes:
  - {name: esx01, address: 127.0.0.1, kind: esxi-host, resource: false}
YAML
} >"$work/inventory.yaml"

taskset -c 0 "$collector" --config "$work/inventory.yaml" >"$work/collector.log" 2>&1 &
collector_pid=$!
pids+=($collector_pid)
cat >"$work/rsyslog.conf" <<CONF
global(workDirectory="$work" net.enableDNS="off")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$rsyslog_port" ruleset="bench" rcvbufSize="4m")
ruleset(name="bench") { action(type="omfile" file="$work/rsyslog.out") }
CONF
taskset -c 0 rsyslogd -n -f "$work/rsyslog.conf" -i "$work/rsyslogd.pid" >"$work/rsyslogd.log" 2>&1 &
rsyslog_pid=$!
pids+=($rsyslog_pid)

metric() {  # metric NAME LABEL-SUBSTRING: the sum of matching series
  curl -s "http://127.0.0.1:$metrics_port/metrics" |
    awk -v name="$1" -v label="$2" 'index($0, name "{") == 1 && index($0, label) { s += $NF } END { printf "%d\n", s }'
}
for _ in $(seq 100); do
  grep -q "messages: syslog udp port" "$work/collector.log" 2>/dev/null && [ -e "$work/rsyslogd.pid" ] && break
  sleep 0.1
done
grep -q "messages: syslog udp port" "$work/collector.log" || { cat "$work/collector.log"; exit 1; }
touch "$work/rsyslog.out"

settle() {  # settle COMMAND: wait until its output stops changing
  local last=-1 now
  for _ in $(seq 50); do
    now=$("$@")
    [ "$now" = "$last" ] && { echo "$now"; return; }
    last=$now
    sleep 0.3
  done
  echo "$now"
}
rsyslog_lines() { wc -l <"$work/rsyslog.out"; }
# CPU time (user + system, all threads) of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
cpu_collector=0 cpu_rsyslog=0 cpu_traps=0 msgs_total=0
received() { metric mimamori_messages_received_total "protocol=\"$1\""; }
matches() { metric mimamori_message_rule_matches_total "protocol=\"$1\""; }

best_collector=0 best_rsyslog=0 best_traps=0
printf '%-10s %-9s %-28s %-28s %-28s\n' "rate/s" "sent/s" "collector syslog" "rsyslogd syslog" "collector traps"
for rate in "${rates[@]}"; do
  count=$((rate * seconds))
  matching=$((count / 100))
  row=()
  # collector, syslog
  before=$(received syslog-udp) mbefore=$(matches syslog-udp) t0=$(cpu_ticks "$collector_pid")
  sent=$(taskset -c 1 "$loadgen" syslog 127.0.0.1 "$syslog_port" "$count" "$rate" 100)
  achieved=$(awk '{ printf "%d", $2 / $4 }' <<<"$sent")
  got=$(( $(settle received syslog-udp) - before )) mgot=$(( $(matches syslog-udp) - mbefore ))
  cpu_collector=$((cpu_collector + $(cpu_ticks "$collector_pid") - t0)) msgs_total=$((msgs_total + count))
  if [ "$got" -eq "$count" ] && [ "$mgot" -eq "$matching" ]; then
    best_collector=$rate; row+=("all $got, $mgot matched")
  else
    row+=("LOSS: $got of $count, $mgot matched")
  fi
  # rsyslogd, the same stream
  before=$(rsyslog_lines) t0=$(cpu_ticks "$rsyslog_pid")
  taskset -c 1 "$loadgen" syslog 127.0.0.1 "$rsyslog_port" "$count" "$rate" 100 >/dev/null
  got=$(( $(settle rsyslog_lines) - before ))
  cpu_rsyslog=$((cpu_rsyslog + $(cpu_ticks "$rsyslog_pid") - t0))
  if [ "$got" -eq "$count" ]; then best_rsyslog=$rate; row+=("all $got"); else row+=("LOSS: $got of $count"); fi
  # collector, traps
  before=$(received trap) mbefore=$(matches trap) t0=$(cpu_ticks "$collector_pid")
  taskset -c 1 "$loadgen" trap 127.0.0.1 "$trap_port" "$count" "$rate" 100 >/dev/null
  got=$(( $(settle received trap) - before )) mgot=$(( $(matches trap) - mbefore ))
  cpu_traps=$((cpu_traps + $(cpu_ticks "$collector_pid") - t0))
  if [ "$got" -eq "$count" ] && [ "$mgot" -eq "$matching" ]; then
    best_traps=$rate; row+=("all $got, $mgot matched")
  else
    row+=("LOSS: $got of $count, $mgot matched")
  fi
  printf '%-10s %-9s %-28s %-28s %-28s\n' "$rate" "$achieved" "${row[@]}"
  # Past the point where every receiver lost messages, higher rates say nothing new.
  [ "$best_collector" -lt "$rate" ] && [ "$best_rsyslog" -lt "$rate" ] && [ "$best_traps" -lt "$rate" ] && break
done

echo
echo "highest rate with no loss, ${seconds} s per rate, receivers on one core (CPU 0);"
echo "CPU per message over every rate run (user + system, all threads; the collector's"
echo "includes its idle scheduler loop during the settle waits):"
us() { python3 -c "import sys; t,hz,n=map(float,sys.argv[1:]); print(f'{t/hz/n*1e6:.2f}' if n else 'n/a')" "$1" "$hz" "$2"; }
ratio() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
c_us=$(us "$cpu_collector" "$msgs_total") r_us=$(us "$cpu_rsyslog" "$msgs_total") t_us=$(us "$cpu_traps" "$msgs_total")
printf '| %-42s | %10s | %8s | %11s | %8s |\n' "receiver" "msgs/s" "ratio" "CPU us/msg" "ratio"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' $(seq 44))" "$(printf -- '-%.0s' $(seq 12))" "$(printf -- '-%.0s' $(seq 10))" "$(printf -- '-%.0s' $(seq 13))" "$(printf -- '-%.0s' $(seq 10))"
printf '| %-42s | %10s | %8s | %11s | %8s |\n' "mimamori-collector syslog (1,000 rules)" "$best_collector" "$(ratio "$best_collector" "$best_rsyslog")" "$c_us" "$(ratio "$c_us" "$r_us")"
printf '| %-42s | %10s | %8s | %11s | %8s |\n' "rsyslogd imudp -> omfile" "$best_rsyslog" "1.00" "$r_us" "1.00"
printf '| %-42s | %10s | %8s | %11s | %8s |\n' "mimamori-collector traps (1,000 rules)" "$best_traps" "$(ratio "$best_traps" "$best_rsyslog")" "$t_us" "$(ratio "$t_us" "$r_us")"
echo "(msgs/s: the highest of ${rates[*]} at which nothing was lost; ratios are to rsyslogd;"
echo " sent/s is what the generator achieved for the collector's syslog run)"
