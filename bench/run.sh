#!/bin/sh
# run.sh - runs every benchmark built by `make bench` and prints their tables.
#
#   sh bench/run.sh
#
# First a line describing the machine (cores and CPU model), then each
# build/bench/bench_* binary in turn, in name order, each printing its own table after
# a line with the time and the load average (figures move with the load: quote it).
# Exits non-zero when a benchmark fails (for example when its corpus did not compile
# cleanly), after running the others.
set -u
cd "$(dirname "$0")/.." || exit 2

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -z "$cpu" ] && cpu=$(uname -m)
echo "machine: $(nproc 2>/dev/null || echo '?') cores, $cpu, $(uname -sr), $(date -u +%Y-%m-%d)"

status=0
found=0
for bench in build/bench/bench_*; do
    [ -x "$bench" ] || continue
    found=1
    echo
    echo "== $(basename "$bench") $(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
    if ! "$bench"; then
        echo "$(basename "$bench"): FAILED" >&2
        status=1
    fi
done
if [ "$found" = 0 ]; then
    echo "no benchmarks in build/bench/ (make bench builds them)" >&2
    exit 1
fi
exit $status
