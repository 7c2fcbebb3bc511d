#!/bin/sh
# tests/e2e/run_store_failure.sh - `huddle run` when its own store fails (a store
# error, not a refused trace line): the run stops with exit 3 and the store's sentence
# (docs/runtime.md; `huddle help run`), whether the failure comes while loading the
# directory or while a timer fires as virtual time moves. The store is made to fail
# through a file-size limit (ulimit -f, SIGXFSZ ignored, so LMDB's write returns EFBIG),
# which needs no privilege; where ulimit is not permitted the tests are skipped. TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
show_lines=10
# limited BLOCKS CMD...: runs CMD under a file-size limit of BLOCKS 512-byte blocks;
# rc is its exit status (99: the limit could not be set).
limited() { blocks=$1; shift
  ( trap '' XFSZ; ulimit -f "$blocks" || exit 99; exec "$@" ) > "$tmp/out" 2> "$tmp/err"
  rc=$?; }
# said_store DESC WORDS: exit 3, the store's sentence and WORDS on standard error.
said_store() {
  if [ "$rc" -eq 99 ]; then skip "$1" "ulimit -f not permitted"
  elif [ "$rc" -eq 3 ] && grep -q "the store failed" "$tmp/err" && grep -qF -- "$2" "$tmp/err"; then ok "$1"
  else echo "exit $rc" >> "$tmp/err"; no "$1 (exit 3, \"the store failed\" and \"$2\")" "$tmp/err"; fi; }

# A directory of 2 MB into a store that may not grow past 512 KB.
python3 - "$tmp/big.json" <<'PY'
import json, sys
people = {"p%05d" % i: {"name": "Person %d %s" % (i, "x" * 200), "email": "p%d@example.com" % i} for i in range(8000)}
json.dump({"people": people}, open(sys.argv[1], "w"))
PY
cat > "$tmp/p.play" <<'PLAY'
playbook p
on ops.ping as ping
state s { done "ok" }
PLAY
echo '{"at": "2026-06-15T09:00:00Z", "end": true}' > "$tmp/end.jsonl"
limited 1024 "$h" run "$tmp/p.play" --events "$tmp/end.jsonl" --directory "$tmp/big.json"
said_store "a directory the store cannot take: exit 3, not 'not a valid directory'" "loading $tmp/big.json"
if grep -q "not a valid directory" "$tmp/err"; then no "and it does not blame the directory" "$tmp/err"; else ok "and it does not blame the directory"; fi

# The event's step fits; the timer's step an hour later writes 1.6 MB of notes.
cat > "$tmp/t.play" <<'PLAY'
playbook t
on ops.ping as ping
state waiting {
  wait { after 1h -> noting }
}
state noting {
  note "{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}"
  note "{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}{ping.blob}"
  done "noted"
}
PLAY
python3 -c "
import json
print(json.dumps({'at': '2026-06-15T09:00:00Z', 'event': {'source': 'ops', 'type': 'ping', 'id': 'p1', 'data': {'blob': 'x' * 100000}}}))
print(json.dumps({'at': '2026-06-15T11:00:00Z', 'end': True}))" > "$tmp/t.jsonl"
limited 1000 "$h" run "$tmp/t.play" --events "$tmp/t.jsonl"
said_store "a timer whose step the store cannot write: exit 3 at the line that moved time" "trace line 2:"
limited 100000 "$h" run "$tmp/t.play" --events "$tmp/t.jsonl"
if [ "$rc" -eq 0 ] && grep -q "noted" "$tmp/out"; then ok "with room the same run ends done"; else no "with room the same run ends done" "$tmp/err"; fi
plan
