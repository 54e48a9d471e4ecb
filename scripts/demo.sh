#!/usr/bin/env bash
# Installs what is missing, builds, starts mimamori-agent on a loopback port
# and shows what a manager sees: an snmpwalk of the host's CPU, memory, disks,
# processes and listening ports. Ctrl-C (or the end of the script) stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target mimamori-agent

log=$(mktemp)
user_flag=()
[ "$(id -u)" -eq 0 ] && user_flag=(--user nobody)
build/agent/mimamori-agent --listen udp:127.0.0.1:0 "${user_flag[@]}" 2>"$log" &
agent=$!
trap 'kill $agent 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 50); do
  port=$(grep -oE 'listening on udp:127\.0\.0\.1:[0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || { cat "$log"; exit 1; }
head -1 "$log"

# The IETF MIB modules are not in Debian; use them when shared/ is beside us.
mibs=()
[ -d ../shared/mibs ] && mibs=(-M "+../shared/mibs" -m ALL)
walk() {
  echo; echo "== $1"
  snmpwalk -v2c -c MieKiban "${mibs[@]}" "127.0.0.1:$port" "$2" | head -n "${3:-12}"
}
walk "system group" .1.3.6.1.2.1.1 8
walk "memory (UCD-SNMP-MIB)" .1.3.6.1.4.1.2021.4 12
walk "CPU (UCD-SNMP-MIB systemStats)" .1.3.6.1.4.1.2021.11 12
walk "file systems (HOST-RESOURCES-MIB hrStorageDescr)" .1.3.6.1.2.1.25.2.3.1.3 12
walk "disks (UCD-SNMP-MIB dskPercent)" .1.3.6.1.4.1.2021.9.1.9 12
walk "processes (hrSWRunName)" .1.3.6.1.2.1.25.4.2.1.2 10
walk "listening TCP ports (tcpListenerProcess)" .1.3.6.1.2.1.6.20.1.4 10
echo
echo "mimamori-agent answered on udp:127.0.0.1:$port (stopped on exit)."
