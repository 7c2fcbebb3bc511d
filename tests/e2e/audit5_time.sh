#!/bin/sh
# tests/e2e/audit5_time.sh - the fifth contract audit, of time: calendars and business
# time, deadlines, escalation and reminder timers, `huddle retry` of what time stalled
# (2026-12-06, helper aud5t). Each check here failed on the binary before its fix (a few
# are the sanity checks beside them). On real stores with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x", "manager": "craig"}, "craig": {"email": "craig@x"},
            "mei": {"email": "mei@x"}},
 "calendars": {"office": {"zone": "Europe/Berlin", "hours": {"mon-fri": "09:00-17:00"}}}}
JSON
cat > "$tmp/no-calendar.json" <<'JSON'
{"people": {"anna": {"email": "anna@x", "manager": "craig"}, "craig": {"email": "craig@x"},
            "mei": {"email": "mei@x"}}}
JSON
cat > "$tmp/ask.play" <<'PLAY'
playbook ask_in_hours

calendar "office"

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes within 2 business hours
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
cat > "$tmp/wait.play" <<'PLAY'
playbook wait_in_hours

calendar "office"

on src.tick as t

state start {
  note "started"
  wait { after 1 business hour -> done "waited" }
}
PLAY

# RUNTIME.md "A step that fails": huddle retry resumes from the same suspension point with
# the same input. A playbook deployed before the directory had its calendar stalls at its
# first ask ("business time needs calendar"); once the calendar is loaded, the retry must
# ask. The engine found the missing calendar after the ask's suspension was entered, and
# kept no input: the retry said "waits in start" and left the instance running with no
# task and no timer, forever.
"$h" directory load "$tmp/no-calendar.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/ask.play" "$tmp/wait.play" --db "$db" $(now 08:00) > /dev/null 2>&1
echo '{}' | "$h" trigger src.alert --id e1 --db "$db" $(now 08:01) > /dev/null
expect "the ask stalls without its calendar" 0 "$h" instances --db "$db" --json
json "  (i1 stalled)" "j[0]['status'] == 'stalled'"
expect "  saying so, with the line" 0 "$h" history i1 --db "$db"
has "  (the reason)" 'ask.play:8: business time needs calendar "office" from the directory'
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:02) > /dev/null
expect "retry after the calendar is loaded" 0 "$h" retry i1 --db "$db" $(now 08:03)
has "  asks now" "now asks t1"
expect "  anna has the task" 0 "$h" tasks --for anna --db "$db" --json
json "  (t1, due 2 business hours on: Monday 2026-03-02 11:03 in Berlin)" \
  "j[0]['id'] == 't1' and j[0]['deadline'] == '2026-03-02T10:03:00Z'"
expect "  and its deadline fires" 0 "$h" tick --db "$db" $(now 10:03)
expect "  (i1 timed out)" 0 "$h" instances --db "$db" --json
json "  (done: late)" "j[0]['status'] == 'done' and j[0]['outcome'] == 'late'"

# The same for a wait's `after`: the retry sets its timer. The step that stalled is
# undone as a failed VM step is, so the retry's note is the only one.
"$h" directory load "$tmp/no-calendar.json" --db "$db" $(now 10:04) > /dev/null
echo '{}' | "$h" trigger src.tick --id w1 --db "$db" $(now 10:05) > /dev/null
"$h" directory load "$tmp/people.json" --db "$db" $(now 10:06) > /dev/null
expect "retry of a wait that stalled without its calendar" 0 "$h" retry i2 --db "$db" $(now 10:07)
has "  waits" "waits in start"
expect "  with its after timer" 0 "$h" history i2 --db "$db" --json
has "  (a timer, due 1 business hour on)" '"due":"2026-03-02T11:07:00Z","what":"after"'
expect "  which fires" 0 "$h" tick --db "$db" $(now 11:07)
expect "  (i2 done)" 0 "$h" history i2 --db "$db" --json
has "  (waited)" '"outcome":"waited"'
expect "  (one note)" 0 sh -c "'$h' history i2 --db '$db' --json | grep -c '\"kind\":\"noted\"'"
has "  (one)" "1"

# LANGUAGE.md "Escalation": level k is reached D_k after level k-1, counted in the
# playbook calendar at that moment. A calendar that left the directory while the ask was
# open ended the ladder and the reminders without a word: no timer, no record, the
# instance running. Now it stalls naming the clause, with its task open, as a refused
# level does (docs/runtime.md, "Timers"): an answer still decides it.
cat > "$tmp/ladder.play" <<'PLAY'
playbook ladder_in_hours

calendar "office"

on src.page as p

state start {
  ask person("anna") "Go?" choices yes within 3d
    escalate to person("mei") after 1h
    escalate to manager after 1 business hour
    remind every 1 business hour
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
"$h" deploy "$tmp/ladder.play" --db "$db" $(now 12:00) > /dev/null
echo '{}' | "$h" trigger src.page --id l1 --db "$db" $(now 12:00) > /dev/null
"$h" directory load "$tmp/no-calendar.json" --db "$db" $(now 12:30) > /dev/null
expect "level 1 is reached without the calendar" 0 "$h" tick --db "$db" $(now 13:00)
has "  (mei added)" 't2 escalated to level 1: mei added'
expect "  and the instance stalls at level 2's clause" 0 "$h" history i3 --db "$db"
has "  (why, and the line)" 'stalled: ladder.play:10: business time needs calendar "office" from the directory'
expect "  (stalled, its task open)" 0 "$h" tasks --for anna --db "$db" --json
json "  (t2 still asks anna)" "j[0]['id'] == 't2'"
expect "  an answer still decides it" 0 "$h" answer t2 yes --by anna --db "$db" $(now 13:05)
has "  (done)" "done: yes"

# LANGUAGE.md "Reminders": at start + k*D in business time, each deadline computed when
# its timer is set, with the calendar as it is then. A calendar that gained working time
# while the ask was open (longer hours, a holiday taken back) put the next reminder
# before now: the instance stalled ("the reminder timer would be due at ..., but a timer
# must be due after the engine time that sets it"). The reminders now past are skipped.
cat > "$tmp/narrow.json" <<'JSON'
{"people": {"anna": {"email": "anna@x"}},
 "calendars": {"office": {"zone": "UTC", "hours": {"mon-fri": "09:00-10:00"}}}}
JSON
cat > "$tmp/wide.json" <<'JSON'
{"people": {"anna": {"email": "anna@x"}},
 "calendars": {"office": {"zone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}}}
JSON
cat > "$tmp/remind.play" <<'PLAY'
playbook remind_in_hours

calendar "office"

on src.ping as p

state start {
  ask person("anna") "Go?" choices yes within 5d remind every 1 business hour
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
db=$tmp/store2
"$h" directory load "$tmp/narrow.json" --db "$db" $(now 09:00) > /dev/null
"$h" deploy "$tmp/remind.play" --db "$db" $(now 09:00) > /dev/null
echo '{}' | "$h" trigger src.ping --id r1 --db "$db" $(now 09:00) > /dev/null
"$h" tick --db "$db" $(now 10:00) > /dev/null
expect "the calendar gains hours while the ask is open" 0 "$h" directory load "$tmp/wide.json" --db "$db" $(now 12:00)
expect "  the reminder set before fires the next day" 0 "$h" tick --db "$db" --now 2026-03-03T10:00:00Z
hasnt "  without stalling" "stalled"
has "  and the next is the first still to come: 10 business hours of the wide week in" 'timer: reminder of t1 due 2026-03-03 11:00 +00:00'
expect "  (running)" 0 "$h" instances --db "$db" --json
json "  (i1 running)" "j[0]['status'] == 'running'"

# LANGUAGE.md "Engine time": a timer's engine time is its due time, even when it fires
# late; "Deadline and ties": an input at t is applied after every timer due by t. A
# directory load moved the store's clock without firing the timers due by then, so a
# reminder due at 09:30 fired at the next write stamped with the load's 09:45 (the clock
# never goes back), and after the directory change. Now the load fires them first.
cat > "$tmp/plain.play" <<'PLAY'
playbook remind_plain

on src.pong as p

state start {
  ask person("anna") "Go?" choices yes within 1d remind every 30m
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
db=$tmp/store3
"$h" directory load "$tmp/wide.json" --db "$db" $(now 09:00) > /dev/null
"$h" deploy "$tmp/plain.play" --db "$db" $(now 09:00) > /dev/null
echo '{}' | "$h" trigger src.pong --id p1 --db "$db" $(now 09:00) > /dev/null
expect "a directory load at 09:45" 0 "$h" directory load "$tmp/wide.json" --db "$db" $(now 09:45)
expect "  fired the reminder due at 09:30 first" 0 "$h" history i1 --db "$db" --json
has "  (at its due time)" '{"at":"2026-03-02T09:30:00Z","instance":"i1","seq":7,"kind":"reminded"'

# The same for deploy (huddle deploy, and serve --connectors F as it starts: RUNTIME.md
# promise 4, due timers fire late with their due time as engine time) and undeploy: each
# moved the clock past the timers due by then, which fired later stamped with its time.
for how in deploy undeploy; do
  db=$tmp/store-$how
  "$h" directory load "$tmp/wide.json" --db "$db" $(now 09:00) > /dev/null
  "$h" deploy "$tmp/plain.play" "$tmp/remind.play" --db "$db" $(now 09:00) > /dev/null
  echo '{}' | "$h" trigger src.pong --id p1 --db "$db" $(now 09:00) > /dev/null
  if [ "$how" = deploy ]; then
    expect "a deploy at 09:45" 0 "$h" deploy "$tmp/ask.play" --db "$db" $(now 09:45)
  else
    expect "an undeploy at 09:45" 0 "$h" undeploy remind_in_hours --db "$db" $(now 09:45)
  fi
  "$h" tick --db "$db" $(now 09:50) > /dev/null
  expect "  the reminder due at 09:30 is stamped 09:30" 0 "$h" history i1 --db "$db" --json
  has "  (at its due time)" '{"at":"2026-03-02T09:30:00Z","instance":"i1","seq":7,"kind":"reminded"'
done

plan
