#!/bin/sh
# tests/e2e/outbox_serve_kill9.sh - kill -9 `huddle serve` while its outbox deliveries are
# in flight (issue 13; RUNTIME.md promises 3 and 4). The HTTP peer (tests/peers/
# http_peer.py) holds every call 1.5 s; serve is killed three times with calls in flight
# and started again each time a minute later in engine time (--clock-offset, so the
# leases of the killed deliveries have run out), then left to finish. In the end every
# entry was delivered at least once, every repeat of a request carried the same
# Idempotency-Key, no call's reply was applied twice, and the last serve exits 0 at
# SIGTERM with a clean log. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
. "$TOP/tests/e2e/outbox/crash_lib.sh"
serve_pid=""
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; }

crash_store

# serve_up ROUND: serve with the clock ROUND minutes ahead; waits (10 s) for it to listen.
serve_up() {
  "$h" serve --db "$db" --listen 127.0.0.1:0 --clock-offset $(($1 * 60000)) 2> "$tmp/serve$1.log" &
  serve_pid=$!
  w=0
  while ! grep -q '"event":"listening"' "$tmp/serve$1.log" && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
  grep -q '"event":"listening"' "$tmp/serve$1.log"
}
# crash ROUND: serve, killed (-9) once the peer holds more requests than before (some
# calls are then in flight for 1.5 s); at most 10 s of waiting.
crash() {
  before=$(lines)
  serve_up "$1" || { no "serve starts (round $1)" "$tmp/serve$1.log"; return; }
  w=0
  while [ "$(lines)" -le "$before" ] && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
  sleep 0.3
  kill -9 "$serve_pid" 2>/dev/null
  wait "$serve_pid" 2>/dev/null
  rc=$?
  serve_pid=""
  if [ "$rc" -eq 137 ] && [ "$(lines)" -gt "$before" ]; then ok "serve killed (-9) with deliveries in flight (round $1)"
  else no "serve killed (-9) with deliveries in flight (round $1, exit $rc)" "$tmp/serve$1.log"; fi
}
crash 1
crash 2
crash 3

# The last serve delivers the rest by itself: wait (30 s at most) until nothing is left.
serve_up 4 || no "the last serve starts" "$tmp/serve4.log"
w=0
while [ $w -lt 300 ]; do
  "$h" outbox --db "$db" --json > "$tmp/outbox.json" 2>&1
  "$h" instances --db "$db" --json > "$tmp/instances.json" 2>&1
  grep -q '^\[\]$' "$tmp/outbox.json" && [ "$(grep -o '"status": "done"' "$tmp/instances.json" | wc -l)" -eq $count ] && break
  sleep 0.1; w=$((w + 1))
done
kill -TERM "$serve_pid" 2>/dev/null
wait "$serve_pid"
rc=$?
serve_pid=""
[ "$rc" -eq 0 ] && ok "the last serve exits 0 at SIGTERM" || no "the last serve exits 0 at SIGTERM ($rc)" "$tmp/serve4.log"
if grep -q "Sanitizer\|runtime error:" "$tmp"/serve*.log; then no "no sanitizer report in any serve's log" "$tmp/serve4.log"
else ok "no sanitizer report in any serve's log"; fi

crash_checks
expect "the store's chain verifies after the kills" 0 "$h" audit verify --db "$db"
plan
