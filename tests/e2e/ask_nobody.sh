#!/bin/sh
# tests/e2e/ask_nobody.sh - an ask of one that nobody can answer, on a real store
# (LANGUAGE.md v1.2, "Seats and quorum"): with no no_quorum arm it stays open after its
# last level instead of stalling, `huddle reassign TASK --to P` (no --from) gives its
# seat with no holder to P, and P's answer decides it. A reassignment re-checks the
# quorum: handing a 2-of ask's open seat to someone who already answered leaves no
# choice able to win, so no_quorum runs at once. An ask that nobody can answer from its
# start and has no level to come runs no_quorum in the step that asked (a 2-of-3 ask
# with one person found), or, with no no_quorum arm, stays open with an `unresolved`
# record from that step on; an arm that leads back to such an ask stalls after 100
# rounds, and a directory that gives the seat someone lets `huddle retry` go on.
# Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
# records FILE PYTHON: the --json history in FILE as `r` (a list of records), then PYTHON
# must exit 0.
records() { python3 - "$1" "$2" > "$tmp/py" 2>&1 <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
exec(sys.argv[2])
PY
}
scenario=tests/people/ask_one_nobody_waits
db=$tmp/store
now=2026-06-02T09:00:00Z

expect "deploy the ask of one" 0 "$h" deploy "$scenario/playbook.play" --db "$db" --now $now
expect "load its directory" 0 "$h" directory load "$scenario/directory.json" --db "$db" --now $now
echo '{"ref": "CHG-1", "region": "mars"}' > "$tmp/c1.json"
expect "the event starts it" 0 sh -c "'$h' trigger ops.case --id c1 --db '$db' --now $now < '$tmp/c1.json'"
expect "the last level passes" 0 "$h" tick --db "$db" --now 2026-06-02T10:30:00Z
expect "history" 0 "$h" history i1 --db "$db" --json
cp "$tmp/out" "$tmp/h1"
if records "$tmp/h1" '
assert not [x for x in r if x["kind"] in ("stalled", "resolved")], "closed or stalled"
u = [x for x in r if x["kind"] == "unresolved" and x.get("task") == "t1"]
assert len(u) == 1 and "stays open until its deadline" in u[0]["why"], u'
then ok "no stall: the ask is open, one unresolved record says why"; else cat "$tmp/py" > "$tmp/out"; no "no stall: the ask is open, one unresolved record says why"; fi
expect "reassign --from someone who holds no seat is refused" 1 "$h" reassign t1 --from zed --to erin --by op --db "$db" --now 2026-06-02T10:40:00Z
has "and says why" "zed holds no open seat on task t1"
expect "reassign to a person the directory lacks is refused" 1 "$h" reassign t1 --to zed --by op --db "$db" --now 2026-06-02T10:40:00Z
expect "reassign without --from gives the empty seat" 0 "$h" reassign t1 --to erin --by op --db "$db" --now 2026-06-02T10:45:00Z
has "the command says so" "reassigned t1: its seats with no holder now held by erin"
expect "a second time there is no empty seat left" 1 "$h" reassign t1 --to erin --by op --db "$db" --now 2026-06-02T10:46:00Z
has "and the refusal says what to do" "name the holder to replace with --from"
expect "erin answers" 0 "$h" answer t1 yes --by erin --db "$db" --now 2026-06-02T11:00:00Z
expect "history again" 0 "$h" history i1 --db "$db" --json
cp "$tmp/out" "$tmp/h2"
if records "$tmp/h2" '
d = [x for x in r if x["kind"] == "delegated"]
assert len(d) == 1 and d[0]["from"] is None and d[0]["to"] == "erin" and d[0]["why"] == "reassigned" and d[0]["seat"] == 0 and d[0]["by"] == "op", d
res = [x for x in r if x["kind"] == "resolved"]
assert len(res) == 1 and res[0]["choice"] == "yes", res
assert r[-1]["kind"] == "done" and r[-1]["outcome"] == "approved", r[-1]'
then ok "delegated (from nobody), then erin decides"; else cat "$tmp/py" > "$tmp/out"; no "delegated (from nobody), then erin decides"; fi

# A 2-of ask: ann answers yes on her seat; bob's seat handed to ann leaves one open seat
# that only someone who already answered holds, so no choice can reach 2: no_quorum now.
cat > "$tmp/two.play" <<'PLAY'
playbook two_of

on ops.case as c

state decide {
  ask 2 of person("ann"), person("bob") "Approve {c.ref}?"
      choices yes, no
      within 4h
  {
    yes       -> done "approved"
    no        -> done "rejected"
    no_quorum -> done "no quorum"
    timeout   -> fail "no answer"
  }
}
PLAY
db2=$tmp/store2
printf '{"people": {"ann": {"email": "ann@x"}, "bob": {"email": "bob@x"}, "op": {"email": "op@x"}}}\n' > "$tmp/two.json"
expect "deploy a 2-of ask" 0 "$h" deploy "$tmp/two.play" --db "$db2" --now $now
expect "load its directory" 0 "$h" directory load "$tmp/two.json" --db "$db2" --now $now
expect "start it" 0 sh -c "'$h' trigger ops.case --id c1 --db '$db2' --now $now < '$tmp/c1.json'"
expect "ann answers yes" 0 "$h" answer t1 yes --by ann --db "$db2" --now 2026-06-02T09:10:00Z
expect "bob's seat goes to ann" 0 "$h" reassign t1 --from bob --to ann --by op --db "$db2" --now 2026-06-02T09:20:00Z
expect "history" 0 "$h" history i1 --db "$db2" --json
cp "$tmp/out" "$tmp/h3"
if records "$tmp/h3" '
res = [x for x in r if x["kind"] == "resolved"]
assert len(res) == 1 and res[0]["choice"] == "no_quorum" and res[0]["at"].startswith("2026-06-02T09:20"), res
assert r[-1]["kind"] == "done" and r[-1]["outcome"] == "no quorum", r[-1]'
then ok "the reassignment re-checks the quorum: no_quorum at once"; else cat "$tmp/py" > "$tmp/out"; no "the reassignment re-checks the quorum: no_quorum at once"; fi
# From the start: 2 of 3 seats, one person found, no level to come: no_quorum in the
# step the event started (tests/lang/run/ask_two_of_three_one_found.play).
people=tests/lang/run/people.json
db3=$tmp/store3
expect "deploy a 2-of-3 ask" 0 "$h" deploy tests/lang/run/ask_two_of_three_one_found.play --db "$db3" --now $now
expect "load the directory" 0 "$h" directory load "$people" --db "$db3" --now $now
echo '{"amount": 10}' > "$tmp/r1.json"
expect "the event starts it" 0 sh -c "'$h' trigger shop.refund_requested --id r1 --db '$db3' --now $now < '$tmp/r1.json'"
expect "instances" 0 "$h" instances --db "$db3" --json
has "it failed in that step, no deadline waited for" '"outcome": "no quorum"'
expect "no open task" 0 "$h" tasks --db "$db3" --json
if [ "$(tr -d ' \n' < "$tmp/out")" = "[]" ]; then ok "the task is closed"; else no "the task is closed"; fi
expect "history" 0 "$h" history i1 --db "$db3" --json
cp "$tmp/out" "$tmp/h4"
if records "$tmp/h4" '
res = [x for x in r if x["kind"] == "resolved"]
assert len(res) == 1 and res[0]["choice"] == "no_quorum" and res[0]["at"].startswith("2026-06-02T09:00:00"), res
assert not [x for x in r if x["kind"] == "timer"], "a timer was set"
told = [x for x in r if x["kind"] == "notified" and x.get("outcome") == "no_quorum"]
assert [x["person"] for x in told] == ["ana"], told'
then ok "resolved no_quorum at the trigger, ana told"; else cat "$tmp/py" > "$tmp/out"; no "resolved no_quorum at the trigger, ana told"; fi

# From the start, an ask of one with no no_quorum arm: open, with its unresolved record
# at once; reassign gives the seat and the answer decides it.
db4=$tmp/store4
expect "deploy an ask of one nobody holds" 0 "$h" deploy tests/lang/run/ask_one_nobody_until_deadline.play --db "$db4" --now $now
expect "load the directory" 0 "$h" directory load "$people" --db "$db4" --now $now
expect "start it" 0 sh -c "'$h' trigger ops.change --id c1 --db '$db4' --now $now < '$tmp/c1.json'"
expect "the task is open" 0 "$h" tasks --db "$db4"
has "t1 listed" "t1"
expect "history" 0 "$h" history i1 --db "$db4" --json
cp "$tmp/out" "$tmp/h5"
if records "$tmp/h5" '
u = [x for x in r if x["kind"] == "unresolved" and x.get("task") == "t1"]
assert len(u) == 1 and u[0]["at"].startswith("2026-06-02T09:00:00"), u
assert not [x for x in r if x["kind"] in ("resolved", "stalled")], r'
then ok "open, one unresolved record from the start"; else cat "$tmp/py" > "$tmp/out"; no "open, one unresolved record from the start"; fi
expect "reassign the seat with no holder" 0 "$h" reassign t1 --to ana --by craig --db "$db4" --now 2026-06-02T09:30:00Z
expect "ana answers" 0 "$h" answer t1 yes --by ana --db "$db4" --now 2026-06-02T09:40:00Z
expect "instances" 0 "$h" instances --db "$db4" --json
has "approved" '"outcome": "approved"'

# An arm that leads back to the ask: stalls after 100 rounds; once the team has a
# member, huddle retry resumes with the kept no_quorum and the new ask waits for ana.
db5=$tmp/store5
expect "deploy the loop" 0 "$h" deploy tests/lang/run/ask_nobody_loop.play --db "$db5" --now $now
expect "load the directory" 0 "$h" directory load "$people" --db "$db5" --now $now
expect "start it" 0 sh -c "'$h' trigger ops.change --id c1 --db '$db5' --now $now < '$tmp/c1.json'"
expect "instances" 0 "$h" instances --db "$db5" --status stalled
has "it stalled" "i1"
expect "history" 0 "$h" history i1 --db "$db5"
has "and says why" "no_quorum ran at once 100 times in one step"
sed 's/"vacant": *{"members": \[\]}/"vacant": {"members": ["ana"]}/' "$people" > "$tmp/people2.json"
expect "the team gets a member" 0 "$h" directory load "$tmp/people2.json" --db "$db5" --now 2026-06-02T09:10:00Z
expect "retry" 0 "$h" retry i1 --db "$db5" --now 2026-06-02T09:20:00Z
expect "ana holds the new ask" 0 "$h" tasks --for ana --db "$db5" --json
has "t101" '"t101"'
expect "ana answers" 0 "$h" answer t101 yes --by ana --db "$db5" --now 2026-06-02T09:30:00Z
expect "instances" 0 "$h" instances --db "$db5" --json
has "approved after the retry" '"outcome": "approved"'
invariants_hold "$db" "$db2" "$db3" "$db4" "$db5"
plan
