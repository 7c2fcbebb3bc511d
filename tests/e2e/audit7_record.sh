#!/bin/sh
# tests/e2e/audit7_record.sh - the decision record as an auditor reads it (docs/audit.md):
# `huddle audit search` and `stats` refuse a --words that holds no word (blanks only),
# as they refuse an empty filter, rather than match every decision. The store is
# tests/audit/make_store.sh's. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/audit/make_store.sh"

db=$tmp/store
{ audit_store "$db" && audit_store_more "$db"; } > "$tmp/out" 2>&1 && ok "a store with known decisions is made" ||
  no "a store with known decisions is made"

# ---- --words of blanks only ----
expect "search --words of blanks only is a usage error" 2 "$h" audit search --db "$db" --words "   "
has "(saying what to give)" "--words holds blanks only: give it a word to find"
expect "(so is stats')" 2 "$h" audit stats --db "$db" --words " "
expect "(--json too)" 2 "$h" audit search --db "$db" --json --words " "
expect "a word with blanks around it still searches" 0 "$h" audit search --db "$db" --words "  FRAUD  "
has "(and finds its decision)" "i2 t2 refund/decide"
hasnt "(and no other)" "i1 t1"

plan
