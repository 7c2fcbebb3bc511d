#!/bin/sh
# tests/e2e/serve_outbox_waiting.sh - under serve, deliveries that wait for a secret's
# environment variable (docs/connectors.md, "Secrets") are logged once each: serve's
# `outbox_waiting` lines together name each waiting entry once, however many rounds
# run, and the entries keep all their attempts. The count is taken only from a claim
# transaction that committed (engine_dispatch.c, claim_notes_committed: a review found
# that a run undone or run again counted its notes too). This test does not reach such
# a run (it needs a batch run again, or a map that fills); it keeps the count right on
# the path serve takes every round. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
unset HUDDLE_TEST_NO_SUCH_TOKEN
db=$tmp/db
serve_tokens
cat > "$tmp/conn.json" <<'JSON'
{"open": {"kind": "webhook", "id": "/id", "type": "/type"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:9", "token_env": "HUDDLE_TEST_NO_SUCH_TOKEN",
         "operations": {"note": {"method": "POST", "path": "/n"}}}}
JSON
cat > "$tmp/tell.play" <<'PLAY'
playbook tell

on open.go as e

state s {
  send crm.note({n: e.n})
  done "sent"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/tell.play" --db "$db" --connectors "$tmp/conn.json"
if serve_start "$db"; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; plan; exit 0; fi
for k in 1 2 3; do
  call "event $k" 200 POST /v1/events/open -H Content-Type:application/json -H "Authorization: Bearer feeder-token" \
    -d "{\"id\": \"e$k\", \"type\": \"go\", \"n\": $k}"
  sleep 0.3
done
sleep 1.5   # more rounds: the rescan at least once a second
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve stops with exit 0" || no "serve stops with exit 0 (got $serve_rc)" "$tmp/serve.log"
serve_log_ok "every log line is JSON"
if "$PY" - "$tmp/serve.log" > "$tmp/count" 2>&1 <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
waits = [l for l in lines if l.get("event") == "outbox_waiting"]
total = sum(l["entries"] for l in waits)
print("outbox_waiting lines:", len(waits), "entries named:", total)
assert total == 3, total
assert all("HUDDLE_TEST_NO_SUCH_TOKEN" in l["why"] for l in waits), waits
PY
then ok "the outbox_waiting lines name the three waiting entries once each"
else no "the outbox_waiting lines name the three waiting entries once each" "$tmp/count"
fi
expect "outbox --pending --json" 0 "$h" outbox --db "$db" --pending --json
json "  three entries, none tried, each saying why" \
  'len(j) == 3 and all(e["attempts"] == 0 and "HUDDLE_TEST_NO_SUCH_TOKEN" in e["waiting"] for e in j)'
plan
