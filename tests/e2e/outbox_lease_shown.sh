#!/bin/sh
# tests/e2e/outbox_lease_shown.sh - `huddle outbox --pending` shows when an entry will
# really be tried next: a call claimed by a tick that was killed (-9) mid-request is
# leased (its timeout_ms + 30 s), and no tick tries it before the lease ends, so its
# `next` is the lease's end (and --json gives `leased_until`), not its first due time.
# Once the store's engine time has passed the lease's end, the entry is shown due again,
# without the lease (a review's finding: it still said "not tried again before then").
# Audit finding F2 (/tmp/audit/findings_out.md).
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
tick_pid=""
at_exit() { [ -n "$tick_pid" ] && kill -9 "$tick_pid" 2>/dev/null; stop_peers; }

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/connectors.json" <<JSON
{"mon": {"kind": "webhook"},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 8000,
        "operations": {"lookup": {"method": "POST", "path": "/slow"}}}}
JSON
echo '{"/slow": [{"status": 200, "body": "{\"v\": 1}", "delay_ms": 4000}]}' > "$tmp/http/script.json"
cat > "$tmp/p.play" <<'PLAY'
playbook p

on mon.spike as ev

state start {
  let r = call kb.lookup({n: 1}) else { done "else" }
  done "ok {r.v}"
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/connectors.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger --db "$db" mon.spike --id e1 --now 2026-06-15T09:00:00Z > /dev/null 2>&1 || no "trigger"
"$h" tick --db "$db" --now 2026-06-15T09:00:00Z > "$tmp/tick.out" 2>&1 &
tick_pid=$!
w=0
while [ ! -s "$tmp/http/requests.jsonl" ] && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
kill -9 "$tick_pid" 2>/dev/null
wait "$tick_pid" 2>/dev/null
tick_pid=""
[ -s "$tmp/http/requests.jsonl" ] && ok "the tick was killed with the call in flight" || no "the tick was killed with the call in flight" "$tmp/tick.out"

expect "outbox --pending" 0 "$h" outbox --db "$db" --pending
has "next is the lease's end (09:00 + 8 s + 30 s), marked as a lease" "1 attempt, next 2026-06-15T09:00:38Z (leased"
expect "outbox --pending --json" 0 "$h" outbox --db "$db" --pending --json
json "--json: next and leased_until are the lease's end" \
  'j[0]["next"] == "2026-06-15T09:00:38Z" and j[0]["leased_until"] == "2026-06-15T09:00:38Z"'
expect "a tick before the lease ends" 0 "$h" tick --db "$db" --now 2026-06-15T09:00:30Z
expect "outbox --pending" 0 "$h" outbox --db "$db" --pending
has "still next at the lease's end" "next 2026-06-15T09:00:38Z"
echo '{}' | "$h" trigger --db "$db" mon.other --id e2 --now 2026-06-15T09:00:39Z > /dev/null 2>&1 || no "an event no playbook takes, after the lease"
expect "outbox --pending, the store's time past the lease" 0 "$h" outbox --db "$db" --pending
hasnt "  the lease is over: no longer marked as one" "(leased"
has "  and next is no longer the lease's end" ", next 2026-06-15T09:00:0"
expect "outbox --pending --json" 0 "$h" outbox --db "$db" --pending --json
json "  --json has no leased_until" '"leased_until" not in j[0]'
expect "a tick after the lease" 0 "$h" tick --db "$db" --now 2026-06-15T09:00:39Z
has "it delivers the call again" "1 delivered"
expect "outbox" 0 "$h" outbox --db "$db"
has "the outbox is empty" "the outbox is empty"
plan
