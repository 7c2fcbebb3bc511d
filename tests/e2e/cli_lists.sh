#!/bin/sh
# tests/e2e/cli_lists.sh - the reading commands tell the truth (issue 9): `tasks --for P`
# lists only the asks P can still answer (LANGUAGE.md "Answers": not one P already
# answered; an acknowledged ask stays); `instances` filters by --tag, --case and the time
# it started (--since, --until); `huddle playbooks` lists what is deployed, its versions
# (current, and older ones still running), instances by status, and the undeployed flag.
# On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 31
db=$tmp/store

play() { cat > "$tmp/vote.play" <<PLAY
playbook vote

on shop.refund as refund
  case refund.order

state decide {
  tag refund.kind
  ask 2 of person("pat"), person("sam"), person("boss") "$1 {refund.order}?"
      choices yes, stop
      within 4h
  {
    yes     -> done "refunded"
    stop    -> done "kept"
    no_quorum -> done "split"
    timeout -> done "late"
  }
}
PLAY
}
printf '{"people": {"pat": {"email": "pat@x"}, "sam": {"email": "sam@x"}, "boss": {"email": "boss@x"}}}\n' > "$tmp/people.json"
play "Refund"
expect "deploy version 1" 0 "$h" deploy "$tmp/vote.play" --db "$db" $(now 08:00) --json
v1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$tmp/out")
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
trigger() { echo "{\"order\": \"$2\", \"kind\": \"$3\"}" | "$h" trigger shop.refund --id "$2" --db "$db" $(now "$1") > /dev/null; }
trigger 09:00 A1 gold
trigger 10:00 B2 plain
expect "pat answers t1" 0 "$h" answer t1 yes --by pat --db "$db" $(now 10:05)
expect "sam acknowledges t1" 0 "$h" ack t1 --by sam --db "$db" $(now 10:06)
expect "tasks --for pat" 0 "$h" tasks --for pat --db "$db" --json
json "lists only what pat can still answer: t2, not t1 which pat answered" '[t["id"] for t in j] == ["t2"]'
expect "tasks --for sam" 0 "$h" tasks --for sam --db "$db" --json
json "lists t1 (acknowledged, not answered) and t2" '[t["id"] for t in j] == ["t1", "t2"]'
expect "tasks, everyone's" 0 "$h" tasks --db "$db" --json
json "still lists both open asks" '[t["id"] for t in j] == ["t1", "t2"]'

play "Really refund"
expect "deploy version 2" 0 "$h" deploy "$tmp/vote.play" --db "$db" $(now 11:00) --json
v2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$tmp/out")
trigger 12:00 C3 gold
expect "instances --tag gold" 0 "$h" instances --tag gold --db "$db" --json
json "lists the two gold cases" '[i["id"] for i in j] == ["i1", "i3"]'
expect "instances --case B2" 0 "$h" instances --case B2 --db "$db" --json
json "lists the case B2" '[i["id"] for i in j] == ["i2"] and j[0]["case"] == "B2"'
expect "instances --since 10:00" 0 "$h" instances --since 2026-03-02T10:00:00Z --db "$db" --json
json "lists those that started at or after it" '[i["id"] for i in j] == ["i2", "i3"]'
expect "instances --since and --until" 0 "$h" instances --since 2026-03-02T09:30:00Z --until 2026-03-02T12:00:00Z --db "$db" --json
json "lists those that started in between, the end left out" '[i["id"] for i in j] == ["i2"]'
expect "instances --tag gold --status running, human" 0 "$h" instances --tag gold --status running --db "$db"
has "shows a gold case" "i3"
expect "an --until that is no time is a usage error" 2 "$h" instances --until yesterday --db "$db"

expect "sam and boss decide t2" 0 sh -c "'$h' answer t2 yes --by sam --db '$db' $(now 12:10) && '$h' answer t2 yes --by boss --db '$db' $(now 12:11)"
expect "playbooks --json" 0 "$h" playbooks --db "$db" --json
json "lists vote once, not undeployed" '[p["name"] for p in j] == ["vote"] and j[0]["undeployed"] is False'
json "its current version first, with its one running instance" "j[0]['versions'][0] == {'version': '$v2', 'current': True, 'deployed': '2026-03-02T11:00:00Z', 'instances': {'running': 1}}"
json "and the older version still running i1, with i2 done" "j[0]['versions'][1] == {'version': '$v1', 'current': False, 'deployed': '2026-03-02T08:00:00Z', 'instances': {'running': 1, 'done': 1}}"
expect "undeploy" 0 "$h" undeploy vote --db "$db" $(now 13:00)
expect "playbooks, human" 0 "$h" playbooks --db "$db"
has "says it is undeployed" "vote (undeployed: no new instances)"
has "shows the current version and its count" "current  deployed 2026-03-02T11:00:00Z 1 running"
expect "playbooks takes no --status" 2 "$h" playbooks --status running --db "$db"
