#!/bin/sh
# tests/e2e/outbox_long_reply.sh - a send is delivered by its 2xx (RUNTIME.md "Connectors":
# "A call fails when no attempt got a 2xx"; only a call reads the reply). An audit found
# a send answered 200 with a body over 1 MiB recorded send_failed ("the reply is over 1
# MiB") although the peer had it, and an operator's outbox retry then sent it again. A
# call still fails on a reply it cannot read whole. The HTTP peer of tests/peers on
# 127.0.0.1 answers as scripted. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
db=$tmp/db
peer_or_bail http "$tmp/http"
"$PEER_PY" -c 'import json; print(json.dumps({"/big": [{"status": 200, "body": "x" * 1100000}],
  "/small": [{"status": 200, "body": "OK"}], "/ask": [{"status": 200, "body": "[" + "1," * 600000 + "1]"}]}))' > "$tmp/http/script.json"
cat > "$tmp/conn.json" <<JSON
{"src": {"kind": "webhook"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "retries": 0,
         "operations": {"big": {"method": "POST", "path": "/big"}, "small": {"method": "POST", "path": "/small"},
                        "ask": {"method": "POST", "path": "/ask"}}}}
JSON
cat > "$tmp/p.play" <<'PLAY'
playbook p
on src.go as ev
state start {
  send crm.big({n: 1})
  send crm.small({n: 2})
  call crm.ask({n: 3}) else goto failed
  done "called"
}
state failed {
  done "call failed"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/conn.json" --now 2026-03-02T10:00:00Z
echo '{}' > "$tmp/e.json"
expect "trigger" 0 "$h" trigger src.go --id e1 --db "$db" --now 2026-03-02T10:00:00Z < "$tmp/e.json"
expect "tick delivers" 0 "$h" tick --db "$db" --now 2026-03-02T10:00:00Z
expect "history" 0 "$h" history i1 --db "$db"
has "a send answered 200 with 1.1 MB is delivered" "delivered crm.big after 1 attempt"
has "  as one answered OK is" "delivered crm.small after 1 attempt"
hasnt "  and nothing could not be delivered" "could not deliver crm.big"
has "a call answered 200 with 1.2 MB fails: its reply cannot be read" "the reply is over 1 MiB"
has "  and goes to its else" "done: call failed"
expect "outbox --failed" 0 "$h" outbox --db "$db" --failed
has "  lists no failed send" "no failed entry"
plan
