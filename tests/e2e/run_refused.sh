#!/bin/sh
# tests/e2e/run_refused.sh - `huddle run` and the trace rules of RUNTIME.md v1.2: a trace
# line the runtime refuses (a late answer, an answer by someone who holds no seat, an
# unknown choice) is shown where it happened ({"refused": {"line", "why"}} with --json),
# changes nothing, and the run goes on; the summary counts `refused`; only a trace that
# cannot be read (bad JSON, a line earlier than the one before) stops it (exit 1).
# Answers and acks may name "task", or "instance" and "state". TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 22

cat > "$tmp/two.play" <<'PLAY'
playbook two

on shop.refund as refund
  case refund.order

state decide {
  ask person("boss") "Refund {refund.order}?"
      choices yes, stop
      within 1h
  {
    yes     -> confirm
    stop    -> done "kept"
    timeout -> done "late"
  }
}

state confirm {
  ask person("boss") "Sure about {refund.order}?"
      choices yes, stop
      within 1h
  {
    yes     -> done "refunded"
    stop    -> done "kept"
    timeout -> done "late"
  }
}
PLAY
ev() { printf '{"at": "%s", "event": {"source": "shop", "type": "refund", "id": "%s", "data": {"order": "%s"}}}\n' "$1" "$2" "$3"; }

# A trace with three refused lines among good ones: each is shown, the run goes on.
{ ev 2026-01-05T09:00:00Z r1 A
  echo '{"at": "2026-01-05T09:01:00Z", "answer": {"by": "boss", "choice": "maybe"}}'
  echo '{"at": "2026-01-05T09:02:00Z", "answer": {"by": "mallory", "choice": "yes"}}'
  echo '{"at": "2026-01-05T09:03:00Z", "answer": {"by": "boss", "choice": "yes"}}'
  echo '{"at": "2026-01-05T09:04:00Z", "answer": {"task": "t1", "by": "boss", "choice": "stop"}}'
  echo '{"at": "2026-01-05T09:05:00Z", "answer": {"by": "boss", "choice": "yes"}}'
  echo '{"at": "2026-01-05T10:00:00Z", "end": true}'; } > "$tmp/refused.jsonl"
expect "refused lines do not stop the run" 0 "$h" run "$tmp/two.play" --events "$tmp/refused.jsonl"
has "an unknown choice is shown with its line" "trace line 2: task t1 has no choice 'maybe'"
has "a person with no seat is shown with its line" "trace line 3: mallory holds no seat on an open ask"
has "a late answer (the ask is decided) is shown with its line" "trace line 5: task t1 is already resolved (yes)"
has "the run went on past them" "done     refunded"
has "the human summary counts them" "3 trace lines refused"
expect "the same with --json" 0 "$h" run "$tmp/two.play" --events "$tmp/refused.jsonl" --json
has "--json: a refused line is an object with line and why" '{"refused":{"line":2,"why":"task t1 has no choice '"'"'maybe'"'"' (its choices: yes, stop)"}}'
has "--json: the summary counts refused" '"refused":3}}'
if python3 - "$tmp/out" 2>>"$tmp/out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
refused = [l["refused"]["line"] for l in lines if "refused" in l]
answered = [l for l in lines if l.get("kind") == "answered"]
summary = lines[-1]["summary"]
assert refused == [2, 3, 5], refused
# Nothing of a refused line was recorded: two answers, both boss's yes.
assert [(a["task"], a["choice"]) for a in answered] == [("t1", "yes"), ("t2", "yes")], answered
assert summary["instances"][0]["outcome"] == "refunded" and summary["refused"] == 3, summary
PY

then ok "--json: refused lines in place, recording nothing; the instance ends as the good lines say"; else no "--json: refused lines recorded nothing"; fi

# Without refusals, the summary says 0.
{ ev 2026-01-05T09:00:00Z r1 A; echo '{"at": "2026-01-05T10:00:00Z", "end": true}'; } > "$tmp/clean.jsonl"
expect "a clean trace" 0 "$h" run "$tmp/two.play" --events "$tmp/clean.jsonl" --json
has "counts 0 refused" '"refused":0}}'

# An unreadable trace still stops the run with exit 1.
{ ev 2026-01-05T09:00:00Z r1 A; echo '{"at": '; } > "$tmp/badjson.jsonl"
expect "bad JSON stops the run" 1 "$h" run "$tmp/two.play" --events "$tmp/badjson.jsonl"
has "naming its line" "trace line 2: not a JSON object"
{ ev 2026-01-05T09:00:00Z r1 A; echo '{"at": "2026-01-05T08:00:00Z", "end": true}'; } > "$tmp/early.jsonl"
expect "a line earlier than the one before stops the run" 1 "$h" run "$tmp/two.play" --events "$tmp/early.jsonl"

# "instance" and "state" pick the ask: two instances, boss holds a seat on both.
{ ev 2026-01-05T09:00:00Z r1 A; ev 2026-01-05T09:00:00Z r2 B
  echo '{"at": "2026-01-05T09:01:00Z", "answer": {"by": "boss", "choice": "yes"}}'
  echo '{"at": "2026-01-05T09:02:00Z", "answer": {"instance": "i2", "by": "boss", "choice": "stop"}}'
  echo '{"at": "2026-01-05T09:03:00Z", "answer": {"instance": "i1", "state": "decide", "by": "boss", "choice": "yes"}}'
  echo '{"at": "2026-01-05T09:04:00Z", "ack": {"instance": "i1", "state": "decide", "by": "boss"}}'
  echo '{"at": "2026-01-05T09:05:00Z", "ack": {"instance": "i1", "by": "boss"}}'
  echo '{"at": "2026-01-05T10:00:00Z", "end": true}'; } > "$tmp/named.jsonl"
expect "answers naming an instance run" 0 "$h" run "$tmp/two.play" --events "$tmp/named.jsonl" --json
has "with two open asks, an answer naming neither is refused" '{"refused":{"line":3,"why":"boss holds seats on several open asks (t1, t2): name the task"}}'
if python3 - "$tmp/out" 2>>"$tmp/out" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
answered = [(l["instance"], l["task"], l["choice"]) for l in lines if l.get("kind") == "answered"]
assert answered == [("i2", "t2", "stop"), ("i1", "t1", "yes")], answered
acked = [(l["instance"], l["task"]) for l in lines if l.get("kind") == "acknowledged"]
assert acked == [("i1", "t3")], acked
PY

then ok "\"instance\" alone picks i2's ask, \"instance\" and \"state\" i1's in decide; an ack naming i1 acks its open ask t3"; else no "instance and state are honoured"; fi
has "an ack naming a state the instance has left is refused and shown" '{"refused":{"line":6,"why":"i1 has no open ask in state decide"}}'
has "the summary counts the two refusals" '"refused":2}}'
{ ev 2026-01-05T09:00:00Z r1 A
  echo '{"at": "2026-01-05T09:01:00Z", "answer": {"instance": "i1", "state": "confirm", "by": "boss", "choice": "yes"}}'; } > "$tmp/wrongstate.jsonl"
expect "a state the instance is not asking in" 0 "$h" run "$tmp/two.play" --events "$tmp/wrongstate.jsonl"
has "is refused and shown" "trace line 2: i1 has no open ask in state confirm"
