#!/bin/sh
# tests/e2e/people_watch.sh - every holder's absence is watched, however they came to
# the seat (../shared/design/LANGUAGE.md, "Away and delegation": "a holder who becomes
# away (a directory change, or an absence's start, for which a timer is set) gets their
# substitute added beside them"). Before 2026-12-06 only the ask's first holders were:
# a person an escalation level or `huddle reassign` added whose absence started later
# never got their substitute (or only when some other watch fired). On real stores with
# `tick`, `reassign` and --now; tests/people/escalated_holder_away_* are the same rule
# under `huddle run`. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

# history DESC PYTHON: the last output is `huddle history --json`, one record a line;
# passes when PYTHON is true of `j`, the list of them.
history() {
  if python3 -c 'import json,sys; j=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; sys.exit(0 if ('"$2"') else 1)' "$tmp/out" 2>>"$tmp/out"
  then ok "$1"; else no "$1"; fi
}

# fut is away from 10:00 (delegate cat); dee from 10:20 (delegate eve).
cat > "$tmp/people.json" <<'JSON'
{"people": {
  "ben":   {"email": "ben@x", "manager": "craig"},
  "cat":   {"email": "cat@x", "manager": "craig"},
  "dee":   {"email": "dee@x", "manager": "craig",
            "away": [{"from": "2026-03-02T10:20:00Z", "to": "2026-03-03T00:00:00Z", "delegate": "eve"}]},
  "eve":   {"email": "eve@x", "manager": "craig"},
  "fut":   {"email": "fut@x", "manager": "craig",
            "away": [{"from": "2026-03-02T10:00:00Z", "to": "2026-03-03T00:00:00Z", "delegate": "cat"}]},
  "craig": {"email": "craig@x"}
}}
JSON
cat > "$tmp/esc.play" <<'PLAY'
playbook esc

on s.e as a

state start {
  ask person("ben") "Go?" choices y within 3h escalate to person("fut") after 20m
  { y -> done "y" timeout -> done "late" }
}
PLAY

# asked NAME: a new store $tmp/NAME, now $db, with the directory and esc deployed at 09:00
# and ben asked (t1 of i1) at 09:30.
asked() {
  db=$tmp/$1
  "$h" directory load "$tmp/people.json" --db "$db" $(now 09:00) > /dev/null
  "$h" deploy "$tmp/esc.play" --db "$db" $(now 09:00) > /dev/null
  echo '{}' | "$h" trigger s.e --id e1 --db "$db" $(now 09:30) > /dev/null
}

# ---- a person a level adds: the tick that reaches the level watches their absence ----
asked esc
expect "tick past the level (09:50) and fut's absence (10:00)" 0 "$h" tick --db "$db" $(now 11:00)
has "  reaching the level sets a watch for fut's absence" "timer: watch of t1 due 2026-03-02 10:00"
has "  which adds cat in fut's place at its start" "10:00 +00:00  i1  t1 seat 1: cat asked in fut's place"
has "  and tells cat" "told cat (email) about t1"
expect "huddle tasks" 0 "$h" tasks --db "$db" --json
json "  the seat is held by ben, fut and cat" "j[0]['seats'][0]['holders'] == ['ben', 'fut', 'cat']"
expect "huddle history" 0 "$h" history i1 --db "$db" --json
history "  one delegated fut -> cat, at 10:00" \
  "[(r['from'], r['to'], r['at']) for r in j if r['kind'] == 'delegated'] == [('fut', 'cat', '2026-03-02T10:00:00Z')]"

# ---- a person `huddle reassign` gives a seat: their absence is watched too -------------
asked reassign
expect "reassign ben's seat to dee at 09:40" 0 "$h" reassign t1 --from ben --to dee --by craig --db "$db" $(now 09:40)
expect "tick to 09:45, before the level" 0 "$h" tick --db "$db" $(now 09:45)
expect "huddle history" 0 "$h" history i1 --db "$db" --json
history "  the reassignment set a watch for dee's absence at 10:20" \
  "any(r['kind'] == 'timer' and r.get('what') == 'watch' and r['due'] == '2026-03-02T10:20:00Z' for r in j)"
expect "tick to 11:00" 0 "$h" tick --db "$db" $(now 11:00)
expect "huddle history" 0 "$h" history i1 --db "$db" --json
history "  eve is added in dee's place at 10:20 (and cat in fut's at 10:00)" \
  "sorted((r['from'], r['to'], r['at']) for r in j if r['kind'] == 'delegated' and r.get('why') == 'away') == [('dee', 'eve', '2026-03-02T10:20:00Z'), ('fut', 'cat', '2026-03-02T10:00:00Z')]"
plan
