#!/bin/sh
# tests/e2e/retry_call.sh - `huddle retry` of an instance a failed call stalled makes the
# call again (docs/connectors.md, "Failing for good": "without `else`, the instance
# stalls (`huddle retry` calls again)"): a new request with a new key, and the instance
# waits for its reply as it did; the reply then runs the rest. Before, the retry applied
# the kept failure once more and the instance stalled again at once, with no request.
# `retry --goto` still leaves the call. Through `huddle tick` to the HTTP peer. TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

peer_or_bail http "$tmp/http"
cat > "$tmp/http/script.json" <<'JSON'
{"/stock": [{"status": 400, "body": "{\"error\": \"no such product\"}"}, {"status": 200, "body": "{\"count\": 12}"}]}
JSON
cat > "$tmp/connectors.json" <<JSON
{"shop": {"kind": "webhook"},
 "erp": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port",
         "operations": {"stock": {"method": "POST", "path": "/stock"}}}}
JSON
cat > "$tmp/count.play" <<'PLAY'
playbook count

on shop.go as e

state s {
  let stock = call erp.stock({product: e.product})
  done "counted {stock.count}"
}

state by_hand {
  done "counted by hand"
}
PLAY
requests() { "$PEER_PY" -c "import json; print(json.dumps([json.loads(l) for l in open('$tmp/http/requests.jsonl')]))" > "$tmp/out"; }
db=$tmp/db
expect "deploy" 0 "$h" deploy "$tmp/count.play" --db "$db" --connectors "$tmp/connectors.json"
expect "trigger" 0 sh -c "echo '{\"product\": \"N9\"}' | '$h' trigger shop.go --id e1 --db '$db'"
expect "tick: the call fails for good (400) and, with no else, stalls" 0 "$h" tick --db "$db"
has "  stalled" "stalled: "
expect "retry" 0 "$h" retry i1 --db "$db"
hasnt "  not stalled again at once" "stalled again"
expect "the outbox" 0 "$h" outbox --db "$db"
has "  the call waits in it again" "call erp.stock"
expect "tick: the second request gets 200" 0 "$h" tick --db "$db"
expect "instances" 0 "$h" instances --db "$db"
has "  the reply ran the rest" "counted 12"
requests
json "the peer got two requests with the same body" \
     'len(j) == 2 and all(json.loads(r["body"]) == {"product": "N9"} for r in j)'
json "  under two different keys" 'j[0]["headers"]["idempotency-key"] != j[1]["headers"]["idempotency-key"]'
"$h" history i1 --db "$db" --json > "$tmp/lines" 2>&1 || no "history"
"$PEER_PY" -c "import json, sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))" "$tmp/lines" > "$tmp/out"
json "the history: called, call_failed, stalled, retried, called, replied, done" \
     '[r["kind"] for r in j if r["kind"] in ("called", "call_failed", "stalled", "retried", "replied", "done")] == ["called", "call_failed", "stalled", "retried", "called", "replied", "done"]'

cat > "$tmp/http/script.json" <<'JSON'
{"/stock": [{"status": 400, "body": "{}"}]}
JSON
expect "a second instance, whose call fails" 0 sh -c "echo '{\"product\": \"X1\"}' | '$h' trigger shop.go --id e2 --db '$db'"
expect "tick" 0 "$h" tick --db "$db"
expect "retry --goto leaves the call" 0 "$h" retry i2 --goto by_hand --db "$db"
expect "instances" 0 "$h" instances --db "$db"
has "  and goes on in the state named" "counted by hand"
expect "the outbox" 0 "$h" outbox --db "$db"
hasnt "  with no call left in the outbox" "erp.stock"
plan
