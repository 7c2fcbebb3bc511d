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

# poison TASK CHOICE [SERVE ARGS...]: serve restarted with the fault (and SERVE ARGS), pat's
# answer kills it three times; the fourth start (without either) listens. With
# $answer_after set to an instance, the answer is sent once that instance is done.
poison() {
  task=$1 choice=$2; shift 2
  serve_stop
  export HUDDLE_CRASH_ON_INPUT=$task
  serve_start "$db" "$@" || return 1
  [ -n "${answer_after:-}" ] && { wait_done "$answer_after" || return 1; }
  curl -s -o /dev/null --max-time 10 -X POST -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' \
    --data "{\"choice\": \"$choice\"}" "$base/v1/tasks/$task/answer"
  for try in 1 2 3; do
    i=0
    while [ $i -lt 50 ] && kill -0 "$serve_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; serve_pid=
    [ $try -lt 3 ] && serve_start "$db" "$@"
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
# `later` gives a minute to answer, and the deadline comes due by the clock of a serve
# started 90 s ahead once i2 is stalled, however long the restarts take on a loaded machine
# (with 2 s to answer, the deadline fired at one of them under load, and ended i2 first).
printf '%s\n' 'playbook later' 'on shop.later as q' 'state decide {' \
  '  ask person("pat") "Later, {q.what}?" choices ok within 1m' \
  '  { ok -> done "answered"' '    timeout -> done "timed out" }' '}' > "$tmp/later.play"
expect "the later playbook is deployed" 0 "$h" deploy "$tmp/later.play" --db "$db"
later='{"id": "q1", "type": "later", "what": "W"}'
serve_start "$db" || { no "serve starts again" "$tmp/serve.log"; plan; exit 0; }
call "a later event starts i2, asking t3 (a minute to answer)" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$later")" --data "$later"
json "(i2)" 'j["went"] == [{"playbook": "later", "instance": "i2", "as": "started"}]'
poison t3 ok || { no "the fourth start listens (t3)" "$tmp/serve.log"; plan; exit 0; }
call "i2" 200 GET /v1/instances/i2 -H 'Authorization: Bearer ops-token'
json "is stalled by the poison answer, its deadline not yet due" 'j["status"] == "stalled"'
serve_stop
serve_start "$db" --clock-offset 90000 || { no "serve starts 90 s ahead" "$tmp/serve.log"; plan; exit 0; }
call "ops retries i2" 200 POST /v1/instances/i2/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{}'
json "and it does not stall again" 'j["note"] is None'
call "i2" 200 GET /v1/instances/i2 -H 'Authorization: Bearer ops-token'
json "is done: the deadline that came due while it was stalled fired at the retry" 'j["status"] == "done" and j["outcome"] == "timed out"'

# ---- an answer set aside after its ask closed stalls nothing ----
# The serves the answer kills run 200 s ahead (110 s past the store's clock, which the
# serve 90 s ahead above moved on), so t4's deadline fires as the first of them starts,
# before the answer comes, as it did on a loaded machine where a restart took longer than
# an ask's 2 s. Applied, the answer would have been refused as late. Before, i3, done,
# was stalled by it when it was set aside, and a retry of i3 crashed serve (no frame).
serve_stop
later2='{"id": "q2", "type": "later", "what": "X"}'
serve_start "$db" || { no "serve starts for i3" "$tmp/serve.log"; plan; exit 0; }
call "a later event starts i3, asking t4" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$later2")" --data "$later2"
answer_after=i3 poison t4 ok --clock-offset 200000 || { no "the fourth start listens (t4)" "$tmp/serve.log"; plan; exit 0; }
cp "$tmp/serve.log" "$tmp/out"; has "the answer is set aside (poison_input)" '"event":"poison_input"'
call "i3" 200 GET /v1/instances/i3 -H 'Authorization: Bearer ops-token'
json "is done by its deadline, not stalled" 'j["status"] == "done" and j["outcome"] == "timed out"'
call "a retry of i3" 409 POST /v1/instances/i3/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{}'
call "serve still answers" 200 GET /healthz
serve_stop
expect "i3's history" 0 "$h" history i3 --db "$db"
hasnt "has no stalled record" "stalled"
plan
