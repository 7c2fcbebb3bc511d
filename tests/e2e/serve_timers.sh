#!/bin/sh
# tests/e2e/serve_timers.sh - huddle_timers_fired_total counts due timers, not the rounds
# that fired them (docs/operations.md, "Metrics"): three asks' deadlines that come due
# together fire in one round, and the counter says 3 (it said 1), as the round's
# `timers_fired` log line does with "timers": 3.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
for i in 1 2 3; do
  ev="{\"id\": \"t$i\", \"type\": \"quick\", \"what\": \"W$i\"}"
  call "quick event $i starts an ask with 2 s to answer" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
done
serve_stop
# 30 s ahead: the three deadlines are due together when serve starts again
serve_start "$db" --clock-offset 30000 || { no "serve starts 30 s ahead" "$tmp/serve.log"; plan; exit 0; }
i=0
while [ $i -lt 50 ] && ! grep -q '"event":"timers_fired"' "$tmp/serve.log"; do sleep 0.1; i=$((i + 1)); done
call "/metrics" 200 GET /metrics
if grep -qx 'huddle_timers_fired_total 3' "$tmp/out"; then ok "huddle_timers_fired_total counts the three deadlines"
else grep huddle_timers_fired "$tmp/out" > "$tmp/got"; no "huddle_timers_fired_total counts the three deadlines" "$tmp/got"; fi
grep -q 'huddle_timers_late_total 1' "$tmp/out" && ok "huddle_timers_late_total counts the one late round" || no "huddle_timers_late_total counts the one late round"
grep '"event":"timers_fired"' "$tmp/serve.log" > "$tmp/out"
has "the round's log line says how many timers it fired" '"timers":3'
serve_stop
plan
