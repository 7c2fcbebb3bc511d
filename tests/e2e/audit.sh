#!/bin/sh
# tests/e2e/audit.sh - the decision record's integrity (docs/audit.md): every history
# record hash-chained per instance and into one store-wide head. On copies of a real
# store (tests/audit/make_store.sh), tampered with directly through LMDB by
# tests/crash/audit_tamper.c: one byte of a comment, a record deleted, one inserted (past
# the end, or over records the instance has), two swapped, the newest dropped (the store made to agree), meta's head edited. Each is
# found and named by `huddle audit verify` (exit 1), and tools/verify_export.py, with
# Python's standard library alone, finds the same in the store's export. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
. "$TOP/tests/audit/make_store.sh"
crash_tools audit_tamper store_schema1 store_invariants || exit 0
tamper=$tool_audit_tamper
py=/usr/bin/python3
verifier=$TOP/tools/verify_export.py

db=$tmp/store
audit_store "$db" > "$tmp/out" 2>&1 && ok "a store with known decisions is made" || no "a store with known decisions is made"

# ---- an untouched store ----
expect "verify: an untouched store is clean" 0 "$h" audit verify --db "$db"
has "(every record of every instance)" "verified: 57 records of 4 instances, head "
head=$("$h" audit head --db "$db")
if printf '%s\n' "$head" | grep -Eq '^[0-9a-f]{64}$'; then ok "head prints 64 hex digits"; else no "head prints 64 hex digits"; fi
has "(the head verify worked out is the one kept)" "head $head"
expect "head --json" 0 "$h" audit head --db "$db" --json
json "(the head and the records it covers)" "j == {'head': '$head', 'count': 57}"
expect "verify --json" 0 "$h" audit verify --db "$db" --json
json "(no problems, 57 records, 4 instances, the head)" "j['problems'] == [] and j['records'] == 57 and j['instances'] == 4 and j['head'] == '$head'"
json "(head_given is there, null without --head: docs/audit.md's shape)" "'head_given' in j and j['head_given'] is None"
expect "verify --head --json" 0 "$h" audit verify --db "$db" --head "$head" --json
json "(head_given says what the head covers)" "j['head_given'] == {'covers': 57, 'newer': 0}"
expect "verify --head HEAD: the store holds the head kept elsewhere" 0 "$h" audit verify --db "$db" --head "$head"
has "(all of it)" "the head given covers the first 57 records (0 newer)"
expect "a --head that is not 64 hex digits is a usage error" 2 "$h" audit verify --db "$db" --head abc
has "(saying what it wants)" "--head wants 64 hex digits"
expect "an unknown audit command is a usage error" 2 "$h" audit frobnicate --db "$db"
expect "a folder with no store is a store error" 3 "$h" audit verify --db "$tmp/none"

# ---- a store written before format 2 (2026-12-04): its records in the codec's format 1 ----
"$tool_store_schema1" --show-formats "$db" > "$tmp/shown" 2>&1
if grep -Eq '^history stamps: fixed 0, varint 0$' "$tmp/shown" && grep -Eq "^history entries of a step's records: 9, holding 57 records$" "$tmp/shown"; then ok "every step's records of an instance written as one entry with one stamp (2026-12-05 early morning)"; else no "every step's records of an instance written as one entry with one stamp (2026-12-05 early morning)" "$tmp/shown"; fi
if grep -Eq '^instance records: own encoding 4, JSON 0$' "$tmp/shown"; then ok "every instance's record in its own encoding (2026-12-05)"; else no "every instance's record in its own encoding (2026-12-05)" "$tmp/shown"; fi
rm -rf "$tmp/f1"; cp -r "$db" "$tmp/f1"
for i in i1 i2 i3 i4; do "$h" history $i --db "$db" --json; done > "$tmp/history.before"
"$tool_store_schema1" --format1 "$tmp/f1" > "$tmp/out" 2>&1 && ok "format1: the records rewritten in format 1" || no "format1: the records rewritten in format 1" "$tmp/out"
"$tool_store_schema1" --show-formats "$tmp/f1" > "$tmp/shown" 2>&1
if grep -Eq '^schema 7, format 1 [0-9]{2,}, format 2 0, text 0$' "$tmp/shown"; then ok "(every record of format 1)"; else no "(every record of format 1)" "$tmp/shown"; fi
if grep -Eq '^history stamps: fixed 57, varint 0$' "$tmp/shown" && grep -Eq "^history entries of a step's records: 0, holding 0 records$" "$tmp/shown"; then ok "(every stamp in its fixed form, one record a key, as before 2026-12-04 night)"; else no "(every stamp in its fixed form, one record a key, as before 2026-12-04 night)" "$tmp/shown"; fi
if grep -Eq '^frames: format 1 [1-9][0-9]*, format 2 0$' "$tmp/shown"; then ok "(every frame in format 1, as before 2026-12-04 late)"; else no "(every frame in format 1, as before 2026-12-04 late)" "$tmp/shown"; fi
if grep -Eq '^instance records: own encoding 0, JSON 4$' "$tmp/shown"; then ok "(every instance's record the JSON record it was before 2026-12-05)"; else no "(every instance's record the JSON record it was before 2026-12-05)" "$tmp/shown"; fi
expect "format1: verify reads the older records to the same head" 0 "$h" audit verify --db "$tmp/f1" --head "$head"
has "(every record, the same head)" "verified: 57 records of 4 instances, head $head"
for i in i1 i2 i3 i4; do "$h" history $i --db "$tmp/f1" --json; done > "$tmp/history.after"
if cmp -s "$tmp/history.before" "$tmp/history.after"; then ok "(history reads as it did)"; else no "(history reads as it did)" "$tmp/history.after"; fi
"$h" answer t4 yes --by anna --db "$tmp/f1" --now 2026-06-15T10:30:00Z > "$tmp/out" 2>&1
if grep -q "converted" "$tmp/out"; then no "format1: a write converts nothing" "$tmp/out"; else ok "format1: a write converts nothing"; fi
expect "(then the store of both formats verifies)" 0 "$h" audit verify --db "$tmp/f1"
has "(every record)" "verified: 62 records of 4 instances"
"$tool_store_schema1" --show-formats "$tmp/f1" > "$tmp/shown" 2>&1
if grep -Eq '^schema 7, format 1 [0-9]{2,}, format 2 [1-9][0-9]*, text 0$' "$tmp/shown"; then ok "(the new records of format 2 beside the old)"; else no "(the new records of format 2 beside the old)" "$tmp/shown"; fi
if grep -Eq '^history stamps: fixed 57, varint 0$' "$tmp/shown" && grep -Eq "^history entries of a step's records: 1, holding 5 records$" "$tmp/shown"; then ok "(the step's new records in one entry beside the old ones, one a key)"; else no "(the step's new records in one entry beside the old ones, one a key)" "$tmp/shown"; fi
if grep -Eq '^frames: format 1 0, format 2 [0-9]+$' "$tmp/shown"; then ok "(the instance waiting on t4 resumed from its format-1 frame: none is left)"; else no "(the instance waiting on t4 resumed from its format-1 frame: none is left)" "$tmp/shown"; fi
if grep -Eq '^instance records: own encoding 1, JSON 3$' "$tmp/shown"; then ok "(the instance that answer stepped is saved in its record's own encoding, the others read as they are)"; else no "(the instance that answer stepped is saved in its record's own encoding, the others read as they are)" "$tmp/shown"; fi

# ---- the export ----
"$h" audit export --db "$db" > "$tmp/export.jsonl" 2> "$tmp/out" && ok "export" || no "export"
if [ "$(wc -l < "$tmp/export.jsonl")" -eq 59 ]; then ok "(a header, 57 records and the head)"; else no "(a header, 57 records and the head)" "$tmp/export.jsonl"; fi
if $py - "$tmp/export.jsonl" "$db" "$head" "$h" > "$tmp/out" 2>&1 <<'PY'
import json, subprocess, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
path, db, head, huddle = sys.argv[1:5]
assert lines[0]["export"] == "huddle audit" and lines[0]["since"] is None and lines[0]["from"] == 1
assert lines[-1]["head"] == head and lines[-1]["count"] == 57
assert lines[-1]["instances"] == {"i1": 14, "i2": 20, "i3": 14, "i4": 9}
rows = lines[1:-1]
assert [r["order"] for r in rows] == list(range(1, 58))
assert rows[-1]["chain"] == head
# each record is the one `history --json` prints, unchanged by its hash
for i in ("i1", "i2", "i3", "i4"):
    history = [json.loads(l) for l in subprocess.run([huddle, "history", i, "--db", db, "--json"], capture_output=True, text=True).stdout.splitlines()]
    assert history == [r["record"] for r in rows if r["instance"] == i], i
PY
then ok "(in commit order, each record as history --json prints it, the last line the head kept)"; else no "(in commit order, each record as history --json prints it)"; fi
expect "verify_export.py: the export verifies without Huddle" 0 $py "$verifier" "$tmp/export.jsonl"
has "(to the same head)" "verified: 57 records of 4 instances, head $head"
expect "verify_export.py --head HEAD" 0 $py "$verifier" "$tmp/export.jsonl" --head "$head"
"$h" audit export --db "$db" --since 2026-06-15T09:00:00Z > "$tmp/since.jsonl"
expect "export --since: the newer records, verifiable from the chain before them" 0 $py "$verifier" "$tmp/since.jsonl"
has "(i3 and i4: 23 records)" "verified: 23 records of 4 instances, head $head"
head -c 300 "$tmp/export.jsonl" > "$tmp/cut.jsonl"
expect "verify_export.py: an export it cannot read is exit 2" 2 $py "$verifier" "$tmp/cut.jsonl"

# ---- tampering: each found and named, by huddle and by the script ----
# tamper NAME ARGS...: a copy of the store in $tmp/NAME, tampered with.
tamper() {
  name=$1; shift
  rm -rf "$tmp/$name"; cp -r "$db" "$tmp/$name"
  "$tamper" "$tmp/$name" "$@" > "$tmp/tamper.out" 2>&1
}
# both NAME [HEAD]: what huddle's verify says of the copy, in $tmp/by.huddle, and what
# the script says of its export, in $tmp/by.script.
both() {
  "$h" audit verify --db "$tmp/$1" ${2:+--head "$2"} > "$tmp/by.huddle"
  "$h" audit export --db "$tmp/$1" > "$tmp/$1.jsonl"
  $py "$verifier" "$tmp/$1.jsonl" ${2:+--head "$2"} > "$tmp/by.script"
}
# agree NAME [HEAD]: huddle's findings (where: what) are the script's, on the copy's export.
agree() {
  both "$@"
  for by in huddle script; do
    grep -v '^verified\|^TAMPERED\|^the head given' "$tmp/by.$by" | sed 's/ (.*//' | sort -u > "$tmp/names.$by"
  done
  if [ -s "$tmp/names.huddle" ] && cmp -s "$tmp/names.huddle" "$tmp/names.script"; then ok "(verify_export.py finds the same: $(tr '\n' ';' < "$tmp/names.huddle"))"
  else diff "$tmp/names.huddle" "$tmp/names.script" > "$tmp/out"; no "(verify_export.py finds the same)"; fi
}
# same NAME: huddle's findings and summary are the script's, line for line, why and all.
same() {
  both "$1"
  if cmp -s "$tmp/by.huddle" "$tmp/by.script"; then ok "(verify_export.py says exactly the same)"
  else diff "$tmp/by.huddle" "$tmp/by.script" > "$tmp/out"; no "(verify_export.py says exactly the same)"; fi
}

# A step's records of one instance are one entry (i2: seqs 1-9, 10-11, 12-13, 14-20),
# which keeps the last record's hash alone: a record changed inside it is named with
# its entry, and the store's head, which cannot be worked out past it, is not named again.
tamper comment comment i2 14
expect "one byte of a comment changed: verify exits 1" 1 "$h" audit verify --db "$tmp/comment"
has "(names the entry that holds the record)" "i2 seq 14 to 20: changed (the content of a record of the entry of seqs 14 to 20 does not match the entry's hash; the store's head cannot be worked out past it)"
if [ "$(grep -c ': changed' "$tmp/out")" = 1 ]; then ok "(and no other)"; else no "(and no other)"; fi
hasnt "(one edit, one finding: not the head again)" "store: head"
"$tool_store_invariants" --quiet "$db" > "$tmp/inv" 2>&1 && ok "store_invariants: the untouched store's entries keep their records' links" || no "store_invariants: the untouched store's entries keep their records' links" "$tmp/inv"
"$tool_store_invariants" --quiet "$tmp/comment" > "$tmp/inv" 2>&1
if grep -q "history i2 #14 to #20: the entry's link is not the link of its records" "$tmp/inv"; then ok "(and finds the changed one)"; else no "(and finds the changed one)" "$tmp/inv"; fi
"$h" history i2 --db "$tmp/comment" --json | grep -q '"comment":"graud suspected"' && ok "(the comment is changed indeed)" || no "(the comment is changed indeed)"
agree comment

tamper delete delete i2 10
expect "an entry of two records deleted: verify exits 1" 1 "$h" audit verify --db "$tmp/delete"
has "(names them)" "i2 seq 10 to 11: removed (the history goes from 9 to 12)"
has "(and the store's chain missing their places)" "store: removed (the chain goes from place 23 to 26)"
expect "(--json: exit 1 too)" 1 "$h" audit verify --db "$tmp/delete" --json
json "(every problem has instance, seq and to: null for the store's)" "[(p['instance'], p['seq'], p['to'], p['problem']) for p in j['problems']] == [('i2', 10, 11, 'removed'), (None, None, None, 'removed'), (None, None, None, 'head')]"
hasnt "(the records after them are not blamed)" "i2 seq 12"
agree delete

tamper last delete i2 14
expect "an instance's last entry deleted: verify exits 1" 1 "$h" audit verify --db "$tmp/last"
has "(names its records)" "i2 seq 14 to 20: removed (the instance has 20 records and its history ends at 13)"
agree last

tamper insert insert i2 25 10
expect "an entry inserted (a copy of another, two records): verify exits 1" 1 "$h" audit verify --db "$tmp/insert"
has "(names its records)" "i2 seq 25: inserted"
has "(each with the place it takes in the store's chain)" "i2 seq 25: inserted (past the instance's last record (20); it takes place 24 of the store's chain, as i2 seq 10 does)"
has "(the second)" "i2 seq 26: inserted (past the instance's last record (20); it takes place 25 of the store's chain, as i2 seq 11 does)"
if [ "$(grep -c '^i2 seq 25:' "$tmp/out")" = 1 ]; then ok "(once: one record, one finding)"; else no "(once: one record, one finding)"; fi
hasnt "(not the records it copies)" "i2 seq 10:"
agree insert

# A copy of an entry put among the records it copies (its key overlapping the genuine
# ones): the copy, and only it, is named, one finding a record, inserted with what it
# holds and the place it takes; the genuine records around it are checked as if it
# were not there, and not blamed.
tamper overlap insert i2 11 10
expect "an entry copied over seqs of its instance (at 11, a copy of 10-11): verify exits 1" 1 "$h" audit verify --db "$tmp/overlap"
has "(the copy's first record, inserted, with what it holds and the place it takes)" "i2 seq 11: inserted (the record kept at seq 11 is record 10 of i2; it takes place 24 of the store's chain, as i2 seq 10 does)"
has "(and its second)" "i2 seq 12: inserted (the record kept at seq 12 is record 11 of i2; it takes place 25 of the store's chain, as i2 seq 11 does)"
hasnt "(not named reordered as well)" "reordered"
if [ "$(grep -c '^i2 ' "$tmp/out")" = 2 ]; then ok "(one record, one finding: two in all)"; else no "(one record, one finding: two in all)"; fi
expect "(--json)" 1 "$h" audit verify --db "$tmp/overlap" --json
json "(two problems for the copy's two records, then the head)" "[(p['instance'], p['seq'], p['problem']) for p in j['problems']] == [('i2', 11, 'inserted'), ('i2', 12, 'inserted'), (None, None, 'head')]"
same overlap
"$h" history i2 --db "$tmp/overlap" --json > "$tmp/out" 2> "$tmp/err"; code=$?
if [ "$code" = 0 ] && [ "$($py -c 'import json,sys; print(",".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1])))' "$tmp/out")" = "1,2,3,4,5,6,7,8,9,10,11,10,11,12,13,14,15,16,17,18,19,20" ]; then ok "(history prints the records as stored)"; else no "(history prints the records as stored)"; fi
if grep -q "^huddle: history: i2: warning: record 12 of this history says seq 10: its records do not run 1, 2, 3, ...; run huddle audit verify$" "$tmp/err"; then ok "(and warns on stderr, naming the first out of place)"; else no "(and warns on stderr, naming the first out of place)" "$tmp/err"; fi
"$h" history i2 --db "$db" > "$tmp/out" 2> "$tmp/err"
if [ -s "$tmp/err" ]; then no "(an untouched history has no warning)" "$tmp/err"; else ok "(an untouched history has no warning)"; fi

tamper before insert i2 0 10
expect "a copy kept before the instance's first record: verify exits 1" 1 "$h" audit verify --db "$tmp/before"
has "(the copy is named inserted)" "i2 seq 0: inserted (the record kept at seq 0 is record 10 of i2; it takes place 24 of the store's chain, as i2 seq 10 does)"
has "(both its records)" "i2 seq 1: inserted (the record kept at seq 1 is record 11 of i2; it takes place 25 of the store's chain, as i2 seq 11 does)"
if grep -q '^i2 seq 1[01]:' "$tmp/out"; then no "(not the genuine records it copies)"; else ok "(not the genuine records it copies)"; fi
hasnt "(nor the genuine record at a seq it covers)" "reordered"
same before

tamper across insert i2 15 1
expect "a copy of nine records kept over the instance's last six and past its end: verify exits 1" 1 "$h" audit verify --db "$tmp/across"
has "(the records over the instance's own, inserted, what each holds)" "i2 seq 15: inserted (the record kept at seq 15 is record 1 of i2; it takes place 15 of the store's chain, as i2 seq 1 does)"
has "(the ones past its end, inserted)" "i2 seq 23: inserted (past the instance's last record (20); it takes place 23 of the store's chain, as i2 seq 9 does)"
if [ "$(grep -c '^i2 ' "$tmp/out")" = 9 ] && [ "$(grep '^i2 ' "$tmp/out" | sort -u | wc -l)" = 9 ]; then ok "(each of its nine records once, and nothing else of i2)"; else no "(each of its nine records once, and nothing else of i2)"; fi
same across

tamper swap swap i2 10 12
expect "two entries swapped: verify exits 1" 1 "$h" audit verify --db "$tmp/swap"
has "(names the first)" "i2 seq 10: reordered (the record kept at seq 10 is record 12 of i2)"
has "(and the second)" "i2 seq 12: reordered (the record kept at seq 12 is record 10 of i2)"
agree swap

tamper cut cut i2 14
expect "an entry cut short (its last byte): verify exits 1" 1 "$h" audit verify --db "$tmp/cut"
has "(names it)" "i2 seq 14: changed (its entry cannot be read: cut, or not the records its count says)"
hasnt "(its records, whose count it no longer says, are not named removed)" "i2 seq 15"
has "(the records counted are the ones read, as the head finding counts them)" "is not the head of its records (50)"
has "(the summary says the same count)" "TAMPERED: 50 records of 4 instances"
expect "(--json)" 1 "$h" audit verify --db "$tmp/cut" --json
json "(records is count: the entry that cannot be read adds none)" "j['records'] == j['count'] == 50"
"$h" history i2 --db "$tmp/cut" > "$tmp/out" 2>&1; code=$?
[ "$code" = 3 ] && ok "(history refuses it: damaged store, exit 3)" || no "(history refuses it: damaged store, exit 3)" "$tmp/out"

tamper head head
expect "meta's head edited: verify exits 1" 1 "$h" audit verify --db "$tmp/head"
has "(says the head does not match the records)" "store: head (the store's head (meta audit_head, 57 records) is not the head of its records (57)"
hasnt "(every record is fine)" "seq"
agree head

tamper drop drop
if grep -q '^dropped i4 seq 9$' "$tmp/tamper.out"; then ok "the newest record dropped, the store made to agree"; else no "the newest record dropped" "$tmp/tamper.out"; fi
expect "(without a head kept elsewhere the store looks clean: docs/audit.md says so)" 0 "$h" audit verify --db "$tmp/drop"
has "(56 records)" "verified: 56 records of 4 instances"
expect "verify --head with the head kept before: the cut is found" 1 "$h" audit verify --db "$tmp/drop" --head "$head"
has "(named)" "store: cut (the head given is not in this store's chain: records it covered were cut off or rewritten)"
agree drop "$head"

# ---- a write after a record was removed stops, naming what to run ----
tamper open delete i4 1
expect "a write to an instance whose last record is gone is refused (store damaged)" 3 \
  "$h" answer t4 yes --by anna --db "$tmp/open" --now 2026-06-15T10:30:00Z
has "(saying what to run)" "huddle audit verify"

# A store put back from an older copy (the newest records cut off) against a head kept later.
cp -r "$db" "$tmp/older"
"$h" answer t4 yes --by anna --comment "ok" --db "$db" --now 2026-06-15T10:30:00Z > /dev/null
newer=$("$h" audit head --db "$db")
expect "new records chain on: the store verifies" 0 "$h" audit verify --db "$db" --head "$head"
has "(the old head is covered, with the newer records after it)" "the head given covers the first 57 records ("
[ "$newer" != "$head" ] && ok "(the head moved on)" || no "(the head moved on)"
expect "an older copy against the newer head: cut off" 1 "$h" audit verify --db "$tmp/older" --head "$newer"
has "(named)" "store: cut"

# ---- an older store is chained by its first write ----
rm -rf "$tmp/old"; cp -r "$tmp/older" "$tmp/old"
"$tool_store_schema1" "$tmp/old" > "$tmp/out" 2>&1 || no "a schema-1 copy" 
expect "a store of schema 1 (no chain) read as it is: verify says unchained" 1 "$h" audit verify --db "$tmp/old"
has "(each record)" "i1 seq 1: unchained (the record has no hash)"
"$h" answer t4 yes --by anna --db "$tmp/old" --now 2026-06-15T10:30:00Z > "$tmp/out" 2>&1
has "its first write converts and chains it" "from schema 1 to 7"
expect "(then it verifies)" 0 "$h" audit verify --db "$tmp/old"
has "(every record)" "verified: 62 records of 4 instances"

plan
