#!/bin/sh
# tests/e2e/run_body_limit.sh - the 1 MiB limit on event data (--max-body) is the data's,
# alike for `trigger`, `trigger --file` and a `huddle run` trace (RUNTIME.md, "Limits and
# damage" and "Trace format"): a line may be longer than its data by 64 KiB of envelope.
# Data of exactly 1 MiB, which `trigger` takes, is taken from a trace line and an events
# file too (both refused the line as too long); data past the limit, or nesting past
# 1,000, is a refused line ({"refused": {"line", "why"}}, counted) and the run goes on
# (it stopped with exit 1); `trigger --file` names it FILE:LINE and takes the rest. Only
# a line that cannot be read (past the envelope, or no JSON) still stops a run. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 25

cat > "$tmp/m.play" <<'PLAY'
playbook m
on src.ev as e
state s {
  done "got it"
}
PLAY
python3 - "$tmp" <<'PY'
import sys
tmp = sys.argv[1]
mib = 1 << 20
body = '{"k": "' + 'x' * (mib - 9) + '"}'          # exactly 1,048,576 bytes
over = '{"k": "' + 'x' * (mib - 8) + '"}'          # one more
deep = '[' * 1001 + ']' * 1001
assert len(body) == mib and len(over) == mib + 1
open(tmp + '/body.json', 'w').write(body)
def ev(at, i, data):
    return '{"at": "2026-06-15T08:00:%02dZ", "event": {"source": "src", "type": "ev", "id": "%s", "data": %s}}\n' % (at, i, data)
with open(tmp + '/trace.jsonl', 'w') as f:
    f.write(ev(1, 'e1', body) + ev(2, 'e2', over) + ev(3, 'e3', deep) + ev(4, 'e4', '{}'))
with open(tmp + '/small.jsonl', 'w') as f:
    f.write(ev(1, 'e1', '{"k": "%s"}' % ('x' * 200)) + ev(2, 'e2', '{}'))
with open(tmp + '/envelope.jsonl', 'w') as f:   # past 1 MiB + 64 KiB: cannot be read
    f.write(ev(1, 'e1', '{}').replace('"e1"', '"e1", "pad": "%s"' % ('p' * (mib + 65536)), 1) + ev(2, 'e2', '{}'))
with open(tmp + '/malformed.jsonl', 'w') as f:
    f.write(ev(1, 'e1', '{"a": 1]') + ev(2, 'e2', '{}'))
def line(i, data):
    return '{"source": "src", "type": "ev", "id": "%s", "data": %s}\n' % (i, data)
with open(tmp + '/events.jsonl', 'w') as f:
    f.write(line('f1', body) + line('f2', over) + line('f3', deep) + line('f4', '{}'))
PY

"$h" deploy "$tmp/m.play" --db "$tmp/db" --now 2026-06-15T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
expect "trigger takes data of exactly 1 MiB" 0 sh -c "'$h' trigger src.ev --id t1 --db '$tmp/db' --now 2026-06-15T08:00:00Z < '$tmp/body.json'"

expect "run: a trace with data of 1 MiB, 1 MiB + 1 and 1,001 deep goes on" 0 "$h" run "$tmp/m.play" --events "$tmp/trace.jsonl" --json
json_lines() { python3 -c "import json, sys; lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
sys.exit(0 if ($1) else 1)" "$tmp/out" 2>> "$tmp/out" && ok "$2" || no "$2"; }
json_lines "any(r.get('kind') == 'started' and r['event']['id'] == 'e1' for r in lines)" "  the 1 MiB data started an instance"
json_lines "{'refused': {'line': 2, 'why': \"the event's data is more than 1048576 bytes, the most an event may have (--max-body BYTES or HUDDLE_MAX_BODY sets another limit)\"}} in lines" "  1 MiB + 1 is a refused line"
json_lines "any(r.get('refused', {}).get('line') == 3 and 'nests deeper than 1,000 levels' in r['refused']['why'] for r in lines)" "  1,001 deep is a refused line"
json_lines "any(r.get('kind') == 'started' and r['event']['id'] == 'e4' for r in lines)" "  and the line after them runs"
json_lines "lines[-1]['summary']['refused'] == 2 and len(lines[-1]['summary']['instances']) == 2" "  the summary counts 2 refused"
expect "run: the same in words" 0 "$h" run "$tmp/m.play" --events "$tmp/trace.jsonl"
has "  line 2 shown refused" "REFUSED  trace line 2: the event's data is more than 1048576 bytes"
has "  line 3 shown refused" "REFUSED  trace line 3: the event's data is not JSON: JSON nests deeper than 1,000 levels"
has "  counted" "2 trace lines refused"
expect "run: --max-body 100 refuses 200 bytes of data, and goes on" 0 "$h" run "$tmp/m.play" --events "$tmp/small.jsonl" --max-body 100
has "  said" "REFUSED  trace line 1: the event's data is more than 100 bytes"
has "  the next line runs" "1 trace line refused"

expect "run: a line past 1 MiB + 64 KiB cannot be read: exit 1" 1 "$h" run "$tmp/m.play" --events "$tmp/envelope.jsonl"
has "  saying both limits" "trace line 1: the line is more than 1114112 bytes, the most a trace line may have (the event data's limit, 1048576, plus 65536"
expect "run: data that is no JSON stops the run: exit 1" 1 "$h" run "$tmp/m.play" --events "$tmp/malformed.jsonl"
has "  saying so" "trace line 1: not a JSON object: the event's data is not JSON"

"$h" deploy "$tmp/m.play" --db "$tmp/fdb" --now 2026-06-15T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
expect "trigger --file: 1 MiB taken, the two bad lines refused (exit 1)" 1 "$h" trigger --file "$tmp/events.jsonl" --db "$tmp/fdb" --now 2026-06-15T08:00:00Z
has "  1 MiB + 1 named FILE:LINE" "events.jsonl:2: the event's data is more than 1048576 bytes"
has "  1,001 deep named FILE:LINE" "events.jsonl:3: the event's data is not JSON: JSON nests deeper than 1,000 levels"
hasnt "  the 1 MiB line is not refused" "events.jsonl:1:"
has "  the others taken" "4 lines: 2 accepted (2 started, 0 joined, 0 counted), 0 duplicates, 2 refused"
expect "  --json" 1 "$h" trigger --file "$tmp/events.jsonl" --db "$tmp/fdb" --now 2026-06-15T08:00:00Z --json
has "  a refused line" '{"refused":{"line":2,"why":"the event'"'"'s data is more than 1048576 bytes'
