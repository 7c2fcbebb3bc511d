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
tick_pid=""
at_exit() { [ -n "$tick_pid" ] && kill -9 "$tick_pid" 2>/dev/null; stop_peers; }

db="$tmp/db"
count=12
start_peer http "$tmp/http" || { echo "Bail out! the HTTP peer did not start"; exit 1; }
hp=$peer_port
reqs="$tmp/http/requests.jsonl"
printf '%s\n' '{"/slow": [{"status": 200, "delay_ms": 1500, "body": "{\"v\": 1}"}]}' > "$tmp/http/script.json"
cat > "$tmp/connectors.json" <<JSON
{"test": {"kind": "webhook"},
 "probe": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 5000, "retries": 5,
           "operations": {"slow": {"method": "POST", "path": "/slow"},
                          "post": {"method": "POST", "path": "/post"}}}}
JSON
cat > "$tmp/crash.play" <<'PLAY'
playbook crash

on test.go as ev

state start {
  send probe.post({n: ev.n, before: true})
  let r = call probe.slow({n: ev.n})
  send probe.post({n: ev.n, after: r.v})
  done "got {r.v}"
}
PLAY
# shellcheck disable=SC2086
expect "deploy" 0 "$h" deploy "$tmp/crash.play" --db "$db" --connectors "$tmp/connectors.json" $(now 08:00)
i=1
: > "$tmp/events.jsonl"
while [ $i -le $count ]; do
  echo "{\"source\": \"test\", \"type\": \"go\", \"id\": \"e$i\", \"data\": {\"n\": $i}}" >> "$tmp/events.jsonl"
  i=$((i + 1))
done
# shellcheck disable=SC2086
expect "$count events start $count instances" 0 "$h" trigger --db "$db" --file "$tmp/events.jsonl" $(now 09:00)

lines() { [ -f "$reqs" ] && wc -l < "$reqs" || echo 0; }
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

expect "outbox --json" 0 "$h" outbox --db "$db" --json
json "every outbox entry was delivered: none is left" 'j == []'
"$PEER_PY" -c 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
print(json.dumps(rs))' "$reqs" > "$tmp/out"
json "the peer holds requests repeated after the crashes" \
  "len([r for r in j if r['path'] == '/slow']) > $count"
json "every call arrived at least once" \
  "sorted(set(json.loads(r['body'])['n'] for r in j if r['path'] == '/slow')) == list(range(1, $count + 1))"
json "every send arrived at least once, before and after" \
  "sorted(set((json.loads(r['body'])['n'], 'before' in json.loads(r['body'])) for r in j if r['path'] == '/post')) == sorted([(n, b) for n in range(1, $count + 1) for b in (True, False)])"
json "each request, however often repeated, carried one key" \
  "all(len(set(r['headers']['idempotency-key'] for r in j if r['path'] == p and r['body'] == b)) == 1 for p, b in set((r['path'], r['body']) for r in j))"
json "and different requests different keys" \
  "len(set(r['headers']['idempotency-key'] for r in j)) == len(set((r['path'], r['body']) for r in j))"
expect "instances --json" 0 "$h" instances --db "$db" --json
json "every instance is done with the reply" "len(j) == $count and all(i['status'] == 'done' and i['outcome'] == 'got 1' for i in j)"
dup=0
i=1
while [ $i -le $count ]; do
  "$h" history --db "$db" "i$i" --json > "$tmp/h.out" 2>&1
  [ "$(grep -c '"kind":"replied"' "$tmp/h.out")" -eq 1 ] || dup=$((dup + 1))
  [ "$(grep -c '"kind":"done"' "$tmp/h.out")" -eq 1 ] || dup=$((dup + 1))
  i=$((i + 1))
done
if [ "$dup" -eq 0 ]; then ok "no call reply was applied twice: one replied and one done record each"
else no "no call reply was applied twice ($dup instances with another count)" "$tmp/h.out"; fi

plan
