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

# RUNTIME.md "Trace format": --mocks maps connector.operation to a reply, a list of
# replies, or {"fail": "message"}. A "fail" that was no string ({"fail": 5}) was taken for
# a successful reply ({"fail":5} was what the call returned, and the run said done). Now
# the mocks are refused before the run starts (exit 1, as mocks that are not JSON), naming
# the mock and what "fail" must be; so are an empty list and a name that is no call's.
cat > "$tmp/call.play" <<'PLAY'
playbook lookup

on src.alert as a

state start {
  let r = call kb.lookup({q: 1}) else goto failed
  done "got {r}"
}

state failed { done "failed" }
PLAY
echo '{"at": "2026-06-15T08:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1", "data": {}}}' > "$tmp/call.jsonl"
mocks_refused() { # mocks_refused DESC MOCKS TEXT
  echo "$2" > "$tmp/mocks.json"
  expect "$1" 1 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
  has "  naming the mock and what it must be" "$3"
  hasnt "  before the run starts" "started"
}
mocks_refused 'a mock {"fail": 5} is refused' '{"kb.lookup": {"fail": 5}}' \
  'mocks.json: "kb.lookup" has "fail": 5, but "fail" is the failure'"'"'s message, a non-empty string'
mocks_refused 'a {"fail": null} in a list of replies is refused' '{"kb.lookup": [{"v": 1}, {"fail": null}]}' \
  '"kb.lookup", reply 2 of its list, has "fail": null'
mocks_refused 'an empty "fail" is refused' '{"kb.lookup": {"fail": ""}}' '"kb.lookup" has "fail": ""'
mocks_refused 'an empty list of replies is refused' '{"kb.lookup": []}' '"kb.lookup" has an empty list: give one reply or more'
mocks_refused 'a mock whose name is no call'"'"'s is refused' '{"kblookup": {"v": 1}}' \
  '"kblookup" is not a call'"'"'s name: a mock is named connector.operation'
echo '{"kb.lookup": {"fail": "down"}}' > "$tmp/mocks.json"
expect 'a mock {"fail": "down"} still fails the call' 0 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
has "  (its else runs)" "done     failed"
echo '{"kb.lookup": [[1, 2]]}' > "$tmp/mocks.json"
expect 'a list of replies whose reply is a list is taken' 0 "$h" run "$tmp/call.play" --events "$tmp/call.jsonl" --mocks "$tmp/mocks.json"
has "  (the call returns it)" "got [1,2]"

plan
