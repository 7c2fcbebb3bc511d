#!/bin/sh
# tests/e2e/badinput_audit.sh - bad input gets a clear error naming what is wrong, with
# the exit status RUNTIME.md gives, and changes nothing (an audit of 2026-12-07 feeding
# every write command malformed input; its findings F3-F6):
#   F3  standard input that cannot be read (a folder) was "out of memory", exit 3
#   F4  one word too many got a usage line that named nothing ("give TASK CHOICE ...")
#   F5  person ids with Unicode white space at an end (no-break, ideographic) passed
#   F2  a refused write fired the timers due by its time and said nothing of them
#   F6  an ack on a task its instance's cancel closed said "no longer open", not how it
#       closed; an empty file name gave "huddle: : No such file or directory"
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
cat > "$tmp/p.play" <<'PLAY'
playbook p
on src.ev as e
state s { ask person("anna") "ok?" choices yes, no with comment within 1h { yes -> done "y" no -> done "n" timeout -> done "t" } }
PLAY
printf '{"people": {"anna": {"email": "a@example.com"}, "op": {"email": "o@example.com"}}}\n' > "$tmp/people.json"
db=$tmp/db
"$h" deploy "$tmp/p.play" --db "$db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
"$h" directory load "$tmp/people.json" --db "$db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "directory load"
for id in e1 e2; do
  echo '{}' | "$h" trigger src.ev --id $id --db "$db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "trigger $id"
done
mkdir "$tmp/folder"

# F3
"$h" trigger src.ev --id e3 --db "$db" --now 2027-01-10T08:01:00Z < "$tmp/folder" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "F3: standard input that is a folder: exit 1" || no "F3: standard input that is a folder: exit 1 (got $rc)"
has "  saying it could not be read, and why" "could not read the event data on standard input: Is a directory"
hasnt "  not that memory ran out" "out of memory"
"$h" trigger --file - --db "$db" --now 2027-01-10T08:01:00Z < "$tmp/folder" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "F3: trigger --file - from a folder: exit 1, as --file FOLDER" || no "F3: trigger --file - from a folder: exit 1 (got $rc)"

# F4
expect "F4: answer with a comment but no --comment: exit 2" 2 "$h" answer t1 no --by anna "it is a defect" --db "$db"
has "  naming the word" "unexpected argument 'it is a defect'"
has "  and where a comment goes" "a comment goes after --comment"
expect "F4: cancel with a reason but no --reason: exit 2" 2 "$h" cancel i1 --by op "duplicate" --db "$db"
has "  naming the word" "unexpected argument 'duplicate'"
expect "F4: trigger with a second word: exit 2" 2 "$h" trigger src.ev extra --id e4 --db "$db"
has "  naming it" "unexpected argument 'extra'"
expect "F4: a word missing still gives the form" 2 "$h" ack --by anna --db "$db"
has "  (give TASK --by PERSON)" "give TASK --by PERSON"

# F5
printf '{"people": {"anna": {"email": "a@example.com"}, "anna\\u00a0": {"email": "b@example.com"}, "\\u3000bo": {"email": "c@example.com"}}}\n' > "$tmp/lookalike.json"
expect "F5: a directory with ids ending or starting in Unicode white space: exit 1" 1 "$h" directory load "$tmp/lookalike.json" --db "$db"
has "  naming the no-break space's id" "$(printf 'people.anna\302\240: not a person id: it starts or ends with a space')"
has "  and the ideographic space's" "$(printf 'people.\343\200\200bo: not a person id')"
expect "F5: --by ending in a no-break space: exit 2" 2 "$h" cancel i1 --by "$(printf 'op\302\240')" --reason x --db "$db"
has "  saying it is not a person id" "is not a person id: it starts or ends with a space"
expect "F5: --by starting with an em space: exit 2" 2 "$h" cancel i1 --by "$(printf '\342\200\203op')" --reason x --db "$db"
printf '{"people": {"ann\\u00e9": {"email": "a@example.com"}, "\\u65e5\\u672c": {"email": "b@example.com"}, "anna": {"email": "a@example.com"}, "op": {"email": "o@example.com"}}}\n' > "$tmp/letters.json"
expect "F5: ids that end in letters past ASCII still load" 0 "$h" directory load "$tmp/letters.json" --db "$db" --now 2027-01-10T08:00:00Z

# F6
"$h" cancel i1 --by op --reason dup --db "$db" --now 2027-01-10T08:02:00Z > "$tmp/out" 2>&1 || no "cancel i1"
expect "F6: an ack on a task its instance's cancel closed: exit 1" 1 "$h" ack t1 --by anna --db "$db" --now 2027-01-10T08:02:00Z
has "  saying how it closed, as answer does" "task t1 is already closed: its instance was cancelled"
"$h" answer t2 yes --by anna --db "$db" --now 2027-01-10T08:02:00Z > "$tmp/out" 2>&1 || no "answer t2"
expect "F6: an ack on a decided task: exit 1" 1 "$h" ack t2 --by anna --db "$db" --now 2027-01-10T08:02:00Z
has "  saying how it was decided" "task t2 is already resolved (yes)"
expect "F6: directory load of an empty file name: exit 2" 2 "$h" directory load "" --db "$db"
has "  saying the name is empty" "is an empty file name"
expect "F6: trigger --file with an empty name: exit 2" 2 "$h" trigger --file "" --db "$db"
expect "F6: deploy --connectors with an empty name: exit 2" 2 "$h" deploy "$tmp/p.play" --connectors "" --db "$db"

# F2: a refused write still fires the timers due by its time, and says what they did
echo '{}' | "$h" trigger src.ev --id e5 --db "$db" --now 2027-01-10T08:03:00Z > "$tmp/out" 2>&1 || no "trigger e5"
printf '{"x":' | "$h" trigger src.ev --id e6 --db "$db" --now 2027-01-10T09:30:00Z --json > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok "F2: a trigger whose data is no JSON: exit 1" || no "F2: a trigger whose data is no JSON: exit 1 (got $rc)" "$tmp/err"
json "  --json says it was refused, and where the deadline it fired left i3" \
  'j["refused"] is True and {"id": "i3", "status": "done", "state": "s", "outcome": "t", "task": None} in j["instances"] and any(r["kind"] == "done" and r["instance"] == "i3" for r in j["records"])'
echo '{}' | "$h" trigger src.ev --id e7 --db "$db" --now 2027-01-10T09:31:00Z > "$tmp/out" 2>&1 || no "trigger e7"
"$h" cancel i1 --by op --reason ' ' --db "$db" --now 2027-01-10T10:40:00Z > "$tmp/out" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 1 ] && ok "F2: a cancel with a blank reason: exit 1" || no "F2: a cancel with a blank reason: exit 1 (got $rc)" "$tmp/err"
has "  says the due timers fired" "due timers fired:"
has "  and where they left i4" "  i4: done: t"
"$h" cancel i1 --by op --reason ' ' --db "$db" --now 2027-01-10T10:41:00Z --json > "$tmp/out" 2> "$tmp/err"
json "  a refusal that fired nothing: --json still one object" 'j == {"refused": True, "instances": [], "records": []}'

# F6: a NUL byte in the event data is named (jansson said "end of file expected near end of file")
printf '{}\000' | "$h" trigger src.ev --id e8 --db "$db" --now 2027-01-10T10:42:00Z > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "F6: event data with a NUL byte after it: exit 1" || no "F6: event data with a NUL byte after it: exit 1 (got $rc)"
has "  naming the NUL byte and where it is" "it holds a NUL byte (at byte 3)"
printf '\000' | "$h" trigger src.ev --id e9 --db "$db" --now 2027-01-10T10:42:00Z > "$tmp/out" 2>&1
has "F6: data that is only a NUL byte is that, not 'no event data'" "it holds a NUL byte (at byte 1)"

# nothing refused changed the chain: only the cancel, the answer and the directory did
"$h" audit verify --db "$db" > "$tmp/out" 2>&1 && ok "the store's chain verifies" || no "the store's chain verifies"
plan
