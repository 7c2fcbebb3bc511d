#!/bin/sh
# tests/e2e/serve_held_clock.sh - serve delivers what another process put in the outbox
# within about a second (RUNTIME.md: serve "rescans timers and the outbox at least every
# second") also while its clock is held: a store whose engine time is ahead of the wall
# clock (a `--now` in the future) holds serve's clock there (RUNTIME.md: "a wall clock that
# steps back is held there"), and the dispatcher counted its rescans in engine time, which
# then stands still: an entry a `huddle trigger` beside serve made waited until serve
# restarted. Now the intervals count in real time too (engine_dispatch.c). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/peers/peers.sh"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; :; }
db=$tmp/store
future=2031-04-01T00:00:00Z

peer_or_bail http "$tmp/http"
reqs="$tmp/http/requests.jsonl"
cat > "$tmp/connectors.json" <<JSON
{"mon": {"kind": "webhook", "id": "/id", "type": "/type"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "timeout_ms": 2000,
         "operations": {"note": {"method": "POST", "path": "/notes"}}}}
JSON
cat > "$tmp/tell.play" <<'PLAY'
playbook tell

on mon.probe as p

state start {
  send crm.note({about: p.what})
  done "told"
}
PLAY
serve_tokens
expect "deploy at a future --now" 0 "$h" deploy "$tmp/tell.play" --db "$db" --connectors "$tmp/connectors.json" --now "$future"
requests() { cat "$reqs" 2>/dev/null | wc -l; }
# wait_requests N: up to 5 s for the peer to hold N requests
wait_requests() { i=0; while [ "$(requests)" -lt "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done; }

echo '{"what": "a"}' | "$h" trigger mon.probe --id a0 --db "$db" --now "$future" > "$tmp/out" 2>&1
has "an event before serve starts" "accepted a0"
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
wait_requests 1
[ "$(requests)" = 1 ] && ok "serve delivers the waiting send as it starts" || no "serve delivers the waiting send as it starts" "$reqs"
sleep 1.2   # a full rescan behind it: only the second-by-second check can see the next one
echo '{"what": "b"}' | "$h" trigger mon.probe --id b1 --db "$db" > "$tmp/out" 2>&1
has "an event beside serve, stamped with the store's (held) time" "accepted b1"
wait_requests 2
if [ "$(requests)" = 2 ] && "$PY" -c 'import json, sys
bodies = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
sys.exit(bodies != [{"about": "a"}, {"about": "b"}])' "$reqs"; then
  ok "serve delivers the other process's send within seconds, its clock held"
else
  "$h" outbox --db "$db" > "$tmp/outbox" 2>&1; cat "$reqs" >> "$tmp/outbox"
  no "serve delivers the other process's send within seconds, its clock held" "$tmp/outbox"
fi
serve_stop
[ "$serve_rc" = 0 ] && ok "serve stops cleanly" || no "serve stops cleanly (exit $serve_rc)" "$tmp/serve.log"
plan
