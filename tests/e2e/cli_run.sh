#!/bin/sh
# tests/e2e/cli_run.sh - `huddle run` as an author uses it: a playbook, a trace and mocks
# in, a timeline or JSON records out; bad traces refused with the line that is wrong.
# Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
show_lines=30

w=workflows/card_fraud
expect "the card fraud trace runs" 0 "$h" run $w/card_fraud.play --events $w/trace.jsonl --mocks $w/mocks.json
has "an event starts an instance with its case" 'i1   started  card_fraud, from fraudwatch.alert fw-301 (case "4111-XX-0042")'
has "a mocked call replies" 'bank.lookup replied {"card":"4111-XX-0042"'
has "the ask names its holders and deadline" 'to ana; ben; chloe, choices ["freeze","watch","clear"], answer by 14:32'
has "a second event of the case joins" "joined by fraudwatch.alert fw-302"
has "two of three decide" "t1 decided: watch"
has "the after timer is set in local time" "timer: after at 16:20"
has "a stronger alert is taken by the wait" "-> frozen"
has "the instance ends with its outcome" "done     frozen"
has "the summary lists the instance" "i1    card_fraud               done      frozen               frozen"

expect "--json runs too" 0 "$h" run $w/card_fraud.play --events $w/trace.jsonl --mocks $w/mocks.json --json
if python3 - "$tmp/out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
records, summary = lines[:-1], lines[-1]
kinds = [r["kind"] for r in records]
for k in ["started", "entered", "tagged", "called", "replied", "noted", "asked", "timer", "joined",
          "answered", "resolved", "sent", "notified", "done"]:
    assert k in kinds, k
for r in records:
    assert {"at", "instance", "seq", "kind", "state"} <= set(r), r
seqs = [r["seq"] for r in records if r["instance"] == "i1"]
assert seqs == list(range(1, len(seqs) + 1)), seqs
resolved = [r for r in records if r["kind"] == "resolved"][0]
assert resolved["choice"] == "watch" and len(resolved["votes"]) == 3, resolved
inst = summary["summary"]["instances"][0]
assert inst["id"] == "i1" and inst["status"] == "done" and inst["outcome"] == "frozen", inst
assert "4111-XX-0042" in inst["tags"], inst
PY
then ok "--json gives every record with at, instance, seq, kind, state, and a summary"; else no "--json records and summary"; fi

# A playbook of our own: deadlines, a wrong answer, a duplicate event.
cat > "$tmp/approve.play" <<'PLAY'
playbook approve

on shop.refund as refund

state ask_boss {
  ask person("boss") "Refund {refund.amount}?"
      choices yes, no "No" with comment
      within 1h
  {
    yes     -> done "refunded"
    no      -> { note "refused: {answer.comment}" fail "refused" }
    timeout -> done "refunded by default"
  }
}
PLAY
printf '%s\n' '{"at": "2026-01-05T09:00:00Z", "event": {"source": "shop", "type": "refund", "id": "r1", "data": {"amount": 20}}}' \
  '{"at": "2026-01-05T09:00:00Z", "event": {"source": "shop", "type": "refund", "id": "r1", "data": {"amount": 20}}}' \
  '{"at": "2026-01-05T12:00:00Z", "end": true}' > "$tmp/timeout.jsonl"
expect "a deadline fires on the virtual clock" 0 "$h" run "$tmp/approve.play" --events "$tmp/timeout.jsonl"
has "the timeout arm runs at the deadline" "10:00  i1     t1 decided: timeout"
has "the instance ends by the timeout arm" "done     refunded by default"
hasnt "a repeated event id starts nothing" "i2"

printf '%s\n' '{"at": "2026-01-05T09:00:00Z", "event": {"source": "shop", "type": "refund", "id": "r1", "data": {"amount": 20}}}' \
  '{"at": "2026-01-05T09:10:00Z", "answer": {"by": "boss", "choice": "no", "comment": "not eligible"}}' > "$tmp/no.jsonl"
expect "an answer with a comment resolves the ask" 0 "$h" run "$tmp/approve.play" --events "$tmp/no.jsonl"
has "the arm sees the comment" "note: refused: not eligible"
has "fail ends the instance as failed" "FAILED   refused"

# A line the runtime refuses is shown where it happened and the run goes on (exit 0);
# tests/e2e/run_refused.sh has the rest. A trace that cannot be read stops it (exit 1).
shown() { # shown DESCRIPTION MESSAGE LINE-2-JSON
  printf '%s\n%s\n' '{"at": "2026-01-05T09:00:00Z", "event": {"source": "shop", "type": "refund", "id": "r1", "data": {"amount": 20}}}' "$3" > "$tmp/bad.jsonl"
  expect "$1 is refused, and the run goes on" 0 "$h" run "$tmp/approve.play" --events "$tmp/bad.jsonl"
  has "$1: shown with its line and why" "REFUSED  trace line 2: $2"
}
shown "an unknown choice" "task t1 has no choice 'maybe' (its choices: yes, no)" '{"at": "2026-01-05T09:05:00Z", "answer": {"by": "boss", "choice": "maybe"}}'
shown "a missing comment" "choice 'no' needs a comment" '{"at": "2026-01-05T09:05:00Z", "answer": {"by": "boss", "choice": "no"}}'
shown "a blank comment" "choice 'no' needs a comment" '{"at": "2026-01-05T09:05:00Z", "answer": {"by": "boss", "choice": "no", "comment": " \t "}}'
shown "a person with no seat" "mallory holds no seat on an open ask" '{"at": "2026-01-05T09:05:00Z", "answer": {"by": "mallory", "choice": "yes"}}'
shown "an unknown task" "no task 't9'" '{"at": "2026-01-05T09:05:00Z", "answer": {"task": "t9", "by": "boss", "choice": "yes"}}'
refused() { # refused DESCRIPTION MESSAGE LINE-2-JSON
  printf '%s\n%s\n' '{"at": "2026-01-05T09:00:00Z", "event": {"source": "shop", "type": "refund", "id": "r1", "data": {"amount": 20}}}' "$3" > "$tmp/bad.jsonl"
  expect "$1 is refused" 1 "$h" run "$tmp/approve.play" --events "$tmp/bad.jsonl"
  has "$1: the message names the line" "trace line 2: "
  has "$1: the message says why" "$2"
}
refused "a line out of time order" "is earlier than the line before" '{"at": "2026-01-05T08:00:00Z", "end": true}'
refused "a line that is not JSON" "not a JSON object" '{"at": '
refused "a line with nothing to do" "none of event, answer" '{"at": "2026-01-05T09:05:00Z"}'
expect "a missing trace is refused" 1 "$h" run "$tmp/approve.play" --events "$tmp/none.jsonl"
expect "run without --events is a usage error" 2 "$h" run "$tmp/approve.play"

# Every workflow runs its own trace to a decision, with its directory and mocks.
for dir in workflows/*/; do
  name=$(basename "$dir")
  [ -f "$dir/trace.jsonl" ] || continue
  set -- run "$dir/$name.play" --events "$dir/trace.jsonl" --json
  [ -f "$dir/mocks.json" ] && set -- "$@" --mocks "$dir/mocks.json"
  [ -f "$dir/directory.json" ] && set -- "$@" --directory "$dir/directory.json"
  expect "workflow $name runs its trace" 0 "$h" "$@"
  if tail -n 1 "$tmp/out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]["instances"]; assert s and all(i["status"] == "done" for i in s), s'; then
    ok "workflow $name ends done"
  else
    no "workflow $name ends done"
  fi
done


# Events no wait takes stay in the mailbox until the instance ends, then are discarded
# and counted in the final record; beyond 1,000 the oldest go, counted too.
cat > "$tmp/mail.play" <<'PLAY'
playbook mail "Mailbox keeps what no wait took"

on crm.note as n
  case n.key for 1d

state start {
  wait {
    crm.note as m when m.last == true -> finish
    after 1d -> finish
  }
}

state finish {
  done "finished"
}
PLAY
python3 - "$tmp/mail.jsonl" 3 <<'PY'
import json, sys
out, extra = open(sys.argv[1], "w"), int(sys.argv[2])
def line(i, last):
    ev = {"source": "crm", "type": "note", "id": "n%d" % i, "data": {"key": "k", "last": last}}
    out.write(json.dumps({"at": "2026-06-01T09:%02d:%02dZ" % (i // 60 % 60, i % 60), "event": ev}) + "\n")
line(0, False)
for i in range(1, 1 + extra):
    line(i, False)
line(1 + extra, True)
PY
expect "unmatched events wait in the mailbox" 0 "$h" run "$tmp/mail.play" --events "$tmp/mail.jsonl" --json
if python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])][:-1]
done = [r for r in rs if r["kind"] == "done"]
assert len(done) == 1 and done[0]["discarded"] == 3, done' "$tmp/out"; then
  ok "the final record counts the 3 events no wait took"
else
  no "the final record counts the 3 events no wait took"
fi
python3 - "$tmp/mail.jsonl" 1003 <<'PY'
import json, sys
out, extra = open(sys.argv[1], "w"), int(sys.argv[2])
def line(i, last):
    ev = {"source": "crm", "type": "note", "id": "n%d" % i, "data": {"key": "k", "last": last}}
    out.write(json.dumps({"at": "2026-06-01T%02d:%02d:%02dZ" % (9 + i // 3600, i // 60 % 60, i % 60), "event": ev}) + "\n")
for i in range(0, 1 + extra):
    line(i, False)
line(1 + extra, True)
PY
expect "a busy case runs" 0 "$h" run "$tmp/mail.play" --events "$tmp/mail.jsonl" --json
if python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])][:-1]
done = [r for r in rs if r["kind"] == "done"]
joined = [r for r in rs if r["kind"] == "joined"]
assert len(joined) == 1004, len(joined)
assert len(done) == 1 and done[0]["discarded"] == 1003, done' "$tmp/out"; then
  ok "beyond 1,000 waiting events the oldest are discarded, and every one is counted"
else
  no "beyond 1,000 waiting events the oldest are discarded, and every one is counted"
fi

# An event that starts and joins nothing says why on the timeline.
printf '%s\n' '{"at": "2026-06-01T09:00:00Z", "event": {"source": "crm", "type": "note", "id": "k0", "data": {}}}' \
  '{"at": "2026-06-01T09:01:00Z", "event": {"source": "crm", "type": "call", "id": "k1", "data": {}}}' > "$tmp/nokey.jsonl"
expect "events that start nothing still run" 0 "$h" run "$tmp/mail.play" --events "$tmp/nokey.jsonl"
has "a null case key is shown" "crm.note k0 did not match mail: case: the key is null"
has "an event no trigger knows is shown" "crm.call k1 matched no trigger"

# An away line whose delegate is not a person id is refused with its line number.
printf '%s\n' '{"at": "2026-06-01T09:00:00Z", "away": {"person": "ann", "from": "2026-06-01", "to": "2026-06-02", "delegate": 5}}' > "$tmp/away.jsonl"
expect "a delegate that is not text is refused" 1 "$h" run "$tmp/mail.play" --events "$tmp/away.jsonl"
has "saying where and why" 'trace line 1: "delegate" is a person id, in quotes'

# A first step that stalls names the state it stalled in.
printf 'playbook st\n\non a.b as e\n\nstate first {\n  let n = e.count + 1\n  done "ok {n}"\n}\n' > "$tmp/st.play"
printf '%s\n' '{"at": "2026-06-01T09:00:00Z", "event": {"source": "a", "type": "b", "id": "x1", "data": {"count": "three"}}}' > "$tmp/st.jsonl"
expect "a playbook whose first step fails runs" 0 "$h" run "$tmp/st.play" --events "$tmp/st.jsonl" --json
if python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
stalled = [r for r in lines[:-1] if r["kind"] == "stalled"]
assert len(stalled) == 1 and stalled[0]["state"] == "first" and "st.play:6:" in stalled[0]["error"], stalled
assert lines[-1]["summary"]["instances"][0]["state"] == "first", lines[-1]' "$tmp/out"; then
  ok "the stalled record and the summary name the state"
else
  no "the stalled record and the summary name the state"
fi

# An escalation names who was added, not a JSON map.
w=workflows/product_complaint
expect "the reference playbook runs" 0 "$h" run $w/product_complaint.play --events $w/trace.jsonl --directory $w/directory.json --mocks $w/mocks.json
has "the escalation names the person added" "t1 escalated to level 1: craig"

# A wait arm's `when` that raised an error is told in words, not as the record's JSON.
cat > "$tmp/wf.play" <<'PLAY'
playbook wf
on test.event as ev case ev.k
state s {
  wait {
    test.event as m when m.n > 1 -> done "big"
    after 1h -> done "quiet"
  }
}
PLAY
printf '%s\n' '{"at":"2026-06-15T09:00:00Z","event":{"source":"test","type":"event","id":"e1","data":{"k":"a","n":0}}}' \
  '{"at":"2026-06-15T09:10:00Z","event":{"source":"test","type":"event","id":"e2","data":{"k":"a","n":"x"}}}' \
  '{"at":"2026-06-15T11:00:00Z","end":true}' > "$tmp/wf.jsonl"
expect "a when that fails is taken as false" 0 "$h" run "$tmp/wf.play" --events "$tmp/wf.jsonl"
has "and the timeline says so in words" "a wait arm's when failed, taken as false: wf.play:5: can't order a string and an integer"
hasnt "not as JSON" "when_failed {"

# An ask or wait whose business deadline can't be counted (the calendar is not in the
# directory) stalls with the playbook's FILE:LINE, as every stall does.
cat > "$tmp/bt.play" <<'PLAY'
playbook bt
calendar "fi-office"
on test.event as ev
state s {
  wait {
    after 2 business hours -> done "waited"
  }
}
PLAY
printf '%s\n' '{"at":"2026-06-15T09:00:00Z","event":{"source":"test","type":"event","id":"e1","data":{}}}' > "$tmp/bt.jsonl"
expect "a business wait with no calendar runs" 0 "$h" run "$tmp/bt.play" --events "$tmp/bt.jsonl"
has "and stalls where the wait is" "STALLED  bt.play:5: business time needs calendar \"fi-office\" from the directory"

# An event that started and joined nothing is in --json too, with where it went (an audit
# found --json leaving it out: a program could not tell it from one never in the trace).
cat > "$tmp/nm.play" <<'PLAY'
playbook nm
on mon.ev as e when e.n > 5
  case e.k
state s1 { done "ok" }
PLAY
printf '%s\n' '{"at":"2026-06-15T10:00:00Z","event":{"source":"mon","type":"ev","id":"a1","data":{"k":"x"}}}' \
  '{"at":"2026-06-15T10:01:00Z","event":{"source":"mon","type":"zz","id":"a2","data":{}}}' \
  '{"at":"2026-06-15T10:02:00Z","event":{"source":"mon","type":"zz","id":"a2","data":{}}}' > "$tmp/nm.jsonl"
expect "run --json of events that matched nothing" 0 "$h" run "$tmp/nm.play" --events "$tmp/nm.jsonl" --json
python3 - "$tmp/out" > "$tmp/nm.check" 2>&1 <<'CHECK'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
u = [l["unmatched"] for l in lines if "unmatched" in l]
assert [x["line"] for x in u] == [1, 2, 3], u
assert u[0]["went"] == [{"playbook": "nm", "error": "nm.play:2: can't order null and an integer"}], u[0]
assert u[1]["went"] == [] and not u[1]["duplicate"], u[1]
assert u[2]["duplicate"] and u[2]["id"] == "a2", u[2]
assert "summary" in lines[-1]
CHECK
[ $? -eq 0 ] && ok "  a line {\"unmatched\"} each, with where it went" || no "  a line {\"unmatched\"} each, with where it went" "$tmp/nm.check"
plan
