#!/bin/sh
# tests/e2e/closed_streams.sh - huddle started with a standard stream closed (`2>&-`, a
# supervisor that closes them) never writes over its store or reads it as input
# (RUNTIME.md promise 1: "a refusal changes nothing of its own"; "Limits and damage").
# An audit found the store's data.mdb taking the closed descriptor: a refused answer's
# message, an export and serve's log lines were written over its first page (every later
# command then exit 3), and `trigger --file -` read the store as its events and started
# an instance from a line of it. Each stream is now opened on /dev/null first. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
cat > "$tmp/p.play" <<'PLAY'
playbook p
on src.ev as e
state s { ask person("anna") "ok?" choices yes within 1h { yes -> done "y" timeout -> done "t" } }
PLAY
"$h" deploy "$tmp/p.play" --db "$tmp/db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "deploy"
# an event whose data holds, as text, a line that is an event of its own
printf '{"note":"\\n{\\"source\\":\\"src\\",\\"type\\":\\"ev\\",\\"id\\":\\"ghost\\"}\\n"}' |
  "$h" trigger src.ev --id e1 --db "$tmp/db" --now 2027-01-10T08:00:00Z > "$tmp/out" 2>&1 || no "trigger e1"
for copy in db2 db3 db4; do cp -a "$tmp/db" "$tmp/$copy"; done

# intact DESC DIR: the store opens, holds i1 alone, and its chain verifies
intact() {
  if "$h" instances --db "$2" > "$tmp/out" 2>&1 && [ "$(grep -c '^i[0-9]' "$tmp/out")" -eq 1 ] &&
    "$h" audit verify --db "$2" >> "$tmp/out" 2>&1; then
    ok "$1"
  else
    no "$1"
  fi
}

"$h" answer t1 maybe --by anna --db "$tmp/db" --now 2027-01-10T08:01:00Z 2>&-
rc=$?
[ "$rc" -eq 1 ] && ok "a refused answer with stderr closed: exit 1" || no "a refused answer with stderr closed: exit 1 (got $rc)" ""
intact "  and the store is as it was" "$tmp/db"

"$h" audit export --db "$tmp/db2" >&-
rc=$?
[ "$rc" -eq 0 ] && ok "audit export with stdout closed: exit 0" || no "audit export with stdout closed: exit 0 (got $rc)" ""
intact "  and the store is as it was" "$tmp/db2"

"$h" trigger --file - --db "$tmp/db3" --now 2027-01-10T08:02:00Z <&- > "$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "trigger --file - with stdin closed reads nothing: exit 0" || no "trigger --file - with stdin closed: exit 0 (got $rc)"
has "  saying it read no line" "0 lines"
intact "  and started nothing" "$tmp/db3"

# serve with stderr closed: its log lines go nowhere, not into the store
port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$h" serve --db "$tmp/db4" --listen "127.0.0.1:$port" 2>&- &
serve_pid=$!
up=0
for i in $(seq 1 50); do
  curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" && { up=1; break; }
  sleep 0.1
done
[ "$up" -eq 1 ] && ok "serve with stderr closed answers /healthz" || no "serve with stderr closed answers /healthz" ""
for i in 1 2 3 4 5; do curl -s -m 2 -o /dev/null "http://127.0.0.1:$port/v1/nowhere"; done
serve_stop
[ "$serve_rc" -eq 0 ] && ok "  and exits 0 at SIGTERM" || no "  and exits 0 at SIGTERM (got $serve_rc)" ""
intact "  and the store is as it was" "$tmp/db4"
plan
