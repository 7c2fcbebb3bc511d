#!/bin/sh
# tests/e2e/modules_audit.sh - findings of an audit of fns, versions, builtins and the
# authors' tools (LANGUAGE.md, docs/language.md "Limits", stdlib/builtins.md, docs/audit.md
# "Reading the record"), each a test that failed before its fix:
#
# F1. `huddle graph FILE --instance I` checked the playbook's name only: an instance of
#     an older version was drawn on the new file's graph, with a state the file has not
#     as a node of its own, exit 0. Now such a path is refused (exit 1) naming the
#     version; one whose states the file has is drawn with a note on stderr.
# F2. lower, upper and format_time built texts over 1 MiB (the most a text a playbook
#     builds may hold) without stalling, and sent them out. Now they stall as + does.
# F4. A chain of 65 nested fn calls passed `check`, and every instance stalled with "fns
#     nest too deeply". Now check refuses it at the chain's outermost fn.
# F5. An error inside a stdlib module's fn named only the builtin it met (len), which the
#     playbook never called; it now names the fn (text.bullets: len: ...).
# F6. round(x, 1.0) said "must be an integer, not a number"; now "not a double (1.0)".
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/db
version_file() { # version_file FILE STATE
  printf 'playbook gp\non test.event as ev\nstate start { goto %s }\nstate %s {\n  wait { after 1h -> done "quiet" }\n}\n' "$2" "$2" > "$1"
}
version_file "$tmp/v1.play" alpha
version_file "$tmp/v2.play" beta
sed 's/after 1h/after 2h/' "$tmp/v1.play" > "$tmp/v1b.play"
expect "F1: deploy version 1" 0 "$h" deploy "$tmp/v1.play" --db "$db" --now 2026-06-20T09:00:00Z
echo '{}' > "$tmp/e.json"
expect "  an instance of it" 0 "$h" trigger test.event --id e1 --db "$db" --now 2026-06-20T09:00:01Z < "$tmp/e.json"
expect "  deploy version 2, without state alpha" 0 "$h" deploy "$tmp/v2.play" --db "$db" --now 2026-06-20T09:01:00Z
expect "F1: graph of version 2 with the instance of version 1 is refused" 1 "$h" graph "$tmp/v2.play" --db "$db" --instance i1
has "  naming the state the file has not" "which has a state alpha that this file"
hasnt "  and drawing nothing" "digraph"
expect "  so is --svg" 1 "$h" graph "$tmp/v2.play" --db "$db" --instance i1 --svg -o "$tmp/p.svg"
expect "F1: graph of version 1's own file" 0 "$h" graph "$tmp/v1.play" --db "$db" --instance i1
has "  draws its path" "now in alpha"
hasnt "  without a note" "note:"
expect "F1: another version with the same states is drawn" 0 "$h" graph "$tmp/v1b.play" --db "$db" --instance i1
has "  saying the versions differ" "note: instance i1 runs version"
has "  and drawing the path" "now in alpha"

cat > "$tmp/big.play" <<'PLAY'
playbook big
on test.event as ev
state start {
  let r = if ev.k == "lower" then lower(ev.s) else if ev.k == "upper" then upper(ev.s)
          else format_time(now(), ev.s, "UTC")
  note "{ev.k} built {len(r)} code points"
  done "ok"
}
PLAY
python3 - "$tmp/big.jsonl" <<'PY'
import json, sys
rows = [("lower", "\u023a" * 520000), ("upper", "\u0250" * 520000), ("format_time", "%A" * 500000),
        ("lower", "\u023a" * 100)]
with open(sys.argv[1], "w") as f:
    for i, (k, s) in enumerate(rows):
        f.write(json.dumps({"at": "2026-09-16T09:00:0%dZ" % i, "event": {"source": "test", "type": "event",
                "id": "e%d" % i, "data": {"k": k, "s": s}}}, ensure_ascii=False) + "\n")
PY
expect "F2: texts over 1 MiB built by builtins" 0 "$h" run "$tmp/big.play" --events "$tmp/big.jsonl"
has "  lower stalls" "i1   STALLED  big.play:4: lower: the text would be over 1048576 bytes"
has "  upper stalls" "i2   STALLED  big.play:4: upper: the text would be over 1048576 bytes"
has "  format_time stalls" "i3   STALLED  big.play:5: format_time: the text would be over 1048576 bytes"
has "  a small one does not" "note: lower built 100 code points"

chain() { # chain N FILE: fns f0 .. fN, each calling the one before
  { echo "playbook chain"; echo "on test.event as ev"; echo "fn f0(x) = x + 1"
    i=1; while [ "$i" -le "$1" ]; do echo "fn f$i(x) = f$((i - 1))(x)"; i=$((i + 1)); done
    echo "state start { note \"{f$1(ev.n)}\" done \"ok\" }"; } > "$2"
}
chain 63 "$tmp/c63.play"
chain 64 "$tmp/c64.play"
expect "F4: 64 fns nested pass check" 0 "$h" check "$tmp/c63.play"
expect "F4: 65 fns nested are refused" 1 "$h" check "$tmp/c64.play"
has "  at the outermost fn, naming the limit" "fn 'f64' nests fn calls 65 deep; fns nest at most 64 deep"
expect "  deploy too" 1 "$h" deploy "$tmp/c64.play" --db "$tmp/db2"

cat > "$tmp/tb.play" <<'PLAY'
playbook tb
use text
on test.event as ev
state start {
  note "{text.bullets(ev.x)}"
  note "{round(1.25, ev.digits)}"
  done "ok"
}
PLAY
printf '%s\n' '{"at":"2026-06-20T09:00:00Z","event":{"source":"test","type":"event","id":"e1","data":{"x":5}}}' \
  '{"at":"2026-06-20T09:01:00Z","event":{"source":"test","type":"event","id":"e2","data":{"x":["a"],"digits":1.0}}}' > "$tmp/tb.jsonl"
expect "F5/F6: errors while running" 0 "$h" run "$tmp/tb.play" --events "$tmp/tb.jsonl"
has "F5: inside a module's fn, naming it" "tb.play:5: text.bullets: len: argument 1 must be a string, a list or a map, not an integer"
has "F6: round's digits as a double" "round: argument 2 must be an integer, not a double (1.0)"
plan
