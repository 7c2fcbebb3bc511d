#!/bin/sh
# tests/e2e/dedup_period.sh - an event id is a duplicate only within the dedup period
# (RUNTIME.md: `seen` kept `--dedup-days`, default 30; "a repeated id (same connector,
# within the dedup period) gets 200 with "duplicate": true"). The period runs from the id's
# first acceptance; an id first seen longer ago is a new event again, whether or not a
# purge has deleted its entry yet. `huddle tick --dedup-days N` makes N the store's period
# and purges; serve forgets expired ids itself (tick is refused beside it). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0

db=$tmp/db
printf 'playbook f7\n\non mon.x as p\n\nstate start {\n  done "ok"\n}\n' > "$tmp/f7.play"
at() { echo "--now 2027-$1Z"; }
send() { echo '{}' | "$h" trigger --db "$db" mon.x --id "$1" $(at "$2"); }
seen_count() { mdb_stat -s seen "$1" 2>/dev/null | sed -n 's/ *Entries: //p'; }

expect "deploy" 0 "$h" deploy "$tmp/f7.play" --db "$db" $(at 02-01T00:00:00)
expect "D1 is accepted" 0 send D1 02-01T00:00:00
has "it starts an instance" "accepted D1: started i1"
expect "D1 again 19 days later" 0 send D1 02-20T00:00:00
has "is a duplicate" "duplicate, already accepted: D1"
expect "D1 again exactly 30 days after it was first seen" 0 send D1 03-03T00:00:00
has "is still a duplicate (the period's last instant)" "duplicate, already accepted: D1"
expect "D1 again 30 days and a second later" 0 send D1 03-03T00:00:01
has "is a new event: the id was forgotten" "accepted D1: started i2"
expect "D1 once more, a week on" 0 send D1 03-10T00:00:00
has "counts 30 days from the new acceptance" "duplicate, already accepted: D1"

# tick --dedup-days 60: the store's period is 60 days from now on, for lookups too
expect "D2 is accepted" 0 send D2 03-10T00:00:00
expect "tick --dedup-days 60" 0 "$h" tick --db "$db" --dedup-days 60 $(at 03-11T00:00:00)
expect "D1 58 days after its acceptance" 0 send D1 04-30T00:00:00
has "is a duplicate within the store's 60 days" "duplicate, already accepted: D1"
expect "plain tick keeps the store's 60 days" 0 "$h" tick --db "$db" $(at 05-01T00:00:00)
[ "$(seen_count "$db")" = 2 ] && ok "the purge kept both ids (they are within 60 days)" ||
  { seen_count "$db" > "$tmp/out"; no "the purge kept both ids (they are within 60 days)"; }
expect "tick 63 days after D1 was accepted, 56 after D2" 0 "$h" tick --db "$db" $(at 05-05T00:00:00)
[ "$(seen_count "$db")" = 1 ] && ok "the purge deleted D1's entry, kept D2's" ||
  { seen_count "$db" > "$tmp/out"; no "the purge deleted D1's entry, kept D2's"; }
expect "D1 again" 0 send D1 05-05T00:00:00
has "is a new event" "accepted D1: started"
expect "D2 again" 0 send D2 05-05T00:00:00
has "is a duplicate within 60 days" "duplicate, already accepted: D2"
invariants_hold "$db"

# serve: a webhook id repeated within the period is a duplicate, after it a new event,
# and serve deletes expired entries when it starts (then daily)
sdb=$tmp/sdb
serve_store "$sdb" || { no "the serve store is made" "$tmp/deploy.out"; plan; exit 0; }
ev='{"id": "k1", "type": "quick", "what": "W"}'
serve_start "$sdb" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
call "webhook k1" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
call "webhook k1 again" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
has "is a duplicate" '"duplicate":true'
serve_stop
serve_start "$sdb" --clock-offset 2678400000 || { no "serve starts 31 days ahead" "$tmp/serve.log"; plan; exit 0; }
i=0
while [ $i -lt 50 ] && [ "$(seen_count "$sdb")" != 0 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(seen_count "$sdb")" = 0 ] && ok "serve deleted k1's expired entry as it started" ||
  { seen_count "$sdb" > "$tmp/out"; no "serve deleted k1's expired entry as it started"; }
call "webhook k1, 31 days later" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
has "is a new event" '"duplicate":false'
has "that starts an instance" '"started"'
serve_stop
serve_log_ok "serve's log is JSON lines"
plan
