#!/bin/sh
# tests/e2e/call_smtp.sh - a `call` through an smtp connector: the mail goes once, the
# call returns null (an smtp connector answers nothing; RUNTIME.md: `call` returns the
# reply's JSON, and promise 6: bad input never crashes the runtime). Before, `tick`
# ended with SIGSEGV after the mail was sent, every later tick sent it again, and serve
# died as it started on that store. A refused recipient (SMTP 550) fails the call at
# once into its `else`. Through `huddle tick` and `huddle serve` to the SMTP peer. TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

peer_or_bail smtp "$tmp/smtp"
cat > "$tmp/connectors.json" <<JSON
{"shop": {"kind": "webhook"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$peer_port", "from": "huddle@example.com"}}
JSON
cat > "$tmp/mailer.play" <<'PLAY'
playbook mailer

on shop.ck as o

state s {
  let r = call mail.send({to: o.to, subject: "Stock check", text: "Count the N9s."}) else { done "failed: {error}" }
  done "sent: {r ?? "null"}"
}
PLAY
mails() { ls "$tmp/smtp/mail" 2>/dev/null | grep -c 'json$'; }

db=$tmp/db
expect "deploy" 0 "$h" deploy "$tmp/mailer.play" --db "$db" --connectors "$tmp/connectors.json"
expect "trigger" 0 sh -c "echo '{\"to\": \"cy@example.com\"}' | '$h' trigger shop.ck --id e1 --db '$db'"
expect "tick sends the mail and settles the call (no signal)" 0 "$h" tick --db "$db"
has "  one delivered" "outbox: 1 delivered, 0 to try again, 0 failed"
expect "instances" 0 "$h" instances --db "$db"
has "  the call returned null and the instance went on" "sent: null"
expect "history" 0 "$h" history i1 --db "$db" --json
has "  a replied record" '"kind":"replied"'
expect "a second tick" 0 "$h" tick --db "$db"
json_of() { "$PEER_PY" -c "print('{\"mails\": %s}' % $(mails))" > "$tmp/out"; }
json_of
json "  the mail went once" 'j["mails"] == 1'

expect "a refused recipient" 0 sh -c "echo '{\"to\": \"reject@example.com\"}' | '$h' trigger shop.ck --id e2 --db '$db'"
expect "tick" 0 "$h" tick --db "$db"
expect "instances" 0 "$h" instances --db "$db"
has "  the call failed into its else" "failed: mail: "

db2=$tmp/db2
expect "deploy beside serve" 0 "$h" deploy "$tmp/mailer.play" --db "$db2" --connectors "$tmp/connectors.json"
expect "trigger" 0 sh -c "echo '{\"to\": \"dee@example.com\"}' | '$h' trigger shop.ck --id e3 --db '$db2'"
"$h" serve --db "$db2" --listen 127.0.0.1:0 > "$tmp/serve.out" 2> "$tmp/serve.err" &
serve_pid=$!
for _ in $(seq 1 100); do
    "$h" instances --db "$db2" 2>/dev/null | grep -q "sent: null" && break
    sleep 0.05
done
kill -TERM "$serve_pid" 2>/dev/null
wait "$serve_pid"
rc=$?
json_of2() { printf '{"rc": %s}\n' "$rc" > "$tmp/out"; }
json_of2
json "serve delivers it and stops cleanly on SIGTERM" 'j["rc"] == 0'
expect "instances" 0 "$h" instances --db "$db2"
has "  the call returned null under serve too" "sent: null"
plan
