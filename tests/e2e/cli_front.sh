#!/bin/sh
# tests/e2e/cli_front.sh - the front-end commands as a user runs them: check, graph,
# help and version, exit codes, JSON diagnostics. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

expect "--version exits 0" 0 "$h" --version
has "--version names the version" "huddle 0."
has "  and the contract it is built to" "(LANGUAGE.md and RUNTIME.md v1.2; bytecode format 1)"
expect "--help exits 0" 0 "$h" --help
has "--help lists check" "check"
has "--help lists graph" "graph"
expect "help check exits 0" 0 "$h" help check
has "help check shows usage" "usage: huddle check FILE..."
expect "check --help shows the same help" 0 "$h" check --help
expect "an unknown command is a usage error" 2 "$h" frobnicate
has "an unknown command is named" "no command 'frobnicate'"
expect "check with no file is a usage error" 2 "$h" check
expect "check with an unknown option is a usage error" 2 "$h" check --bogus x.play
expect "check --directory without its file is a usage error" 2 "$h" check x.play --directory
has "check says --directory needs a file" "huddle: --directory needs a value (a file)"
expect "check --connectors without its file is a usage error" 2 "$h" check x.play --connectors
has "check says --connectors needs a file" "huddle: --connectors needs a value (a file)"
expect "build -o without its file is a usage error" 2 "$h" build x.play -o
has "build says -o needs a file" "huddle: -o needs a value"
expect "build with an unknown option is a usage error" 2 "$h" build x.play --bogus
has "build names the unknown option" "huddle: unknown option '--bogus'"
expect "build with two files is a usage error" 2 "$h" build x.play y.play
has "build names the extra file" "huddle: unexpected argument 'y.play'"
expect "graph -o without its file is a usage error" 2 "$h" graph x.play -o
has "graph says -o needs a file" "huddle: -o needs a value"
expect "graph --instance without its id is a usage error" 2 "$h" graph x.play --instance
has "graph says --instance needs an id" "huddle: --instance needs a value (an instance id)"
expect "graph with an unknown option is a usage error" 2 "$h" graph x.play --png
has "graph names the unknown option" "huddle: unknown option '--png'"
expect "a missing file is refused" 1 "$h" check "$tmp/nope.play"
has "a missing file is named" "nope.play"
mkdir -p "$tmp/folder.play"
expect "a directory is refused" 1 "$h" check "$tmp/folder.play"
has "a directory is said to be one" "folder.play: Is a directory"
expect "a directory is refused with --json" 1 "$h" check --json "$tmp/folder.play"
has "--json says it is a directory" '"message": "Is a directory"'

expect "the reference playbook checks clean" 0 "$h" check workflows/product_complaint/product_complaint.play
if [ ! -s "$tmp/out" ]; then ok "a clean check prints nothing"; else no "a clean check prints nothing"; fi

cat > "$tmp/bad.play" <<'PLAY'
playbook bad

on shop.order as order

state start {
  goto finsh
}

state finish { done "ok" }
PLAY
expect "an unknown state fails the check" 1 "$h" check "$tmp/bad.play"
has "the diagnostic has file:line:col" "bad.play:6:8: error: unknown state 'finsh'"
has "the source line is shown" " 6 |   goto finsh"
has "a caret underlines the name" "^~~~~"
has "a did-you-mean hint is given" "hint: did you mean 'finish'?"
printf 'playbook nul\non a.b as e\nstate s { done "x\000y" }\n' > "$tmp/nul.play"
expect "a NUL byte in a string fails the check" 1 "$h" check "$tmp/nul.play"
has "the line with a NUL is shown whole, the NUL as U+FFFD" "$(printf ' 3 | state s { done "x\357\277\275y" }')"
has "the caret is shown under the NUL" "   |                  ^"

cat > "$tmp/warn.play" <<'PLAY'
playbook warn

on shop.order as order

state start {
  let unused = 1
  done "ok"
}
PLAY
expect "warnings alone do not fail" 0 "$h" check "$tmp/warn.play"
has "the warning is printed" "warning: unused local 'unused'"

expect "one bad file among good ones fails" 1 "$h" check workflows/product_complaint/product_complaint.play "$tmp/bad.play" "$tmp/warn.play"
has "every file's diagnostics are printed" "warning: unused local"

expect "--json exits 1 on errors" 1 "$h" check --json "$tmp/bad.play" "$tmp/warn.play"
if python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["errors"] == 1 and d["warnings"] == 1, d
first = d["diagnostics"][0]
assert first["line"] == 6 and first["column"] == 8 and first["severity"] == "error", first
assert first["hint"] == "did you mean 'finish'?", first
PY
then ok "--json gives the diagnostics with lines, columns and hints"; else no "--json gives the diagnostics"; fi

cat > "$tmp/connectors.json" <<'JSON'
{"shop": {"kind": "webhook"},
 "crm": {"kind": "http", "base_url": "http://127.0.0.1:9", "operations": {"lookup": {"method": "POST", "path": "/x"}}}}
JSON
cat > "$tmp/calls.play" <<'PLAY'
playbook calls

on shop.order as order

state start {
  let found = call crm.lookpu({id: order.id}) else goto failed
  send crn.lookup({id: found.id})
  done "ok"
}

state failed { fail "crm down" }
PLAY
expect "without --connectors, connector names are not checked" 0 "$h" check "$tmp/calls.play"
expect "with --connectors, unknown operations and connectors fail" 1 "$h" check --connectors "$tmp/connectors.json" "$tmp/calls.play"
has "an unknown operation is named with a hint" "connector 'crm' has no operation 'lookpu'"
has "an unknown connector is named" "unknown connector 'crn'"
echo '{"shop": ' > "$tmp/broken.json"
expect "a malformed connectors file is refused" 1 "$h" check --connectors "$tmp/broken.json" "$tmp/calls.play"

expect "graph prints DOT" 0 "$h" graph workflows/product_complaint/product_complaint.play
has "the graph is a digraph" "digraph \"product_complaint\""
has "an arm is a labelled edge" "\"is_it_known\" -> \"recall_or_return\" [label=\"new_defect\""
has "a timeout is a labelled edge" "timeout (within first_answer)"
has "an escalation is drawn" "escalate to manager after 2 business hours"
# graph drew a playbook that check refuses: it ran the checker only, not the const
# evaluation and the compiler that check (and build, run, deploy) also run.
printf 'playbook g\non src.ev as ev\nconst c = round(1e300)\nstate s {\n  note "{c}"\n  done "ok"\n}\n' > "$tmp/constfail.play"
"$h" check "$tmp/constfail.play" > "$tmp/check.out" 2>&1
expect "graph of a playbook whose const cannot be evaluated is refused" 1 "$h" graph "$tmp/constfail.play"
has "  with check's error" "constfail.play:3:7: error: const 'c' cannot be evaluated: round: 1e+300 does not fit in an integer"
hasnt "  and no graph" "digraph"
if cmp -s "$tmp/check.out" "$tmp/out"; then ok "  it says what check says"; else no "  it says what check says"; fi
python3 -c "print('playbook g\non src.ev as ev\nstate s {\n  let l = [%s]\n  note \"{l}\"\n  done \"ok\"\n}' % ','.join(['ev.x'] * 513))" > "$tmp/list513.play"
expect "graph of a list of 513 items (a limit of the compiler) is refused" 1 "$h" graph "$tmp/list513.play"
has "  naming the limit" "list513.play:4:11: error: this list has 513 items; one literal holds at most 512 (join lists with +)"
# A lone CR ends a line as LF and CRLF do: `# c` ended the file's only line, and the
# comment swallowed the whole playbook ("a playbook needs at least one state").
printf 'playbook cr # c\ron src.ev as ev\rstate s {\r  done "ok"\r}\r' > "$tmp/cr.play"
expect "check of a playbook whose lines end in a lone CR" 0 "$h" check "$tmp/cr.play"
printf 'playbook cr # c\ron src.ev as ev\rstate s {\r  done "ok"\r  bogus\r}\r' > "$tmp/crbad.play"
expect "  an error in one" 1 "$h" check "$tmp/crbad.play"
has "  is on its line" "crbad.play:5:3: error: unexpected 'bogus'"
tr '\r' '\n' < "$tmp/crbad.play" | sed 's/$/\r/' > "$tmp/crlf.play"
expect "  and on the same line with CRLF" 1 "$h" check "$tmp/crlf.play"
has "  (one line a CRLF)" "crlf.play:5:3: error: unexpected 'bogus'"
expect "disasm of the CR playbook" 0 "$h" disasm "$tmp/cr.play"
has "  shows its source line" 'done "ok"'
expect "graph --svg renders through graphviz" 0 "$h" graph workflows/product_complaint/product_complaint.play --svg -o "$tmp/g.svg"
if grep -q '<svg' "$tmp/g.svg"; then ok "the SVG is an SVG"; else no "the SVG is an SVG"; fi
expect "graph refuses a playbook with errors" 1 "$h" graph "$tmp/bad.play"

# A file that can't be read is an error of that file in --json too, so the JSON agrees
# with the exit status.
"$h" check --json "$tmp/no-such.play" "$tmp/warn.play" > "$tmp/out" 2> /dev/null
json "check --json counts an unreadable file as an error" 'j["errors"] == 1 and j["diagnostics"][0]["file"].endswith("no-such.play") and j["diagnostics"][0]["severity"] == "error"'
plan
