#!/bin/sh
# tests/crash/run_crash.sh - fault injection at every crash point of a workload.
#
#   sh tests/crash/run_crash.sh HUDDLE STORE_INVARIANTS     (prints TAP lines)
#
# The workload (workload.txt: a deploy, triggers with duplicates and case joins, answers
# with a refusal and a repeat, ticks that fire deadlines and after-timers) runs once
# cleanly into store A with HUDDLE_CRASH_LOG, one log per command, which counts the crash
# points P ("before commit" / "after commit" of each write transaction) and says which
# command passes each. HUDDLE_CRASH_AT counts per process, so global point k is point j
# of command c. For each chosen k:
#
#   1. a store as it was before command c (a copy of A's store after command c-1, which
#      a fresh store fed commands 1..c-1 reproduces exactly: the workload's times are all
#      --now), then command c with HUDDLE_CRASH_AT=j, which must die of SIGABRT there;
#   2. the crashed store must satisfy the invariants (store_invariants) as it is;
#   3. "restart": commands c..end again (a retried command whose effect committed is safe:
#      a duplicate trigger id is a no-op, an identical answer is accepted once, tick is
#      idempotent), each exiting as it did in the clean run;
#   4. store_invariants --dump of the final store must hold and equal store A's dump.
#
# How many points: with CI=true or HUDDLE_TEST_FIXED=1 (tests/run.sh, so `make test`,
# sets it) a fixed count, CRASH_FIXED (default 40) sampled evenly, always both kinds, so
# every build and every machine runs the same tests. Otherwise points are all taken when
# they fit the time budget (CRASH_BUDGET seconds for the whole script, default 60,
# estimated from the clean run's command times as if the runs went one after another),
# else sampled evenly, never fewer than 40, always both kinds. Either way the script says
# "# ran N of P crash points".
#
#   CRASH_POINTS=all  every point, whatever the time
#   CRASH_FRESH=1     step 1 replays commands 1..c-1 into a fresh store instead of copying
#                     A's snapshot (slower; the estimate does not count it)
#   CRASH_JOBS=N      crash runs side by side (default 2)
#   CRASH_KEEP=1      keep the work folder
set -u
h=$1
inv=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
[ "${CRASH_KEEP:-0}" = 1 ] && echo "# work folder: $tmp" || trap 'rm -rf "$tmp"' EXIT
ulimit -c 0 2>/dev/null
# Our own copies: a rebuild while the suite runs must not change the binaries under it.
cp "$1" "$tmp/huddle" && cp "$2" "$tmp/store_invariants" || exit 1
h=$tmp/huddle
inv=$tmp/store_invariants
budget=${CRASH_BUDGET:-60}
jobs=${CRASH_JOBS:-2}
start_ms=$(date +%s%3N)
now_ms() { date +%s%3N; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); echo "not ok $n - $1"; if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/#   /' "$2" | head -40; fi; }

grep -v '^#' "$here/workload.txt" | grep -v '^[[:space:]]*$' > "$tmp/work"
N=$(wc -l < "$tmp/work")

# run_cmd I DB: runs workload line I against DB; returns huddle's exit status.
run_cmd() {
  line=$(sed -n "$1p" "$tmp/work")
  IFS='|' read -r at cmd a1 a2 a3 a4 a5 <<EOF
$line
EOF
  now="2026-06-15T$at:00Z"
  case $cmd in
    deploy)  "$h" deploy "$here/escalation.play" "$here/ping.play" --db "$2" --now "$now" < /dev/null ;;
    trigger) printf '%s\n' "$a3" | "$h" trigger "$a1" --id "$a2" --db "$2" --now "$now" ;;
    answer)  if [ -n "$a4" ]; then "$h" answer "$a1" "$a2" --by "$a3" --comment "$a4" --db "$2" --now "$now" < /dev/null
             else "$h" answer "$a1" "$a2" --by "$a3" --db "$2" --now "$now" < /dev/null; fi ;;
    tick)    "$h" tick --db "$2" --now "$now" < /dev/null ;;
    *)       echo "run_crash.sh: workload line $1: unknown command '$cmd'" >&2; return 99 ;;
  esac
}
want_of() { # the exit status workload line I should have
  sed -n "$1p" "$tmp/work" | awk -F'|' '{ print ($2 == "answer" && $7 != "") ? $7 : 0 }'
}
describe() { # "tick at 08:40" for workload line I
  sed -n "$1p" "$tmp/work" | awk -F'|' '{ s = $2; if ($2 == "trigger") s = s " " $3 " " $4;
    else if ($2 == "answer") s = s " " $3 " " $4 " by " $5; print s " at " $1 }'
}

# ---- the clean run: store A, the crash points, a snapshot after each command ----

: > "$tmp/clean"
: > "$tmp/points"
bad=0
k=0
i=1
while [ "$i" -le "$N" ]; do
  t0=$(now_ms)
  export HUDDLE_CRASH_LOG="$tmp/log.$i"
  : > "$tmp/log.$i"
  run_cmd "$i" "$tmp/A" > "$tmp/out.$i" 2>&1
  rc=$?
  unset HUDDLE_CRASH_LOG
  t1=$(now_ms)
  want=$(want_of "$i")
  if [ "$rc" -ne "$want" ]; then
    bad=1
    { echo "workload line $i ($(describe "$i")) exited $rc, wanted $want:"; cat "$tmp/out.$i"; } >> "$tmp/clean.bad"
  fi
  echo "$i $rc $((t1 - t0))" >> "$tmp/clean"
  while read -r j name; do
    k=$((k + 1))
    echo "$k $i $j $name" >> "$tmp/points"
  done < "$tmp/log.$i"
  cp -R "$tmp/A" "$tmp/snap.$i"
  i=$((i + 1))
done
P=$k
if [ "$bad" = 0 ]; then ok "the clean workload ($N commands) exits as expected"; else no "the clean workload exits as expected" "$tmp/clean.bad"; fi

t0=$(now_ms)
"$inv" --dump --quiet "$tmp/A" > "$tmp/A.dump" 2> "$tmp/A.inv"
rc=$?
inv_ms=$(($(now_ms) - t0))
if [ "$rc" -eq 0 ]; then ok "store A satisfies the invariants"; else no "store A satisfies the invariants (exit $rc)" "$tmp/A.inv"; fi

# What the workload is for: deadlines and after-timers fired, cases joined, a stall kept.
expect_instance() { # expect_instance ID STATUS OUTCOME-JSON WHY
  if grep -q "^instance $1 .*status=$2 .*outcome=$3 " "$tmp/A.dump"; then ok "store A: $4"
  else grep '^instance ' "$tmp/A.dump" > "$tmp/instances"; no "store A: $4 ($1 $2 $3)" "$tmp/instances"; fi
}
expect_instance i1 done '"nobody took it"' "a page deadline timed out in a tick"
expect_instance i2 done '"quiet"' "a wait's after-timer fired in a tick"
expect_instance i5 done '"resolved"' "an event in the mailbox was taken when the wait was reached"
expect_instance i6 stalled null "a stalled instance kept its case"
expect_instance i7 done '"down"' "a ping instance asked after its wait"
if grep -q '"as":"joined"' "$tmp/A.dump" && grep -q '"choice":"no_quorum"' "$tmp/A.dump"; then
  ok "store A: events joined cases and an ask ended without quorum"
else
  no "store A: events joined cases and an ask ended without quorum"
fi

# The checker itself: a store with one thing removed (through lmdb-utils' mdb_dump and
# mdb_load, never through huddle) must fail with the violation that says so.
# broken SRC DST DATABASE KEY-REGEX: DST is SRC without DATABASE's entries whose key (hex)
# matches.
broken() {
  rm -rf "$2" && mkdir -p "$2" &&
  mdb_dump -a "$1" | awk -v db="$3" -v re="$4" '
    /^database=/ { cur = substr($0, 10) }
    /^HEADER=END/ { data = 1; print; next }
    /^DATA=END/ { data = 0; print; next }
    data && !half { key = $0; half = 1; next }
    data && half { half = 0; if (!(cur == db && substr(key, 2) ~ re)) { print key; print }; next }
    { print }' | mdb_load -f /dev/stdin "$2" 2>&1
}
expect_violation() { # DESCRIPTION STORE TEXT
  "$inv" --quiet "$2" > "$tmp/neg" 2>&1
  rc=$?
  if [ "$rc" -eq 1 ] && grep -qF -- "$3" "$tmp/neg"; then ok "store_invariants finds $1"
  else echo "(exit $rc; wanted 1 and '$3')" >> "$tmp/neg"; no "store_invariants finds $1" "$tmp/neg"; fi
}
if command -v mdb_dump > /dev/null && command -v mdb_load > /dev/null; then
  # A step's records of one instance are one entry keyed by its first seq: i1's second
  # entry removed, the first record of its third takes the place of the second's first.
  i1_keys=$(mdb_dump -s history "$tmp/A" | awk '/^HEADER=END/ { d = 1; next } /^DATA=END/ { d = 0 }
    d && !h { print substr($0, 2); h = 1; next } d && h { h = 0 }' | grep '^0000000000000001')
  second=$(printf '%s\n' "$i1_keys" | sed -n 2p); third=$(printf '%s\n' "$i1_keys" | sed -n 3p)
  broken "$tmp/A" "$tmp/neg1" history "^$second\$" > "$tmp/neg" &&
    expect_violation "a history entry gone" "$tmp/neg1" \
      "history of i1: record $((0x${second#0000000000000001})) has key seq $((0x${third#0000000000000001}))"
  broken "$tmp/A" "$tmp/neg2" seen "^$(printf 'ops\000\002a3' | od -An -tx1 | tr -d ' \n')\$" > "$tmp/neg" &&
    expect_violation "a seen entry gone" "$tmp/neg2" "its joined event ops/a3 is not in seen"
  broken "$tmp/snap.2" "$tmp/neg3" timers '.' > "$tmp/neg" &&
    expect_violation "an open ask's deadline timer gone" "$tmp/neg3" "its open task t1 has no live deadline timer"
  broken "$tmp/snap.2" "$tmp/neg4" inbox '.' > "$tmp/neg" &&
    expect_violation "an inbox entry gone" "$tmp/neg4" "open task t1: holder ana has no inbox entry"
  broken "$tmp/snap.2" "$tmp/neg5" tasks '.' > "$tmp/neg" &&
    expect_violation "an open task gone" "$tmp/neg5" "instance i1 is suspended on an ask with 0 open tasks"
else
  ok "# SKIP store_invariants self-test: no mdb_dump/mdb_load (lmdb-utils)"
fi

before=$(grep -c ' before commit$' "$tmp/points")
after=$(grep -c ' after commit$' "$tmp/points")
if [ "$P" -ge 40 ] && [ "$before" -gt 0 ] && [ "$after" -gt 0 ]; then
  ok "the workload passes $P crash points ($before before commit, $after after commit)"
else
  no "the workload passes at least 40 crash points of both kinds ($P: $before before, $after after)" "$tmp/points"
fi

# ---- choosing the points ----

# Cost of crashing at a point of command c: commands c..N again, two invariant runs, a copy.
awk -v inv="$inv_ms" -v P="$P" '
  NR == FNR { ms[$1] = $3; n = $1; next }
  { c = $2; cost = 2 * inv + 10; for (i = c; i <= n; i++) cost += ms[i]; total += cost }
  END { printf "%d\n", total }' "$tmp/clean" "$tmp/points" > "$tmp/estimate"
estimate=$(cat "$tmp/estimate")
left=$((budget * 1000 - ($(now_ms) - start_ms) - 3000))
# Side-by-side runs are counted as no faster than one after another: on a busy machine
# (or two CPUs and fsync) they are not much faster, and the budget is a bound.
if [ "${CRASH_POINTS:-}" = all ]; then
  want=$P how="every point"
elif [ "${CI:-}" = true ] || [ "${HUDDLE_TEST_FIXED:-0}" = 1 ]; then
  want=${CRASH_FIXED:-40} how="a fixed count"
  [ "$want" -gt "$P" ] && want=$P
elif [ "$estimate" -le "$left" ]; then
  want=$P how="all fit the ${budget} s budget"
else
  how="as many as fit the ${budget} s budget"
  want=$((P * left / estimate))
  [ "$want" -lt 40 ] && want=40
  [ "$want" -gt "$P" ] && want=$P
fi
awk -v P="$P" -v n="$want" '
  NR == FNR { kind[$1] = $4; next }
  END {
    for (i = 0; i < n; i++) { k = 1 + int(i * P / n); pick[k] = 1; have[kind[k]] = 1 }
    for (k = 1; k <= P; k++) if (!have[kind[k]]) { pick[k] = 1; have[kind[k]] = 1 }
    for (k = 1; k <= P; k++) if (pick[k]) print k
  }' "$tmp/points" > "$tmp/chosen"
chosen=$(wc -l < "$tmp/chosen")
echo "# ran $chosen of $P crash points ($how; all estimated at $((estimate / 1000)) s, $jobs jobs)"

# ---- crash, restart, compare ----

# crash_one K LANE: appends "K ok|not ok DESCRIPTION" to the lane's results and, on a
# failure, the details to $tmp/detail.K.
crash_one() {
  k=$1 w="$tmp/w.$2"
  set -- $(sed -n "${k}p" "$tmp/points")
  c=$2 j=$3 name="$4 $5"
  what="crash point $k ($name, point $j of line $c: $(describe "$c"))"
  detail="$tmp/detail.$k"
  rm -rf "$w" "$w.dump"
  if [ "${CRASH_FRESH:-0}" = 1 ]; then
    i=1
    while [ "$i" -lt "$c" ]; do run_cmd "$i" "$w" > /dev/null 2>&1; i=$((i + 1)); done
  elif [ "$c" -gt 1 ]; then
    cp -R "$tmp/snap.$((c - 1))" "$w"
  fi
  export HUDDLE_CRASH_AT="$j"
  run_cmd "$c" "$w" > "$detail" 2>&1
  rc=$?
  unset HUDDLE_CRASH_AT
  if [ "$rc" -lt 128 ]; then
    echo "(exit $rc: the command did not die at the point; the points are not deterministic)" >> "$detail"
    echo "$k not ok - $what: crashes there"
    return
  fi
  if ! "$inv" --quiet "$w" > "$detail" 2>&1; then
    echo "$k not ok - $what: the crashed store satisfies the invariants"
    return
  fi
  i=$c
  while [ "$i" -le "$N" ]; do
    run_cmd "$i" "$w" > "$detail" 2>&1
    rc=$?
    want=$(sed -n "${i}p" "$tmp/clean" | cut -d' ' -f2)
    if [ "$rc" -ne "$want" ]; then
      echo "(exit $rc, the clean run's exit $want)" >> "$detail"
      echo "$k not ok - $what: after the restart line $i ($(describe "$i")) exits as in the clean run"
      return
    fi
    i=$((i + 1))
  done
  if ! "$inv" --dump --quiet "$w" > "$w.dump" 2> "$detail"; then
    echo "$k not ok - $what: the restarted store satisfies the invariants"
    return
  fi
  if ! diff "$tmp/A.dump" "$w.dump" > "$detail" 2>&1; then
    echo "$k not ok - $what: the restarted store equals store A (diff: < A, > restarted)"
    return
  fi
  rm -f "$detail"
  echo "$k ok - $what"
}

lane=1
while [ "$lane" -le "$jobs" ]; do
  (
    awk -v lane="$lane" -v jobs="$jobs" '(NR - 1) % jobs == lane - 1' "$tmp/chosen" |
      while read -r k; do crash_one "$k" "$lane"; done > "$tmp/lane.$lane"
  ) &
  lane=$((lane + 1))
done
wait
sort -n "$tmp"/lane.* > "$tmp/results"
while read -r k rest; do
  case $rest in
    "ok - "*) ok "${rest#ok - }" ;;
    *) no "${rest#not ok - }" "$tmp/detail.$k" ;;
  esac
done < "$tmp/results"
if [ "$(wc -l < "$tmp/results")" -ne "$chosen" ]; then
  no "every chosen crash point reported ($(wc -l < "$tmp/results") of $chosen)"
fi
echo "# crash suite: $chosen points in $((($(now_ms) - start_ms) / 1000)) s"
echo "1..$n"
