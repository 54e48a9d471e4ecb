#!/usr/bin/env bash
# Builds mimamori-agent and mimamori-collector RPMs with rpmbuild from the
# CMake build tree: each component is staged with `cmake --install` and
# packaged by its spec (packaging/rpm/*.spec) in mimamori_stage mode.
#
#   packaging/rpm/build-rpms.sh [--build-dir DIR] [--out DIR] [--release N]
#                               [--version V] [--stage COMPONENT=DIR]...
#
#   --build-dir DIR  CMake build tree (default: build); configured and the
#                    three programs built when needed
#   --out DIR        where the .rpm files go (default: DIR/packages/rpm)
#   --release N      RPM release (default 1)
#   --version V      package version (default: the CMake project version)
#   --stage C=DIR    package DIR as component C (agent, collector) instead of
#                    staging it here (the upgrade test edits a staged tree)
#
# Prints the paths of the packages built, one a line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=build
out=""
release=1
version=""
declare -A stage=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --release) release=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --stage) stage[${2%%=*}]=${2#*=}; shift 2 ;;
    *) echo "build-rpms.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$source_dir"
command -v rpmbuild >/dev/null || { echo "build-rpms.sh: rpmbuild is missing (apt-get install rpm)" >&2; exit 1; }
[ -n "$version" ] || version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
build_dir=$(realpath -m "$build_dir")
out=$(realpath -m "${out:-$build_dir/packages/rpm}")
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for component in agent collector; do
  if [ -z "${stage[$component]:-}" ]; then
    if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
      cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    fi
    cmake --build "$build_dir" --target mimamori-agent mimamori-collector mimamorictl >&2
    stage[$component]=$work/stage-$component
    # --strip: the unstripped binaries stay in the build tree for debugging.
    DESTDIR=${stage[$component]} cmake --install "$build_dir" --prefix /usr \
      --component "$component" --strip >/dev/null
  fi
  # --nodeps: the BuildRequires name RHEL packages, absent from Debian's
  # empty rpm database; nothing is compiled in this mode.
  rpmbuild -bb --nodeps --quiet \
    --define "_topdir $work/rpmbuild" \
    --define "mimamori_stage $(realpath "${stage[$component]}")" \
    --define "mimamori_version $version" \
    --define "mimamori_release $release" \
    "$here/mimamori-$component.spec" >&2
done
find "$work/rpmbuild/RPMS" -name '*.rpm' -exec cp {} "$out/" \;
for f in "$work"/rpmbuild/RPMS/*/*.rpm; do echo "$out/$(basename "$f")"; done
