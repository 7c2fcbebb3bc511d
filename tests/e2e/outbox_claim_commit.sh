#!/bin/sh
# tests/e2e/outbox_claim_commit.sh - under `huddle serve`, the commit that makes an outbox
# entry also claims it (engine_dispatch.c, "claims in the transaction that writes the
# entries"; docs/connectors.md, "Delivery"): the request goes out with no claim commit
# between the step and the peer. Each of three signed webhooks starts an instance that
# sends once to a real HTTP peer on 127.0.0.1; serve runs with HUDDLE_CRASH_LOG, which
# names every write point it passes in order. Checks that each webhook's group commit
# passes the "outbox claim" point inside its own transaction (between its "group step"
# and its "before commit"), that one delivery costs two commits in all (the step's and
# the settle's, not three), that every send reached the peer once with its key, that
# each history has its `delivered` record, and that serve stops cleanly. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/peers/peers.sh"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; :; }
db=$tmp/store
points=$tmp/points.log

peer_or_bail http "$tmp/http"
reqs="$tmp/http/requests.jsonl"
cat > "$tmp/connectors.json" <<JSON
{"shop": {"kind": "webhook", "secret_env": "SHOP_SECRET", "id": "/id", "type": "/type", "time": "/at"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "timeout_ms": 2000,
         "operations": {"note": {"method": "POST", "path": "/notes"}}}}
JSON
cat > "$tmp/tell.play" <<'PLAY'
playbook tell

on shop.spike as s

state start {
  send crm.note({about: s.what})
  done "told"
}
PLAY
serve_tokens
expect "deploy" 0 "$h" deploy "$tmp/tell.play" --db "$db" --connectors "$tmp/connectors.json"

touch "$points"
HUDDLE_CRASH_LOG=$points serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts with the write points logged"

# post N: a signed webhook; waits (5 s) until the peer has N requests.
post() {
  body="{\"id\": \"spike-$1\", \"type\": \"spike\", \"at\": \"2026-03-02T09:00:00Z\", \"what\": \"camera $1\"}"
  before=$(wc -l < "$points")
  status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
           -H "X-Huddle-Signature: $(sign "$body")" --data "$body" "$base/v1/events/shop")
  i=0
  while [ "$(cat "$reqs" 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 0.3   # the settle's commit
  tail -n +"$((before + 1))" "$points" | cut -d' ' -f2- > "$tmp/points.$1"
}
for k in 1 2 3; do
  post $k
  [ "$status" = 200 ] && ok "webhook $k is accepted" || no "webhook $k is accepted ($status)"
  # The points of this webhook's rounds, in order: its group step, the claim inside the
  # same transaction, then its commit; then only the settle's commit.
  if "$PY" - "$tmp/points.$k" > "$tmp/out" 2>&1 <<'PY'
import sys
p = [l.strip() for l in open(sys.argv[1]) if l.strip()]
step = p.index("group step")
assert p[step + 1:step + 4] == ["outbox claim", "before commit", "after commit"], p
PY
  then ok "webhook $k: its entry is claimed inside the transaction that writes it"
  else no "webhook $k: its entry is claimed inside the transaction that writes it"; fi
  commits=$(grep -c '^before commit$' "$tmp/points.$k")
  [ "$commits" -eq 2 ] && ok "webhook $k: two commits in all (the step's, the settle's)" ||
    { cp "$tmp/points.$k" "$tmp/out"; no "webhook $k: two commits in all, not $commits"; }
done

"$PY" - "$reqs" > "$tmp/out" 2>&1 <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert [r["path"] for r in rs] == ["/notes"] * 3, rs
assert sorted(json.loads(r["body"])["about"] for r in rs) == ["camera 1", "camera 2", "camera 3"], rs
keys = sorted(r["headers"].get("idempotency-key", "") for r in rs)
assert [k.split(":", 1)[1] for k in keys] == ["i1:1:0", "i2:1:0", "i3:1:0"], keys
PY
[ $? -eq 0 ] && ok "the peer got each send once, with its key" || no "the peer got each send once, with its key"

serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve exits 0 at SIGTERM" || no "serve exits 0 at SIGTERM ($serve_rc)" "$tmp/serve.log"
serve_log_ok "serve's log is clean"
for k in 1 2 3; do
  expect "i$k's history" 0 "$h" history i$k --db "$db"
  has "i$k: the send is recorded delivered" "delivered"
done
expect "nothing is left in the outbox" 0 "$h" outbox --db "$db" --json
json "the outbox is empty" 'j == []'
plan
