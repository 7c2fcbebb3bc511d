#!/bin/sh
# tests/e2e/crash.sh - crash safety: a workload crashed at its crash points (before and
# after each commit) and restarted reaches the same store as a clean run, and every
# crashed store keeps the invariants. Runs tests/crash/run_crash.sh; prints TAP lines.
set -u
cd "$TOP" || exit 1
# The invariant checker of the same build as $HUDDLE (built by `make test`).
case $HUDDLE in
  */build/asan/*) inv=$TOP/build/asan/tools/store_invariants ;;
  *) inv=$TOP/build/rel/tools/store_invariants ;;
esac
inv=${STORE_INVARIANTS:-$inv}
if [ ! -x "$inv" ]; then
  echo "not ok 1 - $inv is built (make build/rel/tools/store_invariants build/asan/tools/store_invariants)"
  exit 1
fi
exec sh tests/crash/run_crash.sh "$HUDDLE" "$inv"
