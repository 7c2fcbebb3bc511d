#!/bin/sh
# tests/crash/run_batch_crash.sh - a kill at every crash point of group commit.
#
#   sh tests/crash/run_batch_crash.sh HUDDLE STORE_INVARIANTS BATCH_APPLY   (prints TAP)
#
# The workload is batches.txt, applied by batch_apply (a client of engine_apply_batch:
# no command of the CLI batches yet) to a store where HUDDLE deployed the crash-test
# playbooks. Each engine_apply_batch first fires the timers due by its time (a write
# transaction each: "timer step" after each timer, "before commit", "after commit"), then
# applies its inputs in one transaction, with no nested transaction per input ("group
# step" after each input, then "before commit" and "after commit" of the batch). Batch 1
# holds an input that fails after writing: its first run is aborted at that input and
# the batch runs again without it (the inputs after it nested), so the points of the
# aborted run and of the re-run are crashed at too. The clean run, with HUDDLE_CRASH_LOG, lists every
# point and (batch_apply writes "ack B" there) the batch it belongs to, and gives store A.
# Then for EVERY point k, on a fresh copy of the deployed store:
#
#   1. batch_apply with HUDDLE_CRASH_AT=k must die there, having acknowledged exactly
#      the batches before the point's batch c;
#   2. the crashed store satisfies the invariants, holds every acknowledged input (an
#      event's id in seen, an answer's `answered` record), and holds batch c's inputs
#      exactly when the point comes after batch c's own commit (none of a batch is
#      visible before its commit, all of it after);
#   3. the client restarts, sending batch c and the later ones again: every batch
#      commits, with the clean run's results (an event of batch c that had committed
#      now says dup), and the final store equals store A (store_invariants --dump), so
#      no input was lost or applied twice.
#
# Every point runs, whatever the time: the count is fixed (47 points, two at a time:
# CRASH_JOBS=N to change). CRASH_KEEP=1 keeps the work folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
[ "${CRASH_KEEP:-0}" = 1 ] && echo "# work folder: $tmp" || trap 'rm -rf "$tmp"' EXIT
ulimit -c 0 2>/dev/null
cp "$1" "$tmp/huddle" && cp "$2" "$tmp/store_invariants" && cp "$3" "$tmp/batch_apply" || exit 1
h=$tmp/huddle
inv=$tmp/store_invariants
apply=$tmp/batch_apply
batches=$here/batches.txt
jobs=${CRASH_JOBS:-2}
start_s=$(date +%s)
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); echo "not ok $n - $1"; if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/#   /' "$2" | head -30; fi; }

# ---- the clean run ----

if ! "$h" deploy "$here/escalation.play" "$here/ping.play" --db "$tmp/S0" --now 2026-06-15T08:00:00Z > "$tmp/out" 2>&1; then
  no "the crash-test playbooks deploy" "$tmp/out"
  echo "1..$n"
  exit 1
fi
cp -R "$tmp/S0" "$tmp/A"
HUDDLE_CRASH_LOG="$tmp/log" "$apply" "$tmp/A" "$batches" > "$tmp/clean" 2> "$tmp/out"
rc=$?
if [ "$rc" -eq 0 ]; then ok "the clean batches commit"; else no "the clean batches commit (exit $rc)" "$tmp/out"; fi
awk '$1 != "ack" && $3 != $4' "$tmp/clean" > "$tmp/out"
if [ ! -s "$tmp/out" ] && [ -s "$tmp/clean" ]; then
  ok "every input of the clean run gives what batches.txt says (ok, dup, refused or failed)"
else
  no "every input of the clean run gives what batches.txt says (BATCH INDEX WANT GOT ...)" "$tmp/out"
fi
if "$inv" --dump --quiet "$tmp/A" > "$tmp/A.dump" 2> "$tmp/out"; then ok "store A satisfies the invariants"
else no "store A satisfies the invariants" "$tmp/out"; fi

# points: "K BATCH NAME OWN", OWN = 1 for the batch's own "after commit" (its last).
awk '
  $1 == "ack" { for (i = first; i <= count; i++) print i, $2, name[i], (i == own ? 1 : 0); first = count + 1; next }
  { count++; name[count] = $2 " " $3; if ($2 " " $3 == "after commit") own = count }
' first=1 "$tmp/log" > "$tmp/points"
P=$(wc -l < "$tmp/points")
steps=$(grep -c ' group step ' "$tmp/points")
commits=$(grep -c ' 1$' "$tmp/points")
batch_count=$(grep -c '^ack ' "$tmp/clean")
if [ "$steps" -ge 20 ] && [ "$commits" -eq "$batch_count" ] && [ "$P" -gt "$steps" ]; then
  ok "the batches pass $P crash points ($steps group steps, $batch_count batch commits, timers between)"
else
  no "the batches pass group steps, one commit each and timer commits ($P points, $steps group steps, $commits of $batch_count commits)" "$tmp/points"
fi

# ---- crash, check, restart ----

# held STORE-DUMP < RESULT-LINES: each result line prefixed with 1 when its input is in
# the dumped store (an event: its seen entry; an answer: its `answered` record), else 0.
held() {
  awk -v dump="$1" '
    BEGIN { while ((getline line < dump) > 0) { if (line ~ /^seen / || index(line, "\"kind\":\"answered\"")) kept[++n] = line } }
    {
      split($6, k, "/"); found = 0
      for (i = 1; i <= n && !found; i++)
        if ($5 == "event") found = index(kept[i], "seen " k[1] " " k[2] " ") == 1
        else found = index(kept[i], "\"by\":\"" k[2] "\",\"choice\":\"" k[3] "\",") && index(kept[i], "\"task\":\"" k[1] "\"")
      print found, $0
    }'
}

# The clean run's refused and failed inputs left nothing in store A (the failed one had
# written before it failed).
awk '$1 != "ack" && ($4 == "refused" || $4 == "failed")' "$tmp/clean" | held "$tmp/A.dump" | sed -n 's/^1 /left in store A: /p' > "$tmp/out"
failed=$(awk '$1 != "ack" && $4 == "failed"' "$tmp/clean" | wc -l)
if [ ! -s "$tmp/out" ] && [ "$failed" -ge 1 ]; then
  ok "the clean run's refused inputs and the $failed that failed after writing left nothing in store A"
else
  no "the clean run's refused inputs and the $failed that failed after writing left nothing in store A" "$tmp/out"
fi

# crash_one K BATCH OWN LANE: prints "K ok - ..." or "K not ok - ..." and leaves the
# details of a failure in $tmp/detail.K. Each lane works in its own folder.
crash_one() {
  k=$1 c=$2 own=$3 d=$tmp/lane.$4
  what="crash point $k ($(sed -n "${k}p" "$tmp/points" | cut -d' ' -f3,4) of batch $c)"
  why=$tmp/detail.$k
  rm -rf "$d" && mkdir -p "$d" && cp -R "$tmp/S0" "$d/w"
  HUDDLE_CRASH_AT=$k "$apply" "$d/w" "$batches" > "$d/acks" 2> "$why"
  rc=$?
  if [ "$rc" -lt 128 ]; then
    echo "(exit $rc: batch_apply did not die at the point; the points are not deterministic)" >> "$why"
    echo "$k not ok - $what: batch_apply dies there"; return
  fi
  acked=$(grep '^ack ' "$d/acks" | cut -d' ' -f2 | tr '\n' ' ')
  want_acked=$(seq 1 $((c - 1)) | tr '\n' ' ')
  if [ "$acked" != "$want_acked" ]; then
    echo "acknowledged: '$acked', wanted '$want_acked'" > "$why"
    echo "$k not ok - $what: the batches before it, and no others, were acknowledged"; return
  fi
  if ! "$inv" --dump --quiet "$d/w" > "$d/crashed.dump" 2> "$why"; then
    echo "$k not ok - $what: the crashed store satisfies the invariants"; return
  fi
  { awk '$1 != "ack" && $4 == "ok"' "$d/acks" | held "$d/crashed.dump" | sed -n 's/^0 /acknowledged but lost: /p'
    awk -v c="$c" '$1 == c && $4 == "ok"' "$tmp/clean" | held "$d/crashed.dump" |
      awk -v c="$c" -v own="$own" '$1 != own { $1 = ""; print (own ? "batch " c " committed but lost:" : "batch " c " is visible before its commit:") $0 }'
  } > "$why"
  if [ -s "$why" ]; then
    echo "$k not ok - $what: the crashed store holds every acknowledged input, and batch $c all or nothing"; return
  fi
  "$apply" "$d/w" "$batches" "$c" > "$d/again" 2> "$why"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "(exit $rc)" >> "$why"
    echo "$k not ok - $what: the restarted client's batches commit"; return
  fi
  # The clean results from batch c on; batch c's committed events now say dup.
  awk -v c="$c" -v own="$own" '$1 != "ack" && $1 + 0 >= c {
      if ($1 == c && own == 1 && $5 == "event" && $4 == "ok") $4 = "dup"; print; next }
    $1 == "ack" && $2 + 0 >= c' "$tmp/clean" > "$d/want_again"
  if ! diff "$d/want_again" "$d/again" > "$why"; then
    echo "$k not ok - $what: the restarted client gets the clean run's results (diff: < wanted, > got)"; return
  fi
  if ! "$inv" --dump --quiet "$d/w" > "$d/final.dump" 2> "$why"; then
    echo "$k not ok - $what: the restarted store satisfies the invariants"; return
  fi
  if ! diff "$tmp/A.dump" "$d/final.dump" > "$why"; then
    echo "$k not ok - $what: the restarted store equals store A (diff: < A, > restarted)"; return
  fi
  rm -f "$why"
  echo "$k ok - $what: no acknowledged input lost, none applied twice"
}

# Two lanes side by side (CRASH_JOBS), every point, then the results in point order.
lane=1
while [ "$lane" -le "$jobs" ]; do
  awk -v lane="$lane" -v jobs="$jobs" '(NR - 1) % jobs == lane - 1' "$tmp/points" |
    while read -r k c name1 name2 own; do crash_one "$k" "$c" "$own" "$lane"; done > "$tmp/results.$lane" &
  lane=$((lane + 1))
done
wait
sort -n "$tmp"/results.* > "$tmp/results"
while read -r k rest; do
  case $rest in
    "ok - "*) ok "${rest#ok - }" ;;
    *) no "${rest#not ok - }" "$tmp/detail.$k" ;;
  esac
done < "$tmp/results"
if [ "$(wc -l < "$tmp/results")" -ne "$P" ]; then
  no "every crash point reported ($(wc -l < "$tmp/results") of $P)"
fi
echo "# ran $P of $P crash points (every point) in $(($(date +%s) - start_s)) s"
echo "1..$n"
