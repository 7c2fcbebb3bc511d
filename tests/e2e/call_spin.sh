#!/bin/sh
# tests/e2e/call_spin.sh - a call that leads back to itself without waiting (the checker
# accepts such a loop: it passes a call) may not spin without end against its peer. An
# audit found `huddle run` never reaching its trace's end, and one `huddle tick` sending
# over 1,000 requests in 10 s to a peer that answered 400:
#   a failure   the same call made again by its `else` is first tried a second later
#               (OUTBOX_AFTER_FAILURE_MS): `call kb.op({}) else goto a` is a retry loop
#               at one try a second, in run's virtual time, for tick and for serve;
#   a reply     a call made by a reply is delivered in the same tick, for 100 rounds of
#               them (OUTBOX_TICK_CHAIN), then the tick ends, saying so; run stops after
#               1,000 calls answered at one virtual time (exit 1), saying why.
# tests/peers' HTTP peer on 127.0.0.1 answers; serve is run for 3.5 s of the retry loop.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/peers/peers.sh"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; :; }
cat > "$tmp/retry.play" <<'PLAY'
playbook retry

on mon.ev as e

state a {
  call kb.op({}) else goto a
  done "ok"
}
PLAY
cat > "$tmp/poll.play" <<'PLAY'
playbook poll

on mon.poll as e

state a {
  let r = call kb.poll({})
  goto a
}
PLAY
printf '%s\n' '{"at":"2026-06-15T10:00:00Z","event":{"source":"mon","type":"ev","id":"a1","data":{}}}' \
  '{"at":"2026-06-15T10:10:00Z","end":true}' > "$tmp/retry.jsonl"
printf '%s\n' '{"at":"2026-06-15T10:00:00Z","event":{"source":"mon","type":"poll","id":"p1","data":{}}}' \
  '{"at":"2026-06-15T10:10:00Z","end":true}' > "$tmp/poll.jsonl"
echo '{"kb.poll": {"n": 1}}' > "$tmp/mocks.json"
expect "check accepts the retry loop (it passes a call)" 0 "$h" check "$tmp/retry.play"
expect "run of the retry loop with no mock reaches the trace's end" 0 timeout 60 "$h" run "$tmp/retry.play" --events "$tmp/retry.jsonl"
calls=$(grep -c 'call kb.op' "$tmp/out")
[ "$calls" -ge 600 ] && [ "$calls" -le 602 ] && ok "  trying once a second of virtual time (10 min: $calls calls)" || no "  trying once a second of virtual time ($calls calls)"
expect "run of a call loop on replies stops: exit 1" 1 timeout 60 "$h" run "$tmp/poll.play" --events "$tmp/poll.jsonl" --mocks "$tmp/mocks.json"
has "  saying why" "1000 calls in a row were answered at one virtual time"

db=$tmp/db
peer_or_bail http "$tmp/http"
echo '{"/op": [{"status": 400, "body": "{}"}]}' > "$tmp/http/script.json"
cat > "$tmp/conn.json" <<JSON
{"mon": {"kind": "webhook"},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "retries": 0,
        "operations": {"op": {"method": "POST", "path": "/op"}, "poll": {"method": "POST", "path": "/poll"}}}}
JSON
expect "deploy" 0 "$h" deploy "$tmp/retry.play" "$tmp/poll.play" --db "$db" --connectors "$tmp/conn.json" --now 2026-06-15T09:00:00Z
echo '{}' | "$h" trigger mon.ev --id c1 --db "$db" --now 2026-06-15T10:00:00Z > /dev/null 2>&1 || no "trigger"
expect "a tick against a peer that answers 400" 0 timeout 60 "$h" tick --db "$db" --now 2026-06-15T10:01:00Z
[ "$(wc -l < "$tmp/http/requests.jsonl")" -eq 1 ] && ok "  sends the call once" || no "  sends the call once"
expect "outbox --pending: the else's call waits a second" 0 "$h" outbox --db "$db" --pending --json
json "  (next 10:01:01, not tried)" 'len(j) == 1 and j[0]["attempts"] == 0 and j[0]["next"] == "2026-06-15T10:01:01Z"'
expect "the next tick, a second later" 0 timeout 60 "$h" tick --db "$db" --now 2026-06-15T10:01:01Z
[ "$(wc -l < "$tmp/http/requests.jsonl")" -eq 2 ] && ok "  tries it again, once" || no "  tries it again, once"
expect "cancel the retry loop" 0 "$h" cancel i1 --by ops --reason "test over" --db "$db" --now 2026-06-15T10:01:02Z

: > "$tmp/http/requests.jsonl"
echo '{}' | "$h" trigger mon.poll --id p1 --db "$db" --now 2026-06-15T10:02:00Z > /dev/null 2>&1 || no "trigger"
expect "a tick of a call loop on replies ends" 0 timeout 120 "$h" tick --db "$db" --now 2026-06-15T10:02:00Z
has "  saying it stopped the chain" "outbox: stopped after 100 rounds of calls and sends made by replies"
requests=$(grep -c '/poll' "$tmp/http/requests.jsonl")
[ "$requests" -ge 100 ] && [ "$requests" -le 102 ] && ok "  after about 100 requests ($requests)" || no "  after about 100 requests ($requests)"
expect "the next tick says so in --json" 0 timeout 120 "$h" tick --db "$db" --now 2026-06-15T10:03:00Z --json
json "  (tick.outbox.chain_cut)" 'j["tick"]["outbox"]["chain_cut"] is True'

# serve: the retry loop against the peer answering 400, for 3.5 s
sdb=$tmp/served
serve_tokens
expect "deploy for serve" 0 "$h" deploy "$tmp/retry.play" --db "$sdb" --connectors "$tmp/conn.json"
: > "$tmp/http/requests.jsonl"
if serve_start "$sdb"; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; fi
call "an event starts the retry loop" 200 POST /v1/events/mon -H Content-Type:application/json \
  -H "Authorization: Bearer feeder-token" -d '{"id": "s1", "type": "ev"}'
sleep 3.5
serve_stop
tries=$(grep -c '/op' "$tmp/http/requests.jsonl")
[ "$tries" -ge 2 ] && [ "$tries" -le 6 ] && ok "  serve tries it about once a second ($tries in 3.5 s)" || no "  serve tries it about once a second ($tries in 3.5 s)"
plan
