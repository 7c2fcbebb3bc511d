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
# store's instances and histories afterwards.
#
# Then under load: STORE_LOCK_ROUNDS rounds (default 25) of three triggers and two
# readers at once, lock.mdb removed a random few milliseconds in; no process ends by a
# signal, each exits 0 or 3, and again no trigger that exited 0 is lost (before the
# guard, about one in twenty was).
#
# Last, serve.lock removed under a running serve: the serve still holds the store (its
# flock on the store folder), so tick and a second serve are still refused with exit 3.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
at_exit() { rm -f "$tmp/pause"; [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; :; }
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
trigger before || no "a first trigger" "$tmp/out.before"

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
[ -e "$db/lock.mdb" ] && ok "a lock file is there again" || no "a lock file is there again" ""

# Every acknowledged id started an instance whose history names it.
none_lost() { # DESC
  "$h" instances --db "$db" --json > "$tmp/instances" 2>&1
  : > "$tmp/events"
  for id in $(sed -n 's/.*"id": "\(i[0-9]*\)".*/\1/p' "$tmp/instances"); do
    "$h" history "$id" --db "$db" --json | sed -n 's/.*"kind":"started".*"event":{[^}]*"id":"\([^"]*\)".*/\1/p' >> "$tmp/events"
  done
  sort "$tmp/events" > "$tmp/events.sorted"
  sort "$tmp/acknowledged" | comm -23 - "$tmp/events.sorted" > "$tmp/lost"
  if [ ! -s "$tmp/lost" ]; then
    ok "$1: every trigger that exited 0 ($(wc -l < "$tmp/acknowledged")) started an instance that is still there"
  else
    { echo "lost:"; cat "$tmp/lost"; } > "$tmp/out"
    no "$1: every trigger that exited 0 started an instance that is still there ($(wc -l < "$tmp/lost") lost)" "$tmp/out"
  fi
}
none_lost "held across the removal"

# ---- under load ----
rounds=${STORE_LOCK_ROUNDS:-25}
: > "$tmp/problems"
refused=0
r=0
while [ "$r" -lt "$rounds" ]; do
  r=$((r + 1))
  pids=""
  for p in 1 2 3; do
    (trigger "r$r.$p") & pids="$pids $!:trigger-r$r.$p"
  done
  for p in 4 5; do
    "$h" instances --db "$db" > "$tmp/out.read$p" 2>&1 & pids="$pids $!:read$p"
  done
  sleep "0.0$(awk -v r="$r" 'BEGIN { srand(r); print int(rand() * 9) }')"
  rm -f "$db/lock.mdb"
  for entry in $pids; do
    wait "${entry%%:*}"
    rc=$?
    case $rc in
      0) ;;
      3) refused=$((refused + 1)) ;;
      *) echo "round $r: ${entry#*:} exited $rc" >> "$tmp/problems" ;;
    esac
  done
done
if [ ! -s "$tmp/problems" ]; then
  ok "$rounds rounds of writers and readers with lock.mdb removed: no signal, each exits 0 or 3 ($refused refused)"
else
  no "$rounds rounds of writers and readers with lock.mdb removed: no signal, each exits 0 or 3" "$tmp/problems"
fi
none_lost "under load"

# ---- serve does not start beside a running tick ----
# Before, tick only looked for serve's lock as it started: a serve started while a tick
# was still sending took the store, and both fired timers and sent the outbox.
sdb=$tmp/served
if serve_store "$sdb"; then ok "a store for serve"; else no "a store for serve" "$tmp/deploy.out"; fi
rm -f "$tmp/pause"
HUDDLE_PAUSE_AT="write begin" HUDDLE_PAUSE_FILE="$tmp/pause" "$h" tick --db "$sdb" > "$tmp/out.tick" 2>&1 &
ticking=$!
i=0
while [ ! -e "$tmp/pause" ] && [ "$i" -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
if [ -e "$tmp/pause" ]; then ok "a tick is held inside its run"; else no "a tick is held inside its run" "$tmp/out.tick"; fi
expect "serve refuses to start beside the running tick (exit 3)" 3 timeout 10 "$h" serve --db "$sdb" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json"
has "saying a tick is running" "a huddle tick is running on the store"
expect "a second tick beside it is not mistaken for serve" 0 timeout 10 "$h" tick --db "$sdb"
rm -f "$tmp/pause"
wait "$ticking"
if [ "$?" -eq 0 ]; then ok "the held tick ends with exit 0"; else no "the held tick ends with exit 0" "$tmp/out.tick"; fi

# ---- serve.lock removed under a running serve ----
if serve_store "$sdb" && serve_start "$sdb"; then
  ok "serve runs on a store"
  rm -f "$sdb/serve.lock"
  expect "with serve.lock removed, tick still refuses beside serve (exit 3)" 3 timeout 10 "$h" tick --db "$sdb"
  has "saying serve holds the store" "huddle serve holds the store"
  expect "and a second serve still refuses (exit 3)" 3 timeout 10 "$h" serve --db "$sdb" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json"
  has "saying another serve holds it" "another huddle serve holds the store"
  serve_stop
  if [ "$serve_rc" -eq 0 ]; then ok "the first serve still stops with exit 0"; else no "the first serve still stops with exit 0 (got $serve_rc)" "$tmp/serve.log"; fi
  expect "tick works once serve is gone" 0 "$h" tick --db "$sdb"
else
  no "serve runs on a store" "$tmp/serve.log"
fi
plan
