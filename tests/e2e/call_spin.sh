#!/bin/sh
# tests/e2e/call_spin.sh - a call whose else goes back to it (`call kb.op({}) else goto a`,
# which the checker accepts: the loop passes a call) spins while its peer fails at once.
# Neither `huddle run` nor `huddle tick` may spin with it without end (an audit found run
# never reaching its trace's end, and one tick sending over 1,000 requests in 10 s):
#   run    stops after ENGINE_MOCK_CHAIN (1,000) calls answered at one virtual time, exit 1,
#          saying why;
#   tick   delivers calls made by replies in the same tick for OUTBOX_TICK_CHAIN (100)
#          rounds, then ends, saying so; the next tick goes on (tests/peers' HTTP peer on
#          127.0.0.1 answers 400 to every request).
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
cat > "$tmp/poll.play" <<'PLAY'
playbook poll

on mon.ev as e

state a {
  call kb.op({}) else goto a
  done "ok"
}
PLAY
printf '%s\n' '{"at":"2026-06-15T10:00:00Z","event":{"source":"mon","type":"ev","id":"a1","data":{}}}' \
  '{"at":"2026-06-15T11:00:00Z","end":true}' > "$tmp/trace.jsonl"
expect "check accepts the loop (it passes a call)" 0 "$h" check "$tmp/poll.play"
expect "run stops the spin: exit 1" 1 timeout 60 "$h" run "$tmp/poll.play" --events "$tmp/trace.jsonl"
has "  saying why" "1000 calls in a row were answered at one virtual time"
[ "$(grep -c 'call kb.op' "$tmp/out")" -le 1001 ] && ok "  after 1,000 calls at most" || no "  after 1,000 calls at most"

db=$tmp/db
peer_or_bail http "$tmp/http"
echo '{"/op": [{"status": 400, "body": "{}"}]}' > "$tmp/http/script.json"
cat > "$tmp/conn.json" <<JSON
{"mon": {"kind": "webhook"},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "retries": 0,
        "operations": {"op": {"method": "POST", "path": "/op"}}}}
JSON
expect "deploy" 0 "$h" deploy "$tmp/poll.play" --db "$db" --connectors "$tmp/conn.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger mon.ev --id c1 --db "$db" --now 2026-06-15T10:00:00Z > /dev/null 2>&1 || no "trigger"
expect "one tick ends" 0 timeout 120 "$h" tick --db "$db" --now 2026-06-15T10:01:00Z
has "  saying it stopped the chain" "outbox: stopped after 100 rounds of calls and sends made by replies"
requests=$(wc -l < "$tmp/http/requests.jsonl")
[ "$requests" -ge 100 ] && [ "$requests" -le 102 ] && ok "  after about 100 requests ($requests)" || no "  after about 100 requests ($requests)"
expect "outbox --pending: the last call waits for the next tick" 0 "$h" outbox --db "$db" --pending --json
json "  (one call, not tried yet)" 'len(j) == 1 and j[0]["attempts"] == 0'
expect "tick --json says so" 0 timeout 120 "$h" tick --db "$db" --now 2026-06-15T10:02:00Z --json
json "  (tick.outbox.chain_cut)" 'j["tick"]["outbox"]["chain_cut"] is True'
plan
