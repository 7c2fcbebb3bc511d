#!/bin/sh
# tests/e2e/crash.sh - crash safety: a workload crashed at its crash points (before and
# after each commit) and restarted reaches the same store as a clean run, and every
# crashed store keeps the invariants. Runs tests/crash/run_crash.sh; prints TAP lines.
set -u
cd "$TOP" || exit 1
. tests/crash/tools.sh
crash_tools store_invariants || exit 1
exec sh tests/crash/run_crash.sh "$HUDDLE" "$tool_store_invariants"
