#!/bin/sh
# tests/e2e/time_zones.sh - zones and how times are shown (helper s6time, 2026-12-06):
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
plan
