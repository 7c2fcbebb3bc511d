#!/bin/sh
# tests/e2e/audit9_cli.sh - findings of an audit of the command line against RUNTIME.md
# v1.2 ("Interfaces"), each a test that failed before its fix:
#
# F1. `directory show` took --now (and did nothing with it, not even refuse a time
#     earlier than the store's) though it only reads: now exit 2, as every other reader
#     refuses --now; its --json is in its usage (its output is JSON either way).
#     `huddle help tasks extra`, `huddle --version extra` and `huddle --help extra`
#     ignored the extra word: now exit 2 (`huddle --help CMD` is `huddle help CMD`).
# F4. An --since or --until outside the times a store holds was exit 1 in `instances`
#     and exit 2 in `audit search`, both saying "a deadline there could never fire":
#     now exit 2 in both (a usage error), saying what to do.
# F5. `trigger` said "started i2" of an instance that had stalled at once, and its
#     --json lacked the "instances" and "records" its help promised: now a line per
#     instance it touched (`  i2: stalled: REASON`) and both members, its own kept.
#     An answer that stalls its instance says why too.
# F6. `deploy a.play a.play ./a.play` said "deployed" three times: now once.
# F8. `graph --svg -o PATH` with a PATH it cannot write said "dot failed (is graphviz
#     installed?)": now it names the path; a missing dot is named as such. A dot that
#     fails leaves an OUT that was there as it was (it was emptied).
# F9. `retry --all-stalled --json` left out "why" on a retry that went through (and did
#     not say it stalled again: now null, or that sentence); `outbox retry --json`
#     lacked "instances" and "records".
# On real stores with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 59
db=$tmp/store
at() { echo "--now 2026-06-15T$1:00Z"; }
cat > "$tmp/s.play" <<'PLAY'
playbook simple

on src.alert as a

state decide {
  ask person("anna") "Go for {a.key}?"
    choices yes, no
    within 1h
  {
    yes -> { let n = 10 / a.zero  done "yes {n}" }
    no -> done "no"
    timeout -> fail "nobody"
  }
}
PLAY
printf 'playbook first\n\non src.boom as b\n\nstate s {\n  let x = 10 / b.n\n  done "got {x}"\n}\n' > "$tmp/f.play"
printf '{"people": {"anna": {"email": "anna@example.com"}}}\n' > "$tmp/dir.json"
"$h" deploy "$tmp/s.play" "$tmp/f.play" --db "$db" $(at 08:00) > /dev/null
"$h" directory load "$tmp/dir.json" --db "$db" $(at 08:00) > /dev/null
echo '{"key": "k1", "zero": 0}' | "$h" trigger src.alert --id e1 --db "$db" $(at 08:01) > /dev/null

# ---- F1: directory show is a read; help and --version take nothing more ----
expect "directory show --now is a usage error (exit 2)" 2 "$h" directory show anna --db "$db" $(at 12:00)
has "  saying show takes no --now" "directory show takes no option '--now'"
expect "  and no timer fired: i1 still runs" 0 "$h" instances --db "$db" --json
json "  (i1 running)" '[i["status"] for i in j] == ["running"]'
expect "directory show --now earlier than the store's is the same usage error" 2 \
  "$h" directory show --db "$db" --now 2020-01-01T00:00:00Z
expect "directory show --json is taken (its output is JSON either way)" 0 "$h" directory show anna --db "$db" --json
json "  and is the person" 'j["email"] == "anna@example.com"'
expect "help directory" 0 "$h" help directory
has "  lists --json for show" "huddle directory show [ID] [--db DIR] [--json]"
expect "help tasks extra is a usage error (exit 2)" 2 "$h" help tasks extra
has "  naming the extra word" "'extra' is one argument too many"
expect "--version extra is a usage error (exit 2)" 2 "$h" --version extra
has "  naming the extra word" "--version takes no argument: 'extra' is one too many"
expect "--help extra is a usage error (exit 2), as help extra is" 2 "$h" --help extra
has "  naming the unknown command" "no command 'extra'"
expect "--help tasks is help tasks" 0 "$h" --help tasks
has "  (tasks' usage)" "usage: huddle tasks"

# ---- F4: a filter's time out of range is a usage error, in every reader ----
expect "instances --since 9999 is a usage error (exit 2)" 2 "$h" instances --db "$db" --since 9999-01-01T00:00:00Z
has "  saying what to do" "give a time in that range, or leave --since out"
hasnt "  and no deadline" "a deadline there could never fire"
expect "audit search --since 9999 is the same usage error" 2 "$h" audit search --db "$db" --since 9999-01-01T00:00:00Z
has "  in the same words" "give a time in that range, or leave --since out"
expect "instances --until 1969 too" 2 "$h" instances --db "$db" --until 1969-12-31T00:00:00Z
has "  naming --until" "--until 1969-12-31T00:00:00Z is outside the times a store holds"

# ---- F5: trigger and answer say an instance stalled, and why ----
expect "trigger of an event whose instance stalls at once" 0 sh -c "echo '{\"n\": 0}' | '$h' trigger src.boom --id b1 --db '$db' $(at 08:03)"
has "  says where it went" "accepted b1: started i2 (first)"
has "  and that i2 stalled, and why" "  i2: stalled: f.play:6: division by zero"
expect "trigger --json" 0 sh -c "echo '{\"n\": 0}' | '$h' trigger src.boom --id b2 --db '$db' $(at 08:03) --json"
json "  keeps id, duplicate and went" \
  'j["id"] == "b2" and j["duplicate"] is False and j["went"] == [{"playbook": "first", "instance": "i3", "as": "started"}]'
json "  and says where i3 stands, as the other writes do" \
  'j["instances"] == [{"id": "i3", "status": "stalled", "state": "s", "outcome": None, "task": None}]'
json "  with the records it wrote, the stall's reason among them" \
  '[(r["kind"], r.get("error")) for r in j["records"]] == [("started", None), ("stalled", "f.play:6: division by zero")]'
expect "a duplicate trigger --json" 0 sh -c "echo '{\"n\": 0}' | '$h' trigger src.boom --id b2 --db '$db' $(at 08:03) --json"
json "  touched nothing" 'j["duplicate"] is True and j["went"] == [] and j["instances"] == [] and j["records"] == []'
expect "trigger of an event that starts an ask" 0 sh -c "echo '{\"key\": \"k2\"}' | '$h' trigger src.alert --id e2 --db '$db' $(at 08:03)"
has "  says what came next" "  i4: now asks t2 (in decide)"
expect "an answer that stalls its instance" 0 "$h" answer t1 yes --by anna --db "$db" $(at 08:04)
has "  says why it stalled" "  i1: stalled: s.play:10: division by zero"

# ---- F9: retry --all-stalled --json has why in every entry ----
expect "retry --all-stalled --json" 0 "$h" retry --all-stalled --playbook first --db "$db" $(at 08:05) --json
json "  every entry has instance, retried and why" \
  'all(sorted(e) == ["instance", "retried", "why"] for e in j["retried"]) and len(j["retried"]) == 2'
json "  why says each stalled again" \
  '[e["why"] for e in j["retried"]] == ["i2 stalled again: f.play:6: division by zero", "i3 stalled again: f.play:6: division by zero"]'

# ---- F6: a file given twice is deployed and reported once ----
mkdir "$tmp/copy" && cp "$tmp/s.play" "$tmp/copy/s.play"
expect "deploy s.play s.play ./s.play and a copy --json" 0 \
  sh -c "cd '$tmp' && '$h' deploy s.play s.play ./s.play copy/s.play --db '$db' $(at 08:08) --json"
if [ "$(grep -c '"playbook"' "$tmp/out")" -eq 1 ]; then ok "  one line for the one playbook"; else no "  one line for the one playbook"; fi
expect "the same in words" 0 sh -c "cd '$tmp' && '$h' deploy s.play ./s.play --db '$db' $(at 08:08)"
if [ "$(grep -c '^deployed simple' "$tmp/out")" -eq 1 ]; then ok "  says deployed once"; else no "  says deployed once"; fi

# ---- F8: graph --svg names the path it cannot write ----
expect "graph --svg -o into a missing folder" 3 "$h" graph "$tmp/s.play" --svg -o "$tmp/missing/g.svg"
has "  names the path" "can't write $tmp/missing/g.svg: No such file or directory"
hasnt "  and blames no graphviz" "is graphviz installed"
expect "graph --svg with no dot on the PATH" 3 env PATH=/nonexistent "$h" graph "$tmp/s.play" --svg -o "$tmp/g.svg"
has "  says dot was not found" "Graphviz's dot was not found"
if [ -e "$tmp/g.svg" ]; then no "  and leaves no file behind"; else ok "  and leaves no file behind"; fi
mkdir -p "$tmp/faildot"
printf '#!/bin/sh\necho "dot: cannot render" >&2\nexit 1\n' > "$tmp/faildot/dot"
chmod +x "$tmp/faildot/dot"
echo "an older picture" > "$tmp/old.svg"
expect "graph --svg -o OLD with a dot that fails" 3 env PATH="$tmp/faildot:$PATH" "$h" graph "$tmp/s.play" --svg -o "$tmp/old.svg"
has "  says dot could not render" "Graphviz's dot could not render the graph"
[ "$(cat "$tmp/old.svg")" = "an older picture" ] && ok "  and leaves OLD as it was" || no "  and leaves OLD as it was"
[ "$(ls "$tmp" | grep -c '^old\.svg\.')" = 0 ] && ok "  and no new file beside it" || no "  and no new file beside it"

# ---- F9: outbox retry --json says what it did as the other writes ----
odb=$tmp/outbox
cat > "$tmp/connectors.json" <<'JSON'
{"src": {"kind": "webhook"},
 "probe": {"kind": "http", "base_url": "http://127.0.0.1:1", "timeout_ms": 1000,
           "operations": {"ping": {"method": "POST", "path": "/ping"}}}}
JSON
cat > "$tmp/ping.play" <<'PLAY'
playbook ping

on src.go as e

state s {
  send probe.ping({n: 1})
  ask person("anna") "Go?" choices yes within 1h { yes -> done "yes"  timeout -> fail "nobody" }
}
PLAY
"$h" directory load "$tmp/dir.json" --db "$odb" $(at 08:00) > /dev/null
"$h" deploy "$tmp/ping.play" --db "$odb" --connectors "$tmp/connectors.json" $(at 08:00) > /dev/null 2>&1
echo '{}' | "$h" trigger src.go --id g1 --db "$odb" $(at 08:01) > /dev/null
"$h" tick --db "$odb" $(at 08:02) > /dev/null
"$h" tick --db "$odb" --now 2026-06-16T09:00:00Z > /dev/null   # the send past its 24 h: failed for good
echo '{}' | "$h" trigger src.go --id g2 --db "$odb" --now 2026-06-16T09:00:00Z > /dev/null   # i2: due 10:00
expect "outbox --failed --json" 0 "$h" outbox --db "$odb" --failed --json
key=$(python3 -c 'import json,sys; print([e["key"] for e in json.load(open(sys.argv[1]))][0])' "$tmp/out")
json "  the send is failed" 'len(j) == 1 and j[0]["operation"] == "ping"'
expect "outbox retry KEY --json, after i2's deadline" 0 "$h" outbox retry "$key" --db "$odb" --now 2026-06-16T10:30:00Z --json
json "  keeps retry and status" "j['retry'] == '$key' and j['status'] == 'pending'"
json "  and says where the instances its timers touched stand, with the records" \
  'j["instances"] == [{"id": "i2", "status": "failed", "state": "s", "outcome": "nobody", "task": None}] and [r["kind"] for r in j["records"]][-1] == "failed"'
