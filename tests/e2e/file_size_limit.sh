#!/bin/sh
# tests/e2e/file_size_limit.sh - a store that reaches the process's file-size limit
# (ulimit -f) is exit 3 with the sentence that says so, never a signal (RUNTIME.md,
# "Limits and damage"). An audit found `huddle run` and `trigger --file` killed by
# SIGXFSZ (exit 153, nothing said) under limits of 200 KiB to 1 MiB. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
printf '{"people": {"anna": {"name": "Anna", "email": "anna@example.com"}}}\n' > "$tmp/dir.json"
cat > "$tmp/r.play" <<'PLAY'
playbook r
on mon.ev as a
state s1 {
  ask person("anna") "Go?"
    choices yes, no
    within 30d
    remind every 1m
  {
    yes -> done "yes"
    no -> done "no"
    timeout -> fail "timeout"
  }
}
PLAY
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "mon", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-07-16T08:00:00Z", "end": true}' > "$tmp/r.jsonl"
for limit in 200 1000; do
  ( ulimit -f $limit || exit 99; exec "$h" run "$tmp/r.play" --events "$tmp/r.jsonl" --directory "$tmp/dir.json" --keep "$tmp/k$limit" ) > /dev/null 2> "$tmp/out"
  rc=$?
  [ "$rc" -eq 3 ] && ok "run under ulimit -f $limit: exit 3" || no "run under ulimit -f $limit: exit 3 (got $rc)"
  has "  saying the limit was reached" "the file-size limit was reached"
done
python3 -c "
import json
for i in range(3000):
    print(json.dumps({'source': 'mon', 'type': 'ev', 'id': 'f%d' % i, 'data': {'pad': 'x' * 200}}))" > "$tmp/f.jsonl"
"$h" deploy "$tmp/r.play" --db "$tmp/db" --now 2026-06-15T08:00:00Z > /dev/null 2>&1
( ulimit -f 300 || exit 99; exec "$h" trigger --file "$tmp/f.jsonl" --db "$tmp/db" --now 2026-06-15T08:00:00Z ) > /dev/null 2> "$tmp/out"
rc=$?
[ "$rc" -eq 3 ] && ok "trigger --file under ulimit -f 300: exit 3" || no "trigger --file under ulimit -f 300: exit 3 (got $rc)"
has "  saying the limit was reached" "the file-size limit was reached"
expect "the store it kept still verifies" 0 "$h" audit verify --db "$tmp/db"
plan
