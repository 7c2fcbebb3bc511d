#!/bin/sh
# tests/e2e/store_full.sh - a full disk is an error that says "no space left on device",
# never SIGBUS: creating a store on a disk without room for it, and writing to a store
# whose disk fills up. The disk is a small tmpfs (mount -t tmpfs needs root; where mount
# is not permitted those tests are skipped, said in TAP). Then the same through a
# file-size limit (ulimit -f, with SIGXFSZ ignored so that write returns EFBIG), which
# needs no privilege. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
disk=$tmp/disk
mkdir "$disk"
at_exit() { umount "$disk" 2>/dev/null; }
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

# ---- a full tmpfs ----
if ! mount -t tmpfs -o size=2m tmpfs "$disk" 2>/dev/null; then
  skip "creating a store on a full disk" "no tmpfs (mount not permitted)"
  skip "a write on a full disk" "no tmpfs (mount not permitted)"
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
plan
