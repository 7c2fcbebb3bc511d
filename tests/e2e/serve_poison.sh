#!/bin/sh
# tests/e2e/serve_poison.sh - inputs in flight when serve dies, and poison inputs
# (docs/operations.md, "Inputs in flight and poison inputs"). HUDDLE_CRASH_ON_INPUT=ID
# makes applying the input with that event or task id abort serve, every time, like a
# bug would. Such an input is noted in DIR/inputs.inflight before its commit; each
# restart applies it alone first (and dies again), counting the tries; after the third it
# is set aside: an event is marked seen (a resend is a duplicate that runs nothing), an
# answer stalls its instance with "poison input", and serve stays up. An input in flight
# that does not kill serve is applied alone at the restart. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
inflight=$db/inputs.inflight

event() { # event ID ORDER: a refund event's body
  printf '{"id": "%s", "type": "refund", "at": "2026-06-15T08:10:00+03:00", "order": "%s", "amount": 30, "customer": {"name": "Ann"}}' "$1" "$2"
}
post() { # post DESC STATUS BODY
  call "$1" "$2" POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$3")" --data "$3"
}
died() { # died DESC: serve ended by SIGABRT (134) within 5 s
  i=0
  while [ $i -lt 50 ] && kill -0 "$serve_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$serve_pid" 2>/dev/null; then kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=; no "$1 (it is still running)"; return; fi
  wait "$serve_pid"; rc=$?; serve_pid=
  if [ "$rc" -eq 134 ]; then ok "$1"; else no "$1 (exit $rc, wanted 134: SIGABRT)" "$tmp/serve.log"; fi
}
# The file's lines end at its first NUL byte (what lies past it is an earlier round's).
LINES='import json, sys
def lines(path):
    text = open(path, "rb").read().split(b"\0")[0].decode()
    return [json.loads(l) for l in text.splitlines() if l.strip()]'
tries() { # tries DESC N: the file holds one input, tried N times
  if "$PY" -c "$LINES"'
sys.exit(0 if [l["attempts"] for l in lines(sys.argv[1])] == [int(sys.argv[2])] else 1)' "$inflight" "$2" 2> /dev/null
  then ok "$1"; else cp "$inflight" "$tmp/why" 2>/dev/null; no "$1" "$tmp/why"; fi
}
no_lines() { # no_lines DESC: the file is there and holds no input
  if [ -f "$inflight" ] && "$PY" -c "$LINES"'
sys.exit(0 if lines(sys.argv[1]) == [] else 1)' "$inflight" 2> /dev/null
  then ok "$1"; else cp "$inflight" "$tmp/why" 2>/dev/null; no "$1" "$tmp/why"; fi
}

# ---- an event that kills serve ----
export HUDDLE_CRASH_ON_INPUT=r-bad
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
post "a good event is accepted" 200 "$(event r-good A1)"
json "and starts i1" 'j["went"] == [{"playbook": "refund", "instance": "i1", "as": "started"}]'
no_lines "after its commit inputs.inflight holds no input"
status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
  -H "X-Huddle-Signature: $(sign "$(event r-bad B1)")" --data "$(event r-bad B1)" "$base/v1/events/shop")
if [ "$status" = "000" ]; then ok "the poison event gets no reply: serve died in its step"; else no "the poison event gets no reply (got $status)" "$tmp/out"; fi
died "serve was stopped by the input (SIGABRT)"
tries "inputs.inflight kept it, tried once" 1
for try in 2 3; do
  if serve_start "$db"; then no "restart $try: serve does not start listening"; serve_stop; else ok "restart $try: applying it alone kills serve before it listens"; fi
  died "restart $try: stopped by the input again"
  tries "restart $try: tried $try times" "$try"
done
serve_start "$db" || { no "the fourth start listens" "$tmp/serve.log"; plan; exit 0; }
ok "the fourth start sets it aside and listens"
has_log() { if grep -q "$2" "$tmp/serve.log"; then ok "$1"; else no "$1" "$tmp/serve.log"; fi; }
has_log "the log says poison_input, with the event's id and the tries" '"event":"poison_input","kind":"event","source":"shop","id":"r-bad","attempts":3,"result":"set aside"'
no_lines "inputs.inflight holds no input again"
post "the sender's resend is accepted" 200 "$(event r-bad B1)"
json "as a duplicate that runs nothing" 'j["duplicate"] is True'
call "metrics" 200 GET /metrics
has "count the poisoned input" "huddle_inputs_poisoned_total 1"
has "and the ones applied alone at a start (two tries that died)" "huddle_inputs_recovered_total 0"
call "the instances" 200 GET /v1/instances -H 'Authorization: Bearer ops-token'
json "the poison event started none: only i1" '[i["id"] for i in j["instances"]] == ["i1"]'
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve stops at SIGTERM (exit 0)" || no "serve stops at SIGTERM (got $serve_rc)" "$tmp/serve.log"

# ---- an answer that kills serve ----
export HUDDLE_CRASH_ON_INPUT=t1
serve_start "$db" || { no "serve starts (answers)" "$tmp/serve.log"; plan; exit 0; }
status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}' "$base/v1/tasks/t1/answer")
if [ "$status" = "000" ]; then ok "pat's answer to t1 gets no reply: serve died in its step"; else no "pat's answer gets no reply (got $status)" "$tmp/out"; fi
died "serve was stopped by the answer"
for try in 2 3; do
  serve_start "$db" && { no "restart $try: serve does not listen"; serve_stop; }
  died "restart $try (answer): stopped by it again"
done
serve_start "$db" || { no "the fourth start listens (answer)" "$tmp/serve.log"; plan; exit 0; }
has_log "the log names the answer set aside" '"event":"poison_input","kind":"answer","task":"t1","by":"pat","attempts":3'
call "i1's history" 200 GET /v1/instances/i1/history -H 'Authorization: Bearer ops-token'
json "i1 stalled with the poison input's reason" \
  'j["history"][-1]["kind"] == "stalled" and j["history"][-1]["error"].startswith("poison input: the answer by pat to t1 choosing yes stopped the runtime each of the 3 times")'
json "pat's answer was not applied" 'not any(r["kind"] == "answered" for r in j["history"])'
serve_stop
unset HUDDLE_CRASH_ON_INPUT
serve_start "$db" || { no "serve starts without the fault" "$tmp/serve.log"; plan; exit 0; }
call "ops retries i1 over HTTP, the fault gone" 200 POST /v1/instances/i1/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"reason": "the fault is fixed"}'
call "i1's history after the retry" 200 GET /v1/instances/i1/history -H 'Authorization: Bearer ops-token'
json "its retried record names who, the token and why" '[(r.get("by"), r.get("token"), r.get("reason")) for r in j["history"] if r["kind"] == "retried"] == [("op", "ops", "the fault is fixed")]'
call "pat answers t1 again" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
json "and it is applied" 'j == {"task": "t1", "by": "pat", "answered": "yes"}'
serve_stop

# ---- an innocent input in flight, a line cut by a crash, an earlier round's past the end ----
flight_line() { # flight_line ID ORDER: an event's line as serve writes it
  printf '%s\n' "{\"attempts\": 1, \"kind\": \"event\", \"source\": \"shop\", \"type\": \"refund\", \"id\": \"$1\", \"data\": {\"order\": \"$2\", \"amount\": 5, \"customer\": {\"name\": \"Cy\"}}, \"time\": 1781500200000}"
}
flight_line r-flight C1 > "$inflight"
printf '{"attempts": 1, "kind": "eve' >> "$inflight"
printf '\n\000"the tail of an older line"}\n' >> "$inflight"   # a shorter round wrote over a longer one
flight_line r-stale D1 >> "$inflight"
serve_start "$db" || { no "serve starts with inputs in flight" "$tmp/serve.log"; plan; exit 0; }
has_log "the input in flight is applied alone, on its second try" '"event":"input_recovered","kind":"event","source":"shop","id":"r-flight","attempts":2,"result":"applied"'
has_log "the cut line is skipped with a warning" '"event":"input_unreadable"'
if grep -q 'r-stale' "$tmp/serve.log"; then no "a line past the NUL byte (an earlier round's) is not replayed" "$tmp/serve.log"; else ok "a line past the NUL byte (an earlier round's) is not replayed"; fi
no_lines "inputs.inflight holds no input after the start"
call "the instances" 200 GET /v1/instances -H 'Authorization: Bearer ops-token'
json "r-flight started i2" '[i["id"] for i in j["instances"]] == ["i1", "i2"]'
post "its sender's resend" 200 "$(event r-flight C1)"
json "is a duplicate" 'j["duplicate"] is True'
call "metrics" 200 GET /metrics
has "count it" "huddle_inputs_recovered_total 1"
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve stops at SIGTERM (exit 0)" || no "serve stops at SIGTERM (got $serve_rc)" "$tmp/serve.log"
serve_log_ok "its log is JSON, with no sanitizer report"
invariants_hold "$db"
plan
