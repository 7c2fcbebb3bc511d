#!/bin/sh
# tests/e2e/audit_search.sh - reading the decision record (docs/audit.md): `huddle audit
# search` with each filter, `audit stats` and `audit export --format csv`, on a store
# made with known decisions (tests/audit/make_store.sh says which), every figure worked
# out by hand from that list:
#
#   task  playbook/state   asked  held (beyond asked)   decided              seconds  outcome   tags
#   t1    refund/decide    06:00  -                     yes by ming 06:20     1200     refunded  eu
#   t2    refund/decide    07:00  craig (esc), lars     no by craig 08:30     5400     kept      us
#   t3    refund/decide    09:00  -                     no by anna 09:45      2700     kept      eu
#   t4    refund/decide    10:00  craig (esc)           timeout 14:00        14400     late      eu
#   t5    refund/decide    14:30  craig (esc 15:30)     open                     -     -         us
#   t6    expense/approve  14:40  (lars asked)          ok by lars 15:40      3600     approved  retail
#
# refund/decide's times to decision sorted are 1200 2700 5400 14400: the median is
# (2700 + 5400) / 2 = 4050 s and the 90th percentile the 4th (ceil(0.9 x 4)) = 14400 s.
# Answers: ming 1200 s after asked, craig 1800 s after his seat came (08:00), anna 2700 s.
# t5's first level (15:30) is fired by the write at 15:40 (every write fires due timers).
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/audit/make_store.sh"

db=$tmp/store
audit_store_all "$db"

# tasks SEARCH-OPTIONS...: the tasks `audit search --json` finds, in its order, as "t6 t5 ..."
tasks() { "$h" audit search --db "$db" --json "$@" | python3 -c 'import json,sys; print(" ".join(d["task"] for d in json.load(sys.stdin)))'; }
# found DESC WANT OPTIONS...
found() {
  desc=$1 want=$2; shift 2
  got=$(tasks "$@" 2> "$tmp/out")
  if [ "$got" = "$want" ]; then ok "$desc"; else echo "got '$got', wanted '$want'" >> "$tmp/out"; no "$desc"; fi
}

# ---- search ----
found "search: every decision, newest first" "t6 t5 t4 t3 t2 t1"
found "--playbook" "t6" --playbook expense
found "--state" "t5 t4 t3 t2 t1" --state decide
found "--choice" "t3 t2" --choice no
found "--choice timeout (an ask nobody answered in time)" "t4" --choice timeout
found "--person: asked, held (a delegate) or answered" "t6 t2" --person lars
found "--asked: held a seat when it was asked" "t6" --asked lars
found "--held: held a seat at some time (escalation)" "t5 t4 t2" --held craig
found "--answered" "t3" --answered anna
found "--outcome: how the instance ended" "t3 t2" --outcome kept
found "--tag" "t5 t2" --tag us
found "--words: in a comment" "t2" --words fraud
found "--words: case does not matter" "t1" --words POLICY
found "--words: every word, in the question, comments or notes" "t3" --words "refund of 30"
found "--since and --until: when asked, both ends in" "t4 t3" --since 2026-06-15T09:00:00Z --until 2026-06-15T10:00:00Z
found "--limit" "t6 t5" --limit 2
found "filters together: each must match" "t3" --tag eu --choice no
found "nothing matches: an empty list" "" --choice maybe
expect "search with nothing found says so" 0 "$h" audit search --db "$db" --choice maybe
has "(in words)" "no decision matches"
expect "--limit 0 is a usage error" 2 "$h" audit search --db "$db" --limit 0
expect "--limit with a blank before its number is a usage error" 2 "$h" audit search --db "$db" --limit " 5"
expect "--limit with a sign is a usage error" 2 "$h" audit search --db "$db" --limit "+5"
expect "an option search does not take is a usage error" 2 "$h" audit search --db "$db" --head abc
expect "a --since that is no time is a usage error" 2 "$h" audit search --db "$db" --since yesterday
expect "an empty filter is a usage error, not a search that finds nothing" 2 "$h" audit search --db "$db" --playbook ""
has "(saying so)" "--playbook is empty"
expect "(stats too)" 2 "$h" audit stats --db "$db" --words ""

expect "search, for people" 0 "$h" audit search --db "$db"
has "(a decided ask: who, what, why, how long, how it ended)" "2026-06-15T07:00:00Z  i2 t2 refund/decide: Refund order A2? -> no by craig (\"fraud suspected\") after 1h30m; kept"
has "(an open ask)" "2026-06-15T14:30:00Z  i5 t5 refund/decide: Refund order A5? -> open"
has "(a timeout: nobody decided)" "i4 t4 refund/decide: Refund order A4? -> timeout after 4h; late"
if [ "$(wc -l < "$tmp/out")" -eq 6 ]; then ok "(one line a decision)"; else no "(one line a decision)"; fi

expect "search --json" 0 "$h" audit search --db "$db" --json --choice no --tag us
json "(t2 in full: asked, held, counts, answers with their seconds)" "len(j) == 1 and j[0]['asked'] == ['anna', 'ming'] and j[0]['held'] == ['anna', 'ming', 'craig', 'lars'] and j[0]['delegated'] == 1 and j[0]['escalated'] == 1 and j[0]['answers'] == [{'by': 'craig', 'choice': 'no', 'comment': 'fraud suspected', 'at': '2026-06-15T08:30:00Z', 'seconds': 1800}]"
json "(how it ended, and when)" "j[0]['by'] == 'craig' and j[0]['comment'] == 'fraud suspected' and j[0]['seconds'] == 5400 and j[0]['decided_at'] == '2026-06-15T08:30:00Z' and j[0]['outcome'] == 'kept' and j[0]['tags'] == ['us'] and j[0]['notes'] == ['Refund of 20 asked']"
"$h" audit export --db "$db" > "$tmp/export.jsonl"
if python3 - "$tmp/out" "$tmp/export.jsonl" > "$tmp/check" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))[0]
rows = [json.loads(l) for l in open(sys.argv[2])][1:-1]
asked = [r for r in rows if r["record"]["kind"] == "asked" and r["record"].get("task") == "t2"]
resolved = [r for r in rows if r["record"]["kind"] == "resolved" and r["record"].get("task") == "t2"]
assert d["asked_hash"] == asked[0]["hash"] and d["decided_hash"] == resolved[0]["hash"]
PY
then ok "(its asked and resolved records' hashes are those of the export)"; else no "(its hashes are those of the export)" "$tmp/check"; fi

# ---- stats ----
expect "stats --json" 0 "$h" audit stats --db "$db" --json
json "(one group a playbook and state, in name order)" "[(g['playbook'], g['state']) for g in j] == [('expense', 'approve'), ('refund', 'decide')]"
json "refund/decide: 5 decisions, 4 decided, 1 open" "j[1]['decisions'] == 5 and j[1]['decided'] == 4 and j[1]['open'] == 1"
json "(time to decision: median 4050 s, p90 14400 s)" "j[1]['median_seconds'] == 4050 and j[1]['p90_seconds'] == 14400"
json "(delegated in 1, escalated in 3)" "j[1]['delegated'] == 1 and j[1]['escalated'] == 3"
json "(the choices and their counts)" "j[1]['choices'] == {'yes': 1, 'no': 2, 'timeout': 1}"
json "(the outcomes and their counts)" "j[1]['outcomes'] == {'refunded': 1, 'kept': 2, 'late': 1}"
json "(who is asked most: held a seat)" "j[1]['asked_most'] == [{'person': 'anna', 'asked': 5}, {'person': 'ming', 'asked': 5}, {'person': 'craig', 'asked': 3}, {'person': 'lars', 'asked': 1}]"
json "(who answers slowest: median seconds after they got the seat)" "j[1]['slowest'] == [{'person': 'anna', 'answers': 1, 'median_seconds': 2700}, {'person': 'craig', 'answers': 1, 'median_seconds': 1800}, {'person': 'ming', 'answers': 1, 'median_seconds': 1200}]"
json "expense/approve: one decision of 3600 s" "j[0]['decisions'] == 1 and j[0]['median_seconds'] == 3600 and j[0]['p90_seconds'] == 3600 and j[0]['choices'] == {'ok': 1} and j[0]['slowest'][0]['median_seconds'] == 3600"
expect "stats --playbook" 0 "$h" audit stats --db "$db" --json --playbook refund
json "(only that playbook)" "len(j) == 1 and j[0]['playbook'] == 'refund'"
expect "stats --since: the decisions asked since" 0 "$h" audit stats --db "$db" --json --playbook refund --since 2026-06-15T08:00:00Z
json "(t3, t4, t5: median of 2700 and 14400 is 8550)" "j[0]['decisions'] == 3 and j[0]['median_seconds'] == 8550 and j[0]['p90_seconds'] == 14400"
expect "stats, for people" 0 "$h" audit stats --db "$db"
has "(the group)" "refund/decide: 5 decisions (4 decided, 1 open)"
has "(the times)" "time to decision: median 1h7m, p90 4h"
has "(delegations and escalations)" "delegated in 1, escalated in 3"
has "(who answers slowest)" "slowest to answer (median): anna 45m, craig 30m, ming 20m"

# ---- similar past decisions with a new ask (LANGUAGE.md, "Context") ----
# t5 (refund/decide, tag us) is open: the decided asks of refund/decide, most tags
# shared first (t2: us), then the newest decided (t4 at 14:00, t3 at 09:45); three.
expect "tasks --json: each open ask with its similar past decisions" 0 "$h" tasks --db "$db" --json
json "(same playbook and state, most shared tags first, then newest; three)" "[s['task'] for s in j[0]['similar']] == ['t2', 't4', 't3'] and [s['shared_tags'] for s in j[0]['similar']] == [1, 0, 0]"
json "(what was chosen, by whom, and how the instance ended)" "j[0]['similar'][0] == {'instance': 'i2', 'task': 't2', 'choice': 'no', 'by': 'craig', 'comment': 'fraud suspected', 'decided_at': '2026-06-15T08:30:00Z', 'outcome': 'kept', 'status': 'done', 'shared_tags': 1}"
expect "tasks, for people" 0 "$h" tasks --db "$db"
has "(under the question)" "similar past decisions:"
has "(one a line)" "t2 (i2, 2026-06-15T08:30:00Z): no by craig (\"fraud suspected\"); kept; 1 shared tag"
has "(a timeout too: nobody chose)" "t4 (i4, 2026-06-15T14:00:00Z): timeout; late"
hasnt "(never another playbook's)" "t6 (i6"

# ---- history, for people ----
expect "history: the timeline of i2 in words" 0 "$h" history i2 --db "$db"
has "(who was asked what)" "2026-06-15 07:00 +00:00  asked anna, ming (t2): Refund order A2?"
has "(an escalation: the level and who was added)" "2026-06-15 08:00 +00:00  t2 escalated to level 1: craig added"
has "(a seat handed over, from whom, to whom, why)" "2026-06-15 08:10 +00:00  t2 seat 1: lars asked in anna's place (reassigned by craig)"
has "(who answered what, and how long after they got the seat)" "2026-06-15 08:30 +00:00  craig answered t2: no (\"fraud suspected\"), 30m after being asked"
has "(tags and notes)" "2026-06-15 07:00 +00:00  noted: Refund of 20 asked"
has "(timers, their due time in the same zone)" "timer: level 1 of t2 due 2026-06-15 08:00 +00:00"
expect "history of an answer by someone asked at the start" 0 "$h" history i3 --db "$db"
has "(45m after being asked)" "anna answered t3: no (\"duplicate order\"), 45m after being asked"
# a seat delegated as the ask is made: anna is away, lars stands in
away=$tmp/away
printf '%s\n' '{"people": {"anna": {"email": "a@x", "manager": "craig", "away": [{"from": "2026-06-14", "to": "2026-06-20", "delegate": "lars"}]}, "ming": {"email": "m@x"}, "craig": {"email": "c@x"}, "lars": {"email": "l@x"}}}' > "$tmp/away.json"
{ "$h" directory load "$tmp/away.json" --db "$away" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$TOP/tests/audit/refund.play" --db "$away" --now 2026-06-15T05:00:00Z &&
  echo '{"order":"A9","region":"eu","amount":1}' | "$h" trigger shop.refund --id e9 --db "$away" --now 2026-06-15T06:00:00Z &&
  "$h" answer t1 yes --by lars --db "$away" --now 2026-06-15T06:07:00Z; } > "$tmp/out" 2>&1
expect "history of an ask whose first holder is away" 0 "$h" history i1 --db "$away"
has "(the seat delegated, and why)" "2026-06-15 06:00 +00:00  seat 1: lars asked in anna's place (anna is away until 2026-06-21 00:00 +00:00)"
has "(the delegate answers, and how long after)" "2026-06-15 06:07 +00:00  lars answered t1: yes, 7m after being asked"
# a seat delegated while the ask is open: anna goes away after t1 is asked, mei stands in
# (the decision record counts her as a holder, and the delegation)
later=$tmp/later
printf '%s\n' '{"people": {"anna": {"email": "a@x", "manager": "craig"}, "ming": {"email": "m@x"}, "craig": {"email": "c@x"}, "mei": {"email": "e@x"}}}' > "$tmp/later.json"
{ "$h" directory load "$tmp/later.json" --db "$later" --now 2026-06-15T05:00:00Z &&
  "$h" deploy "$TOP/tests/audit/refund.play" --db "$later" --now 2026-06-15T05:00:00Z &&
  echo '{"order":"B1","region":"eu","amount":1}' | "$h" trigger shop.refund --id b1 --db "$later" --now 2026-06-15T06:00:00Z &&
  echo '{"person":"anna","delegate":"mei"}' | "$h" trigger directory.away --id hr-1 --db "$later" --now 2026-06-15T06:10:00Z; } > "$tmp/out" 2>&1
expect "audit search --held mei: a seat she came to hold while the ask was open" 0 "$h" audit search --db "$later" --held mei --json
json "(finds t1, held by anna and mei, one delegation)" '[d["task"] for d in j] == ["t1"] and set(["anna", "mei"]) <= set(j[0]["held"]) and j[0]["delegated"] == 1'
expect "history --json: the records as stored" 0 "$h" history i2 --db "$db" --json
if [ "$(grep -c '"kind":"escalated"' "$tmp/out")" = 1 ] && ! grep -q 'after being asked' "$tmp/out"; then ok "(no words added to them)"; else no "(no words added to them)"; fi

# ---- the path an instance took, on the playbook's graph ----
expect "graph --instance: a finished instance" 0 "$h" graph "$TOP/tests/audit/refund.play" --db "$db" --instance i2
has "(its path named in the title, with how it ended)" 'label="refund: the path of i2 (done: kept)";'
has "(the states it entered, filled and numbered)" '"decide" [fillcolor="#ffd8a8", penwidth=2, xlabel="1"];'
has "(the end it reached, outlined)" '"done \"kept\"" [color="#d9480f", penwidth=4, fillcolor="#ffa94d"];'
if tail -1 "$tmp/out" | grep -qx '}'; then ok "(still one graph)"; else no "(still one graph)"; fi
expect "graph --instance: a running instance" 0 "$h" graph "$TOP/tests/audit/refund.play" --db "$db" --instance i5
has "(where it is now)" 'label="refund: the path of i5 (running, now in decide)";'
has "(that state outlined)" 'xlabel="1", color="#d9480f", penwidth=4'
expect "graph --instance of no such instance" 1 "$h" graph "$TOP/tests/audit/refund.play" --db "$db" --instance i99
expect "graph --db without --instance is a usage error" 2 "$h" graph "$TOP/tests/audit/refund.play" --db "$db"
printf 'playbook other\non shop.order as order\nstate s { done "x" }\n' > "$tmp/other.play"
expect "graph --instance of another playbook's instance is refused" 1 "$h" graph "$tmp/other.play" --db "$db" --instance i2
has "(saying whose it is)" "huddle: graph: instance i2 runs playbook refund, not other: draw it on refund's file"
if command -v dot > /dev/null; then
  expect "graph --instance --svg renders" 0 "$h" graph "$TOP/tests/audit/refund.play" --db "$db" --instance i2 --svg
  has "(SVG)" "<svg"
else
  skip "graph --instance --svg renders" "no Graphviz dot"; skip "(SVG)" "no Graphviz dot"
fi

# ---- export --format csv ----
expect "export --format csv" 0 "$h" audit export --db "$db" --format csv
if head -1 "$tmp/out" | tr -d '\r' | grep -qx 'instance,playbook,state,task,question,choices,asked_at,asked,held,delegated,escalated,answers,choice,by,comment,decided_at,seconds,outcome,tags,asked_hash,decided_hash,handed_from,operators,status'
then ok "(the documented columns, in order)"; else no "(the documented columns, in order)"; fi
if [ "$(wc -l < "$tmp/out")" -eq 7 ]; then ok "(one decision a row)"; else no "(one decision a row)"; fi
if grep -q $'\r$' "$tmp/out" 2>/dev/null || [ "$(head -1 "$tmp/out" | od -c | grep -c '\\r')" -ge 1 ]; then ok "(rows end in CRLF, as RFC 4180 says)"; else no "(rows end in CRLF)"; fi
if python3 - "$tmp/out" "$tmp/export.jsonl" > "$tmp/check" 2>&1 <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
by_task = {r["task"]: r for r in rows}
assert [r["task"] for r in rows] == ["t1", "t2", "t3", "t4", "t5", "t6"], [r["task"] for r in rows]
t2 = by_task["t2"]
want = {"instance": "i2", "playbook": "refund", "state": "decide", "question": "Refund order A2?", "choices": "yes|no",
        "asked_at": "2026-06-15T07:00:00Z", "asked": "anna|ming", "held": "anna|ming|craig|lars", "delegated": "1",
        "escalated": "1", "answers": "craig:no", "choice": "no", "by": "craig", "comment": "fraud suspected",
        "decided_at": "2026-06-15T08:30:00Z", "seconds": "5400", "outcome": "kept", "tags": "us",
        "handed_from": "", "operators": "craig"}
for k, v in want.items():
    assert t2[k] == v, (k, t2[k], v)
assert by_task["t6"]["comment"] == "ok, within budget"  # quoted: it has a comma
assert by_task["t5"]["choice"] == "" and by_task["t5"]["seconds"] == "" and by_task["t5"]["decided_hash"] == ""
assert by_task["t4"]["choice"] == "timeout" and by_task["t4"]["by"] == "" and by_task["t4"]["seconds"] == "14400"
hashes = {r["hash"] for r in (json.loads(l) for l in open(sys.argv[2])) if "hash" in r}
assert all(r["asked_hash"] in hashes for r in rows) and all(r["decided_hash"] in hashes for r in rows if r["decided_hash"])
PY
then ok "(each field as worked out by hand; a comment with a comma quoted; hashes from the chain)"; else no "(each field as worked out by hand)" "$tmp/check"; fi
grep -q '"ok, within budget"' "$tmp/out" && ok "(the quoted field as written)" || no "(the quoted field as written)"
expect "export --format csv --since: decisions asked since" 0 "$h" audit export --db "$db" --format csv --since 2026-06-15T14:00:00Z
if [ "$(wc -l < "$tmp/out")" -eq 3 ] && grep -q '^i5,' "$tmp/out" && grep -q '^i6,' "$tmp/out"; then ok "(t5 and t6)"; else no "(t5 and t6)"; fi
expect "export --format xml is a usage error" 2 "$h" audit export --db "$db" --format xml
has "(naming the formats)" "--format is jsonl or csv"

# ---- an ask its instance's cancel closed: neither decided nor open ----
cdb=$tmp/cancelled
"$h" directory load "$TOP/tests/audit/people.json" --db "$cdb" --now 2026-06-15T05:00:00Z > /dev/null 2>&1
"$h" deploy "$TOP/tests/audit/refund.play" --db "$cdb" --now 2026-06-15T05:00:00Z > /dev/null 2>&1
for o in C1 C2; do
  echo "{\"order\":\"$o\",\"region\":\"eu\",\"amount\":1}" | "$h" trigger shop.refund --id "$o" --db "$cdb" --now 2026-06-15T06:00:00Z > /dev/null 2>&1
done
expect "an instance asking is cancelled" 0 "$h" cancel i1 --by craig --reason "withdrawn" --db "$cdb" --now 2026-06-15T06:10:00Z
expect "search shows its ask" 0 "$h" audit search --db "$cdb"
has "(closed undecided, not open)" "i1 t1 refund/decide: Refund order C1? -> closed undecided; cancelled"
has "(the other ask is still open)" "i2 t2 refund/decide: Refund order C2? -> open"
expect "stats --json" 0 "$h" audit stats --db "$cdb" --json
json "(2 decisions: 0 decided, 1 open, 1 closed)" "[(g['decisions'], g['decided'], g['open'], g['closed']) for g in j] == [(2, 0, 1, 1)]"
expect "stats in words" 0 "$h" audit stats --db "$cdb"
has "(says so)" "refund/decide: 2 decisions (0 decided, 1 open, 1 closed undecided)"

# ---- words, case aside beyond ASCII ----
echo '{"order":"C3","region":"eu","amount":1}' | "$h" trigger shop.refund --id C3 --db "$cdb" --now 2026-06-15T06:20:00Z > /dev/null 2>&1
"$h" answer t3 no --by anna --comment "Jukka Mäkinen sanoi ÄLÄ" --db "$cdb" --now 2026-06-15T06:30:00Z > /dev/null 2>&1
db=$cdb   # what found searches
found "--words: upper case finds lower case beyond ASCII (MÄKINEN, Mäkinen)" "t3" --words "MÄKINEN"
found "--words: lower case finds upper case beyond ASCII (älä, ÄLÄ)" "t3" --words "älä"
found "--words: every word must be there" "" --words "mäkinen kyllä"
# Unicode's simple case folding where it is not the lower case: final sigma (ς, σ and Σ
# one letter), the micro sign and mu. Words are matched on the history's records, never
# kept folded in the store, so a store written before finds the same.
for o in C4 C5; do
  echo "{\"order\":\"$o\",\"region\":\"eu\",\"amount\":1}" | "$h" trigger shop.refund --id "$o" --db "$cdb" --now 2026-06-15T06:40:00Z > /dev/null 2>&1
done
"$h" answer t4 no --by anna --comment "η οδος είναι κλειστή, ας περιμένουμε 5 µs" --db "$cdb" --now 2026-06-15T06:50:00Z > /dev/null 2>&1
"$h" answer t5 no --by anna --comment "ΟΔΟΣ ΚΛΕΙΣΤΗ" --db "$cdb" --now 2026-06-15T06:55:00Z > /dev/null 2>&1
found "--words: a capital sigma finds a final sigma, and a final one a capital (ΟΔΟΣ, οδος)" "t5 t4" --words "ΟΔΟΣ"
found "--words: a final sigma finds a capital one (οδος, ΟΔΟΣ)" "t5 t4" --words "οδος"
found "--words: a word of two letters, final sigma (ΑΣ, ας)" "t4" --words "ΑΣ"
found "--words: mu finds the micro sign (μs, µs)" "t4" --words "5 μs"
plan
