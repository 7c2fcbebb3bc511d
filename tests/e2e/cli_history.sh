#!/bin/sh
# tests/e2e/cli_history.sh - `huddle history` reads like a timeline (issue 9): one line a
# record, at local time in the playbook calendar's zone with the offset shown (UTC,
# +00:00, without a calendar), who did what; --json keeps the records, their times RFC
# 3339 with Z or an offset. On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 23
for cal in alpha beta; do
  { echo "playbook $cal"; echo; [ "$cal" = alpha ] && echo 'calendar "office"' && echo
    cat <<'PLAY'
on shop.refund as refund

state decide {
  ask person("anna"), person("ming") "Is the {refund.order} refund due?"
      choices yes, stop
      within 2h
  {
    yes     -> done "refunded"
    stop    -> done "kept"
    timeout -> done "late"
  }
}
PLAY
  } > "$tmp/$cal.play"
done
printf '{"people": {"anna": {"email": "a@x"}, "ming": {"email": "m@x"}}, "calendars": {"office": {"zone": "Europe/Helsinki", "hours": {"mon-fri": "09:00-17:00"}}}}\n' > "$tmp/people.json"
db=$tmp/store
"$h" directory load "$tmp/people.json" --db "$db" --now 2026-06-15T05:00:00Z > /dev/null
"$h" deploy "$tmp/alpha.play" "$tmp/beta.play" --db "$db" --now 2026-06-15T05:00:00Z > /dev/null
echo '{"order": "A1"}' > "$tmp/a1.json"
expect "an event for each" 0 sh -c "'$h' trigger shop.refund --id e1 --db '$db' --now 2026-06-15T06:10:00Z < '$tmp/a1.json'"
expect "ming answers" 0 "$h" answer t1 yes --by ming --comment "in policy" --db "$db" --now 2026-06-15T06:20:00Z
expect "history" 0 "$h" history i1 --db "$db"
has "the ask, at Helsinki time with its offset, to whom, its question" "2026-06-15 09:10 +03:00  asked anna, ming (t1): Is the A1 refund due?"
has "who answered what" "2026-06-15 09:20 +03:00  ming answered t1: yes (\"in policy\")"
has "how it ended" "2026-06-15 09:20 +03:00  done: refunded"
if [ "$(wc -l < "$tmp/out")" -eq "$("$h" history i1 --db "$db" --json | wc -l)" ]; then ok "one line a record"; else no "one line a record"; fi
expect "history of the playbook with no calendar" 0 "$h" history i2 --db "$db"
has "is in UTC, +00:00 shown" "2026-06-15 06:10 +00:00  asked anna, ming (t2): Is the A1 refund due?"
expect "history --json" 0 "$h" history i1 --db "$db" --json
if python3 - "$tmp/out" <<'PY'
import json, re, sys
records = [json.loads(l) for l in open(sys.argv[1])]
time = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
assert records and all(time.match(r["at"]) for r in records)
assert all(time.match(r["due"]) for r in records if "due" in r)
assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
PY
then ok "keeps every record, times RFC 3339 with Z or an offset"; else no "keeps every record, times RFC 3339"; fi
expect "an instance that is not there" 1 "$h" history i9 --db "$db"
has "says so" "no instance 'i9'"

# The records about an ask's people and a case, in words too (they were printed as
# their JSON): an id nobody has, an event joining the case, reminders, a level with
# nobody to add.
cat > "$tmp/gamma.play" <<'PLAY'
playbook gamma

on shop.alert as a
  case "{a.key}" for 1d

state decide {
  ask person("anna"), person("ghost") "Look at {a.key}?"
      choices ok
      within 4h
      escalate to manager after 1h
      remind every 30m
  {
    ok      -> done "fine"
    timeout -> done "late"
  }
}
PLAY
db=$tmp/gamma
"$h" directory load "$tmp/people.json" --db "$db" --now 2026-06-15T05:00:00Z > /dev/null
"$h" deploy "$tmp/gamma.play" --db "$db" --now 2026-06-15T05:00:00Z > /dev/null 2>&1
echo '{"key": "k1"}' > "$tmp/k1.json"
"$h" trigger shop.alert --id e1 --db "$db" --now 2026-06-15T06:00:00Z < "$tmp/k1.json" > /dev/null
"$h" trigger shop.alert --id e2 --db "$db" --now 2026-06-15T06:05:00Z < "$tmp/k1.json" > /dev/null
"$h" tick --db "$db" --now 2026-06-15T07:10:00Z > /dev/null
expect "history of an ask with a missing person, reminders and a level" 0 "$h" history i1 --db "$db"
has "an id nobody has" "2026-06-15 06:00 +00:00  could not resolve person \"ghost\" (no such person)"
has "an event joining the case" "2026-06-15 06:05 +00:00  joined by shop.alert e2"
has "a reminder" "2026-06-15 06:30 +00:00  t1: reminded anna"
has "a manager there is not" "2026-06-15 07:00 +00:00  could not resolve manager \"anna\" (no manager)"
has "a level with nobody to add" "2026-06-15 07:00 +00:00  t1 level 1 skipped: nobody to add to an open seat"
if grep -q '{' "$tmp/out"; then no "no record is left as JSON"; else ok "no record is left as JSON"; fi

# An owner or role nobody holds names its key or scope too: "owner "product"" alone
# does not say which product had nobody (the record's `key` / `scope`).
cat > "$tmp/delta.play" <<'PLAY'
playbook delta
on shop.alert as a
state decide {
  ask owner("product", a.product), role("director", a.market) "Look?" choices ok within 1h
  { ok -> done "fine" timeout -> done "late" }
}
PLAY
printf '{"people": {"anna": {"email": "a@x"}}, "owners": {"product": {"N9": "anna"}}, "roles": {"director": {"EU": "anna"}}}\n' > "$tmp/owners.json"
printf '{"at": "2026-06-15T06:00:00Z", "event": {"source": "shop", "type": "alert", "id": "e1", "data": {"product": "Lumia", "market": "US"}}}\n' > "$tmp/delta.jsonl"
expect "a run with an owner and a role nobody holds" 0 "$h" run "$tmp/delta.play" --events "$tmp/delta.jsonl" --directory "$tmp/owners.json"
has "the owner names its key" "could not resolve owner \"product\" for \"Lumia\" (nobody holds it)"
has "the role names its scope" "could not resolve role \"director\" for \"US\" (nobody holds it)"
