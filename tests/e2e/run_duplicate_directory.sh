#!/bin/sh
# tests/e2e/run_duplicate_directory.sh - `huddle run`'s timeline for a directory.away or
# directory.back event whose id was seen already: it changes nothing (RUNTIME.md: a
# repeat "changes nothing"), so its only line is the duplicate's, never "anna is away,
# delegate craig" (which the timeline printed before, though the store kept boss). TAP.
set -u
. "$TOP/tests/e2e/lib.sh"
plan 7
cat > "$tmp/dir.json" <<'JSON'
{"people": {"anna": {"email": "anna@x.com"}, "boss": {"email": "boss@x.com"}, "craig": {"email": "craig@x.com"}}}
JSON
cat > "$tmp/p.play" <<'PLAY'
playbook p
on x.go as e
state s {
  ask person(e.who) "q?" choices yes
      within 5h
  { yes -> done "yes"  timeout -> done "timeout" }
}
PLAY
cat > "$tmp/trace.jsonl" <<'TRACE'
{"at": "2026-06-15T20:00:00Z", "event": {"source": "x", "type": "go", "id": "e1", "data": {"who": "anna"}}}
{"at": "2026-06-15T20:10:00Z", "event": {"source": "directory", "type": "away", "id": "h1", "data": {"person": "anna", "delegate": "boss"}}}
{"at": "2026-06-15T20:20:00Z", "event": {"source": "directory", "type": "away", "id": "h1", "data": {"person": "anna", "delegate": "craig"}}}
{"at": "2026-06-15T20:30:00Z", "event": {"source": "directory", "type": "back", "id": "h2", "data": {"person": "anna"}}}
{"at": "2026-06-15T20:40:00Z", "event": {"source": "directory", "type": "back", "id": "h2", "data": {"person": "anna"}}}
TRACE
expect "run: a directory.away and a directory.back, each sent twice" 0 \
  "$h" run "$tmp/p.play" --events "$tmp/trace.jsonl" --directory "$tmp/dir.json"
has "  the first away is a line" "20:10       anna is away, delegate boss"
has "  and moves the seat" "t1 seat 1: boss asked in anna's place (anna is away)"
has "  the repeated away says it is a duplicate" "20:20       directory.away h1 is a duplicate, ignored"
hasnt "  and nothing else (the store kept boss)" "delegate craig"
has "  the repeated back says it is a duplicate" "20:40       directory.back h2 is a duplicate, ignored"
if [ "$(grep -c 'anna is back' "$tmp/out")" -eq 1 ]; then ok "  and only the first back says anna is back"; else no "  and only the first back says anna is back"; fi
