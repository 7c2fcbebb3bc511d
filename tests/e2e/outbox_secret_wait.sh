#!/bin/sh
# tests/e2e/outbox_secret_wait.sh - a connector whose secret's environment variable
# (token_env; username_env, password_env) is not set makes its deliveries wait
# (docs/connectors.md, "Secrets"): they are not tried and no attempt is counted, so a
# `call` is not recorded call_failed nor runs its `else`, and a `send` does not become
# send_failed, however many ticks and hours pass; `huddle outbox --pending` and the
# tick's output say why. The first tick that has the variable set delivers them.
# Audit finding F1 (/tmp/audit/findings_out.md): they used up their attempts.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
peer_or_bail smtp "$tmp/smtp"
sp=$peer_port
unset F1_TOKEN F1_USER F1_PASS
cat > "$tmp/connectors.json" <<JSON
{"mon": {"kind": "webhook"},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "token_env": "F1_TOKEN", "retries": 1,
        "operations": {"lookup": {"method": "POST", "path": "/lookup"}, "post": {"method": "POST", "path": "/post"}}},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$sp", "from": "huddle@example.com",
          "username_env": "F1_USER", "password_env": "F1_PASS"}}
JSON
cat > "$tmp/p.play" <<'PLAY'
playbook p

on mon.spike as ev

state start {
  send kb.post({s: 1})
  send mail.send({to: "anna@example.com", subject: "spike", text: "a spike"})
  let r = call kb.lookup({n: 1}) else { done "else: {error}" }
  done "ok {r.n}"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/connectors.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger --db "$db" mon.spike --id e1 --now 2026-06-15T09:00:00Z > /dev/null 2>&1 || no "trigger"

expect "a tick without F1_TOKEN, F1_USER, F1_PASS" 0 "$h" tick --db "$db" --now 2026-06-15T09:00:00Z
has "the tick says entries wait, and for which variable" "3 entries wait, not tried (no attempt counted)"
has "it names the variable" "the environment variable F1_"
expect "a tick 10 s later (the call's 2 attempts would be used up)" 0 "$h" tick --db "$db" --now 2026-06-15T09:00:10Z
expect "a tick 25 h later (past a send's 24 hours)" 0 "$h" tick --db "$db" --now 2026-06-16T10:00:10Z
expect "tick --json" 0 "$h" tick --db "$db" --now 2026-06-16T10:00:20Z --json
json "tick --json counts them as waiting, with the reason" \
  'j["tick"]["outbox"]["waiting"] == 3 and "is not set" in j["tick"]["outbox"]["waiting_why"]'
expect "outbox --pending" 0 "$h" outbox --db "$db" --pending
has "the call waits, 0 attempts" "call kb.lookup, 0 attempts, next 2026-06-15T09:00:00Z, waiting (not tried, no attempt counted, until it is set): the environment variable F1_TOKEN (token_env of connector kb) is not set"
has "the send waits too" "send kb.post, 0 attempts"
has "the mail waits for its login's variable" "send mail.send, 0 attempts, next 2026-06-15T09:00:00Z, waiting (not tried, no attempt counted, until it is set): the environment variable F1_USER (username_env of connector mail) is not set"
expect "outbox --json" 0 "$h" outbox --db "$db" --json
json "every entry is pending, with a waiting reason and no attempt" \
  'len(j) == 3 and all(e["status"] == "pending" and e["attempts"] == 0 and "is not set" in e["waiting"] for e in j)'
expect "history" 0 "$h" history i1 --db "$db" --json
hasnt "no call_failed" "call_failed"
hasnt "no send_failed" "send_failed"
expect "instances" 0 "$h" instances --db "$db"
has "the instance still waits for its call" "running"
if [ -s "$tmp/http/requests.jsonl" ]; then no "no request reached the HTTP peer" "$tmp/http/requests.jsonl"; else ok "no request reached the HTTP peer"; fi

expect "a tick with F1_TOKEN set" 0 env F1_TOKEN=t0ken-f1 "$h" tick --db "$db" --now 2026-06-16T10:01:00Z
has "it delivers the call and the send" "2 delivered"
expect "instances" 0 "$h" instances --db "$db"
has "the call's reply ends the instance" "ok 1"
expect "outbox --pending" 0 "$h" outbox --db "$db" --pending
has "only the mail still waits" "send mail.send, 0 attempts"
hasnt "the http entries left the outbox" "kb."
auth=$("$PEER_PY" -c 'import json,sys; print(sorted({json.loads(l)["headers"].get("authorization") for l in open(sys.argv[1])}))' "$tmp/http/requests.jsonl")
[ "$auth" = "['Bearer t0ken-f1']" ] && ok "the requests carried the token" || no "the requests carried the token ($auth)" ""
plan
