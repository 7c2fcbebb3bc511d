#!/bin/sh
# tests/e2e/kill9.sh - kill -9 at random moments among concurrent writers on one store
# loses no accepted event, applies none twice, and leaves the store's invariants intact.
# Runs tests/crash/kill9.sh; prints TAP lines.
set -u
cd "$TOP" || exit 1
case $HUDDLE in
  */build/asan/*) inv=$TOP/build/asan/tools/store_invariants ;;
  *) inv=$TOP/build/rel/tools/store_invariants ;;
esac
inv=${STORE_INVARIANTS:-$inv}
if [ ! -x "$inv" ]; then
  echo "not ok 1 - $inv is built (make build/rel/tools/store_invariants build/asan/tools/store_invariants)"
  exit 1
fi
exec sh tests/crash/kill9.sh "$HUDDLE" "$inv"
