#!/bin/sh
# tests/e2e/ask_nobody.sh - an ask of one that nobody can answer, on a real store
# (LANGUAGE.md v1.2, "Seats and quorum"): with no no_quorum arm it stays open after its
# last level instead of stalling, `huddle reassign TASK --to P` (no --from) gives its
# seat with no holder to P, and P's answer decides it. A reassignment re-checks the
# quorum: handing a 2-of ask's open seat to someone who already answered leaves no
# choice able to win, so no_quorum runs at once. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
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
plan
