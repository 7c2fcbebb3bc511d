#!/bin/sh
# tests/e2e/connectors.sh - connectors files as RUNTIME.md's table says (issue 9): `huddle
# check --connectors F` and `huddle deploy FILE... --db DIR --connectors F` read F the
# same way (runtime/connectors/), refuse every problem of it with
# "F: connectors.NAME.field: what is wrong", refuse a call, send or trigger source F
# does not name, and deploy keeps the connectors (names of secrets' variables, never a
# secret) in the store in the deploy's own transaction; `huddle connectors` shows them.
# A refused deploy changes nothing: the playbooks and connectors read back the same.
# Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/db
now="--now 2026-06-15T08:00:00Z"
# What the store holds, as a user can read it back.
dump() { "$h" playbooks --db "$db" --json; "$h" connectors --db "$db" --json; }

cat > "$tmp/good.json" <<'JSON'
{
  "radian6":   {"kind": "webhook", "secret_env": "RADIAN6_SECRET",
                "id": "/id", "type": "/type", "time": "/at",
                "events": {"spike": {"product": "string", "mentions": "integer", "region": "string?"}}},
  "kb":        {"kind": "http", "base_url": "http://127.0.0.1:9000",
                "token_env": "KB_TOKEN", "timeout_ms": 2000, "retries": 5,
                "operations": {"lookup": {"method": "POST", "path": "/known"}}},
  "chatter":   {"kind": "http", "base_url": "http://127.0.0.1:9002",
                "operations": {"post": {"method": "POST", "path": "/feed"},
                               "dm": {"method": "POST", "path": "/messages"}}},
  "mail":      {"kind": "smtp", "url": "smtp://127.0.0.1:2525", "from": "huddle@example.com",
                "password_env": "SMTP_PASSWORD"}
}
JSON
cat > "$tmp/spike.play" <<'PLAY'
playbook spike

on radian6.spike as alert

state start {
  let found = call kb.lookup({product: alert.product}) else goto failed
  send chatter.post({text: "spike: {found}"})
  send mail.send({to: "ops@example.com"})
  done "ok"
}

state failed { fail "kb down" }
PLAY

# ---- a good file: checked, deployed, kept, read back ----------------------------------

expect "check --connectors passes a good file" 0 "$h" check --connectors "$tmp/good.json" "$tmp/spike.play"
expect "huddle connectors on a folder that holds no store is exit 3" 3 "$h" connectors --db "$db"
KB_TOKEN=kb-secret-value-1 RADIAN6_SECRET=r6-secret-value-2 SMTP_PASSWORD=smtp-secret-value-3 \
  expect "deploy --connectors with a good file exits 0" 0 "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/good.json" $now
has "deploy says it deployed the playbook" "deployed spike, version "
has "deploy says it kept the connectors" "kept 4 connectors"
expect "huddle connectors reads them back" 0 "$h" connectors --db "$db"
has "an http connector is shown with its URL and token variable" "kb (http): http://127.0.0.1:9000, token in \$KB_TOKEN, timeout 2000 ms, 5 retries"
has "its operations are shown" "  lookup: POST /known"
has "a webhook is shown with its secret's variable and pointers" "radian6 (webhook): signed with the secret in \$RADIAN6_SECRET; id /id, type /type, time /at"
has "an smtp connector is shown" "mail (smtp): smtp://127.0.0.1:2525 from huddle@example.com, password in \$SMTP_PASSWORD"
expect "huddle connectors --json exits 0" 0 "$h" connectors --db "$db" --json
if python3 - "$tmp/out" "$tmp/good.json" <<'PY'
import json, sys
kept = json.load(open(sys.argv[1]))["connectors"]
given = json.load(open(sys.argv[2]))
assert list(kept) == list(given), list(kept)
for name, spec in given.items():
    for field, value in spec.items():
        assert kept[name][field] == value, (name, field, kept[name][field])
# defaults written out
assert kept["chatter"]["timeout_ms"] == 10000 and kept["chatter"]["retries"] == 3, kept["chatter"]
assert "secret_env" not in kept["chatter"] and "token_env" not in kept["chatter"]
PY
then ok "--json gives back every field of the file, defaults written out"; else no "--json gives back the file"; fi
if grep -rqa -e kb-secret-value-1 -e r6-secret-value-2 -e smtp-secret-value-3 "$db"; then
  no "no secret value from the environment is in the store"
else ok "no secret value from the environment is in the store"; fi
if grep -qa KB_TOKEN "$db/data.mdb"; then ok "the store holds the variable's name"; else no "the store holds the variable's name"; fi

# ---- bad files: each refused with its sentence, the store unchanged -------------------

dump > "$tmp/before" 2>&1
# bad_case NAME EXPECTED-TEXT JSON: deploy and check both refuse the file, saying
# "FILE: TEXT" (or "FILE:TEXT" when TEXT starts with ":").
bad_case() {
  printf '%s\n' "$3" > "$tmp/$1.json"
  said="$tmp/$1.json: $2"
  case $2 in :*) said="$tmp/$1.json$2" ;; esac   # JSON that does not parse: FILE:LINE:COL
  expect "deploy refuses $1 (exit 1)" 1 "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/$1.json" $now
  has "deploy names what is wrong with $1" "$said"
  hasnt "deploy deploys nothing for $1" "deployed spike"
  expect "check refuses $1 alike" 1 "$h" check --connectors "$tmp/$1.json" "$tmp/spike.play"
  has "check says the same of $1" "$said"
  dump > "$tmp/after" 2>&1
  if cmp -s "$tmp/before" "$tmp/after"; then ok "the store is unchanged after $1"
  else diff "$tmp/before" "$tmp/after" > "$tmp/out"; no "the store is unchanged after $1"; fi
}
bad_case unknown_kind "connectors.kb.kind: unknown kind (did you mean 'http'?)" \
  '{"kb": {"kind": "htp", "base_url": "http://127.0.0.1:9000"}}'
bad_case no_base_url "connectors.kb.base_url: missing" \
  '{"kb": {"kind": "http", "operations": {"lookup": {"method": "POST", "path": "/known"}}}}'
bad_case smtp_no_url "connectors.mail.url: missing" \
  '{"mail": {"kind": "smtp", "from": "huddle@example.com"}}'
bad_case smtp_no_from "connectors.mail.from: missing" \
  '{"mail": {"kind": "smtp", "url": "smtp://127.0.0.1:2525"}}'
bad_case op_no_method "connectors.kb.operations.lookup.method: missing" \
  '{"kb": {"kind": "http", "base_url": "http://127.0.0.1:9000", "operations": {"lookup": {"path": "/known"}}}}'
bad_case op_no_path "connectors.kb.operations.lookup.path: missing" \
  '{"kb": {"kind": "http", "base_url": "http://127.0.0.1:9000", "operations": {"lookup": {"method": "POST"}}}}'
bad_case wrong_type "connectors.kb.timeout_ms: is not a whole number from 1 to 600000" \
  '{"kb": {"kind": "http", "base_url": "http://127.0.0.1:9000", "timeout_ms": "2000", "operations": {"lookup": {"method": "POST", "path": "/known"}}}}'
bad_case unknown_field "connectors.kb.retires: unknown field (did you mean 'retries'?)" \
  '{"kb": {"kind": "http", "base_url": "http://127.0.0.1:9000", "retires": 5, "operations": {"lookup": {"method": "POST", "path": "/known"}}}}'
bad_case other_kinds_field "connectors.radian6.base_url: a webhook connector has no base_url (a field of http connectors)" \
  '{"radian6": {"kind": "webhook", "base_url": "http://127.0.0.1:9000"}}'
bad_case inline_secret "connectors.kb.token: secrets come from the environment, never the file: name the environment variable in token_env instead" \
  '{"kb": {"kind": "http", "base_url": "http://127.0.0.1:9000", "token": "tok-inline-3141", "operations": {"lookup": {"method": "POST", "path": "/known"}}}}'
hasnt "the inline secret is not repeated in the refusal" "tok-inline-3141"
bad_case secret_in_url "connectors.mail.url: holds credentials (user:password@): secrets come from the environment" \
  '{"mail": {"kind": "smtp", "url": "smtp://ops:pw-inline-2718@127.0.0.1:2525", "from": "huddle@example.com"}}'
hasnt "the URL's password is not repeated in the refusal" "pw-inline-2718"
bad_case secret_as_env "connectors.radian6.secret_env: is not the name of an environment variable" \
  '{"radian6": {"kind": "webhook", "secret_env": "s3cr3t value!"}}'
bad_case not_an_object "connectors: a connectors file is a JSON object of connectors" '["kb"]'
bad_case bad_name "connectors.kb-1: is not a name a playbook can write" \
  '{"kb-1": {"kind": "smtp", "url": "smtp://127.0.0.1:2525", "from": "huddle@example.com"}}'
bad_case not_json ":2:0: unexpected token near end of file" '{"kb": '
bad_case duplicate ":1:32: duplicate object key near '\"kb\"'" '{"kb": {"kind": "webhook"}, "kb": {"kind": "webhook"}}'

# Every problem of a file is listed, not just the first.
printf '%s\n' '{"a": {"kind": "http"}, "b": {"kind": "smtp"}, "c": {"kind": "nope"}}' > "$tmp/many.json"
expect "a file with many problems is refused" 1 "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/many.json" $now
if [ "$(grep -c "^$tmp/many.json: connectors\." "$tmp/out")" -eq 5 ]; then ok "every problem is listed, one a line"
else no "every problem is listed, one a line"; fi

# ---- an operation, connector or source the file hasnt --------------------------------

sed 's/"lookup"/"search"/' "$tmp/good.json" > "$tmp/no_lookup.json"
expect "deploy refuses a playbook calling an operation the file lacks" 1 \
  "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/no_lookup.json" $now
has "deploy names the missing operation" "error: connector 'kb' has no operation 'lookup'"
grep -F "error:" "$tmp/out" > "$tmp/deploy_says"
expect "check refuses it too" 1 "$h" check --connectors "$tmp/no_lookup.json" "$tmp/spike.play"
grep -F "error:" "$tmp/out" > "$tmp/check_says"
if cmp -s "$tmp/deploy_says" "$tmp/check_says"; then ok "check and deploy say the same"; else no "check and deploy say the same"; fi
dump > "$tmp/after" 2>&1
if cmp -s "$tmp/before" "$tmp/after"; then ok "the store is unchanged after the refused operation"; else no "the store is unchanged after the refused operation"; fi
sed 's/"mail"/"post"/' "$tmp/good.json" > "$tmp/no_mail.json"
expect "deploy refuses a send through a connector the file lacks" 1 \
  "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/no_mail.json" $now
has "the unknown connector is named" "unknown connector 'mail'"
sed 's/radian6/r6/' "$tmp/good.json" > "$tmp/no_source.json"
expect "deploy refuses a trigger source the file lacks" 1 \
  "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/no_source.json" $now
has "the unknown source is named" "unknown connector 'radian6'"

# ---- without --connectors the store's are kept, and checked against ------------------

sed 's/kb.lookup/kb.lokup/' "$tmp/spike.play" > "$tmp/typo.play"
expect "deploy without --connectors checks against the kept connectors" 1 "$h" deploy "$tmp/typo.play" --db "$db" $now
has "the kept connectors give the hint" "did you mean 'lookup'?"
sed 's/state failed { fail "kb down" }/state failed { fail "kb is down" }/' "$tmp/spike.play" > "$tmp/spike2.play"
expect "deploy without --connectors deploys" 0 "$h" deploy "$tmp/spike2.play" --db "$db" $now
"$h" connectors --db "$db" --json > "$tmp/kept_after" 2>&1
sed -n '/^{"connectors"/p' "$tmp/before" > "$tmp/kept_before"
if cmp -s "$tmp/kept_before" "$tmp/kept_after"; then ok "and keeps the connectors the store has"; else no "and keeps the connectors the store has"; fi

# ---- all or nothing across playbooks; a new file replaces the kept one ---------------

dump > "$tmp/before" 2>&1
expect "one bad playbook among good ones deploys nothing" 1 \
  "$h" deploy "$tmp/spike.play" "$tmp/typo.play" --db "$db" --connectors "$tmp/good.json" $now
dump > "$tmp/after" 2>&1
if cmp -s "$tmp/before" "$tmp/after"; then ok "nothing is deployed and nothing kept"; else no "nothing is deployed and nothing kept"; fi
printf '%s\n' '{"radian6": {"kind": "webhook"}, "kb": {"kind": "http", "base_url": "https://kb.example",
 "operations": {"lookup": {"method": "GET", "path": "/q"}}}, "chatter": {"kind": "http",
 "base_url": "http://127.0.0.1:9002", "operations": {"post": {"method": "POST", "path": "/feed"}}},
 "mail": {"kind": "smtp", "url": "smtps://mail.example", "from": "a@b.example"}}' > "$tmp/new.json"
expect "deploy --connectors with a new file exits 0" 0 "$h" deploy "$tmp/spike.play" --db "$db" --connectors "$tmp/new.json" $now --json
has "--json says how many connectors were kept" '{"connectors": 4}'
expect "the new file replaced the kept one" 0 "$h" connectors --db "$db"
has "the new URL is shown" "kb (http): https://kb.example, timeout 10000 ms, 3 retries"
hasnt "the old URL is gone" "127.0.0.1:9000"
has "an unsigned webhook says so" "radian6 (webhook): unsigned; id /id, type /type, time /time"

# ---- a store without connectors; help -------------------------------------------------

expect "a deploy without --connectors on a fresh store" 0 "$h" deploy "$tmp/spike.play" --db "$tmp/db2" $now
expect "huddle connectors on a store that keeps none" 0 "$h" connectors --db "$tmp/db2"
has "it says none are kept" "no connectors are kept"
expect "huddle connectors --json on a store that keeps none" 0 "$h" connectors --db "$tmp/db2" --json
has "it gives null" '{"connectors":null}'
expect "a refused connectors file makes no store" 1 "$h" deploy "$tmp/spike.play" --db "$tmp/db3" --connectors "$tmp/many.json"
if [ -e "$tmp/db3" ]; then no "no store folder was made"; else ok "no store folder was made"; fi
expect "help connectors" 0 "$h" help connectors
has "help connectors shows its usage" "huddle connectors [--db DIR] [--json]"
expect "help deploy" 0 "$h" help deploy
has "help deploy names --connectors" "--connectors F"
expect "connectors takes no argument" 2 "$h" connectors extra --db "$db"
plan
