#!/bin/sh
# tests/e2e/audit6_says.sh - the sixth audit, by the lens of what the store commands and
# `huddle run` say, and the store's counters (2026-12-06, helper s6door): each check here
# failed on the binary before its fix (a few are the sanity checks beside them). On real
# stores with --now, and on `huddle run` traces. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

without_meta() { # without_meta FROM TO KEY: TO is a copy of the store FROM without meta's KEY
  hex=$(printf %s "$3" | od -An -tx1 | tr -d ' \n')
  mkdir "$2" && mdb_dump -a "$1" |
    awk -v k=" $hex" '/^database=/ { db = substr($0, 10) } skip { skip = 0; next }
                      db == "meta" && $0 == k { skip = 1; next } { print }' | mdb_load -f /dev/stdin "$2" 2> /dev/null
}

# docs/runtime.md "A damaged store is an error, never an answer": a counter that would
# give a new entry the number of one the store holds is the store's damage. next_instance,
# next_task and next_outbox were checked (audit5_store.sh); next_mail was not: a store
# whose next_mail was lost gave an event joining a case the number of one waiting in the
# instance's mailbox, and overwrote it (the waiting event was gone, recorded nowhere).
d=$tmp/mail
cat > "$tmp/mail.play" <<'PLAY'
playbook mail

on src.alert as a
  case a.key for 7d

state start {
  ask person("ana") "Go?" choices yes, no within 1h
  { yes -> waiting  no -> done "no"  timeout -> done "late" }
}

state waiting {
  wait { src.alert as more -> done "more: {more.n}"  after 1h -> done "quiet" }
}
PLAY
"$h" deploy "$tmp/mail.play" --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
echo '{"key": "k", "n": 1}' | "$h" trigger src.alert --id e1 --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
echo '{"key": "k", "n": 2}' | "$h" trigger src.alert --id e2 --db "$d" --now 2026-06-15T08:01:00Z > /dev/null
without_meta "$d" "$tmp/no-mail" next_mail
verify_before=$("$h" audit verify --db "$tmp/no-mail" 2>&1)
echo '{"key": "k", "n": 3}' > "$tmp/data.json"
expect "without meta's next_mail, an event joining a case with mail waiting is refused" 3 \
  "$h" trigger src.alert --id e3 --db "$tmp/no-mail" --now 2026-06-15T08:02:00Z < "$tmp/data.json"
has "  as the store's damage, naming the counter and the mailbox" \
    "the store is damaged: meta's next_mail gives the number 1 to a new event in i1's mailbox, but it holds number 1 already"
has "  and what to do" "restore the store from a backup made with mdb_copy"
"$h" audit verify --db "$tmp/no-mail" > "$tmp/out" 2>&1
if [ "$(cat "$tmp/out")" = "$verify_before" ]; then ok "  and changed nothing: audit verify says what it said"
else no "  and changed nothing: audit verify says what it said"; fi
# the same store with its counter is fine: the waiting event is the one the wait takes
echo '{"key": "k", "n": 3}' | "$h" trigger src.alert --id e3 --db "$d" --now 2026-06-15T08:02:00Z > /dev/null
expect "with the counter, the answer is taken" 0 "$h" answer t1 yes --by ana --db "$d" --now 2026-06-15T08:03:00Z
expect "  and the wait takes the oldest waiting event" 0 "$h" instances --db "$d"
has "  (e2's)" "more: 2"

plan
