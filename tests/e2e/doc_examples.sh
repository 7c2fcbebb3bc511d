#!/bin/sh
# tests/e2e/doc_examples.sh - every whole-playbook example of docs/language.md (a ```play
# block whose first line is `playbook NAME`) RUNS under `huddle run` on a realistic trace:
# tests/doc_examples/NAME/{trace.jsonl, expected.jsonl, [directory.json], [mocks.json]}.
# The playbook text is taken from the doc at test time, so the doc stays the one source.
# Prints TAP lines.
#
# For each example: `huddle run --json` exits 0, prints the records of expected.jsonl in
# order (the same patterns as tests/e2e/people.sh: a line is a subset of a record; also
# {"$unordered": [...]}, {"$none": {...}}, {"$never": {...}}), and its summary shows at
# least one instance, every one of them ended (done or failed); the timeline run (without
# --json) exits 0 and has no STALLED line. Every doc example needs a folder, and every
# folder a doc example.
#
# A folder with a BUG.md is an example the binary (or the doc) gets wrong: it is reported
# `not ok` while it still fails, and the BUG.md says what was run, got and expected.
set -u
. "$TOP/tests/e2e/lib.sh"
doc=docs/language.md
cases=tests/doc_examples

cat > "$tmp/match.py" <<'PY'
import json, sys
sys.path.insert(0, "tests/e2e")  # the scripts run from the top of the repository
from records import match, show, read_run_output, walk_steps

out_path, err_path, rc, expected_path = sys.argv[1:5]
rc = int(rc)
problems = []

records, summary = read_run_output(out_path, problems)

steps = [json.loads(l) for l in open(expected_path, encoding="utf-8") if l.strip()]

err_text = open(err_path, encoding="utf-8", errors="replace").read()
if rc != 0:
    problems.append("huddle run --json exited %d%s" % (rc, (": " + err_text.strip()) if err_text.strip() else ""))

walk_steps(steps, records, problems)

instances = (summary or {}).get("instances")
if instances is None:
    problems.append("no summary line")
elif not instances:
    problems.append("the trace started no instance")
else:
    for i in instances:
        if i.get("status") not in ("done", "failed"):
            problems.append("instance %s did not end: status %s in state %s" % (i.get("id"), i.get("status"), i.get("state")))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# Each ```play block that is a whole playbook, as $tmp/play/NAME.play; the names, in
# the doc's order, in $tmp/names.
mkdir -p "$tmp/play"
awk -v dir="$tmp/play" -v names="$tmp/names" '
  /^```play$/ { inside = 1; first = 1; file = ""; next }
  /^```/ && inside { inside = 0; if (file != "") close(file); next }
  inside && first { first = 0
                    if ($1 == "playbook") { file = dir "/" $2 ".play"; print $2 > names } }
  inside && file != "" { print > file }' "$doc"
touch "$tmp/names"

count=$(wc -l < "$tmp/names")
dups=$(sort "$tmp/names" | uniq -d | tr '\n' ' ')
if [ "$count" -gt 0 ] && [ -z "$dups" ]; then
  ok "$doc has $count whole-playbook examples, each with its own name"
else
  no "$doc has whole-playbook examples with distinct names (found $count; repeated: $dups)" ""
fi

orphans=""
for dir in "$cases"/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  grep -qx "$name" "$tmp/names" || orphans="$orphans $name"
done
if [ -z "$orphans" ]; then
  ok "every folder under $cases is an example of $doc"
else
  no "folders under $cases with no playbook of that name in $doc:$orphans" ""
fi

while read -r name; do
  dir=$cases/$name
  play=$tmp/play/$name.play
  if [ ! -f "$dir/trace.jsonl" ] || [ ! -f "$dir/expected.jsonl" ]; then
    no "doc example $name has a trace: add $dir/trace.jsonl and $dir/expected.jsonl" ""
    continue
  fi
  title=$(sed -n '1s/^playbook [A-Za-z0-9_]* *"\(.*\)"$/\1/p' "$play")
  set -- run "$play" --events "$dir/trace.jsonl"
  [ -f "$dir/directory.json" ] && set -- "$@" --directory "$dir/directory.json"
  [ -f "$dir/mocks.json" ] && set -- "$@" --mocks "$dir/mocks.json"
  "$h" "$@" --json < /dev/null > "$tmp/out" 2> "$tmp/err"
  rc=$?
  python3 "$tmp/match.py" "$tmp/out" "$tmp/err" "$rc" "$dir/expected.jsonl" < /dev/null > "$tmp/why" 2>&1
  good=$?
  "$h" "$@" < /dev/null > "$tmp/timeline" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    good=1
    { echo "the timeline run exited $rc:"; tail -5 "$tmp/timeline"; } >> "$tmp/why"
  fi
  if grep -q STALLED "$tmp/timeline"; then
    good=1
    { echo "the timeline has STALLED:"; grep STALLED "$tmp/timeline"; } >> "$tmp/why"
  fi
  verdict "doc example $name: $title" "$good" "$dir" "$tmp/why"
done < "$tmp/names"
plan
