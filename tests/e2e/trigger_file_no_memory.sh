#!/bin/sh
# tests/e2e/trigger_file_no_memory.sh - `trigger --file` that runs out of memory reading
# a line says so with exit 3 (RUNTIME.md, "Interfaces": 3 is a store or system error;
# docs/runtime.md: out of memory is exit 3). An audit found such a line taken for a blank
# one: "0 lines ... 0 refused", exit 0, the event lost without a word. The lines before it
# are applied. Under a 150 MB address space (ulimit -v), a line of 40 MB; skipped for a
# binary built with AddressSanitizer, which reserves far more address space than that.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 5
if ldd "$h" 2>/dev/null | grep -q asan; then
  for d in "exit 3" "says out of memory, naming the line" "instances" "the line before it was applied, the big one was not" \
           "the same file without the limit"; do
    skip "$d" "AddressSanitizer's binary needs more address space than the limit"
  done
  exit 0
fi
db=$tmp/db
printf 'playbook r\n\non shop.refund as r\n\nstate s {\n  done "x"\n}\n' > "$tmp/r.play"
"$h" deploy "$tmp/r.play" --db "$db" --now 2026-03-02T09:00:00Z > /dev/null
python3 -c "
import json
print(json.dumps({'source': 'shop', 'type': 'refund', 'id': 'f0', 'data': {}}))
print(json.dumps({'source': 'shop', 'type': 'refund', 'id': 'f1', 'data': {'p%d' % i: 'x' * 1000000 for i in range(40)}}))" > "$tmp/f.jsonl"
( ulimit -v 150000 || exit 99; exec "$h" trigger --file "$tmp/f.jsonl" --db "$db" --now 2026-03-02T09:10:00Z --max-body 100000000 ) > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "exit 3" || no "exit 3 (got $rc)"
has "says out of memory, naming the line" "out of memory reading line 2: neither it nor a line after it was applied"
expect "instances" 0 "$h" instances --db "$db" --json
json "the line before it was applied, the big one was not" '[i["status"] for i in j] == ["done"]'

expect "the same file without the limit" 0 "$h" trigger --file "$tmp/f.jsonl" --db "$db" --now 2026-03-02T09:11:00Z --max-body 100000000
