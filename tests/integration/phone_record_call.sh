#!/bin/sh
# Test helper for phone_sender_test.cc: a phone command that records what it
# was handed, then exits with the status it is told to.
#
# Usage: phone_record_call.sh DIR EXIT_STATUS
# Writes DIR/stdin.json (its stdin, byte for byte), one file per MIMAMORI_*
# variable (its value, "(unset)" when absent) and DIR/inherited (the value of
# MIMAMORI_TEST_INHERITED, which the test sets in its own environment).
set -eu
dir=$1
cat >"$dir/stdin.json"
for name in MIMAMORI_INCIDENT_ID MIMAMORI_REPORT_NUMBER MIMAMORI_REPORT_KIND \
  MIMAMORI_TARGETS MIMAMORI_DUE_AT MIMAMORI_IDEMPOTENCY_KEY; do
  eval "value=\${$name-(unset)}"
  printf '%s' "$value" >"$dir/$name"
done
printf '%s' "${MIMAMORI_TEST_INHERITED-}" >"$dir/inherited"
echo "recorded call $MIMAMORI_IDEMPOTENCY_KEY"
echo "a line on stderr" >&2
exit "$2"
