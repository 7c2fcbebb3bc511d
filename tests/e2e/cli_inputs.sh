#!/bin/sh
# tests/e2e/cli_inputs.sh - unusual but valid command lines, the same on every command:
# "--" ends the options (a file or id after it may begin with '-'), --OPTION=VALUE is
# --OPTION VALUE for every option that takes a value, a flag given a value (--json=yes)
# is a usage error naming it that writes nothing, an option before the command is named
# as such, and a value that looks like --OPTION=VALUE (--reason --db=x) stays a value.
# TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store
cat > "$tmp/-dash.play" <<'PLAY'
playbook dash

on src.alert as a

state start {
  ask person("anna") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late" }
}
PLAY
printf '{"people": {"anna": {"email": "a@x"}, "-bo": {"email": "b@x"}}}\n' > "$tmp/dir.json"
printf '{"at": "2026-03-02T08:00:00Z", "event": {"source": "src", "type": "alert", "id": "e1"}}\n' > "$tmp/t.jsonl"
cd "$tmp" || exit 1

# "--" ends the options, on the commands that take files and on the store's.
expect "check -- -dash.play" 0 "$h" check -- -dash.play
expect "check --json -- -dash.play" 0 "$h" check --json -- -dash.play
json "  one JSON object, no errors" "j['errors'] == 0"
expect "build -o OUT -- -dash.play" 0 "$h" build -o "$tmp/out.hbc" -- -dash.play
if [ -s "$tmp/out.hbc" ]; then ok "  wrote OUT"; else no "  wrote OUT"; fi
expect "disasm -- -dash.play" 0 "$h" disasm -- -dash.play
has "  lists the playbook" "playbook dash"
expect "graph -- -dash.play" 0 "$h" graph -- -dash.play
has "  draws it" 'digraph "dash"'
expect "run --events T -- -dash.play" 0 "$h" run --events t.jsonl -- -dash.play
has "  ran the trace" "started  dash"
expect "check -- --help is a file, not help" 1 "$h" check -- --help
has "  named as a file" "--help"
hasnt "  no usage printed" "Parses and checks"

# --OPTION=VALUE, on each kind of command.
expect "directory load --db=DIR" 0 "$h" directory load dir.json --db="$db" --now=2026-03-02T07:00:00Z
expect "deploy --db=DIR -- -dash.play" 0 "$h" deploy --db="$db" $(now 07:30) -- -dash.play
expect "playbooks --db=DIR --json" 0 "$h" playbooks --db="$db" --json
json "  lists dash" "j[0]['name'] == 'dash'"
expect "trigger --id=ID --db=DIR" 0 sh -c "echo '{}' | '$h' trigger src.alert --id=e1 --db='$db' --now=2026-03-02T08:00:00Z"
expect "tasks --for=PERSON --db=DIR --json" 0 "$h" tasks --for=anna --db="$db" --json
json "  anna's task t1" "[t['id'] for t in j] == ['t1']"
expect "directory show --db=DIR -- -bo" 0 "$h" directory show --db="$db" -- -bo
has "  shows the person -bo" "b@x"
expect "instances --status=running --db=DIR" 0 "$h" instances --status=running --db="$db" --json
json "  i1 running" "[i['id'] for i in j] == ['i1']"
expect "audit search --playbook=dash --db=DIR --json" 0 "$h" audit search --playbook=dash --db="$db" --json
expect "outbox --db=DIR --json" 0 "$h" outbox --db="$db" --json
json "  a JSON array" "isinstance(j, list)"
expect "check --directory=F" 0 "$h" check --directory=dir.json -- -dash.play
expect "--reason --db=x: the reason, not --db" 0 "$h" cancel i1 --by anna --reason --db=x --db "$db" $(now 08:10)
"$h" history i1 --db "$db" --json > "$tmp/out"
has "  the reason kept as given" '"reason":"--db=x"'

# A flag given a value, an option before the command: usage errors that change nothing.
"$h" history i1 --db "$db" --json > "$tmp/before"
expect "--json=yes is a usage error" 2 "$h" tick --db "$db" --json=yes $(now 09:00)
has "  naming it" "--json takes no value: give --json alone, not --json=yes"
expect "outbox --pending=1 is a usage error" 2 "$h" outbox --db "$db" --pending=1
has "  naming it" "--pending takes no value"
expect "deploy --json=1 makes no store" 2 "$h" deploy --json=1 --db "$tmp/new" -- -dash.play
if [ ! -e "$tmp/new" ]; then ok "  no store made"; else no "  no store made" ""; fi
expect "huddle --db DIR tasks is a usage error" 2 "$h" --db "$db" tasks
has "  saying the command comes first" "'--db' comes before a command: give the command first"
"$h" history i1 --db "$db" --json > "$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "nothing was written"; else no "nothing was written" "$tmp/after"; fi
expect "audit export --format=csv --json is a usage error" 2 "$h" audit export --format=csv --json --db "$db"
has "  saying to give one" "--format csv and --json together: give one"
expect "audit export --format=csv" 0 "$h" audit export --format=csv --db "$db"
has "  CSV" "instance,playbook,state"
# One deploy of two files of one playbook: the same version twice is one; two versions
# are refused (the order of the files is no way to say which one becomes current).
sed 's/"Go?"/"Go now?"/' ./-dash.play > "$tmp/dash2.play"
expect "deploy F F" 0 "$h" deploy --db "$tmp/twice" -- -dash.play -dash.play
cp ./-dash.play "$tmp/dash1.play"
expect "deploy F G, one playbook in two versions, is refused" 1 "$h" deploy "$tmp/dash1.play" "$tmp/dash2.play" --db "$tmp/twice"
has "  naming both files" "dash1.play and $tmp/dash2.play are both playbook dash, in different versions: give one"
"$h" playbooks --db "$tmp/twice" --json > "$tmp/out"
json "  nothing deployed: one version, current" "len(j[0]['versions']) == 1"
# An empty JSON file is said to be empty, not "'[' or '{' expected near end of file".
: > "$tmp/empty.json"
expect "directory load of an empty file is refused" 1 "$h" directory load "$tmp/empty.json" --db "$tmp/twice"
has "  saying it is empty" "empty.json: the file is empty: a JSON object was expected"
printf '\n  \n' > "$tmp/blank.json"
expect "run --mocks of a blank file is refused" 1 "$h" run --events t.jsonl --mocks "$tmp/blank.json" -- -dash.play
has "  saying it is empty" "blank.json: the file is empty: a JSON object was expected"
expect "run --directory of a blank file is refused" 1 "$h" run --events t.jsonl --directory "$tmp/blank.json" -- -dash.play
has "  saying it is empty" "blank.json: the file is empty: a JSON object was expected"
expect "check --connectors of an empty file is refused" 1 "$h" check --connectors "$tmp/empty.json" -- -dash.play
has "  saying it is empty" "empty.json: the file is empty: a JSON object was expected"
expect "huddle help deploy" 0 "$h" help deploy
has "  says --json is JSON Lines, a playbook a line" 'JSON Lines: {"playbook", "version"}'
hasnt "  not one JSON object" "as one JSON object"
expect "deploy F F --json: a JSON line a playbook" 0 "$h" deploy --db "$tmp/twice" --json -- -dash.play "$tmp/-dash.play"
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$tmp/out"; then ok "  each line JSON"; else no "  each line JSON"; fi
expect "huddle help" 0 "$h" help
has "  says how options are given" "as --opt VALUE or --opt=VALUE; -- ends them"
plan
