#!/bin/sh
# tests/e2e/damaged_store.sh - a damaged, cut, foreign or unwritable store is refused by
# every command with exit 3 and a sentence that says what to do: never a signal, and
# never a change to its files.
#
# One row of the table below a kind of damage: NAME|HOW|SENTENCE, where HOW is a shell
# function that damages (or makes) the folder $db from a good store, and SENTENCE a
# grep -E pattern that the message of every command must match. For each row, instances,
# history, tick, trigger and deploy run on the folder; each must exit 3 with the
# sentence, and the folder's files must be byte for byte what they were. A new finding
# is one more row (and, when it needs one, one more function). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
mounted=""
at_exit() { [ -n "$mounted" ] && umount "$mounted" 2>/dev/null; }
now=2026-06-15T08:00:00Z

# A good store with a few instances, made once and copied for every row.
good=$tmp/good
"$h" deploy tests/crash/ping.play --db "$good" --now "$now" > "$tmp/out" 2>&1 || { no "deploy" "$tmp/out"; exit 1; }
for i in 1 2 3 4 5 6 7 8; do
  head -c 3000 /dev/zero | tr '\0' x | sed 's/.*/{"host":"&","ok":false}/' |
    "$h" trigger ops.ping --id "e$i" --db "$good" --now "$now" > "$tmp/out" 2>&1 || no "trigger e$i" "$tmp/out"
done
rm -f "$good/lock.mdb"
size=$(stat -c %s "$good/data.mdb")

# ---- the kinds of damage ----------------------------------------------------------
cut_to() { truncate -s "$1" "$db/data.mdb"; }
cut_header() { cut_to 100; }
cut_in_second_meta() { cut_to 6000; }
cut_middle() { cut_to $((size / 2)); }
cut_last_page() { cut_to $((size - 4096)); }
random_bytes() { head -c 65536 /dev/urandom > "$db/data.mdb"; }
# LMDB's data format version is the u32 at byte 20 of both meta pages (mdb.c, MDB_meta).
other_lmdb_version() {
  for at in 20 4116; do printf '\347\003\000\000' | dd of="$db/data.mdb" bs=1 seek=$at conv=notrunc status=none; done
}
other_schema_version() {
  mdb_dump -p -s meta "$db" | sed '/^ schema_version$/{n;s/.*/ 8/;}' | mdb_load -s meta "$db"
}
schema_version_letter() {
  mdb_dump -p -s meta "$db" | sed '/^ schema_version$/{n;s/.*/ A/;}' | mdb_load -s meta "$db"
}
store_id_short() {
  mdb_dump -p -s meta "$db" | sed '/^ store_id$/{n;s/.*/ 1234/;}' | mdb_load -s meta "$db"
}
# A table's name in the main tree changed by one letter: the table is gone.
table_renamed() {
  python3 -c "import sys
p = sys.argv[1]; d = open(p, 'rb').read()
open(p, 'wb').write(d.replace(b'windows', b'windowz', 1))" "$db/data.mdb"
}
schema_version_0() {
  mdb_dump -p -s meta "$db" | sed '/^ schema_version$/{n;s/.*/ 0/;}' | mdb_load -s meta "$db"
}
# Both meta pages (0 and 4096): the main tree's root is the u64 at byte 128 of each
# (LMDB 0.9's MDB_meta), the map size the u64 at byte 32.
meta_u64() { # meta_u64 OFFSET VALUE: the u64 at OFFSET of both meta pages
  python3 -c "import struct, sys
with open(sys.argv[1], 'r+b') as f:
    for page in (0, 4096):
        f.seek(page + int(sys.argv[2])); f.write(struct.pack('<Q', int(sys.argv[3])))" "$db/data.mdb" "$1" "$2"
}
root_past_the_file() { meta_u64 128 $((size / 4096 + 5)); }
root_at_page_1() { meta_u64 128 1; }
map_size_absurd() { meta_u64 32 9223372036854775807; }
zero_page() { dd if=/dev/zero of="$db/data.mdb" bs=4096 seek="$1" count=1 conv=notrunc status=none; }
first_meta_zeroed() { zero_page 0; }
second_meta_zeroed() { zero_page 1; }
folder_is_a_file() { rm -rf "$db"; echo "not a store" > "$db"; }
data_is_a_folder() { rm -f "$db/data.mdb"; mkdir "$db/data.mdb"; }
write_lock_is_a_folder() { rm -f "$db/write.lock"; mkdir "$db/write.lock"; }
write_lock_links_nowhere() { rm -f "$db/write.lock"; ln -s "$db/gone/write.lock" "$db/write.lock"; }
lock_mdb_is_a_folder() { rm -f "$db/lock.mdb"; mkdir "$db/lock.mdb"; }
read_only_folder() { # a read-only bind mount: as root, permission bits would not stop us
  mount --bind "$db" "$db" 2>/dev/null && mounted=$db && mount -o remount,bind,ro "$db" 2>/dev/null
}

rows() {
  cat <<'ROWS'
data.mdb cut inside its first page|cut_header|data.mdb is shorter than its own header says \(100 of [0-9]+ bytes\): the file was cut; restore it from a backup \(mdb_copy\)
data.mdb cut inside its second meta page|cut_in_second_meta|data.mdb is shorter than its own header says \(6000 of [0-9]+ bytes\).*restore it from a backup
data.mdb cut in the middle|cut_middle|data.mdb is shorter than its own header says \([0-9]+ of [0-9]+ bytes\).*restore it from a backup
data.mdb without its last page|cut_last_page|data.mdb is shorter than its own header says \([0-9]+ of [0-9]+ bytes\).*restore it from a backup
data.mdb of random bytes|random_bytes|is not a Huddle store \(data.mdb is not an LMDB file
an LMDB file of another data format|other_lmdb_version|an LMDB file of data format 999 \(this huddle's LMDB reads format 1\)
a store of a newer schema version|other_schema_version|store schema version 8; this huddle reads versions 1 to 7: a newer huddle wrote it; run that huddle, or a newer one, on this store
a store of schema version 0|schema_version_0|store schema version 0; this huddle reads versions 1 to 7: no huddle writes that version, so the store is damaged; restore it from a backup made with mdb_copy
a schema version that is not a number|schema_version_letter|is a damaged Huddle store: its schema version is not a number; restore it from a backup made with mdb_copy
a store id that is not 32 hex digits|store_id_short|is a damaged Huddle store: its store id is not 32 hex digits; restore it from a backup made with mdb_copy
a table missing from the main tree|table_renamed|is a damaged Huddle store: its windows table is missing; restore it from a backup made with mdb_copy
a main tree whose root is past the file|root_past_the_file|MDB_PAGE_NOTFOUND: Requested page not found; the store is damaged: restore it from a backup made with mdb_copy
a main tree whose root is a meta page (LMDB asserts)|root_at_page_1|the store in .* is damaged: LMDB found its pages inconsistent \(above\); restore the store from a backup made with mdb_copy
a header asking for an impossible map|map_size_absurd|Cannot allocate memory \(with memory to spare, the map size its header asks for is damaged: restore the store from a backup made with mdb_copy
a zeroed first meta page|first_meta_zeroed|data.mdb is damaged: its first meta page is not one, though the other is; restore it from a backup \(mdb_copy\)
a zeroed second meta page|second_meta_zeroed|data.mdb is damaged: its second meta page is not one, though the other is; restore it from a backup \(mdb_copy\)
a store folder that is a file|folder_is_a_file|is not a Huddle store \(not a folder\): check that --db \(or HUDDLE_DB\) names the folder of a Huddle store
a data.mdb that is a folder|data_is_a_folder|data.mdb is not a regular file: it is where a store keeps its data; check that --db \(or HUDDLE_DB\) names the folder of a Huddle store, or restore
a write.lock that is a folder|write_lock_is_a_folder|/write.lock is not a regular file \(a folder, or a link to nothing\?\): it is one of the store's lock files, .*; remove it, and huddle makes it again
a write.lock that links to nothing|write_lock_links_nowhere|/write.lock is not a regular file \(a folder, or a link to nothing\?\).*remove it, and huddle makes it again
a lock.mdb that is a folder|lock_mdb_is_a_folder|/lock.mdb is not a regular file \(a folder, or a link to nothing\?\).*remove it, and huddle makes it again
a read-only store folder|read_only_folder|cannot write to the store in .*(Read-only file system|Permission denied).*check their owner and permissions
ROWS
}

fingerprint() { # every file's name, size and checksum (a folder's or a file's)
  if [ -d "$1" ]; then (cd "$1" && find . -type f -exec sha256sum {} + | sort; find . | sort); else sha256sum "$1"; fi
}

r=0
while IFS='|' read -r name how sentence; do
  r=$((r + 1))
  db=$tmp/row$r
  cp -R "$good" "$db"
  if ! "$how" 2> "$tmp/how"; then
    [ -n "$mounted" ] && umount "$mounted" && mounted=""
    if [ "$how" = read_only_folder ]; then skip "$name" "no read-only bind mount here (mount not permitted)"; else no "$name: $how" "$tmp/how"; fi
    continue
  fi
  fingerprint "$db" > "$tmp/before"
  : > "$tmp/problems"
  for cmd in "instances" "history i1" "tick" "trigger ops.ping --id late" "deploy tests/crash/ping.play"; do
    case $cmd in instances|history*) when="" ;; *) when="--now $now" ;; esac   # reads take no --now
    echo '{"host":"late","ok":false}' | "$h" $cmd --db "$db" $when > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne 3 ]; then
      { echo "huddle $cmd exited $rc$( [ "$rc" -ge 128 ] && echo " (signal $((rc - 128)))"), wanted 3:"; sed 's/^/  /' "$tmp/out"; } >> "$tmp/problems"
    elif ! grep -Eq -- "$sentence" "$tmp/out"; then
      { echo "huddle $cmd said (wanted /$sentence/):"; sed 's/^/  /' "$tmp/out"; } >> "$tmp/problems"
    fi
  done
  fingerprint "$db" > "$tmp/after"
  cmp -s "$tmp/before" "$tmp/after" || { echo "the files changed:"; diff "$tmp/before" "$tmp/after"; } >> "$tmp/problems"
  if [ -s "$tmp/problems" ]; then no "$name: refused by every command with exit 3, files untouched" "$tmp/problems"
  else ok "$name: refused by every command with exit 3, files untouched"; fi
  [ -n "$mounted" ] && umount "$mounted" && mounted=""
done <<EOF
$(rows)
EOF
# A program of a bytecode format after this huddle's (deployed by a newer huddle): the
# commands that run it exit 3 and say to run that huddle, not that the store is damaged
# (a backup would not cure it). The format is the u32 after "HBC\0" in the program's value.
db=$tmp/newer
cp -R "$good" "$db"
mdb_dump -s programs "$db" | sed 's/^ 4842430001000000/ 4842430063000000/' > "$tmp/programs.dump" &&
  mdb_load -s programs -f "$tmp/programs.dump" "$db" 2> "$tmp/out" || no "the program is made format 99"
for cmd in "history i1" "trigger ops.ping --id newer"; do
  case $cmd in trigger*) when="--now $now" ;; *) when="" ;; esac
  echo '{"host":"h","ok":false}' > "$tmp/event.json"
  expect "huddle ${cmd%% *} on a program of format 99 exits 3" 3 "$h" $cmd --db "$db" $when < "$tmp/event.json"
  has "saying a newer huddle deployed it, and to run that one" "was deployed by a newer huddle (bytecode format 99; this huddle runs format 1): run that huddle, or a newer one, on this store"
done
plan
