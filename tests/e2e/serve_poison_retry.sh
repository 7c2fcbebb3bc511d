#!/bin/sh
# tests/e2e/serve_poison_retry.sh - retrying an instance that a poison answer stalled in its
# ask (docs/operations.md, "Inputs in flight and poison inputs"; docs/runtime.md):
#   - `retry --goto STATE` leaves the ask, so it is cancelled (its holders told) in the
#     retry's transaction. Before, it stayed open beside the new ask: in every inbox,
#     still taking answers that changed nothing, and open after the instance was done.
#   - a plain `retry` goes on waiting in the ask (no input stalled it), and a deadline
#     that came due while it was stalled fires then. Before, the retry resumed the ask
#     with no input and stalled again ("this input does not fit what the instance waits
#     for"), every time: only --goto got the instance out.
# HUDDLE_CRASH_ON_INPUT=ID makes applying the answer to task ID abort serve. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
ev='{"id": "r1", "type": "refund", "order": "A1", "amount": 30, "customer": {"name": "Ann"}}'

# poison TASK CHOICE: serve restarted with the fault, pat's answer kills it three times;
# the fourth start (without the fault) listens
poison() {
  serve_stop
  export HUDDLE_CRASH_ON_INPUT=$1
  serve_start "$db" || return 1
  curl -s -o /dev/null --max-time 10 -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' \
    --data "{\"choice\": \"$2\"}" "$base/v1/tasks/$1/answer"
  for try in 1 2 3; do
    i=0
    while [ $i -lt 50 ] && kill -0 "$serve_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; serve_pid=
    [ $try -lt 3 ] && serve_start "$db"
  done
  unset HUDDLE_CRASH_ON_INPUT
  serve_start "$db"
}

serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
call "an event starts i1, asking t1" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
poison t1 yes || { no "the fourth start listens" "$tmp/serve.log"; plan; exit 0; }
call "i1" 200 GET /v1/instances/i1 -H 'Authorization: Bearer ops-token'
json "is stalled by the poison answer" 'j["status"] == "stalled"'
call "ops retries i1 in state decide" 200 POST /v1/instances/i1/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"goto": "decide"}'
call "the open asks" 200 GET /v1/tasks -H 'Authorization: Bearer ops-token'
json "are t2 only: t1, the ask i1 left, is closed" '[t["id"] for t in j["tasks"]] == ["t2"]'
call "pat's answer to t1 is refused" 409 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
serve_stop
expect "huddle tasks" 0 "$h" tasks --db "$db" --for pat
hasnt "no longer lists t1 in pat's inbox" "t1 "
expect "i1's history" 0 "$h" history i1 --db "$db" --json
json_lines() { "$PY" -c 'import json, sys; r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]; sys.exit(0 if ('"$2"') else 1)' "$tmp/out" && ok "$1" || no "$1"; }
json_lines "tells t1's holders it was cancelled, after the retried record" \
  'sorted(x["person"] for x in r if x["kind"] == "notified" and x.get("task") == "t1" and x["seq"] > [y["seq"] for y in r if y["kind"] == "retried"][0]) == ["pat", "sam"]'

# ---- a plain retry: the ask waits on, and its deadline, due meanwhile, fires ----
quick='{"id": "q1", "type": "quick", "what": "W"}'
serve_start "$db" || { no "serve starts again" "$tmp/serve.log"; plan; exit 0; }
call "a quick event starts i2, asking t3 (2 s to answer)" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$quick")" --data "$quick"
json "(i2)" 'j["went"] == [{"playbook": "quick", "instance": "i2", "as": "started"}]'
poison t3 ok || { no "the fourth start listens (t3)" "$tmp/serve.log"; plan; exit 0; }
sleep 2.5   # t3's deadline comes due while i2 is stalled
call "ops retries i2" 200 POST /v1/instances/i2/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{}'
json "and it does not stall again" 'j["note"] is None'
call "i2" 200 GET /v1/instances/i2 -H 'Authorization: Bearer ops-token'
json "is done: the deadline that came due while it was stalled fired at the retry" 'j["status"] == "done" and j["outcome"] == "timed out"'
serve_stop
plan
