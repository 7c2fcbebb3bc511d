#!/bin/sh
# tests/e2e/outbox_message_text.sh - what a person reads in the runtime's messages about
# an ask (docs/connectors.md, "What a delivery looks like"): the deadline in the zone of
# the playbook's calendar, with its offset and the zone's name (UTC without a calendar),
# and a choice declared `with comment` marked, with the comment in the lines that say
# how to answer; and `huddle tasks` at a terminal, its due times local the same way.
# Mail through the SMTP peer, a chat message through the HTTP peer, on a real store with
# --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

peer_or_bail http "$tmp/http"
hp=$peer_port
peer_or_bail smtp "$tmp/smtp"
sp=$peer_port
bodies() { # the bodies of every mail so far, then every chat message's text, in $tmp/out
  "$PEER_PY" - "$tmp/smtp/mail" "$tmp/http/requests.jsonl" > "$tmp/out" <<'PY'
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d), key=lambda f: int(f.split(".")[0])) if os.path.isdir(d) else []:
    print(json.load(open(os.path.join(d, f)))["data"].split("\r\n\r\n", 1)[1].replace("\r\n", "\n"))
if os.path.exists(sys.argv[2]):
    for line in open(sys.argv[2]):
        body = json.loads(json.loads(line)["body"])
        print(body["text"])
        print("deadline_local:", body["message"].get("deadline_local"))
PY
}

cat > "$tmp/dir.json" <<'JSON'
{"people": {"anna": {"name": "Anna Virtanen", "email": "anna@example.com"},
            "lars": {"name": "Lars Berg", "email": "lars@example.com", "notify": "chatter.dm"}},
 "calendars": {"fi-office": {"zone": "Europe/Helsinki",
                             "hours": {"mon-fri": "09:00-17:00"}}}}
JSON
cat > "$tmp/connectors.json" <<JSON
{"mon":     {"kind": "webhook"},
 "chatter": {"kind": "http", "base_url": "http://127.0.0.1:$hp",
             "operations": {"dm": {"method": "POST", "path": "/messages"}}},
 "mail":    {"kind": "smtp", "url": "smtp://127.0.0.1:$sp", "from": "huddle@example.com"}}
JSON
cat > "$tmp/local.play" <<'PLAY'
playbook local

calendar "fi-office"

on mon.alert as a

state decide {
  ask 2 of person("anna"), person("lars") "Is N9 broken?"
      choices yes "Yes", no "No" with comment
      within 2h
  { yes -> done "yes"  no -> done "no"  no_quorum -> done "split"  timeout -> done "late" }
}
PLAY
cat > "$tmp/utc.play" <<'PLAY'
playbook utc

on mon.other as a

state decide {
  ask person("anna") "Is N8 broken?" choices yes "Yes", no "No" within 2h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
db=$tmp/db
"$h" directory load "$tmp/dir.json" --db "$db" $(now 08:00) > /dev/null
expect "both playbooks deploy" 0 "$h" deploy "$tmp/local.play" "$tmp/utc.play" --db "$db" --connectors "$tmp/connectors.json" $(now 08:00)
echo '{}' | "$h" trigger mon.alert --id e1 --db "$db" $(now 09:00) > /dev/null
expect "tick delivers the ask" 0 "$h" tick --db "$db" $(now 09:01)
bodies
# 2026-03-02 09:00Z + 2h = 11:00Z, 13:00 in Helsinki (UTC+2 in March)
has "the mail gives the deadline in the calendar's zone" "Answer by 2026-03-02 13:00 +02:00 (Europe/Helsinki)."
hasnt "  and not in UTC" "Answer by 2026-03-02T11:00:00Z."
has "a choice with comment is marked" "  no: No (with a comment)"
has "the CLI line shows the comment" "huddle answer t1 CHOICE --by anna --comment TEXT"
has "the HTTP line too" 'or POST /v1/tasks/t1/answer with {"choice": "CHOICE", "comment": "TEXT"}.'
has "the chat message carries the same text" "huddle answer t1 CHOICE --by lars --comment TEXT"
has "and deadline_local beside deadline" "deadline_local: 2026-03-02 13:00 +02:00 (Europe/Helsinki)"

expect "huddle history" 0 "$h" history i1 --db "$db"
has "  says what each delivery was about" "delivered the ask to anna (email) after 1 attempt"
has "  through each person's channel" "delivered the ask to lars (chatter.dm) after 1 attempt"

# huddle tasks, a person's inbox at a terminal, says the deadline the same way (as
# huddle history does) and lists each seat's holders as names, not JSON.
expect "huddle tasks --for anna" 0 "$h" tasks --db "$db" --for anna
has "  gives the due time in the calendar's zone" "t1  i1 (decide)  due 2026-03-02 13:00 +02:00"
has "  and the seats by name" "  seats: anna; lars"
expect "lars answers" 0 "$h" answer t1 yes --by lars --db "$db" $(now 09:05)
expect "huddle tasks" 0 "$h" tasks --db "$db"
has "  marks his seat answered" "  seats: anna; lars (answered)"
expect "anna answers too, with a comment" 0 "$h" answer t1 yes --by anna --comment "Lab confirms it" --db "$db" $(now 09:06)
rm -rf "$tmp/smtp/mail"/*
expect "tick delivers the decision" 0 "$h" tick --db "$db" $(now 09:07)
bodies
has "the decision's mail says who completed it, with the comment" 'Decided: yes, by anna ("Lab confirms it")'

rm -rf "$tmp/smtp/mail"/* "$tmp/http/requests.jsonl"
echo '{}' | "$h" trigger mon.other --id e2 --db "$db" $(now 09:10) > /dev/null
expect "tick delivers the other ask" 0 "$h" tick --db "$db" $(now 09:11)
bodies
has "without a calendar the deadline stays in UTC" "Answer by 2026-03-02T11:10:00Z."
hasnt "with no choice marked" "(with a comment)"
hasnt "  and no comment in the lines" "--comment TEXT"
has "  the plain answer line" 'or POST /v1/tasks/t2/answer with {"choice": "CHOICE"}.'
expect "huddle tasks --for anna" 0 "$h" tasks --db "$db" --for anna
has "  gives a playbook without a calendar its due time in UTC" "t2  i2 (decide)  due 2026-03-02 11:10 +00:00"
# An offset that is not whole minutes (Africa/Monrovia was -00:44:30 until 1972) is
# shown with its seconds, and so is the local clock: the deadline 14:00Z was 13:15:30
# there, not 13:16 at "-00:44" (a local clock 30 s off, the offset cut).
sed 's|"Europe/Helsinki"|"Africa/Monrovia"|' "$tmp/dir.json" > "$tmp/monrovia.json"
rm -rf "$tmp/smtp/mail"/* "$tmp/http/requests.jsonl"
mdb=$tmp/monrovia
"$h" directory load "$tmp/monrovia.json" --db "$mdb" --now 1971-06-01T11:00:00Z > /dev/null
"$h" deploy "$tmp/local.play" --db "$mdb" --connectors "$tmp/connectors.json" --now 1971-06-01T11:00:00Z > /dev/null
echo '{}' | "$h" trigger mon.alert --id e1 --db "$mdb" --now 1971-06-01T12:00:00Z > /dev/null
expect "tick delivers an ask in Monrovia, 1971" 0 "$h" tick --db "$mdb" --now 1971-06-01T12:01:00Z
bodies
has "  the deadline keeps the offset's seconds" "Answer by 1971-06-01 13:15:30 -00:44:30 (Africa/Monrovia)."
has "  in deadline_local too" "deadline_local: 1971-06-01 13:15:30 -00:44:30 (Africa/Monrovia)"
expect "huddle tasks" 0 "$h" tasks --db "$mdb"
has "  says it as history does, with the offset's seconds" "due 1971-06-01 13:15 -00:44:30"
expect "huddle history" 0 "$h" history i1 --db "$mdb"
has "  each line at the local clock, -00:44:30" "1971-06-01 11:15 -00:44:30  asked anna, lars (t1): Is N9 broken?"
plan
