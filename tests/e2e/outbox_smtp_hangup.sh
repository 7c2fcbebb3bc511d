#!/bin/sh
# tests/e2e/outbox_smtp_hangup.sh - a mail server that hangs up in the middle of a session
# is a failure to try again, and the error says what happened, not the last reply that
# went well (an audit found "SMTP 250" after a hang-up following MAIL FROM, and "SMTP 354"
# after the message). tests/peers/smtp_drop.py on 127.0.0.1. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
PY3=/usr/bin/python3
drop_pid=
at_exit() { [ -n "$drop_pid" ] && kill "$drop_pid" 2>/dev/null; :; }
printf 'playbook p\non src.go as ev\nstate start {\n  send mail.send({to: "ops@example.com", subject: "s", text: "t"})\n  done "ok"\n}\n' > "$tmp/p.play"
echo '{}' > "$tmp/e.json"
for when in MAIL DATA_END; do
  dir=$tmp/$when
  mkdir -p "$dir"
  "$PY3" "$TOP/tests/peers/smtp_drop.py" "$dir" "$when" 2> /dev/null &
  drop_pid=$!
  i=0; while [ ! -s "$dir/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  printf '{"src": {"kind": "webhook"}, "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:%s", "from": "huddle@example.com"}}\n' "$(cat "$dir/port")" > "$dir/c.json"
  expect "$when: deploy" 0 "$h" deploy "$tmp/p.play" --db "$dir/db" --connectors "$dir/c.json" --now 2026-03-02T10:00:00Z
  expect "$when: trigger" 0 "$h" trigger src.go --id e1 --db "$dir/db" --now 2026-03-02T10:00:00Z < "$tmp/e.json"
  expect "$when: a tick against a server that hangs up" 0 timeout 40 "$h" tick --db "$dir/db" --now 2026-03-02T10:00:00Z
  has "  is a failure to try again" "0 delivered, 1 to try again, 0 failed"
  expect "$when: the outbox" 0 "$h" outbox --db "$dir/db"
  has "  says the peer went away" "last error: mail: Failure when receiving data from the peer"
  hasnt "  with no reply code that went well" "SMTP 2"
  hasnt "  (nor 354)" "SMTP 354"
  kill "$drop_pid" 2>/dev/null; wait "$drop_pid" 2>/dev/null; drop_pid=
done
plan
