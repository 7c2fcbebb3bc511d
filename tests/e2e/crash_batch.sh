#!/bin/sh
# tests/e2e/crash_batch.sh - crash safety of group commit: a client of engine_apply_batch
# (tests/crash/batch_apply.c) killed at every crash point of a workload of batches,
# including each "group step", loses no acknowledged input and applies none twice. Runs
# tests/crash/run_batch_crash.sh; prints TAP lines.
set -u
cd "$TOP" || exit 1
. tests/crash/tools.sh
crash_tools store_invariants batch_apply || exit 1
exec sh tests/crash/run_batch_crash.sh "$HUDDLE" "$tool_store_invariants" "$tool_batch_apply"
