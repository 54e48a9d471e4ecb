#!/bin/sh
# postgres_fixture.sh start|stop DIR: the PostgreSQL server that the ledger
# tests of one ctest run share (CTest fixture "postgres_ledger"). Each test
# makes its own database in it (tests/support/test_ledger.h), so one initdb
# serves hundreds of tests. Unix socket in DIR only, no TCP port; trust
# authentication for the role "mimamori". initdb and postgres refuse root:
# as root the server runs as "nobody" (MIMAMORI_TEST_PG_USER), which owns DIR.
# Exit 77 (skipped) when the server binaries are not installed.
# MIMAMORI_PG_OPTIONS: more server options for -o (the benches' profiling,
# e.g. "-c shared_preload_libraries=pg_stat_statements").
set -eu
action=${1:?start or stop}
dir=${2:?directory}
bindir=${MIMAMORI_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bindir" ] && command -v pg_config >/dev/null 2>&1; then bindir=$(pg_config --bindir); fi
if [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
  echo "SKIP: PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin" \
       "or pg_config --bindir; install postgresql to run the ledger tests on PostgreSQL"
  exit 77
fi
user=${MIMAMORI_TEST_PG_USER:-nobody}
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi
}
stop() {
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
}
case $action in
  start)
    stop
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown "$user" "$dir"; fi
    if ! as_server "$bindir/initdb" -D "$dir/data" -A trust -U mimamori --locale=C -E UTF8 \
         >"$dir/initdb.log" 2>&1; then
      echo "initdb failed:"; tail -n 20 "$dir/initdb.log"; exit 1
    fi
    if ! as_server "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
         -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 ${MIMAMORI_PG_OPTIONS:-}" \
         start >/dev/null; then
      echo "the server did not start:"; tail -n 20 "$dir/postgres.log"; exit 1
    fi
    echo "PostgreSQL for the ledger tests: host=$dir user=mimamori"
    ;;
  stop)
    stop
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
