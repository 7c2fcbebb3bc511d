#!/bin/sh
# tests/e2e/manager_reassign.sh - a bare `escalate to manager` climbs from the people most
# recently added to the seat (../shared/design/LANGUAGE.md, "ask", Escalation: "manager
# adds the managers of the people most recently added to that seat"), and the person
# `huddle reassign` puts on a seat is the latest. Before 2026-12-07 the levels went on
# climbing from the person reassigned away: ann's manager mgr was added, though ann no
# longer held the seat. tests/people/manager_after_away_opens is the same rule for a
# substitute added when a holder's absence starts. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

cat > "$tmp/people.json" <<'JSON'
{"people": {
  "ann":  {"email": "ann@x",  "manager": "mgr"},
  "cid":  {"email": "cid@x",  "manager": "boss"},
  "mgr":  {"email": "mgr@x",  "manager": "boss"},
  "boss": {"email": "boss@x", "manager": "top"},
  "top":  {"email": "top@x"}
}}
JSON
cat > "$tmp/up.play" <<'PLAY'
playbook up

on s.e as a

state decide {
  ask person("ann") "Approve?"
      choices yes
      within 5h
      escalate to manager after 1h
      escalate to manager after 1h
  { yes -> done "approved" timeout -> fail "no answer" }
}
PLAY

db=$tmp/db
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/up.play" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger s.e --id e1 --db "$db" $(now 09:00) > /dev/null
expect "reassign ann's seat to cid at 09:10" 0 "$h" reassign t1 --from ann --to cid --by top --db "$db" $(now 09:10)
expect "tick past both levels (10:00, 11:00)" 0 "$h" tick --db "$db" $(now 11:30)
expect "huddle history" 0 "$h" history i1 --db "$db" --json
if python3 -c '
import json, sys
j = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
added = [r["added"] for r in j if r["kind"] == "escalated"]
sys.exit(0 if added == [{"0": ["boss"]}, {"0": ["top"]}] else 1)' "$tmp/out" 2>>"$tmp/out"
then ok "  level 1 adds cid's manager boss, level 2 climbs to top"; else no "  level 1 adds cid's manager boss, level 2 climbs to top"; fi
expect "huddle tasks" 0 "$h" tasks --db "$db" --json
json "  the seat is held by cid, boss and top (not ann's manager mgr)" "j[0]['seats'][0]['holders'] == ['cid', 'boss', 'top']"
plan
