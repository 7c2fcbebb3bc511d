#!/bin/sh
# tests/e2e/lang_checker.sh - what `huddle check` says about files too big for a golden
# in tests/lang (round 6 of the language audit, helper s6lang). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

# ---- lexical errors are capped: 100 listed, then one "and N more" ----
# A file of 10,000 stray bytes printed 10,000 errors (30,000 lines), one per byte.
python3 -c "import sys; sys.stdout.write('playbook p\n' + '\x01' * 10000 + '\n')" > "$tmp/bytes.play"
expect "check of 10,000 stray bytes fails" 1 "$h" check "$tmp/bytes.play"
if [ "$(grep -c ': error: ' "$tmp/out")" = 101 ]; then ok "  it lists 100 errors and one more line"
else no "  it lists 100 errors and one more line"; fi
has "  the last says how many it left out" "bytes.play:2:101: error: and 9900 more lexical errors from here on, not shown (the first 100 are)"
"$h" check --json "$tmp/bytes.play" > "$tmp/out" 2> /dev/null
json "  --json lists the same 101" 'j["errors"] == 101 and len(j["diagnostics"]) == 101 and "9900 more" in j["diagnostics"][-1]["message"]'
python3 -c "import sys; sys.stdout.write('playbook p\n' + '\x01' * 100 + '\n')" > "$tmp/hundred.play"
"$h" check "$tmp/hundred.play" > "$tmp/out" 2>&1
if [ "$(grep -c ': error: ' "$tmp/out")" = 100 ]; then ok "  exactly 100 are all listed, with no summary"
else no "  exactly 100 are all listed, with no summary"; fi
hasnt "  (no 'more' line)" "more lexical error"

# ---- build and deploy report a failing const beside the other errors, as check does ----
# They printed the other errors only: the const's came after those were fixed.
expect "build of a playbook with a failing const and another error" 1 "$h" build tests/lang/invalid/const_fails_beside_other_errors.play -o "$tmp/x.hbc"
has "  names the const" "error: const 'cap' cannot be evaluated: integer overflow"
has "  and the other error" "error: unknown name 'unknown_fee'"
expect "deploy of it" 1 "$h" deploy tests/lang/invalid/const_fails_beside_other_errors.play --db "$tmp/db" $(now 08:00)
has "  names the const" "error: const 'cents' cannot be evaluated"

# ---- check --directory: seats that hold fewer distinct people than the quorum ----
# `all of team("security"), person("ana"), person("ben")` with security = ana and ben is
# three seats and two people: it can only ever run no_quorum, and nothing said so.
cat > "$tmp/fewer.play" <<'PLAY'
playbook fewer
on shop.refund_requested as refund
state approve {
  ask all of team("security"), person("ana"), person("ben")
      "Refund {refund.amount}?"
      choices approve, reject
      within 1d
  {
    approve   -> done "approved"
    reject    -> done "rejected"
    no_quorum -> fail "no quorum"
    timeout   -> fail "no answer"
  }
}
PLAY
expect "check --directory of an ask whose seats hold too few people" 0 "$h" check --directory tests/lang/run/people.json "$tmp/fewer.play"
has "  warns, at the seats" "fewer.play:4:14: warning: the seats of this ask hold 2 distinct people, fewer than its quorum of 3: it runs no_quorum at once"
sed 's/person("ben")/person("cy")/' "$tmp/fewer.play" > "$tmp/enough.play"
expect "  three people for three seats" 0 "$h" check --directory tests/lang/run/people.json "$tmp/enough.play"
hasnt "  do not" "no_quorum at once"

plan
