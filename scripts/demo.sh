#!/usr/bin/env bash
# Installs what is missing, builds, and shows mimamori working on this
# machine: mimamori-agent on a loopback port (what a manager's snmpwalk sees),
# a local SMTP server standing in for the mail relay, a small web page, and
# mimamori-collector watching them from a demo inventory with one node that
# never answers. Within two minutes it shows that node going down, the first
# report arriving at the SMTP server, and /metrics. On a terminal it then
# keeps running until Ctrl-C; otherwise it stops there. Everything it starts
# is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target mimamori-agent mimamori-collector mimamorictl

work=$(mktemp -d)
pids=()
netns=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # Deleting the namespace deletes the veth pair with it.
  [ -z "$netns" ] || ip netns del "$netns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "stopping"; exit 130' INT TERM

# Waits for a regex in a log file and prints the first capture group.
wait_for() {
  local file=$1 pattern=$2 value=""
  for _ in $(seq 100); do
    value=$(grep -oE "$pattern" "$file" 2>/dev/null | head -1 | grep -oE '[0-9]+$' || true)
    [ -n "$value" ] && break
    sleep 0.1
  done
  [ -n "$value" ] || { cat "$file" >&2; exit 1; }
  echo "$value"
}

user_flag=()
[ "$(id -u)" -eq 0 ] && user_flag=(--user nobody)
build/agent/mimamori-agent --listen udp:127.0.0.1:0 "${user_flag[@]}" 2>"$work/agent.log" &
pids+=($!)
port=$(wait_for "$work/agent.log" 'listening on udp:127\.0\.0\.1:[0-9]+')
echo "== mimamori-agent: $(head -1 "$work/agent.log")"

# The IETF MIB modules are not in Debian; use them when shared/ is beside us.
mibs=()
[ -d ../shared/mibs ] && mibs=(-M "+../shared/mibs" -m ALL)
walk() {
  echo; echo "-- snmpwalk $1"
  # head closes the pipe early on long tables; that SIGPIPE is not a failure.
  snmpwalk -v2c -c MieKiban "${mibs[@]}" "127.0.0.1:$port" "$2" | head -n "${3:-6}" || true
}
walk "system group" .1.3.6.1.2.1.1 3
walk "memory (UCD-SNMP-MIB)" .1.3.6.1.4.1.2021.4.5 2
walk "file systems (hrStorageDescr)" .1.3.6.1.2.1.25.2.3.1.3 8
walk "processes (hrSWRunName)" .1.3.6.1.2.1.25.4.2.1.2 5
walk "listening TCP ports (tcpListenerTable)" .1.3.6.1.2.1.6.20.1.4 5

# A local SMTP server standing in for the office's mail relay: every report
# the collector sends is kept as a file in $work/mail.
mkdir -p "$work/mail"
/usr/bin/python3 - "$work/mail" >"$work/smtp.port" 2>"$work/smtp.log" <<'PY' &
import asyncio, sys, os, email, email.policy
from aiosmtpd.smtp import SMTP
count = 0
class Keep:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with open(os.path.join(sys.argv[1], "%03d.txt" % count), "w") as f:
            f.write("To: %s\nSubject: %s\nMessage-ID: %s\nIn-Reply-To: %s\n\n%s" % (
                ", ".join(envelope.rcpt_tos), msg["Subject"], msg["Message-ID"],
                msg["In-Reply-To"] or "", msg.get_content()))
        return "250 OK"
async def main():
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(Keep(), hostname="demo-smtp"), host="127.0.0.1", port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
PY
pids+=($!)
smtp_port=$(wait_for "$work/smtp.port" '^[0-9]+')

# A page for the web check.
mkdir -p "$work/www"
echo "<html><body>mimamori demo page</body></html>" >"$work/www/index.html"
/usr/bin/python3 - "$work/www" >"$work/web.port" 2>"$work/web.log" <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
pids+=($!)
web_port=$(wait_for "$work/web.port" '^[0-9]+')

# The node that never answers: the far end of a veth pair in a network
# namespace of our own that ignores echo requests (198.18.0.0/15 is the
# benchmarking range; nothing leaves this machine). Needs root; without it
# the demo stops the agent instead, so a node's checks still fail.
dead_nodes=""
dead_address=""
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
  netns=mimamori-demo-$$
  link=mmd$(($$ % 100000))
  offset=$((4 * ($$ % 16384)))
  dead_address=198.18.$((offset / 256 % 256)).$((offset % 256 + 2))
  near_address=198.18.$((offset / 256 % 256)).$((offset % 256 + 1))
  if ip netns add "$netns" 2>/dev/null &&
    ip link add "${link}a" type veth peer name "${link}b" netns "$netns" &&
    ip addr add "$near_address/30" dev "${link}a" && ip link set "${link}a" up &&
    ip netns exec "$netns" sh -c "ip addr add $dead_address/30 dev ${link}b && ip link set ${link}b up &&
      echo 1 >/proc/sys/net/ipv4/icmp_echo_ignore_all"; then
    dead_nodes="  - {name: dead-vm, address: $dead_address, system: デモシステム, resource: false}"
  else
    echo "(no network namespace here: the never-answering node is left out)" >&2
    ip netns del "$netns" 2>/dev/null || true
    netns=""
  fi
fi

cat >"$work/inventory.yaml" <<YAML
platform_name: デモ基盤
defaults:
  intervals: {ping: 5s, resource: 5s, process: 5s, port: 5s, web: 5s}
metrics: {listen: "127.0.0.1:0"}
# Open around the clock for the demo, so the business-hours rows apply.
calendar: {business_hours: "00:00-24:00", extra_open_days: ["$(TZ=Asia/Tokyo date +%F)"]}
alerting:
  ledger: $work/ledger.db
  templates: $PWD/packaging/templates
  grouping_window: 5s
  mail: {url: "smtp://127.0.0.1:$smtp_port", from: kanshi@example.lg.jp, from_name: 監視システム}
  platform_managers: [{name: 基盤統括責任者, mail: toukatsu@example.lg.jp}]
  ict_service_center: [{name: ICTサービスセンター, mail: ict@example.lg.jp}]
  on_duty: [{name: 当番, mail: touban@example.lg.jp}]
systems:
  - name: デモシステム
    level: A
    owners: [{name: 運用担当, mail: ops@example.lg.jp}]
nodes:
  - name: localhost
    address: 127.0.0.1
    system: デモシステム
    os: $(. /etc/os-release && echo "$PRETTY_NAME")
    snmp: {port: $port}
    processes:
      - {name: mimamori-agent, command: ".*/mimamori-agent", arguments: ".*"}
      - {name: httpd, command: "/usr/sbin/httpd"}
    ports: [22]
    web:
      - {name: demo-page, url: "http://127.0.0.1:$web_port/", body: "mimamori demo"}
$dead_nodes
YAML
echo; echo "== mimamori-collector --check-config"
build/collector/mimamori-collector --check-config "$work/inventory.yaml"
echo; echo "== mimamori-collector --once (each monitor checked once; httpd and ssh are expected to fail here)"
build/collector/mimamori-collector --config "$work/inventory.yaml" --once 2>/dev/null || true

echo; echo "== mimamori-collector as a daemon"
build/collector/mimamori-collector --config "$work/inventory.yaml" 2>"$work/collector.log" &
pids+=($!)
collector_pid=$!
metrics_port=$(wait_for "$work/collector.log" '/metrics on port [0-9]+')
started=$SECONDS
if [ -n "$dead_nodes" ]; then
  echo "-- waiting for dead-vm ($dead_address) to be confirmed down (2 missed pings, 5 s apart)"
  for _ in $(seq 120); do grep -q 'node=dead-vm monitor=ping.*-> CRITICAL' "$work/collector.log" && break; sleep 0.5; done
else
  echo "-- stopping the agent: the localhost node's SNMP checks fail"
  kill "${pids[0]}"
  sleep 12
fi
echo; echo "-- collector log (state changes and incidents) after $((SECONDS - started)) s:"
grep -E 'OK ->|-> OK|-> CRITICAL|incident' "$work/collector.log" | head -10 || true

# The first report about the dead node (else the first report at all).
want=.
[ -n "$dead_nodes" ] && want=dead-vm
report=""
for _ in $(seq 300); do
  for f in "$work"/mail/*.txt; do
    [ -e "$f" ] && ! grep -q '^To: touban@' "$f" && grep -q -- "$want" "$f" && { report=$f; break 2; }
  done
  sleep 0.2
done
echo; echo "== a first report as the SMTP server received it, $((SECONDS - started)) s after the start"
echo "   (the phone duty went to the on-duty address as a mail too)"
shown=""
[ -n "$report" ] && { head -32 "$report"; shown=1; }
[ -n "$shown" ] || echo "(no mail yet; see $work/collector.log)"

echo; echo "== /metrics (http://127.0.0.1:$metrics_port/metrics), selected lines"
python3 - "$metrics_port" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
for line in body.splitlines():
    if line.startswith(("mimamori_node_up", "mimamori_cpu_usage_ratio", "mimamori_memory_usage_ratio",
                        "mimamori_filesystem_usage_ratio", "mimamori_process_matches",
                        "mimamori_monitor_status", "mimamori_ping_rtt_seconds", "mimamori_web_",
                        "mimamori_incidents_opened_total", "mimamori_report_attempts_total")):
        print(line)
PY
echo; echo "== mimamorictl incidents"
build/collector/mimamorictl --config "$work/inventory.yaml" incidents || true
echo
if [ -t 0 ] && [ -t 1 ]; then
  echo "Running: agent (udp:127.0.0.1:$port), collector (/metrics on :$metrics_port), SMTP (:$smtp_port),"
  echo "web page (:$web_port). The collector's log follows; Ctrl-C stops everything."
  tail -n 0 -f "$work/collector.log" --pid "$collector_pid" || true
else
  echo "mimamori-agent (udp:127.0.0.1:$port) and mimamori-collector (/metrics on :$metrics_port) stop now."
fi
