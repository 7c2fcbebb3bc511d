#!/bin/sh
# tests/e2e/cli_missing_value.sh - an option that takes a value, given another of the
# command's options where its value goes, is a usage error (exit 2) naming both, on
# every command: `audit search --playbook --json` searched for the playbook "--json"
# and said "no decision matches" (exit 0), and `audit verify --head --db S` took --db
# for the head and S for an argument. The check is the shared front (cli.c's
# cli_split_values), not each command's. A value that only begins with "--" is still
# taken, and --OPTION=VALUE gives an option's name as text. Nothing is written. TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store
cat > "$tmp/p.play" <<'PLAY'
playbook p

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes, no with comment within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
printf '{"people": {"anna": {"email": "a@x"}}}\n' > "$tmp/dir.json"
"$h" directory load "$tmp/dir.json" --db "$db" $(now 08:00) > /dev/null
"$h" deploy "$tmp/p.play" --db "$db" $(now 08:00) > /dev/null 2>&1
echo '{}' | "$h" trigger src.alert --id a1 --db "$db" $(now 08:01) > /dev/null
"$h" history i1 --db "$db" --json > "$tmp/before"

# lost DESC OPTION NEXT CMD...: CMD exits 2 saying OPTION needs a value, not NEXT
lost() {
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
"$h" history i1 --db "$db" --json > "$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "nothing was written"; else no "nothing was written" "$tmp/after"; fi

expect "a value that begins with -- but is no option is taken" 0 "$h" answer t1 no --db "$db" --by anna --comment "--not-an-option" $(now 08:02)
"$h" history i1 --db "$db" --json > "$tmp/out" 2>&1
if grep -q '"comment":"--not-an-option"' "$tmp/out"; then ok "  (the comment is that text)"; else no "  (the comment is that text)"; fi
expect "--OPTION=VALUE gives an option's name as a value" 0 "$h" audit search --db "$db" --playbook=--json
has "  (a playbook named --json: none)" "no decision matches"
plan
