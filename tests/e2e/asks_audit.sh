#!/bin/sh
# tests/e2e/asks_audit.sh - findings of an audit of asks (LANGUAGE.md "ask", "Seats and
# quorum", "The result", "Reminders"; docs/language.md), each a test that failed before
# its fix:
#
# F1. A person holding two seats (a team's and their own) filled the team's when an
#     escalation level was still to come: the level made their own seat look as fillable
#     as the team's, so a colleague was refused and the ask ended no_quorum. Seats people
#     there can fill now count before those only a later level might fill.
# F2. After `huddle resolve` the arm's NAME.by was the operator and NAME.comment the
#     reason; no answer completed the quorum, so both are null.
# F3. A holder of a seat another holder acknowledged was told they "had acknowledged
#     already"; the sentence now names who did, and when.
# F4. Reminders went on to a person who had answered (and can no more), and a level
#     "added" them again instead of being skipped.
# F6. A comment of only a no-break space counted as a comment for `with comment`.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
cat > "$tmp/dir.json" <<'DIR'
{"people": {"ana": {"name": "Ana", "email": "ana@x.com"}, "ben": {"name": "Ben", "email": "ben@x.com"},
            "ops": {"name": "Ops", "email": "ops@x.com"}},
 "teams": {"security": {"members": ["ana", "ben"], "lead": "ana"}, "nobody": {"members": []}}}
DIR
cat > "$tmp/f1.play" <<'PLAY'
playbook f1
on src.ev as e
state s {
  ask 2 of team("security"), person("ana") "Ship the fix?"
      choices yes, no
      within 4h
      escalate to team("nobody") after 1h
      remind every 30m
  {
    yes -> done "yes"
    no -> done "no"
    no_quorum -> done "no quorum"
    timeout -> done "timeout"
  }
}
PLAY
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "src", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-06-15T08:05:00Z", "answer": {"by": "ana", "choice": "yes"}}' \
  '{"at": "2026-06-15T08:40:00Z", "answer": {"task": "t1", "by": "ben", "choice": "yes"}}' \
  '{"at": "2026-06-15T12:00:00Z", "end": true}' > "$tmp/f1.jsonl"
expect "F1: run" 0 "$h" run "$tmp/f1.play" --events "$tmp/f1.jsonl" --directory "$tmp/dir.json"
has "  ben's answer is taken" "ben answered t1: yes"
has "  and decides" "t1 decided: yes"
hasnt "  ben is not refused" "REFUSED"
has "F4: the reminder goes to ben alone, ana having answered" "t1: reminded ben"
hasnt "  not to ana" "reminded ana"
db=$tmp/db
expect "F1 in a store: deploy" 0 "$h" deploy "$tmp/f1.play" --db "$db" --now 2026-06-15T07:00:00Z
expect "  directory" 0 "$h" directory load "$tmp/dir.json" --db "$db" --now 2026-06-15T07:00:00Z
echo '{}' > "$tmp/e.json"
expect "  trigger" 0 "$h" trigger src.ev --id e1 --db "$db" --now 2026-06-15T08:00:00Z < "$tmp/e.json"
expect "  ana answers" 0 "$h" answer t1 yes --by ana --db "$db" --now 2026-06-15T08:05:00Z
expect "  ben answers" 0 "$h" answer t1 yes --by ben --db "$db" --now 2026-06-15T08:10:00Z
has "  and decides" "i1: done: yes"

cat > "$tmp/f2.play" <<'PLAY'
playbook f2
on src.ev as e
state s {
  ask 2 of person("ana"), person("ben") "Ship?"
      choices yes, no "No" with comment
      within 4h
      as v
  {
    yes -> { note "by={json(v.by)} comment={json(v.comment)} deciders={v.deciders}" done "yes" }
    no -> done "no"
    no_quorum -> done "nq"
    timeout -> done "timeout"
  }
}
PLAY
db=$tmp/db2
expect "F2: deploy" 0 "$h" deploy "$tmp/f2.play" --db "$db" --now 2026-06-15T07:00:00Z
expect "  directory" 0 "$h" directory load "$tmp/dir.json" --db "$db" --now 2026-06-15T07:00:00Z
expect "  trigger" 0 "$h" trigger src.ev --id e1 --db "$db" --now 2026-06-15T08:00:00Z < "$tmp/e.json"
nbsp=$(printf '\302\240')
expect "F6: a comment of a no-break space alone is refused" 1 "$h" answer t1 no --by ana --comment "$nbsp" --db "$db" --now 2026-06-15T08:04:00Z
has "  as no comment" "choice 'no' needs a comment"
expect "F2: ana answers no" 0 "$h" answer t1 no --by ana --comment "not yet" --db "$db" --now 2026-06-15T08:05:00Z
expect "F2: ops overrides: yes" 0 "$h" resolve t1 yes --by ops --reason "customer escalation" --db "$db" --now 2026-06-15T08:10:00Z
expect "  history" 0 "$h" history i1 --db "$db"
has "  the arm's by and comment are null, no answer having made the quorum" 'noted: by=null comment=null deciders=[]'
has "  the override names the operator" 'ops overrode t1: yes ("customer escalation")'

cat > "$tmp/f3.play" <<'PLAY'
playbook f3
on src.ev as e
state s {
  ask team("security") "Ship?"
      choices yes, no
      within 4h
      escalate to person("ops") after 1h
  {
    yes -> done "yes"
    no -> done "no"
    timeout -> done "timeout"
  }
}
PLAY
db=$tmp/db3
expect "F3: deploy" 0 "$h" deploy "$tmp/f3.play" --db "$db" --now 2026-06-15T07:00:00Z
expect "  directory" 0 "$h" directory load "$tmp/dir.json" --db "$db" --now 2026-06-15T07:00:00Z
expect "  trigger" 0 "$h" trigger src.ev --id e1 --db "$db" --now 2026-06-15T08:00:00Z < "$tmp/e.json"
expect "F3: ana acknowledges the team's seat" 0 "$h" ack t1 --by ana --db "$db" --now 2026-06-15T08:05:00Z
expect "F3: ben, who shares it, acknowledges" 0 "$h" ack t1 --by ben --db "$db" --now 2026-06-15T08:06:00Z --json
json "  is told who acknowledged it, and when" 'j["acknowledged"]["duplicate"] is True and j["acknowledged"]["note"] == "the seats ben holds on t1 are acknowledged already, by ana at 2026-06-15T08:05:00Z; nothing changed"'

cat > "$tmp/ea.play" <<'PLAY'
playbook ea
on src.ev as e
state s {
  ask 2 of person("ana"), person("ben"), person("ops") "Pick?"
      choices x, y
      within 4h
      escalate to person("ana") after 1h
      escalate to team("security") after 1h
  {
    x -> done "x"
    y -> done "y"
    no_quorum -> done "nq"
    timeout -> done "timeout"
  }
}
PLAY
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "src", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-06-15T08:05:00Z", "answer": {"by": "ana", "choice": "x"}}' \
  '{"at": "2026-06-15T12:00:00Z", "end": true}' > "$tmp/ea.jsonl"
expect "F4: a level to someone who answered" 0 "$h" run "$tmp/ea.play" --events "$tmp/ea.jsonl" --directory "$tmp/dir.json"
has "  is skipped" "t1 level 1 skipped: nobody to add to an open seat"
has "  and the next reached at once" "09:00  i1     t1 escalated to level 2"
plan
