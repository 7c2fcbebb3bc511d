#!/bin/sh
# tests/e2e/serve_contract.sh - `huddle serve` checked against RUNTIME.md's text alone
# ("Interfaces", "Connectors", "Several processes"), as a client author reads it: every
# route answers, every refusal is {"error": {"code", "message", "field"}} with the status
# the contract names, every 401 says how to authenticate (WWW-Authenticate), webhooks take
# signatures and JSON pointers (nested, ~1-escaped), a typed event that does not fit is
# 422 with the field's path and recorded nowhere, tokens (on_behalf, may, the token's name
# beside by), Idempotency-Key (a repeat gets the first response; a bad key says why),
# /healthz and /metrics without a token (Prometheus text: every sample under its TYPE,
# counts that only grow as counters named _total), the lock against a second serve and
# tick, SIGTERM. Bounded: well under 60 s and 300 requests. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
# json as lib.sh's, through $PY (Debian's python3: a python3 earlier in PATH, a pyenv
# shim say, may take a second to start, and this script checks a hundred replies)
json() {
  if "$PY" -c 'import json,sys; j=json.loads(open(sys.argv[1]).read()); sys.exit(0 if ('"$2"') else 1)' "$tmp/out" 2>>"$tmp/out"
  then ok "$1"; else no "$1"; fi
}
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }

# A webhook whose pointers are nested and escaped (RFC 6901), and two more tokens: an
# auditor, and a person whose "may" is empty.
export DEEP_SECRET=deep-s3cret
"$PY" - "$tmp/connectors.json" "$tmp/tokens.json" <<'PY'
import hashlib, json, sys
c = json.load(open(sys.argv[1]))
c["deep"] = {"kind": "webhook", "secret_env": "DEEP_SECRET", "id": "/meta/id", "type": "/meta/a~1b", "time": "/meta/when"}
json.dump(c, open(sys.argv[1], "w"))
t = json.load(open(sys.argv[2]))
t["auditor"] = {"sha256": hashlib.sha256(b"auditor-token").hexdigest(), "person": "boss", "may": ["audit"]}
t["mute"] = {"sha256": hashlib.sha256(b"mute-token").hexdigest(), "person": "sam", "may": []}
json.dump(t, open(sys.argv[2], "w"))
PY
cat > "$tmp/deep.play" <<'PLAY'
playbook deep

on deep.ping as ev

state start {
  done "{meta(ev).id} {meta(ev).type} {meta(ev).time} {ev.meta.extra}"
}
PLAY
"$h" deploy "$tmp/deep.play" --db "$db" --connectors "$tmp/connectors.json" > "$tmp/out" 2>&1 || no "deploy deep.play"

serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts on a free port of 127.0.0.1"

# ---- one serve per store; tick refused beside it (RUNTIME.md "Several processes") ----
expect "a second serve on the store exits 3" 3 "$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json"
expect "tick beside serve is refused (exit 3)" 3 "$h" tick --db "$db"
expect "a write command works beside serve" 0 "$h" instances --db "$db"

# hcall DESC STATUS METHOD PATH [CURL ARGS]: call, with the reply's headers in $tmp/headers
hcall() {
  d=$1 want=$2 m=$3 p=$4; shift 4
  status=$(curl -s -D "$tmp/headers" -o "$tmp/out" -w '%{http_code}' --max-time 10 -X "$m" "$@" "$base$p")
  if [ "$status" = "$want" ]; then ok "$d"; else printf '\n# status %s, wanted %s\n' "$status" "$want" >> "$tmp/out"; no "$d"; fi
}
# header DESC TEXT: the last reply's headers hold TEXT (any case of the name)
header() { if tr -d '\r' < "$tmp/headers" | grep -qiF -- "$2"; then ok "$1"; else no "$1" "$tmp/headers"; fi; }
# refusal DESC CODE FIELD: the body is exactly {"error": {"code", "message", "field"}}
refusal() {
  json "$1" 'list(j) == ["error"] and sorted(j["error"]) == ["code", "field", "message"] and j["error"]["code"] == "'"$2"'" and j["error"]["field"] == '"$3"' and len(j["error"]["message"]) > 10'
}
J='Content-Type: application/json'
pat='Authorization: Bearer pat-token'
ops='Authorization: Bearer ops-token'

# ---- /healthz and /metrics: no token ---------------------------------------------------
hcall "GET /healthz needs no token" 200 GET /healthz
json "and says ok" 'j == {"status": "ok"}'
hcall "GET /metrics needs no token" 200 GET /metrics
header "in Prometheus text format" "Content-Type: text/plain; version=0.0.4"

# ---- tokens: 401 says how to authenticate (RFC 9110: WWW-Authenticate on every 401) ----
hcall "no token: 401" 401 GET /v1/tasks
refusal "unauthorized, field Authorization" unauthorized '"Authorization"'
header "with WWW-Authenticate: Bearer" 'WWW-Authenticate: Bearer realm="huddle"'
hcall "an unknown token: 401" 401 GET /v1/tasks -H 'Authorization: Bearer nobody-token'
header "its challenge says the token is invalid (RFC 6750)" 'error="invalid_token"'
hcall "Authorization that is not Bearer: 401" 401 GET /v1/tasks -H 'Authorization: Basic cGF0OnBhdA=='
json "saying it is not of the form Bearer TOKEN" '"not of the form Bearer TOKEN" in j["error"]["message"]'
header "its challenge says the request is invalid" 'error="invalid_request"'
hcall "a person whose may is empty may not read: 403" 403 GET /v1/tasks -H 'Authorization: Bearer mute-token'
refusal "forbidden" forbidden None
hcall "a token without audit may not read the audit record: 403" 403 GET /v1/audit/head -H "$ops"
hcall "the auditor may" 200 GET /v1/audit/head -H 'Authorization: Bearer auditor-token'
json "the head and count" 'sorted(j) == ["count", "head"]'
hcall "the auditor may not read tasks (only what may lists)" 403 GET /v1/tasks -H 'Authorization: Bearer auditor-token'

# ---- webhooks: signatures and JSON pointers -------------------------------------------
ev1='{"id": "c1", "type": "refund", "at": "2026-06-15T08:10:00+03:00", "order": "C1", "amount": 30, "customer": {"name": "Ann"}}'
hcall "a webhook without its signature: 401" 401 POST /v1/events/shop -H "$J" --data "$ev1"
refusal "bad_signature, field X-Huddle-Signature" bad_signature '"X-Huddle-Signature"'
header "saying how to sign" 'WWW-Authenticate: Huddle-Signature'
hcall "a wrong signature: 401" 401 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$ev1 ")" --data "$ev1"
upper=$(sign "$ev1" | sed 's/sha256=//' | tr a-f A-F)
hcall "a signed webhook (hex in capitals) is accepted: 200" 200 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: sha256=$upper" --data "$ev1"
json "with where it went" 'j == {"id": "c1", "duplicate": False, "went": [{"playbook": "refund", "instance": "i1", "as": "started"}]}'
hcall "the same id again: 200" 200 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$ev1")" --data "$ev1"
json "duplicate true, and nothing changes" 'j == {"id": "c1", "duplicate": True, "went": []}'
hcall "an unknown connector: 404" 404 POST /v1/events/nosuch -H "$J" -H 'Authorization: Bearer feeder-token' --data '{"type": "x", "id": "n"}'
refusal "unknown_connector" unknown_connector None
noid='{"type": "refund", "order": "C9", "amount": 1, "customer": {"name": "N"}}'
hcall "a body with no id: 422" 422 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$noid")" --data "$noid"
json "naming the pointer" 'j["error"]["field"] == "/id"'
deep='{"meta": {"id": "d-1", "a/b": "ping", "when": "2026-06-15T05:00:00Z", "extra": "x1"}}'
DS=$(SHOP_SECRET=$DEEP_SECRET sign "$deep")
hcall "nested pointers (/meta/id, /meta/a~1b, /meta/when) find the id, type and time" 200 POST /v1/events/deep -H "$J" -H "X-Huddle-Signature: $DS" --data "$deep"
json "the event went to deep" 'j["went"][0]["playbook"] == "deep"'
inst=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["went"][0]["instance"])' "$tmp/out" 2>/dev/null)
hcall "its instance" 200 GET "/v1/instances/$inst" -H "$ops"
json "saw the id, the type, the time, and the whole body as data" 'j["outcome"].startswith("d-1 ping 2026-06-15T05:00:00") and j["outcome"].endswith(" x1")'

# ---- typed events: 422 with the field's path, recorded nowhere ------------------------
bad='{"id": "c2", "type": "refund", "order": "C2", "amount": "30", "customer": {"name": "Bo"}}'
hcall "an event that does not fit its type: 422" 422 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$bad")" --data "$bad"
refusal "event_type, with the field's path" event_type '"data.amount"'
json "saying what was expected" '"expected an integer" in j["error"]["message"]'
bad='{"id": "c2", "type": "refund", "order": "C2", "amount": 30, "customer": {"tier": 1}}'
hcall "a nested field missing: 422" 422 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$bad")" --data "$bad"
json "its path is data.customer.name" 'j["error"]["field"] == "data.customer.name"'
good='{"id": "c2", "type": "refund", "order": "C2", "amount": 30, "customer": {"name": "Bo"}}'
hcall "the same id, fitting now" 200 POST /v1/events/shop -H "$J" -H "X-Huddle-Signature: $(sign "$good")" --data "$good"
json "is no duplicate: the refused ones were recorded nowhere" 'j["duplicate"] is False and j["went"][0]["as"] == "started"'

# ---- tasks: answer, ack, by, on_behalf, the token's name beside by ---------------------
hcall "GET /v1/tasks?for=pat" 200 GET '/v1/tasks?for=pat' -H "$pat"
json "lists pat's open asks" '[t["id"] for t in j["tasks"]] == ["t1", "t2"]'
hcall "an answer with an unknown field: 422" 422 POST /v1/tasks/t1/answer -H "$J" -H "$pat" --data '{"choice": "yes", "choise": "no"}'
refusal "invalid, naming the field" invalid '"choise"'
hcall "an answer that is not JSON: 400" 400 POST /v1/tasks/t1/answer -H "$J" -H "$pat" --data '{"choice": '
refusal "malformed" malformed None
hcall "an answer as text/plain: 415" 415 POST /v1/tasks/t1/answer -H 'Content-Type: text/plain' -H "$pat" --data '{"choice": "yes"}'
refusal "content_type, field Content-Type" content_type '"Content-Type"'
hcall "an on-behalf service without by: 422" 422 POST /v1/tasks/t1/answer -H "$J" -H 'Authorization: Bearer bot-token' --data '{"choice": "yes"}'
refusal "naming by" invalid '"by"'
hcall "the service answers for pat: 200" 200 POST /v1/tasks/t1/answer -H "$J" -H 'Authorization: Bearer bot-token' --data '{"choice": "yes", "by": "pat"}'
json "by pat" 'j == {"task": "t1", "by": "pat", "answered": "yes"}'
hcall "the service may not read (may lists answer alone): 403" 403 GET /v1/instances/i1 -H 'Authorization: Bearer bot-token'
hcall "pat may not answer as sam: 403" 403 POST /v1/tasks/t1/answer -H "$J" -H "$pat" --data '{"choice": "yes", "by": "sam"}'
hcall "sam acks t1 (no body)" 200 POST /v1/tasks/t1/ack -H 'Authorization: Bearer sam-token'
json "acknowledged by sam" 'j == {"task": "t1", "by": "sam", "acknowledged": "yes"}'
hcall "sam answers no without its comment: 422" 422 POST /v1/tasks/t1/answer -H "$J" -H 'Authorization: Bearer sam-token' --data '{"choice": "no"}'
refusal "refused, naming comment" refused '"comment"'
hcall "sam answers no with a comment" 200 POST /v1/tasks/t1/answer -H "$J" -H 'Authorization: Bearer sam-token' --data '{"choice": "no", "comment": "not this one"}'
hcall "an answer to a resolved task with another choice: 409" 409 POST /v1/tasks/t1/answer -H "$J" -H "$ops" --data '{"choice": "yes"}'
refusal "conflict" conflict None
hcall "an unknown task: 404" 404 POST /v1/tasks/t99/answer -H "$J" -H "$pat" --data '{"choice": "yes"}'
refusal "not_found" not_found None
hcall "GET /v1/instances/i1/history" 200 GET /v1/instances/i1/history -H "$pat"
json "records the token's name beside by" \
  '[(r["kind"], r["by"], r["token"]) for r in j["history"] if r["kind"] in ("answered", "acknowledged")] == [("answered", "pat", "bot"), ("acknowledged", "sam", "sam"), ("answered", "sam", "sam")]'
json "and how it ended" 'j["history"][-1]["kind"] == "failed"'

# ---- operators ------------------------------------------------------------------------
hcall "a person may not operate: 403" 403 POST /v1/tasks/t2/resolve -H "$J" -H "$pat" --data '{"choice": "yes", "reason": "r"}'
hcall "reassign {from, to}" 200 POST /v1/tasks/t2/reassign -H "$J" -H "$ops" --data '{"from": "sam", "to": "boss"}'
hcall "sam, who holds no seat now, answers: 403" 403 POST /v1/tasks/t2/answer -H "$J" -H 'Authorization: Bearer sam-token' --data '{"choice": "yes"}'
refusal "not_your_seat" not_your_seat None
hcall "resolve without a reason: 422" 422 POST /v1/tasks/t2/resolve -H "$J" -H "$ops" --data '{"choice": "yes"}'
refusal "naming reason" invalid '"reason"'
hcall "resolve {choice, reason}" 200 POST /v1/tasks/t2/resolve -H "$J" -H "$ops" --data '{"choice": "yes", "reason": "checked"}'
hcall "retry of an instance that is not stalled: 409" 409 POST /v1/instances/i3/retry -H "$J" -H "$ops" --data '{"goto": "decide"}'
hcall "GET /v1/instances/i3/history" 200 GET /v1/instances/i3/history -H "$ops"
json "the reassign and the override name the ops token beside by" \
  '[(r["kind"], r["by"], r["token"]) for r in j["history"] if r["kind"] in ("delegated", "overridden")] == [("delegated", "op", "ops"), ("overridden", "op", "ops")]'

# ---- Idempotency-Key --------------------------------------------------------------------
ev5='{"id": "c5", "type": "refund", "order": "C5", "amount": 5, "customer": {"name": "Cy"}}'
hcall "an event with Idempotency-Key" 200 POST /v1/events/shop -H "$J" -H 'Idempotency-Key: ck-1' -H "X-Huddle-Signature: $(sign "$ev5")" --data "$ev5"
cp "$tmp/out" "$tmp/first"
hcall "its repeat: 200" 200 POST /v1/events/shop -H "$J" -H 'Idempotency-Key: ck-1' -H "X-Huddle-Signature: $(sign "$ev5")" --data "$ev5"
if cmp -s "$tmp/first" "$tmp/out"; then ok "gets the first response (not a duplicate's)"; else no "gets the first response" "$tmp/out"; fi
header "marked Idempotent-Replay" "Idempotent-Replay: true"
hcall "an answer refused by the engine, keyed" 422 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-2' --data '{"choice": "maybe"}'
hcall "its repeat gets the first response: 422" 422 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-2' --data '{"choice": "maybe"}'
json "(the engine's refusal, replayed)" 'j["error"]["code"] == "refused" and j["error"]["field"] == "choice"'
header "(marked Idempotent-Replay)" "Idempotent-Replay: true"
# the key reused with another body is not a repeat: refused, never the first reply as if applied
hcall "the key with another body: 422, not the first response" 422 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-2' --data '{"choice": "yes"}'
refusal "idempotency_key_reused" idempotency_key_reused '"Idempotency-Key"'
json "(saying to send the same body or a new key)" '"same body" in j["error"]["message"] and "new key" in j["error"]["message"]'
if grep -qi "Idempotent-Replay" "$tmp/headers"; then no "(not marked a replay)" "$tmp/headers"; else ok "(not marked a replay)"; fi
hcall "nothing of it was applied: t3 is still open" 200 GET /v1/tasks -H "$ops"
json "(t3 open, unanswered)" '[t["id"] for t in j["tasks"] if t["id"] == "t3"] == ["t3"]'
hcall "the refusal is not kept: the first body still replays" 422 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-2' --data '{"choice": "maybe"}'
json "(the first response)" 'j["error"]["code"] == "refused" and j["error"]["field"] == "choice"'
ev6='{"id": "c6", "type": "refund", "order": "C6", "amount": 6, "customer": {"name": "Di"}}'
hcall "an event with another body under an event's key: 422" 422 POST /v1/events/shop -H "$J" -H 'Idempotency-Key: ck-1' -H "X-Huddle-Signature: $(sign "$ev6")" --data "$ev6"
refusal "idempotency_key_reused" idempotency_key_reused '"Idempotency-Key"'
hcall "and that event was not dropped unsaid: sent under a new key it is new" 200 POST /v1/events/shop -H "$J" -H 'Idempotency-Key: ck-6' -H "X-Huddle-Signature: $(sign "$ev6")" --data "$ev6"
json "(not a duplicate)" 'j["id"] == "c6" and j["duplicate"] is False'
hcall "a request refused at the door (bad JSON), keyed" 400 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-3' --data '{"choice": '
hcall "is not kept: the corrected request runs" 200 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key: ck-3' --data '{"choice": "yes"}'
hcall "an empty Idempotency-Key: 400" 400 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H 'Idempotency-Key;' --data '{"choice": "yes"}'
refusal "bad_idempotency_key" bad_idempotency_key '"Idempotency-Key"'
json "saying it is empty" '"Idempotency-Key is empty" in j["error"]["message"]'
long=$(printf '%0300d' 0)
hcall "an Idempotency-Key of 300 bytes: 400" 400 POST /v1/tasks/t3/answer -H "$J" -H "$pat" -H "Idempotency-Key: $long" --data '{"choice": "yes"}'
json "saying how long it may be" '"more than the 256" in j["error"]["message"]'

hcall "cancel {reason}" 200 POST /v1/instances/i4/cancel -H "$J" -H "$ops" --data '{"reason": "a test"}'
hcall "cancel again: 409" 409 POST /v1/instances/i4/cancel -H "$J" -H "$ops" --data '{"reason": "a test"}'
hcall "GET /v1/instances/i4" 200 GET /v1/instances/i4 -H "$ops"
json "cancelled" 'j["status"] == "cancelled"'

# deep DESC STATUS BODY: BODY signed to the deep webhook
deep() { hcall "$1" "$2" POST /v1/events/deep -H "$J" -H "X-Huddle-Signature: $(SHOP_SECRET=$DEEP_SECRET sign "$3")" --data "$3"; }
# a whole-number id (many sources number their events) is its decimal text; a number
# with a fraction would make 1 and 1.0 two ids of one event, and is refused
num='{"meta": {"id": 4711, "a/b": "ping", "extra": "n1"}}'
deep "a whole-number event id is accepted: 200" 200 "$num"
json "as its decimal text" 'j["id"] == "4711" and j["duplicate"] is False and j["went"][0]["playbook"] == "deep"'
num='{"meta": {"id": "4711", "a/b": "ping", "extra": "n2"}}'
deep "the same id as a string: 200" 200 "$num"
json "is a duplicate of it" 'j == {"id": "4711", "duplicate": True, "went": []}'
# past 64 bits (2^63 and more): still its exact decimal text, read from the body's digits
num='{"meta": {"id": 9223372036854775808, "a/b": "ping", "extra": "n4"}}'
deep "a whole-number id of 2^63: 200" 200 "$num"
json "as its exact decimal text" 'j["id"] == "9223372036854775808" and j["duplicate"] is False'
num='{"meta": {"id": "9223372036854775808", "a/b": "ping", "extra": "n5"}}'
deep "the same id as a string: 200" 200 "$num"
json "is a duplicate of it" 'j == {"id": "9223372036854775808", "duplicate": True, "went": []}'
num='{"meta": {"id": 9223372036854775809, "a/b": "ping", "extra": "n6"}}'
deep "2^63 + 1 (one double with 2^63): 200" 200 "$num"
json "is another id, not a duplicate" 'j["id"] == "9223372036854775809" and j["duplicate"] is False'
num='{"meta": {"id": -123456789012345678901234567890, "a/b": "ping", "extra": "n7"}}'
deep "a negative one of 30 digits: 200" 200 "$num"
json "as its digits" 'j["id"] == "-123456789012345678901234567890"'
num="{\"meta\": {\"id\": 1$(printf '%0256d' 0), \"a/b\": \"ping\"}}"
deep "one of 257 digits: 422" 422 "$num"
json "(an id over 256 bytes, not a fraction)" 'j["error"]["field"] == "/meta/id" and "257 bytes" in j["error"]["message"] and "fraction" not in j["error"]["message"]'
num='{"meta": {"id": 4712.0, "a/b": "ping", "extra": "n3"}}'
deep "an id with a fraction: 422" 422 "$num"
json "naming the pointer and what to send" 'j["error"]["field"] == "/meta/id" and "a whole number or a string" in j["error"]["message"]'

# ---- routes and methods ----------------------------------------------------------------
hcall "GET /v1/instances" 200 GET /v1/instances -H "$ops"
json "lists the instances with their versions" 'len(j["instances"]) >= 4 and all(len(i["version"]) == 64 for i in j["instances"])'
hcall "an unknown route: 404" 404 GET /v1/nothing -H "$ops"
refusal "not_found" not_found None
hcall "a wrong method: 405" 405 GET /v1/tasks/t1/answer -H "$pat"
refusal "method" method None
header "with Allow" "Allow: POST"
head -c 1100000 /dev/zero | tr '\0' 'a' > "$tmp/big"
hcall "a body over 1 MiB: 413" 413 POST /v1/tasks/t3/answer -H "$J" -H "$pat" --data-binary @"$tmp/big"
refusal "too_large" too_large None

# ---- /metrics: names and types ---------------------------------------------------------
curl -s --max-time 10 "$base/metrics" > /dev/null   # asks for the gauges counted in the next round
sleep 1.2
hcall "metrics after the work" 200 GET /metrics
cp "$tmp/out" "$tmp/metrics"
"$PY" - "$tmp/metrics" > "$tmp/out" 2>&1 <<'PY'
import re, sys
types, seen, bad = {}, set(), []
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# TYPE (\w+) (counter|gauge|histogram)$", line)
    if m:
        types[m.group(1)] = m.group(2); continue
    if line.startswith("#") or not line:
        continue
    m = re.match(r'([a-zA-Z_:][\w:]*)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|\+Inf)$', line)
    if not m:
        bad.append("not a sample: " + line); continue
    name = m.group(1)
    family = re.sub(r"_(bucket|sum|count)$", "", name) if re.sub(r"_(bucket|sum|count)$", "", name) in types and name not in types else name
    if family not in types:
        bad.append("no TYPE before " + name)
    seen.add(family)
for name, kind in types.items():
    if (kind == "counter") != name.endswith("_total"):
        bad.append("%s is a %s: a counter and only a counter ends in _total" % (name, kind))
want = {"huddle_requests_accepted_total": "counter", "huddle_requests_refused_total": "counter",
        "huddle_steps_total": "counter", "huddle_commits_failed_total": "counter",
        "huddle_commit_latency_ms": "histogram", "huddle_batch_size": "histogram",
        "huddle_timers_fired_total": "counter", "huddle_queue_depth": "gauge",
        "huddle_open_tasks": "gauge", "huddle_instances_running": "gauge", "huddle_instances_stalled": "gauge",
        "huddle_outbox_pending": "gauge", "huddle_outbox_failed": "gauge", "huddle_deliveries_total": "counter"}
for name, kind in want.items():
    if types.get(name) != kind:
        bad.append("%s: %s, wanted %s" % (name, types.get(name), kind))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
if [ $? -eq 0 ]; then ok "every sample is under its TYPE, counters end in _total, the documented names have their types"; else no "metrics names and types"; fi
if grep -q '^huddle_deliveries_total{outcome="ok"} [0-9]' "$tmp/metrics"; then ok "deliveries are counted by outcome"; else no "deliveries are counted by outcome" "$tmp/metrics"; fi
if grep -q '^huddle_requests_refused_total{status="401"} [1-9]' "$tmp/metrics"; then ok "refusals are counted by status"; else no "refusals are counted by status" "$tmp/metrics"; fi

# ---- SIGTERM -----------------------------------------------------------------------------
serve_stop
if [ "$serve_rc" -eq 0 ]; then ok "SIGTERM: serve exits 0"; else no "SIGTERM: serve exits 0 (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "every log line is JSON"
if grep -q 'pat-token\|bot-token\|s3cret' "$tmp/serve.log"; then no "no token or secret in the log" "$tmp/serve.log"; else ok "no token or secret in the log"; fi
expect "tick works once serve is gone" 0 "$h" tick --db "$db"
expect "serve refuses a webhook secret that is set but empty (exit 1)" 1 env SHOP_SECRET= "$h" serve --db "$db" --listen 127.0.0.1:0
has "saying it is empty, not that it is not set" "environment variable SHOP_SECRET, which is empty"
plan
