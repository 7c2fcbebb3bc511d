#!/bin/sh
# tests/e2e/inbound_audit.sh - findings of an audit of the inbound side (RUNTIME.md,
# "Connectors": webhooks, JSON pointers, signatures, event times), each a test that
# failed before its fix:
#
# F1. serve took an event time of exactly 1970-01-01T00:00:00Z (0 ms) for "no time" and
#     put its engine time in its place, answering 200: now kept, as trigger --time keeps it.
# F2. The webhook's time was read by a stricter parser than every other door's: more
#     than 9 fraction digits, or a space for the T, were 422 at the webhook and accepted
#     by trigger, --file, run and serve's other route. Now one parser reads them all
#     (civil_parse_time), and a refusal says why ("... is not a date: February 2026 has
#     28 days"); an out-of-range time quotes the time, not the pointer.
# F4. check and deploy took pointers no event can match: a '~' not starting ~0 or ~1,
#     a key over 256 bytes. Now refused, naming the field.
# F5. A signature followed by blanks was 401 (a field value's trailing whitespace is not
#     part of it, RFC 9110 5.5): now accepted; a header that is not sha256= and 64 hex
#     digits says so instead of "does not match the body".
# F3. A field typed `time` reaches the playbook as RFC 3339 text, but the checker typed
#     it as any data: `when r.due < now()` passed check and every such event then "did not
#     match" ("can't order a string and a time"). Now a time field is a string to the
#     checker, and the comparison is an error where it is written.
# F6. A type over 256 bytes was "more than the 256 an id may have"; a "" pointer was
#     named as a blank. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/db
export HOOK_SECRET=s3cret
cat > "$tmp/conn.json" <<'JSON'
{"hook": {"kind": "webhook", "secret_env": "HOOK_SECRET", "time": "/at"},
 "root": {"kind": "webhook", "secret_env": "HOOK_SECRET", "id": ""}}
JSON
printf 'playbook p\n\non hook.tm as r\n\nstate s {\n  done "at {meta(r).time}"\n}\n' > "$tmp/p.play"

# ---- F4: pointers no event can match ----
printf '{"hook": {"kind": "webhook", "id": "/ev~id"}}\n' > "$tmp/tilde.json"
expect "check refuses a '~' that is not ~0 or ~1" 1 "$h" check "$tmp/p.play" --connectors "$tmp/tilde.json"
has "  naming the field and RFC 6901" "connectors.hook.id: has a '~' that is not ~0 or ~1"
k=$(printf 'k%.0s' $(seq 300))
printf '{"hook": {"kind": "webhook", "type": "/%s"}}\n' "$k" > "$tmp/long.json"
expect "deploy refuses a pointer with a key over 256 bytes" 1 "$h" deploy "$tmp/p.play" --connectors "$tmp/long.json" --db "$tmp/other"
has "  saying so" "connectors.hook.type: has a key longer than 256 bytes"
printf '{"hook": {"kind": "webhook", "id": "/a~1b/~0c"}}\n' > "$tmp/fine.json"
expect "~0 and ~1 are taken" 0 "$h" check "$tmp/p.play" --connectors "$tmp/fine.json"

serve_tokens
# ---- F3: a time field is text to the checker ----
printf '{"shop": {"kind": "webhook", "events": {"refund": {"due": "time"}}}}\n' > "$tmp/typed.json"
printf 'playbook t\n\non shop.refund as r\n  when r.due < now()\n\nstate s {\n  done "overdue"\n}\n' > "$tmp/t.play"
expect "check refuses ordering a time field (text) against now()" 1 "$h" check "$tmp/t.play" --connectors "$tmp/typed.json"
has "  where it is written" "t.play:4:8: error: can't order a string and a time"
printf 'playbook t\n\non shop.refund as r\n\nstate s {\n  done "due {r.due}"\n}\n' > "$tmp/t2.play"
expect "  and takes it as text" 0 "$h" check "$tmp/t2.play" --connectors "$tmp/typed.json"
expect "deploy" 0 "$h" deploy "$tmp/p.play" --connectors "$tmp/conn.json" --db "$db" --now 2026-06-15T08:00:00Z
if serve_start "$db"; then ok "serve starts"; else no "serve starts" "$tmp/serve.log"; plan; exit 0; fi
hook() { # hook BODY [SIGNATURE]: a signed POST /v1/events/hook, reply in $tmp/out
  sig=${2:-$(printf %s "$1" | openssl dgst -sha256 -hmac "$HOOK_SECRET" | sed 's/.* //')}
  status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST "$base/v1/events/${3:-hook}" \
    -H 'Content-Type: application/json' -H "X-Huddle-Signature: sha256=$sig" --data-binary "$1")
}
# ---- F1 ----
hook '{"id": "e1", "type": "tm", "at": "1970-01-01T00:00:00Z"}'
[ "$status" = 200 ] && ok "an event at 1970-01-01T00:00:00Z is taken" || no "an event at 1970-01-01T00:00:00Z is taken"
# ---- F2 ----
hook '{"id": "e2", "type": "tm", "at": "2026-06-15T08:00:00.1234567891Z"}'
[ "$status" = 200 ] && ok "ten fraction digits are taken, as trigger --time takes them" || no "ten fraction digits are taken"
hook '{"id": "e3", "type": "tm", "at": "2026-06-15 08:00:00Z"}'
[ "$status" = 200 ] && ok "a space for the T is taken, as at every other door" || no "a space for the T is taken"
hook '{"id": "e4", "type": "tm", "at": "2026-02-30T08:00:00Z"}'
[ "$status" = 422 ] && ok "a date that does not exist is 422" || no "a date that does not exist is 422"
json "  saying why" '"2026-02-30 is not a date: February 2026 has 28 days" in j["error"]["message"] and j["error"]["field"] == "/at"'
hook '{"id": "e5", "type": "tm", "at": "9999-01-01T00:00:00Z"}'
json "  a time out of range quotes the time" '"9999-01-01T00:00:00Z is outside the times" in j["error"]["message"]'
# ---- F5 ----
body='{"id": "e6", "type": "tm"}'
sig=$(printf %s "$body" | openssl dgst -sha256 -hmac "$HOOK_SECRET" | sed 's/.* //')
hook "$body" "$sig  "
[ "$status" = 200 ] && ok "a signature with blanks after it is taken" || no "a signature with blanks after it is taken"
status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST "$base/v1/events/hook" \
  -H 'Content-Type: application/json' -H "X-Huddle-Signature: $sig" --data-binary '{"id": "e7", "type": "tm"}')
[ "$status" = 401 ] && ok "a signature without sha256= is 401" || no "a signature without sha256= is 401"
json "  saying what form it needs" '"is not sha256= and 64 hex digits" in j["error"]["message"]'
hook '{"id": "e8", "type": "tm"}' "$(printf '0%.0s' $(seq 64))"
json "a well-formed wrong one does not match the body" '"does not match the body" in j["error"]["message"]'
# ---- F6 ----
t257=$(printf 'a%.0s' $(seq 257))
hook "{\"id\": \"e9\", \"type\": \"$t257\"}"
json "a type over 256 bytes is not called an id" '"is 257 bytes, more than the 256 allowed" in j["error"]["message"]'
hook '{"type": "tm"}' "" root
json "a \"\" pointer is named as the whole body" '"the event id at \"\" (the whole body) is a map" in j["error"]["message"]'
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve stops with exit 0" || no "serve stops with exit 0 (got $serve_rc)" "$tmp/serve.log"
expect "history of the 1970 event" 0 "$h" history i1 --db "$db" --json
has "  its time is 1970-01-01T00:00:00Z, not serve's clock" '"kind":"done","state":"s","outcome":"at 1970-01-01T00:00:00Z"'
plan
