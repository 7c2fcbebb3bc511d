#!/bin/sh
# tests/e2e/serve_now.sh - `huddle serve --now T` (RUNTIME.md, "Interfaces": "Every write
# command takes --now T (virtual engine time; never earlier than the store's)"): serve's
# clock starts at T and runs on with the wall clock, so the timers due by T fire as it
# starts; a T earlier than the store's time is refused (exit 1) and changes nothing;
# --now beside --clock-offset is a usage error. serve took no --now before 2026-12-07.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
serve_tokens
cat > "$tmp/p.play" <<'PLAY'
playbook p
on src.ev as e
state s { ask person("anna") "ok?" choices yes within 1h { yes -> done "y" timeout -> done "late" } }
PLAY
db=$tmp/db
"$h" deploy "$tmp/p.play" --db "$db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
echo '{}' | "$h" trigger src.ev --id e1 --db "$db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "trigger e1"

expect "serve --now before the store's time: exit 1" 1 "$h" serve --db "$db" --listen 127.0.0.1:0 --now 2027-01-10T07:59:59Z
has "  saying the store's clock never goes back" "earlier than this store's engine time 2027-01-10T08:00:00Z"
expect "serve --now with --clock-offset: exit 2" 2 "$h" serve --db "$db" --listen 127.0.0.1:0 --now 2027-01-10T09:30:00Z --clock-offset 5
has "  naming both" "--now and --clock-offset"
expect "serve --now that is no time: exit 2" 2 "$h" serve --db "$db" --listen 127.0.0.1:0 --now 2027-13-10T09:30:00Z
expect "  and the refused ones changed nothing: t1 is still open" 0 "$h" tasks --db "$db"
has "  (t1 listed)" "t1"

serve_start "$db" --now 2027-01-10T09:30:00Z || no "serve --now 09:30 starts" "$tmp/serve.log"
i=0
while [ $i -lt 50 ]; do
  curl -s -m 2 -H "Authorization: Bearer ops-token" "$base/v1/instances/i1" > "$tmp/out" 2>&1
  grep -q '"done"' "$tmp/out" && break
  sleep 0.1; i=$((i + 1))
done
json "the deadline due at 09:00 fired as serve started at 09:30" 'j["status"] == "done" and j["outcome"] == "late"'
serve_stop
[ "$serve_rc" -eq 0 ] && ok "  serve exits 0 at SIGTERM" || no "  serve exits 0 at SIGTERM (got $serve_rc)" "$tmp/serve.log"
"$h" history i1 --db "$db" --json > "$tmp/out" 2>&1
if "$PY" -c '
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
assert any(r["kind"] == "resolved" and r["choice"] == "timeout" and r["at"] == "2027-01-10T09:00:00Z" for r in records)
' "$tmp/out"; then ok "  its timeout is recorded at 09:00, the deadline's own time"; else no "  its timeout is recorded at 09:00"; fi
expect "a write at 09:29 after it is refused: the store's clock reached 09:30" 1 \
  "$h" cancel i1 --by anna --reason late --db "$db" --now 2027-01-10T09:29:00Z
serve_log_ok "every log line is JSON, no sanitizer report"
plan
