#!/bin/sh
# tests/e2e/trace_audit.sh - findings of an audit of `huddle run` (RUNTIME.md "Trace
# format for huddle run", "History records"; docs/runtime.md), each a test that failed
# before its fix (F1, the file-size limit, is tests/e2e/file_size_limit.sh):
#
# F2. run's sent, called, replied and call_failed records had no key, which a store's
#     have; now run:INSTANCE:STEP:INDEX, the index taken as a store takes it (a send
#     before a call in one step).
# F3. A time in a line past a change of the zone's clocks, printed before the timeline
#     reached it, showed no offset and looked past ("timer: after at 03:15" at 03:45).
# F4. With --json, a repeated answer or ack printed nothing.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
cat > "$tmp/k.play" <<'PLAY'
playbook k
on mon.ev as a
state s1 {
  send chat.post({text: "hi"})
  call kb.lookup({q: 1})
  done "ok"
}
PLAY
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "mon", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-06-15T09:00:00Z", "end": true}' > "$tmp/k.jsonl"
echo '{"kb.lookup": {"found": true}}' > "$tmp/mocks.json"
expect "F2: run --json" 0 "$h" run "$tmp/k.play" --events "$tmp/k.jsonl" --mocks "$tmp/mocks.json" --json
python3 -c '
import json, sys
keys = [(r["kind"], r.get("key")) for r in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")) if r.get("kind") in ("sent", "called", "replied")]
sys.exit(0 if keys == [("sent", "run:i1:1:0"), ("called", "run:i1:1:1"), ("replied", "run:i1:1:1")] else 1)' "$tmp/out" \
  && ok "  the send's key is index 0, the call's 1, as a store gives them" || no "  the send's key is index 0, the call's 1, as a store gives them"
db=$tmp/db
printf '{"mon": {"kind": "webhook"}, "chat": {"kind": "http", "base_url": "http://127.0.0.1:9", "operations": {"post": {"method": "POST", "path": "/p"}}},
 "kb": {"kind": "http", "base_url": "http://127.0.0.1:9", "operations": {"lookup": {"method": "POST", "path": "/l"}}}}\n' > "$tmp/c.json"
expect "F2: the same in a store" 0 "$h" deploy "$tmp/k.play" --db "$db" --connectors "$tmp/c.json" --now 2026-06-15T07:00:00Z
echo '{}' > "$tmp/e.json"
expect "  trigger" 0 "$h" trigger mon.ev --id e1 --db "$db" --now 2026-06-15T08:00:00Z --json < "$tmp/e.json"
json "  the same indexes" '[(r["kind"], r["key"].split(":", 1)[1]) for r in j["records"] if r["kind"] in ("sent", "called")] == [("sent", "i1:1:0"), ("called", "i1:1:1")]'

cat > "$tmp/dir.json" <<'DIR'
{"people": {"anna": {"name": "Anna", "email": "anna@example.com"}},
 "calendars": {"fi": {"zone": "Europe/Helsinki", "hours": {"mon-fri": "09:00-17:00"}}}}
DIR
printf 'playbook f\ncalendar "fi"\non mon.ev as a\nstate s1 { wait { after 30m -> s2 } }\nstate s2 { wait { after 30m -> s3 } }\nstate s3 { wait { after 30m -> done "ok" } }\n' > "$tmp/f.play"
printf '%s\n' '{"at": "2026-10-25T00:15:00Z", "event": {"source": "mon", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-10-25T03:00:00Z", "end": true}' > "$tmp/f.jsonl"
expect "F3: a run across the end of summer time" 0 "$h" run "$tmp/f.play" --events "$tmp/f.jsonl" --directory "$tmp/dir.json"
has "  the timer past the change says its offset" "timer: after at 03:15 +02:00"

printf 'playbook q\non mon.ev as a\nstate s1 {\n  ask person("anna") "Go?" choices yes, no within 1h\n  { yes -> done "yes"  no -> done "no"  timeout -> fail "timeout" }\n}\n' > "$tmp/q.play"
printf '%s\n' '{"at": "2026-06-15T08:00:00Z", "event": {"source": "mon", "type": "ev", "id": "e1", "data": {}}}' \
  '{"at": "2026-06-15T08:02:00Z", "ack": {"by": "anna"}}' \
  '{"at": "2026-06-15T08:03:00Z", "ack": {"by": "anna"}}' \
  '{"at": "2026-06-15T08:04:00Z", "end": true}' > "$tmp/q.jsonl"
expect "F4: run --json with a repeated ack" 0 "$h" run "$tmp/q.play" --events "$tmp/q.jsonl" --directory "$tmp/dir.json" --json
has "  has a line saying it changed nothing" '{"unchanged":{"line":3,"why":"anna had acknowledged t1 already, at 2026-06-15T08:02:00Z; nothing changed"}}'
plan
