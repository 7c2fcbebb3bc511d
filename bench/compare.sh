#!/bin/sh
# compare.sh - a revision's benchmarks against the work tree's, taking turns.
#
#   sh bench/compare.sh [--rounds N] [--engine|--serve|--outbox 'ARGS'] [--only LIST] REV
#
# On a shared machine a figure moves with the load from one minute to the next, so a
# change is judged against its base run in the same minutes: this builds REV in a
# temporary clone (bin/huddle and the benchmarks), then runs bench_engine, bench_serve and
# bench_outbox (each with its defaults, or the ARGS given; --only engine,serve picks
# some) N times (default 2), REV's binaries
# and the work tree's taking turns (REV first in odd rounds, the work tree in even ones), each run headed by the load average. It ends with one
# table: per goal row, every run's figure for REV and for the work tree. The work tree
# must be built first (make bin/huddle bench-bins). Nothing is written to the repository.
set -u
cd "$(dirname "$0")/.." || exit 2

rounds=2
engine_args= serve_args= outbox_args=
only=engine,serve,outbox
while [ $# -gt 1 ]; do
    case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --engine) engine_args=$2; shift 2 ;;
        --serve) serve_args=$2; shift 2 ;;
        --outbox) outbox_args=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) break ;;
    esac
done
if [ $# -ne 1 ]; then
    echo "usage: sh bench/compare.sh [--rounds N] [--engine|--serve|--outbox 'ARGS'] [--only engine,serve,outbox] REV" >&2
    exit 2
fi
rev=$1
for f in bin/huddle build/bench/bench_engine build/bench/bench_serve build/bench/bench_outbox; do
    if [ ! -x "$f" ]; then
        echo "compare.sh: $f is missing: run make bin/huddle bench-bins first" >&2
        exit 2
    fi
done

work=$(mktemp -d /tmp/huddle-compare-XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT INT TERM
echo "building $rev in $work/base ..."
if ! git clone -q . "$work/base" || ! git -C "$work/base" checkout -q "$rev" ||
   ! make -C "$work/base" -s bin/huddle bench-bins >"$work/build.log" 2>&1; then
    echo "compare.sh: could not build $rev (log: $work/build.log)" >&2
    tail -20 "$work/build.log" >&2
    exit 1
fi

# run SIDE ROOT ROUND: one round of the chosen benchmarks from ROOT, lines tagged.
run() {
    side=$1 root=$2 round=$3
    for bench in engine serve outbox; do
        case ",$only," in *",$bench,"*) ;; *) continue ;; esac
        sync    # the last run's dirty pages reach the disk before this run is timed
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        echo "== $side round $round bench_$bench $(date -u +%H:%M:%S) load $load"
        eval "args=\$${bench}_args"
        # shellcheck disable=SC2086  # the arguments are words on purpose
        HUDDLE_BIN=$root/bin/huddle "$root/build/bench/bench_$bench" $args >"$work/out" 2>&1 ||
            echo "   (bench_$bench exited non-zero)"
        # A row is a metric and a figure (a number, maybe with its unit) in the columns
        # the benchmark prints them in; a metric printed twice in a run gets (2), (3).
        awk -v side="$side" -v round="$round" -v bench="$bench" '
            function row(metric, value) {
                if (value !~ /^ *[0-9][0-9,.]* *(ms|us|s|%)? *$/) return
                gsub(/^ +| +$/, "", metric); gsub(/^ +| +$/, "", value)
                if (++times[metric] > 1) metric = metric " (" times[metric] ")"
                print side "\t" round "\t" metric "\t" value
            }
            /^issue 11 goals/ { table = 1; next }
            bench == "engine" && table { row(substr($0, 3, 58), substr($0, 61, 13)); next }
            bench != "engine" && /^  / { row(substr($0, 3, 48), substr($0, 51, 13)) }
        ' "$work/out" | tee -a "$work/rows"
    done
}

: >"$work/rows"
r=1
# Odd rounds run REV first, even rounds the work tree first: a run that follows another
# sees that run's pages still being written back, so neither side always goes second.
while [ "$r" -le "$rounds" ]; do
    if [ $((r % 2)) -eq 1 ]; then
        run base "$work/base" "$r"
        run work "$PWD" "$r"
    else
        run work "$PWD" "$r"
        run base "$work/base" "$r"
    fi
    r=$((r + 1))
done

echo
echo "every run, $rev (base) and the work tree (work), in turns:"
awk -F '\t' '
    { if (!($3 in seen)) { seen[$3] = 1; order[++count] = $3 }
      runs[$3, $1] = runs[$3, $1] (runs[$3, $1] == "" ? "" : " / ") $4 }
    END { for (i = 1; i <= count; i++) {
              m = order[i]
              printf "  %s\n    base: %s\n    work: %s\n", m, runs[m, "base"], runs[m, "work"] } }
' "$work/rows"
