#!/bin/sh
# tests/e2e/cli_repeated.sh - an option given twice is a usage error (exit 2) naming it,
# on every command that takes values, rather than the last one silently winning (as a
# query parameter given twice is 400 over HTTP): `--by anna --by craig` must not
# answer as craig. So is an option that takes a value followed by another of the
# command's options where its value goes: `audit search --playbook --json` searched for
# the playbook "--json" and said "no decision matches" (exit 0), and `audit verify --head
# --db S` took --db for the head; the check is the shared front's (cli.c's
# cli_split_values), for every command. A value that only begins with "--" is still
# taken, and --OPTION=VALUE gives an option's name as text. Nothing is written. TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store
cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
printf '{"people": {"anna": {"email": "a@x"}, "craig": {"email": "c@x"}}}\n' > "$tmp/dir.json"
"$h" directory load "$tmp/dir.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$db" $(now 08:01) > /dev/null
"$h" history i1 --db "$db" --json > "$tmp/before"

twice() { # twice DESC OPTION COMMAND...: exit 2, naming OPTION
  desc=$1 option=$2; shift 2
  expect "$desc" 2 "$@"
  has "  naming $option" "$option is given twice (give it once)"
}
twice "answer --by twice" --by "$h" answer t1 yes --by anna --by craig --db "$db" $(now 08:02)
twice "ack --by twice" --by "$h" ack t1 --by craig --by anna --db "$db"
twice "trigger --id twice" --id sh -c "echo '{}' | '$h' trigger src.alert --id e2 --id e3 --db '$db'"
twice "cancel --reason twice" --reason "$h" cancel i1 --by anna --reason a --reason b --db "$db"
twice "--db twice" --db "$h" tasks --db "$db" --db "$tmp/other"
twice "--now twice" --now "$h" tick --db "$db" $(now 09:00) $(now 09:30)
twice "audit search --tag twice" --tag "$h" audit search --tag a --tag b --db "$db"
twice "audit verify --head twice" --head "$h" audit verify --head x --head y --db "$db"
twice "serve --listen twice" --listen timeout 10 "$h" serve --db "$db" --listen 127.0.0.1:0 --listen 127.0.0.1:0
twice "run --events twice" --events "$h" run "$tmp/p.play" --events a --events b
twice "check --directory twice" --directory "$h" check "$tmp/p.play" --directory "$tmp/dir.json" --directory "$tmp/dir.json"
twice "build -o twice" -o "$h" build "$tmp/p.play" -o "$tmp/a.hbc" -o "$tmp/b.hbc"
twice "graph --instance twice" --instance "$h" graph "$tmp/p.play" --db "$db" --instance i1 --instance i1
twice "outbox --db twice" --db "$h" outbox --db "$db" --db "$db"
expect "outbox retry '' is a usage error" 2 "$h" outbox retry '' --db "$db"
has "  saying what to give" "outbox retry needs the KEY of a failed entry"
expect "outbox --db with no value" 2 "$h" outbox --db
has "  says it needs one" "--db needs a value"
if [ ! -e "$tmp/a.hbc" ] && [ ! -e "$tmp/b.hbc" ]; then ok "build wrote no file"; else no "build wrote no file" ""; fi

lost() { # lost DESC OPTION NEXT COMMAND...: exit 2, saying OPTION needs a value, not NEXT
  desc=$1 option=$2 next=$3; shift 3
  expect "$desc: exit 2" 2 "$@"
  has "  says $option needs a value, not $next" "huddle: $option needs a value, not the option '$next'"
}
lost "audit search --playbook --json" --playbook --json "$h" audit search --db "$db" --playbook --json
lost "audit verify --head --db" --head --db "$h" audit verify --head --db "$db"
lost "audit export --format --db" --format --db "$h" audit export --format --db "$db"
lost "audit stats --tag --json" --tag --json "$h" audit stats --db "$db" --tag --json
lost "answer --by --comment" --by --comment "$h" answer t1 yes --db "$db" --by --comment "fine"
lost "retry --reason --json" --reason --json "$h" retry i1 --db "$db" --reason --json
lost "trigger --id --json" --id --json sh -c "echo '{}' | '$h' trigger src.alert --db '$db' --id --json"
lost "instances --status --json" --status --json "$h" instances --db "$db" --status --json
lost "--db --json" --db --json "$h" tasks --db --json
lost "run --events --json" --events --json "$h" run "$tmp/p.play" --events --json
lost "check --directory --json" --directory --json "$h" check "$tmp/p.play" --directory --json
lost "graph --instance --svg" --instance --svg "$h" graph "$tmp/p.play" --db "$db" --instance --svg
lost "serve --listen --db" --listen --db "$h" serve --listen --db "$db"
expect "the option last still says it needs a value" 2 "$h" audit verify --db "$db" --head
has "  (as before)" "huddle: --head needs a value"
expect "--OPTION=VALUE gives an option's name as a value" 0 "$h" audit search --db "$db" --playbook=--json
has "  (a playbook named --json: none)" "no decision matches"
"$h" history i1 --db "$db" --json > "$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "nothing was written"; else no "nothing was written" "$tmp/after"; fi
expect "t1 is still open" 0 "$h" tasks --db "$db" --json
json "  held by anna, unanswered" "j[0]['seats'][0]['answered_by'] is None"
expect "given once, the answer goes through" 0 "$h" answer t1 yes --by anna --comment "--not-an-option" --db "$db" $(now 08:03)
"$h" history i1 --db "$db" --json > "$tmp/out" 2>&1
if grep -q '"comment":"--not-an-option"' "$tmp/out"; then ok "  a comment that begins with -- but is no option is taken"; else no "  a comment that begins with -- but is no option is taken"; fi
plan
