#!/usr/bin/env bash
# The ledger on SQLite beside the ledger on PostgreSQL, in one run: the
# alerting pipeline (detection -> SMTP 250 through the real IncidentEngine,
# Outbox, templates and aiosmtpd), a storm of 1,000 failing VMs, and one
# collector cycle of resource samples (10,000 nodes x 5 monitors in one
# transaction). PostgreSQL is a private server (tests/support/
# postgres_fixture.sh: Unix socket, fsync and synchronous_commit on, as
# shipped); SQLite is a file with WAL and synchronous=FULL.
#
#   bench/run_ledger_bench.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cmake --build "$build" --target alerting_bench >/dev/null
. bench/smtp_sink.sh
start_smtp_sink
port=$smtp_port
pgdir=$(mktemp -d /tmp/mimamori-ledger-bench.XXXXXX)
chmod 755 "$pgdir"  # the server runs as nobody when we are root
trap 'kill $smtp_pid 2>/dev/null || true; tests/support/postgres_fixture.sh stop "$pgdir" >/dev/null 2>&1 || true' EXIT
tests/support/postgres_fixture.sh start "$pgdir" >/dev/null
psql "host=$pgdir user=mimamori dbname=postgres" -qc "CREATE DATABASE bench" >/dev/null
run() {
  "$build/bench/alerting_bench" --smtp "smtp://127.0.0.1:$port" --templates packaging/templates \
    --rounds 20 --hosts 10 --vms-per-host 100 --usage-nodes 10000 "$@"
}
sqlite=$(run)
postgres=$(run --ledger "host=$pgdir user=mimamori dbname=bench")
get() { echo "$1" | awk -v k="$2" '$1 == k {print $2}'; }
row() {
  local a b
  a=$(get "$sqlite" "$2")
  b=$(get "$postgres" "$2")
  printf '| %s | %s | %s | %s |\n' "$1" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}')"
}
echo "| measure | SQLite | PostgreSQL $(psql "host=$pgdir user=mimamori dbname=postgres" -Atc 'SHOW server_version') | PostgreSQL / SQLite |"
echo "|---|---|---|---|"
row "detection -> SMTP 250, one VM, p50 (ms)" latency_p50_ms
row "detection -> SMTP 250, one VM, max (ms)" latency_max_ms
row "storm of 1,000 VMs: engine opens every incident (ms)" storm_engine_ms
row "storm of 1,000 VMs: failures -> all reports accepted (ms)" storm_all_sent_ms
row "one cycle of resource samples, 50,000 in one transaction (ms)" usage_ms
row "resource samples recorded (nodes/s)" usage_nodes_per_s
echo
echo "storm incidents: SQLite $(get "$sqlite" storm_incidents), PostgreSQL $(get "$postgres" storm_incidents);" \
     "reports: SQLite $(get "$sqlite" storm_reports_sent), PostgreSQL $(get "$postgres" storm_reports_sent)"
