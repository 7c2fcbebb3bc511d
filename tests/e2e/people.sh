#!/bin/sh
# tests/e2e/people.sh - the people rules of an ask (../shared/design/LANGUAGE.md "ask",
# ../shared/design/RUNTIME.md "The directory") as scenarios:
# tests/people/NAME/{playbook.play, directory.json, trace.jsonl, expected.jsonl}, each
# run with `huddle run --json`. Prints TAP lines.
#
# expected.jsonl holds one JSON object a line, derived by hand from the contract:
#   {...}                  a record that must appear, after the previous one matched
#                          (a subsequence: other records may come in between)
#   {"$unordered": [...]}  records that must all appear after the previous match, in
#                          any order
#   {"$none": {...}}       no record like this between the previous match and the next
#                          one (or the end of the output)
#   {"$never": {...}}      no record like this anywhere
#   {"summary": {...}}     the summary's one instance (or a list: its instances in order)
#   {"exit": N, "stderr": ["text", ...]}   the run's exit status (default 0) and what
#                          its error message must say (an answer that is refused)
#   {"check": {"contains": ["text", ...]}} what `huddle check` must print (default:
#                          nothing)
# A pattern names only the keys it checks. Objects match when every named key matches;
# lists match item by item; {"$exact": X} must equal X; {"$set": [...]} is a list in
# any order; strings that are both RFC 3339 times compare as instants.
#
# A scenario with a BUG.md is one where the binary breaks the contract: it is reported
# `not ok` while it still fails, and the BUG.md says what was run, got and expected.
set -u
. "$TOP/tests/e2e/lib.sh"

cat > "$tmp/match.py" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e")  # the scripts run from the top of the repository
from records import match, show, read_run_output, walk_steps

out_path, err_path, rc, check_path, check_rc, expected_path = sys.argv[1:7]
rc, check_rc = int(rc), int(check_rc)
problems = []

records, summary = read_run_output(out_path, problems)

expected = [json.loads(l) for l in open(expected_path, encoding="utf-8") if l.strip()]
want_exit, want_stderr, want_check, want_summary = 0, [], [], None
steps = []
for e in expected:
    if "exit" in e:
        want_exit, want_stderr = e["exit"], e.get("stderr", [])
    elif "check" in e:
        want_check = e["check"].get("contains", [])
    elif "summary" in e:
        want_summary = e["summary"]
    else:
        steps.append(e)

check_text = open(check_path, encoding="utf-8", errors="replace").read()
if check_rc != 0:
    problems.append("huddle check exited %d:\n%s" % (check_rc, check_text))
elif not want_check and check_text.strip():
    problems.append("huddle check printed diagnostics:\n%s" % check_text)
for text in want_check:
    if text not in check_text:
        problems.append("huddle check does not say %s:\n%s" % (show(text), check_text))

err_text = open(err_path, encoding="utf-8", errors="replace").read()
if rc != want_exit:
    problems.append("huddle run exited %d, expected %d%s" % (rc, want_exit, (": " + err_text.strip()) if err_text.strip() else ""))
for text in want_stderr:
    if text not in err_text:
        problems.append("the error message does not say %s (it says: %s)" % (show(text), err_text.strip()))

walk_steps(steps, records, problems)

if want_summary is not None:
    instances = (summary or {}).get("instances")
    if instances is None:
        problems.append("no summary line")
    elif isinstance(want_summary, list):
        if not match(want_summary, instances):
            problems.append("summary %s does not match %s" % (show(instances), show(want_summary)))
    elif len(instances) != 1 or not match(want_summary, instances[0]):
        problems.append("summary %s does not match %s" % (show(instances), show(want_summary)))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

for dir in tests/people/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  [ -f "$dir/playbook.play" ] || continue
  title=$(sed -n '1s/^playbook [A-Za-z0-9_]* *"\(.*\)"$/\1/p' "$dir/playbook.play")
  set -- "$h" run "$dir/playbook.play" --events "$dir/trace.jsonl" --json
  [ -f "$dir/directory.json" ] && set -- "$@" --directory "$dir/directory.json"
  [ -f "$dir/mocks.json" ] && set -- "$@" --mocks "$dir/mocks.json"
  "$@" > "$tmp/out" 2> "$tmp/err"
  rc=$?
  "$h" check "$dir/playbook.play" > "$tmp/check" 2>&1
  check_rc=$?
  python3 "$tmp/match.py" "$tmp/out" "$tmp/err" "$rc" "$tmp/check" "$check_rc" \
    "$dir/expected.jsonl" > "$tmp/why" 2>&1
  verdict "people/$name: $title" $? "$dir" "$tmp/why"
done
[ "$n" -gt 0 ] || { no "no scenarios under tests/people" ""; plan; exit 1; }
echo "1..$n"
