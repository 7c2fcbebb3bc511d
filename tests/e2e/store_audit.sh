#!/bin/sh
# tests/e2e/store_audit.sh - findings of an audit of the store's limits (RUNTIME.md,
# "Limits and damage"; promise 1, "Accepted means kept"; promise 6), each a test that
# failed before its fix:
#
# F1. An event whose data held a list or map of more than 100,000 items (a 300 KB
#     event, under the default 1 MiB) or, with --max-body raised, a text over 1 MiB was
#     accepted, and its instance's frame was then refused on every read ("corrupt
#     frame: a list is too long"): no answer or cancel could reach it, and once its
#     deadline was due every write on the store (tick, trigger, deploy) failed with exit
#     3. The frame reader now reads back whatever the writer wrote (bounded by the
#     frame's own bytes).
# F5. lock.mdb missing in a folder its user cannot write: "cannot open db/lock.mdb:
#     Permission denied", with none of the advice the other permission cases give; now
#     the same advice (run as the user nobody through setpriv, when there is one).
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/db
cat > "$tmp/pb.play" <<'PLAY'
playbook refund

on shop.refund as r

state decide {
  ask person("anna") "Refund?"
    choices yes, no
    within 1h
  {
    yes     -> done "refunded {len(r.items)}"
    no      -> done "refused"
    timeout -> done "timeout {len(r.note)}"
  }
}
PLAY
expect "deploy" 0 "$h" deploy "$tmp/pb.play" --db "$db" --now 2026-03-02T09:00:00Z
python3 -c "import json, sys; sys.stdout.write(json.dumps({'items': [1] * 100001, 'note': ''}))" > "$tmp/list.json"
expect "an event with a list of 100,001 items is accepted" 0 "$h" trigger shop.refund --id big --db "$db" --now 2026-03-02T09:01:00Z < "$tmp/list.json"
expect "  and its ask can be answered" 0 "$h" answer t1 yes --by anna --db "$db" --now 2026-03-02T09:02:00Z
has "  reading the whole list" "done: refunded 100001"
python3 -c "import json, sys; sys.stdout.write(json.dumps({'items': [], 'note': 'x' * 1048577, 'm': {'k%d' % i: 1 for i in range(100001)}}))" > "$tmp/text.json"
expect "an event with a text over 1 MiB and a map of 100,001 keys (--max-body raised)" 0 \
  "$h" trigger shop.refund --id big2 --db "$db" --now 2026-03-02T09:03:00Z --max-body 4000000 < "$tmp/text.json"
echo '{"items": [], "note": ""}' > "$tmp/small.json"
expect "an unrelated event after its deadline is taken" 0 "$h" trigger shop.refund --id small --db "$db" --now 2026-03-02T11:00:00Z < "$tmp/small.json"
expect "tick fires the deadlines" 0 "$h" tick --db "$db" --now 2026-03-02T13:00:00Z
expect "history of the big one" 0 "$h" history i2 --db "$db"
has "  its deadline decided it, reading the whole text" "done: timeout 1048577"
expect "audit verify" 0 "$h" audit verify --db "$db"

# ---- F5 ----
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  cp -r "$db" "$tmp/locked"
  rm -f "$tmp/locked/lock.mdb"
  chown -R 65534 "$tmp/locked"; chmod 555 "$tmp/locked"; chmod 755 "$tmp"
  expect "a reader where lock.mdb is missing and the folder is not writable: exit 3" 3 \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$h" instances --db "$tmp/locked"
  has "  saying what to check" "check their owner and permissions"
  chmod 755 "$tmp/locked"
else
  skip "a reader where lock.mdb is missing and the folder is not writable: exit 3" "not root, or no setpriv"
  skip "  saying what to check" "not root, or no setpriv"
fi
plan
