# Shared by the packaging tests: checks that count, and a work directory
# removed on exit. Source it; call `finish` last.
set -euo pipefail
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# check DESCRIPTION COMMAND...: runs the command, counts the outcome.
check() {
  local what=$1
  shift
  if "$@"; then ok; else bad "$what"; fi
}
skip() { echo "SKIP: $*"; exit 77; }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
work=$(mktemp -d)
cleanup_hooks=()
cleanup() {
  local hook
  for hook in "${cleanup_hooks[@]}"; do eval "$hook" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
