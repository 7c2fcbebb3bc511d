#!/bin/sh
# tests/e2e/connector_methods.sh - every HTTP method carries the operation's argument as
# its JSON body (RUNTIME.md, "Connectors", http: "the body is the operation's argument
# as JSON"), GET included: `send` and `call` through GET, DELETE and PATCH operations
# reach a peer on 127.0.0.1 that records each request's method, path, Content-Type and
# body. A GET used to go out with no body. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/peers/peers.sh"

db="$tmp/db"
peer_or_bail http "$tmp/http"
hp=$peer_port
cat > "$tmp/conn.json" <<JSON
{"test": {"kind": "webhook"},
 "api":  {"kind": "http", "base_url": "http://127.0.0.1:$hp", "timeout_ms": 2000, "retries": 0,
          "operations": {"get": {"method": "GET", "path": "/thing"},
                         "ask": {"method": "GET", "path": "/lookup"},
                         "none": {"method": "GET", "path": "/none"},
                         "postnone": {"method": "POST", "path": "/postnone"},
                         "del": {"method": "DELETE", "path": "/gone"},
                         "patch": {"method": "PATCH", "path": "/changed"}}}}
JSON
cat > "$tmp/m.play" <<'PLAY'
playbook m

on test.go as ev

state start {
  send api.get({id: ev.id})
  send api.none(null)
  send api.postnone(null)
  send api.del({id: ev.id})
  send api.patch({id: ev.id})
  let r = call api.ask({id: ev.id}) else { done "call failed: {error}" }
  done "got {r.n}"
}
PLAY
# shellcheck disable=SC2086
expect "deploy with the connectors" 0 "$h" deploy "$tmp/m.play" --db "$db" --connectors "$tmp/conn.json" $(now 08:59)
echo '{"id": 9}' > "$tmp/ev.json"
# shellcheck disable=SC2086
expect "an event starts the playbook" 0 "$h" trigger --db "$db" test.go --id e1 $(now 09:00) < "$tmp/ev.json"
# shellcheck disable=SC2086
expect "tick delivers the sends and the call" 0 "$h" tick --db "$db" $(now 09:01)
# shellcheck disable=SC2086
expect "tick again resumes the instance with the reply" 0 "$h" tick --db "$db" $(now 09:02)
"$PEER_PY" -c 'import json,sys
rs=[json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({r["path"]: {"method": r["method"], "type": r["headers"].get("content-type"), "body": r["body"]} for r in rs}))' \
  "$tmp/http/requests.jsonl" > "$tmp/out" 2>&1
json "a GET send carries its argument as the JSON body" \
  'j["/thing"] == {"method": "GET", "type": "application/json", "body": "{\"id\":9}"}'
json "a GET call carries its argument as the JSON body" \
  'j["/lookup"] == {"method": "GET", "type": "application/json", "body": "{\"id\":9}"}'
json "a GET with a null argument sends null, as the other methods do" \
  'j["/none"] == {"method": "GET", "type": "application/json", "body": "null"} and j["/postnone"]["body"] == "null"'
json "DELETE and PATCH carry it the same way" \
  'j["/gone"]["method"] == "DELETE" and j["/gone"]["body"] == "{\"id\":9}" and j["/changed"]["method"] == "PATCH" and j["/changed"]["body"] == "{\"id\":9}"'
"$h" history --db "$db" i1 --json > "$tmp/out" 2>&1
has "the call's reply resumed the instance" "got 1"
plan
