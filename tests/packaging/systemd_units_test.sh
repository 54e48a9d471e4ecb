#!/usr/bin/env bash
# The service units: `systemd-analyze verify` finds nothing to complain
# about (with the binaries they start staged by `cmake --install`), the
# offline security exposure is at most 2.0 and is the one docs/packaging.md
# records, and the contract with the daemons holds (notify, watchdog,
# SIGHUP reload, own user, one capability each).
#   systemd_units_test.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
src=$1
build=$2
command -v systemd-analyze >/dev/null || skip "systemd-analyze is missing (apt-get install systemd)"

stage=$work/stage
for c in agent collector; do
  DESTDIR=$stage cmake --install "$build" --prefix /usr --component "$c" >/dev/null
done
mkdir -p "$work/units"
for unit in mimamori-agent.service mimamori-collector.service; do
  # Same unit, pointing at the staged programs: verify checks they exist.
  sed "s|/usr/sbin/|$stage/usr/sbin/|g" "$stage/usr/lib/systemd/system/$unit" >"$work/units/$unit"
  out=$(systemd-analyze verify "$work/units/$unit" 2>&1) && rc=0 || rc=$?
  check "systemd-analyze verify $unit is clean (rc $rc): $out" test "$rc" -eq 0 -a -z "$out"
done

if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
  for unit in mimamori-agent.service mimamori-collector.service; do
    exposure=$(systemd-analyze security --offline=true "$src/systemd/$unit" 2>/dev/null |
      sed -nE 's/.*Overall exposure level for [^:]+: ([0-9.]+).*/\1/p')
    check "$unit: exposure measured" test -n "$exposure"
    check "$unit: exposure $exposure <= 2.0" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 2.0) }'
    check "$unit: docs/packaging.md records exposure $exposure" \
      grep -qE "^\| \`$unit\` \| $exposure \|" "$src/docs/packaging.md"
  done
else
  echo "SKIP: this systemd-analyze has no --offline (systemd < 250): exposure not measured"
fi

# The daemons' side of the contract.
for unit in agent collector; do
  file=$src/systemd/mimamori-$unit.service
  has() { grep -qxF "$1" "$file"; }
  check "$unit: Type=notify" has "Type=notify"
  check "$unit: NotifyAccess=main" has "NotifyAccess=main"
  check "$unit: a watchdog" grep -qE '^WatchdogSec=[0-9]+s$' "$file"
  check "$unit: reload by SIGHUP" has 'ExecReload=/bin/kill -HUP $MAINPID'
  check "$unit: restart on failure" has "Restart=on-failure"
  check "$unit: own user" has "User=mimamori"
  for setting in ProtectSystem=strict PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
    SystemCallFilter=@system-service SystemCallArchitectures=native ProtectKernelTunables=yes \
    ProtectKernelModules=yes ProtectKernelLogs=yes ProtectControlGroups=yes LockPersonality=yes \
    MemoryDenyWriteExecute=yes RestrictNamespaces=yes RestrictRealtime=yes RestrictSUIDSGID=yes; do
    check "$unit: $setting" has "$setting"
  done
done
check "agent: only CAP_NET_BIND_SERVICE" bash -c "grep -qxF 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' '$src/systemd/mimamori-agent.service' && grep -qxF 'AmbientCapabilities=CAP_NET_BIND_SERVICE' '$src/systemd/mimamori-agent.service'"
check "collector: only CAP_NET_RAW" bash -c "grep -qxF 'CapabilityBoundingSet=CAP_NET_RAW' '$src/systemd/mimamori-collector.service' && grep -qxF 'AmbientCapabilities=CAP_NET_RAW' '$src/systemd/mimamori-collector.service'"
check "collector: StateDirectory=mimamori" grep -qxF "StateDirectory=mimamori" "$src/systemd/mimamori-collector.service"
check "collector: ProtectHome=yes" grep -qxF "ProtectHome=yes" "$src/systemd/mimamori-collector.service"
finish
