#!/bin/sh
# tests/e2e/serve_ops_audit.sh - findings of an audit of serve's routes beyond webhooks
# (RUNTIME.md "Interfaces"; docs/operations.md "Routes", "Who acts"), each a test that
# failed before its fix:
#
# F1. A refusal's status came from searching the engine's sentence for words (" already ",
#     "not stalled", "holds no open seat on task"), and the sentence quotes the client's
#     choice, by or to: an unknown choice "done already" was 409 conflict (no field), one
#     naming a seat 403. Now the fixed words are matched where they stand, beside the
#     route's id: such values are 422 with their field.
# F2. A percent-encoded query parameter name (?st%61tus=done) was refused as a parameter
#     the route does not take; names are now decoded as values are.
# F3. /healthz and /metrics took any query parameter; an operator route's "by" refusal
#     said "answers"; an absolute-form target (GET http://host/healthz) was 404; a second
#     Authorization or Idempotency-Key header was ignored (the first one used).
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts"
body='{"id": "ev-1", "type": "refund", "order": "A-1", "amount": 5, "customer": {"name": "C"}}'
call "a refund is posted" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
pat='Authorization: Bearer pat-token' ops='Authorization: Bearer ops-token' bot='Authorization: Bearer bot-token'
ct='Content-Type: application/json'
refused() { # refused DESC FIELD METHOD PATH CURL-ARGS...: 422 "refused" naming FIELD
  desc=$1 field=$2; shift 2
  call "$desc" 422 "$@"
  json "  refused, naming $field" "j['error']['code'] == 'refused' and j['error']['field'] == '$field'"
}
refused "F1: an unknown choice with 'already' in it" choice POST /v1/tasks/t1/answer -H "$ct" -H "$pat" --data '{"choice": "done already "}'
refused "F1: one naming a seat" choice POST /v1/tasks/t1/answer -H "$ct" -H "$pat" --data '{"choice": "x holds no open seat on task t1"}'
refused "F1: one saying not stalled" choice POST /v1/tasks/t1/answer -H "$ct" -H "$pat" --data '{"choice": "not stalled"}'
refused "F1: an on-behalf by with 'already' in it" by POST /v1/tasks/t1/answer -H "$ct" -H "$bot" --data '{"choice": "yes", "by": "a already b"}'
refused "F1: a reassignment to someone naming a seat" to POST /v1/tasks/t1/reassign -H "$ct" -H "$ops" --data '{"from": "pat", "to": "x holds no open seat on task t1"}'
refused "F1: an override's choice 'is no longer open'" choice POST /v1/tasks/t1/resolve -H "$ct" -H "$ops" --data '{"choice": "is no longer open", "reason": "r"}'
call "F1: pat answers yes" 200 POST /v1/tasks/t1/answer -H "$ct" -H "$pat" --data '{"choice": "yes"}'
call "F1: pat answering otherwise is still 409" 409 POST /v1/tasks/t1/answer -H "$ct" -H "$pat" --data '{"choice": "no", "comment": "c"}'
json "  conflict" "j['error']['code'] == 'conflict'"
call "F1: op answering, who holds no seat, is still 403" 403 POST /v1/tasks/t1/answer -H "$ct" -H "$ops" --data '{"choice": "yes"}'
json "  not_your_seat" "j['error']['code'] == 'not_your_seat'"
call "F1: retrying i1, running, is still 409" 409 POST /v1/instances/i1/retry -H "$ct" -H "$ops" --data '{}'

call "F2: ?status=running" 200 GET '/v1/instances?status=running' -H "$ops"
cp "$tmp/out" "$tmp/plain.json"
call "F2: ?st%61tus=running, the name escaped" 200 GET '/v1/instances?st%61tus=running' -H "$ops"
cmp -s "$tmp/out" "$tmp/plain.json" && ok "  gives the same list" || no "  gives the same list"
call "F2: ?st%61tus=running&status=done is a name given twice" 400 GET '/v1/instances?st%61tus=running&status=done' -H "$ops"
json "  bad_query" "j['error']['code'] == 'bad_query' and j['error']['field'] == 'status'"

call "F3: /healthz?dry_run=1" 400 GET '/healthz?dry_run=1'
json "  bad_query naming it" "j['error']['code'] == 'bad_query' and j['error']['field'] == 'dry_run'"
call "F3: /metrics?x=1" 400 GET '/metrics?x=1'
call "F3: /healthz" 200 GET /healthz
call "F3: an operator's by naming another" 403 POST /v1/instances/i1/cancel -H "$ct" -H "$ops" --data '{"reason": "dup", "by": "pat"}'
json "  says the token acts as its person" "j['error']['message'] == 'this token acts as its own person only, not as another'"
call "F3: an absolute-form target" 200 GET /healthz --request-target "${base}/healthz"
call "F3: two Authorization headers" 400 GET /v1/tasks -H 'Authorization: Bearer nobody' -H "$ops"
json "  bad_header naming it" "j['error']['code'] == 'bad_header' and j['error']['field'] == 'Authorization'"
call "F3: two Idempotency-Key headers" 400 POST /v1/tasks/t1/ack -H "$ct" -H "$pat" -H 'Idempotency-Key: a' -H 'Idempotency-Key: b' --data '{}'
json "  bad_header naming it" "j['error']['field'] == 'Idempotency-Key'"
serve_stop
serve_log_ok "the log is JSON lines"
plan
