#!/bin/sh
# tests/e2e/outbox_mail_send_arg.sh - `send mail.send({to, subject, text})` sends the mail
# it is given or fails for good saying why (RUNTIME.md "Limits and damage": "a clear
# refusal, never a silent cut"). An audit found a text that was no string sent as an
# empty body and a `cc` dropped, both recorded delivered. Through `huddle tick` to the
# SMTP peer of tests/peers on 127.0.0.1. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
peer_or_bail smtp "$tmp/smtp"
db=$tmp/db
cat > "$tmp/connectors.json" <<JSON
{"src": {"kind": "webhook"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$peer_port", "from": "huddle@example.com"}}
JSON
cat > "$tmp/p.play" <<'PLAY'
playbook p
on src.go as ev
state start {
  send mail.send({to: "ops@example.com", subject: "Mentions", text: ev.mentions})
  send mail.send({to: "ops@example.com", subject: "Copy", text: "hi", cc: "boss@example.com"})
  send mail.send({to: "ops@example.com", subject: "Counted", text: "{ev.mentions} mentions"})
  done "ok"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/connectors.json" --now 2026-03-02T10:00:00Z
echo '{"mentions": 4711}' > "$tmp/e.json"
expect "trigger" 0 "$h" trigger src.go --id e1 --db "$db" --now 2026-03-02T10:00:00Z < "$tmp/e.json"
expect "tick" 0 "$h" tick --db "$db" --now 2026-03-02T10:00:00Z
has "  one delivered, two failed" "outbox: 1 delivered, 0 to try again, 2 failed"
expect "history" 0 "$h" history i1 --db "$db"
has "a text that is a number fails, saying so" "mail.send's text is a number, not text"
has "a cc fails, naming it" "mail.send takes to, subject and text; 'cc' is not one of them"
has "the text written as text is delivered" "delivered mail.send after 1 attempt"
count=$(ls "$tmp/smtp/mail" 2>/dev/null | wc -l)
[ "$count" -eq 1 ] && ok "the peer got one mail" || no "the peer got one mail ($count)"
grep -q "4711 mentions" "$tmp/smtp/mail/1.json" && ok "  with its text" || no "  with its text" "$tmp/smtp/mail/1.json"
plan
