#!/bin/sh
# tests/e2e/connectors_url.sh - a connector URL libcurl could not request, or would read
# otherwise than meant, is refused when the connectors file is checked (`huddle check
# --connectors`, `deploy --connectors`, `serve --connectors`), naming the place, never
# kept to fail at delivery: a port out of 1..65535, a query string or fragment (the
# operation's path would be appended inside it), a host with a character no host name
# has. Audit finding F4 (/tmp/audit/findings_out.md).
set -u
. "$TOP/tests/e2e/lib.sh"

db="$tmp/db"
cat > "$tmp/p.play" <<'PLAY'
playbook p

on mon.spike as ev

state start {
  send a.o({})
  done "ok"
}
PLAY
bad() { # bad NAME URL-FIELD-JSON: a connectors file whose `a` has that URL
  printf '{"mon": {"kind": "webhook"}, "a": %s}\n' "$2" > "$tmp/$1.json"
}
bad port '{"kind": "http", "base_url": "http://127.0.0.1:99999", "operations": {"o": {"method": "POST", "path": "/o"}}}'
bad zero '{"kind": "http", "base_url": "http://127.0.0.1:0/", "operations": {"o": {"method": "POST", "path": "/o"}}}'
bad query '{"kind": "http", "base_url": "http://127.0.0.1:9000/v1?k=1", "operations": {"o": {"method": "POST", "path": "/o"}}}'
bad fragment '{"kind": "http", "base_url": "https://kb.example/v1#top", "operations": {"o": {"method": "POST", "path": "/o"}}}'
bad host '{"kind": "http", "base_url": "http://kb^example/", "operations": {"o": {"method": "POST", "path": "/o"}}}'
bad smtp '{"kind": "smtp", "url": "smtp://127.0.0.1:70000", "from": "huddle@example.com"}'
bad good '{"kind": "http", "base_url": "http://[::1]:8080/api/v1/", "operations": {"o": {"method": "POST", "path": "/o"}}}'

expect "check: a port over 65535 is refused" 1 "$h" check "$tmp/p.play" --connectors "$tmp/port.json"
has "naming the place" "port.json: connectors.a.base_url: has a port that is not a number from 1 to 65535"
expect "check: port 0 is refused" 1 "$h" check "$tmp/p.play" --connectors "$tmp/zero.json"
has "naming the place" "connectors.a.base_url: has a port that is not a number from 1 to 65535"
expect "check: a query string is refused" 1 "$h" check "$tmp/p.play" --connectors "$tmp/query.json"
has "saying why" "connectors.a.base_url: has a query string or fragment ('?' or '#'): an operation's path is appended"
expect "check: a fragment is refused" 1 "$h" check "$tmp/p.play" --connectors "$tmp/fragment.json"
has "saying why" "connectors.a.base_url: has a query string or fragment"
expect "check: a host with '^' is refused" 1 "$h" check "$tmp/p.play" --connectors "$tmp/host.json"
has "saying why" "connectors.a.base_url: has a host name with a character a host name cannot have"
expect "check: an smtp url's port too" 1 "$h" check "$tmp/p.play" --connectors "$tmp/smtp.json"
has "naming url" "connectors.a.url: has a port that is not a number from 1 to 65535"
expect "check: an IPv6 host with a port and a path passes" 0 "$h" check "$tmp/p.play" --connectors "$tmp/good.json"

expect "deploy --connectors with a port out of range is refused" 1 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/port.json" --now 2026-06-15T09:00:00Z
has "naming the place" "connectors.a.base_url: has a port"
[ -e "$db" ] && no "and no store was made" "" || ok "and no store was made"
expect "deploy --connectors with a query string is refused" 1 "$h" deploy "$tmp/p.play" --db "$db" --connectors "$tmp/query.json" --now 2026-06-15T09:00:00Z
plan
