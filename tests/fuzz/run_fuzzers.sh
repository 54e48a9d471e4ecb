#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60), seeded with the Net-SNMP captures in
# tests/fixtures/ber. Fails on any crash, sanitizer report, leak, timeout or
# allocation over the limit. Usage: tests/fuzz/run_fuzzers.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-build-fuzz}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMIMAMORI_FUZZ=ON -DMIMAMORI_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target fuzz_ber_decoder fuzz_agent_request fuzz_syslog_parser \
  fuzz_trap_decoder

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seeds"
for hex in tests/fixtures/ber/*.hex; do
  python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
    "$hex" >"$work/seeds/$(basename "$hex" .hex)"
done
# Syslog seeds: lines as ESXi, Cisco IOS, logger and rsyslog send them.
mkdir -p "$work/syslog-seeds"
i=0
while IFS= read -r line; do
  printf '%s' "$line" >"$work/syslog-seeds/line-$((i += 1))"
done <tests/fuzz/syslog_seeds.txt

for target in fuzz_ber_decoder fuzz_agent_request fuzz_syslog_parser fuzz_trap_decoder; do
  seeds="$work/seeds"
  if [ "$target" = fuzz_syslog_parser ]; then seeds="$work/syslog-seeds"; fi
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  echo "fuzzing $target for ${seconds}s"
  # -malloc_limit_mb: a single allocation this large means an input-driven
  # size went unchecked. -timeout: one input must not take seconds.
  "$build/tests/fuzz/$target" "$corpus" "$seeds" -max_total_time="$seconds" \
    -malloc_limit_mb=64 -rss_limit_mb=1024 -timeout=5 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$work/" 2>"$work/$target.log" || {
    tail -50 "$work/$target.log"
    mkdir -p fuzz-artifacts && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* \
      "$work"/oom-* fuzz-artifacts/ 2>/dev/null || true
    echo "FAILED: $target (artifacts in fuzz-artifacts/)"
    exit 1
  }
  grep -E 'stat::number_of_executed_runs|stat::peak_rss_mb' "$work/$target.log" | sed "s/^/  $target /"
done
echo "fuzzing: no crash, no sanitizer report"
