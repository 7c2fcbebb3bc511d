#!/bin/sh
# tests/e2e/tasks_damaged.sh - `huddle tasks` on a store it cannot wholly read: a damaged
# program (a byte of its bytecode flipped) or a cut instance record behind an open ask
# fails the list with exit 3 and the ask named ("list everything or fail",
# docs/runtime.md; `huddle help tasks`), in the human form, with --json and with --for;
# it printed the list and exited 0 before, the damage said only on stderr. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 18

cat > "$tmp/m.play" <<'PLAY'
playbook m

on src.ev as e

state s1 {
  note "time={meta(e).time} id={meta(e).id} now={now()}"
  ask person("anna") "Q?"
    choices yes, no
    within 1h
  {
    yes -> s2
    no -> done "no"
    timeout -> fail "timeout"
  }
}
state s2 {
  ask person("anna") "Q2?"
    choices yes, no
    within 1h
  {
    yes -> done "yes"
    no -> done "no"
    timeout -> fail "timeout"
  }
}
PLAY
good=$tmp/good
"$h" deploy "$tmp/m.play" --db "$good" --now 2026-06-15T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
for i in 1 2; do
  echo '{}' | "$h" trigger src.ev --db "$good" --id "e$i" --now "2026-06-15T08:00:0${i}Z" > "$tmp/out" 2>&1 ||
    no "trigger e$i"
done
rm -f "$good/lock.mdb"

# the three forms of the list on the store $db: exit 3, the ask named, nothing listed
refused_all() { # refused_all WHAT TEXT
  for form in "" "--json" "--for anna"; do
    # shellcheck disable=SC2086
    "$h" tasks --db "$db" $form > "$tmp/stdout" 2> "$tmp/out"; rc=$?
    if [ "$rc" -eq 3 ]; then ok "$1: tasks $form exits 3"; else echo "# exit $rc" >> "$tmp/out"; no "$1: tasks $form exits 3"; fi
    has "  and names the ask" "$2"
    if [ -s "$tmp/stdout" ]; then no "  and lists nothing" "$tmp/stdout"; else ok "  and lists nothing"; fi
  done
}

# A byte of the stored bytecode flipped (the operand of its first MAKE_WHO, at byte 677
# of this playbook's program): the program does not load.
db=$tmp/prog
cp -r "$good" "$db"
python3 - "$db/data.mdb" <<'PY'
import sys
p = sys.argv[1]; d = bytearray(open(p, 'rb').read())
i = d.find(b'HBC\x00')
assert i >= 0
d[i + 677] ^= 0x08
open(p, 'wb').write(d)
PY
refused_all "a program that does not load" "huddle: tasks: t1: the store is damaged: program "

# Instance i2's record cut to its first bytes.
db=$tmp/cut
cp -r "$good" "$db"
mdb_dump -p -s instances "$db" |
  awk '/^ / { n++; if (n == 4) { print " A\\00\\00\\00\\12\\02"; next } } { print }' |
  mdb_load -s instances "$db" 2> /dev/null
refused_all "an instance record cut short" "huddle: tasks: t2: the store is damaged: instance i2 "
