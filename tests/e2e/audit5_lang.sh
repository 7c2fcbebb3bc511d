#!/bin/sh
# tests/e2e/audit5_lang.sh - the fifth contract audit of the language's command line
# (2026-12-06, helper aud5l): check, build, graph and disasm as docs/language.md and
# `huddle help` describe them. Each check here failed on the binary before its fix (a
# few are the sanity checks beside them). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store

# The nodes of a DOT graph as Graphviz reads them: one line each of `dot -Tplain`.
dot_nodes() { dot -Tplain "$1" 2> /dev/null | grep -c '^node '; }

# ---- graph: a state named start is a state like any other ----
# The start marker was the DOT node `start`, the very node a state named `start` is
# ("start" quoted is the same id): the state was drawn as the black dot, unlabelled,
# and the trigger's edge and the state's own edges met in it.
cat > "$tmp/start.play" <<'PLAY'
playbook greet
on shop.order as order
state start { goto check }
state check { done "checked" }
PLAY
expect "graph of a playbook whose first state is named start" 0 "$h" graph "$tmp/start.play" -o "$tmp/start.dot"
cp "$tmp/start.dot" "$tmp/out"
has "  the trigger's edge goes from the start marker to the state" '"(start)" -> "start" [label="on shop.order"];'
hasnt "  no node is both the marker and the state" '  start [shape=circle'
if command -v dot > /dev/null; then
  if [ "$(dot_nodes "$tmp/start.dot")" = 4 ]; then ok "  Graphviz draws four nodes: the marker, two states, one end"
  else no "  Graphviz draws four nodes: the marker, two states, one end" "$tmp/start.dot"; fi
else
  skip "  Graphviz draws four nodes: the marker, two states, one end" "no Graphviz dot"
fi

# ---- graph --instance: the end an instance reached is outlined, whatever its text ----
# `huddle help graph`: "the state it is in now, or the end it reached, outlined". A
# failed instance had no end outlined, and a done whose outcome was interpolated or
# held a quote was drawn as a new, unconnected node named by the outcome.
cat > "$tmp/ends.play" <<'PLAY'
playbook ends
on shop.order as order
state route {
  if order.ok {
    done "paid \"{order.id}\" in full"
  }
  if order.id == "x" {
    done "paid"
  }
  goto refuse
}
state refuse {
  fail "refused {order.id}"
}
PLAY
"$h" deploy "$tmp/ends.play" --db "$db" $(now 08:00) > /dev/null
echo '{"ok": true, "id": "A1"}' | "$h" trigger shop.order --id e1 --db "$db" $(now 08:01) > /dev/null
echo '{"ok": false, "id": "B2"}' | "$h" trigger shop.order --id e2 --db "$db" $(now 08:02) > /dev/null
echo '{"ok": false, "id": "x"}' | "$h" trigger shop.order --id e3 --db "$db" $(now 08:03) > /dev/null
"$h" graph "$tmp/ends.play" -o "$tmp/ends.dot"
expect "graph --instance: done with an interpolated outcome" 0 "$h" graph "$tmp/ends.play" --db "$db" --instance i1 -o "$tmp/i1.dot"
cp "$tmp/i1.dot" "$tmp/out"
has "  its done node outlined" '"done \"paid \\\"{order.id}\\\" in full\"" [color="#d9480f", penwidth=4'
hasnt "  no node named by the outcome" 'done \"paid \"A1\" in full\"'
expect "graph --instance: a failed instance" 0 "$h" graph "$tmp/ends.play" --db "$db" --instance i2 -o "$tmp/i2.dot"
cp "$tmp/i2.dot" "$tmp/out"
has "  its fail node outlined" '"fail \"refused {order.id}\"" [color="#d9480f", penwidth=4'
expect "graph --instance: a plain outcome that a pattern could also write" 0 "$h" graph "$tmp/ends.play" --db "$db" --instance i3 -o "$tmp/i3.dot"
cp "$tmp/i3.dot" "$tmp/out"
has "  the done written as it is outlined" '"done \"paid\"" [color="#d9480f", penwidth=4'
if command -v dot > /dev/null; then
  base=$(dot_nodes "$tmp/ends.dot")
  if [ "$(dot_nodes "$tmp/i1.dot")" = "$base" ] && [ "$(dot_nodes "$tmp/i2.dot")" = "$base" ] &&
     [ "$(dot_nodes "$tmp/i3.dot")" = "$base" ]; then ok "  the paths add no node to the graph"
  else no "  the paths add no node to the graph" "$tmp/i1.dot"; fi
else
  skip "  the paths add no node to the graph" "no Graphviz dot"
fi

# ---- a stall's message keeps the character it names ----
# format_time's unknown directive was named by its first byte alone: with a character
# past ASCII after the %, the message was no UTF-8, and the stalled record lost it (a
# STALLED line with no reason, no "error" in the record).
cat > "$tmp/pattern.play" <<'PLAY'
playbook pattern
on ops.report as r
state write { note "{format_time(now(), r.pattern)}" done "written" }
PLAY
printf '%s\n' '{"at": "2026-06-15T09:00:00Z", "event": {"source": "ops", "type": "report", "id": "e1", "data": {"pattern": "%Y %\u00e9"}}}' > "$tmp/pattern.jsonl"
expect "run: a pattern from the event with %é" 0 "$h" run "$tmp/pattern.play" --events "$tmp/pattern.jsonl" --json
has "  the stalled record says why, naming the whole character" '"error":"pattern.play:3: format_time: unknown directive '"'"'%é'"'"'"'
# A message cut to its 256 bytes could end inside a character the same way (the cut
# character is now one U+FFFD): a zone
# named by 300 é's.
cat > "$tmp/zone.play" <<'PLAY'
playbook zone
on ops.report as r
state write { note "{format_time(now(), "%Y", r.zone)}" done "written" }
PLAY
python3 -c 'import json; print(json.dumps({"at": "2026-06-15T09:00:00Z", "event": {"source": "ops", "type": "report", "id": "e1", "data": {"zone": "\u00e9" * 300}}}))' > "$tmp/zone.jsonl"
expect "run: a zone name too long for the message" 0 "$h" run "$tmp/zone.play" --events "$tmp/zone.jsonl" --json
has "  the stalled record still says why" '"error":"zone.play:3: format_time: unknown time zone '"'"'éé'
# And a playbook whose file name is not UTF-8 kept only what came before the first such
# byte ("st"), or, before, no error at all: each such byte is now written as U+FFFD.
odd=$(printf '%s/st\351.play' "$tmp")
printf 'playbook st\non ops.report as r\nstate write { note "{lower(r.pattern)}" done "written" }\n' > "$odd"
expect "run: a playbook whose file name is not UTF-8" 0 "$h" run "$odd" --events "$tmp/zone.jsonl" --json
has "  the stalled record says why, with the file's name" '"error":"st'"$(printf '\357\277\275')"'.play:3: lower: argument 1 must be a string, not null"'

# ---- number() reads text as event data is read ----
# A JSON number past the doubles is the nearest finite double in event data (issue 10,
# docs/language.md "Numbers"); number() gave null for the same digits as text.
cat > "$tmp/levels.play" <<'PLAY'
playbook levels
on iot.reading as r
state compare { note "{number(r.raw) == r.level} {number(r.raw)} {number("1e-400")}" done "compared" }
PLAY
printf '%s\n' '{"at": "2026-06-15T09:00:00Z", "event": {"source": "iot", "type": "reading", "id": "e1", "data": {"raw": "-1e400", "level": -1e400}}}' > "$tmp/levels.jsonl"
expect "run: number() of text past the doubles" 0 "$h" run "$tmp/levels.play" --events "$tmp/levels.jsonl" --json
has "  the nearest finite double, as the same number in the data" '"text":"true -1.7976931348623157e+308 0.0"'

# ---- build and graph never write over the playbook they read ----
# `huddle build x.play -o x.play` replaced the source with its bytecode (exit 0), and
# graph -o did the same with DOT: bad input changes nothing.
cp "$tmp/start.play" "$tmp/keep.play"
cp "$tmp/keep.play" "$tmp/keep.orig"
ln -s keep.play "$tmp/alias.play"
expect "build -o the playbook itself is a usage error" 2 "$h" build "$tmp/keep.play" -o "$tmp/keep.play"
has "  saying what to do" "-o $tmp/keep.play is the playbook itself: name another file for the bytecode"
expect "graph -o the playbook itself (through a link) is a usage error" 2 "$h" graph "$tmp/keep.play" -o "$tmp/alias.play"
has "  saying what to do" "is the playbook itself: name another file for the graph"
if cmp -s "$tmp/keep.play" "$tmp/keep.orig"; then ok "  the playbook is as it was"; else no "  the playbook is as it was" "$tmp/keep.play"; fi
expect "build -o another file still writes it" 0 "$h" build "$tmp/keep.play" -o "$tmp/keep.hbc"

# ---- disasm knows bytecode by its bytes, not its name ----
# huddle build -o may name the file anything; disasm took any name but *.hbc for a
# playbook and refused the bytecode, telling the user to "give the .play file".
cp "$tmp/keep.hbc" "$tmp/keep.bin"
expect "disasm of bytecode not named .hbc" 0 "$h" disasm "$tmp/keep.bin"
has "  lists it" "; keep.play, version "

# ---- check --json keeps every diagnostic, whatever the file is called ----
# A file name is bytes: one that is not UTF-8 made each of its diagnostics fail to
# become JSON, and they were left out ("errors": 2 beside an empty list).
bad=$(printf '%s/bad\351.play' "$tmp")
printf 'playbook t\non a.b as e\nstate s { done 5 }\n' > "$bad"
"$h" check --json "$bad" > "$tmp/out" 2> /dev/null
json "check --json of a file whose name is not UTF-8 lists its errors" 'j["errors"] == 1 and len(j["diagnostics"]) == 1 and j["diagnostics"][0]["file"].endswith("bad\ufffd.play")'
"$h" check --json "$bad.missing" > "$tmp/out" 2> /dev/null
json "  an unreadable one too, named the same way" 'j["diagnostics"][0]["file"].endswith("bad\ufffd.play.missing")'

# ---- check --json with a --connectors or --directory file it refuses ----
# The JSON went missing: stdout was empty, the problems only on stderr, exit 1.
printf 'playbook t\non a.b as e\nstate s { done "x" }\n' > "$tmp/fine.play"
echo '{"people": ' > "$tmp/broken.json"
"$h" check --json --directory "$tmp/broken.json" "$tmp/fine.play" > "$tmp/out" 2> /dev/null; rc=$?
json "check --json with a broken --directory file still prints its JSON" 'j["errors"] == 1 and j["diagnostics"][0]["file"].endswith("broken.json")'
if [ "$rc" = 1 ]; then ok "  and exits 1"; else no "  and exits 1"; fi
"$h" check --json --connectors "$tmp/broken.json" "$tmp/fine.play" > "$tmp/out" 2> /dev/null
json "  a broken --connectors file too" 'j["errors"] == 1 and "connectors" in j["diagnostics"][0]["message"]'

plan
