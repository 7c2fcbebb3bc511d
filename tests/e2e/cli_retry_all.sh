#!/bin/sh
# tests/e2e/cli_retry_all.sh - `huddle retry --all-stalled [--playbook P]` retries every
# stalled instance (of P), each reported (issue 9). On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/crash/tools.sh"
crash_tools store_invariants || exit 0
plan 17
db=$tmp/store
for name in split share; do cat > "$tmp/$name.play" <<PLAY
playbook $name

on shop.$name as e

state go {
  let n = e.amount / e.parts
  done "each {n}"
}
PLAY
"$h" deploy "$tmp/$name.play" --db "$db" $(now 08:00) > /dev/null
done
ev() { echo "{\"amount\": 10, \"parts\": $3}" | "$h" trigger "shop.$1" --id "$2" --db "$db" $(now "$4") > /dev/null; }
ev split s1 0 09:00; ev split s2 0 09:01; ev split s3 2 09:02; ev share h1 0 09:03
expect "three instances stalled" 0 "$h" instances --status stalled --db "$db" --json
json "i1, i2 and i4" '[i["id"] for i in j] == ["i1", "i2", "i4"]'

expect "retry --all-stalled --playbook split --json" 0 "$h" retry --all-stalled --playbook split --db "$db" $(now 10:00) --json
json "reports each of split's stalled instances, retried, and why: it stalled again" \
  'j["retried"] == [{"instance": "i%d" % k, "retried": True, "why": "i%d stalled again: split.play:6: division by zero" % k} for k in (1, 2)]'
json "and where each stands: stalled again (the same input divides by zero)" '[(i["id"], i["status"]) for i in j["instances"]] == [("i1", "stalled"), ("i2", "stalled")]'
json "with a retried record each" '[r["instance"] for r in j["records"] if r["kind"] == "retried"] == ["i1", "i2"]'
expect "share's instance was left alone" 0 "$h" history i4 --db "$db" --json
if grep -q '"kind":"retried"' "$tmp/out"; then no "i4 has no retried record"; else ok "i4 has no retried record"; fi

expect "retry --all-stalled, human" 0 "$h" retry --all-stalled --db "$db" $(now 11:00)
has "says each one retried" "retried i1"
has "i4 too" "retried i4"
has "and where each stands" "i4: stalled"
expect "retry --all-stalled --playbook that has none" 0 "$h" retry --all-stalled --playbook nothing --db "$db" $(now 11:01)
has "says there is none" "no stalled instance of nothing"
expect "--all-stalled with an INSTANCE is a usage error" 2 "$h" retry i1 --all-stalled --db "$db" $(now 11:02)
expect "--playbook without --all-stalled is a usage error" 2 "$h" retry i1 --playbook split --db "$db" $(now 11:02)
invariants_hold "$db"
