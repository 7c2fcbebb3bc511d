#!/bin/sh
# tests/e2e/audit6_time.sh - zones and how times are shown (helper s6time, 2026-12-06):
# a right/ zone (leap seconds) refused at `directory load` with the plain zone named,
# `huddle run` saying times in the playbook calendar's zone as `history` does, and an
# ask whose first level was refused getting its timers back on `huddle retry`. Each
# check failed on the binary before its fix (or sits beside one as its sanity check).
# On real stores with --now, and `huddle run`. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

# ---- a right/ zone: refused, naming the zone to use ------------------------------------
# Its TZif file counts leap seconds, so its "UTC" is TAI-10 s: every local time read
# through it would be 27 s off POSIX time, which every clock and store keeps.
cat > "$tmp/right.json" <<'JSON'
{"people": {"anna": {"email": "anna@x"}},
 "calendars": {"office": {"zone": "right/Europe/Helsinki", "hours": {"mon-fri": "09:00-17:00"}}}}
JSON
sed 's|right/Europe|posix/Europe|' "$tmp/right.json" > "$tmp/posix.json"
sed 's|right/Europe|Europe|' "$tmp/right.json" > "$tmp/plain.json"
"$h" directory load "$tmp/plain.json" --db "$db" $(now 08:00) > /dev/null
expect "a right/ zone is refused at directory load" 1 "$h" directory load "$tmp/right.json" --db "$db" $(now 08:01)
has "  naming the field" "calendars.office.zone: time zone 'right/Europe/Helsinki' counts leap seconds"
has "  and the zone to use instead" "use 'Europe/Helsinki' (or 'posix/Europe/Helsinki')"
has "  changing nothing" "nothing changed"
expect "  the directory kept is the one before" 0 "$h" directory show --db "$db" --json
json "  (Europe/Helsinki)" "j['calendars']['office']['zone'] == 'Europe/Helsinki'"
expect "a posix/ zone loads" 0 "$h" directory load "$tmp/posix.json" --db "$db" $(now 08:02)
# huddle run's --directory is read the same way
cat > "$tmp/zone.play" <<'PLAY'
playbook zone

calendar "office"

on src.alert as a

state start {
  note "{format_time(now(), "%H:%M:%S", a.zone)}"
  done "ok"
}
PLAY
printf '%s\n' '{"at": "2026-06-15T09:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {"zone": "right/UTC"}}}' \
  '{"at": "2026-06-15T10:00:00Z", "end": true}' > "$tmp/zone.jsonl"
expect "huddle run refuses a right/ zone in --directory" 1 "$h" run "$tmp/zone.play" --events "$tmp/zone.jsonl" --directory "$tmp/right.json"
has "  with the same sentence" "counts leap seconds"
expect "format_time with a right/ zone" 0 "$h" run "$tmp/zone.play" --events "$tmp/zone.jsonl" --directory "$tmp/plain.json"
has "  stalls saying why and what to use" "format_time: time zone 'right/UTC' counts leap seconds, which huddle's clock does not: use 'UTC'"

# ---- huddle retry of an ask whose level was refused as it began -------------------------
# `escalate ... after e.n * 1m` with e.n = 0 is due at the ask's own start: the timer is
# refused and the instance stalls with its task open (docs/runtime.md, "Timers"). The
# stall kept the reminder and the absence watch from being set, and the retry only
# released held timers: no reminder, no level, no delegation ever after. Now the retry
# reaches the refused level (it is overdue) and the ladder, reminders and watch go on.
cat > "$tmp/ladder.play" <<'PLAY'
playbook ladder

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes
      within 4h
      escalate to person("craig") after a.n * 1m
      escalate to person("lars") after 1h
      remind every 30m
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
cat > "$tmp/ladder.json" <<'JSON'
{"people": {"anna": {"email": "anna@x",
                     "away": [{"from": "2026-03-02T10:00:00Z", "to": "2026-03-03T00:00:00Z", "delegate": "mei"}]},
            "craig": {"email": "craig@x"}, "lars": {"email": "lars@x"}, "mei": {"email": "mei@x"}}}
JSON
ldb=$tmp/ladder
"$h" directory load "$tmp/ladder.json" --db "$ldb" $(now 08:00) > /dev/null
"$h" deploy "$tmp/ladder.play" --db "$ldb" $(now 08:00) > /dev/null
echo '{"n": 0}' | "$h" trigger src.alert --id e1 --db "$ldb" $(now 09:00) > /dev/null
expect "the refused level stalls the ask" 0 "$h" history i1 --db "$ldb"
has "  (saying why)" "the level timer would be due at 2026-03-02T09:00:00Z"
expect "retry" 0 "$h" retry i1 --db "$ldb" $(now 09:05)
expect "  history" 0 "$h" history i1 --db "$ldb"
has "  reaches the refused level at once" "2026-03-02 09:05 +00:00  t1 escalated to level 1: craig added"
has "  sets the next level, counted from it" "timer: level 2 of t1 due 2026-03-02 10:05 +00:00"
has "  sets the reminder at start + 30m" "timer: reminder of t1 due 2026-03-02 09:30 +00:00"
has "  and watches anna's absence" "timer: watch of t1 due 2026-03-02 10:00 +00:00"
expect "tick at 10:05" 0 "$h" tick --db "$ldb" $(now 10:05)
has "  the reminder fires" "2026-03-02 09:30 +00:00  i1  t1: reminded anna, craig"
has "  anna's absence is covered" "2026-03-02 10:00 +00:00  i1  t1 seat 1: mei asked in anna's place (anna is away until 2026-03-03 00:00 +00:00)"
has "  level 2 is reached" "2026-03-02 10:05 +00:00  i1  t1 escalated to level 2: lars added"
# a retry after a reminder came due tells it at once (as a held reminder would fire),
# and sets the next one after the retry
echo '{"n": 0}' | "$h" trigger src.alert --id e2 --db "$ldb" $(now 10:10) > /dev/null
expect "a later retry" 0 "$h" retry i2 --db "$ldb" $(now 10:50)
expect "  history" 0 "$h" history i2 --db "$ldb"
has "  tells the reminder that came due" "2026-03-02 10:50 +00:00  t2: reminded"
has "  and sets the next one" "timer: reminder of t2 due 2026-03-02 11:10 +00:00"

# ---- huddle run says times as huddle history does -------------------------------------
# The timeline was at the offset of the trace's first `at` (UTC for a trace written in
# Z), while history and tasks of the same store (--keep) use the playbook calendar's
# zone: one instant, two clocks. Now run uses the calendar's zone too, and a line says
# when its clocks change (Helsinki leaves summer time at 2026-10-25T01:00:00Z).
cat > "$tmp/dst.play" <<'PLAY'
playbook dst

calendar "office"

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes within 1d remind every 4h
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
printf '%s\n' '{"at": "2026-10-24T20:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}' \
  '{"at": "2026-10-25T12:00:00Z", "end": true}' > "$tmp/dst.jsonl"
expect "run a trace written in UTC" 0 "$h" run "$tmp/dst.play" --events "$tmp/dst.jsonl" --directory "$tmp/plain.json" --keep "$tmp/dst"
has "  the timeline is in the calendar's zone" "2026-10-24 23:00  i1   started  dst, from src.alert e1"
has "  as is the deadline in its words" "answer by 2026-10-25 22:00"
has "  the clocks' change is said" "(clocks change: now +02:00, Europe/Helsinki)"
has "  and the times after it are at the new offset" "           06:00  i1     t1: reminded anna"
expect "  history of the kept store" 0 "$h" history i1 --db "$tmp/dst"
has "  says the same clock" "2026-10-24 23:00 +03:00  started dst by src.alert e1"
# without a calendar the timeline stays at the trace's own offset
sed '/^calendar/d' "$tmp/dst.play" > "$tmp/plain.play"
expect "run without a calendar" 0 "$h" run "$tmp/plain.play" --events "$tmp/dst.jsonl" --directory "$tmp/plain.json"
has "  keeps the trace's offset" "2026-10-24 20:00  i1   started  dst, from src.alert e1"
hasnt "  and says no clocks change" "clocks change"

# ---- huddle tick says times as history does -------------------------------------------
# tick's lines are "in huddle history's words", but were in UTC where history (and tasks)
# of the same instance are in its calendar's zone.
tdb=$tmp/tick
"$h" directory load "$tmp/plain.json" --db "$tdb" --now 2026-10-24T20:00:00Z > /dev/null
"$h" deploy "$tmp/dst.play" --db "$tdb" --now 2026-10-24T20:00:00Z > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$tdb" --now 2026-10-24T20:00:00Z > /dev/null
expect "tick across the clocks' change" 0 "$h" tick --db "$tdb" --now 2026-10-25T05:00:00Z
has "  says the reminder in the calendar's zone, summer time" "  2026-10-25 03:00 +03:00  i1  t1: reminded anna"
has "  and after the change, winter time" "  2026-10-25 06:00 +02:00  i1  t1: reminded anna"
has "  with the next one's due time in it too" "timer: reminder of t1 due 2026-10-25 10:00 +02:00"
expect "  as history does" 0 "$h" history i1 --db "$tdb"
has "  (history)" "2026-10-25 06:00 +02:00  t1: reminded anna"
plan
