#!/bin/sh
# tests/e2e/serve_kill9.sh - kill -9 `huddle serve` at random moments under a stream of
# events and answers from several clients; after a restart every event that got a 2xx is
# kept and applied exactly once, none that got an error is applied, every answer is in
# its history as its reply said, and the store's invariants hold. A last round stops
# serve with SIGTERM under the stream: exit 0, a clean log, the same checks. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
: > "$tmp/results"
rounds=4
r=1
while [ $r -le $rounds ]; do
  if ! serve_start "$db" --queue 3; then no "serve starts (round $r)" "$tmp/serve.log"; plan; exit 0; fi
  hostport=${base#http://}
  timeout 60 "$PY" "$TOP/tests/e2e/serve/stream.py" "${hostport%:*}" "${hostport##*:}" "$SHOP_SECRET" "r$r" 6 20 >> "$tmp/results" 2> "$tmp/stream.err" &
  extra_pids=$!
  sleep "$("$PY" -c 'import random; print(round(random.uniform(0.4, 1.6), 2))')"
  kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
  wait "$extra_pids"; extra_pids=
  if grep -q "Sanitizer\|runtime error:" "$tmp/serve.log"; then no "round $r: no sanitizer report" "$tmp/serve.log"; else ok "round $r: killed -9 under the stream"; fi
  r=$((r + 1))
done
# A last round stopped by SIGTERM mid-stream: it answers what it accepted and exits 0.
if ! serve_start "$db" --queue 3; then no "serve starts (SIGTERM round)" "$tmp/serve.log"; plan; exit 0; fi
hostport=${base#http://}
timeout 60 "$PY" "$TOP/tests/e2e/serve/stream.py" "${hostport%:*}" "${hostport##*:}" "$SHOP_SECRET" "term" 6 20 >> "$tmp/results" 2> "$tmp/stream.err" &
extra_pids=$!
sleep 1
serve_stop
wait "$extra_pids"; extra_pids=
if [ "$serve_rc" -eq 0 ]; then ok "SIGTERM under the stream: serve exits 0"; else no "SIGTERM under the stream: serve exits 0 (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "and its log is JSON, with no sanitizer report"
if [ "$(grep -c '^E term-.* 200$' "$tmp/results")" -gt 0 ]; then ok "the SIGTERM round had events accepted"; else no "the SIGTERM round had events accepted" "$tmp/results"; fi
if [ "$(grep -c ' 200$' "$tmp/results")" -gt 20 ]; then ok "the clients got many events in ($(grep -c '^E .* 200$' "$tmp/results") accepted)"; else no "the clients got many events in" "$tmp/results"; fi
expect "the store's invariants hold after the kills" 0 "$tool_store_invariants" "$db"
serve_start "$db" || { no "serve starts after the kills" "$tmp/serve.log"; plan; exit 0; }
hostport=${base#http://}
timeout 120 "$PY" "$TOP/tests/e2e/serve/verify.py" "${hostport%:*}" "${hostport##*:}" "$SHOP_SECRET" "$tmp/results" > "$tmp/verify.out" 2>&1
while IFS= read -r line; do
  case "$line" in
    PASS\ *) ok "${line#PASS }" ;;
    *) echo "$line" > "$tmp/why"; no "${line#FAIL }" "$tmp/why" ;;
  esac
done < "$tmp/verify.out"
[ "$(grep -c '^PASS\|^FAIL' "$tmp/verify.out")" -eq 3 ] && ok "the three checks ran" || no "the three checks ran" "$tmp/verify.out"
serve_stop
if [ "$serve_rc" -eq 0 ]; then ok "the last serve exits 0 at SIGTERM"; else no "the last serve exits 0 (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "its log is JSON, with no sanitizer report"
expect "the invariants hold at the end" 0 "$tool_store_invariants" "$db"
plan
