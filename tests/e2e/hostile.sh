#!/bin/sh
# tests/e2e/hostile.sh - hostile inputs, one a row of tests/hostile/cases.tsv: each runs
# one huddle command and must exit as the row says, print the row's fragment, print no
# raw control character (but with --json), and, when it is refused (exit not 0),
# leave the store exactly as it was (mdb_dump of every table before and after; without
# lmdb-utils, huddle instances, tasks and history). RUNTIME.md, "Limits and damage".
#
# Columns (tab-separated; # starts a comment line):
#   finding   the number of the finding it guards (issue 10)
#   name      what it shows
#   fixture   store: a copy of the fixture store (a directory, three asks; below);
#             nodir: a copy of one without a directory; -: no store
#   stdin     a file (may name $IN, $GEN, $TR), or - for none
#   exit      the exit status wanted
#   fragment  text the output (stdout and stderr) must hold; $ID256 is replaced
#   command   a shell command line, `huddle` for the binary (VAR=value words before it
#             are its environment), with $DB (the row's store), $DIR (tests/hostile),
#             $IN, $TR, $GEN (generated inputs), $NOW and the ids below
# TAP lines, one per check.
set -u
. "$TOP/tests/e2e/lib.sh"

DIR=$TOP/tests/hostile
IN=$DIR/inputs
TR=$DIR/traces
GEN=$tmp/gen
NOW=2026-03-02T09:30:00Z
T0=2026-03-02T09:00:00Z
A95=$(printf 'a%.0s' $(seq 95))
ID256=$(printf 'c%.0s' $(seq 256))
ID257=$(printf 'c%.0s' $(seq 257))
SRC257=$(printf 's%.0s' $(seq 257))
mkdir -p "$GEN"

# ---- generated inputs: bodies at and over the limit, deep data, big objects and teams ----
python3 - "$GEN" <<'PY'
import json, sys
gen = sys.argv[1]
def write(name, text):
    with open(f"{gen}/{name}", "w") as f:
        f.write(text)
limit = 1 << 20
pad = '{"x": "' + "y" * (limit - 9) + '"}'           # exactly 1 MiB
write("body_limit.json", pad)
write("body_over.json", pad[:-2] + 'y"}')            # 1 MiB and one byte
write("deep1000.json", '{"x": ' + "[" * 999 + "1" + "]" * 999 + "}")
write("deep1001.json", '{"x": ' + "[" * 1000 + "1" + "]" * 1000 + "}")
keys = {f"k{i}": i for i in range(100000)}
keys["x"] = "found"                                   # the last of 100,001 keys
write("keys100k.json", json.dumps(keys))
event = {"source": "src", "type": "ev", "id": "big", "data": keys}
write("keys100k.jsonl", json.dumps({"at": "2026-06-01T09:00:00Z", "event": event}) + "\n")
write("long_data.jsonl", json.dumps({"at": "2026-06-01T09:00:00Z", "event": dict(event, data={"x": "y" * limit})}) + "\n")
write("long_line.jsonl", json.dumps({"at": "2026-06-01T09:00:00Z", "event": dict(event, data={"x": "y" * (limit + 65536)})}) + "\n")
for size in (5000, 5001):   # a seat reaches at most 5,000 people (DIR_TEAM_REACH_MAX)
    members = [f"p{i}" for i in range(size)]
    people = {p: {"email": f"{p}@example.com"} for p in members}
    write(f"team{size}.json", json.dumps({"people": people, "teams": {"big": {"members": members}}}))
write("team.jsonl", '{"at": "2026-06-01T09:00:00Z", "event": {"source": "src", "type": "ask", "id": "a1", "data": {}}}\n'
                    '{"at": "2026-06-01T09:05:00Z", "answer": {"task": "t1", "by": "p4999", "choice": "yes"}}\n')
PY

# ---- the fixtures: t1 open (i1), i2 done with an outcome full of control characters,
# t3 open with such a question; engine time 09:00Z. nodir: t1 open, no directory. ----
fix=$tmp/fixture
nodir=$tmp/nodir
{
  "$h" deploy "$DIR/hostile.play" --db "$fix" --now $T0 &&
  "$h" directory load "$IN/people.json" --db "$fix" --now $T0 &&
  "$h" trigger src.ev --id "${A95}1" --db "$fix" --now $T0 < "$IN/small.json" &&
  "$h" trigger src.ev --id e2 --db "$fix" --now $T0 < "$IN/inject.json" &&
  "$h" answer t2 yes --by pat --db "$fix" --now $T0 &&
  "$h" trigger src.ev --id e3 --db "$fix" --now $T0 < "$IN/inject.json" &&
  "$h" deploy "$DIR/hostile.play" --db "$nodir" --now $T0 &&
  "$h" trigger src.ev --id e1 --db "$nodir" --now $T0 < "$IN/small.json"
} > "$tmp/out" 2>&1 && ok "the fixture stores are made" || no "the fixture stores are made"

# Everything a store holds, as text: every table (mdb_dump, from lmdb-utils), or
# without it what the commands show.
dump() { # dump DB
  if command -v mdb_dump > /dev/null; then mdb_dump -a "$1" 2>&1; return; fi
  "$h" instances --db "$1" --json 2>&1
  "$h" tasks --db "$1" --json 2>&1
  for i in i1 i2 i3 i4; do "$h" history "$i" --db "$1" --json 2>&1; done
}

# Runs one row's command with its stdin; the status in $rc, the output in $tmp/out.
run_row() { # command stdin
  stdin=/dev/null
  [ "$2" != - ] && eval "stdin=$2"
  eval "set -- $1"
  cmd=""
  for word in "$@"; do
    if [ "$word" = huddle ]; then word=$h; fi
    cmd="$cmd '$(printf '%s' "$word" | sed "s/'/'\\\\''/g")'"
  done
  eval "timeout 300 env $cmd" < "$stdin" > "$tmp/out" 2>&1
  rc=$?
}

# True when the output holds a raw control character other than newline and tab: C0,
# DEL, C1 (UTF-8 C2 80 to C2 9F), U+2028 or U+2029.
raw_controls() {
  [ "$(LC_ALL=C tr -d '\n\t\040-\176\200-\377' < "$tmp/out" | wc -c)" -gt 0 ] && return 0
  LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$tmp/out" && return 0
  LC_ALL=C grep -q "$(printf '\342\200[\250\251]')" "$tmp/out"
}

tab=$(printf '\t')
while IFS="$tab" read -r finding name fixture stdin want fragment command; do
  case "$finding" in ''|'#'*) continue ;; esac
  label="$finding: $name"
  DB=$tmp/row
  rm -rf "$DB"
  case "$fixture" in
    store) cp -r "$fix" "$DB" ;;
    nodir) cp -r "$nodir" "$DB" ;;
  esac
  [ -d "$DB" ] && dump "$DB" > "$tmp/before"
  run_row "$command" "$stdin"
  if [ "$rc" -eq "$want" ]; then ok "$label: exit $want"; else echo "# exit $rc" >> "$tmp/out"; no "$label: exit $want"; fi
  fragment=$(printf '%s' "$fragment" | sed "s/\$ID256/$ID256/g")
  if grep -qF -- "$fragment" "$tmp/out"; then ok "$label: says so"; else no "$label: says '$fragment'"; fi
  case "$command" in
    *--json*) ;;
    *) if raw_controls; then no "$label: no raw control characters"; else ok "$label: no raw control characters"; fi ;;
  esac
  if [ -d "$DB" ] && [ "$want" -ne 0 ]; then
    dump "$DB" > "$tmp/after"
    if cmp -s "$tmp/before" "$tmp/after"; then ok "$label: the store is unchanged"
    else diff "$tmp/before" "$tmp/after" | head -20 > "$tmp/out"; no "$label: the store is unchanged"; fi
  fi
done < "$DIR/cases.tsv"
plan
