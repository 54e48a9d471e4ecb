#!/usr/bin/env bash
# The Windows agent's MSI: its tables as msiinfo reads them, build-msi.sh
# failing on broken WiX input, then a real install by wine's msiexec in a
# private prefix: the files under Program Files, the service registered and
# answering SNMP with an agent.yaml the operator wrote before the install,
# a rebuild of N and an upgrade to N+1 that replace the .exe in place and
# keep the edited agent.yaml, a refused downgrade, and a removal that leaves
# only the operator's files.
#   msi_test.sh SOURCE_DIR BUILD_DIR AGENT_EXE
#
# When wine's service control manager cannot start even one of wine's own
# services (seen on some machines: StartService fails with 1053/1055), the
# install runs with NOSTART=1 and the agent is started from the console
# instead; a SKIP line says so and why. Everything else is still checked.
# MSI_TEST_NOSTART=1 forces that path.
source "$(dirname "$0")/lib.sh"
src=$1
exe=$3
for tool in wixl msiinfo msiextract; do
  command -v $tool >/dev/null || skip "$tool is missing (apt-get install wixl msitools)"
done
if [ ! -f "$exe" ]; then
  bad "$exe does not exist (cmake --build BUILD --target mimamori_windows_agent)"
  finish
  exit
fi
version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
# N+1: the build field plus one.
next=${version%.*}.$((${version##*.} + 1))
upgrade_code=$(sed -nE 's/.*UpgradeCode="([0-9a-fA-F-]+)".*/\1/p' "$src/packaging/msi/mimamori-agent.wxs" |
  tr 'a-f' 'A-F')
tab=$'\t'
rows() { msiinfo export "$1" "$2" | tr -d '\r' | tail -n +4; } # MSI TABLE
field() { rows "$1" "$2" | awk -F'\t' -v k="$3" -v c="$4" '$1 == k { print $c }'; }

# --- the package -------------------------------------------------------------
msi_n=$("$src/packaging/msi/build-msi.sh" --exe "$exe" --out "$work/n")
check "build-msi.sh names the package after the project version" \
  test "$msi_n" = "$work/n/mimamori-agent-$version-x64.msi"
check "files are exactly the .exe and agent.yaml.default, never agent.yaml" \
  test "$(rows "$msi_n" File | cut -f3 | sort | tr '\n' ' ')" = "agent.yaml.default mimamori-agent.exe "
check "the .exe's File row has its size" \
  test "$(field "$msi_n" File AgentExe 4)" = "$(stat -c %s "$exe")"
for component in AgentExecutable AgentDefaultConfig; do
  check "$component is a 64-bit component in INSTALLDIR" \
    test "$(field "$msi_n" Component $component 3)/$(field "$msi_n" Component $component 4)" = "INSTALLDIR/256"
done
check "INSTALLDIR is ProgramFiles64Folder\\mimamori" \
  grep -qx "INSTALLDIR${tab}ProgramFiles64Folder${tab}mimamori" <<<"$(rows "$msi_n" Directory)"
service=$(rows "$msi_n" ServiceInstall)
check "ServiceInstall: mimamori-agent, own process, auto start, LocalSystem, with the .exe" \
  test "$(cut -f2,4,5,9,12 <<<"$service")" = "mimamori-agent${tab}16${tab}2${tab}LocalSystem${tab}AgentExecutable"
control=$(rows "$msi_n" ServiceControl)
check "ServiceControl: one row for mimamori-agent with the .exe" \
  test "$(cut -f2,6 <<<"$control")" = "mimamori-agent${tab}AgentExecutable"
event=$(cut -f3 <<<"$control")
# msidbServiceControlEvent: Start 1, Stop 2, uninstallStop 32, uninstallDelete 128.
for bit in 1:start-on-install 2:stop-on-install 32:stop-on-uninstall 128:delete-on-uninstall; do
  check "ServiceControl event $event has ${bit#*:}" test $((event & ${bit%%:*})) -ne 0
done
check "StartServices is skipped with NOSTART=1" \
  grep -qx "StartServices${tab}VersionNT AND NOT NOSTART${tab}[0-9]*" <<<"$(rows "$msi_n" InstallExecuteSequence)"
check "ProductVersion is $version" test "$(field "$msi_n" Property ProductVersion 2)" = "$version"
check "UpgradeCode is the fixed one of the .wxs" \
  test "$(field "$msi_n" Property UpgradeCode 2 | tr 'a-f' 'A-F')" = "{$upgrade_code}"
upgrade=$(rows "$msi_n" Upgrade)
check "Upgrade finds every installed version, this one included (to remove it)" \
  grep -qx "{$upgrade_code}${tab}0.0.0${tab}${tab}${tab}256${tab}${tab}WIX_UPGRADE_DETECTED" <<<"$upgrade"
check "Upgrade detects newer versions only (to refuse a downgrade)" \
  grep -qx "{$upgrade_code}${tab}$version${tab}${tab}${tab}2${tab}${tab}WIX_DOWNGRADE_DETECTED" <<<"$upgrade"
check "a newer version found refuses the install" \
  grep -q "^NOT WIX_DOWNGRADE_DETECTED${tab}" <<<"$(rows "$msi_n" LaunchCondition)"
check "the old version is removed right after InstallValidate" \
  test "$(field "$msi_n" InstallExecuteSequence RemoveExistingProducts 3)" -eq \
  $(($(field "$msi_n" InstallExecuteSequence InstallValidate 3) + 1))

# N+1: a different .exe (bytes appended after the PE image, which Windows
# ignores) and a changed shipped default, built with the VERSION override.
mkdir -p "$work/exe-n1"
cp "$exe" "$work/exe-n1/mimamori-agent.exe"
echo "mimamori msi_test: build $next" >>"$work/exe-n1/mimamori-agent.exe"
cp "$(dirname "$exe")/agent.yaml.default" "$work/exe-n1/agent.yaml.default"
echo "# new default in $next" >>"$work/exe-n1/agent.yaml.default"
msi_n1=$(VERSION=$next "$src/packaging/msi/build-msi.sh" --exe "$work/exe-n1/mimamori-agent.exe" --out "$work/n1")
check "VERSION=$next builds mimamori-agent-$next-x64.msi" test "$msi_n1" = "$work/n1/mimamori-agent-$next-x64.msi"
check "N+1 has ProductVersion $next" test "$(field "$msi_n1" Property ProductVersion 2)" = "$next"
check "N+1 keeps the UpgradeCode" \
  test "$(field "$msi_n1" Property UpgradeCode 2)" = "$(field "$msi_n" Property UpgradeCode 2)"
check "N+1 has its own ProductCode" \
  test "$(field "$msi_n1" Property ProductCode 2)" != "$(field "$msi_n" Property ProductCode 2)"

# build-msi.sh must refuse what wixl would happily write.
broken() { # WHAT WXS: build-msi.sh fails on WXS and leaves no package
  if "$src/packaging/msi/build-msi.sh" --exe "$exe" --out "$work/broken" --wxs "$2" >/dev/null 2>"$work/broken.err"; then
    bad "build-msi.sh accepted $1"
  elif [ -n "$(ls -A "$work/broken" 2>/dev/null)" ]; then
    bad "build-msi.sh left a package built from $1"
  else
    ok
  fi
}
sed '/<ServiceControl/,/\/>/d' "$src/packaging/msi/mimamori-agent.wxs" >"$work/no-control.wxs"
broken "a .wxs without ServiceControl" "$work/no-control.wxs"
sed 's/Source="agent.yaml.default"/Source="missing.yaml"/' "$src/packaging/msi/mimamori-agent.wxs" >"$work/no-file.wxs"
broken "a .wxs naming a missing file" "$work/no-file.wxs"
sed 's/<Component Id="AgentDefaultConfig"/<Component Id="AgentDefaultConfig" Unknown="x"/' \
  "$src/packaging/msi/mimamori-agent.wxs" >"$work/bad-attribute.wxs"
broken "a .wxs with an attribute wixl does not know" "$work/bad-attribute.wxs"

# --- install, upgrade and removal under wine -----------------------------------
if ! command -v wine >/dev/null || ! command -v snmpget >/dev/null; then
  echo "SKIP: wine or snmpget is missing: no install by msiexec"
  finish
  exit
fi
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$WINEPREFIX"
# A wine command with its output in files: never a pipe of ours, which
# wine's service processes would inherit from the first wine process and
# hold open. Sets $rc; `out` prints what it wrote.
w() {
  rc=0
  timeout "${wine_timeout:-120}" "$@" >"$work/w.out" 2>"$work/w.err" </dev/null || rc=$?
}
out() { tr -d '\r' <"$work/w.out"; cat "$work/w.err"; }
winpath() { printf 'Z:%s' "${1//\//\\}"; }
cleanup_hooks+=("timeout 30 wineserver -k")
wine_timeout=300 w wineboot -i
if [ "$rc" -ne 0 ]; then
  bad "wineboot -i exited $rc: $(out)"
  finish
  exit
fi
timeout 60 wineserver -w || true
# Wine 8's CreateEnvironmentBlock gives services %ProgramData% =
# C:\users\Public, where Windows gives LocalSystem C:\ProgramData. Services
# take the user's environment key last, so this makes wine's service
# environment the one Windows has; services.exe reads it when it starts,
# hence before the persistent server below.
w wine reg add 'HKCU\Environment' /v ProgramData /t REG_SZ /d 'C:\ProgramData' /f
check "reg add HKCU\\Environment ProgramData" test "$rc" -eq 0
timeout 60 wineserver -w || true
# Persistent: otherwise the server, and the services with it, would end a
# few seconds after each wine command.
wineserver -p -f >"$work/wineserver.log" 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")

state() { # SERVICE: its state word from sc query (RUNNING, STOPPED, ...)
  w wine sc query "$1"
  out | sed -nE 's/^ *STATE *: *[0-9]+ +([A-Z_]+).*/\1/p'
}
wait_state() { # SERVICE STATE: polls up to 30 s
  local _
  for _ in $(seq 60); do
    [ "$(state "$1")" = "$2" ] && return 0
    sleep 0.5
  done
  return 1
}
# The probe: one of wine's own services, which does nothing but run.
probe=""
w wine sc start Spooler
if [ "$rc" -ne 0 ]; then
  probe="sc start Spooler exited $rc: $(out | tr -s '\n ' ' ')"
elif ! wait_state Spooler RUNNING; then
  probe="Spooler never RUNNING after sc start: $(out | tr -s '\n ' ' ')"
fi
nostart=()
# MSI_TEST_NOSTART=1 takes that path where services do start, to test it.
[ "${MSI_TEST_NOSTART:-}" != 1 ] || probe="MSI_TEST_NOSTART=1 is set"
if [ -n "$probe" ]; then
  echo "SKIP: wine's service control manager cannot start services here ($probe):" \
    "installing with NOSTART=1 and starting the installed agent from the console instead"
  nostart=(NOSTART=1)
fi

port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data=$WINEPREFIX/drive_c/ProgramData/mimamori
installed=$WINEPREFIX/drive_c/Program\ Files/mimamori
mkdir -p "$data"
cat >"$data/agent.yaml" <<YAML
# written by the operator before the install
listen: [udp:127.0.0.1:$port]
community: MieKiban
allowed_managers: [127.0.0.1/32]
YAML
cp "$data/agent.yaml" "$work/operator.yaml"

sys_descr() { snmpget -v2c -c MieKiban -t 1 -r 0 -On -Oqv "127.0.0.1:$port" .1.3.6.1.2.1.1.1.0 2>/dev/null; }
answers() { # polls sysDescr.0 up to 30 s; true once it says Windows
  local _
  for _ in $(seq 30); do
    sys_descr | grep -q "Software: Windows" && return 0
    sleep 1
  done
  return 1
}
console_pid=""
serving() { # WHAT: the installed agent answers (the service, or from the console)
  if [ ${#nostart[@]} -eq 0 ]; then
    check "$1: the service is RUNNING" wait_state mimamori-agent RUNNING
    check "$1: the service answers sysDescr.0 on 127.0.0.1:$port" answers
  else
    check "$1: NOSTART=1 left the service STOPPED" test "$(state mimamori-agent)" = STOPPED
    wine 'C:\Program Files\mimamori\mimamori-agent.exe' --console >"$work/console.out" 2>>"$work/console.log" </dev/null &
    console_pid=$!
    check "$1: the installed agent (console) answers sysDescr.0 on 127.0.0.1:$port" answers
    kill "$console_pid" 2>/dev/null || true
    wait "$console_pid" 2>/dev/null || true
  fi
}
msiexec_once() { # ARGS...: wine msiexec ... /qn with a log in $work
  local log=$work/msiexec-$((++msiexec_runs)).log
  wine_timeout=300 w wine msiexec "$@" /qn /l\*v "$(winpath "$log")"
  msiexec_log=$log
}
# Under a loaded CI machine wine's msiexec has been seen to fail an install
# with 1627 (exit 91) after every action returned 1, and to pass when run
# again at once; Windows' msiexec does not. One retry, said out loud with
# the failed run's last actions, keeps the test about the package, and the
# checks after it still look at the end state (files, service, products).
msiexec() { # ARGS...
  msiexec_once "$@"
  if [ "$rc" -eq 91 ]; then
    echo "RETRY: wine msiexec $* exited 91 (1627); its log ends:" >&2
    tr -d '\r\0' <"$msiexec_log" | tail -n 8 >&2
    sleep 2
    msiexec_once "$@"
  fi
}
msiexec_runs=0
msiexec_ok() { # WHAT: the last msiexec exited 0, or the end of its log
  if [ "$rc" -eq 0 ]; then
    ok
  else
    bad "$1 exited $rc: $(out)"
    # The action that failed (Return value 3) and what it said just before.
    tr -d '\r\0' <"$msiexec_log" | grep -B 12 "Return value 3" | head -n 60 >&2 || true
    tr -d '\r\0' <"$msiexec_log" | tail -n 15 >&2
  fi
}

# N: install.
msiexec /i "$(winpath "$msi_n")" "${nostart[@]}"
msiexec_ok "msiexec /i $version"
check "mimamori-agent.exe under Program Files\\mimamori" cmp -s "$exe" "$installed/mimamori-agent.exe"
check "agent.yaml.default under Program Files\\mimamori" \
  cmp -s "$(dirname "$exe")/agent.yaml.default" "$installed/agent.yaml.default"
check "no agent.yaml under Program Files" test ! -e "$installed/agent.yaml"
w wine reg query 'HKLM\System\CurrentControlSet\Services\mimamori-agent'
registered=$(out)
check "the service is registered with the installed .exe" \
  grep -qiF 'C:\Program Files\mimamori\mimamori-agent.exe' <<<"$registered"
check "the service starts automatically (Start 2)" grep -qE 'Start[[:space:]]+REG_DWORD[[:space:]]+0x2$' <<<"$registered"
check "the service runs as LocalSystem" grep -qE 'ObjectName[[:space:]]+REG_SZ[[:space:]]+LocalSystem$' <<<"$registered"
serving "after install"
check "the install kept the operator's agent.yaml" cmp -s "$work/operator.yaml" "$data/agent.yaml"
if [ ${#nostart[@]} -eq 0 ]; then
  check "the service logs to %ProgramData%\\mimamori\\logs" \
    grep -q "starting as the Windows service mimamori-agent" "$data/logs/mimamori-agent.log"
fi

# N rebuilt (same version, a new ProductCode): replaces, never installs beside.
msi_again=$("$src/packaging/msi/build-msi.sh" --exe "$exe" --out "$work/n-again")
check "a rebuild of $version has its own ProductCode" \
  test "$(field "$msi_again" Property ProductCode 2)" != "$(field "$msi_n" Property ProductCode 2)"
msiexec /i "$(winpath "$msi_again")" "${nostart[@]}"
msiexec_ok "msiexec /i of a rebuild of $version"
products() { # VERSION: "installed products/of them VERSION"
  w wine reg query 'HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall' /s
  local listing
  listing=$(out)
  echo "$(grep -c 'DisplayName.*mimamori agent' <<<"$listing")/$(grep -cE "DisplayVersion[[:space:]]+REG_SZ[[:space:]]+$1$" <<<"$listing")"
}
check "after the rebuild one product is installed, version $version" test "$(products "$version")" = 1/1
check "the rebuild kept the operator's agent.yaml" cmp -s "$work/operator.yaml" "$data/agent.yaml"

# N+1: upgrade in place.
echo "# edited by the operator after the install" >>"$data/agent.yaml"
cp "$data/agent.yaml" "$work/edited.yaml"
msiexec /i "$(winpath "$msi_n1")" "${nostart[@]}"
msiexec_ok "msiexec /i $next (upgrade)"
check "the upgrade replaced mimamori-agent.exe" cmp -s "$work/exe-n1/mimamori-agent.exe" "$installed/mimamori-agent.exe"
check "the upgrade replaced agent.yaml.default" cmp -s "$work/exe-n1/agent.yaml.default" "$installed/agent.yaml.default"
check "the upgrade kept the edited agent.yaml" cmp -s "$work/edited.yaml" "$data/agent.yaml"
check "after the upgrade one product is installed, version $next" test "$(products "$next")" = 1/1
serving "after upgrade"
if [ ${#nostart[@]} -eq 0 ]; then
  check "the upgrade stopped the old service before starting the new one" \
    test "$(grep -c 'starting as the Windows service' "$data/logs/mimamori-agent.log")" -ge 2 -a \
    "$(grep -c 'service stopped' "$data/logs/mimamori-agent.log")" -ge 1
fi

# N after N+1: refused, nothing changed.
msiexec_once /i "$(winpath "$msi_n")" "${nostart[@]}"
if ! grep -q "WIX_DOWNGRADE_DETECTED = {" <(tr -d '\r\0' <"$msiexec_log"); then
  echo "RETRY: the downgrade's msiexec (exit $rc) ended before its launch conditions" >&2
  sleep 2
  msiexec_once /i "$(winpath "$msi_n")" "${nostart[@]}"
fi
check "msiexec /i $version over $next (downgrade) fails" test "$rc" -ne 0
# (wine's msiexec /qn does not log the LaunchCondition's message.)
check "the downgrade was refused because the Upgrade table found $next" \
  grep -q "WIX_DOWNGRADE_DETECTED = {" <(tr -d '\r\0' <"$msiexec_log")
check "the refused downgrade left $next's .exe" cmp -s "$work/exe-n1/mimamori-agent.exe" "$installed/mimamori-agent.exe"
check "the refused downgrade left $next installed" test "$(products "$next")" = 1/1

# Removal.
msiexec /x "$(winpath "$msi_n1")"
msiexec_ok "msiexec /x"
gone() { # polls up to 15 s: wine's StopServices can return before the
  # service's process has exited, and a file still mapped is removed late
  local _
  for _ in $(seq 30); do
    [ ! -e "$installed/mimamori-agent.exe" ] && [ ! -e "$installed/agent.yaml.default" ] && return 0
    sleep 0.5
  done
  return 1
}
if ! gone; then
  echo "still under Program Files\\mimamori: $(ls "$installed" 2>&1 | tr '\n' ' ')" >&2
  tr -d '\r\0' <"$msiexec_log" | grep -iE "RemoveFiles|File: |Return value|Deleting|StopServices|Service: " | tail -n 25 >&2
  w wine sc query mimamori-agent
  echo "sc query after removal: $(out | tr -s '\n ' ' ')" >&2
fi
check "removal deleted mimamori-agent.exe and agent.yaml.default" gone
w wine reg query 'HKLM\System\CurrentControlSet\Services\mimamori-agent'
check "removal deleted the service" test "$rc" -ne 0
if [ ${#nostart[@]} -eq 0 ]; then
  check "nothing answers on 127.0.0.1:$port after removal" test -z "$(sys_descr)"
fi
check "removal left the operator's agent.yaml" cmp -s "$work/edited.yaml" "$data/agent.yaml"
check "removal unregistered the product" test "$(products "$next")" = 0/0
finish
