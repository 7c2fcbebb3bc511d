# tests/e2e/outbox/crash_lib.sh - what the outbox's two kill -9 suites share (sourced after
# tests/e2e/lib.sh and tests/peers/peers.sh): the store they crash and the checks after.
#
#   crash_store    starts the HTTP peer (every /slow call held 1.5 s), deploys a playbook
#                  that sends, calls /slow and sends again, and starts $count instances
#                  (engine time 2026-03-02 09:00); sets $db and $reqs (the peer's log)
#   lines          how many requests the peer has had so far
#   crash_checks   after the crashes: nothing left in the outbox, every call and send
#                  delivered at least once, one Idempotency-Key per request however often
#                  it was repeated, every instance done, no call reply applied twice
count=12

crash_store() {
db="$tmp/db"
peer_or_bail http "$tmp/http"
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
}

lines() { [ -f "$reqs" ] && wc -l < "$reqs" || echo 0; }

crash_checks() {
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
}
