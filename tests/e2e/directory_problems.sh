#!/bin/sh
# tests/e2e/directory_problems.sh - a directory with several problems gets every one of
# them, each at its JSON path (docs/people.md: "Every problem is listed by its JSON
# path"), and changes nothing. An absence with bad dates still has its delegate checked
# (before, an absence whose dates were refused was not looked at again, and a later
# absence's unknown delegate was reported at the index of the absences kept: away[0]
# for the file's away[1]). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

cat > "$tmp/dir.json" <<'JSON'
{"people": {"anna": {"email": "anna@example.com"},
            "a": {"email": "a@example.com", "away": [
                {"from": "2026-06-10", "to": "2026-06-01", "delegate": "nobody"},
                {"from": "2026-07-01", "to": "2026-07-05", "delegate": "ghost"},
                {"from": "2026-08-01", "to": "2026-08-05", "delegate": "anna"}]}}}
JSON
expect "a directory with three problems is refused" 1 "$h" directory load "$tmp/dir.json" --db "$tmp/db"
has "  the bad dates" "people.a.away[0].to: ends no later than it starts"
has "  that absence's unknown delegate too" "people.a.away[0].delegate: no such person"
has "  the second absence's, at its own index" "people.a.away[1].delegate: no such person"
hasnt "  the third absence's delegate is known" "away[2]"
python3 -c "import sys; print('{\"problems\": %d}' % sum(1 for l in open(sys.argv[1]) if l.startswith('people.')))" "$tmp/out" > "$tmp/lines"
cp "$tmp/lines" "$tmp/out"
json "  three problems, no more" 'j["problems"] == 3'
json_dir() { [ -e "$tmp/db" ] && echo '{"store": true}' || echo '{"store": false}'; }
json_dir > "$tmp/out"
json "  and nothing was made" 'j["store"] == False'
plan
