#!/bin/sh
# tests/e2e/outbox_doubles.sh - a request's JSON body writes doubles as the playbook's
# json() does (stdlib/builtins.md: json() is "the form that is sent to connectors"): the
# shortest digits that read back to the same double, so 19.99 arrives as 19.99, not as
# 19.989999999999998 (an audit's finding: bodies were written with 17 digits). The
# HTTP peer of tests/peers on 127.0.0.1 records each body as it came. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
db=$tmp/db
peer_or_bail http "$tmp/http"
cat > "$tmp/conn.json" <<JSON
{"mon": {"kind": "webhook"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "retries": 0,
         "operations": {"note": {"method": "POST", "path": "/note"}}}}
JSON
cat > "$tmp/p.play" <<'PLAY'
playbook p

on mon.sale as s

state tell {
  send crm.note({price: 19.99, tenth: 0.1, big: 1e21, whole: 1500.0, count: 3, nested: [s.amount, {x: 2.5}], text: json({price: 19.99})})
  done "told"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/conn.json" --now 2026-06-15T09:00:00Z
echo '{"amount": 0.30000000000000004}' | "$h" trigger mon.sale --id s1 --db "$db" --now 2026-06-15T09:00:00Z > /dev/null 2>&1 || no "trigger"
expect "tick delivers it" 0 "$h" tick --db "$db" --now 2026-06-15T09:00:01Z
has "  (delivered)" "1 delivered"
"$PEER_PY" - "$tmp/http/requests.jsonl" > "$tmp/out" 2>&1 <<'PY'
import json, sys
body = json.loads(open(sys.argv[1]).readline())["body"]
print(body)
PY
has "19.99 arrives as 19.99" '"price":19.99,'
has "0.1 as 0.1" '"tenth":0.1,'
has "1e21 as 1e+21" '"big":1e+21,'
has "1500.0 keeps its point" '"whole":1500.0,'
has "an integer stays one" '"count":3,'
has "an event's double keeps its digits" '"nested":[0.30000000000000004,{"x":2.5}]'
has "the same digits as json() writes" '"text":"{\"price\":19.99}"'
plan
