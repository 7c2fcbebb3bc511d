#!/bin/sh
# tests/e2e/cli_store.sh - the store commands as an operator uses them: deploy, trigger,
# answer, ack, tick, instances, tasks, history, retry, cancel, resolve, reassign,
# undeploy and the directory, with their exit codes, on a real store in a temporary folder. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
db=$tmp/store

cat > "$tmp/refund.play" <<'PLAY'
playbook refund

on shop.refund as refund
  case refund.order

state decide {
  ask any of person("pat"), person("sam") "Refund {refund.amount} for {refund.order}?"
      choices yes, no "No" with comment
      within 2h
      escalate to person("boss") after 1h
  {
    yes     -> { let n = refund.amount / refund.split  done "refunded {n}" }
    no      -> fail "refused"
    timeout -> done "refunded by default"
  }
}

state manual {
  done "handled by hand"
}
PLAY
# op is the operator: resolve, cancel and reassign name a person of the directory --by.
printf '{"people": {"pat": {"email": "pat@x"}, "sam": {"email": "sam@x"}, "boss": {"email": "boss@x"}, "op": {"email": "op@x"}}}\n' > "$tmp/people.json"

expect "a folder that is not a store is refused" 3 "$h" instances --db "$tmp/nowhere"
mkdir -p "$tmp/other" && echo keep > "$tmp/other/notes.txt"
expect "a folder of other files is refused" 3 "$h" deploy "$tmp/refund.play" --db "$tmp/other" --now 2026-03-02T08:00:00Z
if [ "$(ls "$tmp/other")" = "notes.txt" ]; then ok "and left untouched"; else no "and left untouched"; fi

printf 'playbook broken\n\non shop.refund as r\n\nstate s {\n  done nothing\n}\n' > "$tmp/broken.play"
expect "a deploy whose playbook does not check is refused" 1 "$h" deploy "$tmp/broken.play" --db "$db" --now 2026-03-02T08:00:00Z
if [ ! -e "$db" ]; then ok "and leaves no store behind"; else no "and leaves no store behind"; fi
mkdir "$tmp/empty"
expect "the same into an empty folder" 1 "$h" deploy "$tmp/broken.play" --db "$tmp/empty" --now 2026-03-02T08:00:00Z
if [ -d "$tmp/empty" ] && [ -z "$(ls -A "$tmp/empty")" ]; then ok "leaves the folder as it was: empty"; else no "leaves the folder as it was: empty"; fi
expect "deploy creates the store" 0 "$h" deploy "$tmp/refund.play" --db "$db" --now 2026-03-02T08:00:00Z
has "deploy prints the version" "deployed refund, version "
v1=$(sed -n 's/.*version //p' "$tmp/out")
expect "the directory loads" 0 "$h" directory load "$tmp/people.json" --db "$db" --now 2026-03-02T08:00:00Z
expect "a bad directory is refused" 1 "$h" directory load "$TOP/tests/people/away_chain/trace.jsonl" --db "$db"
printf '{"people": {"ann": {}}, "roles": {"duty": "ann"}}\n' > "$tmp/badroles.json"
expect "a role that is not a map of scopes is refused" 1 "$h" directory load "$tmp/badroles.json" --db "$db"
has "by its path" "roles.duty: not an object of scope: person id"

echo '{"order": "A1", "amount": 30, "split": 0}' > "$tmp/a1.json"
expect "trigger accepts an event" 0 sh -c "'$h' trigger shop.refund --id r-1 --db '$db' --now 2026-03-02T09:00:00Z < '$tmp/a1.json'"
has "trigger names the event" "accepted r-1"
has "and says where it went" "accepted r-1: started i1 (refund)"
expect "the same id again is a duplicate" 0 sh -c "'$h' trigger shop.refund --id r-1 --db '$db' --now 2026-03-02T09:00:00Z < '$tmp/a1.json'"
has "and says so" "duplicate"
expect "malformed JSON is refused" 1 sh -c "echo '{\"order\": ' | '$h' trigger shop.refund --id r-2 --db '$db' --now 2026-03-02T09:00:00Z"
expect "an event kind without a dot is a usage error" 2 sh -c "'$h' trigger shoprefund --db '$db' < '$tmp/a1.json'"
expect "instances lists one" 0 "$h" instances --db "$db" --json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d)==1 and d[0]["status"]=="running" and d[0]["state"]=="decide", d' "$tmp/out"; then ok "one running instance, in decide"; else no "one running instance"; fi
expect "tasks shows the inbox of pat" 0 "$h" tasks --for pat --db "$db"
has "the question is shown" "Refund 30 for A1?"
expect "--now before the store's time is refused" 1 "$h" answer t1 yes --by pat --db "$db" --now 2026-03-02T08:59:00Z
expect "a person the directory lacks is refused" 1 "$h" answer t1 yes --by mallory --db "$db" --now 2026-03-02T09:05:00Z
has "saying so, as the operator actions do" "by: no person 'mallory' in the directory"
expect "and so is an ack by one" 1 "$h" ack t1 --by mallory --db "$db" --now 2026-03-02T09:05:00Z
has "saying so" "by: no person 'mallory' in the directory"
expect "a person of the directory without a seat is refused" 1 "$h" answer t1 yes --by op --db "$db" --now 2026-03-02T09:05:00Z
has "with a reason" "op holds no open seat on task t1"
expect "ack by a holder" 0 "$h" ack t1 --by sam --db "$db" --now 2026-03-02T09:10:00Z
expect "tick at the level's time" 0 "$h" tick --db "$db" --now 2026-03-02T10:30:00Z
expect "history of the instance" 0 "$h" history i1 --db "$db" --json
if python3 - "$tmp/out" <<'PY'
import json, sys
kinds = [json.loads(l)["kind"] for l in open(sys.argv[1])]
assert kinds.count("started") == 1, kinds
assert "acknowledged" in kinds and "escalated" in kinds, kinds
PY
then ok "the history has the ack and the escalation to boss"; else no "the history has the ack and the escalation"; fi

expect "a redeploy makes a new version" 0 sh -c "sed 's/within 2h/within 3h/' '$tmp/refund.play' > '$tmp/refund2.play' && '$h' deploy '$tmp/refund2.play' --db '$db' --now 2026-03-02T10:31:00Z"
expect "instances after the redeploy" 0 "$h" instances --db "$db" --json
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["version"]==sys.argv[2], (d, sys.argv[2])' "$tmp/out" "$v1"; then ok "the running instance keeps its version"; else no "the running instance keeps its version"; fi

expect "boss answers yes: the arm divides by zero and stalls" 0 "$h" answer t1 yes --by boss --db "$db" --now 2026-03-02T10:40:00Z
expect "instances shows it stalled" 0 "$h" instances --db "$db" --status stalled
has "stalled" "stalled"
expect "retry of a running instance is refused" 1 "$h" retry i9 --db "$db" --now 2026-03-02T10:41:00Z
expect "retry --goto another state" 0 "$h" retry i1 --goto manual --db "$db" --now 2026-03-02T10:42:00Z
expect "instances shows it done" 0 "$h" instances --db "$db" --status done
has "done" "handled by hand"
expect "instances --playbook \"\" is a usage error, not a filter that keeps nothing" 2 "$h" instances --db "$db" --playbook ""
has "(saying so)" "--playbook is empty"
expect "cancel of an ended instance is refused" 1 "$h" cancel i1 --by op --reason test --db "$db" --now 2026-03-02T10:43:00Z

echo '{"order": "B2", "amount": 10, "split": 1}' > "$tmp/b2.json"
"$h" trigger shop.refund --id r-3 --db "$db" --now 2026-03-02T11:00:00Z < "$tmp/b2.json" > /dev/null 2>&1
expect "cancel with a reason of white space is refused" 1 "$h" cancel i2 --by op --reason " " --db "$db" --now 2026-03-02T11:05:00Z
has "(asking for words)" "a cancel needs a reason, in words"
expect "cancel a running instance" 0 "$h" cancel i2 --by op --reason "customer withdrew" --db "$db" --now 2026-03-02T11:05:00Z
expect "answering the cancelled instance's ask is refused" 1 "$h" answer t2 yes --by pat --db "$db" --now 2026-03-02T11:06:00Z
has "(saying why)" "task t2 is already closed: its instance was cancelled"
expect "its history ends cancelled" 0 "$h" history i2 --db "$db"
has "the holders are told" "told pat (email)"
has "the cancel is recorded" "cancelled"
expect "undeploy" 0 "$h" undeploy refund --db "$db" --now 2026-03-02T11:06:00Z
expect "an event after undeploy starts nothing" 0 sh -c "'$h' trigger shop.refund --id r-4 --db '$db' --now 2026-03-02T11:07:00Z < '$tmp/b2.json'"
has "and says so" "accepted r-4: matched no trigger"
expect "trigger --json says where an event went" 0 sh -c "echo '{}' | '$h' trigger shop.other --id r-5 --json --db '$db' --now 2026-03-02T11:08:00Z"
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["id"]=="r-5" and r["duplicate"] is False and r["went"]==[], r' "$tmp/out"; then
  ok "an event no trigger matches went nowhere"; else no "an event no trigger matches went nowhere"; fi
expect "instances" 0 "$h" instances --db "$db" --json
if python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1])))==2' "$tmp/out"; then ok "still two instances"; else no "still two instances"; fi
expect "history of an unknown instance is refused" 1 "$h" history i42 --db "$db"
expect "answer without --by is a usage error" 2 "$h" answer t1 yes --db "$db"

# The directory source changes the directory and reaches no playbook.
expect "a directory.away event" 0 sh -c "echo '{\"person\": \"pat\", \"from\": \"2026-03-03\", \"to\": \"2026-03-04\", \"delegate\": \"sam\"}' | '$h' trigger directory.away --id hr-1 --db '$db' --now 2026-03-02T12:00:00Z"
has "the directory event says so" "directory changed (away)"
expect "directory show pat" 0 "$h" directory show pat --db "$db"
has "pat's absence is in the directory" '"delegate": "sam"'
expect "directory show of an id the directory lacks is refused" 1 "$h" directory show nobody --db "$db"
has "naming the id" "no person, team, calendar, role or owner kind 'nobody' in the directory"
expect "an unknown directory event type is refused" 1 sh -c "echo '{\"person\": \"pat\"}' | '$h' trigger directory.moved --db '$db' --now 2026-03-02T12:01:00Z"

# Pre-flight: huddle check --directory and huddle deploy report the same findings, as
# warnings (tests/e2e/cli_preflight.sh compares them).
cat > "$tmp/ghosts.play" <<'PLAY'
playbook ghosts

on shop.refund as refund

state s {
  notify person("nobody") "hello"
  done "ok"
}
PLAY
expect "check --directory warns of a person the directory lacks" 0 "$h" check "$tmp/ghosts.play" --directory "$tmp/people.json"
has "and names them" "warning: no person 'nobody' in the directory"
expect "deploy warns about them and deploys" 0 "$h" deploy "$tmp/ghosts.play" --db "$db" --now 2026-03-02T12:02:00Z
has "the warning is printed" "warning: no person 'nobody' in the directory"

# Operators: reassign a seat, then decide the ask as an override.
ops=$tmp/ops
expect "a second store" 0 "$h" deploy "$tmp/refund.play" --db "$ops" --now 2026-03-02T08:00:00Z
expect "with the directory" 0 "$h" directory load "$tmp/people.json" --db "$ops" --now 2026-03-02T08:00:00Z
echo '{"order": "C3", "amount": 12, "split": 1}' > "$tmp/c3.json"
expect "an ask opens" 0 sh -c "'$h' trigger shop.refund --id c-3 --db '$ops' --now 2026-03-02T09:00:00Z < '$tmp/c3.json'"
expect "reassign to someone the directory lacks is refused" 1 "$h" reassign t1 --from pat --to zed --by op --db "$ops" --now 2026-03-02T09:01:00Z
has "naming them" "no person 'zed' in the directory"
expect "reassign from a non-holder is refused" 1 "$h" reassign t1 --from boss --to sam --by op --db "$ops" --now 2026-03-02T09:01:00Z
has "saying so" "boss holds no open seat on task t1"
expect "reassign without --to is a usage error" 2 "$h" reassign t1 --from pat --by op --db "$ops"
expect "reassign pat's seat to boss" 0 "$h" reassign t1 --from pat --to boss --by op --db "$ops" --now 2026-03-02T09:02:00Z
has "the command says so" "reassigned t1: pat's seat now held by boss"
expect "boss's inbox" 0 "$h" tasks --for boss --db "$ops"
has "has the ask" "Refund 12 for C3?"
expect "pat's inbox" 0 "$h" tasks --for pat --db "$ops"
has "is empty" "no open asks for pat"
expect "pat can no longer answer" 1 "$h" answer t1 yes --by pat --db "$ops" --now 2026-03-02T09:03:00Z
expect "an override with an unknown choice is refused" 1 "$h" resolve t1 maybe --by op --reason "why not" --db "$ops" --now 2026-03-02T09:04:00Z
has "listing the choices" "task t1 has no choice 'maybe' (its choices: yes, no)"
expect "an override with an empty reason is refused" 1 "$h" resolve t1 no --by op --reason "" --db "$ops" --now 2026-03-02T09:04:00Z
expect "an override with a reason of white space is refused" 1 "$h" resolve t1 no --by op --reason "   " --db "$ops" --now 2026-03-02T09:04:00Z
has "(asking for words)" "an override needs a reason, in words"
expect "resolve as an override" 0 "$h" resolve t1 no --by op --reason "legal says no" --db "$ops" --now 2026-03-02T09:05:00Z
expect "the instance took the arm" 0 "$h" instances --db "$ops" --status failed
has "failed" "refused"
expect "resolving again is refused" 1 "$h" resolve t1 yes --by op --reason again --db "$ops" --now 2026-03-02T09:06:00Z
has "it is resolved" "task t1 is already resolved (no)"
expect "history" 0 "$h" history i1 --db "$ops" --json
if python3 - "$tmp/out" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
d = [r for r in rs if r["kind"] == "delegated"]
assert len(d) == 1 and d[0]["why"] == "reassigned" and d[0]["from"] == "pat" and d[0]["to"] == "boss" and d[0]["by"] == "op" and d[0]["seat"] == 0, d
o = [r for r in rs if r["kind"] == "overridden"]
assert len(o) == 1 and o[0]["choice"] == "no" and o[0]["by"] == "op" and o[0]["reason"] == "legal says no" and o[0]["votes"] == [], o
kinds = [r["kind"] for r in rs]
assert kinds.index("overridden") < kinds.index("resolved") < kinds.index("failed"), kinds
told = [r["person"] for r in rs if r["kind"] == "notified"]
assert "boss" in told, told
PY
then ok "delegated (reassigned), overridden, resolved and failed are recorded in order"; else no "the override records"; fi

# One of a kind reads in the singular: "1 person, 1 team, 1 calendar", "1 connector",
# "1 record of 1 instance" (they said "1 teams", "1 connectors", "1 instances").
one=$tmp/one
cat > "$tmp/one_dir.json" <<'JSON'
{"people": {"pat": {"name": "Pat", "email": "pat@example.com", "calendar": "office"}},
 "teams": {"desk": {"members": ["pat"], "lead": "pat"}},
 "calendars": {"office": {"zone": "UTC", "hours": {"mon-fri": "09:00-17:00"}}}}
JSON
expect "a directory of one of each loads" 0 "$h" directory load "$tmp/one_dir.json" --db "$one"
has "(in the singular)" "loaded 1 person, 1 team, 1 calendar"
cat > "$tmp/one_conn.json" <<'JSON'
{"shop": {"kind": "webhook", "id": "/id", "type": "/type"}}
JSON
cat > "$tmp/one.play" <<'PLAY'
playbook one

on shop.ping as p

state s {
  done "pong"
}
PLAY
expect "deploy with one connector" 0 "$h" deploy "$tmp/one.play" --connectors "$tmp/one_conn.json" --db "$one"
has "(kept, in the singular)" "kept 1 connector (huddle connectors shows them)"
echo '{}' > "$tmp/one_ev.json"
expect "one event" 0 sh -c "\"\$0\" trigger shop.ping --id p1 --db \"\$1\" < \"\$2\"" "$h" "$one" "$tmp/one_ev.json"
expect "audit verify of one instance" 0 "$h" audit verify --db "$one"
has "(one instance)" "records of 1 instance, head "

# deploy FILE... takes any number of playbooks: the five workflows and one more (it
# refused a fifth as "too many arguments")
many="$tmp/many"
expect "deploy of six playbooks at once" 0 "$h" deploy "$TOP"/workflows/*/*.play "$tmp/one.play" --db "$many"
has "(the sixth deployed too)" "deployed one, version "
expect "huddle playbooks lists them" 0 "$h" playbooks --db "$many"
has "(service_outage among them)" "service_outage"

# After answers, an ack, a tick, a stall, a retry, a cancel, a reassignment and an
# override, each store still holds its invariants, its gauges among them (meta's open
# tasks and running and stalled instances, moved by every one of those commands, are
# what its records count: store_invariants).
invariants_hold "$db" "$ops"
plan
