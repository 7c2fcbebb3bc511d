#!/bin/sh
# tests/e2e/outbox_partly_failed.sh - a message one recipient of which fails for good while
# another's copy waits to be tried again (docs/connectors.md, "Failing for good"). An
# audit found the failure hidden from `outbox --failed`, `outbox retry` of its key
# refused ("has not failed: it is pending"), and, once the other copy was delivered,
# the failed entry showing that copy's passing HTTP 500 as its last error. Peers of
# tests/peers on 127.0.0.1: the SMTP peer refuses reject@..., the HTTP peer answers 500,
# then 200. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
peer_or_bail http "$tmp/http"
http_port=$peer_port
peer_or_bail smtp "$tmp/smtp"
smtp_port=$peer_port
echo '{"/dm": [{"status": 500}, {"status": 200}]}' > "$tmp/http/script.json"
db=$tmp/db
cat > "$tmp/c.json" <<JSON
{"src": {"kind": "webhook"},
 "chat": {"kind": "http", "base_url": "http://127.0.0.1:$http_port", "operations": {"dm": {"method": "POST", "path": "/dm"}}},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$smtp_port", "from": "huddle@example.com"}}
JSON
cat > "$tmp/d.json" <<'JSON'
{"people": {"rex": {"name": "Rex", "email": "reject@example.com"},
            "lars": {"name": "Lars", "email": "lars@example.com", "notify": "chat.dm"}}}
JSON
printf 'playbook p\non src.go as ev\nstate start {\n  notify person("rex"), person("lars") "Hello"\n  done "ok"\n}\n' > "$tmp/p.play"
expect "directory" 0 "$h" directory load "$tmp/d.json" --db "$db" --now 2026-03-02T10:00:00Z
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/c.json" --now 2026-03-02T10:00:00Z
echo '{}' > "$tmp/e.json"
expect "trigger" 0 "$h" trigger src.go --id e1 --db "$db" --now 2026-03-02T10:00:00Z < "$tmp/e.json"
expect "tick: rex refused for good, lars to try again" 0 "$h" tick --db "$db" --now 2026-03-02T10:00:00Z
has "  (so it says)" "0 delivered, 1 to try again, 1 failed"
expect "outbox --failed while lars waits" 0 "$h" outbox --db "$db" --failed
has "  lists the message, rex failed, lars pending" "to rex(failed) lars(pending)"
has "  with rex's refusal as its error" "SMTP 550"
"$h" outbox --db "$db" --json > "$tmp/list.json" 2>&1
key=$("$PEER_PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["key"])' "$tmp/list.json")
expect "outbox retry of its key while lars waits" 0 "$h" outbox --db "$db" retry "$key" --now 2026-03-02T10:00:01Z
has "  makes rex pending again" "is pending again"
expect "the next tick" 0 "$h" tick --db "$db" --now 2026-03-02T10:00:05Z
has "  delivers to lars, rex refused again" "1 delivered, 0 to try again, 1 failed"
expect "outbox --failed after lars was delivered" 0 "$h" outbox --db "$db" --failed
has "  rex failed, lars done" "to rex(failed) lars(done)"
has "  the error is rex's refusal" "last error: mail: "
hasnt "  not lars's passing 500" "HTTP 500"
hasnt "  and no next try" ", next "
plan
