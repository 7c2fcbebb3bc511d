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
serve_pid=""
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; }

db="$tmp/db"
count=12
start_peer http "$tmp/http" || { echo "Bail out! the HTTP peer did not start"; exit 1; }
reqs="$tmp/http/requests.jsonl"
printf '%s\n' '{"/slow": [{"status": 200, "delay_ms": 1500, "body": "{\"v\": 1}"}]}' > "$tmp/http/script.json"
cat > "$tmp/connectors.json" <<JSON
{"test": {"kind": "webhook"},
 "probe": {"kind": "http", "base_url": "http://127.0.0.1:$peer_port", "timeout_ms": 5000, "retries": 5,
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

expect "outbox --json" 0 "$h" outbox --db "$db" --json
json "every outbox entry was delivered: none is left" 'j == []'
"$PEER_PY" -c 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
print(json.dumps(rs))' "$reqs" > "$tmp/out"
json "the peer holds calls repeated after the kills" \
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
expect "the store's chain verifies after the kills" 0 "$h" audit verify --db "$db"
plan
