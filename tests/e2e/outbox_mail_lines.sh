#!/bin/sh
# tests/e2e/outbox_mail_lines.sh - a mail whose body has a line longer than the 998 bytes
# a message's line may have (RFC 5322 2.1.1) is sent quoted-printable, so an SMTP server
# takes it: sent as 8bit, the SMTP peer (aiosmtpd, as many servers) answered "500 Line
# too long", and the send failed for good (send_failed). A mail of short lines stays
# 8bit, as it was. Through `huddle tick` to the SMTP peer. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

peer_or_bail smtp "$tmp/smtp"
db=$tmp/db
cat > "$tmp/connectors.json" <<JSON
{"mon": {"kind": "webhook"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$peer_port", "from": "huddle@example.com"}}
JSON
printf '{"people": {"anna": {"name": "Anna", "email": "anna@example.com"}}}\n' > "$tmp/dir.json"
cat > "$tmp/long.play" <<'PLAY'
playbook long

on mon.long as ev

state start {
  send mail.send({to: "ops@example.com", subject: "Long", text: "start {ev.long} end\n.a dot line\nshort = last  "})
  notify person("anna") "Report: {ev.long}"
  send mail.send({to: "ops@example.com", subject: "Short", text: "one line\nHyvä"})
  done "sent"
}
PLAY
"$h" directory load "$tmp/dir.json" --db "$db" > "$tmp/out" 2>&1 || no "directory load"
expect "deploy" 0 "$h" deploy "$tmp/long.play" --db "$db" --connectors "$tmp/connectors.json"
"$PEER_PY" -c 'import json; print(json.dumps({"long": "x" * 1200 + " Mäkinen=" + "y" * 100}))' > "$tmp/ev.json"
expect "an event with a 1,300-byte line" 0 sh -c "'$h' trigger mon.long --id l1 --db '$db' < '$tmp/ev.json'"
expect "tick delivers" 0 "$h" tick --db "$db"
has "all three mails, none failed" "outbox: 3 delivered, 0 to try again, 0 failed"
expect "history" 0 "$h" history i1 --db "$db" --json
hasnt "no send_failed" '"send_failed"'
"$PEER_PY" - "$tmp/smtp/mail" "$tmp/ev.json" > "$tmp/out" 2>&1 <<'PY'
import email, json, os, sys
d = sys.argv[1]
long = json.load(open(sys.argv[2]))["long"]
mails = [json.load(open(os.path.join(d, f)))["data"] for f in sorted(os.listdir(d), key=lambda f: int(f.split(".")[0]))]
out = {}
for data in mails:
    m = email.message_from_bytes(data.encode("utf-8", "surrogateescape"))
    out[m["Subject"][:6]] = {"cte": m["Content-Transfer-Encoding"],
                             "text": m.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n"),
                             "longest": max(len(l) for l in data.split("\r\n"))}
out["want"] = "start %s end\n.a dot line\nshort = last  \n" % long
out["long"] = long
print(json.dumps(out))
PY
json "the long send is quoted-printable" 'j["Long"]["cte"] == "quoted-printable"'
json "  its lines are 76 characters at most" 'j["Long"]["longest"] <= 76'
json "  and it decodes to the text sent, dot line and trailing spaces included" 'j["Long"]["text"] == j["want"]'
json "the notify's long line too" 'j["Report"]["cte"] == "quoted-printable" and j["long"] in j["Report"]["text"]'
json "a mail of short lines stays 8bit, as it was" 'j["Short"]["cte"] == "8bit" and j["Short"]["text"] == "one line\nHyvä\n"'
plan
