#!/bin/sh
# tests/e2e/audit2_runtime.sh - the second contract audit of RUNTIME.md (2026-12-05): each
# test here failed on the binary before its fix. The CLI refuses stray arguments and an
# inbox of nobody; directory events that end an absence as it starts, and a person named
# as their own delegate, leave no false record. On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a
  case a.key

state start {
  ask person("anna") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x", "manager": "craig"}, "craig": {"email": "craig@x"},
            "lars": {"email": "lars@x"}}}
JSON
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
echo '{"key": "k1"}' | "$h" trigger src.alert --id e1 --db "$db" $(now 09:00) > /dev/null

# ---- the reading commands take no stray arguments; --for names someone ----
expect "tasks with a stray argument is a usage error" 2 "$h" tasks extra --db "$db"
has "it says so" "tasks takes no arguments but options"
expect "instances with a stray argument is a usage error" 2 "$h" instances extra --db "$db"
expect "tasks --for a person the directory lacks is refused" 1 "$h" tasks --for zed --db "$db"
has "naming the person" "for: no person 'zed' in the directory"
expect "tasks --for a person in it still lists" 0 "$h" tasks --for anna --db "$db" --json
json "anna holds t1" 'len(j) == 1 and j[0]["id"] == "t1"'

# ---- directory.away then directory.back in the same instant ----
echo '{"person": "anna", "delegate": "lars"}' | "$h" trigger directory.away --id a1 --db "$db" $(now 09:10) > /dev/null
echo '{"person": "anna"}' > "$tmp/back.json"
expect "a back in the instant the absence began is accepted" 0 "$h" trigger directory.back --id b1 --db "$db" $(now 09:10) < "$tmp/back.json"
expect "the directory shows it" 0 "$h" directory show anna --db "$db" --json
json "the absence is gone, not left ending as it starts" 'j.get("away", []) == []'

# ---- a person named as their own delegate stands in for nobody ----
echo '{"person": "anna", "delegate": "anna"}' | "$h" trigger directory.away --id a2 --db "$db" $(now 09:20) > /dev/null
expect "history" 0 "$h" history i1 --db "$db" --json
hasnt "no record of anna standing in for herself" '"from":"anna","to":"anna"'
has "she is unresolved instead" '"why":"away, with nobody to stand in"'
plan
