#!/usr/bin/env bash
# Builds the vCenter simulator of the vCenter link's test (main.go, on
# Debian's golang-github-vmware-govmomi-dev) into DIR and prints its path.
# Exit 77 (skip) when Go or govmomi is not installed.
#   tests/integration/vcsim/build.sh DIR
set -euo pipefail
out=${1:?usage: build.sh DIR}
src=$(cd "$(dirname "$0")" && pwd)
gopath=/usr/share/gocode
if ! command -v go >/dev/null; then
  echo "go not found (Debian package golang-go)" >&2
  exit 77
fi
if [ ! -d "$gopath/src/github.com/vmware/govmomi/simulator" ]; then
  echo "govmomi's simulator not found under $gopath (Debian package golang-github-vmware-govmomi-dev)" >&2
  exit 77
fi
mkdir -p "$out"
# GOPATH mode: Debian's Go libraries are a GOPATH tree, not modules.
GO111MODULE=off GOPATH="$gopath" GOCACHE="$out/gocache" \
  go build -o "$out/vcsim" "$src/main.go" >&2
echo "$out/vcsim"
