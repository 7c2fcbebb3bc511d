#!/bin/sh
# tests/e2e/outbox_retry_after.sh - a peer that answers 429 or 503 with Retry-After sets
# the next try of the call or send no sooner than it asks (docs/connectors.md, "Retries"),
# never later than the backoff's cap of 1 h; without the header, or on another status,
# the backoff alone (0.5 to 1 s after a first failed attempt) decides. `huddle tick`
# delivers through the connectors deploy kept, to the HTTP peer of tests/peers on 127.0.0.1.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/connectors.json" <<JSON
{"test":  {"kind": "webhook"},
 "probe": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 2000, "retries": 3,
           "operations": {"busy": {"method": "POST", "path": "/busy"},
                          "away": {"method": "POST", "path": "/away"},
                          "greedy": {"method": "POST", "path": "/greedy"},
                          "plain": {"method": "POST", "path": "/plain"},
                          "odd": {"method": "POST", "path": "/odd"},
                          "tell": {"method": "POST", "path": "/tell"}}}}
JSON
files=
for op in busy away greedy plain odd; do
  cat > "$tmp/call_$op.play" <<PLAY
playbook call_$op

on test.$op as ev

state start {
  let r = call probe.$op({n: ev.n}) else { done "failed: {error}" }
  done "got {r.v}"
}
PLAY
  files="$files $tmp/call_$op.play"
done
cat > "$tmp/send_tell.play" <<'PLAY'
playbook send_tell

on test.tell as ev

state start {
  send probe.tell({n: ev.n})
  done "sent"
}
PLAY
for f in $files "$tmp/send_tell.play"; do
  "$h" deploy "$f" --db "$db" --connectors "$tmp/connectors.json" --now 2026-03-02T09:59:00Z > "$tmp/out" 2>&1 ||
    no "deploy $f"
done

printf '%s\n' '{"/busy": [{"status": 429, "headers": {"Retry-After": "120"}}, {"status": 200, "body": "{\"v\": 1}"}],
 "/away": [{"status": 503, "headers": {"Retry-After": "30"}}, {"status": 200, "body": "{\"v\": 2}"}],
 "/greedy": [{"status": 429, "headers": {"Retry-After": "86400"}}, {"status": 200, "body": "{\"v\": 3}"}],
 "/plain": [{"status": 429}, {"status": 200, "body": "{\"v\": 4}"}],
 "/odd": [{"status": 500, "headers": {"Retry-After": "600"}}, {"status": 200, "body": "{\"v\": 5}"}],
 "/tell": [{"status": 429, "headers": {"Retry-After": "300"}}, {"status": 200}]}' > "$tmp/http/script.json"
for t in busy away greedy plain odd tell; do
  echo '{"n": 1}' | "$h" trigger --db "$db" test.$t --id "e-$t" --now 2026-03-02T10:00:00Z > /dev/null 2>&1 || no "trigger test.$t"
done
expect "tick at 10:00 tries each once" 0 "$h" tick --db "$db" --now 2026-03-02T10:00:00Z
expect "outbox --pending --json" 0 "$h" outbox --db "$db" --pending --json
next_of() { # next_of OPERATION: the pending entry's next try, to the second
  "$PEER_PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print([e["next"][:19] for e in j if e.get("operation") == sys.argv[2]])' "$tmp/out" "$1"
}
cp "$tmp/out" "$tmp/pending.json"
check_next() { # check_next DESC OPERATION WANT
  cp "$tmp/pending.json" "$tmp/out"
  got=$(next_of "$2")
  if [ "$got" = "$3" ]; then ok "$1"; else echo "# next: $got, wanted $3" >> "$tmp/out"; no "$1"; fi
}
check_next "a 429 with Retry-After: 120 is tried again 2 min later, not after the backoff" busy "['2026-03-02T10:02:00']"
check_next "a 503 with Retry-After: 30 is tried again 30 s later" away "['2026-03-02T10:00:30']"
check_next "a Retry-After of a day is held to the backoff's cap, 1 h" greedy "['2026-03-02T11:00:00']"
check_next "a 429 without the header waits the backoff (under 1 s)" plain "['2026-03-02T10:00:00']"
check_next "a 500's Retry-After is not read (the backoff decides)" odd "['2026-03-02T10:00:00']"
check_next "a send's 429 with Retry-After: 300 waits 5 min" tell "['2026-03-02T10:05:00']"

expect "tick at 10:01" 0 "$h" tick --db "$db" --now 2026-03-02T10:01:00Z
requests() { "$PEER_PY" -c 'import json,sys; print(len([1 for l in open(sys.argv[1]) if json.loads(l)["path"] == sys.argv[2]]))' "$tmp/http/requests.jsonl" "$1"; }
count=$(requests /busy); [ "$count" = 1 ] && ok "the 429 asking 2 min is not tried again at 10:01" || no "the 429 asking 2 min is not tried again at 10:01 ($count requests)"
count=$(requests /away); [ "$count" = 2 ] && ok "the 503 asking 30 s is tried again at 10:01" || no "the 503 asking 30 s is tried again at 10:01 ($count requests)"
count=$(requests /plain); [ "$count" = 2 ] && ok "the plain 429 is tried again at 10:01" || no "the plain 429 is tried again at 10:01 ($count requests)"
expect "tick at 10:05" 0 "$h" tick --db "$db" --now 2026-03-02T10:05:00Z
count=$(requests /busy); [ "$count" = 2 ] && ok "the 429 asking 2 min is tried again by 10:05" || no "the 429 asking 2 min is tried again by 10:05 ($count requests)"
count=$(requests /tell); [ "$count" = 2 ] && ok "the send asking 5 min is tried again at 10:05" || no "the send asking 5 min is tried again at 10:05 ($count requests)"
expect "i1's history" 0 "$h" history i1 --db "$db" --json
has "the call asked to wait returns the 200's reply" '"outcome":"got 1"'
plan
