#!/bin/sh
# tests/e2e/audit7_record.sh - the decision record as an auditor reads it (docs/audit.md):
# `huddle audit search` and `stats` refuse a --words that holds no word (blanks only),
# as they refuse an empty filter, rather than match every decision; tools/verify_export.py
# says what a head given covers, as `huddle audit verify --head` does, and counts in the
# same words. The store is tests/audit/make_store.sh's. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/audit/make_store.sh"

db=$tmp/store
audit_store_all "$db"

# ---- --words of blanks only ----
expect "search --words of blanks only is a usage error" 2 "$h" audit search --db "$db" --words "   "
has "(saying what to give)" "--words holds blanks only: give it a word to find"
expect "(so is stats')" 2 "$h" audit stats --db "$db" --words " "
expect "(--json too)" 2 "$h" audit search --db "$db" --json --words " "
expect "a word with blanks around it still searches" 0 "$h" audit search --db "$db" --words "  FRAUD  "
has "(and finds its decision)" "i2 t2 refund/decide"
hasnt "(and no other)" "i1 t1"

# ---- verify_export.py --head: what the head covers, as huddle says it ----
verifier=$TOP/tools/verify_export.py
old_head=$("$h" audit head --db "$db")
echo '{"order":"A8","region":"eu","amount":80}' | "$h" trigger shop.refund --id e8 --db "$db" --now 2026-06-15T16:00:00Z > "$tmp/out" 2>&1
"$h" audit export --db "$db" > "$tmp/all.jsonl" 2> "$tmp/out"
"$h" audit verify --db "$db" --head "$old_head" > "$tmp/by.huddle" 2>&1
covers=$(grep '^the head given' "$tmp/by.huddle")
expect "verify_export.py --head an older head: clean" 0 python3 "$verifier" "$tmp/all.jsonl" --head "$old_head"
if [ -n "$covers" ] && grep -qxF -- "$covers" "$tmp/out"; then ok "(and says what it covers, as huddle does: $covers)"
else cat "$tmp/by.huddle" >> "$tmp/out"; no "(and says what it covers, as huddle does)"; fi
if grep -q '^verified: [0-9]* records of [0-9]* instances, head' "$tmp/out"; then ok "(the count line as huddle's)"; else no "(the count line as huddle's)"; fi
"$h" audit export --db "$db" --since 2026-06-15T16:00:00Z > "$tmp/since.jsonl" 2> "$tmp/out"
first=$(sed -n 2p "$tmp/all.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["chain"])')
expect "a --since export and a head older than its first record: store: cut" 1 python3 "$verifier" "$tmp/since.jsonl" --head "$first"
has "(saying how to check it)" "export --since an earlier time, or the whole chain"
one=$tmp/one
{ "$h" directory load "$TOP/tests/audit/people.json" --db "$one" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$TOP/tests/audit/expense.play" --db "$one" --now 2026-06-15T05:00:00Z &&
  echo '{"what":"a pen","team":"retail"}' | "$h" trigger shop.expense --id x1 --db "$one" --now 2026-06-15T06:00:00Z &&
  "$h" audit export --db "$one" > "$tmp/one.jsonl"; } > "$tmp/out" 2>&1
expect "a store of one instance: the script says '1 instance', as huddle does" 0 python3 "$verifier" "$tmp/one.jsonl"
has "(in those words)" " of 1 instance, head"

plan
