#!/bin/sh
# tests/e2e/directory_reload.sh - a substitution is recorded once (LANGUAGE.md, v1.2:
# "every substitution on every path is a `delegated` record"): loading the same
# directory again (a nightly reload from an HR export, or a load re-run after it was
# killed past its commit) and a directory.away event repeating an absence the person
# already has write no second `delegated` record. Before 2026-12-07 each reload and
# each repeated event wrote one more for a seat that had not changed. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

cat > "$tmp/a.play" <<'PLAY'
playbook a

on ops.go as e

state s {
  ask person("ana") "ok?" choices yes within 1d { yes -> done "y" timeout -> done "t" }
}
PLAY
echo '{"people": {"ana": {"email": "a@x"}, "eve": {"email": "e@x"}}}' > "$tmp/d1.json"
echo '{"people": {"ana": {"email": "a@x", "away": [{"from": "2026-03-01", "to": "2026-03-05", "delegate": "eve"}]}, "eve": {"email": "e@x"}}}' > "$tmp/d2.json"

# delegated DESC N: the last output (history --json) holds N `delegated` records.
delegated() {
  if [ "$(grep -c '"kind":"delegated"' "$tmp/out")" = "$2" ]; then ok "$1"; else no "$1"; fi
}

db=$tmp/db
"$h" deploy "$tmp/a.play" --db "$db" $(now 08:00) > /dev/null
"$h" directory load "$tmp/d1.json" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger ops.go --id g1 --db "$db" $(now 08:01) > /dev/null
expect "a directory where ana is away, eve her delegate" 0 "$h" directory load "$tmp/d2.json" --db "$db" $(now 08:02)
expect "history" 0 "$h" history i1 --db "$db" --json
delegated "  eve is asked in ana's place: one delegated record" 1
expect "the same directory loaded again" 0 "$h" directory load "$tmp/d2.json" --db "$db" $(now 08:03)
expect "and once more" 0 "$h" directory load "$tmp/d2.json" --db "$db" $(now 08:04)
expect "history" 0 "$h" history i1 --db "$db" --json
delegated "  still one delegated record" 1
expect "tasks" 0 "$h" tasks --db "$db" --json
json "  the seat is held by ana and eve" "j[0]['seats'][0]['holders'] == ['ana', 'eve']"

# ---- an away event repeating an absence the person has ----
db=$tmp/db2
"$h" deploy "$tmp/a.play" --db "$db" $(now 08:00) > /dev/null
"$h" directory load "$tmp/d1.json" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger ops.go --id g1 --db "$db" $(now 08:01) > /dev/null
away='{"person": "ana", "from": "2026-03-01", "to": "2026-03-05", "delegate": "eve"}'
echo "$away" > "$tmp/away.json"
expect "a directory.away event: ana away, eve her delegate" 0 sh -c "\"$h\" trigger directory.away --id a1 --db \"$db\" $(now 08:02) < \"$tmp/away.json\""
expect "the same absence again, under another id" 0 sh -c "\"$h\" trigger directory.away --id a2 --db \"$db\" $(now 08:03) --json < \"$tmp/away.json\""
json "  it changed nothing, and says so" "j['went'][0].get('changed') is False"
expect "history" 0 "$h" history i1 --db "$db" --json
delegated "  one delegated record" 1
expect "directory show" 0 "$h" directory show ana --db "$db" --json
json "  ana's absence is kept once" "len(j['away']) == 1"
plan
