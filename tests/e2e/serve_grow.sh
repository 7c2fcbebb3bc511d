#!/bin/sh
# tests/e2e/serve_grow.sh - serve keeps its data.mdb ahead of LMDB's pages with written
# zeros (runtime/store/store_grow.c), and nothing that reads the store minds: a small
# store keeps LMDB's own size; with HUDDLE_STORE_GROW_FROM=1 (the test hook that lets a
# small store grow ahead) the file runs ahead by at most a step (1 MiB here) while CLI
# writes beside serve work, mdb_copy copies the pages alone and the copy opens, and CLI
# commands (with the same hook) never grow a store ahead; kill -9 of serve in the middle
# of a step leaves a store that opens, holds its invariants and takes the event again.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
step=1048576

used() { # used DIR: the bytes LMDB uses in DIR/data.mdb (pages used times the page size)
  mdb_stat -e "$1" | awk '/Page size:/ {p = $3} /Number of pages used:/ {n = $5} END {print n * p}'
}
size() { stat -c %s "$1/data.mdb"; }

refund() { # refund ID [NOTE BYTES]: a signed refund event; status in $status, body in $tmp/out
  note=$(head -c "${2:-8}" /dev/zero | tr '\0' n)
  body="{\"id\": \"$1\", \"type\": \"refund\", \"at\": \"2026-06-15T08:10:00Z\", \"order\": \"$1\", \"amount\": 5, \"note\": \"$note\", \"customer\": {\"name\": \"Ann\"}}"
  status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
    -H "X-Huddle-Signature: $(sign "$body")" --data "$body" "$base/v1/events/shop")
}

instances() { # instances DIR: how many instances the CLI lists
  "$h" instances --db "$1" --json > "$tmp/instances" 2>&1 && grep -c '"id": "i' "$tmp/instances"
}

# ---- a small store keeps LMDB's own size ----
db=$tmp/small
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
serve_start "$db" || { no "serve starts" "$tmp/serve.log"; plan; exit 0; }
i=0; bad=0
while [ $i -lt 10 ]; do i=$((i + 1)); refund "s$i" 2000; [ "$status" = 200 ] || bad=$((bad + 1)); done
[ $bad -eq 0 ] && ok "serve takes 10 events on a small store" || no "serve takes 10 events on a small store ($bad refused)"
serve_stop
if [ "$(size "$db")" -le "$(used "$db")" ]; then ok "a store below 8 MiB keeps LMDB's own size ($(size "$db") bytes)"
else no "a store below 8 MiB keeps LMDB's own size ($(size "$db") of $(used "$db") used)" ""; fi

# ---- grown ahead ----
db=$tmp/ahead
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
export HUDDLE_STORE_GROW_FROM=1
serve_start "$db" || { no "serve starts with the hook" "$tmp/serve.log"; plan; exit 0; }
unset HUDDLE_STORE_GROW_FROM
i=0; bad=0
while [ $i -lt 10 ]; do i=$((i + 1)); refund "a$i" 2000; [ "$status" = 200 ] || bad=$((bad + 1)); done
[ $bad -eq 0 ] && ok "serve takes 10 events" || no "serve takes 10 events ($bad refused)"
ahead=$(( $(size "$db") - $(used "$db") ))
if [ "$ahead" -gt 0 ] && [ "$ahead" -le $step ]; then ok "data.mdb runs ahead of LMDB's pages by at most a step ($ahead bytes)"
else no "data.mdb runs ahead of LMDB's pages by at most a step ($ahead bytes)" ""; fi
expect "a CLI write beside serve works (directory load)" 0 "$h" directory load "$tmp/people.json" --db "$db"
refund a11 2000
[ "$status" = 200 ] && ok "and serve takes the next event" || no "and serve takes the next event (status $status)"
mkdir "$tmp/copy" "$tmp/copy2"
expect "mdb_copy copies the store while serve runs" 0 mdb_copy "$db" "$tmp/copy"
if [ "$(size "$tmp/copy")" -eq "$(used "$tmp/copy")" ]; then ok "the copy holds LMDB's pages, not the zeros ($(size "$tmp/copy") bytes)"
else no "the copy holds LMDB's pages, not the zeros ($(size "$tmp/copy") bytes, $(used "$tmp/copy") used)" ""; fi
[ "$(instances "$tmp/copy")" = 11 ] && ok "the copy opens and lists the 11 instances" || no "the copy opens and lists the 11 instances" "$tmp/instances"
serve_stop
[ "$serve_rc" -eq 0 ] && ok "serve exits 0 at SIGTERM" || no "serve exits 0 at SIGTERM (got $serve_rc)" "$tmp/serve.log"
serve_log_ok "its log is JSON, with no sanitizer report"
[ "$(instances "$db")" = 11 ] && ok "the grown store opens for the CLI with its 11 instances" || no "the grown store opens for the CLI" "$tmp/instances"
expect "its invariants hold" 0 "$tool_store_invariants" "$db"

# ---- CLI commands never grow ahead, the hook set or not ----
db=$tmp/cli
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
i=0
while [ $i -lt 5 ]; do
  i=$((i + 1))
  echo "{\"order\": \"c$i\", \"amount\": 5, \"customer\": {\"name\": \"Ann\"}}" |
    HUDDLE_STORE_GROW_FROM=1 "$h" trigger shop.refund --id "c$i" --db "$db" > "$tmp/out" 2>&1 || break
done
[ $i -eq 5 ] && ok "five CLI triggers with the hook set" || no "five CLI triggers with the hook set"
if [ "$(size "$db")" -le "$(used "$db")" ]; then ok "and the store keeps LMDB's own size"
else no "and the store keeps LMDB's own size ($(size "$db") of $(used "$db") used)" ""; fi

# ---- kill -9 in the middle of a step ----
db=$tmp/killed
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }
: > "$tmp/serve.log"
rm -f "$tmp/pause"
HUDDLE_STORE_GROW_FROM=1 HUDDLE_PAUSE_AT="grow ahead" HUDDLE_PAUSE_FILE="$tmp/pause" \
  "$h" serve --db "$db" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json" 2> "$tmp/serve.log" &
serve_pid=$!
i=0; base=
while [ $i -lt 100 ] && [ ! -f "$tmp/pause" ]; do
  if [ -z "$base" ]; then  # listening: the event's write transaction takes the step
    base=$(sed -n 's/.*"event":"listening","address":"\([0-9.:]*\)".*/http:\/\/\1/p' "$tmp/serve.log")
    [ -n "$base" ] && { (refund k1 2000) > /dev/null 2>&1 & }
  fi
  sleep 0.1; i=$((i + 1))
done
if [ -f "$tmp/pause" ]; then ok "serve pauses in the middle of a step"; else no "serve pauses in the middle of a step" "$tmp/serve.log"; fi
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
wait
if [ "$(size "$db")" -gt "$(used "$db")" ]; then ok "killed -9 with zeros past LMDB's last page ($(( $(size "$db") - $(used "$db") )) bytes)"
else no "killed -9 with zeros past LMDB's last page" ""; fi
[ "$(instances "$db")" = 0 ] && ok "the store opens after the kill, without the uncommitted event" || no "the store opens after the kill" "$tmp/instances"
expect "its invariants hold after the kill" 0 "$tool_store_invariants" "$db"
expect "mdb_copy copies it" 0 mdb_copy "$db" "$tmp/copy2"
[ "$(instances "$tmp/copy2")" = 0 ] && ok "and the copy opens" || no "and the copy opens" "$tmp/instances"
export HUDDLE_STORE_GROW_FROM=1
serve_start "$db" || { no "serve starts again" "$tmp/serve.log"; plan; exit 0; }
unset HUDDLE_STORE_GROW_FROM
refund k1 2000
# The killed round's input was in inputs.inflight: serve applies it as it starts, and the
# event sent again is then its duplicate.
[ "$status" = 200 ] && ok "serve takes the event again (200)" || no "serve takes the event again (status $status)"
serve_stop
[ "$serve_rc" -eq 0 ] && ok "and exits 0 at SIGTERM" || no "and exits 0 at SIGTERM (got $serve_rc)" "$tmp/serve.log"
[ "$(instances "$db")" = 1 ] && ok "the store holds the one instance: the event applied once" || no "the store holds the one instance" "$tmp/instances"
plan
