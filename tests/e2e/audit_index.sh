#!/bin/sh
# tests/e2e/audit_index.sh - the decisions index (engine_audit_index.c; docs/audit.md,
# "What the store keeps"): `audit search` and the similar past decisions of `huddle
# tasks` read it, and find what folding the whole history finds, in the same order, to
# the byte (--json and text), for every filter:
#   - on the store of tests/audit/make_store.sh, and after later tags, notes, outcomes
#     and a cancel change decisions already made;
#   - after a crash (HUDDLE_CRASH_AT) at each point of a write that answers and tags,
#     and after that write is done again;
#   - on a store of schema 3 (no decisions table), read as it is by read-only commands,
#     and indexed by its first writer;
#   - for asks to more people than a decision's row names (64).
# The history folded is what a read-only search does on a schema-3 copy of the same
# store (tests/crash/store_schema1 --to 3: no index to read). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/audit/make_store.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_schema1 || exit 0
conv=$tool_store_schema1

cat > "$tmp/review.play" << 'EOF'
playbook review

on shop.review as r

state check {
  ask person("anna") "Review {r.what}?"
      choices fine "Fine", odd "Odd" with comment
      within 1d
  {
    fine    -> second
    odd     -> second
    timeout -> done "late"
  }
}

state second {
  tag "reviewed", r.what
  note "looked at twice"
  ask person("ming") "Close {r.what}?"
      choices close "Close"
      within 1d
  {
    close   -> done "closed"
    timeout -> done "late"
  }
}
EOF

# The filters compared (one set of options a line).
cat > "$tmp/filters" << 'EOF'

--limit 1
--limit 3
--playbook refund
--playbook refund --state decide
--playbook refund --state decide --limit 2
--playbook review
--playbook review --state second
--playbook nosuch
--state decide
--state check
--choice no
--choice fine
--choice timeout
--person craig
--person anna
--person anna --limit 2
--person lars --playbook expense
--asked lars
--asked ming
--held craig
--held ming
--answered anna
--answered ming
--person nobody
--outcome kept
--outcome closed
--outcome cancelled
--tag us
--tag reviewed
--tag eu --choice no
--words fraud
--words twice
--words POLICY
--since 2026-06-15T09:00:00Z --until 2026-06-15T10:00:00Z
--since 2026-06-15T14:00:00Z
--until 2026-06-15T09:00:00Z
--person anna --since 2026-06-15T09:00:00Z --until 2026-06-15T16:00:00Z
--playbook refund --until 2026-06-15T07:00:00Z --limit 1
EOF

# same DIR: each filter of $filters (default $tmp/filters) gives the same --json on DIR
# as on a schema-3 copy of DIR (and the text form of all decisions), and so does `huddle
# tasks` (the similar past decisions of each open ask); what differs in $tmp/diff.
same() {
  dir=$1
  rm -rf "$tmp/fold" && cp -r "$1" "$tmp/fold" && "$conv" --to 3 "$tmp/fold" > /dev/null 2>&1
  : > "$tmp/diff"
  while IFS= read -r line; do
    # shellcheck disable=SC2086
    set -- $line
    forms="--json"
    [ -z "$line" ] && forms="--json text"     # the text form is printed from the same list
    for form in $forms; do
      [ "$form" = text ] && form=""
      "$h" audit search --db "$dir" $form "$@" > "$tmp/a" 2>&1
      "$h" audit search --db "$tmp/fold" $form "$@" > "$tmp/b" 2>&1
      cmp -s "$tmp/a" "$tmp/b" || { echo "differs: $form $line"; diff "$tmp/a" "$tmp/b" | head -5; } >> "$tmp/diff"
    done
  done < "${filters:-$tmp/filters}"
  for form in --json ""; do       # the similar past decisions shown with each open ask
    "$h" tasks --db "$dir" $form > "$tmp/a" 2>&1
    "$h" tasks --db "$tmp/fold" $form > "$tmp/b" 2>&1
    cmp -s "$tmp/a" "$tmp/b" || { echo "differs: tasks $form"; diff "$tmp/a" "$tmp/b" | head -5; } >> "$tmp/diff"
  done
  "$conv" --show "$tmp/fold" | grep -q '^schema 3,' || echo "the copy is not of schema 3" >> "$tmp/diff"
  [ ! -s "$tmp/diff" ]
}
check() { # check DESCRIPTION DIR
  if same "$2"; then ok "$1"; else no "$1" "$tmp/diff"; fi
}

# Three reviews asked in one write, at the same time: newest first is then by instance
# and task, both descending.
for i in 1 2 3; do printf '{"source":"shop","type":"review","id":"s%d","data":{"what":"batch%d"}}\n' $i $i; done > "$tmp/batch.jsonl"
db=$tmp/store
{ audit_store "$db" && audit_store_more "$db" &&
  "$h" deploy "$tmp/review.play" --db "$db" --now 2026-06-15T15:50:00Z &&
  "$h" trigger --file "$tmp/batch.jsonl" --db "$db" --now 2026-06-15T15:55:00Z
} > "$tmp/out" 2>&1 && ok "a store with known decisions is made" || no "a store with known decisions is made"
check "every filter finds on the index what the history folded finds, in its order" "$db"
expect "three asks of one time" 0 "$h" audit search --db "$db" --json --since 2026-06-15T15:55:00Z --until 2026-06-15T15:55:00Z
json "(by instance, then task, both descending)" "[(d['instance'], d['task']) for d in j] == [('i9', 't9'), ('i8', 't8'), ('i7', 't7')]"

# ---- decisions changed later: tags, notes and outcomes come after the decision ----
{ echo '{"what":"invoice9"}' | "$h" trigger shop.review --id r1 --db "$db" --now 2026-06-15T16:00:00Z &&
  "$h" answer t10 odd --by anna --comment "twice billed" --db "$db" --now 2026-06-15T16:10:00Z
} > "$tmp/out" 2>&1 && ok "a review is asked and answered (tagged and noted after its decision)" ||
  no "a review is asked and answered"
expect "the tag that came after the decision finds it" 0 "$h" audit search --db "$db" --tag reviewed --choice odd --json
json "(t10, tagged and noted later, still open as an instance)" "[d['task'] for d in j] == ['t10'] and j[0]['tags'] == ['reviewed', 'invoice9'] and j[0]['notes'] == ['looked at twice'] and j[0]['outcome'] is None"
check "after a later tag and note: the same as the history folded" "$db"
{ "$h" answer t11 close --by ming --db "$db" --now 2026-06-15T16:20:00Z &&
  "$h" cancel i5 --by craig --reason "order withdrawn" --db "$db" --now 2026-06-15T16:30:00Z
} > "$tmp/out" 2>&1 && ok "the review is closed and i5 cancelled" || no "the review is closed and i5 cancelled"
expect "an outcome that came after the decision finds it" 0 "$h" audit search --db "$db" --outcome closed --json
json "(t11 and t10: the instance's outcome, set after both decisions)" "[d['task'] for d in j] == ['t11', 't10'] and all(d['outcome'] == 'closed' for d in j)"
expect "a cancel ends an open decision's instance" 0 "$h" audit search --db "$db" --outcome cancelled --json
json "(t5, still open, cancelled)" "[d['task'] for d in j] == ['t5'] and j[0]['choice'] is None and j[0]['status'] == 'cancelled'"
check "after later outcomes and a cancel: the same as the history folded" "$db"

# ---- several open asks of one state, each with its own tags ----
# `huddle tasks` reads a state's decided asks once for all its open asks, and ranks them
# for each ask by the tags its own instance has (on a copy: the store goes on below).
regions=$tmp/regions
rm -rf "$regions" && cp -r "$db" "$regions"
{ for k in 1 2 3; do
    region=eu; [ "$k" = 2 ] && region=us
    echo "{\"order\":\"B$k\",\"region\":\"$region\",\"amount\":$k}" |
      "$h" trigger shop.refund --id "b$k" --db "$regions" --now 2026-06-15T16:40:00Z || exit 1
  done; } > "$tmp/out" 2>&1 && ok "three refunds of two regions are asked" || no "three refunds of two regions are asked"
expect "they are open side by side" 0 "$h" tasks --db "$regions" --json
# (t1, t3 and t4 were asked in eu, t2 in us: tests/audit/make_store.sh)
json "(each ranks first a decided ask of its own region)" "[t['similar'][0]['task'] in (['t2'] if t['question'] == 'Refund order B2?' else ['t1', 't3', 't4']) for t in j if t['question'].startswith('Refund order B')] == [True, True, True]"
check "several open asks of one state: the similar decisions of each as the history folded gives them" "$regions"

# ---- the index is what search reads ----
if command -v mdb_dump > /dev/null && command -v mdb_load > /dev/null; then
  tables="meta programs playbooks inputs instances cases windows history tasks inbox timers mailbox outbox seen directory"
  # without DIR FROM: DIR gets every table of FROM but the decisions table
  without() {
    rm -rf "$1" && mkdir "$1" && for t in $tables; do mdb_dump -s "$t" "$2" | mdb_load -s "$t" "$1" || return 1; done
  }
  if without "$tmp/bare" "$db" 2> "$tmp/out" && mdb_load -s decisions "$tmp/bare" < /dev/null 2>> "$tmp/out"; then
    expect "a schema-4 store whose decisions table is empty finds nothing: search reads the index" 0 \
      "$h" audit search --db "$tmp/bare" --json
    json "(not the history)" "j == []"
    expect "(and so do the similar past decisions of huddle tasks)" 0 "$h" tasks --db "$tmp/bare" --json
    json "(every open ask, none similar)" "len(j) > 0 and all(t['similar'] == [] for t in j)"
  else
    no "a schema-4 store without its decisions rows is made" "$tmp/out"
  fi

  # ---- only an instance with something to index has a row (2026-12-04 night) ----
  # A search reaches instance rows only through decision rows: one that waits or ends
  # with neither tags nor decisions gets no 'i' row (69 = 'i', the keys in hex).
  printf 'playbook sleepy\n\non shop.sleep as e\n\nstate sleeping {\n  wait {\n    after 1h -> finish\n  }\n}\n\nstate finish {\n  done "ok"\n}\n' > "$tmp/sleepy.play"
  quiet=$tmp/quiet
  "$h" deploy "$tmp/sleepy.play" --db "$quiet" --now 2026-06-15T05:00:00Z > /dev/null 2>&1 &&
    echo '{}' | "$h" trigger shop.sleep --id z1 --db "$quiet" --now 2026-06-15T06:00:00Z > /dev/null 2>&1 &&
    echo '{}' | "$h" trigger shop.sleep --id z2 --db "$quiet" --now 2026-06-15T06:00:00Z > /dev/null 2>&1 &&
    "$h" tick --db "$quiet" --now 2026-06-15T07:30:00Z > /dev/null 2>&1 &&
    echo '{}' | "$h" trigger shop.sleep --id z3 --db "$quiet" --now 2026-06-15T07:30:00Z > /dev/null 2>&1
  mdb_dump -s decisions "$quiet" > "$tmp/out" 2>&1 && ! grep -q '^ 69' "$tmp/out" &&
    ok "instances waiting or done with nothing to index have no instance row" ||
    no "instances waiting or done with nothing to index have no instance row"
  mdb_dump -s decisions "$db" | grep -c '^ 69' > "$tmp/out"
  "$h" audit search --db "$db" --json | python3 -c 'import json, sys; print(len({d["instance"] for d in json.load(sys.stdin)}))' > "$tmp/want"
  cmp -s "$tmp/want" "$tmp/out" && ok "(one row for each instance with decisions)" || no "(one row for each instance with decisions)"

  # ---- a store of schema 3, without the decisions table ----
  cp -r "$db" "$tmp/s3" && "$conv" --to 3 "$tmp/s3" > /dev/null 2>&1 && without "$tmp/old" "$tmp/s3" 2> "$tmp/out" &&
    ! mdb_dump -s decisions "$tmp/old" > /dev/null 2>&1 && ok "a store of schema 3 without a decisions table is made" ||
    no "a store of schema 3 without a decisions table is made"
  "$h" audit search --db "$db" --json > "$tmp/want"
  expect "the schema-3 store is searched as it is (read-only: the history folded)" 0 "$h" audit search --db "$tmp/old" --json
  cmp -s "$tmp/want" "$tmp/out" && ok "(the same decisions)" || no "(the same decisions)"
  "$conv" --show "$tmp/old" > "$tmp/out" 2>&1
  has "(and left as it is)" "schema 3,"
  expect "its first writer converts it" 0 "$h" tick --db "$tmp/old" --now 2026-06-15T17:00:00Z
  has "(from schema 3 to 7)" "converted the store in $tmp/old from schema 3 to 7"
  mdb_dump -s decisions "$tmp/old" > /dev/null 2>&1 && ok "(adding the decisions table)" || no "(adding the decisions table)"
  check "the index built by the conversion finds what the history folded finds" "$tmp/old"
  cp -r "$db" "$tmp/newer" && "$h" tick --db "$tmp/newer" --now 2026-06-15T17:00:00Z > /dev/null 2>&1
  for t in decisions; do mdb_dump -s "$t" "$tmp/newer" > "$tmp/d.new"; mdb_dump -s "$t" "$tmp/old" > "$tmp/d.old"; done
  cmp -s "$tmp/d.new" "$tmp/d.old" && ok "(its rows are those the engine wrote as it went)" ||
    no "(its rows are those the engine wrote as it went)"
else
  skip "a schema-3 store without the decisions table" "no mdb_dump/mdb_load (lmdb-utils)"
fi

# ---- --person beyond the seats (schema 7): who was away as it was asked, operators ----
# anna is away when t1 and t2 are asked (lars is asked in her place); olga, who holds no
# seat, reassigns ming's seat of t2 to pete; craig, who holds none either, decides t1
# by an override. None of the three held a seat, and each took part.
ops=$tmp/ops
printf '%s\n' '{"people": {"anna": {"email": "a@x", "manager": "craig", "away": [{"from": "2026-06-14", "to": "2026-06-20", "delegate": "lars"}]}, "ming": {"email": "m@x"}, "craig": {"email": "c@x"}, "lars": {"email": "l@x"}, "olga": {"email": "o@x"}, "pete": {"email": "p@x"}}}' > "$tmp/ops.json"
{ "$h" directory load "$tmp/ops.json" --db "$ops" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$TOP/tests/audit/refund.play" --db "$ops" --now 2026-06-15T05:00:00Z &&
  echo '{"order":"C1","region":"eu","amount":1}' | "$h" trigger shop.refund --id c1 --db "$ops" --now 2026-06-15T06:00:00Z &&
  echo '{"order":"C2","region":"eu","amount":2}' | "$h" trigger shop.refund --id c2 --db "$ops" --now 2026-06-15T06:01:00Z &&
  "$h" reassign t2 --from ming --to pete --by olga --db "$ops" --now 2026-06-15T06:02:00Z &&
  "$h" resolve t1 yes --by craig --reason "customer waited a week" --db "$ops" --now 2026-06-15T06:05:00Z
} > "$tmp/out" 2>&1 && ok "asks with an away holder, a reassignment and an override are made" ||
  no "asks with an away holder, a reassignment and an override are made"
expect "--person: a decision whose seat went to someone else as it was asked (away)" 0 \
  "$h" audit search --db "$ops" --person anna --json
json "(t2 and t1, each with anna in handed_from, not in held; t2's reassignment counts too)" "[d['task'] for d in j] == ['t2', 't1'] and all(d['handed_from'] == ['anna'] and 'anna' not in d['held'] for d in j) and [d['delegated'] for d in j] == [2, 1]"
expect "--person: the operator of an override" 0 "$h" audit search --db "$ops" --person craig --json
json "(t1, decided by craig: by and operators)" "[d['task'] for d in j] == ['t1'] and j[0]['by'] == 'craig' and j[0]['operators'] == ['craig'] and j[0]['choice'] == 'yes' and j[0]['answers'] == []"
expect "--person: who reassigned a seat" 0 "$h" audit search --db "$ops" --person olga --json
json "(t2: olga handed ming's seat to pete)" "[d['task'] for d in j] == ['t2'] and j[0]['operators'] == ['olga'] and 'pete' in j[0]['held']"
expect "search, for people: who took part without a seat" 0 "$h" audit search --db "$ops"
has "(an override named, and those away and the operators after the outcome)" "2026-06-15T06:00:00Z  i1 t1 refund/decide: Refund order C1? -> yes by craig, an override (\"customer waited a week\") after 5m; refunded; away as asked: anna; operators: craig"
has "(an open one too)" "2026-06-15T06:01:00Z  i2 t2 refund/decide: Refund order C2? -> open; away as asked: anna; operators: olga"
expect "--held still means held a seat" 0 "$h" audit search --db "$ops" --held olga --json
json "(olga held none)" "j == []"
printf '%s\n' "" "--person anna" "--person craig" "--person olga" "--person pete" "--person lars" "--held olga" \
  "--held anna" "--asked anna" "--answered craig" "--person craig --choice yes" > "$tmp/ops_filters"
filters=$tmp/ops_filters check "each of these finds on the index what the history folded finds" "$ops"
if command -v mdb_dump > /dev/null; then
  cp -r "$ops" "$tmp/ops6" && "$conv" --to 6 "$tmp/ops6" > /dev/null 2>&1 && "$conv" --show "$tmp/ops6" > "$tmp/out" 2>&1
  has "a store as schema 6 kept it is made" "schema 6,"
  mdb_dump -p -s decisions "$tmp/ops6" > "$tmp/out" 2>&1
  hasnt "(its index names no operator)" " holga"
  expect "schema 6, read-only: --person folds the history (its index lacks the roles)" 0 \
    "$h" audit search --db "$tmp/ops6" --person olga --json
  json "(t2, as on schema 7)" "[d['task'] for d in j] == ['t2']"
  expect "its first writer converts it" 0 "$h" tick --db "$tmp/ops6" --now 2026-06-15T06:10:00Z
  has "(from schema 6 to 7)" "converted the store in $tmp/ops6 from schema 6 to 7"
  cp -r "$ops" "$tmp/ops7" && "$h" tick --db "$tmp/ops7" --now 2026-06-15T06:10:00Z > /dev/null 2>&1
  mdb_dump -s decisions "$tmp/ops7" > "$tmp/d.new"; mdb_dump -s decisions "$tmp/ops6" > "$tmp/d.old"
  cmp -s "$tmp/d.new" "$tmp/d.old" && ok "(its rows built again, as the engine writes them)" ||
    no "(its rows built again, as the engine writes them)"
else
  skip "a schema-6 store converted" "no mdb_dump (lmdb-utils)"
fi

# ---- a decision with more people than its row names (64) ----
big=$tmp/big
python3 -c '
import json
people = {"p%d" % i: {"name": "P%d" % i, "email": "p%d@example.com" % i} for i in range(1, 71)}
print(json.dumps({"people": people, "teams": {"all": {"members": sorted(people)}}}))' > "$tmp/big.json"
cat > "$tmp/crowd.play" << 'EOF'
playbook crowd

on shop.crowd as c

state poll {
  ask team("all") "Ship {c.what}?"
      choices yes "Yes", no "No"
      within 1d
  {
    yes     -> done "shipped"
    no      -> done "kept"
    timeout -> done "late"
  }
}
EOF
{ "$h" directory load "$tmp/big.json" --db "$big" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$tmp/crowd.play" --db "$big" --now 2026-06-15T05:00:00Z &&
  echo '{"what":"v1"}' | "$h" trigger shop.crowd --id c1 --db "$big" --now 2026-06-15T06:00:00Z &&
  echo '{"what":"v2"}' | "$h" trigger shop.crowd --id c2 --db "$big" --now 2026-06-15T07:00:00Z &&
  "$h" answer t1 yes --by p70 --db "$big" --now 2026-06-15T08:00:00Z
} > "$tmp/out" 2>&1 && ok "asks to a team of 70 are made" || no "asks to a team of 70 are made"
expect "a person past the 64 a decision row names is found by --answered" 0 "$h" audit search --db "$big" --answered p70 --json
json "(the decision they answered)" "[d['task'] for d in j] == ['t1'] and len(j[0]['asked']) == 70"
for who in p1 p64 p65 p70 p71; do echo "--person $who"; echo "--asked $who"; echo "--held $who --choice yes"; echo "--answered $who"; done > "$tmp/crowd.filters"
filters=$tmp/crowd.filters
check "each of the 70 (and one more) is found as the history folded finds them" "$big"
unset filters

# ---- a crash at each point of a write ----
base=$tmp/base
rm -rf "$base" && cp -r "$db" "$base"
echo '{"what":"order7"}' | "$h" trigger shop.review --id r2 --db "$base" --now 2026-06-15T18:00:00Z > /dev/null 2>&1
export HUDDLE_CRASH_LOG="$tmp/points"
: > "$tmp/points"
cp -r "$base" "$tmp/clean"
"$h" answer t12 fine --by anna --db "$tmp/clean" --now 2026-06-15T18:10:00Z > "$tmp/out" 2>&1
unset HUDDLE_CRASH_LOG
count=$(wc -l < "$tmp/points")
[ "$count" -ge 2 ] && ok "the answer passes $count crash points" || no "the answer passes at least 2 crash points" "$tmp/points"
check "the answer done: the index finds what the history folded finds" "$tmp/clean"
sed -n '1p; /--playbook review --state/p; /--person anna$/p; /--answered anna/p; /--choice fine/p; /--tag reviewed/p; /--outcome closed/p; /--since 2026-06-15T14/p' "$tmp/filters" > "$tmp/crash.filters"
filters=$tmp/crash.filters
bad=0
k=1
while [ "$k" -le "$count" ]; do
  s=$tmp/crash
  rm -rf "$s" && cp -r "$base" "$s"
  HUDDLE_CRASH_AT=$k "$h" answer t12 fine --by anna --db "$s" --now 2026-06-15T18:10:00Z > /dev/null 2>&1
  why=""
  same "$s" || why="after the crash: $(head -3 "$tmp/diff")"
  "$h" answer t12 fine --by anna --db "$s" --now 2026-06-15T18:10:00Z > /dev/null 2>&1
  [ -z "$why" ] && ! same "$s" && why="after the answer again: $(head -3 "$tmp/diff")"
  "$h" audit search --db "$s" --json > "$tmp/got"; "$h" audit search --db "$tmp/clean" --json > "$tmp/want"
  [ -z "$why" ] && ! cmp -s "$tmp/got" "$tmp/want" && why="it ends apart from the store that did not crash"
  if [ -n "$why" ]; then bad=$((bad + 1)); echo "# crash point $k: $why"; fi
  k=$((k + 1))
done
unset filters
[ "$bad" = 0 ] && ok "a crash at each point of the write leaves an index that agrees with the history, before and after the write is done again" ||
  no "a crash at each point leaves an index that agrees with the history ($bad failed)" ""
plan
