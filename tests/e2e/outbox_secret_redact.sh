#!/bin/sh
# tests/e2e/outbox_secret_redact.sh - a connector's secret never reaches the history or
# output (RUNTIME.md, "Connectors": secrets are never written in the store, logs or
# errors), even when the peer echoes it: a call's non-JSON reply is quoted in its error,
# and the bearer token (whole, or its start where the quote is cut) is shown as
# [secret]. The audit's hardening note (/tmp/audit/findings_out.md).
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/connectors.json" <<JSON
{"mon": {"kind": "webhook"},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "token_env": "KB_TOKEN", "retries": 0,
        "operations": {"lookup": {"method": "POST", "path": "/echo"}}}}
JSON
echo '{"/echo": [{"status": 200, "body": "abcdefsecret"}]}' > "$tmp/http/script.json"
cat > "$tmp/p.play" <<'PLAY'
playbook p

on mon.spike as ev

state start {
  call kb.lookup({}) else { done "else: {error}" }
  done "ok"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/connectors.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger --db "$db" mon.spike --id e1 --now 2026-06-15T09:00:00Z > /dev/null 2>&1 || no "trigger"
expect "tick (the peer echoes the token as a non-JSON body)" 0 env KB_TOKEN=abcdefsecret "$h" tick --db "$db" --now 2026-06-15T09:00:00Z
hasnt "the tick's output does not hold the token" "abcdefsecret"
has "the call failed, the quote redacted" "the reply is not JSON (invalid token near '[secret]'"
expect "history --json" 0 "$h" history i1 --db "$db" --json
hasnt "the history does not hold the token" "abcdefsecret"
if grep -qa abcdefsecret "$db/data.mdb"; then no "the store does not hold the token" ""; else ok "the store does not hold the token"; fi

# A token the parser quotes only the start of ("invalid token near 'wxyz'": its letters,
# up to the first digit), followed by the rest of the message: before 2026-12-07 only a
# cut start that ended the text was redacted, so those 4 bytes came through.
long=wxyz$(printf '0123456789%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20)
db=$tmp/db2
echo "{\"/echo\": [{\"status\": 200, \"body\": \"$long\"}]}" > "$tmp/http/script.json"
expect "deploy (a second store)" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/connectors.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger --db "$db" mon.spike --id e1 --now 2026-06-15T09:00:00Z > /dev/null 2>&1 || no "trigger"
expect "tick (the peer echoes a 204-byte token)" 0 env KB_TOKEN="$long" "$h" tick --db "$db" --now 2026-06-15T09:00:00Z
hasnt "the tick's output holds no start of the token (the parser quotes its first 4 bytes)" "near 'wxyz"
expect "history --json" 0 "$h" history i1 --db "$db" --json
hasnt "the history holds no start of the token" "wxyz"
plan
