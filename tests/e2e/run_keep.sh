#!/bin/sh
# tests/e2e/run_keep.sh - `huddle run --keep DIR`: the simulation's store kept for the
# read commands (history, tasks, instances, audit), and a seat handed over as its ask is
# made (its holder away) counted as delegated by the decision record. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
w=workflows/product_complaint
run_it() { # run_it [OPTIONS...]: the product complaint workflow on its trace
  "$h" run $w/product_complaint.play --events $w/trace.jsonl --mocks $w/mocks.json \
    --directory $w/directory.json "$@"
}

# The timeline is the same with and without --keep; the store is where it says.
run_it > "$tmp/plain.txt" 2>&1
expect "run --keep DIR runs the trace" 0 run_it --keep "$tmp/kept"
if cmp -s "$tmp/out" "$tmp/plain.txt"; then ok "  printing the same timeline"; else no "  printing the same timeline"; fi
expect "the kept store verifies" 0 "$h" audit verify --db "$tmp/kept"
has "  every record of the run" "verified: 39 records of 1 instance"
run_it --json > "$tmp/run.jsonl" 2>&1
"$h" history i1 --db "$tmp/kept" --json > "$tmp/history.jsonl" 2>&1
if grep -v '"summary"' "$tmp/run.jsonl" | cmp -s - "$tmp/history.jsonl"; then
  ok "history of the kept store is the run's --json records"
else
  no "history of the kept store is the run's --json records" "$tmp/history.jsonl"
fi
expect "history's timeline of the kept store" 0 "$h" history i1 --db "$tmp/kept"
has "  says what a notify told, as run's does" "told anna (email): Complaints spiking: 120 mentions of camera on N9"
expect "instances reads it" 0 "$h" instances --db "$tmp/kept"
has "  the instance done, with its outcome" "answered with known-issue reply"

# The decision record: both asks, and the delegations as the asks were made (ming is
# away, anna stands in) counted; they were counted as 0 before.
expect "audit search finds both decisions" 0 "$h" audit search --db "$tmp/kept" --json
json "  t1 and t2, newest first" "[d['task'] for d in j] == ['t2', 't1']"
json "  each with its seat handed over as it was asked" "[d['delegated'] for d in j] == [1, 1]"
expect "audit stats" 0 "$h" audit stats --db "$tmp/kept"
has "  says is_it_known was delegated and escalated" "delegated in 1, escalated in 1"

# --keep takes a new folder or an empty one, and nothing else.
mkdir "$tmp/empty"
expect "an empty folder is taken" 0 run_it --keep "$tmp/empty"
mkdir "$tmp/full" && echo precious > "$tmp/full/notes.txt"
expect "a folder with files is refused" 1 run_it --keep "$tmp/full"
has "  saying why and what to give" "--keep $tmp/full: the folder is not empty (give a new or empty folder"
if [ "$(ls "$tmp/full")" = notes.txt ] && [ "$(cat "$tmp/full/notes.txt")" = precious ]; then
  ok "  and leaving it as it was"
else
  no "  and leaving it as it was" ""
fi
expect "a folder whose parent is missing" 1 run_it --keep "$tmp/no/such"
has "  is refused, named" "--keep $tmp/no/such: No such file or directory"
expect "a file" 1 run_it --keep "$tmp/full/notes.txt"
has "  is refused, named" "Not a directory"
expect "--keep \"\" is a usage error" 2 run_it --keep ""

# Without --keep the throwaway store goes under $TMPDIR and is removed.
mkdir "$tmp/scratch"
TMPDIR=$tmp/scratch run_it > "$tmp/out" 2>&1
if [ $? -eq 0 ] && [ -z "$(ls -A "$tmp/scratch")" ]; then ok "run leaves nothing in TMPDIR"; else no "run leaves nothing in TMPDIR"; fi
expect "a TMPDIR that does not exist" 3 env TMPDIR="$tmp/gone" "$h" run $w/product_complaint.play --events $w/trace.jsonl
has "  is where run tried to make its store" "could not make a store in $tmp/gone/huddle-run-"

# The same count on a live store: an ask made while its person is away.
cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes, no within 1d
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x",
                     "away": [{"from": "2026-03-01", "to": "2026-03-05", "delegate": "mei"}]},
            "mei": {"email": "mei@x"}}}
JSON
db=$tmp/store
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$db" $(now 08:01) > /dev/null
expect "mei is asked in anna's place" 0 "$h" tasks --db "$db" --json
json "  (she holds the seat)" "j[0]['seats'][0]['holders'] == ['mei']"
expect "stats on the live store" 0 "$h" audit stats --db "$db" --json
json "  count the decision as delegated" "j[0]['delegated'] == 1 and j[0]['open'] == 1"
plan
