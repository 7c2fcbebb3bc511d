#!/bin/sh
# tests/e2e/audit4_runtime.sh - the fourth contract audit of RUNTIME.md's concrete claims
# (2026-12-06, helper aud4r): each check here failed on the binary before its fix (a few
# are the sanity checks beside them). A holder the directory has since lost is refused
# with the way out (huddle reassign). On real stores with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x", "manager": "craig"}, "craig": {"email": "craig@x"},
            "mei": {"email": "mei@x"}}}
JSON
cat > "$tmp/fewer.json" <<'JSON'
{"people": {"craig": {"email": "craig@x"}, "mei": {"email": "mei@x"}}}
JSON

# RUNTIME.md "The directory": a load keeps open seats' holders; LANGUAGE.md "Answers": a
# person who holds no open seat is refused. A holder the new directory lacks still holds
# the seat but may not answer (docs/runtime.md): the refusal said only "no person 'anna'
# in the directory", as if anna had no business with the task.
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$db" $(now 08:01) > /dev/null
expect "a directory without anna loads" 0 "$h" directory load "$tmp/fewer.json" --db "$db" $(now 08:02)
expect "anna still holds the seat" 0 "$h" tasks --db "$db" --json
json "  (tasks shows her)" "j[0]['seats'][0]['holders'] == ['anna']"
expect "her answer is refused" 1 "$h" answer t1 yes --by anna --db "$db" $(now 08:03)
has "  saying she holds the seat and the way out" "answer: by: anna holds a seat on t1 but is no longer in the directory; an operator may hand it on (huddle reassign t1 --from anna --to PERSON)"
expect "her ack too" 1 "$h" ack t1 --by anna --db "$db" $(now 08:03)
has "  the same sentence" "ack: by: anna holds a seat on t1 but is no longer in the directory"
expect "someone the directory lacks who holds nothing is refused as before" 1 "$h" answer t1 yes --by zed --db "$db" $(now 08:03)
hasnt "  (no seat to hand on)" "reassign"
expect "the way out works" 0 "$h" reassign t1 --from anna --to mei --by craig --db "$db" $(now 08:04)
expect "  and mei answers" 0 "$h" answer t1 yes --by mei --db "$db" $(now 08:05)

# The exit codes table: 1, the input was refused; with the sentence a person can act on.
# No data at all on standard input said jansson's "'[' or '{' expected near end of file".
expect "trigger with nothing on standard input is refused" 1 sh -c "'$h' trigger src.alert --id e9 --db '$db' $(now 08:06) < /dev/null"
has "  saying what to give" "no event data on standard input: give the event's data as JSON, such as {} for none"
expect "blank lines are nothing too" 1 sh -c "printf '\\n  \\n' | '$h' trigger src.alert --id e9 --db '$db' $(now 08:06)"
has "  the same sentence" "no event data on standard input"
expect "  and nothing was accepted: e9 is new" 0 sh -c "echo '{}' | '$h' trigger src.alert --id e9 --db '$db' $(now 08:07)"
hasnt "  (not a duplicate)" "duplicate"

# A JSON file that is not there, or is a folder, is named plainly as a playbook is
# ("FILE: No such file or directory"): --connectors and --tokens said jansson's
# "unable to open FILE: ...", --mocks said it twice ("... cannot be read"), a folder
# said "'[' or '{' expected near end of file".
no_such() { # no_such DESCRIPTION COMMAND...: exit 1, one line, the plain sentence
  desc=$1; shift
  expect "$desc" 1 "$@"
  if [ "$(wc -l < "$tmp/out")" -eq 1 ] && grep -qE "^(huddle: )?$tmp/none.json: No such file or directory\$" "$tmp/out"
  then ok "  says FILE: No such file or directory, once"; else no "  says FILE: No such file or directory, once"; fi
}
echo '{"at": "2026-06-15T06:00:00Z", "end": true}' > "$tmp/trace.jsonl"
no_such "check --connectors with no such file" "$h" check "$tmp/p.play" --connectors "$tmp/none.json"
no_such "deploy --connectors with no such file" "$h" deploy "$tmp/p.play" --connectors "$tmp/none.json" --db "$db" $(now 08:08)
no_such "run --mocks with no such file" "$h" run "$tmp/p.play" --events "$tmp/trace.jsonl" --mocks "$tmp/none.json"
no_such "run --connectors with no such file" "$h" run "$tmp/p.play" --events "$tmp/trace.jsonl" --connectors "$tmp/none.json"
no_such "serve --tokens with no such file" "$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/none.json"
mkdir "$tmp/folder.json"
expect "directory load of a folder" 1 "$h" directory load "$tmp/folder.json" --db "$db" $(now 08:08)
has "  says it is a folder" "$tmp/folder.json: Is a directory"
expect "check --connectors of a folder" 1 "$h" check "$tmp/p.play" --connectors "$tmp/folder.json"
has "  says it is a folder" "$tmp/folder.json: Is a directory"
# A trace that is a folder ran as an empty trace (exit 0); trigger --file of one was a
# system error (exit 3, "could not read line 1").
expect "run --events of a folder is refused" 1 "$h" run "$tmp/p.play" --events "$tmp/folder.json"
has "  says it is a folder" "$tmp/folder.json: Is a directory"
expect "trigger --file of a folder is refused" 1 "$h" trigger --file "$tmp/folder.json" --db "$db" $(now 08:09)
has "  says it is a folder" "$tmp/folder.json: Is a directory"

# A directory.away event (or a trace's away line) that the directory's check refuses
# was named by a directory file's path, "people.anna.away[0].to: ends before it
# starts": no file has that path, the index is wherever the absence would have gone,
# and an absence ending as it starts does not end before it.
echo '{"person": "mei", "from": "2026-03-20", "to": "2026-03-10"}' > "$tmp/away.json"
expect "an absence that ends before it starts is refused" 1 sh -c "'$h' trigger directory.away --id a1 --db '$db' $(now 08:10) < '$tmp/away.json'"
has "  said of the absence, with its dates" "trigger: mei's absence (from 2026-03-20 to 2026-03-10): to: ends no later than it starts"
hasnt "  (no file path)" "people.mei"
printf '{"at": "2026-06-15T06:00:00Z", "away": {"person": "mei", "from": "2026-06-15T09:00:00Z", "to": "2026-06-15T09:00:00Z"}}\n' > "$tmp/away.jsonl"
expect "a trace's absence that ends as it starts" 0 "$h" run "$tmp/p.play" --events "$tmp/away.jsonl" --directory "$tmp/people.json"
has "  is refused, said of the absence" "REFUSED  trace line 1: mei's absence (from 2026-06-15T09:00:00Z to 2026-06-15T09:00:00Z): to: ends no later than it starts"

# huddle retry INSTANCE --goto STATE with a state the playbook lacks named no state it has.
cat > "$tmp/stall.play" <<'PLAY'
playbook stall
on src.stall as e
state first {
  let x = 1 / (e.d ?? 0)
  done "ok {x}"
}
state second { done "second" }
PLAY
"$h" deploy "$tmp/stall.play" --db "$db" $(now 08:11) > /dev/null 2>&1
echo '{}' | "$h" trigger src.stall --id st1 --db "$db" $(now 08:11) > /dev/null
"$h" instances --db "$db" --playbook stall --json > "$tmp/out"
stalled=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$tmp/out" 2>/dev/null)
expect "retry --goto a state the playbook lacks is refused" 1 "$h" retry "$stalled" --goto secnd --db "$db" $(now 08:12)
has "  naming the states it has" "playbook has no state 'secnd' (its states: first, second)"

# RUNTIME.md "Interfaces": "HTTP writes may carry Idempotency-Key; a repeat within 24 h
# gets the first response". The same key on another task's answer is no repeat: it got
# t1's reply and t2 stayed unanswered.
. "$TOP/tests/e2e/serve/lib.sh"
at_exit() { serve_stop; }
sdb=$tmp/serve
"$h" directory load "$tmp/people.json" --db "$sdb" > /dev/null
"$h" deploy "$tmp/p.play" --db "$sdb" > /dev/null
echo '{}' | "$h" trigger src.alert --id s1 --db "$sdb" > /dev/null
echo '{}' | "$h" trigger src.alert --id s2 --db "$sdb" > /dev/null
anna_hash=$(printf %s anna-token | sha256sum | cut -c1-64)
printf '{"anna": {"sha256": "%s", "person": "anna"}}\n' "$anna_hash" > "$tmp/tokens.json"
if serve_start "$sdb"; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; fi
idem() { call "$1" 200 POST "/v1/tasks/$2/answer" -H 'Authorization: Bearer anna-token' \
  -H 'Content-Type: application/json' -H 'Idempotency-Key: k-1' --data "{\"choice\": \"$3\"}"; }
idem "anna answers t1 with key k-1" t1 yes
idem "  a repeat gets the first reply" t1 yes
json "  (t1, yes)" "j['task'] == 't1' and j['answered'] == 'yes'"
idem "anna answers t2 with the same key" t2 no
json "  gets t2's own reply" "j['task'] == 't2' and j['answered'] == 'no'"
call "  and t2 is answered" 200 GET /v1/instances/i2 -H 'Authorization: Bearer anna-token'
json "  (i2 done: no)" "j['status'] == 'done' and j['outcome'] == 'no'"
serve_stop

plan
