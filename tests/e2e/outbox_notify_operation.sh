#!/bin/sh
# tests/e2e/outbox_notify_operation.sh - a person told through a directory `notify`
# operation that no kept connector has (the connector is there, the operation is not):
# deploy warns that their messages will wait in the outbox, and they do wait (pending,
# no send_failed) until connectors with that operation are kept; then tick delivers
# them (docs/connectors.md, "Connectors"). They used to fail for good at the first tick
# ("connector api has no operation nosuch"). A peer on 127.0.0.1 takes the message.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/dir.json" <<'JSON'
{"people": {"chat": {"name": "Chat Person", "notify": "api.nosuch"}}}
JSON
cat > "$tmp/without.json" <<JSON
{"test": {"kind": "webhook"},
 "api":  {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 2000,
          "operations": {"other": {"method": "POST", "path": "/other"}}}}
JSON
cat > "$tmp/with.json" <<JSON
{"test": {"kind": "webhook"},
 "api":  {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 2000,
          "operations": {"other": {"method": "POST", "path": "/other"},
                         "nosuch": {"method": "POST", "path": "/dm"}}}}
JSON
cat > "$tmp/n.play" <<'PLAY'
playbook n

on test.go as ev

state start {
  notify person("chat") "Hello {ev.who}"
  done "told"
}
PLAY
# shellcheck disable=SC2086
expect "directory load" 0 "$h" directory load "$tmp/dir.json" --db "$db" $(now 08:58)
# shellcheck disable=SC2086
expect "deploy with connectors whose api lacks nosuch" 0 "$h" deploy "$tmp/n.play" --db "$db" --connectors "$tmp/without.json" $(now 08:59)
has "deploy warns that chat's messages will wait" \
  "chat is told through api.nosuch, which no http connector has: messages to chat will wait in the outbox"
echo '{"who": "you"}' > "$tmp/ev.json"
# shellcheck disable=SC2086
expect "an event starts the playbook" 0 "$h" trigger --db "$db" test.go --id e1 $(now 09:00) < "$tmp/ev.json"
# shellcheck disable=SC2086
expect "tick" 0 "$h" tick --db "$db" $(now 09:01)
has "tick finds nothing due" "nothing was due"
hasnt "and fails nothing" "could not deliver"
expect "outbox --json" 0 "$h" outbox --db "$db" --json
json "the message to chat waits, pending, never tried" \
  'len(j) == 1 and j[0]["kind"] == "message" and j[0]["status"] == "pending" and j[0]["attempts"] == 0 and [t["person"] for t in j[0]["to"]] == ["chat"]'
"$h" history --db "$db" i1 --json > "$tmp/out" 2>&1
hasnt "history has no send_failed" "send_failed"
if [ -s "$tmp/http/requests.jsonl" ]; then no "the peer got nothing yet" "$tmp/http/requests.jsonl"; else ok "the peer got nothing yet"; fi
# shellcheck disable=SC2086
expect "deploy keeps connectors that have api.nosuch" 0 "$h" deploy "$tmp/n.play" --db "$db" --connectors "$tmp/with.json" $(now 09:10)
hasnt "and warns no more" "will wait in the outbox"
# shellcheck disable=SC2086
expect "tick" 0 "$h" tick --db "$db" $(now 09:11)
has "tick delivers the message" "outbox: 1 delivered, 0 to try again, 0 failed"
expect "outbox --json" 0 "$h" outbox --db "$db" --json
json "the outbox is empty" 'j == []'
"$h" history --db "$db" i1 --json > "$tmp/out" 2>&1
has "history: delivered to chat through api.nosuch" '"kind":"delivered","state":"start","person":"chat","channel":"api.nosuch"'
"$PEER_PY" -c 'import json,sys
print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' "$tmp/http/requests.jsonl" > "$tmp/out" 2>&1
json "the peer got one POST /dm for chat" \
  'len(j) == 1 and j[0]["method"] == "POST" and j[0]["path"] == "/dm" and json.loads(j[0]["body"])["person"] == "chat"'
plan
