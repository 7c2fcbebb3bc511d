#!/bin/sh
# tests/e2e/serve_refusals.sh - refusals over HTTP that name what is wrong
# (docs/operations.md, "Routes"): a query parameter given empty or twice is 400
# bad_query naming it (never read as no filter, or as one of the two); an override or
# cancel without a reason in words is 422 with "field": "reason"; an ask closed by its
# instance's cancel is 409 saying so; a refused directory.away/back event names its
# field (type, data.person, data.from, data.to, data.delegate); an answer or ack by a
# person the directory lacks is 422 naming by; a reassignment from and to one person
# names to; an event type that is no id names type. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
"$PY" - "$tmp/tokens.json" "$(printf %s auditor-token | sha256sum | cut -c1-64)" "$(printf %s ghost-token | sha256sum | cut -c1-64)" <<'PY'
import json, sys
tokens = json.load(open(sys.argv[1]))
tokens["auditor"] = {"sha256": sys.argv[2], "person": "boss", "may": ["audit"]}
tokens["ops"]["may"].append("events")
tokens["ghost"] = {"sha256": sys.argv[3], "person": "ghost", "may": ["operate", "answer"]}
json.dump(tokens, open(sys.argv[1], "w"))
PY
cat > "$tmp/stall.play" <<'PLAY'
playbook stall

on shop.div as ev

state start {
  let n = ev.n / ev.d
  done "got {n}"
}
PLAY
"$h" deploy "$tmp/stall.play" --db "$db" > /dev/null 2>&1
echo '{"n": 1, "d": 0}' | "$h" trigger shop.div --id div-1 --db "$db" > /dev/null 2>&1   # i1 stalls
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts"
ops='Authorization: Bearer ops-token'
aud='Authorization: Bearer auditor-token'
jct='Content-Type: application/json'
# refused AS DESC PATH BODY FIELD [CONDITION]: POST BODY to PATH with AS's token is 422,
# naming FIELD (and CONDITION holds of the reply j)
refused() {
  call "$2" 422 POST "$3" -H "$jct" -H "Authorization: Bearer $1-token" --data "$4"
  json "(naming $5)" "j['error']['field'] == '$5' and (${6:-True})"
}
for order in R-1 R-2; do
  body="{\"id\": \"ev-$order\", \"type\": \"refund\", \"order\": \"$order\", \"amount\": 5, \"customer\": {\"name\": \"C\"}}"
  call "refund $order is posted" 200 POST /v1/events/shop -H "$jct" -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
done

# ---- query parameters: empty or twice ----
# bad_query NAME: the last reply is 400 bad_query naming NAME
bad_query() { json "(bad_query naming $1)" "j['error']['code'] == 'bad_query' and j['error']['field'] == '$1'"; }
call "?status= empty is 400, not every instance" 400 GET '/v1/instances?status=' -H "$ops"
bad_query status
has "(saying it is empty)" "?status= is empty"
call "?playbook= empty is 400" 400 GET '/v1/instances?playbook=' -H "$ops"
bad_query playbook
call "?for with no value is 400" 400 GET '/v1/tasks?for' -H "$ops"
bad_query for
call "?status= twice is 400, not the first of the two" 400 GET '/v1/instances?status=done&status=running' -H "$ops"
bad_query status
has "(saying it is given twice)" "?status= is given twice"
call "audit search: ?limit= twice is 400" 400 GET '/v1/audit/search?limit=1&limit=2' -H "$aud"
bad_query limit
call "audit search: ?limit= with a blank before its number is 400" 400 GET '/v1/audit/search?limit=%205' -H "$aud"
bad_query limit
call "audit search: ?limit= with a sign is 400" 400 GET '/v1/audit/search?limit=%2B5' -H "$aud"
bad_query limit
call "audit search: ?playbook= empty is 400, not an empty list" 400 GET '/v1/audit/search?playbook=' -H "$aud"
bad_query playbook
call "audit export: ?since= twice is 400" 400 GET '/v1/audit/export?since=2026-01-01T00:00:00Z&since=2027-01-01T00:00:00Z' -H "$aud"
bad_query since
call "audit search: a '+' left unescaped in ?since= is 400" 400 GET '/v1/audit/search?since=2026-01-01T00:00:00+02:00' -H "$aud"
has "(saying to write it %2B)" "a '+' in a query is a space, write it %2B"
call "(written %2B it is a time)" 200 GET '/v1/audit/search?since=2026-01-01T00:00:00%2B02:00' -H "$aud"
call "each parameter once still works" 200 GET '/v1/instances?status=running&playbook=refund' -H "$ops"
json "(both refunds)" '[i["id"] for i in j["instances"]] == ["i2", "i3"]'

# ---- operator actions without a reason in words ----
call "resolve with an empty reason is 422" 422 POST /v1/tasks/t1/resolve -H "$jct" -H "$ops" --data '{"choice": "yes", "reason": ""}'
json "(naming the field reason)" 'j["error"]["code"] == "refused" and j["error"]["field"] == "reason"'
call "resolve with a reason of white space is 422" 422 POST /v1/tasks/t1/resolve -H "$jct" -H "$ops" --data '{"choice": "yes", "reason": "  \t"}'
json "(naming the field reason)" 'j["error"]["field"] == "reason"'
call "cancel with an empty reason is 422" 422 POST /v1/instances/i3/cancel -H "$jct" -H "$ops" --data '{"reason": ""}'
json "(naming the field reason)" 'j["error"]["code"] == "refused" and j["error"]["field"] == "reason"'
call "cancel with a reason of white space is 422" 422 POST /v1/instances/i3/cancel -H "$jct" -H "$ops" --data '{"reason": "   "}'
json "(naming the field reason)" 'j["error"]["field"] == "reason"'
call "nothing was cancelled" 200 GET /v1/instances/i3 -H "$ops"
json "(i3 still runs)" 'j["status"] == "running"'

# ---- a retry to a state the playbook lacks ----
call "retry with a goto the playbook lacks is 422" 422 POST /v1/instances/i1/retry -H "$jct" -H "$ops" --data '{"goto": "nowhere"}'
json "(naming the field goto)" 'j["error"]["code"] == "refused" and j["error"]["field"] == "goto"'

# ---- an ask closed by its instance's cancel ----
call "a cancel by a token whose person the directory lacks is 422" 422 POST /v1/instances/i3/cancel -H "$jct" -H 'Authorization: Bearer ghost-token' --data '{"reason": "gone"}'
json "(naming the field by)" 'j["error"]["field"] == "by"'
# answers and acks by a person the directory lacks: 422 naming by, as the operator
# actions (not 403 not_your_seat: nobody of that name can hold a seat)
refused bot "an on-behalf answer by a person the directory lacks is 422" /v1/tasks/t1/answer '{"choice": "yes", "by": "zed"}' by \
  'j["error"]["code"] == "refused" and j["error"]["message"] == "by: no person '"'zed'"' in the directory"'
refused bot "an on-behalf ack by a person the directory lacks is 422" /v1/tasks/t1/ack '{"by": "zed"}' by '"no person" in j["error"]["message"]'
refused ghost "an answer by a token whose person the directory lacks is 422" /v1/tasks/t1/answer '{"choice": "yes"}' by \
  'j["error"]["message"] == "by: no person '"'ghost'"' in the directory"'
refused ghost "an ack by it is 422 too" /v1/tasks/t1/ack '{}' by
call "a person the directory has, without a seat, is still 403" 403 POST /v1/tasks/t1/answer -H "$jct" -H 'Authorization: Bearer bot-token' --data '{"choice": "yes", "by": "boss"}'
json "(not_your_seat)" 'j["error"]["code"] == "not_your_seat"'
# a reassignment from a person to the same person: the body's words, naming "to"
refused ops "a reassignment from pat to pat is 422, in the body's words" /v1/tasks/t1/reassign '{"from": "pat", "to": "pat"}' to \
  'j["error"]["message"].startswith("\"from\" and \"to\" name the same person (pat)")'
call "a write with a query parameter is 400, not applied" 400 POST '/v1/instances/i3/cancel?dry_run=1' -H "$jct" -H "$ops" --data '{"reason": "trying"}'
json "(bad_query naming it)" 'j["error"]["code"] == "bad_query" and j["error"]["field"] == "dry_run"'
body='{"id": "ev-Q", "type": "refund", "order": "Q", "amount": 5, "customer": {"name": "C"}}'
call "a signed event with a query parameter is 400" 400 POST '/v1/events/shop?dry_run=1' -H "$jct" -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
call "(and was not applied: i3 still runs, no instance for ev-Q)" 200 GET /v1/instances -H "$ops"
json "(i1 to i3 only, i3 running)" '[(i["id"], i["status"]) for i in j["instances"]][1:] == [("i2", "running"), ("i3", "running")] and len(j["instances"]) == 3'
call "cancel i3 with a reason" 200 POST /v1/instances/i3/cancel -H "$jct" -H "$ops" --data '{"reason": "duplicate"}'
call "answering its ask is 409" 409 POST /v1/tasks/t2/answer -H "$jct" -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
json "(saying it was closed by the cancel, no '(null)')" 'j["error"]["code"] == "conflict" and j["error"]["message"] == "task t2 is already closed: its instance was cancelled"'
call "resolving it is 409 too" 409 POST /v1/tasks/t2/resolve -H "$jct" -H "$ops" --data '{"choice": "yes", "reason": "late"}'
hasnt "(no '(null)')" "(null)"

# ---- directory events ----
refused ops "a directory event of another type is 422" /v1/events/directory '{"type": "gone", "id": "d1", "data": {"person": "pat"}}' type
refused ops "a directory event for nobody is 422" /v1/events/directory '{"type": "back", "id": "d2", "data": {"person": "zed"}}' data.person
refused ops "a directory event with no person is 422" /v1/events/directory '{"type": "back", "id": "d3", "data": {}}' data.person
refused ops "an absence from a day that does not exist is 422" /v1/events/directory '{"type": "away", "id": "d4", "data": {"person": "pat", "from": "2026-02-30"}}' data.from '"2026-02-30 is not a date" in j["error"]["message"]'
refused ops "an absence ending before it starts is 422" /v1/events/directory '{"type": "away", "id": "d5", "data": {"person": "pat", "from": "2026-07-10", "to": "2026-07-01"}}' data.to
refused ops "an absence with a delegate the directory lacks is 422" /v1/events/directory '{"type": "away", "id": "d6", "data": {"person": "pat", "delegate": "zed"}}' data.delegate '"delegate: no such person" in j["error"]["message"]'
refused ops "a directory event's field of the wrong type is 422" /v1/events/directory '{"type": "away", "id": "d7", "data": {"person": "pat", "to": 5}}' data.to
refused ops "a directory event's misspelt field is 422" /v1/events/directory '{"type": "away", "id": "d8", "data": {"person": "pat", "frm": "2026-07-01"}}' data.frm

# ---- an event's type or id that is no id, from a connector's or the directory's body ----
refused ops "an event whose type is empty is 422" /v1/events/crm '{"type": "", "id": "x1"}' type 'j["error"]["message"] == "the event type is empty"'
refused ops "(a type that is no text names it so too)" /v1/events/crm '{"type": 7, "id": "x1"}' type
refused ops "a directory event whose type is empty is 422" /v1/events/directory '{"type": "", "id": "d9", "data": {"person": "pat"}}' type

serve_stop
[ "$serve_rc" = 0 ] && ok "serve exits 0 at SIGTERM" || no "serve exits 0 at SIGTERM ($serve_rc)" "$tmp/serve.log"
serve_log_ok "every log line is JSON, no sanitizer report"
plan
