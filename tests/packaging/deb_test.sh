#!/usr/bin/env bash
# The .deb packages on the real system (disposable machine; as root only):
# fields and Depends from dpkg-shlibdeps, `apt-get install ./x.deb`, the
# installed tree (dpkg -L, modes, the account), an upgrade to revision 2
# with changed defaults keeping edited conffiles, remove, and purge leaving
# nothing, or only the ledger when asked. Everything is purged at the end.
#   deb_test.sh SOURCE_DIR BUILD_DIR
source "$(dirname "$0")/lib.sh"
src=$1
build=$2
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
  skip "dpkg-dev or debhelper missing (scripts/install-deps.sh installs them)"
version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")

"$src/packaging/deb/build-debs.sh" --build-dir "$build" --out "$work/r1" >/dev/null
agent=$work/r1/mimamori-agent_${version}-1_amd64.deb
collector=$work/r1/mimamori-collector_${version}-1_amd64.deb
check "agent .deb built" test -f "$agent"
check "collector .deb built" test -f "$collector"
depends=$(dpkg-deb -f "$collector" Depends)
for lib in libsnmp40 libcurl4 libyaml-cpp0.7 libprometheus-cpp-pull1.0 libsqlite3-0 libc6 adduser; do
  check "collector Depends on $lib (dpkg-shlibdeps): $depends" grep -qE "(^|, )$lib( |,|$)" <<<"$depends"
done
check "static agent Depends on no library" test "$(dpkg-deb -f "$agent" Depends)" = "adduser"
check "agent.yaml is a conffile" bash -c "dpkg-deb --ctrl-tarfile '$agent' | tar -xO ./conffiles | grep -qx /etc/mimamori/agent.yaml"
check "collector conffiles: inventory and templates" bash -c "dpkg-deb --ctrl-tarfile '$collector' | tar -xO ./conffiles | grep -c /etc/mimamori/ | grep -qx 8"
check "collector postinst enables the unit (dh_installsystemd)" \
  bash -c "dpkg-deb --ctrl-tarfile '$collector' | tar -xO ./postinst | grep -q \"deb-systemd-helper enable 'mimamori-collector.service'\""

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP (not root): apt-get install, upgrade, remove and purge"
  finish
  exit
fi
# One system, one dpkg: a second run of this test at the same time (another
# checkout's ctest on this machine) would install and purge under our feet.
exec 9>/var/lock/mimamori-deb-test.lock
flock -w 900 9 || skip "another deb_test.sh holds /var/lock/mimamori-deb-test.lock"
for p in mimamori-agent mimamori-collector; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
    skip "$p is installed on this machine already; not touching it"
  fi
done
had_user=0
getent passwd mimamori >/dev/null && had_user=1
had_state=0
[ -e /var/lib/mimamori ] && had_state=1
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -y -q -o DPkg::Lock::Timeout=120)
purge() { "${apt[@]}" purge mimamori-agent mimamori-collector >/dev/null 2>&1 || true; }
cleanup_hooks+=("purge")
cleanup_hooks+=('[ $had_state = 1 ] || rm -rf /var/lib/mimamori')
cleanup_hooks+=('[ $had_user = 1 ] || { userdel mimamori; groupdel mimamori; } 2>/dev/null')

"${apt[@]}" install "$agent" "$collector" >"$work/apt.log" 2>&1 || cat "$work/apt.log" >&2
check "apt-get install ./*.deb" bash -c "dpkg-query -W -f='\${Status} \${Version}\n' mimamori-agent mimamori-collector | grep -c 'install ok installed ${version}-1' | grep -qx 2"
listed=$(dpkg -L mimamori-agent mimamori-collector)
for f in /usr/sbin/mimamori-agent /usr/sbin/mimamori-collector /usr/bin/mimamorictl \
  /lib/systemd/system/mimamori-agent.service /lib/systemd/system/mimamori-collector.service \
  /etc/mimamori/agent.yaml /etc/mimamori/inventory.yaml /etc/mimamori/templates/first-report.txt \
  /usr/share/doc/mimamori/inventory.md /usr/share/doc/mimamori-collector/copyright; do
  check "dpkg -L lists $f" grep -qxF "$f" <<<"$listed"
  check "$f exists" test -e "$f"
done
check "system account mimamori" bash -c "getent passwd mimamori | grep -q ':/var/lib/mimamori:'"
check "agent.yaml 0640 root:mimamori" test "$(stat -c '%a %U:%G' /etc/mimamori/agent.yaml)" = "640 root:mimamori"
check "inventory.yaml 0640 root:mimamori" test "$(stat -c '%a %U:%G' /etc/mimamori/inventory.yaml)" = "640 root:mimamori"
check "/var/lib/mimamori 0750 mimamori" test "$(stat -c '%a %U:%G' /var/lib/mimamori)" = "750 mimamori:mimamori"
check "unit enabled (wants link)" test -L /etc/systemd/system/multi-user.target.wants/mimamori-agent.service
check "installed inventory passes --check-config" \
  bash -c "/usr/sbin/mimamori-collector --check-config /etc/mimamori/inventory.yaml >/dev/null"
check "installed mimamorictl runs" bash -c "/usr/bin/mimamorictl --help >/dev/null 2>&1 || /usr/bin/mimamorictl help >/dev/null 2>&1"

# Upgrade to revision 2 whose defaults changed: the edits stay.
echo "# edited by the operator" >>/etc/mimamori/agent.yaml
echo "# edited by the operator" >>/etc/mimamori/inventory.yaml
edited_agent=$(cat /etc/mimamori/agent.yaml)
edited_inventory=$(cat /etc/mimamori/inventory.yaml)
for c in agent collector; do
  DESTDIR=$work/stage-$c cmake --install "$build" --prefix /usr --component "$c" --strip >/dev/null
done
echo "# new default in revision 2" >>"$work/stage-agent/etc/mimamori/agent.yaml"
echo "# new default in revision 2" >>"$work/stage-collector/etc/mimamori/inventory.yaml"
"$src/packaging/deb/build-debs.sh" --build-dir "$build" --out "$work/r2" --revision 2 \
  --stage agent="$work/stage-agent" --stage collector="$work/stage-collector" >/dev/null
"${apt[@]}" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install \
  "$work/r2/mimamori-agent_${version}-2_amd64.deb" "$work/r2/mimamori-collector_${version}-2_amd64.deb" \
  >"$work/apt.log" 2>&1 || cat "$work/apt.log" >&2
check "upgraded to revision 2" bash -c "dpkg-query -W -f='\${Version}\n' mimamori-agent | grep -qx '${version}-2'"
check "edited agent.yaml kept" test "$(cat /etc/mimamori/agent.yaml)" = "$edited_agent"
check "edited inventory.yaml kept" test "$(cat /etc/mimamori/inventory.yaml)" = "$edited_inventory"
check "new default beside it (.dpkg-dist)" grep -q "new default in revision 2" /etc/mimamori/agent.yaml.dpkg-dist
check "mode kept through the upgrade" test "$(stat -c '%a %U:%G' /etc/mimamori/agent.yaml)" = "640 root:mimamori"

# Remove keeps configuration; purge with keep-ledger leaves only the ledger.
"${apt[@]}" remove mimamori-agent mimamori-collector >/dev/null 2>&1
check "remove deletes the programs" test ! -e /usr/sbin/mimamori-agent -a ! -e /usr/bin/mimamorictl
check "remove keeps the conffiles" test -f /etc/mimamori/inventory.yaml
echo ledger >/var/lib/mimamori/ledger.db
echo wal >/var/lib/mimamori/ledger.db-wal
echo other >/var/lib/mimamori/scratch
touch /var/lib/mimamori/keep-ledger
"${apt[@]}" purge mimamori-agent mimamori-collector >/dev/null 2>&1
check "purge removes /etc/mimamori" test ! -e /etc/mimamori
check "purge with keep-ledger leaves only the ledger" \
  test "$(cd /var/lib/mimamori && ls -A | tr '\n' ' ')" = "ledger.db ledger.db-wal "
check "purge removes the wants link" test ! -e /etc/systemd/system/multi-user.target.wants/mimamori-agent.service
for p in mimamori-agent mimamori-collector; do
  check "$p purged from dpkg's database" bash -c "! dpkg-query -W -f='\${Status}' $p 2>/dev/null | grep -q 'ok'"
done

# Without the flag purge leaves nothing.
"${apt[@]}" install "$collector" >/dev/null 2>&1
echo ledger >/var/lib/mimamori/ledger.db
"${apt[@]}" purge mimamori-collector >/dev/null 2>&1
check "purge without keep-ledger removes /var/lib/mimamori" test ! -e /var/lib/mimamori
left=$(find /etc /usr /lib -path /proc -prune -o -name '*mimamori*' -print 2>/dev/null | grep -v "^$src\|^$build" || true)
check "no file left behind: $left" test -z "$left"
finish
