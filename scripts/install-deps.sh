#!/usr/bin/env bash
# Installs every Debian/Ubuntu package mimamori needs to build, test and demo.
# Idempotent: when everything is already installed it does not touch apt.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang clang-format
  # libFuzzer and sanitizer runtimes for clang (Debian 12 name first)
  libclang-rt-14-dev
  # agent: standalone Asio (header-only), no Net-SNMP
  libasio-dev
  # collector: Net-SNMP client, Boost.Asio, libcurl, yaml-cpp, prometheus-cpp, SQLite
  libsnmp-dev libboost-dev libcurl4-openssl-dev libyaml-cpp-dev prometheus-cpp-dev libcivetweb-dev zlib1g-dev libsqlite3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers: Net-SNMP tools and snmpd, Zabbix agent; utilities the tests call
  snmp snmpd zabbix-agent file procps iproute2 python3
  # a manager on connected UDP sockets (the agent's reply-source test)
  prometheus-snmp-exporter
  # the collector's /metrics is linted by promtool and scraped by a real Prometheus
  prometheus
  # alerting: a real SMTP server for the mail tests
  python3-aiosmtpd
  # Windows agent: MinGW-w64 cross build, run under wine; the MSI (wixl, msiinfo)
  mingw-w64 wine wine64 msitools wixl
  # packages: rpmbuild and the Debian tooling; sd_notify headers
  rpm debhelper dpkg-dev libsystemd-dev
  # collector: the WinRM monitor (libxml2, python3-winrm as the cross-check
  # client), message rules (RE2), the PostgreSQL ledger, rsyslog as a peer
  libxml2-dev python3-winrm libre2-dev postgresql libpq-dev rsyslog
  # the WinRM HTTPS test makes a throwaway certificate with the openssl tool
  openssl
  # the vCenter link's test builds a vCenter simulator from Debian's govmomi
  golang-go golang-github-vmware-govmomi-dev
  # the tests fetch /metrics with the curl tool
  curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian's snmpd/zabbix-agent packages would start system daemons on install;
# the tests start their own on loopback ports, so keep the package scripts
# from starting services where a policy layer is available.
export DEBIAN_FRONTEND=noninteractive
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
