#!/usr/bin/env bash
# Builds the mimamori-agent and mimamori-collector .deb packages with
# dpkg-buildpackage (debhelper, packaging/deb/debian) from the CMake build
# tree: each component is staged with `cmake --install --strip`.
#
#   packaging/deb/build-debs.sh [--build-dir DIR] [--out DIR] [--revision N]
#                               [--stage COMPONENT=DIR]...
#
#   --build-dir DIR  CMake build tree (default: build); configured and the
#                    three programs built when needed
#   --out DIR        where the .deb files go (default: DIR/packages/deb)
#   --revision N     Debian revision (default 1); above 1 a changelog entry
#                    is added for it
#   --stage C=DIR    package DIR as component C (agent, collector) instead of
#                    staging it here (the upgrade test edits a staged tree)
#
# Prints the paths of the packages built, one a line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
build_dir=build
out=""
revision=1
declare -A stage=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --revision) revision=$2; shift 2 ;;
    --stage) stage[${2%%=*}]=${2#*=}; shift 2 ;;
    *) echo "build-debs.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$source_dir"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
  { echo "build-debs.sh: needs dpkg-dev and debhelper" >&2; exit 1; }
version=$(sed -nE 's/^project\(mimamori VERSION ([0-9.]+).*/\1/p' CMakeLists.txt)
build_dir=$(realpath -m "$build_dir")
out=$(realpath -m "${out:-$build_dir/packages/deb}")
mkdir -p "$out"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for component in agent collector; do
  [ -n "${stage[$component]:-}" ] && continue
  if [ ! -f "$build_dir/build.ninja" ] && [ ! -f "$build_dir/Makefile" ]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build_dir" --target mimamori-agent mimamori-collector mimamorictl >&2
  stage[$component]=$work/stage-$component
  DESTDIR=${stage[$component]} cmake --install "$build_dir" --prefix /usr \
    --component "$component" --strip >/dev/null
done

# Only debian/ is needed beside the staged trees: nothing is compiled.
tree=$work/mimamori-$version
mkdir -p "$tree"
cp -a "$here/debian" "$tree/"
if [ "$revision" != 1 ]; then
  {
    printf 'mimamori (%s-%s) unstable; urgency=medium\n\n  * Rebuilt as revision %s.\n\n' \
      "$version" "$revision" "$revision"
    printf ' -- mimamori team <kanshi@example.lg.jp>  %s\n\n' "$(date -R)"
    cat "$here/debian/changelog"
  } >"$tree/debian/changelog"
fi
(
  cd "$tree"
  MIMAMORI_STAGE_AGENT=$(realpath "${stage[agent]}") \
  MIMAMORI_STAGE_COLLECTOR=$(realpath "${stage[collector]}") \
    dpkg-buildpackage -b -uc -us --no-check-builddeps >"$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; exit 1; }
)
for f in "$work"/*.deb; do
  cp "$f" "$out/"
  echo "$out/$(basename "$f")"
done
