#!/bin/sh
# tests/e2e/semantics.sh - the engine keeps its word (issue 9): retry after a failed step,
# case joins by the instance's own program, undeploy, directory changes and who is told,
# each written from the words of LANGUAGE.md / RUNTIME.md, on a real store with --now.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
# py DESC SCRIPT ARGS...: runs a python check on the last output
py() { desc=$1; shift; if python3 -c "$@" "$tmp/out" >> "$tmp/out" 2>&1; then ok "$desc"; else no "$desc"; fi; }
event() { db=$1 kind=$2 id=$3 at=$4 data=$5
  echo "$data" | "$h" trigger "$kind" --id "$id" --db "$db" --now "$at"; }
status_is() { # instances JSON, id, status[, outcome]
  "$h" instances --db "$1" --json > "$tmp/out" 2>&1
  python3 -c 'import json,sys; d={i["id"]: i for i in json.load(open(sys.argv[1]))}; i=d[sys.argv[2]]
assert i["status"]==sys.argv[3], i
assert len(sys.argv) < 5 or i.get("outcome")==sys.argv[4], i' "$tmp/out" "$2" "$3" ${4+"$4"} >> "$tmp/out" 2>&1; }
check() { if "$@"; then ok "$desc"; else no "$desc"; fi; }

# ---- 1. retry after a failed step in a wait (RUNTIME.md "A step that fails") ----
db=$tmp/retry
cat > "$tmp/watch.play" <<'PLAY'
playbook watch

on mon.alert as a
  case a.key

state watching {
  wait {
    mon.alert as e -> {
      let x = if now() < case.started + 3h then 1 / e.zero else e.zero
      done "event {x}"
    }
    after 1d -> done "quiet"
  }
}

state manual { done "by hand" }
PLAY
cat > "$tmp/first.play" <<'PLAY'
playbook first

on mon.boom as b

state start {
  let y = 1 / b.zero
  done "never {y}"
}

state manual { done "by hand" }
PLAY
printf '{"people": {"pat": {"email": "pat@x"}}}\n' > "$tmp/people.json"
"$h" directory load "$tmp/people.json" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
"$h" deploy "$tmp/watch.play" "$tmp/first.play" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
event "$db" mon.alert a1 2026-03-02T09:00:00Z '{"key": "k", "zero": 0}' > /dev/null 2>&1
expect "an event joining the case whose arm divides by zero is accepted" 0 event "$db" mon.alert a2 2026-03-02T10:00:00Z '{"key": "k", "zero": 0}'
desc="the instance stalls in its wait"; check status_is "$db" i1 stalled
expect "retry while the error still holds" 0 "$h" retry i1 --db "$db" --now 2026-03-02T11:00:00Z
has "says the instance stalled again, with the error" "stalled again"
desc="the retry re-applied the event: still stalled, not resumed in the after arm"; check status_is "$db" i1 stalled
expect "tick past the wait's after 1d while stalled" 0 "$h" tick --db "$db" --now 2026-03-03T09:30:00Z
desc="a timer due while stalled does not run the instance"; check status_is "$db" i1 stalled
expect "retry once the error no longer holds" 0 "$h" retry i1 --db "$db" --now 2026-03-03T10:00:00Z --by pat --reason "zero is fixed"
if grep -q "stalled again" "$tmp/out"; then no "a retry that does not stall says only retried"; else ok "a retry that does not stall says only retried"; fi
desc="the retry resumed with the event that stalled it (the event arm, not after)"; check status_is "$db" i1 done "event 0"
expect "history of the retried instance" 0 "$h" history i1 --db "$db" --json
py "one stalled record per failed step, two retried records, one done" '
import json, sys
kinds = [json.loads(l)["kind"] for l in open(sys.argv[1]) if l.startswith("{")]
assert kinds.count("stalled") == 2 and kinds.count("retried") == 2 and kinds.count("done") == 1, kinds'
py "the retry with --by and --reason keeps them (RUNTIME.md: retried has by and reason)" '
import json, sys
retried = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{") and json.loads(l)["kind"] == "retried"]
assert [(r.get("by"), r.get("reason")) for r in retried] == [(None, None), ("pat", "zero is fixed")], retried'
event "$db" mon.boom b1 2026-03-03T11:00:00Z '{"zero": 0}' > /dev/null 2>&1
desc="an instance whose first step fails stalls"; check status_is "$db" i2 stalled
expect "retry --goto works for an instance whose first step stalled" 0 "$h" retry i2 --goto manual --db "$db" --now 2026-03-03T11:10:00Z
desc="and it runs from that state"; check status_is "$db" i2 done "by hand"

# ---- 2, 3. case joins by the instance's own program; undeploy (LANGUAGE.md "Triggers") ----
db=$tmp/cases
for key in order customer; do cat > "$tmp/orders-$key.play" <<PLAY
playbook orders

on shop.msg as a
  case a.$key

state open {
  wait {
    shop.msg as m -> done "got {m.n}"
    after 1d -> done "quiet"
  }
}
PLAY
done
"$h" deploy "$tmp/orders-order.play" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
event "$db" shop.msg e1 2026-03-02T08:30:00Z '{"order": "O1", "customer": "C1", "n": 1}' > /dev/null 2>&1
expect "a redeploy changes the case key to the customer" 0 "$h" deploy "$tmp/orders-customer.play" --db "$db" --now 2026-03-02T09:00:00Z
expect "an event of another order whose customer text equals the open order key" 0 event "$db" shop.msg e3 2026-03-02T09:30:00Z '{"order": "O7", "customer": "O1", "n": 3}'
desc="does not join the open case of the old version (its own program's key is O7)"; check status_is "$db" i1 running
expect "an event of the open order O1 after the redeploy" 0 event "$db" shop.msg e2 2026-03-02T10:00:00Z '{"order": "O1", "customer": "C9", "n": 2}'
desc="joins the case by the instance's own program (order O1)"; check status_is "$db" i1 done "got 2"
"$h" instances --db "$db" --json > "$tmp/out" 2>&1
py "e3 started one new instance of the new version; e2 started none" '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 2 and d[1]["id"] == "i2" and d[1]["status"] == "running", d'
event "$db" shop.msg e4 2026-03-02T10:30:00Z '{"order": "O4", "customer": "C4", "n": 4}' > /dev/null 2>&1
expect "undeploy the playbook" 0 "$h" undeploy orders --db "$db" --now 2026-03-02T11:00:00Z
expect "an event of the open case C4 after undeploy" 0 event "$db" shop.msg e5 2026-03-02T11:30:00Z '{"order": "O5", "customer": "C4", "n": 5}'
has "is routed to the running instance" "i3"
desc="the running instance's case keeps receiving events after undeploy"; check status_is "$db" i3 done "got 5"
expect "an event of no open case after undeploy" 0 event "$db" shop.msg e6 2026-03-02T11:40:00Z '{"order": "O6", "customer": "C6", "n": 6}'
"$h" instances --db "$db" --json > "$tmp/out" 2>&1
py "starts no instance" 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d) == 3, d'

# ---- 4. a directory load moves open seats (LANGUAGE.md "Away and delegation") ----
db=$tmp/dirload
cat > "$tmp/approve.play" <<'PLAY'
playbook approve

on ops.change as c

state decide {
  ask person("pat") "Approve {c.ref}?"
      choices yes, no
      within 2d
  {
    yes     -> done "approved"
    no      -> done "rejected"
    timeout -> done "no answer"
  }
}
PLAY
printf '{"people": {"pat": {"email": "pat@x"}, "sam": {"email": "sam@x"}}}\n' > "$tmp/d1.json"
printf '{"people": {"pat": {"email": "pat@x", "away": [{"from": "2026-03-02", "to": "2026-03-09", "delegate": "sam"}]}, "sam": {"email": "sam@x"}}}\n' > "$tmp/d2.json"
"$h" directory load "$tmp/d1.json" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
"$h" deploy "$tmp/approve.play" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
event "$db" ops.change c1 2026-03-02T09:00:00Z '{"ref": "CHG-1"}' > /dev/null 2>&1
expect "a directory load in which the holder pat is now away" 0 "$h" directory load "$tmp/d2.json" --db "$db" --now 2026-03-02T10:00:00Z
expect "tasks for the delegate" 0 "$h" tasks --for sam --db "$db"
has "the delegate sam gains the open seat" "t1"
expect "history after the load" 0 "$h" history i1 --db "$db" --json
py "a delegated record (pat to sam, why away) at the load" '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
d = [r for r in rs if r["kind"] == "delegated"]
assert len(d) == 1 and d[0]["from"] == "pat" and d[0]["to"] == "sam" and d[0]["why"] == "away", d'
expect "sam answers the moved seat" 0 "$h" answer t1 yes --by sam --db "$db" --now 2026-03-02T11:00:00Z
desc="and decides the ask"; check status_is "$db" i1 done approved

# ---- 6. who is told the outcome (LANGUAGE.md "Answers": everyone who was told of it) ----
printf '{"people": {"pat": {"email": "pat@x", "notify": "chat.dm"}, "sam": {"email": "sam@x"}, "boss": {"email": "boss@x"}}}\n' > "$tmp/d3.json"
for db in "$tmp/told1" "$tmp/told2"; do
  "$h" directory load "$tmp/d3.json" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
  "$h" deploy "$tmp/approve.play" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null 2>&1
  event "$db" ops.change c1 2026-03-02T09:00:00Z '{"ref": "CHG-1"}' > /dev/null 2>&1
  "$h" reassign t1 --from pat --to sam --by boss --db "$db" --now 2026-03-02T09:30:00Z > /dev/null 2>&1
done
expect "the new holder answers after pat was reassigned off the seat" 0 "$h" answer t1 yes --by sam --db "$tmp/told1" --now 2026-03-02T10:00:00Z
"$h" history i1 --db "$tmp/told1" --json > "$tmp/out" 2>&1
py "pat (reassigned off) and sam are each told the outcome once, on their own channel" '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
told = sorted((r["person"], r["channel"]) for r in rs if r["kind"] == "notified" and r.get("outcome") == "yes")
assert told == [("pat", "chat.dm"), ("sam", "email")], told'
expect "cancel the instance after pat was reassigned off" 0 "$h" cancel i1 --by boss --reason "duplicate" --db "$tmp/told2" --now 2026-03-02T10:00:00Z
"$h" history i1 --db "$tmp/told2" --json > "$tmp/out" 2>&1
py "the cancel notice reaches pat on chat.dm and sam by e-mail, once each" '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
told = sorted((r["person"], r["channel"]) for r in rs if r["kind"] == "notified" and "cancelled" in r.get("message", ""))
assert told == [("pat", "chat.dm"), ("sam", "email")], told'
invariants_hold "$db"
plan
