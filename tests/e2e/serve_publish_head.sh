#!/bin/sh
# tests/e2e/serve_publish_head.sh - `huddle serve --publish-head CONNECTOR.OPERATION every
# DURATION` (issue 14; docs/audit.md, "Keeping the head elsewhere"): serve sends the
# store-wide audit head through an http connector to a real HTTP peer on 127.0.0.1
# (tests/peers/http_peer.py), through the outbox with the key STORE:head:COUNT. Checks
# that the head received is what `huddle audit head` says, that a restart publishes
# only when one is overdue (virtual time: --clock-offset), that a peer answering 500
# gets retries with the same key, that a 400 leaves the entry failed in the outbox (and
# in no history) for `huddle outbox retry`, and that bad options are refused with exit
# 2 and a message, changing nothing. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/peers/peers.sh"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; stop_peers; :; }
db=$tmp/store
HOUR=3600000

serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
peer_or_bail http "$tmp/http"
hp=$peer_port
reqs="$tmp/http/requests.jsonl"
"$PY" - "$tmp/connectors.json" "$hp" > "$tmp/publish.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["notary"] = {"kind": "http", "base_url": "http://127.0.0.1:%s" % sys.argv[2], "timeout_ms": 2000,
               "operations": {"record": {"method": "POST", "path": "/heads"}}}
c["mail"]["url"] = "smtp://127.0.0.1:9"
print(json.dumps(c))
PY

# heads: the requests to /heads, as a JSON list, in $tmp/out.
heads() {
  "$PY" -c 'import json, os, sys
rs = [json.loads(l) for l in open(sys.argv[1])] if os.path.exists(sys.argv[1]) else []
print(json.dumps([r for r in rs if r["path"] == "/heads"]))' "$reqs" > "$tmp/out"
}
# wait_heads N: until the peer has N requests to /heads (10 s at most).
wait_heads() {
  i=0
  while [ $i -lt 100 ]; do
    heads
    [ "$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out")" -ge "$1" ] && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
# same_head DESC: the body of the last request to /heads is what `huddle audit head --json` says now.
same_head() {
  heads; cp "$tmp/out" "$tmp/heads.json"
  "$h" audit head --db "$db" --json > "$tmp/head.json" 2>&1
  if "$PY" -c 'import json, sys
last = json.loads(json.load(open(sys.argv[1]))[-1]["body"])
cli = json.load(open(sys.argv[2]))
sys.exit(0 if (last["head"], last["count"]) == (cli["head"], cli["count"]) else 1)' "$tmp/heads.json" "$tmp/head.json"; then
    ok "$1"
  else
    cat "$tmp/heads.json" "$tmp/head.json" > "$tmp/out"; no "$1"
  fi
}
publish() { echo "--connectors $tmp/publish.json --publish-head notary.record every 1h"; }

# ---- refusals: exit 2, a message, nothing changed ----
refuse() { # refuse DESC TEXT ARGS...: serve exits 2 saying TEXT
  desc=$1 text=$2; shift 2
  expect "$desc" 2 "$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json" --connectors "$tmp/publish.json" "$@"
  has "saying so" "$text"
}
refuse "every 30s is too often" "at most once a minute" --publish-head notary.record every 30s
refuse "every soon is no duration" "'soon' is not a duration" --publish-head notary.record every soon
refuse "an unknown connector" "no connector 'nobody'" --publish-head nobody.record every 1h
refuse "an unknown operation" "the connector 'notary' has no operation 'erase'" --publish-head notary.erase every 1h
refuse "a connector that is not http" "'mail' is not an http connector" --publish-head mail.send every 1h
refuse "no CONNECTOR.OPERATION" "'notary' is not CONNECTOR.OPERATION" --publish-head notary every 1h
refuse "every missing" "--publish-head needs CONNECTOR.OPERATION every DURATION" --publish-head notary.record 1h
expect "the refusals kept no connector" 0 "$h" outbox --db "$db"
expect "and published nothing" 0 "$h" audit head --db "$db" --json
heads; json "the peer heard nothing" 'j == []'
"$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json" --publish-head notary.record every 1h > "$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q "no connector 'notary'" "$tmp/out" && ok "the refused --connectors file was not kept" || no "the refused --connectors file was not kept"

# ---- the first publication, at start ----
# shellcheck disable=SC2046
serve_start "$db" $(publish) || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts with --publish-head"
wait_heads 1 && ok "the peer receives a head at once (none was published yet)" || no "the peer receives a head"
serve_stop
[ "$serve_rc" = 0 ] && ok "serve stops with 0" || no "serve stops with 0" "$tmp/serve.log"
same_head "the head received is huddle audit head's"
heads
json "one POST to /heads, its key STORE:head:COUNT, its body the store, head, count and time" '
len(j) == 1 and j[0]["method"] == "POST" and (lambda b: j[0]["headers"]["idempotency-key"] == "%s:head:%d" % (b["store"], b["count"])
  and sorted(b) == ["at", "count", "head", "store"] and b["at"].endswith("Z") and len(b["head"]) == 64)(json.loads(j[0]["body"]))'
key1=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["headers"]["idempotency-key"])' "$tmp/out")
expect "the outbox is empty again" 0 "$h" outbox --db "$db"
has "once it is delivered" "the outbox is empty"

# ---- a restart before it is due publishes nothing; records made meanwhile ----
serve_start "$db" $(publish) --clock-offset $((HOUR / 2)) || { no "serve starts again" "$tmp/serve.log"; plan; exit 0; }
body='{"id": "ev-p1", "type": "refund", "order": "P-1", "amount": 4, "customer": {"name": "Pia"}}'
call "a refund comes in half an hour later" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
sleep 1
heads
json "the restart 30 min later does not publish again" 'len(j) == 1'
serve_stop

# ---- overdue at start: published at once; a 500 gets retries with the same key ----
printf '{"/heads": [{"status": 200}, {"status": 500, "body": "down"}, {"status": 500, "body": "down"}, {"status": 200}]}\n' > "$tmp/http/script.json"
serve_start "$db" $(publish) --clock-offset $((HOUR + 60000)) || { no "serve starts a third time" "$tmp/serve.log"; plan; exit 0; }
wait_heads 2 && ok "61 min after the first, a restart publishes at once" || no "a restart publishes when overdue"
"$h" outbox --db "$db" > "$tmp/out" 2>&1
has "while it is retried, huddle outbox shows the head entry" " head notary.record"
wait_heads 4 && ok "the peer answering 500 twice gets a third try" || no "the 500s are retried"
serve_stop
same_head "the head retried is huddle audit head's, with the refund's records"
heads
json "every retry carries the same key and body, a new key from the first" '
[r["headers"]["idempotency-key"] for r in j[1:]] == [j[1]["headers"]["idempotency-key"]] * 3 and len(set(r["body"] for r in j[1:])) == 1
  and json.loads(j[1]["body"])["count"] > json.loads(j[0]["body"])["count"] and j[1]["headers"]["idempotency-key"] != "'"$key1"'"'

# ---- a 400 fails for good: kept failed in the outbox, in no history ----
printf '{"/heads": [{"status": 200}, {"status": 500}, {"status": 500}, {"status": 200}, {"status": 400, "body": "no"}, {"status": 200}]}\n' > "$tmp/http/script.json"
serve_start "$db" $(publish) --clock-offset $((2 * HOUR + 120000)) || { no "serve starts a fourth time" "$tmp/serve.log"; plan; exit 0; }
wait_heads 5 && ok "two hours on, the head is published again" || no "the head is published again"
sleep 0.5
serve_stop
serve_log_ok "every log line is JSON"
expect "huddle outbox --failed --json" 0 "$h" outbox --db "$db" --failed --json
json "holds the head entry, failed with HTTP 400, of no instance" '
len(j) == 1 and j[0]["kind"] == "head" and j[0]["status"] == "failed" and j[0]["instance"] == "" and j[0]["error"] == "HTTP 400"
  and j[0]["connector"] == "notary" and j[0]["operation"] == "record" and ":head:" in j[0]["key"]'
key3=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["key"])' "$tmp/out")
expect "i1's history" 0 "$h" history --db "$db" i1 --json
hasnt "holds no send_failed" "send_failed"
expect "huddle outbox retry KEY makes it pending" 0 "$h" outbox retry "$key3" --db "$db"
serve_start "$db" $(publish) --clock-offset $((2 * HOUR + 180000)) || { no "serve starts a fifth time" "$tmp/serve.log"; plan; exit 0; }
wait_heads 6 && ok "serve sends it again" || no "serve sends the retried head"
serve_stop
heads
json "with the same key" 'j[-1]["headers"]["idempotency-key"] == "'"$key3"'"'
expect "the outbox at the end" 0 "$h" outbox --db "$db" --json
json "holds no head entry (only the mails nobody could take)" '[e["kind"] for e in j if e["kind"] != "message"] == []' 
plan
