#!/bin/sh
# tests/e2e/crash_operators.sh - RUNTIME.md promises 1, 2 and 4 for the commands the
# crash workload (tests/crash/workload.txt: deploy, trigger, answer, tick) does not run:
# ack, cancel, resolve, reassign, retry --goto, undeploy, directory load, a directory
# event, trigger --file and a redeploy. Each is one write transaction; crashed at each of
# its crash points (HUDDLE_CRASH_AT, runtime/store/fault.h: an abort there is a kill -9
# at that line), the store must keep its invariants (tests/crash/store_invariants) and be
# either exactly the store before the command (a crash before the commit) or exactly the
# store a clean run of it leaves (after the commit): never a part of it. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. tests/crash/tools.sh
crash_tools store_invariants || exit 1
inv=$tool_store_invariants
ulimit -c 0 2>/dev/null
base=$tmp/base
at() { echo "--now 2026-06-15T08:$1:00Z"; }

cat > "$tmp/people.json" <<'JSON'
{"people": {"ana": {"email": "ana@x"}, "ben": {"email": "ben@x"}, "cy": {"email": "cy@x"},
            "dee": {"email": "dee@x"}, "ops": {"email": "ops@x"}}}
JSON
sed 's/"ops@x"}/"ops@x", "away": [{"from": "2026-06-20", "to": "2026-06-30"}]}/' "$tmp/people.json" > "$tmp/people2.json"
cat > "$tmp/batch.jsonl" <<'JSONL'
{"source": "ops", "type": "alert", "id": "b1", "data": {"service": "s7", "level": "warn"}}
{"source": "ops", "type": "alert", "id": "b2", "data": {"service": "s1", "level": "warn"}}
{"source": "ops", "type": "alert", "id": "a1", "data": {"service": "s1", "level": "warn"}}
JSONL
sed 's/"Page now"/"Page at once"/' tests/crash/escalation.play > "$tmp/escalation.play"

# The store every command starts from: four open triage asks (i1-i4, t1-t4) and a stalled
# instance (i5: a resolved event with no open case; tests/crash/escalation.play).
{
  "$h" directory load "$tmp/people.json" --db "$base" $(at 00) &&
  "$h" deploy tests/crash/escalation.play tests/crash/ping.play --db "$base" $(at 00) &&
  for i in 1 2 3 4; do
    echo "{\"service\": \"s$i\", \"level\": \"warn\"}" | "$h" trigger ops.alert --id "a$i" --db "$base" $(at 01) || exit 1
  done &&
  echo '{"service": "s9"}' | "$h" trigger ops.resolved --id r1 --db "$base" $(at 01)
} > "$tmp/out" 2>&1 || { no "the starting store is made"; plan; exit 1; }
"$h" instances --db "$base" --status stalled > "$tmp/out" 2>&1
has "the starting store has a stalled instance" "i5"

# One command a line: a name, then the arguments (after --db and --now; standard input
# is /dev/null but for the directory event's, which reads its data from it).
commands() {
  cat <<'CMDS'
ack|ack t1 --by ana
cancel|cancel i2 --by ops --reason duplicate
resolve|resolve t3 page --by ops --reason urgent
reassign|reassign t4 --from ana --to dee --by ops
retry --goto|retry i5 --goto holding
undeploy|undeploy crash_ping
directory load|directory load PEOPLE2
directory event|trigger directory.away --id d1
trigger --file|trigger --file BATCH
redeploy|deploy ESCALATION
CMDS
}

run() { # run DB ARGS...: the command on DB at 08:02
  db=$1; shift
  set -- $(echo "$*" | sed "s|PEOPLE2|$tmp/people2.json|; s|BATCH|$tmp/batch.jsonl|; s|ESCALATION|$tmp/escalation.play|")
  if [ "$1" = trigger ] && [ "$2" = directory.away ]; then
    echo '{"person": "ben", "delegate": "cy"}' | "$h" "$@" --db "$db" $(at 02)
  else
    "$h" "$@" --db "$db" $(at 02) < /dev/null
  fi
}

"$inv" --dump --quiet "$base" > "$tmp/before.dump" 2> "$tmp/out" || no "the starting store's invariants hold"
while IFS='|' read -r name args; do
  # The clean run: its crash points and the store it leaves.
  rm -rf "$tmp/clean"
  cp -R "$base" "$tmp/clean"
  : > "$tmp/points"
  HUDDLE_CRASH_LOG=$tmp/points run "$tmp/clean" $args > "$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then no "$name: the clean run exits 0"; continue; fi
  "$inv" --dump --quiet "$tmp/clean" > "$tmp/after.dump" 2> "$tmp/out" || { no "$name: the clean store's invariants hold"; continue; }
  commits=$(grep -c ' after commit$' "$tmp/points")
  if [ "$commits" -ne 1 ] || cmp -s "$tmp/before.dump" "$tmp/after.dump"; then
    no "$name: one commit that changes the store ($commits commits)" "$tmp/points"; continue
  fi
  # Each point: the crash, the invariants, and the store before or after, whole.
  : > "$tmp/problems"
  while read -r j point; do
    w=$tmp/w
    rm -rf "$w"
    cp -R "$base" "$w"
    HUDDLE_CRASH_AT=$j run "$w" $args > "$tmp/crash.out" 2>&1
    rc=$?
    if [ "$rc" -lt 128 ]; then echo "point $j ($point): exit $rc, not a crash" >> "$tmp/problems"; continue; fi
    if ! "$inv" --dump --quiet "$w" > "$tmp/w.dump" 2> "$tmp/inv.out"; then
      { echo "point $j ($point): the invariants do not hold:"; cat "$tmp/inv.out"; } >> "$tmp/problems"; continue
    fi
    case $point in
      "after commit") want=after ;;
      *) want=before ;;
    esac
    cmp -s "$tmp/w.dump" "$tmp/$want.dump" ||
      { echo "point $j ($point): the store is not the store $want the command:"; diff "$tmp/$want.dump" "$tmp/w.dump" | head -5; } >> "$tmp/problems"
  done <<EOF
$(awk '{ j = $1; $1 = ""; print j, substr($0, 2) }' "$tmp/points")
EOF
  if [ -s "$tmp/problems" ]; then no "$name: crashed at each of its $(wc -l < "$tmp/points") points, all or nothing" "$tmp/problems"
  else ok "$name: crashed at each of its $(wc -l < "$tmp/points") points, all or nothing"; fi
done <<EOF
$(commands)
EOF
plan
