#!/bin/sh
# tests/e2e/cli_env.sh - HUDDLE_DB names the store when --db is absent; --db wins over it;
# without either the store is ./huddle.db (issue 9). On real stores with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 11
printf 'playbook one\n\non a.b as e\n\nstate s {\n  done "ok"\n}\n' > "$tmp/one.play"
expect "deploy with HUDDLE_DB and no --db" 0 env HUDDLE_DB="$tmp/envdb" "$h" deploy "$tmp/one.play" --now 2026-03-02T08:00:00Z
if [ -f "$tmp/envdb/data.mdb" ]; then ok "made the store HUDDLE_DB names"; else no "made the store HUDDLE_DB names"; fi
expect "trigger through HUDDLE_DB" 0 sh -c "echo '{}' | HUDDLE_DB='$tmp/envdb' '$h' trigger a.b --id x1 --now 2026-03-02T09:00:00Z"
expect "instances through HUDDLE_DB" 0 env HUDDLE_DB="$tmp/envdb" "$h" instances
has "lists the instance" "i1     one"
expect "--db wins over HUDDLE_DB" 3 env HUDDLE_DB="$tmp/envdb" "$h" instances --db "$tmp/nowhere"
has "naming the --db folder" "$tmp/nowhere"
mkdir "$tmp/cwd"
expect "without either, ./huddle.db" 0 sh -c "cd '$tmp/cwd' && env -u HUDDLE_DB '$h' deploy '$tmp/one.play' --now 2026-03-02T08:00:00Z"
if [ -f "$tmp/cwd/huddle.db/data.mdb" ]; then ok "made ./huddle.db"; else no "made ./huddle.db"; fi
expect "help says so" 0 "$h" help instances
has "and names HUDDLE_DB" 'default $HUDDLE_DB, else ./huddle.db'
