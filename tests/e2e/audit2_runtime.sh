#!/bin/sh
# tests/e2e/audit2_runtime.sh - the second contract audit of RUNTIME.md (2026-12-05): each
# check here failed on the binary before its fix (a few are the sanity checks beside
# them). The CLI refuses stray arguments and an inbox of nobody; directory events that
# end an absence as it starts, and a person named as their own delegate, leave no false
# record; a directory change between two on-call shifts sets no second watch timer; a
# damaged store says what to do; history tells a retry by nobody as such; a missing file
# is named plainly; check --json counts it; a business deadline that cannot be counted
# stalls at FILE:LINE; serve names a refused reassignment's field, says the body limit,
# and /metrics names every route once. On real stores with --now, and one serve. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a
  case a.key

state start {
  ask person("anna") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
cat > "$tmp/people.json" <<'JSON'
{"people": {"anna": {"email": "anna@x", "manager": "craig"}, "craig": {"email": "craig@x"},
            "lars": {"email": "lars@x"}}}
JSON
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null
echo '{"key": "k1"}' | "$h" trigger src.alert --id e1 --db "$db" $(now 09:00) > /dev/null

# ---- the reading commands take no stray arguments; --for names someone ----
expect "tasks with a stray argument is a usage error" 2 "$h" tasks extra --db "$db"
has "it says so" "tasks takes no arguments but options"
expect "instances with a stray argument is a usage error" 2 "$h" instances extra --db "$db"
expect "tasks --for a person the directory lacks is refused" 1 "$h" tasks --for zed --db "$db"
has "naming the person" "for: no person 'zed' in the directory"
expect "tasks --for a person in it still lists" 0 "$h" tasks --for anna --db "$db" --json
json "anna holds t1" 'len(j) == 1 and j[0]["id"] == "t1"'

# ---- directory.away then directory.back in the same instant ----
echo '{"person": "anna", "delegate": "lars"}' | "$h" trigger directory.away --id a1 --db "$db" $(now 09:10) > /dev/null
echo '{"person": "anna"}' > "$tmp/back.json"
expect "a back in the instant the absence began is accepted" 0 "$h" trigger directory.back --id b1 --db "$db" $(now 09:10) < "$tmp/back.json"
expect "the directory shows it" 0 "$h" directory show anna --db "$db" --json
json "the absence is gone, not left ending as it starts" 'j.get("away", []) == []'

# ---- a person named as their own delegate stands in for nobody ----
self=$tmp/self
"$h" deploy "$tmp/p.play" --db "$self" $(now 08:00) > /dev/null
"$h" directory load "$tmp/people.json" --db "$self" $(now 08:00) > /dev/null
echo '{"key": "k1"}' | "$h" trigger src.alert --id e1 --db "$self" $(now 09:00) > /dev/null
echo '{"person": "anna", "delegate": "anna"}' | "$h" trigger directory.away --id a2 --db "$self" $(now 09:20) > /dev/null
expect "history" 0 "$h" history i1 --db "$self" --json
hasnt "no record of anna standing in for herself" '"from":"anna","to":"anna"'
has "she is unresolved instead" '"why":"away, with nobody to stand in"'

# ---- a directory change between two on-call shifts sets no second watch timer ----
cat > "$tmp/oc.play" <<'PLAY'
playbook oc

on src.alert as a
  case a.key

state start {
  ask oncall("sre") "Go?" choices yes within 3h
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
cat > "$tmp/oc.json" <<'JSON'
{"people": {"anna": {"email": "a@x"}, "ben": {"email": "b@x"}, "cy": {"email": "c@x", "manager": "ben"}},
 "teams": {"sre": {"members": ["anna", "ben", "cy"],
                   "oncall": {"rotation": ["anna", "ben", "cy"], "shift": "1h", "start": "2026-06-15T09:00:00Z"}}}}
JSON
cat > "$tmp/oc.jsonl" <<'JSONL'
{"at": "2026-06-15T09:30:00Z", "event": {"source": "src", "type": "alert", "id": "r1", "data": {"key": "k"}}}
{"at": "2026-06-15T10:00:00Z", "away": {"person": "cy", "from": "2026-06-15T10:00:00Z"}}
{"at": "2026-06-15T12:30:00Z", "end": true}
JSONL
"$h" run "$tmp/oc.play" --events "$tmp/oc.jsonl" --directory "$tmp/oc.json" --json > "$tmp/out" 2>&1
python3 - "$tmp/out" > "$tmp/watches" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sorted(r["due"] for r in rows if r.get("kind") == "timer" and r.get("what") == "watch"))
print(sum(1 for r in rows if r.get("kind") == "handover"))
PY
if [ "$(sed -n 1p "$tmp/watches")" = "['2026-06-15T10:00:00Z', '2026-06-15T11:00:00Z', '2026-06-15T12:00:00Z']" ]; then
  ok "one watch timer a shift change, whatever the directory did between"
else no "one watch timer a shift change, whatever the directory did between" "$tmp/watches"; fi
if [ "$(sed -n 2p "$tmp/watches")" = 3 ]; then ok "three handovers"; else no "three handovers" "$tmp/watches"; fi

# ---- a damaged store is refused with a sentence that says what to do ----
dmg=$tmp/damaged
mkdir "$dmg" && cp "$db/data.mdb" "$dmg/"   # data.mdb alone, as a restore does: no lock file of another run
# next_task, 8 bytes, made the 3 bytes "123" (in mdb_dump's hex form: its printable form
# does not always read back, so a random hash byte could damage another entry)
mdb_dump -s meta "$dmg" | sed '/^ 6e6578745f7461736b$/{n;s/.*/ 313233/;}' | mdb_load -s meta "$dmg"
echo '{"key": "k9"}' > "$tmp/k9.json"
expect "an event on a store with a damaged counter: exit 3" 3 "$h" trigger src.alert --id e9 --db "$dmg" $(now 10:00) < "$tmp/k9.json"
has "it names the damage" "the store is damaged: meta entry next_task"
has "and says what to do" "restore the store from a backup"
rm -f "$dmg/data.mdb" && head -c 65536 /dev/urandom > "$dmg/data.mdb"
expect "a data.mdb of random bytes: exit 3" 3 "$h" instances --db "$dmg"
has "it says to check --db" "check that --db (or HUDDLE_DB) names the folder of a Huddle store"

# ---- a retry that names nobody is not told as "retried by " ----
cat > "$tmp/st.play" <<'PLAY'
playbook st

on src.stall as a

state start {
  let x = 1 / (a.zero ?? 0)
  done "never {x}"
}

state other { done "other" }
PLAY
sdir=$tmp/stalls
"$h" deploy "$tmp/st.play" --db "$sdir" $(now 08:00) > /dev/null 2>&1
echo '{}' | "$h" trigger src.stall --id s1 --db "$sdir" $(now 09:00) > /dev/null
"$h" retry i1 --db "$sdir" $(now 09:10) > /dev/null
"$h" retry i1 --goto other --db "$sdir" $(now 09:20) > /dev/null
expect "history of the retried instance" 0 "$h" history i1 --db "$sdir"
hasnt "no 'retried by ' with nobody after it" "retried by "
has "a retry with --goto says where it went" "retried in other"

# ---- a file that is not there is named plainly, not as line -1, column -1 ----
expect "directory load of a missing file is refused" 1 "$h" directory load "$tmp/nofile.json" --db "$db"
has "saying the file is not there" "huddle: $tmp/nofile.json: No such file or directory"
hasnt "with no line -1" ":-1:-1"
expect "run --directory of a missing file is refused" 1 "$h" run "$tmp/p.play" --events "$tmp/oc.jsonl" --directory "$tmp/nofile.json"
has "saying so" "huddle: $tmp/nofile.json: No such file or directory"
expect "run --events of a missing trace is refused" 1 "$h" run "$tmp/p.play" --events "$tmp/nofile.jsonl"
has "with huddle's prefix" "huddle: $tmp/nofile.jsonl: No such file or directory"

# ---- a business deadline that cannot be counted stalls with the playbook's file:line ----
cat > "$tmp/bt.play" <<'PLAY'
playbook bt
calendar "c"

on src.alert as a
  case a.key

state start {
  ask person("a") "Go?" choices yes within 1 business hour
  { yes -> done "yes"  timeout -> done "late" }
}
PLAY
echo '{"people": {"a": {"email": "a@x"}}, "calendars": {"c": {"zone": "UTC", "hours": {}}}}' > "$tmp/cal0.json"
echo '{"at": "2026-06-15T09:00:00Z", "event": {"source": "src", "type": "alert", "id": "r1", "data": {"key": "k"}}}' > "$tmp/bt.jsonl"
"$h" run "$tmp/bt.play" --events "$tmp/bt.jsonl" --directory "$tmp/cal0.json" --json > "$tmp/out" 2>&1
has "the stalled record names bt.play:8" "bt.play:8: calendar c has no working time"

# ---- check --json counts a playbook it cannot read ----
"$h" check "$tmp/p.play" "$tmp/nofile.play" --json > "$tmp/out" 2> /dev/null
json "check --json: the missing file is an error, counted" 'j["errors"] == 1 and j["diagnostics"][0]["message"] == "No such file or directory" and j["diagnostics"][0]["file"].endswith("nofile.play")'

# ---- serve: a reassignment to nobody names its field; a body too large says the limit ----
. "$TOP/tests/e2e/serve/lib.sh"
sdb=$tmp/served
if serve_store "$sdb" && serve_start "$sdb" --max-body 4096; then
  ev='{"id": "g1", "type": "refund", "order": "G1", "amount": 3, "customer": {"name": "Ida"}}'
  call "an event makes t1" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
  call "a reassignment to a person the directory lacks is 422" 422 POST /v1/tasks/t1/reassign \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"from": "pat", "to": "zed"}'
  json "its error names the field to" 'j["error"]["code"] == "refused" and j["error"]["field"] == "to"'
  call "a reassignment from one who holds no seat is 422, not 403" 422 POST /v1/tasks/t1/reassign \
    -H 'Content-Type: application/json' -H 'Authorization: Bearer ops-token' --data '{"from": "boss", "to": "sam"}'
  json "its error names the field from" 'j["error"]["code"] == "refused" and j["error"]["field"] == "from"'
  python3 -c 'print("{\"choice\": \"yes\", \"comment\": \"" + "x" * 5000 + "\"}")' > "$tmp/big.json"
  call "a body over --max-body is 413" 413 POST /v1/tasks/t1/answer -H 'Content-Type: application/json' \
    -H 'Authorization: Bearer pat-token' --data-binary @"$tmp/big.json"
  json "it says the limit" 'j["error"]["code"] == "too_large" and "4096 bytes" in j["error"]["message"]'
  curl -s --max-time 10 "$base/metrics" > "$tmp/out"
  hasnt "/metrics names no route (null)" 'route="(null)"'
  has "/metrics counts the audit routes by name" 'huddle_requests_accepted_total{route="audit_export"}'
  if [ "$(grep -v '^#' "$tmp/out" | sed 's/ [^ ]*$//' | sort | uniq -d | wc -l)" -eq 0 ]; then
    ok "/metrics repeats no series (Prometheus refuses a repeated one)"
  else no "/metrics repeats no series (Prometheus refuses a repeated one)"; fi
  serve_stop
else
  no "serve starts" "$tmp/serve.log"
fi
plan
