#!/bin/sh
# tests/e2e/ask_similar.sh - similar past decisions with every new ask (issue 14;
# LANGUAGE.md, "Context"): the `asked` mail a person receives (through a real SMTP
# server on 127.0.0.1, tests/peers/smtp_peer.py) lists the decided asks of the same
# playbook and state, most shared tags first, with what was chosen, by whom, the
# comment and how the instance ended, as `huddle tasks --json` shows them; the list is
# the one made when the ask's step committed, so a decision taken after the ask does
# not change the mail. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail smtp "$tmp/smtp"
sp=$peer_port
mails="$tmp/smtp/mail"
# mail_bodies: the body of every mail received (by arrival, CRLF as LF), a JSON list in $tmp/out.
mail_bodies() {
  "$PEER_PY" -c 'import json, os, sys
d = sys.argv[1]
fs = sorted((f for f in os.listdir(d) if f.endswith(".json")), key=lambda f: int(f.split(".")[0])) if os.path.isdir(d) else []
ms = [json.load(open(os.path.join(d, f))) for f in fs]
print(json.dumps([{"to": m["to"], "subject": [l for l in m["data"].split("\r\n") if l.startswith("Subject: ")][0][9:],
                   "body": m["data"].split("\r\n\r\n", 1)[1].replace("\r\n", "\n")} for m in ms]))' "$mails" > "$tmp/out"
}

printf '{"people": {"anna": {"name": "Anna", "email": "anna@example.com"}, "lars": {"name": "Lars", "email": "lars@example.com"}}}\n' > "$tmp/dir.json"
cat > "$tmp/connectors.json" <<JSON
{"req": {"kind": "webhook"}, "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$sp", "from": "huddle@example.com"}}
JSON
cp "$TOP/tests/e2e/outbox/approve.play" "$tmp/approve.play"   # tag r.kind, ask anna yes/no within 1h
cat > "$tmp/other.play" <<'PLAY'
playbook other

on req.other as r

state decide {
  tag r.kind
  ask person("anna") "Other {r.what}?" choices yes "Yes" within 1h {
    yes -> done "fine"
    timeout -> done "nobody"
  }
}
PLAY
# shellcheck disable=SC2086
expect "directory load" 0 "$h" directory load "$tmp/dir.json" --db "$db" $(now 08:59)
# shellcheck disable=SC2086
expect "deploy" 0 "$h" deploy "$tmp/approve.play" "$tmp/other.play" --db "$db" --connectors "$tmp/connectors.json" $(now 08:59)

trigger() { # trigger TYPE ID KIND WHAT HH:MM
  # shellcheck disable=SC2046
  echo "{\"kind\": \"$3\", \"what\": \"$4\"}" | "$h" trigger --db "$db" "req.$1" --id "$2" $(now "$5") > "$tmp/out" 2>&1
}
trigger spend e1 urgent "a laptop" 09:00 && ok "i1 asks" || no "i1 asks"
# shellcheck disable=SC2086
expect "anna approves t1 with a comment" 0 "$h" answer --db "$db" t1 yes --by anna --comment "needed for the launch" $(now 09:05)
trigger spend e2 routine "a sofa" 09:10 && ok "i2 asks" || no "i2 asks"
# shellcheck disable=SC2086
expect "anna refuses t2" 0 "$h" answer --db "$db" t2 no --by anna $(now 09:15)
trigger other e3 urgent "thing" 09:16 && ok "an ask of another playbook" || no "an ask of another playbook"
# shellcheck disable=SC2086
expect "anna says yes to it" 0 "$h" answer --db "$db" t3 yes --by anna $(now 09:17)
# shellcheck disable=SC2086
expect "the first asks and outcomes go out" 0 "$h" tick --db "$db" $(now 09:18)
mail_bodies
json "the first ask's mail has no similar decisions (none was taken)" '
j[0]["subject"] == "Approve a laptop?" and "Similar past decisions" not in j[0]["body"]'
count=$("$PEER_PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out")

trigger spend e4 urgent "a monitor" 09:20 && ok "i4 asks, tagged urgent" || no "i4 asks"
# shellcheck disable=SC2086
expect "anna refuses t4 before its mail goes out (the mail says what was known at the ask)" 0 "$h" answer --db "$db" t4 no --by anna --comment "later" $(now 09:21)
# shellcheck disable=SC2086
expect "tick delivers i4's ask" 0 "$h" tick --db "$db" $(now 09:22)
mail_bodies
"$PEER_PY" - "$tmp/out" "$count" > "$tmp/check" 2>&1 <<'PY'
import json, sys
mails = json.load(open(sys.argv[1]))[int(sys.argv[2]):]
ask = [m for m in mails if m["subject"] == "Approve a monitor?"]
assert len(ask) == 1, mails
want = """Approve a monitor?

Similar past decisions (same playbook and state, most shared tags first):
  t1 (i1): yes by anna at 2026-03-02T09:05:00Z - "needed for the launch"; ended: approved; 1 shared tag
  t2 (i2): no by anna at 2026-03-02T09:15:00Z; ended: refused

Choices:
  yes: Yes
  no: No

Answer by 2026-03-02T10:20:00Z.

To answer, run
  huddle answer t4 CHOICE --by anna
or POST /v1/tasks/t4/answer with {"choice": "CHOICE"}.

-- 
Huddle: playbook approve, instance i4, task t4
"""
if ask[0]["body"] != want:
    print(repr(ask[0]["body"]))
    print(repr(want))
    sys.exit(1)
PY
if [ $? -eq 0 ]; then ok "i4's ask mail lists t1 (a shared tag) before t2, with choice, by, comment and outcome, and nothing of t3 or t4"; else no "i4's ask mail lists the similar decisions" "$tmp/check"; fi

trigger spend e5 routine "a chair" 09:30 && ok "i5 asks, tagged routine" || no "i5 asks"
# shellcheck disable=SC2086
expect "huddle tasks --json" 0 "$h" tasks --db "$db" --json
json "shows t5 with the same playbook's decisions, the routine one first" '
[(d["task"], d["choice"], d["by"], d["comment"], d["outcome"], d["shared_tags"]) for d in j[0]["similar"]] ==
  [("t2", "no", "anna", None, "refused", 1), ("t4", "no", "anna", "later", "refused", 0), ("t1", "yes", "anna", "needed for the launch", "approved", 0)]'
# shellcheck disable=SC2086
expect "tick delivers i5's ask" 0 "$h" tick --db "$db" $(now 09:32)
mail_bodies
json "its mail lists the same three, in the same order" '
[l.split(":")[0].strip() for l in [m for m in j if m["subject"] == "Approve a chair?"][0]["body"].split("\n") if l.startswith("  t")] == ["t2 (i2)", "t4 (i4)", "t1 (i1)"]'
plan
