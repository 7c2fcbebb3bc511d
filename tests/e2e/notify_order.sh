#!/bin/sh
# tests/e2e/notify_order.sh - a `notify` lists its recipients, and so gives them their
# keys (`STORE:INSTANCE:STEP:INDEX`, the entry's first INDEX plus each one's place), in
# execution order (RUNTIME.md, promise 3: "INDEX in execution order"): its WHOs in turn,
# each person once, as its `notified` records list them; not by person id (before
# 2026-12-06: anna before bob whatever the statement said). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/db
cat > "$tmp/n.play" <<'PLAY'
playbook n

on ops.x as x

state s {
  notify person("bob"), team("ops"), person("bob") "Heads up"
  done "ok"
}
PLAY
printf '{"people": {"anna": {"email": "anna@x"}, "bob": {"email": "bob@x"}, "cy": {"email": "cy@x"}},
 "teams": {"ops": {"members": ["cy", "anna", "bob"], "lead": "anna"}}}\n' > "$tmp/dir.json"
expect "deploy" 0 "$h" deploy "$tmp/n.play" --db "$db" $(now 08:00)
expect "the directory" 0 "$h" directory load "$tmp/dir.json" --db "$db" $(now 08:00)
echo '{}' > "$tmp/e.json"
expect "an event runs the notify" 0 "$h" trigger ops.x --id e1 --db "$db" $(now 08:00) < "$tmp/e.json"
expect "the outbox" 0 "$h" outbox --db "$db" --json
json "one message, to bob, then the team's cy and anna (bob once)" \
  "len(j) == 1 and [t['person'] for t in j[0]['to']] == ['bob', 'cy', 'anna']"
expect "the history" 0 "$h" history i1 --db "$db" --json
python3 -c 'import json, sys
people = [json.loads(l)["person"] for l in open(sys.argv[1]) if json.loads(l).get("kind") == "notified"]
sys.exit(people != ["bob", "cy", "anna"])' "$tmp/out" && ok "the notified records in the same order" ||
  no "the notified records in the same order"
expect "help outbox" 0 "$h" help outbox
has "  says a notify's recipients take their indexes in the order it reached them" \
  "a notify's in the order the statement reached them, as its notified"
hasnt "  not in the order of their ids" "in the order of their ids"
plan
