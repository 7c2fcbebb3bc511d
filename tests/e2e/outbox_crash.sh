#!/bin/sh
# tests/e2e/outbox_crash.sh - kill -9 while the outbox's deliveries are in flight
# (issue 13; RUNTIME.md promises 3 and 4): `huddle tick` is killed while the HTTP peer
# (tests/peers/http_peer.py) holds its slow calls, three times, and started again
# after the leases ran out. In the end every entry was delivered at least once, every
# repeat of a request carried the same Idempotency-Key, and no call's reply was applied
# twice (one `replied` record per instance, each instance done once).
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"
. "$TOP/tests/e2e/outbox/crash_lib.sh"
tick_pid=""
at_exit() { [ -n "$tick_pid" ] && kill -9 "$tick_pid" 2>/dev/null; stop_peers; }

crash_store

# crash_at HH:MM: a tick at that time, killed (-9) once the peer holds more requests
# than before (some calls are then in flight for 1.5 s); at most 10 s of waiting.
crash_at() {
  before=$(lines)
  # shellcheck disable=SC2086
  "$h" tick --db "$db" $(now $1) > "$tmp/tick.out" 2>&1 &
  tick_pid=$!
  w=0
  while [ "$(lines)" -le "$before" ] && [ $w -lt 100 ]; do sleep 0.1; w=$((w + 1)); done
  sleep 0.3
  kill -9 "$tick_pid" 2>/dev/null
  wait "$tick_pid" 2>/dev/null
  rc=$?
  tick_pid=""
  if [ "$rc" -eq 137 ] && [ "$(lines)" -gt "$before" ]; then ok "tick at $1 killed (-9) with deliveries in flight"
  else no "tick at $1 killed (-9) with deliveries in flight (exit $rc)" "$tmp/tick.out"; fi
}
crash_at 09:00
# The leases (timeout 5 s + 30 s) run out before the next minute.
crash_at 09:01
crash_at 09:02
# shellcheck disable=SC2086
expect "a tick that runs to the end" 0 "$h" tick --db "$db" $(now 09:03)
# shellcheck disable=SC2086
expect "and one more for what its replies sent" 0 "$h" tick --db "$db" $(now 09:04)

crash_checks

plan
