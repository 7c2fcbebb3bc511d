#!/bin/sh
# tests/e2e/input_no_memory.sh - input that is good JSON but more than the memory left is
# said to be so, exit 3, and changes nothing (RUNTIME.md "Interfaces": 3 is a store or
# system error; promise 6: never a crash). An audit found a 40 MB string of event data
# on standard input reported as "not JSON" (exit 1) and, under a slightly tighter limit,
# a crash inside jansson (SIGSEGV); a directory file of 300,000 people gave
# "huddle: dbig.json: " and exit 1. Under a 120-150 MB address space (ulimit -v); skipped
# for a binary built with AddressSanitizer, which reserves far more address space.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 9
if ldd "$h" 2>/dev/null | grep -q asan; then
  i=0; while [ $i -lt 9 ]; do skip "input under a memory limit" "AddressSanitizer's binary needs more address space than the limit"; i=$((i + 1)); done
  exit 0
fi
db=$tmp/db
printf 'playbook r\non shop.refund as r\nstate s {\n  done "x"\n}\n' > "$tmp/r.play"
"$h" deploy "$tmp/r.play" --db "$db" --now 2026-03-02T09:00:00Z > /dev/null
python3 -c "import sys; sys.stdout.write('{\"pad\":\"' + 'x' * 40000000 + '\"}')" > "$tmp/one40.json"
python3 -c "import json; json.dump({'people': {'u%d' % i: {'name': 'U%d' % i, 'email': 'u%d@x' % i} for i in range(300000)}}, open('$tmp/dbig.json', 'w'))"
for limit in 150000 120000; do
  ( ulimit -v $limit || exit 99; exec "$h" trigger shop.refund --id h1 --db "$db" --now 2026-03-02T09:10:00Z --max-body 100000000 < "$tmp/one40.json" ) > "$tmp/out" 2>&1
  rc=$?
  [ "$rc" -eq 3 ] && ok "a 40 MB string under $limit KB: exit 3" || no "a 40 MB string under $limit KB: exit 3 (got $rc)"
  has "  saying out of memory" "out of memory reading the event data on standard input"
done
( ulimit -v 150000 || exit 99; exec "$h" directory load "$tmp/dbig.json" --db "$db" --now 2026-03-02T09:10:00Z ) > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 3 ] && ok "a directory of 300,000 people under 150 MB: exit 3" || no "a directory of 300,000 people under 150 MB: exit 3 (got $rc)"
has "  saying out of memory" "dbig.json: out of memory reading it"
expect "nothing was applied" 0 "$h" instances --db "$db" --json
json "  (no instance)" 'j == []'
expect "the same string without the limit is taken" 0 "$h" trigger shop.refund --id h1 --db "$db" --now 2026-03-02T09:11:00Z --max-body 100000000 < "$tmp/one40.json"
