#!/bin/sh
# tests/e2e/serve_audit.sh - the decision record over HTTP (RUNTIME.md, "The decision
# record"; docs/operations.md): GET /v1/audit/head, /search and /export, for tokens that
# may `audit` only, each saying what `huddle audit head`, `search --json` and `export`
# say of the same store. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
auditor_hash=$(printf %s auditor-token | sha256sum | cut -c1-64)
"$PY" - "$tmp/tokens.json" "$auditor_hash" <<'PY'
import json, sys
tokens = json.load(open(sys.argv[1]))
tokens["auditor"] = {"sha256": sys.argv[2], "person": "boss", "may": ["audit"]}
json.dump(tokens, open(sys.argv[1], "w"))
PY
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
ok "serve starts"
auth='Authorization: Bearer auditor-token'

for order in A-1 A-2; do
  body="{\"id\": \"ev-$order\", \"type\": \"refund\", \"order\": \"$order\", \"amount\": 5, \"customer\": {\"name\": \"C\"}}"
  call "refund $order is posted" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$body")" --data "$body"
done
call "pat says yes to A-1" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "yes"}'
call "sam says yes to A-1" 200 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer sam-token' --data '{"choice": "yes"}'
call "pat says no to A-2, with why" 200 POST /v1/tasks/t2/answer -H 'Content-Type: application/json' -H 'Authorization: Bearer pat-token' --data '{"choice": "no", "comment": "duplicate order"}'
wait_done i1

call "sam's open tasks over HTTP" 200 GET '/v1/tasks?for=sam' -H 'Authorization: Bearer sam-token'
cp "$tmp/out" "$tmp/http_tasks.json"
json "t2 comes with A-1's decision as a similar past one: yes by sam, refunded" '
[(t["id"], [(d["task"], d["instance"], d["choice"], d["by"], d["outcome"]) for d in t["similar"]]) for t in j["tasks"]] == [("t2", [("t1", "i1", "yes", "sam", "refunded")])]'
"$h" tasks --db "$db" --for sam --json > "$tmp/cli_tasks.json" 2>&1
"$PY" -c 'import json, sys; a = json.load(open(sys.argv[1]))["tasks"]; b = json.load(open(sys.argv[2])); sys.exit(0 if [t["similar"] for t in a] == [t["similar"] for t in b] else 1)' "$tmp/http_tasks.json" "$tmp/cli_tasks.json" \
  && ok "the same similar decisions as huddle tasks --json" || no "the same similar decisions as huddle tasks --json" "$tmp/cli_tasks.json"

call "a person's token may not read the record" 403 GET /v1/audit/head -H 'Authorization: Bearer pat-token'
call "no token: 401" 401 GET /v1/audit/search
call "the auditor reads the head" 200 GET /v1/audit/head -H "$auth"
cp "$tmp/out" "$tmp/head.json"
json "the head is 64 hex digits with a count" 'len(j["head"]) == 64 and int(j["head"], 16) >= 0 and j["count"] > 5'
serve_stop
expect "huddle audit head --json says the same" 0 "$h" audit head --db "$db" --json
"$PY" -c 'import json, sys; a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2])); sys.exit(0 if (a["head"], a["count"]) == (b["head"], b["count"]) else 1)' "$tmp/head.json" "$tmp/out" \
  && ok "the same head and count as the CLI" || no "the same head and count as the CLI" "$tmp/head.json"
"$h" audit search --db "$db" --json > "$tmp/cli_search.json" 2>&1
"$h" audit export --db "$db" --format jsonl > "$tmp/cli_export.jsonl" 2>&1
serve_start "$db" || { no "serve starts again" "$tmp/serve.log"; plan; exit 0; }

call "search by words" 200 GET '/v1/audit/search?words=duplicate' -H "$auth"
json "finds A-2's ask, still open (all of), with pat's no" '[(d["instance"], d["choice"], [(a["by"], a["choice"]) for a in d["answers"]]) for d in j["decisions"]] == [("i2", None, [("pat", "no")])]'
call "search by playbook and choice" 200 GET '/v1/audit/search?playbook=refund&choice=yes' -H "$auth"
json "finds A-1's" '[d["instance"] for d in j["decisions"]] == ["i1"]'
call "search with no filter" 200 GET /v1/audit/search -H "$auth"
"$PY" -c 'import json, sys; a = json.load(open(sys.argv[1]))["decisions"]; b = json.load(open(sys.argv[2])); b = b["decisions"] if isinstance(b, dict) else b; sys.exit(0 if a == b else 1)' "$tmp/out" "$tmp/cli_search.json" \
  && ok "the same decisions as huddle audit search --json" || no "the same decisions as huddle audit search --json" "$tmp/cli_search.json"
call "an unknown parameter is 400" 400 GET '/v1/audit/search?colour=red' -H "$auth"
json "naming it" 'j["error"]["field"] == "colour"'
call "a bad time is 400" 400 GET '/v1/audit/search?since=yesterday' -H "$auth"
call "a time past the store's range is 400, as the CLI's --since is exit 2" 400 GET '/v1/audit/search?since=9500-01-01T00:00:00Z' -H "$auth"
json "naming it, and the range" 'j["error"]["field"] == "since" and "before 9000-01-01" in j["error"]["message"]'
call "so is one before 1970" 400 GET '/v1/audit/search?until=1969-12-31T00:00:00Z' -H "$auth"
json "naming until" 'j["error"]["field"] == "until"'
call "and the export's" 400 GET '/v1/audit/export?since=9999-12-31T00:00:00Z' -H "$auth"
call "a bad limit is 400" 400 GET '/v1/audit/search?limit=0' -H "$auth"
call "?words= of blanks only is 400, not a filter that finds everything" 400 GET '/v1/audit/search?words=%20%20' -H "$auth"
json "naming it" 'j["error"]["field"] == "words"'
call "the export" 200 GET /v1/audit/export -H "$auth"
"$PY" -c '
import json, sys
rows = json.load(open(sys.argv[1]))["export"]
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
strip = lambda r: {k: v for k, v in r.items() if k != "from"}
sys.exit(0 if [strip(r) for r in rows] == [strip(r) for r in lines] and len(rows) > 5 else 1)' "$tmp/out" "$tmp/cli_export.jsonl" \
  && ok "the same rows as huddle audit export --format jsonl" || no "the same rows as huddle audit export" "$tmp/cli_export.jsonl"
call "the export since the future is the first and last lines only" 200 GET '/v1/audit/export?since=2999-01-01T00:00:00Z' -H "$auth"
json "two lines" 'len(j["export"]) == 2 and "head" in j["export"][-1]'
call "the record is not written over HTTP" 405 POST /v1/audit/head -H "$auth"
serve_stop
[ "$serve_rc" = 0 ] && ok "serve exits 0 at SIGTERM" || no "serve exits 0 at SIGTERM ($serve_rc)" "$tmp/serve.log"
serve_log_ok "every log line is JSON, no sanitizer report"
plan
