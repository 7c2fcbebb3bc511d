#!/bin/sh
# tests/e2e/audit3_left.sh - leftovers of the second contract audit, at the CLI's doors
# (RUNTIME.md v1.2). TAP lines.
#
#   - with connectors kept in the store, `huddle trigger` and `trigger --file` refuse a
#     source that is no connector sending events (exit 1, the line refused), as serve's
#     POST /v1/events/{connector} answers 404; `directory` stays reserved and open; a
#     store that keeps no connectors takes any source; `huddle run --connectors` shows
#     such a line refused and goes on.
#   - a trigger the CLI's door refuses (data that does not fit its type, data that is no
#     JSON, a source that is no connector, a --file whose every line is refused) still
#     fires the timers due by its time, as a refused answer does (RUNTIME.md, "What it
#     promises" 1: "timers already due by its time still fire, since that time has come").
#   - a directory file with a field no part of a directory has is refused by its path,
#     with the closest known field (`people.ming.calender: ... did you mean 'calendar'?`),
#     by directory load, check --directory and run --directory alike.
#   - a file that starts with a UTF-8 byte order mark is read without it: a trace, a
#     trigger --file, event data on standard input, directory, connectors and mocks files,
#     and a playbook.
#   - `--db ""` is a usage error (exit 2) naming --db, for every command that takes it.
#   - `huddle run`'s human timeline shows an away trace line with its span and delegate
#     ("anna is away (from 2026-06-16 until the end of 2026-06-20), delegate mei") and a
#     back line ("anna is back"), each before the records the change made.
#   - a directory.away / directory.back event's data is read strictly: a misspelt field
#     (`form`), one no such event has, or one of another type (`"from": 5`) is refused
#     (exit 1) by name, never read as left out (an open-ended absence from now).
#   - a person with no email and no notify is no directory error: RUNTIME.md's pre-flight
#     reports "people with no way to be told", as a warning (exit 0), so a directory with
#     one loads (with a warning) and check --directory warns where a playbook names them.
#   - an on-call shift is at most 3650d: a longer one (up to 292 million years parsed)
#     overflowed the next shift's time while an oncall ask was open (UBSan); and at least
#     1m: a 1s shift made an open oncall seat a step each second (4 million in 50 days).
set -u
. "$TOP/tests/e2e/lib.sh"

# ---- trigger sources and the kept connectors ----
cat > "$tmp/conn.json" <<'JSON'
{"shop": {"kind": "webhook"}, "crm": {"kind": "http", "base_url": "http://127.0.0.1:9",
  "operations": {"note": {"method": "POST", "path": "/n"}}},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:2525", "from": "h@example.com"}}
JSON
cat > "$tmp/shop.play" <<'PLAY'
playbook shop
on shop.order as order
state start { done "ok" }
PLAY
db=$tmp/db
expect "deploy keeps the connectors" 0 "$h" deploy "$tmp/shop.play" --db "$db" --connectors "$tmp/conn.json"
expect "trigger from a kept webhook connector is accepted" 0 sh -c "echo '{}' | '$h' trigger shop.order --id s1 --db '$db'"
expect "so is one from an http connector" 0 sh -c "echo '{}' | '$h' trigger crm.note --id c1 --db '$db'"
expect "trigger from no kept connector is refused (exit 1)" 1 sh -c "echo '{}' | '$h' trigger shpo.order --id x1 --db '$db'"
has "naming the source and those that send events" "no connector 'shpo' sends events (those that do: shop, crm)"
expect "an smtp connector sends no events: refused" 1 sh -c "echo '{}' | '$h' trigger mail.order --id m1 --db '$db'"
expect "the refused events are recorded nowhere" 0 "$h" instances --db "$db" --json
json "one instance, from shop" 'len(j) == 1'
echo '{"people": {"pat": {"name": "Pat", "email": "pat@example.com"}}}' > "$tmp/people.json"
"$h" directory load "$tmp/people.json" --db "$db" > /dev/null 2>&1
expect "the reserved source directory stays open" 0 sh -c "echo '{\"person\": \"pat\", \"from\": \"2026-06-01\", \"to\": \"2026-06-02\"}' | '$h' trigger directory.away --id d1 --db '$db'"
printf '%s\n' '{"source": "shop", "type": "order", "id": "f1"}' '{"source": "nope", "type": "order", "id": "f2"}' > "$tmp/events.jsonl"
expect "trigger --file refuses the line from no connector (exit 1)" 1 "$h" trigger --file "$tmp/events.jsonl" --db "$db"
has "naming its line" "2: no connector 'nope' sends events"
expect "and took the other line" 0 "$h" instances --db "$db" --json
json "two instances now" 'len(j) == 2'
"$h" deploy "$tmp/shop.play" --db "$tmp/db2" > /dev/null 2>&1
expect "a store without kept connectors takes any source" 0 sh -c "echo '{}' | '$h' trigger anything.order --id a1 --db '$tmp/db2'"
printf '%s\n' '{"at": "2026-06-15T09:00:00Z", "event": {"source": "nope", "type": "order", "id": "r1"}}' \
  '{"at": "2026-06-15T09:01:00Z", "event": {"source": "shop", "type": "order", "id": "r2"}}' > "$tmp/trace.jsonl"
expect "run --connectors refuses an event from no connector and goes on" 0 "$h" run "$tmp/shop.play" --events "$tmp/trace.jsonl" --connectors "$tmp/conn.json" --json
has "the line is refused, naming the source" '{"refused":{"line":1,"why":"no connector '"'nope'"' sends events'
has "the next line runs" '"refused":1}}' 
# ---- a refused trigger fires the timers due by its time ----
cat > "$tmp/typed.json" <<'JSON'
{"ops": {"kind": "webhook", "events": {"change": {"n": "integer"}}}}
JSON
cat > "$tmp/ask.play" <<'PLAY'
playbook asking
on ops.change as change
state start {
  ask person("pat") "ok?"
    choices yes
    within 1h
  {
    yes -> done "yes"
    timeout -> done "late"
  }
}
PLAY
refused_fires() { # refused_fires WHAT COMMAND: the command, at 10:00, is refused; t1's deadline was 09:00
  d=$tmp/fire-$n; export d
  "$h" deploy "$tmp/ask.play" --db "$d" --connectors "$tmp/typed.json" $(now 08:00) > /dev/null 2>&1
  "$h" directory load "$tmp/people.json" --db "$d" $(now 08:00) > /dev/null 2>&1
  echo '{"n": 1}' | "$h" trigger ops.change --id e1 --db "$d" $(now 08:00) > /dev/null 2>&1
  expect "$1 is refused (exit 1)" 1 sh -c "$2"
  expect "and the deadline due before it fired" 0 "$h" instances --db "$d" --json
  json "the instance timed out at 09:00" 'j[0]["status"] == "done" and j[0]["outcome"] == "late"'
}
refused_fires "data that does not fit its type" "echo '{\"n\": \"x\"}' | '$h' trigger ops.change --id e2 --db \"\$d\" $(now 10:00)"
refused_fires "data that is no JSON" "echo '[1' | '$h' trigger ops.change --id e2 --db \"\$d\" $(now 10:00)"
refused_fires "a source that is no connector" "echo '{}' | '$h' trigger nope.change --id e2 --db \"\$d\" $(now 10:00)"
echo '{"source": "ops", "type": "change", "id": "e2", "data": {"n": "x"}}' > "$tmp/bad.jsonl"
refused_fires "a --file whose every line is refused" "'$h' trigger --file '$tmp/bad.jsonl' --db \"\$d\" $(now 10:00)"
expect "data that is no JSON for a store that does not exist: refused, nothing made" 1 sh -c "echo '[1' | '$h' trigger ops.change --db '$tmp/none'"
if [ -e "$tmp/none" ]; then no "no store was made" /dev/null; else ok "no store was made"; fi

# ---- unknown fields in a directory file ----
cat > "$tmp/typo.json" <<'JSON'
{"people": {"ming": {"name": "Ming", "email": "ming@example.com", "calender": "fi", "phone": "1",
                     "away": [{"from": "2026-06-13", "to": "2026-06-14", "delegat": "ming"}]}},
 "teams": {"t": {"members": ["ming"], "leed": "ming",
                 "oncall": {"rotation": ["ming"], "shift": "1w", "start": "2026-06-01T09:00:00Z", "shfit": "1d"}}},
 "calendars": {"fi": {"zone": "Europe/Helsinki", "hours": {"mon-fri": "09:00-17:00"}, "holiday": []}}}
JSON
expect "directory load refuses a misspelt person field" 1 "$h" directory load "$tmp/typo.json" --db "$tmp/dirdb"
has "naming the person and the field, with the suggestion" "people.ming.calender: unknown field (did you mean 'calendar'?)"
has "a field with no near name lists a person's fields" "people.ming.phone: unknown field (a person has name, email, manager, calendar, notify, away)"
has "an absence's field" "people.ming.away[0].delegat: unknown field (did you mean 'delegate'?)"
has "a team's field" "teams.t.leed: unknown field (did you mean 'lead'?)"
has "an oncall's field" "teams.t.oncall.shfit: unknown field (did you mean 'shift'?)"
has "a calendar's field" "calendars.fi.holiday: unknown field (did you mean 'holidays'?)"
expect "check --directory refuses it too" 1 "$h" check "$tmp/shop.play" --directory "$tmp/typo.json"
has "naming the file" "typo.json: people.ming.calender: unknown field (did you mean 'calendar'?)"
expect "and so does run --directory" 1 "$h" run "$tmp/shop.play" --directory "$tmp/typo.json" --events /dev/null
has "with the same sentence" "people.ming.calender: unknown field (did you mean 'calendar'?)"

# ---- a UTF-8 byte order mark is skipped ----
bom() { printf '\357\273\277'; cat "$1"; }
bom "$tmp/people.json" > "$tmp/bom-people.json"
bom "$tmp/conn.json" > "$tmp/bom-conn.json"
bom "$tmp/shop.play" > "$tmp/bom-shop.play"
bom "$tmp/trace.jsonl" > "$tmp/bom-trace.jsonl"
echo '{"crm.note": {"ok": true}}' > "$tmp/mocks.json"
bom "$tmp/mocks.json" > "$tmp/bom-mocks.json"
expect "a playbook with a BOM checks" 0 "$h" check "$tmp/bom-shop.play" --directory "$tmp/bom-people.json" --connectors "$tmp/bom-conn.json"
expect "run reads a trace, directory, connectors and mocks with a BOM" 0 "$h" run "$tmp/bom-shop.play" --events "$tmp/bom-trace.jsonl" --directory "$tmp/bom-people.json" --connectors "$tmp/bom-conn.json" --mocks "$tmp/bom-mocks.json" --json
has "the trace's first line is read (refused for its source, not as JSON)" '{"refused":{"line":1,"why":"no connector'
has "and its second runs" '"status":"done"'
bdb=$tmp/bomdb
expect "deploy takes a playbook and connectors with a BOM" 0 "$h" deploy "$tmp/bom-shop.play" --db "$bdb" --connectors "$tmp/bom-conn.json"
expect "directory load takes a file with a BOM" 0 "$h" directory load "$tmp/bom-people.json" --db "$bdb"
expect "trigger takes event data with a BOM" 0 sh -c "printf '\357\273\277{}' | '$h' trigger shop.order --id b1 --db '$bdb'"
echo '{"source": "shop", "type": "order", "id": "b2"}' > "$tmp/events-plain.jsonl"
bom "$tmp/events-plain.jsonl" > "$tmp/bom-events.jsonl"
expect "trigger --file takes a file with a BOM" 0 "$h" trigger --file "$tmp/bom-events.jsonl" --db "$bdb"
expect "both started an instance" 0 "$h" instances --db "$bdb" --json
json "two instances" 'len(j) == 2'
printf '\357\273\277{"people": ' > "$tmp/bom-broken.json"
expect "a broken file with a BOM is still refused by line and column" 1 "$h" check "$tmp/shop.play" --directory "$tmp/bom-broken.json"
has "naming the file" "bom-broken.json:1:"

# ---- --db "" is a usage error ----
for cmd in "tasks" "instances" "history i1" "deploy $tmp/shop.play" "directory show" "tick" "audit verify" \
           "outbox" "serve" "graph $tmp/shop.play" "connectors"; do
  expect "$cmd --db '' is a usage error (exit 2)" 2 sh -c "'$h' $cmd --db '' < /dev/null"
  has "naming --db" "--db needs a folder: it is empty"
done
expect "trigger --db '' too, before reading its data" 2 sh -c "echo '{}' | '$h' trigger shop.order --db ''"

# ---- away and back on run's timeline ----
cat > "$tmp/team.json" <<'JSON'
{"people": {"anna": {"email": "anna@example.com", "manager": "craig"}, "craig": {"email": "craig@example.com"},
            "mei": {"email": "mei@example.com"}}}
JSON
cat > "$tmp/seat.play" <<'PLAY'
playbook seat
on ops.change as change
state start {
  ask person("anna") "ok?"
    choices yes
    within 3d
  {
    yes -> done "yes"
    timeout -> done "late"
  }
}
PLAY
cat > "$tmp/away.jsonl" <<'JSONL'
{"at": "2026-06-15T08:00:00Z", "event": {"source": "ops", "type": "change", "id": "a"}}
{"at": "2026-06-15T09:00:00Z", "away": {"person": "anna", "from": "2026-06-15T10:00:00Z", "to": "2026-06-20", "delegate": "mei"}}
{"at": "2026-06-16T09:00:00Z", "away": {"person": "craig", "to": "2026-06-17T12:00:00Z"}}
{"at": "2026-06-16T10:00:00Z", "away": {"person": "mei"}}
{"at": "2026-06-17T09:00:00Z", "back": {"person": "anna"}}
{"at": "2026-06-17T10:00:00Z", "away": {"person": "nobody"}}
{"at": "2026-06-18T10:00:00Z", "end": true}
JSONL
expect "run with away and back lines" 0 "$h" run "$tmp/seat.play" --events "$tmp/away.jsonl" --directory "$tmp/team.json"
has "an away line shows its span and delegate" "anna is away (from 2026-06-15T10:00:00Z until the end of 2026-06-20), delegate mei"
has "an away line with only an end" "craig is away (until 2026-06-17T12:00:00Z)"
has "an away line with neither" "mei is away"
has "a back line" "anna is back"
hasnt "a refused away line shows no 'is away'" "nobody is away"
has "it shows REFUSED instead" "REFUSED  trace line 6"
awk '/anna is away \(from/ {a = NR} /timer: watch/ && !w {w = NR} END {exit !(a && w && a < w)}' "$tmp/out" \
  && ok "the away line comes before the watch timer it set" || no "the away line comes before the watch timer it set"

# The same changes given as directory.* events in the trace read the same way.
cat > "$tmp/away_events.jsonl" <<'JSONL'
{"at": "2026-06-15T08:00:00Z", "event": {"source": "ops", "type": "change", "id": "a"}}
{"at": "2026-06-15T09:00:00Z", "event": {"source": "directory", "type": "away", "id": "d1", "data": {"person": "anna", "from": "2026-06-15T10:00:00Z", "to": "2026-06-20", "delegate": "mei"}}}
{"at": "2026-06-17T09:00:00Z", "event": {"source": "directory", "type": "back", "id": "d2", "data": {"person": "anna"}}}
{"at": "2026-06-17T10:00:00Z", "event": {"source": "directory", "type": "away", "id": "d3", "data": {"person": "nobody"}}}
{"at": "2026-06-18T10:00:00Z", "end": true}
JSONL
expect "run with directory events" 0 "$h" run "$tmp/seat.play" --events "$tmp/away_events.jsonl" --directory "$tmp/team.json"
has "a directory.away event shows its span and delegate" "anna is away (from 2026-06-15T10:00:00Z until the end of 2026-06-20), delegate mei"
has "a directory.back event" "anna is back"
hasnt "a refused directory.away event shows no 'is away'" "nobody is away"

# ---- directory events are read strictly ----
ddb=$tmp/direvents
"$h" deploy "$tmp/seat.play" --db "$ddb" > /dev/null 2>&1
"$h" directory load "$tmp/team.json" --db "$ddb" > /dev/null 2>&1
expect "a misspelt field of directory.away is refused" 1 sh -c "echo '{\"person\": \"anna\", \"form\": \"2026-06-13\"}' | '$h' trigger directory.away --db '$ddb'"
has "naming it, with the field meant" 'a directory.away event has no field "form" (did you mean "from"?)'
expect "a field no such event has is refused" 1 sh -c "echo '{\"person\": \"anna\", \"to\": \"2026-06-20\"}' | '$h' trigger directory.back --db '$ddb'"
has "naming what it has" 'a directory.back event has no field "to" (it has "person")'
expect "a from that is no text is refused" 1 sh -c "echo '{\"person\": \"anna\", \"from\": 5}' | '$h' trigger directory.away --db '$ddb'"
has "saying so" "a directory.away event's \"from\" is a number: text is expected"
expect "none of them made an absence" 0 "$h" directory show anna --db "$ddb"
hasnt "anna has no absence" '"away"'
expect "a null to is open-ended, as left out" 0 sh -c "echo '{\"person\": \"anna\", \"to\": null}' | '$h' trigger directory.away --db '$ddb'"

# ---- a person nobody can tell ----
echo '{"people": {"pat": {"name": "Pat"}, "anna": {"email": "anna@example.com"}}}' > "$tmp/untold.json"
cat > "$tmp/untold.play" <<'PLAY'
playbook untold
on shop.order as order
state start {
  ask person("pat") "ok?"
    choices yes
    within 1h
  {
    yes -> done "yes"
    timeout -> done "late"
  }
}
PLAY
expect "check --directory warns of a person with no way to be told (exit 0)" 0 "$h" check "$tmp/untold.play" --directory "$tmp/untold.json"
has "naming them" "warning: pat has no way to be told: no email and no notify operation"
expect "directory load takes the file (exit 0)" 0 "$h" directory load "$tmp/untold.json" --db "$tmp/untolddb"
has "with a warning" "warning: $tmp/untold.json: people.pat has no way to be told"
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "shop", "type": "order", "id": "o1"}}' \
  '{"at": "2026-06-15T08:30:00Z", "answer": {"by": "pat", "choice": "yes"}}' > "$tmp/untold.jsonl"
expect "a run holds them a seat and takes their answer" 0 "$h" run "$tmp/untold.play" --events "$tmp/untold.jsonl" --directory "$tmp/untold.json" --json
has "the ask is answered" '"outcome":"yes"'

# ---- an on-call shift has a bound ----
printf '{"people": {"anna": {"email": "a@example.com"}}, "teams": {"sre": {"members": ["anna"], "oncall": {"rotation": ["anna"], "shift": "%s", "start": "2026-06-01T09:00:00Z"}}}}\n' 9223372036854775s > "$tmp/longshift.json"
expect "a shift longer than ten years is refused" 1 "$h" directory load "$tmp/longshift.json" --db "$tmp/shiftdb"
has "saying the bound" "teams.sre.oncall.shift: a shift is at most 3650d (ten years)"
printf '{"people": {"anna": {"email": "a@example.com"}}, "teams": {"sre": {"members": ["anna"], "oncall": {"rotation": ["anna"], "shift": "%s", "start": "2026-06-01T09:00:00Z"}}}}\n' 3650d > "$tmp/tenyears.json"
expect "ten years is taken" 0 "$h" directory load "$tmp/tenyears.json" --db "$tmp/shiftdb"
sed 's/"3650d"/"1s"/' "$tmp/tenyears.json" > "$tmp/onesecond.json"
expect "a shift shorter than a minute is refused" 1 "$h" directory load "$tmp/onesecond.json" --db "$tmp/shiftdb"
has "saying the bound" "teams.sre.oncall.shift: a shift is at least 1m"

# ---- a business count past ten years says so ----
echo '{"people": {"pat": {"email": "p@example.com"}}, "calendars": {"always": {"zone": "UTC", "hours": {"mon-sun": "00:00-24:00"}}}}' > "$tmp/always.json"
cat > "$tmp/long.play" <<'PLAY'
playbook long
calendar "always"
on shop.order as order
state start {
  wait { after 5000 business days -> done "later" }
}
PLAY
echo '{"at": "2026-06-15T08:00:00Z", "event": {"source": "shop", "type": "order", "id": "o1"}}' > "$tmp/long.jsonl"
expect "a wait of 5000 business days on a calendar open every hour" 0 "$h" run "$tmp/long.play" --events "$tmp/long.jsonl" --directory "$tmp/always.json"
has "stalls saying the count reaches past ten years" "calendar always cannot count 5000 business days within ten years, the furthest a business duration may reach"
hasnt "not that the calendar has no working time" "has no working time"

plan
