#!/bin/sh
# tests/e2e/kill9.sh - kill -9 at random moments among concurrent writers on one store
# loses no accepted event, applies none twice, and leaves the store's invariants intact.
# Runs tests/crash/kill9.sh; prints TAP lines.
set -u
cd "$TOP" || exit 1
. tests/crash/tools.sh
crash_tools store_invariants || exit 1
exec sh tests/crash/kill9.sh "$HUDDLE" "$tool_store_invariants"
