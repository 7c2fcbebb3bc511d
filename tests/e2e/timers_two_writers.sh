#!/bin/sh
# tests/e2e/timers_two_writers.sh - due timers fire once each, in due order, when two
# writers fire them at once (../shared/design/RUNTIME.md promise 4: "due timers fire late
# but fire"; "Several processes on one store": write commands run side by side under
# LMDB's write lock, and each fires what is due first). Before 2026-12-07 a writer fired
# the batch of due timers it had read before taking the write lock: when the other had
# meanwhile fired a reminder and set the next one (due before the deadline), the
# deadline fired first, the ask closed, and the reminders due before it never fired
# (12 runs in 20 lost them). Two ticks, then a tick beside a trigger, eight times each.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0

cat > "$tmp/r.play" <<'PLAY'
playbook r

on ops.go as e

state s {
  ask person("ana") "ok {e.n}?" choices yes within 30m remind every 5m
  { yes -> done "y" timeout -> done "t" }
}
PLAY
echo '{"people": {"ana": {"email": "a@x"}}}' > "$tmp/d.json"
base=$tmp/base
"$h" deploy "$tmp/r.play" --db "$base" $(now 08:00) > /dev/null
"$h" directory load "$tmp/d.json" --db "$base" $(now 08:00) > /dev/null
for i in 1 2 3 4; do
  echo "{\"n\": $i}" | "$h" trigger ops.go --id "g$i" --db "$base" --now "2026-03-02T08:00:0${i}Z" > /dev/null
done

# reminded_all DB: each of the four instances was reminded at 08:05, 08:10, ... 08:25, in
# that order, before its 08:30 timeout.
reminded_all() {
  for i in 1 2 3 4; do
    "$h" history "i$i" --db "$1" --json > "$tmp/h$i" || return 1
    python3 -c '
import json, sys
j = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
at = [r["at"][11:16] for r in j if r["kind"] == "reminded"]
end = [r["at"][11:16] for r in j if r["kind"] == "done"]
sys.exit(0 if at == ["08:05", "08:10", "08:15", "08:20", "08:25"] and end == ["08:30"] else 1)' "$tmp/h$i" || return 1
  done
}

# race NAME COMMAND...: eight runs of `huddle tick` at 08:31 beside COMMAND on a copy of
# the base store; passes when every run fired every reminder, in order.
race() {
  name=$1; shift
  lost=0
  for run in 1 2 3 4 5 6 7 8; do
    rm -rf "$tmp/db"; cp -r "$base" "$tmp/db"
    "$h" tick --db "$tmp/db" --now 2026-03-02T08:31:00Z > /dev/null 2>&1 &
    "$@" > /dev/null 2>&1 &
    wait
    reminded_all "$tmp/db" || lost=$((lost + 1))
  done
  if [ "$lost" -eq 0 ]; then ok "$name: every reminder fired, in order, in 8 runs"
  else no "$name: reminders lost in $lost of 8 runs"; fi
}

race "two ticks at once" "$h" tick --db "$tmp/db" --now 2026-03-02T08:31:00Z
race "a tick beside a trigger" sh -c "echo '{}' | \"$h\" trigger ops.other --id x1 --db \"$tmp/db\" --now 2026-03-02T08:31:00Z"

# A fired timer leaves the instance's list of its timers as it leaves the table (before
# 2026-12-07 every fired reminder stayed listed: the list grew without bound, and
# store_invariants found each one missing from the table).
rm -rf "$tmp/db"; cp -r "$base" "$tmp/db"
expect "one tick at 08:20, past four reminders" 0 "$h" tick --db "$tmp/db" --now 2026-03-02T08:20:00Z
invariants_hold "$tmp/db"
plan
