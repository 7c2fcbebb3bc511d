#!/bin/sh
# tests/e2e/wf_audit_findings.sh - findings of an audit of the user-facing side (the
# workflows, the docs, `huddle help`): each check here failed on the binary before its
# fix (a few are the sanity checks beside them). TAP lines.
#
# F1  card_fraud: a fraudwatch.cleared with no case open ends at once (done "no case"),
#     it no longer stalls on a null alert
# F3  card_fraud ships a directory that reaches every person it names by e-mail
# F5  refund_approval: a revision that no longer fits the first trigger (under the auto
#     limit, or no longer pending) still joins its case
# F6  security_incident: the ask's context says an adm- account is privileged, as the
#     playbook's own is_privileged does
# F8  a notify's substitute is "told in X's place", an ask's still "asked in X's place"
# F9  docs/runtime.md's store example runs as written
# F12 docs/language.md's diagnostics sample is what huddle check prints
# F14 help instances names cancelled; F15 help cancel, deploy, undeploy, directory and
#     answer say what their command takes
set -u
. "$TOP/tests/e2e/lib.sh"

# ---- F1: card_fraud and a stray cleared event ----
w=workflows/card_fraud
printf '%s\n' '{"at":"2026-11-21T10:00:00+01:00","event":{"source":"fraudwatch","type":"cleared","id":"fw-c1","data":{"card":"4111-XX-0099"}}}' \
  '{"at":"2026-11-21T11:00:00+01:00","end":true}' > "$tmp/cleared.jsonl"
expect "F1 run: a cleared event with no case open" 0 "$h" run $w/card_fraud.play --events "$tmp/cleared.jsonl" \
  --directory $w/directory.json --mocks $w/mocks.json
has "  ends at once" "i1   done     no case"
has "  saying why" "note: Card 4111-XX-0099 cleared with no case open"
hasnt "  and does not stall" "STALLED"
expect "F1 the shipped trace still freezes the card" 0 "$h" run $w/card_fraud.play --events $w/trace.jsonl \
  --directory $w/directory.json --mocks $w/mocks.json
has "  frozen" "i1    card_fraud               done      frozen               frozen"

# ---- F3: card_fraud's directory ----
if [ -f $w/directory.json ]; then ok "F3 card_fraud ships a directory.json"; else no "F3 card_fraud ships a directory.json" /dev/null; fi
expect "F3 check with its directory and connectors" 0 "$h" check $w/card_fraud.play --directory $w/directory.json \
  --connectors $w/connectors.json
if [ -s "$tmp/out" ]; then no "  no warning (every person found and reachable)"; else ok "  no warning (every person found and reachable)"; fi
python3 - $w/card_fraud.play $w/directory.json > "$tmp/out" 2>&1 <<'PY'
import json, re, sys
people = set(re.findall(r'person\("([^"]+)"\)', open(sys.argv[1]).read()))
d = json.load(open(sys.argv[2]))["people"]
missing = sorted(p for p in people if "@" not in d.get(p, {}).get("email", ""))
print("no e-mail address for", missing) if missing else None
sys.exit(1 if missing or not people else 0)
PY
if [ $? -eq 0 ]; then ok "  every person the playbook names has an e-mail address"; else no "  every person the playbook names has an e-mail address"; fi

# ---- F5: refund_approval's revisions ----
w=workflows/refund_approval
ra() { # ra NAME SED: the first four lines of the trace, changed by SED, and an end
  sed "$2" $w/trace.jsonl | head -4 > "$tmp/$1.jsonl"
  echo '{"at":"2026-09-18T00:00:00+02:00","end":true}' >> "$tmp/$1.jsonl"
}
ra small 's/"amount": 4650/"amount": 800/'
expect "F5 run: a revision under the auto limit" 0 "$h" run $w/refund_approval.play --events "$tmp/small.jsonl" \
  --directory $w/directory.json --mocks $w/mocks.json
has "  joins the case" "joined by salesforce.refund_requested sf-evt-9174"
hasnt "  (not: matched no trigger)" "sf-evt-9174 matched no trigger"
has "  the wait takes it" "note: The agent revised refund RF-55310: EUR 800"
has "  and the approvers are asked again" "asked t2:"
hasnt "  it is not rejected as unanswered" "No reply to the approvers' question"
ra withdrawn 's/"revision": 2, "status": "pending"/"revision": 2, "status": "withdrawn"/'
expect "F5 run: a revision no longer pending" 0 "$h" run $w/refund_approval.play --events "$tmp/withdrawn.jsonl" \
  --directory $w/directory.json --mocks $w/mocks.json
has "  joins the case and ends it" "i1   done     closed in the CRM"
printf '%s\n' '{"at": "2026-09-14T11:00:00+02:00", "event": {"source": "salesforce", "type": "refund_requested", "id": "sf-x1", "data": {"refund_id": "RF-1", "revision": 2, "status": "pending", "amount": 300, "currency": "EUR", "region": "EMEA", "account_id": "ACC-1"}}}' \
  '{"at": "2026-09-14T11:00:00+02:00", "event": {"source": "salesforce", "type": "refund_requested", "id": "sf-x2", "data": {"refund_id": "RF-2", "revision": 1, "status": "pending", "amount": 300, "currency": "EUR", "region": "EMEA", "account_id": "ACC-1"}}}' \
  '{"at":"2026-09-15T00:00:00+02:00","end":true}' > "$tmp/stray.jsonl"
expect "F5 run: a small revision with no case open" 0 "$h" run $w/refund_approval.play --events "$tmp/stray.jsonl" \
  --directory $w/directory.json --mocks $w/mocks.json
has "  ends at once" "i1   done     no case"
has "  a small first request still starts nothing" "sf-x2 matched no trigger"

# ---- F6: security_incident's context ----
w=workflows/security_incident
db=$tmp/sec
expect "F6 directory load" 0 "$h" directory load $w/directory.json --db "$db" --now 2026-05-20T21:00:00Z
expect "F6 deploy" 0 "$h" deploy $w/security_incident.play --db "$db" --now 2026-05-20T21:00:00Z
echo '{"user": "adm-jdoe", "bytes": 734003200, "region": "EU"}' > "$tmp/dlp.json"
expect "F6 an exfiltration by adm-jdoe" 0 "$h" trigger dlp.exfiltration --id dlp-77 --db "$db" \
  --now 2026-05-20T21:20:00Z < "$tmp/dlp.json"
expect "F6 tasks --json" 0 "$h" tasks --db "$db" --json
json "  the context: severity high, privileged true" \
  '[(t["show"]["severity"], t["show"]["privileged"]) for t in j] == [("high", True)]'

# ---- F8: a notify's substitute is told, not asked ----
w=workflows/service_outage
expect "F8 run: service_outage" 0 "$h" run $w/service_outage.play --events $w/trace.jsonl --directory $w/directory.json \
  --mocks $w/mocks.json --keep "$tmp/so"
has "  the notify's substitute is told in tomas's place" "02:52  i1     alex told in tomas's place (tomas is away until 2026-07-09 08:00)"
hasnt "  not asked" "02:52  i1     alex asked in"
has "  the ask's substitute is still asked" "seat 1: alex asked in tomas's place (tomas is away until 2026-07-09 08:00)"
expect "F8 history of the kept store" 0 "$h" history i1 --db "$tmp/so"
has "  says told too" "alex told in tomas's place (tomas is away until 2026-07-09 08:00"
has "  and asked for the ask" "seat 1: alex asked in tomas's place"

# ---- F9: docs/runtime.md's store example ----
mkdir "$tmp/ex"
ln -s "$TOP/workflows" "$tmp/ex/workflows"
sed -n '/^## A store: deploy/,/^```$/p' docs/runtime.md | sed '1,/^```sh/d;/^```$/d' > "$tmp/ex/example.sh"
expect "F9 the example runs as written" 0 sh -ec "cd '$tmp/ex' && huddle() { '$h' \"\$@\"; } && . ./example.sh"
has "  kofi finds t1 in his inbox" "t1  i1 (decide)"
has "  both answers move the instance on" "i1: waits in watch"
has "  instances shows it" "running   watch"

# ---- F12: docs/language.md's diagnostics sample ----
awk '/^## Diagnostics/ { on = 1 } on && /^```play-invalid$/ { inside = 1; next } inside && /^```$/ { exit } inside' \
  docs/language.md > "$tmp/refund.play"
awk '/^## Diagnostics/ { on = 1 } on && /^\$ huddle check refund.play$/ { inside = 1; next } inside && /^```$/ { exit } inside' \
  docs/language.md > "$tmp/want"
(cd "$tmp" && "$h" check refund.play) > "$tmp/got" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ -s "$tmp/want" ] && diff -u "$tmp/want" "$tmp/got" > "$tmp/out"; then
  ok "F12 the diagnostics sample is huddle check's output, exit 1"
else
  echo "# exit $rc" >> "$tmp/out"; no "F12 the diagnostics sample is huddle check's output, exit 1"
fi

# ---- F14, F15: help ----
expect "F14 help instances" 0 "$h" help instances
has "  the status list names cancelled" "status (running, done, failed, cancelled or"
expect "F15 help cancel" 0 "$h" help cancel
hasnt "  speaks of no TASK" "TASK"
has "  but of an INSTANCE" "INSTANCE is i1, i2, ..."
has "  and describes --reason" "  --reason TEXT"
for c in deploy undeploy directory; do
  expect "F15 help $c" 0 "$h" help $c
  hasnt "  says nothing of an answer or a tick" "an answer what came next"
done
expect "F15 help answer" 0 "$h" help answer
has "  describes --comment" "  --comment TEXT   the answer's comment"
has "  says what an answer prints" "Without --json it says what came next"
plan
