#!/bin/sh
# tests/e2e/store_full.sh - a full disk is an error that says "no space left on device",
# never SIGBUS: creating a store on a disk without room for it, and writing to a store
# whose disk fills up. The disk is a small tmpfs (mount -t tmpfs needs root; where mount
# is not permitted those tests are skipped, said in TAP). Then the same through a
# file-size limit (ulimit -f, with SIGXFSZ ignored so that write returns EFBIG), which
# needs no privilege. `huddle serve`, whose store grows ahead of LMDB's pages by written
# zeros (HUDDLE_STORE_GROW_FROM=1 lets a small store do so), stops its zeros 64 KiB below
# the limit and short of the disk's last room, and a write that then meets the limit or
# the full disk is refused as such (503, "no space left on device"). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
disk=$tmp/disk
mkdir "$disk" "$tmp/disk2"
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; umount "$tmp/disk" "$tmp/disk2" 2>/dev/null; }
now=2026-06-15T08:00:00Z
said_full() { # DESC RC OUT: exit 3 and the words, no signal
  if [ "$2" -eq 3 ] && grep -q "no space left on device" "$3"; then ok "$1"
  else echo "# exit $2" >> "$3"; no "$1 (exit 3 and \"no space left on device\")" "$3"; fi
}
# Fills the disk but for about KB kilobytes.
fill() {
  free=$(df -k --output=avail "$disk" | tail -1)
  [ "$free" -gt "$1" ] && head -c $(((free - $1) * 1024)) /dev/zero > "$disk/filler.$(date +%s%N)" 2>/dev/null
  return 0
}

# ---- a file-size limit ----
db=$tmp/limited
"$h" deploy tests/crash/ping.play --db "$db" --now "$now" > "$tmp/out" 2>&1 || no "deploy" "$tmp/out"
limit=$(( ($(stat -c %s "$db/data.mdb") + 300 * 1024) / 512 ))   # in 512-byte blocks
(
  trap '' XFSZ
  ulimit -f "$limit" || exit 99
  i=0
  while [ "$i" -lt 60 ]; do
    i=$((i + 1))
    head -c 20000 /dev/zero | tr '\0' x | sed 's/.*/{"host":"&","ok":false}/' |
      "$h" trigger ops.ping --id "l$i" --db "$db" --now "$now" > "$tmp/out" 2>&1 || exit $?
  done
  exit 0
)
rc=$?
if [ "$rc" -eq 99 ]; then skip "a write at the file-size limit says so" "ulimit -f not permitted"
else said_full "a write at the file-size limit says so" "$rc" "$tmp/out"; fi
"$h" instances --db "$db" > "$tmp/out" 2>&1 && ok "and the store still reads" || no "and the store still reads" "$tmp/out"

# serve_full DESC PREFIX: posts refund events of 20 KB (ids PREFIX-N) to serve until one
# is refused (150 at most), counting the accepted in $accepted; passes when the refusal is
# a 503 that says "no space left on device"; then serve must still answer.
serve_full() {
  accepted=0
  i=0
  note=$(head -c 20000 /dev/zero | tr '\0' n)
  while [ "$i" -lt 150 ]; do
    i=$((i + 1))
    body="{\"id\": \"$2-$i\", \"type\": \"refund\", \"at\": \"2026-06-15T08:10:00Z\", \"order\": \"$2-$i\", \"amount\": 5, \"note\": \"$note\", \"customer\": {\"name\": \"Ann\"}}"
    status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X POST -H 'Content-Type: application/json' \
      -H "X-Huddle-Signature: $(sign "$body")" --data "$body" "$base/v1/events/shop")
    [ "$status" = 200 ] || break
    accepted=$((accepted + 1))
  done
  if [ "$status" = 503 ] && grep -q "no space left on device" "$tmp/out"; then ok "$1 (after $accepted events)"
  else echo "# status $status after $accepted events" >> "$tmp/out"; no "$1 (503 and \"no space left on device\")"; fi
  call "and serve still answers" 200 GET /healthz
}
# instances DIR: how many instances the CLI lists.
instances() { "$h" instances --db "$1" --json > "$tmp/out" 2>&1 && grep -c '"id": "i' "$tmp/out"; }

# ---- serve at a file-size limit ----
sdb=$tmp/served
serve_store "$sdb" || no "deploy for serve" "$tmp/deploy.out"
limit=$(( ($(stat -c %s "$sdb/data.mdb") + 300 * 1024) / 512 ))
printf '#!/bin/sh\ntrap "" XFSZ\nulimit -f %s || exit 99\nHUDDLE_STORE_GROW_FROM=1 exec "%s" "$@"\n' "$limit" "$h" > "$tmp/huddle-limited"
chmod +x "$tmp/huddle-limited"
cli=$h h=$tmp/huddle-limited
if ! serve_start "$sdb"; then
  h=$cli
  if sh -c "ulimit -f $limit" 2>/dev/null; then no "serve starts under a file-size limit" "$tmp/serve.log"
  else skip "serve at the file-size limit" "ulimit -f not permitted"; fi
else
  h=$cli
  ev='{"id": "first", "type": "refund", "at": "2026-06-15T08:10:00Z", "order": "first", "amount": 5, "customer": {"name": "Ann"}}'
  call "serve takes a first event under the limit" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
  size=$(stat -c %s "$sdb/data.mdb")
  [ "$size" -eq $((limit * 512 - 65536)) ] && ok "its zeros stop 64 KiB below the limit" ||
    no "its zeros stop 64 KiB below the limit ($size bytes, the limit $((limit * 512)))"
  serve_full "serve at the file-size limit says so" l
  size=$(stat -c %s "$sdb/data.mdb")
  [ "$size" -le $((limit * 512)) ] && ok "data.mdb stays within the limit ($size of $((limit * 512)) bytes)" ||
    no "data.mdb stays within the limit ($size of $((limit * 512)) bytes)"
  serve_stop
  [ "$serve_rc" -eq 0 ] && ok "serve exits 0 at SIGTERM" || no "serve exits 0 at SIGTERM (got $serve_rc)" "$tmp/serve.log"
  [ "$(instances "$sdb")" = $((accepted + 1)) ] && ok "the store reads: every accepted event started an instance" ||
    no "the store reads: every accepted event started an instance ($accepted + 1 accepted)"
fi

# ---- a full tmpfs ----
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then
  skip "creating a store on a full disk" "no tmpfs (mount not permitted)"
  skip "a write on a full disk" "no tmpfs (mount not permitted)"
  skip "serve on a disk that fills up" "no tmpfs (mount not permitted)"
  plan
  exit 0
fi

# Creating: room for a lock file, not for the store's first pages.
fill 12
"$h" deploy tests/crash/ping.play --db "$disk/new" --now "$now" > "$tmp/out" 2>&1
said_full "creating a store on a full disk says so" "$?" "$tmp/out"
rm -f "$disk"/filler.*
"$h" deploy tests/crash/ping.play --db "$disk/new" --now "$now" > "$tmp/out" 2>&1 &&
  ok "with room again the same folder becomes a store" || no "with room again the same folder becomes a store" "$tmp/out"

# Writing: triggers with 20 KB of data each until the disk is full.
db=$disk/new
fill 200
: > "$tmp/accepted"
full=""
i=0
while [ "$i" -lt 60 ]; do
  i=$((i + 1))
  head -c 20000 /dev/zero | tr '\0' x | sed 's/.*/{"host":"&","ok":false}/' |
    "$h" trigger ops.ping --id "f$i" --db "$db" --now "$now" > "$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ]; then echo "f$i" >> "$tmp/accepted"; continue; fi
  full=$rc
  break
done
if [ -n "$full" ]; then said_full "a trigger on a full disk says so" "$full" "$tmp/out"
else no "the disk filled up within 60 triggers of 20 KB" "$tmp/out"; fi
"$h" instances --db "$db" > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "the store still reads on a full disk" || no "the store still reads on a full disk (exit $rc)" "$tmp/out"
"$h" tick --db "$db" --now 2026-06-15T09:00:00Z > "$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] || { [ "$rc" -eq 3 ] && grep -q "no space left on device" "$tmp/out"; }; then ok "a tick on a full disk works or says so (exit $rc)"
else no "a tick on a full disk works or says so (exit $rc)" "$tmp/out"; fi
rm -f "$disk"/filler.*
echo '{"host":"h","ok":false}' | "$h" trigger ops.ping --id after --db "$db" --now "$now" > "$tmp/out" 2>&1 &&
  echo after >> "$tmp/accepted" && ok "with room again a trigger is accepted" || no "with room again a trigger is accepted" "$tmp/out"
"$h" instances --db "$db" --json > "$tmp/instances" 2>&1
count=$(grep -c '"id": "i' "$tmp/instances")
[ "$count" -eq "$(wc -l < "$tmp/accepted")" ] && ok "every accepted trigger started an instance ($count)" ||
  no "every accepted trigger started an instance ($count instances, $(wc -l < "$tmp/accepted") accepted)" "$tmp/instances"

# serve on a disk that fills up: its zeros take a step while the disk has room for two
# steps besides, none after, and a write that finds the disk full is refused as such.
mount -t tmpfs -o size=8m tmpfs "$tmp/disk2"
disk=$tmp/disk2
sdb=$disk/served
serve_store "$sdb" || no "deploy for serve on the small disk" "$tmp/deploy.out"
fill 2300
export HUDDLE_STORE_GROW_FROM=1
serve_start "$sdb" || no "serve starts on the small disk" "$tmp/serve.log"
unset HUDDLE_STORE_GROW_FROM
ev='{"id": "first", "type": "refund", "at": "2026-06-15T08:10:00Z", "order": "first", "amount": 5, "customer": {"name": "Ann"}}'
call "serve takes a first event" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
pages=$(mdb_stat -e "$sdb" | awk '/Page size:/ {p = $3} /Number of pages used:/ {n = $5} END {print n * p}')
[ "$(stat -c %s "$sdb/data.mdb")" -gt "$pages" ] && ok "its zeros took a step while the disk had room for two" ||
  no "its zeros took a step while the disk had room for two ($(stat -c %s "$sdb/data.mdb") bytes, $pages used)"
serve_full "serve on a disk that fills up says so" d
serve_stop
[ "$(instances "$sdb")" = $((accepted + 1)) ] && ok "every event accepted before the disk filled started an instance" ||
  no "every event accepted before the disk filled started an instance ($accepted + 1 accepted)"
rm -f "$disk"/filler.*
export HUDDLE_STORE_GROW_FROM=1
serve_start "$sdb" || no "serve starts again with room" "$tmp/serve.log"
unset HUDDLE_STORE_GROW_FROM
ev='{"id": "room", "type": "refund", "at": "2026-06-15T08:10:00Z", "order": "room", "amount": 5, "customer": {"name": "Ann"}}'
call "with room again serve takes an event" 200 POST /v1/events/shop -H 'Content-Type: application/json' -H "X-Huddle-Signature: $(sign "$ev")" --data "$ev"
serve_stop
plan
