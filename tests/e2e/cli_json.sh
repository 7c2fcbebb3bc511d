#!/bin/sh
# tests/e2e/cli_json.sh - every store command says what happened (issue 9, "the command
# line tells the truth"): --json on every write command (deploy: name and version;
# trigger: a duplicate says so; answer: the task and what came next, the new task or the
# outcome; ack; tick: the timers fired and what they did; retry, cancel, resolve,
# reassign, undeploy, directory load: the result); the human output says the same; an
# unknown --status or an option the command does not take is exit 2 with a sentence.
# On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 43
db=$tmp/store

cat > "$tmp/two.play" <<'PLAY'
playbook two

on shop.refund as refund
  case refund.order

state decide {
  ask person("pat") "Refund {refund.order}?"
      choices yes, stop
      within 2h
      escalate to person("boss") after 1h
  {
    yes     -> confirm
    stop    -> done "kept"
    timeout -> done "late"
  }
}

state confirm {
  ask person("pat") "Sure about {refund.order}?"
      choices yes, stop
      within 2h
  {
    yes     -> { let n = refund.amount / refund.split  done "refunded {n}" }
    stop    -> done "kept"
    timeout -> done "late"
  }
}
PLAY
printf '{"people": {"pat": {"email": "pat@x"}, "boss": {"email": "boss@x"}, "op": {"email": "op@x"}}}\n' > "$tmp/people.json"

expect "deploy --json" 0 "$h" deploy "$tmp/two.play" --db "$db" $(now 08:00) --json
json "says the playbook and its version" 'j["playbook"] == "two" and len(j["version"]) == 64'
expect "directory load --json" 0 "$h" directory load "$tmp/people.json" --db "$db" $(now 08:00) --json
json "says how many people, teams and calendars it loaded" 'j == {"loaded": {"people": 3, "teams": 0, "calendars": 0}, "instances": [], "records": []}'
echo '{"order": "A1", "amount": 30, "split": 2}' > "$tmp/a1.json"
expect "trigger --json" 0 sh -c "'$h' trigger shop.refund --id r-1 --db '$db' $(now 09:00) --json < '$tmp/a1.json'"
json "says where the event went" 'j["went"] == [{"playbook": "two", "instance": "i1", "as": "started"}] and j["duplicate"] is False'
expect "the same id again --json" 0 sh -c "'$h' trigger shop.refund --id r-1 --db '$db' $(now 09:01) --json < '$tmp/a1.json'"
json "says it already has it, gone nowhere" 'j["duplicate"] is True and j["went"] == []'

expect "answer --json" 0 "$h" answer t1 yes --by pat --db "$db" $(now 09:10) --json
json "says the task, the choice and who" 'j["answered"] == {"task": "t1", "choice": "yes", "by": "pat", "comment": None}'
json "and what came next: the new task" 'j["instances"] == [{"id": "i1", "status": "running", "state": "confirm", "outcome": None, "task": "t2"}]'
json "with the records it wrote" '[r["kind"] for r in j["records"]][:2] == ["answered", "resolved"] and "asked" in [r["kind"] for r in j["records"]]'
expect "ack --json" 0 "$h" ack t2 --by pat --db "$db" $(now 09:11) --json
json "says the task and who" 'j["acknowledged"] == {"task": "t2", "by": "pat"} and j["records"][0]["kind"] == "acknowledged"'
expect "answer, human" 0 "$h" answer t2 yes --by pat --db "$db" $(now 09:12)
has "says what came next: the outcome" "i1: done: refunded 15"

echo '{"order": "B2", "amount": 30, "split": 0}' > "$tmp/b2.json"
expect "a second case" 0 sh -c "'$h' trigger shop.refund --id r-2 --db '$db' $(now 09:20) < '$tmp/b2.json'"
expect "tick with nothing due" 0 "$h" tick --db "$db" $(now 09:30)
has "says nothing was due" "nothing was due"
expect "tick --json past an escalation" 0 "$h" tick --db "$db" $(now 10:30) --json
json "says it fired one timer, at when" 'j["tick"] == {"now": "2026-03-02T10:30:00Z", "fired": 1}'
json "and what it did: t3 escalated to boss" 'j["records"][0]["kind"] == "escalated" and j["records"][0]["task"] == "t3" and j["instances"][0]["task"] == "t3"'
expect "tick, human, past the deadline" 0 "$h" tick --db "$db" $(now 12:00)
has "says what it fired" "fired 1 timer:"
has "and what the timer did, in huddle history's words" "i2  t3 decided: timeout"
has "and where the instance is" "i2: done: late"

echo '{"order": "C3", "amount": 30, "split": 0}' > "$tmp/c3.json"
expect "a third case" 0 sh -c "'$h' trigger shop.refund --id r-3 --db '$db' $(now 12:05) < '$tmp/c3.json'"
expect "reassign --json" 0 "$h" reassign t4 --from pat --to boss --by op --db "$db" $(now 12:06) --json
json "says the seat it handed over" 'j["reassigned"] == {"task": "t4", "from": "pat", "to": "boss", "by": "op"} and j["records"][0]["kind"] == "delegated"'
expect "resolve --json" 0 "$h" resolve t4 yes --by op --reason "on the phone" --db "$db" $(now 12:07) --json
json "says the override and the next task" 'j["resolved"]["choice"] == "yes" and j["instances"][0]["task"] == "t5"'
expect "an answer that divides by zero stalls" 0 "$h" answer t5 yes --by pat --db "$db" $(now 12:08) --json
json "and says so" 'j["instances"][0]["status"] == "stalled"'
expect "retry --json" 0 "$h" retry i3 --goto decide --db "$db" $(now 12:09) --json
json "says the instance and where it went" 'j["retried"] == {"instance": "i3", "goto": "decide"} and j["instances"][0]["state"] == "decide"'
expect "cancel --json" 0 "$h" cancel i3 --by op --reason "duplicate" --db "$db" $(now 12:10) --json
json "says who cancelled and that it is" 'j["cancelled"]["by"] == "op" and j["instances"][0]["status"] == "cancelled"'
expect "undeploy --json" 0 "$h" undeploy two --db "$db" $(now 12:11) --json
json "says the playbook" 'j["undeployed"] == {"playbook": "two"}'

expect "an unknown --status is a usage error" 2 "$h" instances --db "$db" --status runing
has "with a sentence" "--status 'runing' is not a status"
expect "an option the command does not take is a usage error" 2 "$h" deploy "$tmp/two.play" --db "$db" --for pat
has "naming it" "deploy takes no option '--for'"
