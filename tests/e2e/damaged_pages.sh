#!/bin/sh
# tests/e2e/damaged_pages.sh - damage inside data.mdb's pages never ends a command with
# a signal (RUNTIME.md, "Limits and damage": a damaged store is refused with exit 3 and a
# sentence that says what to do, never a signal). LMDB keeps no checksums: a page
# overwritten with other bytes may still read (the command then does what it can, or
# refuses what it reads as damaged), or send LMDB past the file (SIGBUS), past its map
# (SIGSEGV) or into one of its assertions (abort); main turns those three into exit 3
# (runtime/cli/main.c). For every page of a small store but the two meta pages, one
# kind of damage (all 0xff bytes on even pages, random bytes from a seed made of the
# page's number on odd ones), and three commands (instances, audit verify, answer): one
# TAP line a page, passing when no command ended with a signal, and every command that
# exited 3 said the store is damaged or failed. (The huddle before main caught them:
# 7 of its 35 pages ended some command with SIGBUS, SIGSEGV or SIGABRT.) TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

good=$tmp/good
cat > "$tmp/ping.play" <<'PLAY'
playbook ping "an ask a person answers"

on ops.ping as p

state s {
  ask person("ann") "ok?" choices yes within 1h
  {
    yes     -> done "ok"
    timeout -> done "late"
  }
}
PLAY
printf '{"people": {"ann": {"email": "a@x"}}}\n' > "$tmp/dir.json"
at() { echo "--now 2026-06-15T$1:00Z"; }
"$h" deploy "$tmp/ping.play" --db "$good" $(at 08:00) > "$tmp/out" 2>&1 &&
  "$h" directory load "$tmp/dir.json" --db "$good" $(at 08:00) >> "$tmp/out" 2>&1 ||
  { no "the store is made" "$tmp/out"; plan; exit 0; }
for i in 1 2 3 4 5 6; do
  echo '{}' | "$h" trigger ops.ping --id "a$i" --db "$good" $(at "08:0$i") >> "$tmp/out" 2>&1 || no "trigger a$i" "$tmp/out"
done
rm -f "$good/lock.mdb"
pages=$(( $(stat -c %s "$good/data.mdb") / 4096 ))
[ "$pages" -ge 8 ] && ok "the store has $pages pages" || no "the store has $pages pages (8 or more)"

# damage PAGE KIND: the folder $tmp/d is the good store with PAGE's bytes after its
# 16-byte header overwritten (ff, random), or one bit of its header's mp_upper flipped
# (upper: byte 14, bit 0x08, so LMDB finds its free space in the wrong place)
damage() {
  rm -rf "$tmp/d"; cp -r "$good" "$tmp/d"
  python3 - "$tmp/d/data.mdb" "$1" "$2" <<'PY'
import random, sys
path, page, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, 'r+b') as f:
    if kind == 'upper':
        f.seek(page * 4096 + 14)
        byte = f.read(1)[0] ^ 0x08
        f.seek(page * 4096 + 14)
        f.write(bytes([byte]))
    else:
        n = 4096 - 16
        f.seek(page * 4096 + 16)
        f.write(b'\xff' * n if kind == 'ff' else random.Random(page).randbytes(n))
PY
}

# run_on_damaged NAME: one command on $tmp/d; a problem is appended to $tmp/problems
run_on_damaged() {
  case $1 in
    instances) timeout 30 "$h" instances --db "$tmp/d" ;;
    history) timeout 30 "$h" history i1 --db "$tmp/d" ;;
    verify) timeout 30 "$h" audit verify --db "$tmp/d" ;;
    trigger) echo '{}' | timeout 30 "$h" trigger ops.ping --id z --db "$tmp/d" $(at 09:00) ;;
    answer) timeout 30 "$h" answer t1 yes --by ann --db "$tmp/d" $(at 09:00) ;;
    tick) timeout 30 "$h" tick --db "$tmp/d" $(at 10:00) ;;
  esac > "$tmp/cmd.out" 2>&1
  rc=$?
  if [ $rc -ge 124 ]; then
    echo "$1: exit $rc: $(tail -c 300 "$tmp/cmd.out")" >> "$tmp/problems"
  elif [ $rc -eq 3 ] && ! grep -Eq "damaged|store failed|cannot open the store|not a Huddle store" "$tmp/cmd.out"; then
    echo "$1: exit 3 without saying the store is damaged: $(tail -c 300 "$tmp/cmd.out")" >> "$tmp/problems"
  fi
}

page=2
while [ $page -lt "$pages" ]; do
  kind=ff; [ $((page % 2)) = 1 ] && kind=random
  damage $page $kind
  : > "$tmp/problems"
  for command in instances verify answer; do
    cp -r "$tmp/d" "$tmp/d.keep"; run_on_damaged $command
    rm -rf "$tmp/d"; mv "$tmp/d.keep" "$tmp/d"   # each command on the same damage
  done
  if [ -s "$tmp/problems" ]; then no "page $page, $kind: no signal, and exit 3 says why" "$tmp/problems"
  else ok "page $page, $kind: no signal, and exit 3 says why"; fi
  page=$((page + 1))
done

# One bit of a page header: LMDB then reads a wild address (SIGSEGV), or writes past a
# page it changes and glibc aborts at a later free. Before main knew a thread inside
# LMDB's calls, or with a transaction open, 3 of this store's pages ended tick, trigger
# or answer with SIGSEGV or SIGABRT.
page=2
while [ $page -lt "$pages" ]; do
  damage $page upper
  : > "$tmp/problems"
  for command in tick trigger answer instances; do
    cp -r "$tmp/d" "$tmp/d.keep"; run_on_damaged $command
    rm -rf "$tmp/d"; mv "$tmp/d.keep" "$tmp/d"
  done
  if [ -s "$tmp/problems" ]; then no "page $page, one header bit: no signal, and exit 3 says why" "$tmp/problems"
  else ok "page $page, one header bit: no signal, and exit 3 says why"; fi
  page=$((page + 1))
done
plan
