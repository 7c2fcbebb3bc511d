#!/bin/sh
# tests/e2e/cli_preflight.sh - `huddle check --directory` and `huddle deploy` (against
# the store's directory) agree on pre-flight findings (issue 9; RUNTIME.md "Pre-flight":
# they are reported): the same findings, with the same severity, a warning, exit 0.
# On a real store with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 16
cat > "$tmp/ghosts.play" <<'PLAY'
playbook ghosts

on shop.refund as refund

state s {
  notify person("nobody") "hello"
  ask person("pat") "Go?"
      choices yes
      within 1h
      escalate to person("ghost") after 30m
  {
    yes     -> done "ok"
    timeout -> done "late"
  }
}
PLAY
printf '{"people": {"pat": {"email": "pat@x"}}}\n' > "$tmp/people.json"
db=$tmp/store
"$h" directory load "$tmp/people.json" --db "$db" --now 2026-03-02T08:00:00Z > /dev/null
expect "check --directory reports the findings and passes" 0 "$h" check "$tmp/ghosts.play" --directory "$tmp/people.json"
grep -E '(warning|error):' "$tmp/out" | sed 's/^[^:]*:[0-9]*:[0-9]*: //' | sort > "$tmp/check.txt"
has "a person the directory lacks is a warning" "warning: no person 'nobody' in the directory"
expect "check --json counts them as warnings" 0 "$h" check "$tmp/ghosts.play" --directory "$tmp/people.json" --json
if python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["errors"] == 0 and j["warnings"] >= 2 else 1)' "$tmp/out"; then ok "errors 0, warnings 2 or more"; else no "errors 0, warnings 2 or more"; fi
expect "deploy reports them and deploys" 0 "$h" deploy "$tmp/ghosts.play" --db "$db" --now 2026-03-02T08:01:00Z
grep -E '(warning|error):' "$tmp/out" | sed 's/^[^:]*:[0-9]*:[0-9]*: //' | sort > "$tmp/deploy.txt"
if [ -s "$tmp/check.txt" ] && cmp -s "$tmp/check.txt" "$tmp/deploy.txt"; then ok "the same findings with the same severity"; else
  { echo "check:"; cat "$tmp/check.txt"; echo "deploy:"; cat "$tmp/deploy.txt"; } > "$tmp/out"; no "the same findings with the same severity"; fi
has "deploy printed the version" "deployed ghosts, version "
if grep -q "ghost" "$tmp/check.txt"; then ok "the empty escalation's person is among them"; else cat "$tmp/check.txt" > "$tmp/out"; no "the empty escalation's person is among them"; fi

# RUNTIME.md "Pre-flight": check --directory reports people with no way to be told, as
# deploy does: here one told through an operation no http connector has.
cat > "$tmp/told.json" <<'JSON'
{"shop": {"kind": "webhook", "id": "/id", "type": "/type"},
 "chat": {"kind": "http", "base_url": "http://127.0.0.1:9", "operations": {"dm": {"method": "POST", "path": "/dm"}}},
 "mail": {"kind": "smtp", "url": "smtp://127.0.0.1:2525", "from": "huddle@example.com"}}
JSON
printf '{"people": {"pat": {"email": "pat@x"}, "lost": {"notify": "nosuch.op"}, "chatty": {"notify": "chat.dm"}}}\n' > "$tmp/told-people.json"
expect "check --directory --connectors passes" 0 "$h" check "$tmp/ghosts.play" --directory "$tmp/told-people.json" --connectors "$tmp/told.json"
has "and names who no connector can tell" "lost is told through nosuch.op, which no http connector has"
if grep -q "chatty" "$tmp/out"; then no "but not who a connector tells"; else ok "but not who a connector tells"; fi

# LANGUAGE.md "ask": a first `escalate to manager` gives a team or oncall seat the team's
# lead, so a team without one makes that level empty, as a person without a manager does;
# with a person seat whose holder has a manager beside it, the level adds someone.
cat > "$tmp/lead.play" <<'PLAY'
playbook leadless
on x.go as e
state s {
  ask team("t") "q?" choices yes
      within 5h
      escalate to manager after 1h
  { yes -> done "yes"  timeout -> done "timeout" }
}
PLAY
printf '{"people": {"a": {"email": "a@x.com", "manager": "ma"}, "d": {"email": "d@x.com"}, "ma": {"email": "ma@x.com"}}, "teams": {"t": {"members": ["a", "d"]}}}\n' > "$tmp/lead.json"
expect "check --directory passes an ask of a team without a lead" 0 "$h" check "$tmp/lead.play" --directory "$tmp/lead.json"
has "and says its manager level would be empty" "this escalation level would be empty: team 't' has no lead"
sed 's/team("t")/oncall("t")/' "$tmp/lead.play" > "$tmp/lead-oncall.play"
"$h" check "$tmp/lead-oncall.play" --directory "$tmp/lead.json" > "$tmp/out" 2>&1
has "an oncall seat's team without a lead too" "this escalation level would be empty: team 't' has no lead"
sed 's/team("t")/team("t"), person("a")/' "$tmp/lead.play" > "$tmp/lead-a.play"
"$h" check "$tmp/lead-a.play" --directory "$tmp/lead.json" > "$tmp/out" 2>&1
hasnt "but not when a person seat's holder has a manager" "would be empty"
sed 's/"members": \["a", "d"\]/"members": ["a", "d"], "lead": "ma"/' "$tmp/lead.json" > "$tmp/led.json"
"$h" check "$tmp/lead.play" --directory "$tmp/led.json" > "$tmp/out" 2>&1
hasnt "nor when the team has a lead" "would be empty"
