#!/usr/bin/env bash
# Builds mimamori-agent-VERSION-x64.msi with msitools' wixl from
# packaging/msi/mimamori-agent.wxs, then reads the tables back with msiinfo
# and fails unless every row the install needs is there.
#
#   packaging/msi/build-msi.sh [--exe PATH] [--out DIR] [--version V] [--wxs FILE]
#
#   --exe PATH    mimamori-agent.exe; agent.yaml.default is taken from beside
#                 it (default: cross-build build-win/agent/mimamori-agent.exe
#                 with scripts/build-windows-agent.sh)
#   --out DIR     where the .msi goes (default: build-win/packages/msi)
#   --version V   ProductVersion, MAJOR.MINOR.BUILD (default: $VERSION, else
#                 the CMake project version). A higher version upgrades a
#                 lower one in place.
#   --wxs FILE    the WiX source (default: packaging/msi/mimamori-agent.wxs;
#                 the test builds broken ones to see this script fail)
#
# Prints the path of the .msi.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
exe=""
out=""
version=${VERSION:-}
wxs=$here/mimamori-agent.wxs
while [ $# -gt 0 ]; do
  case $1 in
    --exe) exe=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --wxs) wxs=$(realpath "$2"); shift 2 ;;
    *) echo "build-msi.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
die() { echo "build-msi.sh: $*" >&2; exit 1; }
for tool in wixl msiinfo msiextract; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install wixl msitools)"
done
[ -n "$version" ] || version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' "$source_dir/CMakeLists.txt")
# Windows Installer compares only these three fields (the first two at most
# 255, the third 65535); a fourth would be ignored by upgrades.
if ! [[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || [ "${BASH_REMATCH[1]}" -gt 255 ] ||
  [ "${BASH_REMATCH[2]}" -gt 255 ] || [ "${BASH_REMATCH[3]}" -gt 65535 ]; then
  die "version '$version' is not MAJOR.MINOR.BUILD (at most 255.255.65535)"
fi
if [ -z "$exe" ]; then
  exe=$(cd "$source_dir" && BUILD_DIR=build-win scripts/build-windows-agent.sh)
  exe=$source_dir/$exe
fi
exe=$(realpath "$exe")
default=$(dirname "$exe")/agent.yaml.default
[ -f "$exe" ] || die "$exe does not exist"
[ -f "$default" ] || die "$default does not exist (it is generated beside the .exe)"
out=$(realpath -m "${out:-$source_dir/build-win/packages/msi}")
msi=$out/mimamori-agent-$version-x64.msi
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# wixl resolves File/@Source against the working directory only.
mkdir "$work/stage"
cp "$exe" "$work/stage/mimamori-agent.exe"
cp "$default" "$work/stage/agent.yaml.default"
rm -f "$msi"
status=0
(cd "$work/stage" && wixl --arch x64 --define "Version=$version" --output "$msi" \
  "$wxs") >"$work/wixl.log" 2>&1 || status=$?
# wixl reports some broken input only as GLib CRITICAL/ERROR messages and
# still exits 0 with an MSI that Windows Installer rejects or half-installs.
# An attribute it does not implement (NeverOverwrite, Permanent, Platform,
# ...) is only a warning "has no property named" and is dropped: fail on
# that too, or the .wxs would promise what the MSI does not do.
if [ "$status" -ne 0 ] || grep -qE 'CRITICAL|ERROR|has no property named' "$work/wixl.log"; then
  cat "$work/wixl.log" >&2
  rm -f "$msi"
  die "wixl failed (exit $status)"
fi
[ -s "$msi" ] || die "wixl wrote no $msi"

# The tables as Windows Installer will read them: msiinfo exports a table as
# .idt text (CRLF lines of TAB-separated fields, three header lines).
failed=0
rows() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4; }
expect() { # TABLE REGEX WHAT
  if ! rows "$1" | grep -qE "$2"; then
    echo "build-msi.sh: $msi: $1 table has no $3" >&2
    failed=1
  fi
}
tab=$'\t'
size() { stat -c %s "$1"; }
expect File "^AgentExe${tab}AgentExecutable${tab}mimamori-agent\.exe${tab}$(size "$exe")${tab}" \
  "row for mimamori-agent.exe of $(size "$exe") bytes"
expect File "^AgentDefault${tab}AgentDefaultConfig${tab}agent\.yaml\.default${tab}$(size "$default")${tab}" \
  "row for agent.yaml.default of $(size "$default") bytes"
if rows File | cut -f3 | grep -qix 'agent\.yaml'; then
  echo "build-msi.sh: $msi installs agent.yaml, which must stay the operator's" >&2
  failed=1
fi
# Attribute 256: a 64-bit component (Program Files, not Program Files (x86)).
expect Component "^AgentExecutable${tab}\{[0-9A-F-]{36}\}${tab}INSTALLDIR${tab}256${tab}" \
  "64-bit component for the executable"
expect Component "^AgentDefaultConfig${tab}\{[0-9A-F-]{36}\}${tab}INSTALLDIR${tab}256${tab}" \
  "64-bit component for agent.yaml.default"
expect Directory "^INSTALLDIR${tab}ProgramFiles64Folder${tab}mimamori$" "INSTALLDIR under ProgramFiles64Folder"
# Own process (16), auto start (2), normal errors (1), as LocalSystem.
expect ServiceInstall "^AgentService${tab}mimamori-agent${tab}[^${tab}]*${tab}16${tab}2${tab}1${tab}${tab}${tab}LocalSystem${tab}" \
  "auto-start own-process service mimamori-agent as LocalSystem"
# 163 = start on install (1) + stop on install (2) and uninstall (32) +
# delete on uninstall (128).
expect ServiceControl "^AgentServiceControl${tab}mimamori-agent${tab}163${tab}${tab}1${tab}AgentExecutable$" \
  "start/stop/delete of mimamori-agent (event 163, wait)"
expect InstallExecuteSequence "^StartServices${tab}VersionNT AND NOT NOSTART${tab}" \
  "StartServices that NOSTART=1 skips"
upgrade_code=$(rows Property | sed -n "s/^UpgradeCode${tab}//p" | tr 'a-f' 'A-F')
[[ $upgrade_code =~ ^\{[0-9A-F-]{36}\}$ ]] || { echo "build-msi.sh: $msi has no UpgradeCode" >&2; failed=1; }
# Every version, this one included (a rebuild replaces, never installs
# beside), is removed; a newer one is only detected, for the refusal.
expect Upgrade "^${upgrade_code}${tab}0\.0\.0${tab}${tab}${tab}256${tab}${tab}WIX_UPGRADE_DETECTED$" \
  "row that finds every installed version to remove"
expect Upgrade "^${upgrade_code}${tab}${version//./\\.}${tab}${tab}${tab}2${tab}${tab}WIX_DOWNGRADE_DETECTED$" \
  "row that detects a newer version"
expect LaunchCondition "^NOT WIX_DOWNGRADE_DETECTED${tab}" "refusal of a downgrade"
expect InstallExecuteSequence "^RemoveExistingProducts${tab}${tab}" "RemoveExistingProducts"
expect Property "^ProductVersion${tab}${version//./\\.}$" "ProductVersion $version"
expect Property "^ProductCode${tab}\{[0-9A-F-]{36}\}$" "ProductCode"
expect Property "^ALLUSERS${tab}1$" "per-machine install (ALLUSERS 1)"
if ! msiinfo suminfo "$msi" | grep -qx 'Template: x64;1033'; then
  echo "build-msi.sh: $msi is not an x64 package (summary Template)" >&2
  failed=1
fi
# The cabinet must hold the very files the tables describe.
if msiextract --directory "$work/extract" "$msi" >/dev/null 2>"$work/extract.log"; then
  installed=$work/extract/mimamori
  cmp -s "$exe" "$installed/mimamori-agent.exe" || {
    echo "build-msi.sh: the cabinet's mimamori-agent.exe differs from $exe" >&2
    failed=1
  }
  cmp -s "$default" "$installed/agent.yaml.default" || {
    echo "build-msi.sh: the cabinet's agent.yaml.default differs from $default" >&2
    failed=1
  }
else
  cat "$work/extract.log" >&2
  echo "build-msi.sh: msiextract cannot read $msi" >&2
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  rm -f "$msi"
  die "the MSI is incomplete (wixl output: $(tr '\n' ' ' <"$work/wixl.log"))"
fi
echo "$msi"
