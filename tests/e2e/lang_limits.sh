#!/bin/sh
# tests/e2e/lang_limits.sh - the language's limits on playbooks too big for a golden in
# tests/lang: each is refused alike by check, build, disasm, run and deploy with a
# message that names it, and what is just under it works. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

echo '{"at": "2026-06-15T09:00:00Z", "event": {"source": "src", "type": "ev", "id": "e1", "data": {"x": 3}}}' > "$tmp/ev.jsonl"

# refused_alike DESC FILE TEXT: every command that compiles FILE exits 1 and says TEXT.
refused_alike() {
  desc=$1 file=$2 text=$3
  expect "check of $desc is refused" 1 "$h" check "$file"
  has "  naming the limit" "$text"
  expect "  build" 1 "$h" build "$file" -o "$tmp/x.hbc"
  has "  says why" "$text"
  expect "  disasm" 1 "$h" disasm "$file"
  has "  says why" "$text"
  expect "  run" 1 "$h" run "$file" --events "$tmp/ev.jsonl"
  has "  says why" "$text"
  expect "  deploy" 1 "$h" deploy "$file" --db "$tmp/db" $(now 08:00)
  has "  says why" "$text"
}

# ---- a call passes at most 255 arguments; a fn takes at most 255 parameters ----
# 256 passed check ("errors": 0), and build, disasm, run and deploy exited 1 saying
# nothing: CALL_FN keeps the count in 8 bits, and the verifier's refusal was not shown.
# calls N ARGS: a fn of N parameters called with ARGS arguments.
calls() {
  python3 -c "import sys; n, a = int(sys.argv[1]), int(sys.argv[2])
print('playbook m\non src.ev as ev\nfn f(%s) = p0 + p%d\nstate s {\n  note \"{f(%s)}\"\n  done \"ok\"\n}'
      % (','.join('p%d' % i for i in range(n)), n - 1, ','.join(str(i) for i in range(a))))" "$1" "$2"
}
calls 256 256 > "$tmp/args256.play"
refused_alike "a fn of 256 parameters called with 256 arguments" "$tmp/args256.play" \
  "args256.play:5:10: error: this call passes 256 arguments; a call takes at most 255"
has "  and the fn, at its name" "args256.play:3:4: error: fn 'f' has 256 parameters; a fn takes at most 255"
calls 255 256 > "$tmp/call256.play"
expect "check of a call of 256 arguments to a fn of 255" 1 "$h" check "$tmp/call256.play"
has "  names the limit at the call" "call256.play:5:10: error: this call passes 256 arguments; a call takes at most 255"
hasnt "  (not the fn)" "parameters"
calls 255 255 > "$tmp/args255.play"
expect "run of a fn of 255 parameters called with 255 arguments" 0 "$h" run "$tmp/args255.play" --events "$tmp/ev.jsonl" --json
has "  works" '"254"'

# ---- a state keeps at most 65,536 locals ----
# 65,537 lets passed check and made bytecode the loader refuses: build exited 1 silently.
python3 -c "print('playbook m\non src.ev as ev\nstate s {\n%s\n  note \"{v0}{v65536}\"\n  done \"ok\"\n}'
      % '\n'.join('  let v%d = ev.x' % i for i in range(65537)))" > "$tmp/locals.play"
expect "build of a state with 65,537 locals is refused" 1 "$h" build "$tmp/locals.play" -o "$tmp/x.hbc"
has "  naming the limit" "locals.play:3:7: error: state 's' keeps 65537 values in locals (let, and a call's result) at once; a state keeps at most 65536"
expect "  check too" 1 "$h" check "$tmp/locals.play"
has "  alike" "a state keeps at most 65536"

# ---- one tag takes at most 512 values, as a literal holds at most 512 items ----
# A tag of 1,100,000 values overflowed the verifier's stack bound: build exited 1 silently.
python3 -c "print('playbook m\non src.ev as ev\nstate s {\n  tag %s\n  done \"ok\"\n}' % ','.join(['ev.x'] * 513))" > "$tmp/tag513.play"
expect "build of a tag of 513 values is refused" 1 "$h" build "$tmp/tag513.play" -o "$tmp/x.hbc"
has "  naming the limit" "tag513.play:4:3: error: this tag has more than 512 values; one tag takes at most 512 (write several tag lines)"
sed 's/ev.x,//' "$tmp/tag513.play" > "$tmp/tag512.play"
expect "  512 are built" 0 "$h" build "$tmp/tag512.play" -o "$tmp/x.hbc"

# ---- an `else if` chain is no expression: it may be any length ----
# 2,497 `else if`s were refused with "expression nests deeper than 1,000 operators": the
# grammar's chain was right-recursive and ran the parser's stack out. The checker, the
# compiler, graph and preflight follow a chain in a loop, so 100,000 do not recurse.
# chain N: an if, N - 1 `else if`s and an else, on ev.x.
chain() {
  python3 -c "import sys; n = int(sys.argv[1])
print('\n'.join(['playbook m', 'on src.ev as ev', 'state s {', '  if ev.x == 0 { done \"0\" }']
      + ['  else if ev.x == %d { done \"%d\" }' % (i, i) for i in range(1, n)] + ['  else { done \"none\" }', '}']))" "$1"
}
chain 2498 > "$tmp/elif.play"
expect "check of an if with 2,497 else ifs" 0 "$h" check "$tmp/elif.play"
hasnt "  no false nesting error" "nests deeper"
chain 100000 > "$tmp/elif100k.play"
expect "check of an if with 99,999 else ifs" 0 "$h" check "$tmp/elif100k.play"
echo '{"at": "2026-06-15T09:00:00Z", "event": {"source": "src", "type": "ev", "id": "e1", "data": {"x": 99998}}}' > "$tmp/last.jsonl"
expect "  run takes the last branch" 0 "$h" run "$tmp/elif100k.play" --events "$tmp/last.jsonl" --json
has "  its outcome" '"99998"'
echo '{"at": "2026-06-15T09:00:00Z", "event": {"source": "src", "type": "ev", "id": "e1", "data": {"x": -1}}}' > "$tmp/none.jsonl"
expect "  and the else" 0 "$h" run "$tmp/elif100k.play" --events "$tmp/none.jsonl" --json
has "  its outcome" '"none"'
expect "  graph draws it" 0 "$h" graph "$tmp/elif100k.play"
has "  to the end of its last branch" '99998'
sed 's/  else { done "none" }//' "$tmp/elif.play" > "$tmp/noelse.play"
expect "a chain without an else can reach the state's end" 1 "$h" check "$tmp/noelse.play"
has "  and check says so" "error: state 's' can reach its end without goto, done or fail"

# ---- parentheses nest at most 1,000 deep, counted apart from operators ----
# ((...1...)) with 5,000 parentheses passed check and ran: refusal began near 9,990, where
# the parser's stack ran out. Then a pair counted as an operator, and `1 + (1 + (...))`
# of 501 `+` was refused as "deeper than 1,000 operators" though it has 501. Now each
# limit is 1,000, counted apart, each with its own message.
# nest OPEN CLOSE N: `let v = ` OPEN N times, 1, CLOSE N times.
nest() {
  python3 -c "import sys; o, c, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
print('playbook m\non src.ev as ev\nstate s {\n  let v = %s1%s\n  done \"{v}\"\n}' % (o * n, c * n))" "$@"
}
nest '(' ')' 1000 > "$tmp/paren1000.play"
expect "1,000 parentheses around 1 are accepted" 0 "$h" run "$tmp/paren1000.play" --events "$tmp/ev.jsonl" --json
has "  and give 1" '"1"'
nest '(' ')' 1001 > "$tmp/paren1001.play"
expect "1,001 are refused" 1 "$h" check "$tmp/paren1001.play"
has "  at the outermost, with their own message" "paren1001.play:4:11: error: parentheses nest deeper than 1,000"
hasnt "  not the operators'" "operators"
nest '(' ')' 5000 > "$tmp/paren5000.play"
expect "5,000 are refused" 1 "$h" check "$tmp/paren5000.play"
has "  at the pair that crosses the limit" "paren5000.play:4:4010: error: parentheses nest deeper than 1,000"
nest '(' ')' 30000 > "$tmp/paren30000.play"
expect "30,000, past the parser's stack, are refused" 1 "$h" check "$tmp/paren30000.play"
has "  as parentheses" "error: parentheses nest deeper than 1,000"
nest '1 + (' ')' 501 > "$tmp/plusparen501.play"
expect "501 of '1 + (' (501 operators, 501 pairs) are accepted" 0 "$h" check "$tmp/plusparen501.play"
nest '1 + (' ')' 1000 > "$tmp/plusparen1000.play"
expect "1,000 of '1 + (' (both limits) run" 0 "$h" run "$tmp/plusparen1000.play" --events "$tmp/ev.jsonl" --json
has "  and give 1001" '"1001"'
nest '-(' ')' 999 > "$tmp/negparen999.play"
expect "999 of '-(' are accepted" 0 "$h" check "$tmp/negparen999.play"
nest '-(' ')' 1000 > "$tmp/negparen.play"
expect "1,000 of '-(' are accepted" 0 "$h" check "$tmp/negparen.play"
sed 's/= -/= - -/' "$tmp/negparen.play" > "$tmp/negparen1001.play"
expect "  one - more is refused" 1 "$h" check "$tmp/negparen1001.play"
has "  as operators" "error: expression nests deeper than 1,000 operators"
hasnt "  not as parentheses" "parentheses nest"
sed 's/= -/= (/; s/1)/1))/' "$tmp/negparen.play" > "$tmp/negparen_p1001.play"
expect "  one ( more is refused" 1 "$h" check "$tmp/negparen_p1001.play"
has "  as parentheses" "negparen_p1001.play:4:11: error: parentheses nest deeper than 1,000"
hasnt "  not as operators" "operators"
# The parser's worst at both limits: a map after an entry and an if's else hold 5 entries
# of its stack each (`{a: 1, b: if true then 1 else (`: 2 operators, 1 pair), and 500
# more pairs around it all; every pass over the tree (check, compile, graph) recurses
# 1,000 deep.
python3 -c "n = 500
print('playbook m\non src.ev as ev\nstate s {\n  let v = %s%s1%s%s\n  done \"{v}\"\n}'
      % ('(' * n, '{a: 1, b: if true then 1 else (' * n, ')}' * n, ')' * n))" > "$tmp/both.play"
expect "both limits at once, at the parser's worst, run" 0 "$h" run "$tmp/both.play" --events "$tmp/ev.jsonl" --json
has "  to their end" '"done"'
expect "  and graph draws it" 0 "$h" graph "$tmp/both.play"

plan
