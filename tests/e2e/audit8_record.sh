#!/bin/sh
# tests/e2e/audit8_record.sh - two findings of an audit of the decision record:
#
# 1. RUNTIME.md, "History records": `retried` has by and reason. A retry without --by or
#    --reason wrote neither; now every `retried` record has both, null when not given;
#    --by must name a person of the directory and a --reason given must hold words, as
#    cancel's; history says "retried by P: REASON".
# 2. LANGUAGE.md, "Statements": done and fail texts are what audit searches group by. A
#    failed instance's decisions had outcome "failed" and its reason nowhere: now their
#    outcome is the reason (status "failed"), `--outcome REASON` finds them, `--outcome
#    failed` still finds every failed one, stats counts "failed: REASON", and the CSV's
#    outcome is the reason with a status column at the end.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

# ---- 1. retried: by and reason ----
db=$tmp/retry
cat > "$tmp/ratio.play" <<'PLAY'
playbook ratio

on mon.go as ev

state s {
  note "ratio {ev.n / (ev.n - ev.n)}"
  done "ok"
}

state t { done "by hand" }
PLAY
printf '{"people": {"pat": {"email": "pat@x"}}}\n' > "$tmp/people.json"
"$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) > /dev/null 2>&1
"$h" deploy "$tmp/ratio.play" --db "$db" $(now 08:00) > /dev/null 2>&1
for id in e1 e2; do echo '{"n": 2}' | "$h" trigger mon.go --id $id --db "$db" $(now 08:01) > /dev/null 2>&1; done
retried() { # retried INSTANCE: its retried records' (by, reason), as JSON, in $tmp/out
  "$h" history "$1" --db "$db" --json > "$tmp/lines" 2>&1
  python3 -c 'import json, sys; print(json.dumps([r for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "retried"]))' "$tmp/lines" > "$tmp/out"
}
expect "retry with neither --by nor --reason still works" 0 "$h" retry i1 --db "$db" $(now 08:02)
retried i1
json "  its retried record has by and reason, both null" 'len(j) == 1 and "by" in j[0] and "reason" in j[0] and j[0]["by"] is None and j[0]["reason"] is None'
expect "retry --by and --reason" 0 "$h" retry i1 --db "$db" --by pat --reason "zero is expected" $(now 08:03)
retried i1
json "  keeps them" '[(r["by"], r["reason"]) for r in j] == [(None, None), ("pat", "zero is expected")]'
expect "retry --goto with --by only" 0 "$h" retry i2 --goto t --db "$db" --by pat $(now 08:04)
retried i2
json "  a null reason beside by and goto" '[(r["goto"], r["by"], r["reason"]) for r in j] == [("t", "pat", None)]'
expect "history" 0 "$h" history i1 --db "$db"
has "  says who retried it and why" "retried by pat: zero is expected"
expect "retry --by a person the directory lacks is refused, as cancel's" 1 "$h" retry i1 --db "$db" --by zed $(now 08:05)
has "  naming the person" "no person 'zed' in the directory"
expect "a --reason of blanks is refused, as cancel's" 1 "$h" retry i1 --db "$db" --reason "  " $(now 08:05)
has "  saying why" "a retry needs a reason in words"
retried i1
json "  neither wrote a record" 'len(j) == 2'

# ---- 2. a fail's reason is the decision's outcome ----
db=$tmp/gate
cat > "$tmp/gate.play" <<'PLAY'
playbook gate

on shop.gate as g

state decide {
  ask person("pat") "Open the gate for {g.id}?"
      choices yes "Open it", no "Keep it shut"
      within 1h
  {
    yes     -> done "opened"
    no      -> fail "refused"
    timeout -> fail "timed out"
  }
}
PLAY
{ "$h" directory load "$tmp/people.json" --db "$db" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$tmp/gate.play" --db "$db" --now 2026-06-15T05:00:00Z &&
  echo '{"id": "A"}' | "$h" trigger shop.gate --id e1 --db "$db" --now 2026-06-15T06:00:00Z &&
  "$h" tick --db "$db" --now 2026-06-15T07:00:00Z &&
  echo '{"id": "B"}' | "$h" trigger shop.gate --id e2 --db "$db" --now 2026-06-15T08:00:00Z &&
  "$h" answer t2 no --by pat --db "$db" --now 2026-06-15T08:10:00Z &&
  echo '{"id": "C"}' | "$h" trigger shop.gate --id e3 --db "$db" --now 2026-06-15T09:00:00Z &&
  "$h" answer t3 yes --by pat --db "$db" --now 2026-06-15T09:10:00Z &&
  echo '{"id": "D"}' | "$h" trigger shop.gate --id e4 --db "$db" --now 2026-06-15T10:00:00Z &&
  "$h" cancel i4 --by pat --reason "not needed" --db "$db" --now 2026-06-15T10:05:00Z &&
  echo '{"id": "E"}' | "$h" trigger shop.gate --id e5 --db "$db" --now 2026-06-15T11:00:00Z; } > "$tmp/out" 2>&1 &&
  ok "t1 timed out (failed), t2 refused (failed), t3 opened, t4 cancelled, t5 open" || no "the store is made"

tasks() { "$h" audit search --db "$db" --json "$@" | python3 -c 'import json,sys; print(" ".join(d["task"] for d in json.load(sys.stdin)))'; }
found() { # found DESC WANT OPTIONS...
  desc=$1 want=$2; shift 2
  got=$(tasks "$@" 2> "$tmp/out")
  if [ "$got" = "$want" ]; then ok "$desc"; else echo "got '$got', wanted '$want'" >> "$tmp/out"; no "$desc"; fi
}
found "--outcome 'timed out': the fail's reason" "t1" --outcome "timed out"
found "--outcome refused" "t2" --outcome refused
found "--outcome failed: every failed instance, whatever its reason" "t2 t1" --outcome failed
found "--outcome opened: a done's outcome, as before" "t3" --outcome opened
found "--outcome cancelled, as before" "t4" --outcome cancelled
found "--outcome with --choice" "t1" --outcome failed --choice timeout
expect "search --json" 0 "$h" audit search --db "$db" --json --outcome "timed out"
json "  outcome is the reason, status failed" '[(d["outcome"], d["status"]) for d in j] == [("timed out", "failed")]'
expect "search in words" 0 "$h" audit search --db "$db" --outcome failed
has "  says failed and the reason" "-> timeout after 1h; failed: timed out"
has "  (each)" "-> no by pat after 10m; failed: refused"
expect "stats --json" 0 "$h" audit stats --db "$db" --playbook gate --json
json "  counts the outcomes by reason" 'j[0]["outcomes"] == {"failed: timed out": 1, "failed: refused": 1, "opened": 1, "cancelled": 1}'
expect "stats in words" 0 "$h" audit stats --db "$db" --playbook gate
has "  the same" "outcomes: failed: timed out 1, failed: refused 1, opened 1, cancelled 1"
expect "export --format csv" 0 "$h" audit export --db "$db" --format csv
has "  a status column, last" "handed_from,operators,status"
python3 -c 'import csv, sys; rows = list(csv.DictReader(open(sys.argv[1], newline=""))); print([(r["task"], r["outcome"], r["status"]) for r in rows])' "$tmp/out" > "$tmp/rows"
if grep -qF "[('t1', 'timed out', 'failed'), ('t2', 'refused', 'failed'), ('t3', 'opened', 'done'), ('t4', 'cancelled', 'cancelled'), ('t5', '', '')]" "$tmp/rows"
then ok "  outcome the reason, status failed"; else no "  outcome the reason, status failed" "$tmp/rows"; fi
expect "tasks: t5's similar past decisions" 0 "$h" tasks --db "$db"
has "  say how a failed one ended, with its reason" "timeout; failed: timed out"
plan
