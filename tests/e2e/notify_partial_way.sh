#!/bin/sh
# tests/e2e/notify_partial_way.sh - a `notify` to two people, one reached by mail and one
# through a chat operation no kept connector has: the one who can be reached is told at
# once, the other waits in the outbox, untried, until connectors that reach them are
# kept (docs/connectors.md, "What waits"), then is told. Before, the whole message
# waited: nobody was told, ever, while one recipient had no way. Through `huddle tick`
# to the SMTP and HTTP peers. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

peer_or_bail smtp "$tmp/smtp"
sp=$peer_port
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/mail_only.json" <<JSON
{"shop": {"kind": "webhook"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$sp", "from": "huddle@example.com"}}
JSON
cat > "$tmp/with_chat.json" <<JSON
{"shop": {"kind": "webhook"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$sp", "from": "huddle@example.com"},
 "chat": {"kind": "http", "base_url": "http://127.0.0.1:$hp",
          "operations": {"dm": {"method": "POST", "path": "/dm"}}}}
JSON
cat > "$tmp/dir.json" <<'JSON'
{"people": {"anna": {"name": "Anna", "email": "anna@example.com"},
            "lars": {"name": "Lars", "email": "lars@example.com", "notify": "chat.dm"}}}
JSON
cat > "$tmp/tell.play" <<'PLAY'
playbook tell

on shop.go as e

state s {
  notify person("anna"), person("lars") "The N9 recall starts Monday"
  done "told"
}
PLAY
db=$tmp/db
outbox_json() { "$h" outbox --db "$db" --json > "$tmp/out" 2>&1; }
"$h" directory load "$tmp/dir.json" --db "$db" > "$tmp/out" 2>&1 || no "directory load"
expect "deploy with mail only warns about lars" 0 "$h" deploy "$tmp/tell.play" --db "$db" --connectors "$tmp/mail_only.json"
has "  the warning" "messages to lars will wait in the outbox"
expect "trigger" 0 sh -c "echo '{}' | '$h' trigger shop.go --id e1 --db '$db'"
expect "tick" 0 "$h" tick --db "$db"
has "  anna's copy is delivered" "outbox: 1 delivered"
outbox_json
json "  lars's waits, untried, anna's is done" \
     'len(j) == 1 and [(t["person"], t["state"]) for t in j[0]["to"]] == [("anna", "done"), ("lars", "pending")]'
expect "a later tick" 0 "$h" tick --db "$db" --now "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)"
outbox_json
json "  lars's copy still waits, and is not failed" 'len(j) == 1 and j[0]["status"] == "pending"'
"$PEER_PY" -c "import os; print('{\"mails\": %d, \"dms\": %d}' % (len(os.listdir('$tmp/smtp/mail')), sum(1 for _ in open('$tmp/http/requests.jsonl')) if os.path.exists('$tmp/http/requests.jsonl') else 0))" > "$tmp/out"
json "  one mail (to anna), no chat request yet" 'j == {"mails": 1, "dms": 0}'

expect "connectors that reach lars are kept" 0 "$h" deploy "$tmp/tell.play" --db "$db" --connectors "$tmp/with_chat.json"
expect "tick" 0 "$h" tick --db "$db" --now "$(date -u -d '+2 days 1 minute' +%Y-%m-%dT%H:%M:%SZ)"
has "  lars's copy is delivered" "outbox: 1 delivered"
outbox_json
json "  nothing waits any more" 'j == []'
"$PEER_PY" -c "import json; r = [json.loads(l) for l in open('$tmp/http/requests.jsonl')]; print(json.dumps({'n': len(r), 'path': r[0]['path'], 'person': json.loads(r[0]['body'])['person']}))" > "$tmp/out"
json "  the chat peer got one request, for lars" 'j == {"n": 1, "path": "/dm", "person": "lars"}'
expect "history" 0 "$h" history i1 --db "$db"
has "  anna's delivery recorded" "delivered the message to anna (email)"
has "  lars's delivery recorded" "delivered the message to lars (chat.dm)"
plan
