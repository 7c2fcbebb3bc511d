#!/bin/sh
# tests/e2e/audit6_says.sh - the sixth audit, by the lens of what the store commands and
# `huddle run` say, and the store's counters (2026-12-06, helper s6door): each check here
# failed on the binary before its fix (a few are the sanity checks beside them). On real
# stores with --now, and on `huddle run` traces. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

without_meta() { # without_meta FROM TO KEY: TO is a copy of the store FROM without meta's KEY
  hex=$(printf %s "$3" | od -An -tx1 | tr -d ' \n')
  mkdir "$2" && mdb_dump -a "$1" |
    awk -v k=" $hex" '/^database=/ { db = substr($0, 10) } skip { skip = 0; next }
                      db == "meta" && $0 == k { skip = 1; next } { print }' | mdb_load -f /dev/stdin "$2" 2> /dev/null
}

# docs/runtime.md "A damaged store is an error, never an answer": a counter that would
# give a new entry the number of one the store holds is the store's damage. next_instance,
# next_task and next_outbox were checked (audit5_store.sh); next_mail was not: a store
# whose next_mail was lost gave an event joining a case the number of one waiting in the
# instance's mailbox, and overwrote it (the waiting event was gone, recorded nowhere).
d=$tmp/mail
cat > "$tmp/mail.play" <<'PLAY'
playbook mail

on src.alert as a
  case a.key for 7d

state start {
  ask person("ana") "Go?" choices yes, no within 1h
  { yes -> waiting  no -> done "no"  timeout -> done "late" }
}

state waiting {
  wait { src.alert as more -> done "more: {more.n}"  after 1h -> done "quiet" }
}
PLAY
"$h" deploy "$tmp/mail.play" --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
echo '{"key": "k", "n": 1}' | "$h" trigger src.alert --id e1 --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
echo '{"key": "k", "n": 2}' | "$h" trigger src.alert --id e2 --db "$d" --now 2026-06-15T08:01:00Z > /dev/null
without_meta "$d" "$tmp/no-mail" next_mail
verify_before=$("$h" audit verify --db "$tmp/no-mail" 2>&1)
echo '{"key": "k", "n": 3}' > "$tmp/data.json"
expect "without meta's next_mail, an event joining a case with mail waiting is refused" 3 \
  "$h" trigger src.alert --id e3 --db "$tmp/no-mail" --now 2026-06-15T08:02:00Z < "$tmp/data.json"
has "  as the store's damage, naming the counter and the mailbox" \
    "the store is damaged: meta's next_mail gives the number 1 to a new event in i1's mailbox, but it holds number 1 already"
has "  and what to do" "restore the store from a backup made with mdb_copy"
"$h" audit verify --db "$tmp/no-mail" > "$tmp/out" 2>&1
if [ "$(cat "$tmp/out")" = "$verify_before" ]; then ok "  and changed nothing: audit verify says what it said"
else no "  and changed nothing: audit verify says what it said"; fi
# the same store with its counter is fine: the waiting event is the one the wait takes
echo '{"key": "k", "n": 3}' | "$h" trigger src.alert --id e3 --db "$d" --now 2026-06-15T08:02:00Z > /dev/null
expect "with the counter, the answer is taken" 0 "$h" answer t1 yes --by ana --db "$d" --now 2026-06-15T08:03:00Z
expect "  and the wait takes the oldest waiting event" 0 "$h" instances --db "$d"
has "  (e2's)" "more: 2"

# RUNTIME.md "Trace format": --mocks maps connector.operation to a reply, a list of
# replies, or {"fail": "message"}. A "fail" that was no string ({"fail": 5}) was taken for
# a successful reply ({"fail":5} was what the call returned, and the run said done). Now
# the mocks are refused before the run starts (exit 1, as mocks that are not JSON), naming
# the mock and what "fail" must be; so are an empty list and a name that is no call's.
cat > "$tmp/call.play" <<'PLAY'
playbook lookup

on src.alert as a

state start {
  let r = call kb.lookup({q: 1}) else goto failed
  done "got {r}"
}

state failed { done "failed" }
PLAY
echo '{"at": "2026-06-15T08:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}' > "$tmp/call.jsonl"
mocks_refused() { # mocks_refused DESC MOCKS TEXT
  echo "$2" > "$tmp/mocks.json"
  expect "$1" 1 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
  has "  naming the mock and what it must be" "$3"
  hasnt "  before the run starts" "started"
}
mocks_refused 'a mock {"fail": 5} is refused' '{"kb.lookup": {"fail": 5}}' \
  'mocks.json: "kb.lookup" has "fail": 5, but "fail" is the failure'"'"'s message, a non-empty string'
mocks_refused 'a {"fail": null} in a list of replies is refused' '{"kb.lookup": [{"v": 1}, {"fail": null}]}' \
  '"kb.lookup", reply 2 of its list, has "fail": null'
mocks_refused 'an empty "fail" is refused' '{"kb.lookup": {"fail": ""}}' '"kb.lookup" has "fail": ""'
mocks_refused 'an empty list of replies is refused' '{"kb.lookup": []}' '"kb.lookup" has an empty list: give one reply or more'
mocks_refused 'a mock whose name is no call'"'"'s is refused' '{"kblookup": {"v": 1}}' \
  '"kblookup" is not a call'"'"'s name: a mock is named connector.operation'
echo '{"kb.lookup": {"fail": "down"}}' > "$tmp/mocks.json"
expect 'a mock {"fail": "down"} still fails the call' 0 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
has "  (its else runs)" "done     failed"
echo '{"kb.lookup": [[1, 2]]}' > "$tmp/mocks.json"
expect 'a list of replies whose reply is a list is taken' 0 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
has "  (the call returns it)" "got [1,2]"

# RUNTIME.md "History records": `delegated` (seat, from, to, why). The timelines did
# not name the seat or the ask (`anna stands in for ming (away)` in huddle run, `ming's
# seat delegated to anna (ming is away)` in huddle history), nor until when. Now both say
# which ask and seat, who was asked in whose place, and why, with the absence's end
# (the record keeps it as `until`).
cat > "$tmp/dir.json" <<'JSON'
{"people": {"ming": {"email": "ming@example.com", "manager": "craig"},
            "anna": {"email": "anna@example.com", "manager": "craig"},
            "craig": {"email": "craig@example.com"}, "mei": {"email": "mei@example.com"}}}
JSON
cat > "$tmp/seat.play" <<'PLAY'
playbook seat

on src.alert as a

state start {
  ask person("ming"), person("craig") "Go?" choices yes, no within 2d
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
cat > "$tmp/seat.jsonl" <<'TRACE'
{"at": "2026-06-15T08:00:00+03:00", "away": {"person": "craig", "from": "2026-06-15", "to": "2026-06-16", "delegate": "mei"}}
{"at": "2026-06-15T08:00:00+03:00", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}
{"at": "2026-06-15T09:00:00+03:00", "away": {"person": "ming", "from": "2026-06-15", "to": "2026-06-20", "delegate": "anna"}}
{"at": "2026-06-15T10:00:00+03:00", "back": {"person": "mei"}}
{"at": "2026-06-15T10:00:00+03:00", "event": {"source": "directory", "type": "back", "id": "b1", "data": {"person": "anna"}}}
{"at": "2026-06-15T10:30:00+03:00", "back": {"person": "craig"}}
{"at": "2026-06-15T11:00:00+03:00", "answer": {"by": "anna", "choice": "yes"}}
TRACE
expect "run: a trace with seats delegated as the ask is made and while it is open" 0 \
  "$h" run "$tmp/seat.play" --events "$tmp/seat.jsonl" --directory "$tmp/dir.json" --keep "$tmp/seat"
has "  names the seat, who was asked in whose place, and until when (as the ask is made)" \
    "seat 2: mei asked in craig's place (craig is away until 2026-06-17 03:00)"
has "  and the ask too, once it is open" "t1 seat 1: anna asked in ming's place (ming is away until 2026-06-21 03:00)"
expect "history of the kept store" 0 "$h" history i1 --db "$tmp/seat"
has "  says the same, in the playbook's zone" \
    "2026-06-15 06:00 +00:00  t1 seat 1: anna asked in ming's place (ming is away until 2026-06-21 00:00 +00:00)"
expect "history --json" 0 "$h" history i1 --db "$tmp/seat" --json
has "  keeps the absence's end on the record" '"from":"ming","to":"anna","why":"away","until":"2026-06-21T00:00:00Z"'

# A directory.back (a trace's back line, or the event) for someone who was not away
# printed "mei is back", and trigger said "directory changed (back)", though nothing
# changed. Now it says so, and writes nothing to the directory.
expect "run (the same trace)" 0 "$h" run "$tmp/seat.play" --events "$tmp/seat.jsonl" --directory "$tmp/dir.json"
has "  a back line of someone not away says nothing changed" "10:00       mei was not away (nothing changed)"
has "  and so does a directory.back event" "10:00       anna was not away (nothing changed)"
hasnt "  never that they are back" "mei is back"
has "  while a back of someone away is one" "10:30       craig is back"
b=$tmp/back
"$h" directory load "$tmp/dir.json" --db "$b" --now 2026-06-15T05:00:00Z > /dev/null
echo '{"person": "mei"}' > "$tmp/data.json"
expect "trigger directory.back of someone not away is taken" 0 "$h" trigger directory.back --id hr-1 --db "$b" --now 2026-06-15T06:00:00Z < "$tmp/data.json"
has "  saying nothing changed" "accepted hr-1: mei was not away (nothing changed)"
expect "  (its id is kept: a repeat is a duplicate)" 0 "$h" trigger directory.back --id hr-1 --db "$b" --now 2026-06-15T06:00:00Z < "$tmp/data.json"
has "  (duplicate)" "duplicate, already accepted: hr-1"
"$h" directory show mei --db "$b" > "$tmp/out" 2>&1
hasnt "  and gave mei no absence" '"away"'
expect "  with --json, the route says changed: false" 0 "$h" trigger directory.back --id hr-2 --db "$b" --now 2026-06-15T06:00:00Z --json < "$tmp/data.json"
json "  (and names the person)" "j['went'] == [{'directory': 'back', 'person': 'mei', 'changed': False}]"
echo '{"person": "mei", "delegate": "anna"}' | "$h" trigger directory.away --id hr-3 --db "$b" --now 2026-06-15T06:00:00Z > /dev/null
expect "a back of someone away" 0 "$h" trigger directory.back --id hr-4 --db "$b" --now 2026-06-15T07:00:00Z < "$tmp/data.json"
has "  still changes the directory" "accepted hr-4: directory changed (back)"

# RUNTIME.md: a repeat "changes nothing" and is taken (a repeated event id: 200 with
# "duplicate": true). A second ack by the same person (and the same answer again) was
# taken in silence, with the first one's sentence ("ben acknowledged t1: their seats
# escalate no further"). Now it is still taken (exit 0, HTTP 200, nothing committed) and
# says so, with when the first one was, and "duplicate": true in --json and over HTTP.
r=$tmp/repeat
cat > "$tmp/three.play" <<'PLAY'
playbook three

on src.alert as a

state start {
  ask 2 of person("ana"), person("ben"), person("cy") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late"  no_quorum -> done "split" }
}
PLAY
"$h" deploy "$tmp/three.play" --db "$r" --now 2026-06-15T08:00:00Z > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$r" --now 2026-06-15T08:00:00Z > /dev/null
"$h" ack t1 --by ben --db "$r" --now 2026-06-15T08:01:00Z > /dev/null
expect "a second ack by the same person is taken" 0 "$h" ack t1 --by ben --db "$r" --now 2026-06-15T08:02:00Z
has "  and says it was acknowledged already, and when" "ben had acknowledged t1 already, at 2026-06-15T08:01:00Z; nothing changed"
hasnt "  never as if it were the first" "their seats escalate no further"
expect "  with --json" 0 "$h" ack t1 --by ben --db "$r" --now 2026-06-15T08:02:00Z --json
json "  it is a duplicate, with the note, and wrote no record" \
  "j['acknowledged']['duplicate'] is True and 'already, at 2026-06-15T08:01:00Z' in j['acknowledged']['note'] and j['records'] == []"
"$h" answer t1 yes --by ana --db "$r" --now 2026-06-15T08:03:00Z > /dev/null
expect "the same answer again is taken" 0 "$h" answer t1 yes --by ana --db "$r" --now 2026-06-15T08:04:00Z
has "  and says so" "ana had answered t1 already (yes), at 2026-06-15T08:03:00Z; nothing changed"
expect "a first ack still says what it does" 0 "$h" ack t1 --by cy --db "$r" --now 2026-06-15T08:05:00Z
has "  (its sentence)" "cy acknowledged t1: their seats escalate no further"
expect "a trace's second ack" 0 "$h" run "$tmp/three.play" --events /dev/stdin <<'TRACE'
{"at": "2026-06-15T08:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}
{"at": "2026-06-15T08:01:00Z", "ack": {"by": "ben"}}
{"at": "2026-06-15T08:02:00Z", "ack": {"by": "ben", "task": "t1"}}
TRACE
has "  is shown on the timeline" "08:02       ben had acknowledged t1 already, at 2026-06-15T08:01:00Z; nothing changed"

# The same over HTTP: 200, "duplicate": true and the note.
. "$TOP/tests/e2e/serve/lib.sh"
sv=$tmp/serve
serve_store "$sv" || no "the serve store is made" "$tmp/deploy.out"
if serve_start "$sv"; then
  body='{"id": "ev-1", "type": "refund", "order": "R-1", "amount": 5, "customer": {"name": "C"}}'
  call "serve: a refund is posted" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
  call "serve: pat acks t1" 200 POST /v1/tasks/t1/ack -H 'Authorization: Bearer pat-token'
  hasnt "  (a first ack is no duplicate)" '"duplicate"'
  call "serve: pat acks t1 again: 200" 200 POST /v1/tasks/t1/ack -H 'Authorization: Bearer pat-token'
  json "  a duplicate, saying when the first was" "j['acknowledged'] == 'yes' and j['duplicate'] is True and 'pat had acknowledged t1 already, at ' in j['note']"
  call "serve: pat answers yes" 200 POST /v1/tasks/t1/answer -H 'Authorization: Bearer pat-token' -H 'Content-Type: application/json' --data '{"choice": "yes"}'
  call "serve: pat answers yes again: 200" 200 POST /v1/tasks/t1/answer -H 'Authorization: Bearer pat-token' -H 'Content-Type: application/json' --data '{"choice": "yes"}'
  json "  a duplicate too" "j['answered'] == 'yes' and j['duplicate'] is True and 'pat had answered t1 already (yes)' in j['note']"
  call "serve: a directory.back of someone not away" 200 POST /v1/events/directory -H 'Authorization: Bearer feeder-token' -H 'Content-Type: application/json' --data '{"type": "back", "id": "hr-9", "data": {"person": "sam"}}'
  json "  says nothing changed in its route" "j['went'] == [{'directory': 'back', 'person': 'sam', 'changed': False}]"
  serve_stop
else
  no "serve starts" "$tmp/serve.log"
fi

plan
