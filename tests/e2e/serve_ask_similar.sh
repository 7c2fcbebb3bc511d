#!/bin/sh
# tests/e2e/serve_ask_similar.sh - similar past decisions in the asked mail under serve
# (LANGUAGE.md, "Context"): serve commits each request in rounds of its own, and keeps
# what an ask learnt of the latest instances from one round to the next while nothing
# else wrote between (store_txn_follows). The list must be as complete as if each round
# read the record afresh: a decision taken over HTTP in the round before an ask, and one
# taken by `huddle answer` beside serve (another process's commit between two rounds),
# are both in the next ask's mail (a real SMTP server on 127.0.0.1,
# tests/peers/smtp_peer.py). Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/peers/peers.sh"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; :; }

db="$tmp/db"
peer_or_bail smtp "$tmp/smtp"
mails="$tmp/smtp/mail"
cat > "$tmp/connectors.json" <<JSON
{"req": {"kind": "webhook", "id": "/id", "type": "/type"},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:$peer_port", "from": "huddle@example.com"}}
JSON
printf '{"people": {"anna": {"name": "Anna", "email": "anna@example.com"}}}\n' > "$tmp/dir.json"
anna_hash=$(printf %s anna-token | sha256sum | cut -c1-64)
feeder_hash=$(printf %s feeder-token | sha256sum | cut -c1-64)
printf '{"anna": {"sha256": "%s", "person": "anna"}, "feeder": {"sha256": "%s", "on_behalf": true, "may": ["events"]}}\n' \
  "$anna_hash" "$feeder_hash" > "$tmp/tokens.json"
cp "$TOP/tests/e2e/outbox/approve.play" "$tmp/approve.play"   # tag r.kind, ask anna yes/no within 1h
expect "directory load" 0 "$h" directory load "$tmp/dir.json" --db "$db"
expect "deploy" 0 "$h" deploy "$tmp/approve.play" --db "$db" --connectors "$tmp/connectors.json"
serve_start "$db" --connectors "$tmp/connectors.json" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts"

spend() { # spend ID KIND WHAT
  call "event $1 ($3) is accepted" 200 POST /v1/events/req -H 'Content-Type: application/json' -H 'Authorization: Bearer feeder-token' \
    --data "{\"id\": \"$1\", \"type\": \"spend\", \"kind\": \"$2\", \"what\": \"$3\"}"
}
# similar_in SUBJECT: waits (10 s at most) for the mail with SUBJECT and prints its
# "Similar past decisions" lines' tasks, comma-separated ("" when it has none).
similar_in() {
  "$PY" - "$mails" "$1" <<'PY'
import json, os, sys, time
d, subject = sys.argv[1], sys.argv[2]
for _ in range(100):
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not f.endswith(".json"):
            continue
        m = json.load(open(os.path.join(d, f)))
        if "Subject: " + subject + "\r\n" in m["data"]:
            body = m["data"].split("\r\n\r\n", 1)[1].replace("\r\n", "\n")
            print(",".join(l.split()[0] for l in body.split("\n") if l.startswith("  t") and " (i" in l))
            sys.exit(0)
    time.sleep(0.1)
print("no mail")
PY
}

spend e1 urgent "a laptop"
call "anna approves t1 over HTTP" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer anna-token' --data '{"choice": "yes", "comment": "needed"}'
spend e2 routine "a sofa"
got=$(similar_in "Approve a sofa?")
[ "$got" = "t1" ] && ok "t2's mail lists t1, decided in the round before" || no "t2's mail lists t1 (got: $got)"

expect "anna refuses t2 with huddle answer, beside serve" 0 "$h" answer t2 no --by anna --db "$db"
spend e3 routine "a chair"
got=$(similar_in "Approve a chair?")
[ "$got" = "t2,t1" ] && ok "t3's mail lists t2 (another process's commit) first, then t1" || no "t3's mail lists t2, t1 (got: $got)"

spend e4 urgent "a desk"
got=$(similar_in "Approve a desk?")
[ "$got" = "t1,t2" ] && ok "t4's mail lists t1 (a shared tag) first, then t2" || no "t4's mail lists t1, t2 (got: $got)"
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve stops" || no "serve stops ($serve_rc)" "$tmp/serve.log"
serve_log_ok "serve's log is JSON lines"
plan
