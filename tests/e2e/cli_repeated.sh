#!/bin/sh
# tests/e2e/cli_repeated.sh - an option given twice is a usage error (exit 2) naming it,
# on every command that takes values, rather than the last one silently winning (as a
# query parameter given twice is 400 over HTTP): `--by anna --by craig` must not
# answer as craig. Nothing is written. TAP lines.
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
"$h" history i1 --db "$db" --json > "$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "nothing was written"; else no "nothing was written" "$tmp/after"; fi
expect "t1 is still open" 0 "$h" tasks --db "$db" --json
json "  held by anna, unanswered" "j[0]['seats'][0]['answered_by'] is None"
expect "given once, the answer goes through" 0 "$h" answer t1 yes --by anna --db "$db" $(now 08:03)
plan
