#!/bin/sh
# tests/e2e/serve_bad_requests.sh - serve refuses each bad request of
# tests/e2e/serve/bad_requests.txt with its status (malformed, truncated and oversized
# bodies, deep JSON, bad and missing signatures and tokens, wrong content types, unknown
# routes and methods, events that do not fit their type), answers a good request after
# each, outlasts slowloris clients and 1,000 idle connections, and exits 0 at SIGTERM
# with a clean log. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
if serve_start "$db" --max-body 65536 --idle-timeout 2; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; plan; exit 0; fi
ev='{"id": "g1", "type": "refund", "order": "G1", "amount": 3, "customer": {"name": "Ida"}}'
call "a good event first" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
hostport=${base#http://}
timeout 300 "$PY" "$TOP/tests/e2e/serve/bad_requests.py" "${hostport%:*}" "${hostport##*:}" \
  "$TOP/tests/e2e/serve/bad_requests.txt" "$SHOP_SECRET" 2 > "$tmp/bad.out" 2>&1
while IFS= read -r line; do
  case "$line" in
    PASS\ *) ok "${line#PASS }" ;;
    FAIL\ *) echo "$line" > "$tmp/why"; no "${line#FAIL }" "$tmp/why" ;;
    *) echo "$line" > "$tmp/why"; no "the client said something else" "$tmp/why" ;;
  esac
done < "$tmp/bad.out"
count=$(grep -c '^[0-9]' "$TOP/tests/e2e/serve/bad_requests.txt")
if [ "$(grep -c ' (after: ' "$tmp/bad.out")" -eq "$count" ] && [ "$count" -ge 40 ]; then ok "all $count bad requests were sent"; else no "all bad requests were sent" "$tmp/bad.out"; fi
call "the task is still open and answerable" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
call "nothing a bad request sent was applied" 200 GET /v1/instances -H 'Authorization: Bearer ops-token'
json "one instance, from the good event" '[i["id"] for i in j["instances"]] == ["i1"]'
serve_stop
if [ "$serve_rc" -eq 0 ]; then ok "SIGTERM: serve exits 0"; else no "SIGTERM: serve exits 0 (got $serve_rc)" "$tmp/serve.log"; fi
serve_log_ok "every log line is JSON, no sanitizer report"
plan
