#!/bin/sh
# tests/e2e/outbox_retry_after_date.sh - a 429's Retry-After given as an HTTP date is
# measured against the engine's clock (RUNTIME.md, promise 7), so a `tick --now` run
# waits the same whenever it runs: a date 10 min after the engine's time is honoured
# (tried again at that date), a date 10 min after the wall clock but years after the
# engine's time is held to the backoff's cap of 1 h, and a date before the engine's time
# leaves the backoff alone. Audit finding F3 (/tmp/audit/findings_out.md).
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/connectors.json" <<JSON
{"test":  {"kind": "webhook"},
 "probe": {"kind": "http", "base_url": "http://127.0.0.1:$hp", "retries": 3,
           "operations": {"soon": {"method": "POST", "path": "/soon"},
                          "wall": {"method": "POST", "path": "/wall"},
                          "past": {"method": "POST", "path": "/past"}}}}
JSON
for op in soon wall past; do
  cat > "$tmp/call_$op.play" <<PLAY
playbook call_$op

on test.$op as ev

state start {
  let r = call probe.$op({}) else { done "failed: {error}" }
  done "got {r.v}"
}
PLAY
  "$h" deploy "$tmp/call_$op.play" --db "$db" --connectors "$tmp/connectors.json" --now 2020-01-06T09:59:00Z > "$tmp/out" 2>&1 ||
    no "deploy $op"
done
wall=$(date -u -d '+10 minutes' '+%a, %d %b %Y %H:%M:%S GMT')
printf '%s\n' '{"/soon": [{"status": 429, "headers": {"Retry-After": "Mon, 06 Jan 2020 10:10:00 GMT"}}, {"status": 200, "body": "{\"v\": 1}"}],
 "/wall": [{"status": 429, "headers": {"Retry-After": "'"$wall"'"}}, {"status": 200, "body": "{\"v\": 2}"}],
 "/past": [{"status": 503, "headers": {"Retry-After": "Mon, 06 Jan 2020 09:00:00 GMT"}}, {"status": 200, "body": "{\"v\": 3}"}]}' \
  > "$tmp/http/script.json"
for t in soon wall past; do
  echo '{}' | "$h" trigger --db "$db" test.$t --id "e-$t" --now 2020-01-06T10:00:00Z > /dev/null 2>&1 || no "trigger test.$t"
done
expect "tick at 10:00 tries each once" 0 "$h" tick --db "$db" --now 2020-01-06T10:00:00Z
expect "outbox --pending --json" 0 "$h" outbox --db "$db" --pending --json
cp "$tmp/out" "$tmp/pending.json"
check_next() { # check_next DESC OPERATION WANT (the next try, to the second)
  cp "$tmp/pending.json" "$tmp/out"
  json "$1" '[e["next"][:19] for e in j if e["operation"] == "'"$2"'"] == ["'"$3"'"]'
}
check_next "a date 10 min after the engine's time: tried again at that date" soon 2020-01-06T10:10:00
check_next "a date 10 min after the wall clock (years ahead of the engine): held to the cap, 1 h" wall 2020-01-06T11:00:00
check_next "a date before the engine's time: the backoff alone (under 1 s)" past 2020-01-06T10:00:00
plan
