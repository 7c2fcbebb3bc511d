#!/bin/sh
# tests/e2e/people_audit.sh - findings of an audit of the directory's use (LANGUAGE.md
# "Who", "Away and delegation"; docs/people.md "How a seat gets its holders"), each a
# test that failed before its fix:
#
# F1. manager(WHO) took the manager of WHO's stand-in when WHO was away: with ming away
#     and no delegate, manager(person("ming")) went to ming's manager's manager, and the
#     history said "craig asked in ming's place" while craig held no seat. Now WHO's own
#     people are taken as named, and only the managers found are replaced when away.
# F2. `directory load` said only "loaded N people" when it added a stand-in to an open
#     seat, told them, or fired a due deadline that ended an instance; --json had no
#     "instances" or "records". Now it reports them as every write does.
# F3. A seat reassigned to someone already away stayed theirs alone: their stand-in was
#     never added (one whose absence began a minute later got it). Now it is at once.
# F4. Of two overlapping absences the first listed won: a directory.away event's
#     delegate was ignored beside the file's older absence, and `until` named the first
#     one's end while the person stayed away. Now the one that began last stands, and
#     `until` is the end of the stretch.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
cat > "$tmp/dir.json" <<'DIR'
{"people": {
  "ming":  {"email": "ming@x", "manager": "craig",
            "away": [{"from": "2026-06-10", "to": "2026-06-20"}]},
  "anna":  {"email": "anna@x", "manager": "dana"},
  "dana":  {"email": "dana@x"},
  "lars":  {"email": "lars@x", "manager": "craig",
            "away": [{"from": "2026-06-10", "to": "2026-06-20", "delegate": "anna"}]},
  "craig": {"email": "craig@x", "manager": "ceo",
            "away": [{"from": "2026-07-01", "to": "2026-07-10", "delegate": "dana"}]},
  "ceo":   {"email": "ceo@x"}}}
DIR
cat > "$tmp/mgr.play" <<'PLAY'
playbook mgr
on ops.go as g
state s {
  notify manager(person(g.who)) "Heads up"
  ask manager(person(g.who)) "Approve?" choices yes within 1d
  { yes -> done "y"
    timeout -> done "t" }
}
PLAY
trace() { # trace WHO DAY: the event on DAY and craig's answer an hour later
  printf '%s\n' "{\"at\": \"2026-$2T10:00:00Z\", \"event\": {\"source\": \"ops\", \"type\": \"go\", \"id\": \"e1\", \"data\": {\"who\": \"$1\"}}}" \
    "{\"at\": \"2026-$2T11:00:00Z\", \"answer\": {\"by\": \"${3:-craig}\", \"choice\": \"yes\"}}" > "$tmp/t.jsonl"
}
trace ming 06-15
expect "F1: manager of an away person with no delegate" 0 "$h" run "$tmp/mgr.play" --events "$tmp/t.jsonl" --directory "$tmp/dir.json"
has "  is her own manager, who is told" "told craig (email): Heads up"
has "  and holds the seat" "to craig, choices"
has "  and whose answer decides" "craig answered t1: yes"
hasnt "  with no stand-in recorded for ming" "in ming's place"
trace lars 06-15
expect "F1: manager of a person away with a delegate" 0 "$h" run "$tmp/mgr.play" --events "$tmp/t.jsonl" --directory "$tmp/dir.json"
has "  is his own manager, not the delegate's" "to craig, choices"
hasnt "  and anna's manager is not asked" "to dana"
trace ming 07-03 dana
expect "F1: a manager who is away is still replaced" 0 "$h" run "$tmp/mgr.play" --events "$tmp/t.jsonl" --directory "$tmp/dir.json"
has "  by the manager's delegate" "dana asked in craig's place"
has "  whose answer decides" "dana answered t1: yes"
db=$tmp/db
expect "F1 in a store: deploy" 0 "$h" deploy "$tmp/mgr.play" --db "$db" --now 2026-06-15T09:00:00Z
expect "  directory load" 0 "$h" directory load "$tmp/dir.json" --db "$db" --now 2026-06-15T09:00:00Z
echo '{"who": "ming"}' > "$tmp/go.json"
expect "  trigger" 0 "$h" trigger ops.go --id e1 --db "$db" --now 2026-06-15T10:00:00Z < "$tmp/go.json"
expect "  craig, ming's manager, answers" 0 "$h" answer t1 yes --by craig --db "$db" --now 2026-06-15T11:00:00Z
has "  and decides" "done: y"

db=$tmp/db2
printf '%s\n' '{"people": {"ming": {"email": "m@x"}, "anna": {"email": "a@x"}}}' > "$tmp/d1.json"
printf '%s\n' '{"people": {"ming": {"email": "m@x", "away": [{"from": "2026-06-10", "to": "2026-06-20", "delegate": "anna"}]},' \
  '"anna": {"email": "a@x"}}}' > "$tmp/d2.json"
cat > "$tmp/ask.play" <<'PLAY'
playbook ldout
on ops.go as g
state s {
  ask person(g.who) "q?" choices yes within 1h
  { yes -> done "y"
    timeout -> done "t" }
}
PLAY
expect "F2: deploy" 0 "$h" deploy "$tmp/ask.play" --db "$db" --now 2026-06-10T00:00:00Z
expect "  directory" 0 "$h" directory load "$tmp/d1.json" --db "$db" --now 2026-06-10T00:00:00Z
expect "  ming is asked" 0 "$h" trigger ops.go --id e1 --db "$db" --now 2026-06-10T10:00:00Z < "$tmp/go.json"
expect "F2: a load that makes ming away (--json)" 0 "$h" directory load "$tmp/d2.json" --db "$db" --now 2026-06-10T10:55:00Z --json
json "  says what it loaded" 'j["loaded"] == {"people": 2, "teams": 0, "calendars": 0}'
json "  where i1 stands" '[i["id"] for i in j["instances"]] == ["i1"] and j["instances"][0]["task"] == "t1"'
json "  and the records: anna's seat and her message" '[r["kind"] for r in j["records"]] == ["delegated", "notified"] and j["records"][0]["to"] == "anna"'
expect "F2: a load after t1's deadline" 0 "$h" directory load "$tmp/d2.json" --db "$db" --now 2026-06-10T11:30:00Z
has "  says the load" "loaded 2 people, 0 teams, 0 calendars"
has "  and that i1 ended" "i1: done: t"
expect "F2: a load that changes nothing for anyone" 0 "$h" directory load "$tmp/d2.json" --db "$db" --now 2026-06-10T11:31:00Z --json
json "  has empty lists" 'j["instances"] == [] and j["records"] == []'

db=$tmp/db3
cat > "$tmp/ra.play" <<'PLAY'
playbook ra
on ops.go as g
state s {
  ask person("ming") "Approve?" choices yes within 1d
  { yes -> done "y"
    timeout -> done "t" }
}
PLAY
printf '%s\n' '{"people": {"ming": {"email": "ming@x"}, "craig": {"email": "craig@x"}, "mei": {"email": "mei@x"},' \
  '"lars": {"email": "lars@x", "away": [{"from": "2026-06-01", "to": "2026-06-30", "delegate": "mei"}]}}}' > "$tmp/d3.json"
expect "F3: deploy" 0 "$h" deploy "$tmp/ra.play" --db "$db" --now 2026-06-15T00:00:00Z
expect "  directory" 0 "$h" directory load "$tmp/d3.json" --db "$db" --now 2026-06-15T00:00:00Z
echo '{}' > "$tmp/e.json"
expect "  ming is asked" 0 "$h" trigger ops.go --id e1 --db "$db" --now 2026-06-15T10:00:00Z < "$tmp/e.json"
expect "F3: reassigned to lars, away with mei as delegate" 0 "$h" reassign t1 --from ming --to lars --by craig --db "$db" --now 2026-06-15T10:10:00Z --json
json "  mei joins lars at once, and is told" '[(r["kind"], r.get("from"), r.get("to"), r.get("why"), r.get("person")) for r in j["records"]] == [("delegated", "ming", "lars", "reassigned", None), ("notified", None, None, None, "lars"), ("delegated", "lars", "mei", "away", None), ("notified", None, None, None, "mei")]'
expect "  mei may answer" 0 "$h" answer t1 yes --by mei --db "$db" --now 2026-06-15T10:20:00Z
has "  and decides" "done: y"

cat > "$tmp/d4.json" <<'DIR'
{"people": {
  "ming":  {"email": "ming@x", "manager": "craig",
            "away": [{"from": "2026-06-13", "to": "2026-06-24"}]},
  "craig": {"email": "craig@x"}, "lars": {"email": "lars@x"}}}
DIR
printf '%s\n' '{"at": "2026-06-20T10:00:00Z", "away": {"person": "ming", "from": "2026-06-20", "to": "2026-06-30", "delegate": "lars"}}' \
  '{"at": "2026-06-21T10:00:00Z", "event": {"source": "ops", "type": "go", "id": "e1", "data": {}}}' \
  '{"at": "2026-06-23T00:00:00Z", "end": true}' > "$tmp/t4.jsonl"
expect "F4: two overlapping absences" 0 "$h" run "$tmp/ra.play" --events "$tmp/t4.jsonl" --directory "$tmp/d4.json"
has "  the later one's delegate stands in, until ming is back" "lars asked in ming's place (ming is away until 2026-07-01 00:00)"
hasnt "  not the manager" "craig asked"
plan
