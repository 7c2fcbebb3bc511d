#!/bin/sh
# tests/e2e/store_lock.sh - lock.mdb removed under a running process loses no commit.
#
# A trigger (A) is held just before its write transaction (HUDDLE_PAUSE_AT="write begin")
# while it has the store open; lock.mdb is removed; other commands run; A goes on; one
# more trigger runs. Before the guard, the second trigger made a new lock.mdb and
# committed, and A then wrote on the commit number its removed lock file remembered,
# overwriting that acknowledged commit. Now a command that meets a store whose lock file
# was removed under another process is refused with exit 3 and a sentence, A reopens the
# store when it finds its lock file gone, and every trigger that exited 0 is in the
# store's instances and histories afterwards. TAP lines.
set -u
h=$HUDDLE
cd "$TOP" || exit 1
tmp=$(mktemp -d)
trap 'rm -f "$tmp/pause"; rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/#   /' "$2" | head -20; }
db=$tmp/db
now=2026-06-15T08:00:00Z
: > "$tmp/acknowledged"

trigger() { # ID [OUT]: a ping that starts an instance; records the id when it exits 0
  echo '{"host":"h","ok":false}' | "$h" trigger ops.ping --id "$1" --db "$db" --now "$now" > "${2:-$tmp/out.$1}" 2>&1
  rc=$?
  [ "$rc" -eq 0 ] && echo "$1" >> "$tmp/acknowledged"
  return "$rc"
}
not_a_signal() { # DESC RC OUT
  if [ "$2" -lt 128 ]; then ok "$1 (exit $2)"; else no "$1: killed by signal $(($2 - 128))" "$3"; fi
}

"$h" deploy tests/crash/ping.play --db "$db" --now "$now" > "$tmp/out" 2>&1 || { no "deploy" "$tmp/out"; exit 1; }
trigger before || no "a first trigger"

# A: held with the store open, just before its write transaction.
(echo '{"host":"a","ok":false}' | HUDDLE_PAUSE_AT="write begin" HUDDLE_PAUSE_FILE="$tmp/pause" \
   "$h" trigger ops.ping --id held --db "$db" --now "$now" > "$tmp/out.held" 2>&1; echo $? > "$tmp/rc.held") &
held=$!
i=0
while [ ! -e "$tmp/pause" ] && [ "$i" -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
if [ -e "$tmp/pause" ]; then ok "a trigger is held with the store open"; else no "a trigger is held with the store open" "$tmp/out.held"; fi

rm -f "$db/lock.mdb"
trigger during "$tmp/out.during"
rc=$?
not_a_signal "a trigger while the held one keeps the removed lock file is no signal" "$rc" "$tmp/out.during"
if [ "$rc" -eq 0 ] || { [ "$rc" -eq 3 ] && grep -q "lock file.*was removed" "$tmp/out.during"; }; then
  ok "it is committed or refused with exit 3 and a sentence about the lock file"
else
  no "it is committed or refused with exit 3 and a sentence about the lock file (exit $rc)" "$tmp/out.during"
fi
"$h" instances --db "$db" > "$tmp/out.read" 2>&1
not_a_signal "a reader meanwhile is no signal" "$?" "$tmp/out.read"

rm -f "$tmp/pause"
wait "$held"
rc=$(cat "$tmp/rc.held")
if [ "$rc" -eq 0 ]; then
  echo held >> "$tmp/acknowledged"
  ok "the held trigger goes on: it reopens the store and commits"
else
  no "the held trigger goes on: it reopens the store and commits (exit $rc)" "$tmp/out.held"
fi
trigger after || no "a trigger afterwards" "$tmp/out.after"
[ -e "$db/lock.mdb" ] && ok "a lock file is there again" || no "a lock file is there again"

# Every acknowledged id started an instance whose history names it.
"$h" instances --db "$db" --json > "$tmp/instances" 2>&1
: > "$tmp/events"
for id in $(sed -n 's/.*"id": "\(i[0-9]*\)".*/\1/p' "$tmp/instances"); do
  "$h" history "$id" --db "$db" --json | sed -n 's/.*"kind":"started".*"event":{[^}]*"id":"\([^"]*\)".*/\1/p' >> "$tmp/events"
done
: > "$tmp/lost"
while read -r id; do grep -qx "$id" "$tmp/events" || echo "$id" >> "$tmp/lost"; done < "$tmp/acknowledged"
if [ ! -s "$tmp/lost" ]; then
  ok "every trigger that exited 0 ($(tr '\n' ' ' < "$tmp/acknowledged")) started an instance that is still there"
else
  { echo "lost:"; cat "$tmp/lost"; echo "instances:"; cat "$tmp/instances"; } > "$tmp/out"
  no "every trigger that exited 0 started an instance that is still there" "$tmp/out"
fi
