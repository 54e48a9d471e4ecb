#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, runs the unit and
# integration tests through ctest, then a short fuzzing smoke run.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 20; 0 skips fuzzing)
#   BUILD_DIR=DIR    build directory (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
if [ "$FUZZ_SECONDS" -gt 0 ]; then
  tests/fuzz/run_fuzzers.sh "$FUZZ_SECONDS"
fi
