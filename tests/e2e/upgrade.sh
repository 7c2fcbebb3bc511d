#!/bin/sh
# tests/e2e/upgrade.sh - a store of schema 1 (records as JSON text) under this huddle
# (schema 2, records in the codec's binary form; docs/runtime.md, "The store"):
#   - read-only commands read it as it is and do not convert it;
#   - the first command that writes converts every record and the schema in one
#     transaction, saying so once on stderr; the next writer says nothing;
#   - a crash at each point inside the conversion (HUDDLE_CRASH_AT, runtime/store/fault.h:
#     an abort there is a kill -9 at that line) leaves a store of schema 1, every record
#     still JSON, that reads and checks (store_invariants) as before, and that the next
#     writer converts, ending where a store that never crashed ends.
# The schema-1 stores are made by tests/crash/store_schema1 (engine_store_convert to 1:
# the same bytes schema 1 wrote, the store id aside). Over 1,000 history records make
# the conversion of that table go in more than one chunk.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_schema1 store_invariants || exit 0
conv=$tool_store_schema1
inv=$tool_store_invariants
here=$TOP/tests/crash
at() { echo "--now 2026-06-15T$1:00Z"; }

# reads DB OUT: what the read-only commands show of DB
reads() {
  { "$h" instances --db "$1" --json; "$h" tasks --db "$1" --json; "$h" playbooks --db "$1" --json
    for i in 1 2 3 400 401 402; do "$h" history "i$i" --db "$1" --json; done; } > "$2" 2>&1
}

# The store: both crash playbooks, 400 pings by trigger --file (each waits 30 minutes),
# and alerts that open asks.
db=$tmp/new
awk 'BEGIN { for (i = 1; i <= 400; i++)
  printf "{\"source\":\"ops\",\"type\":\"ping\",\"id\":\"p%d\",\"data\":{\"host\":\"h%d\",\"ok\":false}}\n", i, i }' > "$tmp/pings.jsonl"
{ "$h" deploy "$here/escalation.play" "$here/ping.play" --db "$db" $(at 08:00) < /dev/null &&
  "$h" trigger --file "$tmp/pings.jsonl" --db "$db" $(at 08:00) &&
  echo '{"service":"db","level":"warn"}' | "$h" trigger ops.alert --id a1 --db "$db" $(at 08:01) &&
  echo '{"service":"web","level":"critical"}' | "$h" trigger ops.alert --id a2 --db "$db" $(at 08:02)
} > "$tmp/out" 2>&1 && ok "a store is made" || no "a store is made"
reads "$db" "$tmp/reads.new"

old=$tmp/old
cp -r "$db" "$old"
"$conv" "$old" > "$tmp/out" 2>&1 && "$conv" --show "$old" > "$tmp/shown" 2>&1
if grep -Eq '^schema 1, binary 0, text [0-9]{4,}$' "$tmp/shown"; then ok "store_schema1 makes it a schema-1 store of JSON records"
else no "store_schema1 makes it a schema-1 store of JSON records" "$tmp/shown"; fi

reads "$old" "$tmp/reads.old"
"$conv" --show "$old" > "$tmp/shown2" 2>&1
if cmp -s "$tmp/reads.new" "$tmp/reads.old" && ! grep -q converted "$tmp/reads.old" && cmp -s "$tmp/shown" "$tmp/shown2"
then ok "read-only commands read the schema-1 store as the new one, and leave it as it is"
else diff "$tmp/reads.new" "$tmp/reads.old" > "$tmp/out"; cat "$tmp/shown2" >> "$tmp/out"
  no "read-only commands read the schema-1 store as the new one, and leave it as it is"; fi

# The same write on the new store and on the old one: the old is converted first.
"$h" tick --db "$db" $(at 08:40) > "$tmp/tick.new" 2>&1
"$inv" --dump "$db" > "$tmp/dump.new" 2>&1
cp -r "$old" "$tmp/clean"
export HUDDLE_CRASH_LOG="$tmp/points"
: > "$tmp/points"
"$h" tick --db "$tmp/clean" $(at 08:40) > "$tmp/tick.clean" 2> "$tmp/err.clean"
unset HUDDLE_CRASH_LOG
records=$(grep -o '(\([0-9]*\) records)' "$tmp/err.clean" | tr -dc 0-9)
if [ "$(grep -c "^huddle: converted the store in $tmp/clean from schema 1 to 4 ([0-9]* records)\$" "$tmp/err.clean")" = 1 ] &&
   [ "$(wc -l < "$tmp/err.clean")" = 1 ] && [ "${records:-0}" -ge 1000 ]
then ok "the first write converts the store and says so once ($records records)"
else no "the first write converts the store and says so once" "$tmp/err.clean"; fi
"$conv" --show "$tmp/clean" > "$tmp/out" 2>&1
if grep -q '^schema 4, binary [0-9]*, text 0$' "$tmp/out"; then ok "every record is binary and the schema 4"
else no "every record is binary and the schema 4"; fi
"$inv" --dump "$tmp/clean" > "$tmp/dump.clean" 2>&1
if cmp -s "$tmp/tick.new" "$tmp/tick.clean" && cmp -s "$tmp/dump.new" "$tmp/dump.clean"
then ok "the converted store holds what a store made by this huddle holds"
else diff "$tmp/dump.new" "$tmp/dump.clean" > "$tmp/out"; no "the converted store holds what a store made by this huddle holds"; fi
expect "the next write says nothing of a conversion" 0 "$h" tick --db "$tmp/clean" $(at 08:41)
hasnt "(no conversion message)" "converted"

# A crash at each point of the conversion.
grep -n ' store conversion$' "$tmp/points" | cut -d: -f1 > "$tmp/conv.points"
count=$(wc -l < "$tmp/conv.points")
[ "$count" -ge 12 ] && ok "the conversion passes $count crash points" || no "the conversion passes at least 12 crash points" "$tmp/points"
bad=0
# The points from the first of the conversion to its commit's "before commit".
last=$(($(tail -1 "$tmp/conv.points") + 1))
if sed -n "${last}p" "$tmp/points" | grep -q ' before commit$'; then ok "the conversion ends with its commit"
else no "the conversion ends with its commit" "$tmp/points"; fi
for k in $(awk '{ print $1 }' "$tmp/points" | sed -n "$(head -1 "$tmp/conv.points"),${last}p"); do
  s=$tmp/crash.$k
  rm -rf "$s" && cp -r "$old" "$s"
  HUDDLE_CRASH_AT=$k "$h" tick --db "$s" $(at 08:40) > "$tmp/out" 2>&1
  rc=$?
  why=""
  [ "$rc" -ne 134 ] && why="the tick exited $rc, not 134 (SIGABRT)"
  "$conv" --show "$s" > "$tmp/shown.k" 2>&1
  [ -z "$why" ] && ! cmp -s "$tmp/shown" "$tmp/shown.k" && why="after the crash: $(cat "$tmp/shown.k")"
  reads "$s" "$tmp/reads.k"
  [ -z "$why" ] && ! cmp -s "$tmp/reads.old" "$tmp/reads.k" && why="it reads differently after the crash"
  [ -z "$why" ] && ! "$inv" --quiet "$s" > "$tmp/inv.k" 2>&1 && why="store_invariants: $(head -3 "$tmp/inv.k")"
  "$h" tick --db "$s" $(at 08:40) > "$tmp/tick.k" 2> "$tmp/err.k"
  [ -z "$why" ] && ! grep -q "^huddle: converted the store in $s from schema 1 to 4 ($records records)\$" "$tmp/err.k" &&
    why="the next write: $(cat "$tmp/err.k")"
  "$inv" --dump "$s" > "$tmp/dump.k" 2>&1
  [ -z "$why" ] && ! cmp -s "$tmp/dump.clean" "$tmp/dump.k" && why="it ends apart from the store that did not crash"
  if [ -n "$why" ]; then bad=$((bad + 1)); echo "# crash point $k: $why"; fi
  rm -rf "$s"
done
[ "$bad" = 0 ] && ok "a crash at each conversion point leaves a readable schema-1 store that the next write converts" ||
  no "a crash at each conversion point leaves a readable schema-1 store that the next write converts ($bad failed)" ""

# A store of a newer schema stays refused.
newer=$tmp/newer
cp -r "$db" "$newer"
if command -v mdb_dump > /dev/null && command -v mdb_load > /dev/null; then
  mdb_dump -p -s meta "$newer" | sed '/^ schema_version$/{n;s/.*/ 5/;}' | mdb_load -s meta "$newer" 2> /dev/null
  expect "a store of schema 5 is refused" 3 "$h" tick --db "$newer" $(at 08:50)
  has "(saying which versions it reads)" "store schema version 5; this huddle reads versions 1 to 4"
else
  skip "a store of schema 5 is refused" "no mdb_dump/mdb_load (lmdb-utils)"
fi
plan
