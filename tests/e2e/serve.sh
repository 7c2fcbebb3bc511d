#!/bin/sh
# tests/e2e/serve.sh - `huddle serve` end to end over HTTP on 127.0.0.1: a signed webhook
# starts a playbook, two people answer with their own tokens, a timer fires with no tick,
# every route answers, one serve per store, SIGTERM exits 0 with every log line JSON.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store

expect "serve needs a store" 3 "$h" serve --db "$tmp/none" --listen 127.0.0.1:0
expect "a bad --listen is a usage error" 2 "$h" serve --db "$db" --listen nowhere
# (a 0 below each range: serve once took it, and answered every body 413 or every request 503)
expect "--max-body 0 is a usage error" 2 timeout 5 "$h" serve --db "$db" --listen 127.0.0.1:0 --max-body 0
has "(naming the range)" "--max-body '0' is not a whole number from 1 to"
expect "--queue 0 is a usage error" 2 timeout 5 "$h" serve --db "$db" --listen 127.0.0.1:0 --queue 0
expect "--idle-timeout 0 is a usage error" 2 timeout 5 "$h" serve --db "$db" --listen 127.0.0.1:0 --idle-timeout 0
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
echo '{"pat": {"sha256": "abc", "person": "pat"}}' > "$tmp/badtokens.json"
expect "a bad tokens file is refused" 1 "$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/badtokens.json"
has "naming the entry and field" "tokens.pat.sha256"
expect "a webhook whose secret is not set is refused" 1 env -u SHOP_SECRET "$h" serve --db "$db" --listen 127.0.0.1:0

if serve_start "$db"; then ok "serve starts and says where it listens"; else no "serve starts" "$tmp/serve.log"; plan; exit 0; fi
expect "a second serve on the store exits 3" 3 "$h" serve --db "$db" --listen 127.0.0.1:0
has "saying another serve holds it" "another huddle serve holds the store"
expect "tick refuses beside serve (exit 3)" 3 "$h" tick --db "$db"
has "saying why" "huddle serve holds the store"

call "healthz needs no token" 200 GET /healthz
json "and says ok" 'j["status"] == "ok"'
call "metrics need no token" 200 GET /metrics
has "metrics are Prometheus text" "# TYPE huddle_steps_total counter"

ev1='{"id": "e1", "type": "refund", "at": "2026-06-15T08:10:00+03:00", "order": "A1", "amount": 30, "customer": {"name": "Ann"}}'
call "a signed webhook is accepted" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev1")" --data "$ev1"
json "it started an instance" 'j["duplicate"] is False and j["went"] == [{"playbook": "refund", "instance": "i1", "as": "started"}]'
call "the same event again is a duplicate" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev1")" --data "$ev1"
json "with duplicate true, gone nowhere" 'j["duplicate"] is True and j["went"] == []'

call "pat's inbox" 200 GET '/v1/tasks?for=pat' -H 'Authorization: Bearer pat-token'
call "a token with white space after it is the same token" 200 GET '/v1/tasks?for=pat' -H 'Authorization: Bearer pat-token  '
json "holds t1" '[t["id"] for t in j["tasks"]] == ["t1"] and j["tasks"][0]["question"] == "Refund 30 for A1?"'
call "all open asks without ?for" 200 GET /v1/tasks -H 'Authorization: Bearer sam-token'
json "lists t1" 'len(j["tasks"]) == 1'
call "tasks without a token is 401" 401 GET /v1/tasks
json "with the error body" 'j["error"]["code"] == "unauthorized" and j["error"]["field"] == "Authorization"'

call "pat answers with pat's token" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
json "as pat" 'j == {"task": "t1", "by": "pat", "answered": "yes"}'
call "pat cannot answer as sam" 403 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes", "by": "sam"}'
call "pat's second answer is a conflict" 409 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "no", "comment": "changed my mind"}'
call "an unknown choice is 422" 422 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token' --data '{"choice": "maybe"}'
json "naming the field choice" 'j["error"]["code"] == "refused" and j["error"]["field"] == "choice"'
call "no without its comment is 422" 422 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token' --data '{"choice": "no"}'
json "naming the field comment" 'j["error"]["code"] == "refused" and j["error"]["field"] == "comment"'
call "an answer with an empty body is 400" 400 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token'
json "malformed, saying the body is empty" 'j["error"]["code"] == "malformed" and "empty" in j["error"]["message"]'
call "sam answers with sam's token" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token' --data '{"choice": "yes"}'
call "i1 is done" 200 GET /v1/instances/i1 -H 'Authorization: Bearer pat-token'
json "refunded" 'j["status"] == "done" and j["outcome"] == "refunded"'
call "a late answer is a conflict" 409 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"choice": "yes"}'
call "i1's history" 200 GET /v1/instances/i1/history -H 'Authorization: Bearer pat-token'
json "records each answer with its token" '[(r["by"], r.get("token")) for r in j["history"] if r["kind"] == "answered"] == [("pat", "pat"), ("sam", "sam")]'
hasnt "and no token itself" "pat-token"

ev2='{"id": "e2", "type": "quick", "what": "lunch"}'
call "a quick event starts i2" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev2")" --data "$ev2"
wait_done i2
json "its 2 s deadline fires with no tick" 'j["status"] == "done" and j["outcome"] == "timed out"'

call "an on-behalf service must name by" 422 POST /v1/tasks/t3/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer bot-token' --data '{"choice": "yes"}'
json "the field is by" 'j["error"]["field"] == "by"'
call "a service may not read without read" 403 GET /v1/tasks -H 'Authorization: Bearer bot-token'
call "a person may not operate" 403 POST /v1/instances/i1/cancel -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"reason": "x"}'

ev3='{"id": "e3", "type": "refund", "order": "A3", "amount": 7, "customer": {"name": "Cy"}}'
call "a third event" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev3")" --data "$ev3"
call "sam acks t3" 200 POST /v1/tasks/t3/ack -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token'
call "the bot answers t3 for pat" 200 POST /v1/tasks/t3/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer bot-token' --data '{"choice": "yes", "by": "pat"}'
call "ops reassigns sam's seat to boss" 200 POST /v1/tasks/t3/reassign -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"from": "sam", "to": "boss"}'
call "ops resolves t3" 200 POST /v1/tasks/t3/resolve -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"choice": "no", "reason": "fraud"}'
call "i3's history" 200 GET /v1/instances/i3/history -H 'Authorization: Bearer ops-token'
json "shows ack, answer, reassign and override" 'set(["acknowledged", "answered", "delegated", "overridden"]) <= set(r["kind"] for r in j["history"])'
json "the bot's answer is by pat with the bot's token" '[(r["by"], r["token"]) for r in j["history"] if r["kind"] == "answered"] == [("pat", "bot")]'
json "the reassign and the override name the ops token beside by" '[(r["kind"], r["by"], r.get("token")) for r in j["history"] if r["kind"] in ("delegated", "overridden")] == [("delegated", "op", "ops"), ("overridden", "op", "ops")]'
call "retrying a done instance is a conflict" 409 POST /v1/instances/i3/retry -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{}'
ev4='{"id": "e4", "type": "refund", "order": "A4", "amount": 9, "customer": {"name": "Di"}}'
call "a fourth event" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev4")" --data "$ev4"
call "ops cancels i4" 200 POST /v1/instances/i4/cancel -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"reason": "test"}'
call "i4's history" 200 GET /v1/instances/i4/history -H 'Authorization: Bearer ops-token'
json "its cancel names the ops token beside by and reason" '[(r["by"], r.get("token"), r["reason"]) for r in j["history"] if r["kind"] == "cancelled"] == [("op", "ops", "test")]'
call "instances by status" 200 GET '/v1/instances?status=cancelled' -H 'Authorization: Bearer ops-token'
json "i4 only" '[i["id"] for i in j["instances"]] == ["i4"]'
call "instances by playbook" 200 GET '/v1/instances?playbook=refund' -H 'Authorization: Bearer ops-token'
json "the three refunds" '[i["id"] for i in j["instances"]] == ["i1", "i3", "i4"]'
cp "$tmp/out" "$tmp/refunds"
call "an unknown status is 400, never an empty list" 400 GET '/v1/instances?status=bogus' -H 'Authorization: Bearer ops-token'
json "bad_query on status, naming the statuses" 'j["error"]["code"] == "bad_query" and j["error"]["field"] == "status" and "running, done, failed, cancelled, stalled" in j["error"]["message"]'
call "a ?for= that is not UTF-8 is 400" 400 GET '/v1/tasks?for=%FF' -H 'Authorization: Bearer ops-token'
json "bad_query on for" 'j["error"]["code"] == "bad_query" and j["error"]["field"] == "for"'
call "a ?playbook= with a control character is 400" 400 GET '/v1/instances?playbook=a%01' -H 'Authorization: Bearer ops-token'
json "bad_query on playbook" 'j["error"]["code"] == "bad_query" and j["error"]["field"] == "playbook"'
call "one instance" 200 GET /v1/instances/i3 -H 'Authorization: Bearer ops-token'
json "is the list's entry for it" 'j == [i for i in json.load(open("'"$tmp/refunds"'"))["instances"] if i["id"] == "i3"][0]'
call "an unknown instance is 404" 404 GET /v1/instances/i99 -H 'Authorization: Bearer ops-token'
json "naming it" 'j["error"]["code"] == "not_found" and "i99" in j["error"]["message"]'
call "a task's id names no instance" 404 GET /v1/instances/t3 -H 'Authorization: Bearer ops-token'
call "nor does i03" 404 GET /v1/instances/i03 -H 'Authorization: Bearer ops-token'
call "an unknown instance's history is 404" 404 GET /v1/instances/i99/history -H 'Authorization: Bearer ops-token'
call "an unknown task is 404" 404 POST /v1/tasks/t99/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'

call "a non-webhook connector takes {type, id, data} with an events token" 200 POST /v1/events/crm -H 'Content-Type: application/json' -H 'Authorization: Bearer feeder-token' --data '{"type": "note", "id": "n1", "data": {"x": 1}}'
json "which no playbook takes" 'j["went"] == []'
away='{"type": "away", "id": "hr-1", "data": {"person": "boss", "from": "2026-12-20", "to": "2026-12-24", "delegate": "op"}}'
call "the directory takes an absence from a feeder's token" 200 POST /v1/events/directory -H 'Content-Type: application/json' -H 'Authorization: Bearer feeder-token' --data "$away"
json "which reaches no playbook" 'j["duplicate"] is False and j["went"] == [{"directory": "away"}]'
expect "huddle directory show sees it beside serve" 0 "$h" directory show boss --db "$db"
has "with its delegate" '"delegate": "op"'
call "the same id again is a duplicate" 200 POST /v1/events/directory -H 'Content-Type: application/json' -H 'Authorization: Bearer feeder-token' --data "$away"
json "with duplicate true" 'j["duplicate"] is True'
call "the directory has two event types" 422 POST /v1/events/directory -H 'Content-Type: application/json' -H 'Authorization: Bearer feeder-token' --data '{"type": "moved", "id": "hr-2", "data": {"person": "boss"}}'
json "naming them" '"directory.away and directory.back" in j["error"]["message"]'
call "a person's token may not feed the directory" 403 POST /v1/events/directory -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"type": "back", "id": "hr-3", "data": {"person": "pat"}}'
call "nor may no token" 401 POST /v1/events/directory -H 'Content-Type: application/json' --data '{"type": "back", "id": "hr-4", "data": {"person": "pat"}}'
call "a webhook with no secret needs a token" 401 POST /v1/events/open -H 'Content-Type: application/json' --data '{"id": "o1", "type": "x"}'

ev5='{"id": "e5", "type": "refund", "order": "A5", "amount": 1, "customer": {"name": "Ed"}}'
call "an Idempotency-Key'd event" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H 'Idempotency-Key: k-1' -H "X-Huddle-Signature: $(sign "$ev5")" --data "$ev5"
cp "$tmp/out" "$tmp/first"
curl -s -D "$tmp/headers" -o "$tmp/out" --max-time 10 -X POST -H 'Content-Type: application/json' -H 'Idempotency-Key: k-1' -H "X-Huddle-Signature: $(sign "$ev5")" --data "$ev5" "$base/v1/events/shop"
if cmp -s "$tmp/first" "$tmp/out" && grep -qi "Idempotent-Replay: true" "$tmp/headers"; then ok "its repeat gets the first reply"; else no "its repeat gets the first reply"; fi
expect "a CLI trigger refuses an event that does not fit its type" 1 sh -c "echo '{\"order\": \"C0\", \"amount\": \"2\", \"customer\": {\"name\": \"Flo\"}}' | '$h' trigger shop.refund --id cli-0 --db '$db'"
has "naming the field" "does not fit its type shop.refund: data.amount is a string, expected an integer"
printf '{"source": "shop", "type": "refund", "id": "f-0", "data": {"order": "F0", "amount": 1}}\n' > "$tmp/events.jsonl"
expect "and so does trigger --file, by line" 1 "$h" trigger --file "$tmp/events.jsonl" --db "$db"
has "naming the line and field" "events.jsonl:1: the event does not fit its type shop.refund: data.customer is missing"
printf '{"at": "2026-06-15T08:00:00Z", "event": {"source": "shop", "type": "refund", "id": "a", "data": {"order": "A", "amount": 1.5, "customer": {"name": "N"}}}}\n{"at": "2026-06-15T09:00:00Z", "end": true}\n' > "$tmp/trace.jsonl"
expect "huddle run --connectors refuses an event that does not fit, and goes on" 0 "$h" run "$TOP/tests/e2e/serve/refund.play" --events "$tmp/trace.jsonl" --connectors "$tmp/connectors.json" --json
has "the refused line names the field" '"why":"the event does not fit its type shop.refund: data.amount is a number, expected an integer"'
expect "a CLI trigger works beside serve" 0 sh -c "echo '{\"order\": \"C1\", \"amount\": 2, \"customer\": {\"name\": \"Flo\"}}' | '$h' trigger shop.refund --id cli-1 --db '$db'"
has "and starts its own instance" "started i6"
call "serve sees it" 200 GET /v1/instances/i6 -H 'Authorization: Bearer ops-token'
ev7='{"id": "e7", "type": "refund", "order": "A7", "amount": 1, "customer": {"name": "Gus"}}'
call "and serve's next instance follows it" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev7")" --data "$ev7"
json "as i7" 'j["went"][0]["instance"] == "i7"'
call "metrics after the work" 200 GET /metrics
has "count accepted events" 'huddle_requests_accepted_total{route="events"}'
has "count refusals by status" 'huddle_requests_refused_total{status="409"}'
has "and the commit latency" 'huddle_commit_latency_ms_count'
# A histogram's _sum is the sum of what it counted: the inputs of every group commit,
# at least the events, answers and acks accepted (it was always 0).
bsum=$(sed -n 's/^huddle_batch_size_sum //p' "$tmp/out")
took=$(sed -n 's/^huddle_requests_accepted_total{route="\(events\|task_answer\|task_ack\)"} //p' "$tmp/out" |
       awk '{s += $1} END {print s + 0}')
case "$bsum" in
  ''|*[!0-9]*) no "the batch sizes' sum counts the inputs committed ('$bsum')" ;;
  *) if [ "$took" -ge 5 ] && [ "$bsum" -ge "$took" ]; then ok "the batch sizes' sum counts the inputs committed ($bsum >= $took)"
     else no "the batch sizes' sum counts the inputs committed ($bsum, $took accepted)"; fi ;;
esac
sleep 1.2
call "metrics again" 200 GET /metrics
has "count open tasks once asked to" 'huddle_open_tasks '
has "and stalled instances" 'huddle_instances_stalled 0'
t0=$(awk '{print $14 + $15}' "/proc/$serve_pid/stat")
sleep 3
t1=$(awk '{print $14 + $15}' "/proc/$serve_pid/stat")
if [ $((t1 - t0)) -lt 30 ]; then ok "an idle serve burns no CPU ($((t1 - t0)) ticks in 3 s)"; else no "an idle serve burns no CPU ($((t1 - t0)) ticks in 3 s)" ""; fi

serve_stop
if [ "$serve_rc" -eq 0 ]; then ok "SIGTERM: serve exits 0"; else no "SIGTERM: serve exits 0 (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "every log line is JSON, no sanitizer report"
if grep -q '"event":"request","method":"POST","path":"/v1/tasks/t1/answer","status":200' "$tmp/serve.log"; then ok "requests are logged with their status"; else no "requests are logged" "$tmp/serve.log"; fi
if grep -q '"level":"info","event":"started","instance":"i1","state":null,"task":null}' "$tmp/serve.log"; then ok "an instance starting is logged with its id"; else no "the started line" "$tmp/serve.log"; fi
if grep -q '"level":"info","event":"done","instance":"i1","state":"decide","task":null}' "$tmp/serve.log"; then ok "and its end, with the state it ended in"; else no "the done line" "$tmp/serve.log"; fi
if grep -q '"level":"info","event":"timer","instance":"i2",' "$tmp/serve.log"; then ok "a timer firing is logged with its instance"; else no "the timer line" "$tmp/serve.log"; fi
if grep -q 'token\"*:\"*[a-z]*-token\|s3cret' "$tmp/serve.log"; then no "no token or secret in the log" "$tmp/serve.log"; else ok "no token or secret in the log"; fi
expect "tick works once serve is gone" 0 "$h" tick --db "$db"
printf '{"shop": {"kind": "webhook", "secret": "x"}}' > "$tmp/secretconn.json"
expect "serve --connectors refuses a file with a secret in it" 1 "$h" serve --db "$db" --listen 127.0.0.1:0 --connectors "$tmp/secretconn.json"
has "naming the field" "connectors.shop.secret: secrets come from the environment"

# Catch-up: a deadline that passed while serve was down fires when it starts again.
# Meanwhile a kept reply as a serve before body hashes wrote it: {"key", "at", "status", "body"}.
"$PY" -c 'import json, sys, time; print(json.dumps({"key": "shop\nevents\nshop\nk-old", "at": int(time.time() * 1000), "status": 200, "body": "{\"old\":true}"}))' >> "$db/idempotency.jsonl"
if serve_start "$db"; then ok "serve starts again"; else no "serve starts again" "$tmp/serve.log"; fi
curl -s -D "$tmp/headers" -o "$tmp/out" --max-time 10 -X POST -H 'Content-Type: application/json' -H 'Idempotency-Key: k-1' -H "X-Huddle-Signature: $(sign "$ev5")" --data "$ev5" "$base/v1/events/shop"
if cmp -s "$tmp/first" "$tmp/out" && grep -qi "Idempotent-Replay: true" "$tmp/headers"; then ok "after a restart the repeat still gets the first reply (DIR/idempotency.jsonl)"; else no "after a restart the repeat still gets the first reply" "$tmp/out"; fi
ev9='{"id": "e9", "type": "refund", "order": "A9", "amount": 1, "customer": {"name": "Ida"}}'
call "the same key with another body, after the restart: 422" 422 POST /v1/events/shop -H 'Content-Type: application/json' -H 'Idempotency-Key: k-1' -H "X-Huddle-Signature: $(sign "$ev9")" --data "$ev9"
json "idempotency_key_reused, not the first reply (the body's hash is kept in the file)" 'j["error"]["code"] == "idempotency_key_reused" and j["error"]["field"] == "Idempotency-Key"'
call "a line an older serve wrote (no sha256) replays to any body, as it did" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H 'Idempotency-Key: k-old' -H "X-Huddle-Signature: $(sign "$ev9")" --data "$ev9"
json "(its kept reply)" 'j == {"old": True}'
ev8='{"id": "e8", "type": "refund", "order": "A8", "amount": 1, "customer": {"name": "Hal"}}'
call "an event before the stop" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev8")" --data "$ev8"
serve_stop
serve_start "$db" --clock-offset 7200000
wait_done i8
json "its deadline fires when serve is back" 'j["status"] == "done" and j["outcome"] == "refunded by default"'
serve_stop
if [ "$serve_rc" -eq 0 ]; then ok "and it exits 0 again"; else no "and it exits 0 again (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "its log too"
plan
