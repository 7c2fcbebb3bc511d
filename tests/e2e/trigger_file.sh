#!/bin/sh
# tests/e2e/trigger_file.sh - `huddle trigger --file EVENTS.jsonl` (RUNTIME.md v1.2):
# many events, one {source, type, id, time, data} a line, group-committed in batches on
# a real store. A bad line is refused by its number and the rest go on; an id seen before
# (in the store, or earlier in the file) is a duplicate, so the same file run again
# changes nothing; "-" reads standard input; a crash in the middle of a big file, then
# the same file again, gives each event exactly once. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

db=$tmp/db
cat > "$tmp/pages.play" <<'PLAY'
playbook pages

on ops.alert as alert
  case alert.host

state waiting {
  wait {
    after 2h -> finish
  }
}

state finish {
  done "quiet"
}
PLAY
cat > "$tmp/storm.play" <<'PLAY'
playbook storm

on ops.alert as a
  at least 50 within 1h

state s {
  done "storm"
}
PLAY
# gen FILE FIRST COUNT HOSTS: alerts FIRST.. on HOSTS hosts (each host a case).
gen() {
  python3 - "$@" <<'PY'
import json, sys
out, first, count, hosts = sys.stdout if sys.argv[1] == "-" else open(sys.argv[1], "w"), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(first, first + count):
    out.write(json.dumps({"source": "ops", "type": "alert", "id": "a%d" % i,
                          "time": "2026-03-02T08:30:00Z", "data": {"host": "h%d" % (i % hosts)}}) + "\n")
PY
}
count_instances() { "$h" instances --db "$1" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

expect "deploy" 0 "$h" deploy "$tmp/pages.play" "$tmp/storm.play" --db "$db" $(now 08:00)

# 10 alerts on 4 hosts: 4 cases started, 6 joined, each counted by the threshold.
gen "$tmp/good.jsonl" 0 10 4
expect "a file of good events is accepted" 0 "$h" trigger --db "$db" --file "$tmp/good.jsonl" $(now 09:00)
has "the summary says where they went" "10 lines: 10 accepted (4 started, 6 joined, 10 counted), 0 duplicates, 0 refused"
"$h" instances --db "$db" --json > "$tmp/before.json"
[ "$(count_instances "$db")" = 4 ] && ok "four cases, four instances" || no "four cases, four instances" "$tmp/before.json"

expect "the same file again" 0 "$h" trigger --db "$db" --file "$tmp/good.jsonl" $(now 09:01)
has "is all duplicates" "10 lines: 0 accepted (0 started, 0 joined, 0 counted), 10 duplicates, 0 refused"
"$h" instances --db "$db" --json > "$tmp/after.json"
cmp -s "$tmp/before.json" "$tmp/after.json" && ok "the store's instances are unchanged" || no "the store's instances are unchanged" "$tmp/after.json"

# Bad lines in the middle: refused by number, the rest committed (a duplicate within the
# file too), in batches of 3 so bad lines sit in several batches.
long=$(python3 -c 'print("x" * 257)')
{ gen - 100 2 1000
  echo 'not json'
  echo '{"source": "ops", "type": "alert", "data": {"host": "h9"}}'
  echo
  printf '{"source": "ops", "type": "alert", "id": "%s"}\n' "$long"
  gen - 102 1 1000
  echo '{"source": "ops", "type": "alert", "id": "a102"}'
  echo '{"source": "ops", "type": "alert", "id": "bad\u001bid"}'
  echo '{"source": "ops", "type": "alert", "id": "t1", "time": "2026-02-30T00:00:00Z"}'
  echo '{"source": "ops", "type": "alert", "id": "u1", "extra": 1}'
  gen - 103 1 1000; } > "$tmp/mixed.jsonl"
expect "a file with bad lines: exit 1" 1 "$h" trigger --db "$db" --file "$tmp/mixed.jsonl" --batch 3 $(now 09:02)
has "not JSON, by its line" "mixed.jsonl:3: not a JSON object"
has "a missing id, by its line" 'mixed.jsonl:4: "id" is missing: it is an event id, in quotes'
has "an id over 256 bytes, with the single trigger's words" "mixed.jsonl:6: the event's id is 257 bytes, more than the 256 allowed"
has "a control character in an id" "mixed.jsonl:9: the event's id "
has "an impossible date" 'mixed.jsonl:10: "time": 2026-02-30 is not a date'
has "an unknown field" 'mixed.jsonl:11: "event" has no field "extra"'
has "the summary counts the blank line out, a duplicate within the file in" \
  "11 lines: 4 accepted (4 started, 0 joined, 4 counted), 1 duplicate, 6 refused"
[ "$(count_instances "$db")" = 8 ] && ok "the good lines around them committed" || no "the good lines around them committed" /dev/null
# The same message as a single trigger gives for the same id.
printf '{}' | "$h" trigger ops.alert --id "$long" --db "$db" $(now 09:03) > "$tmp/single" 2>&1
msg=$(sed 's/^huddle: trigger: //' "$tmp/single")
grep -qF -- "$msg" "$tmp/out" && ok "the line's reason is the single trigger's" || no "the line's reason is the single trigger's" "$tmp/single"

expect "--json: refusals and a summary" 1 "$h" trigger --db "$db" --file "$tmp/mixed.jsonl" --json $(now 09:04)
if python3 - "$tmp/out" 2>>"$tmp/out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
refused = [l["refused"]["line"] for l in lines if "refused" in l]
summary = lines[-1]["summary"]
assert refused == [3, 4, 6, 9, 10, 11], refused
assert summary == {"lines": 11, "accepted": 0, "started": 0, "joined": 0, "counted": 0,
                   "duplicates": 5, "refused": 6}, summary
PY
then ok "--json: each refused line in order, then the summary"; else no "--json: each refused line in order, then the summary"; fi

gen "$tmp/stdin.jsonl" 200 3 1000
expect "- reads standard input" 0 sh -c "'$h' trigger --db '$db' --file - $(now 09:05) < '$tmp/stdin.jsonl'"
has "and says so" "3 lines: 3 accepted (3 started, 0 joined, 3 counted)"
printf '{"source": "ops", "type": "alert", "id": "s1"}\nnope\n' > "$tmp/two.jsonl"
expect "a refused line from standard input" 1 sh -c "'$h' trigger --db '$db' --file - $(now 09:05) < '$tmp/two.jsonl'"
has "is named <stdin>" "<stdin>:2: not a JSON object"

python3 -c 'import json; print(json.dumps({"source": "ops", "type": "alert", "id": "big", "data": {"x": "y" * 2000}}))' > "$tmp/long.jsonl"
expect "a line whose data is longer than --max-body" 1 "$h" trigger --db "$db" --file "$tmp/long.jsonl" --max-body 1000 $(now 09:06)
has "is refused by its number" "long.jsonl:1: the event's data is more than 1000 bytes"

expect "--batch 0 is a usage error" 2 "$h" trigger --db "$db" --file "$tmp/good.jsonl" --batch 0
expect "--file with SOURCE.TYPE is a usage error" 2 "$h" trigger ops.alert --db "$db" --file "$tmp/good.jsonl"
expect "--batch without --file is a usage error" 2 sh -c "echo '{}' | '$h' trigger ops.alert --db '$db' --batch 5"
expect "a file that is not there" 1 "$h" trigger --db "$db" --file "$tmp/nope.jsonl"
expect "a --now before the store's time is refused" 1 "$h" trigger --db "$db" --file "$tmp/good.jsonl" $(now 08:00)

# A crash in the middle of a big file, then the same file again: each event once. The
# crash is HUDDLE_CRASH_AT's (runtime/store/fault.h: the process aborts at that write
# point, as a kill -9 there would), in the steps of the 50th batch of 100 (each batch
# passes 100 "group step" points and its two commit points): a kill -9 after a fixed
# sleep let the whole file commit first once the engine got fast enough.
big=$tmp/big
expect "deploy a fresh store" 0 "$h" deploy "$tmp/pages.play" --db "$big" $(now 08:00)
gen "$tmp/big.jsonl" 0 20000 1000000
HUDDLE_CRASH_AT=5051 "$h" trigger --db "$big" --file "$tmp/big.jsonl" --batch 100 $(now 09:00) > /dev/null 2>&1
crashed=$?
[ "$crashed" -gt 128 ] && ok "the run crashed in the middle (exit $crashed)" || no "the run crashed in the middle (exit $crashed)" /dev/null
part=$(count_instances "$big")
[ "$part" -gt 0 ] && [ "$part" -lt 20000 ] && ok "the batches before the crash committed ($part of 20000)" || no "the batches before the crash committed ($part of 20000)" /dev/null
expect "the same file again" 0 "$h" trigger --db "$big" --file "$tmp/big.jsonl" $(now 09:01)
has "the committed ones are duplicates" "$part duplicates"
[ "$(count_instances "$big")" = 20000 ] && ok "each event exactly once: 20000 instances" || no "each event exactly once: 20000 instances" /dev/null

# A store failure (a file-size limit, SIGXFSZ ignored, so LMDB's write returns EFBIG):
# exit 3, saying where to resume; the batches before it stay, and the rerun completes.
full=$tmp/full
"$h" deploy "$tmp/pages.play" --db "$full" $(now 08:00) > /dev/null 2>&1
( trap '' XFSZ; ulimit -f 4096 || exit 99; exec "$h" trigger --db "$full" --file "$tmp/big.jsonl" --batch 500 $(now 09:00) ) > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 99 ]; then skip "a store failure stops the run with exit 3" "ulimit -f not permitted"
elif [ "$rc" -eq 3 ] && grep -q "stopped: every line before line [0-9]* is committed" "$tmp/out"; then ok "a store failure stops the run with exit 3, naming the line to resume from"
else echo "# exit $rc" >> "$tmp/out"; no "a store failure stops the run with exit 3, naming the line to resume from"; fi
resume=$(sed -n 's/.*resume from line \([0-9]*\).*/\1/p' "$tmp/out" | head -1)
kept=$(count_instances "$full")
[ -n "$resume" ] && [ "$kept" = $((resume - 1)) ] && ok "every line before it is committed ($kept), none after" || no "every line before it is committed ($kept, resume ${resume:-?})"
expect "the rerun without the limit" 0 "$h" trigger --db "$full" --file "$tmp/big.jsonl" $(now 09:01)
[ "$(count_instances "$full")" = 20000 ] && ok "completes the import: 20000 instances" || no "completes the import: 20000 instances" /dev/null

plan
