#!/bin/sh
# tests/e2e/audit5_doors.sh - the fifth audit, differential (2026-12-06, helper aud5d):
# the same scenario through two doors of the one engine (huddle run, the store commands,
# huddle serve over HTTP), and what a user sees compared. RUNTIME.md says the doors run
# the same semantics, so each difference found was a defect in one door; each check here
# failed on the binary before its fix (a few are sanity checks beside them). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
at_exit() { serve_stop; }

cat > "$tmp/vote.play" <<'PLAY'
playbook vote

on src.alert as a

state decide {
  ask 2 of person("anna"), person("ben"), person("mei") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  no_quorum -> done "split"  timeout -> done "late" }
}
PLAY
cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x"}, "ben": {"email": "ben@x"}, "mei": {"email": "mei@x"},
            "craig": {"email": "craig@x"}, "erin": {"email": "erin@x"}},
 "roles": {"duty-director": {"earth": "erin"}, "night-director": {"earth": "erin"}}}
JSON
for who in anna ben erin ops; do
  eval "${who}_hash=\$(printf %s $who-token | sha256sum | cut -c1-64)"
done
cat > "$tmp/tokens.json" <<JSON
{"anna": {"sha256": "$anna_hash", "person": "anna"}, "ben": {"sha256": "$ben_hash", "person": "ben"},
 "erin": {"sha256": "$erin_hash", "person": "erin"},
 "ops": {"sha256": "$ops_hash", "person": "craig", "may": ["read", "answer", "operate", "audit"]}}
JSON
db=$tmp/store
"$h" directory load "$tmp/people.json" --db "$db" > /dev/null
"$h" deploy "$tmp/vote.play" --db "$db" > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$db" > /dev/null
if serve_start "$db"; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; fi
bearer() { echo "Authorization: Bearer $1-token"; }

# A person's inbox. RUNTIME.md: `huddle tasks --for PERSON` is "open asks: a person's
# inbox", and GET /v1/tasks is its HTTP door. The CLI listed only the asks the person
# can still answer (LANGUAGE.md "Answers": a person answers a task once); the route
# listed every open ask where they held a seat, so anna, who had answered t1, still
# found it in her inbox over HTTP and got 409 for answering it.
call "anna answers t1 over HTTP" 200 POST /v1/tasks/t1/answer -H "$(bearer anna)" \
  -H 'Content-Type: application/json' --data '{"choice": "yes"}'
call "ben acknowledges t1 over HTTP" 200 POST /v1/tasks/t1/ack -H "$(bearer ben)" \
  -H 'Content-Type: application/json' --data '{}'
inbox() { # inbox PERSON: the task ids of GET /v1/tasks?for=PERSON and of tasks --for, one line each
  curl -s --max-time 10 -H "$(bearer ops)" "$base/v1/tasks?for=$1" |
    "$PY" -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)["tasks"]])'
  "$h" tasks --db "$db" --for "$1" --json | "$PY" -c 'import json,sys; print([t["id"] for t in json.load(sys.stdin)])'
}
inbox anna > "$tmp/out"
if [ "$(sort -u "$tmp/out")" = "[]" ]; then ok "anna answered t1: her inbox is empty through both doors"
else no "anna answered t1: her inbox is empty through both doors"; fi
inbox ben > "$tmp/out"
if [ "$(sort -u "$tmp/out")" = "['t1']" ]; then ok "ben acknowledged t1: it stays in his inbox through both doors"
else no "ben acknowledged t1: it stays in his inbox through both doors"; fi
inbox mei > "$tmp/out"
if [ "$(sort -u "$tmp/out")" = "['t1']" ]; then ok "mei has t1 through both doors"
else no "mei has t1 through both doors"; fi
call "without ?for, every open ask" 200 GET /v1/tasks -H "$(bearer ops)"
json "  (t1, as tasks --json lists it)" "[t['id'] for t in j['tasks']] == ['t1']"

# An open seat with no holder (its WHO resolved to nobody) is given to someone with
# huddle reassign TASK --to P, no --from (LANGUAGE.md "Seats and quorum": "an operator
# may huddle reassign a seat"). Over HTTP "from" was required, so such an ask could not
# be helped there: {"to": "erin"} was 422 '"from" is missing'.
nobody=tests/people/ask_one_nobody_waits
"$h" deploy "$nobody/playbook.play" --db "$db" > /dev/null
echo '{"ref": "CHG-1", "region": "mars"}' | "$h" trigger ops.case --id c1 --db "$db" > /dev/null
call "reassign without \"from\" gives the seat with no holder" 200 POST /v1/tasks/t2/reassign \
  -H "$(bearer ops)" -H 'Content-Type: application/json' --data '{"to": "erin"}'
"$h" history i2 --db "$db" --json > "$tmp/out"
has "  a delegated record from nobody to erin, as the CLI writes it" '"kind":"delegated","state":"decide","task":"t2","seat":0,"from":null,"to":"erin","why":"reassigned"'
call "  a second time there is no such seat: 422 on from" 422 POST /v1/tasks/t2/reassign \
  -H "$(bearer ops)" -H 'Content-Type: application/json' --data '{"from": null, "to": "erin"}'
json "  saying how to name the holder over HTTP" "j['error']['field'] == 'from' and '(\"from\" over HTTP)' in j['error']['message']"
call "  and erin answers t2" 200 POST /v1/tasks/t2/answer -H "$(bearer erin)" \
  -H 'Content-Type: application/json' --data '{"choice": "yes"}'
serve_stop

# The same inbox in huddle run: an answer line without "task" goes to "the one open ask
# where its person holds a seat". anna answered t1 (still open, 2 of 3) and holds a seat
# on t2: the store's inbox (tasks --for anna) is t2 alone, and run refused her line as
# "several open asks (t1, t2)", though t1 was no longer hers to answer.
cat > "$tmp/two.jsonl" <<'TRACE'
{"at": "2026-12-07T10:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}
{"at": "2026-12-07T10:01:00Z", "event": {"source": "src", "type": "alert", "id": "e2", "data": {}}}
{"at": "2026-12-07T10:02:00Z", "answer": {"by": "anna", "choice": "yes", "task": "t1"}}
{"at": "2026-12-07T10:03:00Z", "answer": {"by": "anna", "choice": "no"}}
{"at": "2026-12-07T10:04:00Z", "answer": {"by": "ben", "choice": "yes", "task": "t1"}}
{"at": "2026-12-07T10:05:00Z", "answer": {"by": "anna", "choice": "yes"}}
{"at": "2026-12-07T12:00:00Z", "end": true}
TRACE
expect "run: anna's answer without a task" 0 "$h" run "$tmp/vote.play" --events "$tmp/two.jsonl" --json
has "  goes to t2, the one ask she can still answer" '"kind":"answered","state":"decide","task":"t2","by":"anna","choice":"no"'
has "  t1 is decided by anna and ben" '"kind":"resolved","state":"decide","task":"t1","choice":"yes"'
has "  her third answer (t2 answered, t1 closed) is refused as a second answer to t2" \
  '{"refused":{"line":6,"why":"anna already answered task t2"}}'

# A call that fails for good: the call_failed record's error is `error` in the call's
# else block (LANGUAGE.md, "call"), so a playbook that reads it must see the same text
# through every door. huddle run said "Couldn't connect to server (after 2 attempts)";
# tick and serve said "hook.look failed after its retries: Couldn't connect to server"
# (and a stall "call hook.look failed: hook.look failed after its retries: ...").
cat > "$tmp/call.play" <<'PLAY'
playbook callit

on src.alert as a

state s {
  let r = call hook.look({n: 1}) else { note "failed: {error}" done "else" }
  done "ok {r}"
}
PLAY
closed=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$tmp/hook.json" <<JSON
{"src": {"kind": "webhook", "id": "/id", "type": "/type"},
 "hook": {"kind": "http", "base_url": "http://127.0.0.1:$closed", "retries": 1, "timeout_ms": 500,
          "operations": {"look": {"method": "POST", "path": "/look"}}}}
JSON
echo '{"hook.look": {"fail": "Couldn'"'"'t connect to server"}}' > "$tmp/fail.json"
printf '%s\n' '{"at": "2026-12-07T10:00:00Z", "event": {"source": "src", "type": "alert", "id": "c1", "data": {}}}' \
  '{"at": "2026-12-07T11:00:00Z", "end": true}' > "$tmp/call.jsonl"
"$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/fail.json" --connectors "$tmp/hook.json" --json \
  > "$tmp/run.out" 2>&1
cdb=$tmp/calls
"$h" deploy "$tmp/call.play" --db "$cdb" --connectors "$tmp/hook.json" --now 2026-12-07T10:00:00Z > /dev/null
echo '{}' | "$h" trigger src.alert --id c1 --db "$cdb" --now 2026-12-07T10:00:00Z > /dev/null
"$h" tick --db "$cdb" --now 2026-12-07T10:00:00Z > /dev/null
"$h" tick --db "$cdb" --now 2026-12-07T10:01:00Z > "$tmp/tick.out" 2>&1
"$h" history i1 --db "$cdb" --json > "$tmp/store.out" 2>&1
for door in run store; do
  cp "$tmp/$door.out" "$tmp/out"
  has "$door: call_failed says the error and the attempts" '"error":"Couldn'"'"'t connect to server (after 2 attempts)"'
  has "$door: the else block's error is the same text" '"text":"failed: Couldn'"'"'t connect to server (after 2 attempts)"'
done

# What the user reads of the same records: huddle tick "says the same in words" (its
# help), and huddle history has the words; tick printed each record as its kind and
# JSON ('2026-12-07T10:01:00Z i1 noted {"state":"s","text":"failed: ..."}').
"$h" history i1 --db "$cdb" > "$tmp/words.out" 2>&1
cp "$tmp/tick.out" "$tmp/out"
for words in "hook.look failed: Couldn't connect to server (after 2 attempts)" \
    "noted: failed: Couldn't connect to server (after 2 attempts)" "done: else"; do
  if grep -qF -- "2026-12-07 10:01 +00:00  $words" "$tmp/words.out"; then
    has "tick says '$words' as history does" "2026-12-07 10:01 +00:00  i1  $words"
  else
    no "tick says '$words' as history does (history lacks it)" "$tmp/words.out"
  fi
done

# Reminders "re-tell the holders of unanswered, unacknowledged seats": once every seat
# is answered or acknowledged nobody can be reminded again (an ack is never undone), so
# the reminders stop, as workflows/service_outage/README.md says ("Dana acknowledges ...
# and the reminders stop"). They went on firing silently, each setting the next: the
# timeline showed "timer: reminder at 02:44" after the ack, through run and tick alike.
w=workflows/service_outage
expect "run: service_outage" 0 "$h" run $w/service_outage.play --events $w/trace.jsonl --directory $w/directory.json \
  --mocks $w/mocks.json --connectors $w/connectors.json --json
hasnt "  no reminder is set after dana's ack (02:31)" '"at":"2026-07-08T02:34:00Z","instance":"i1","seq":23,"kind":"timer"'
cat > "$tmp/remind.play" <<'PLAY'
playbook reminders

on src.alert as a

state s {
  ask person("anna") "Go?" choices yes, no within 1h remind every 10m
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
rdb=$tmp/remind
"$h" deploy "$tmp/remind.play" --db "$rdb" --now 2026-12-07T10:00:00Z > /dev/null
echo '{}' | "$h" trigger src.alert --id r1 --db "$rdb" --now 2026-12-07T10:00:00Z > /dev/null
"$h" ack t1 --by anna --db "$rdb" --now 2026-12-07T10:05:00Z > /dev/null
expect "tick: the reminder due after anna's ack" 0 "$h" tick --db "$rdb" --now 2026-12-07T10:30:00Z --json
json "  sets no other" "[r for r in j['records'] if r['kind'] in ('timer', 'reminded')] == []"
expect "  and the next tick has nothing to fire" 0 "$h" tick --db "$rdb" --now 2026-12-07T10:55:00Z
has "  (nothing was due)" "nothing was due"

# Reading workflows/security_incident's timeline: its ask said "5 failed_login events
# since 2026-05-20 21:02 UTC", but case.started is when the threshold was reached (the
# fifth event, docs/language.md), and four of the five came before it.
w=workflows/security_incident
expect "run: security_incident" 0 "$h" run $w/security_incident.play --events $w/trace.jsonl \
  --directory $w/directory.json --mocks $w/mocks.json --connectors $w/connectors.json
has "  the question says when the case opened, not 'since'" \
  'asked t1: "Lock adm-jdoe and revoke all sessions? 5 failed_login events, case opened 2026-05-20 21:02 UTC."'

plan
