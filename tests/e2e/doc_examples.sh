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
h=$HUDDLE
cd "$TOP" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
doc=docs/language.md
cases=tests/doc_examples

cat > "$tmp/match.py" <<'PY'
import json, re, sys
from datetime import datetime

out_path, err_path, rc, expected_path = sys.argv[1:5]
rc = int(rc)
problems = []

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

def instant(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))

def match(want, got):
    if isinstance(want, dict):
        if set(want) == {"$exact"}:
            return want["$exact"] == got
        if set(want) == {"$set"}:
            if not isinstance(got, list) or len(got) != len(want["$set"]):
                return False
            rest = list(got)
            for w in want["$set"]:
                for i, g in enumerate(rest):
                    if match(w, g):
                        del rest[i]
                        break
                else:
                    return False
            return True
        return isinstance(got, dict) and all(k in got and match(v, got[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(match(w, g) for w, g in zip(want, got))
    if isinstance(want, str) and isinstance(got, str) and TIME.match(want) and TIME.match(got):
        return instant(want) == instant(got)
    if isinstance(want, bool) or isinstance(got, bool):
        return want is got
    return want == got

def show(x):
    return json.dumps(x, ensure_ascii=False)

records, summary = [], None
for number, line in enumerate(open(out_path, encoding="utf-8"), 1):
    if not line.strip():
        continue
    try:
        item = json.loads(line)
    except ValueError:
        problems.append("output line %d is not JSON: %s" % (number, line.strip()[:200]))
        continue
    if isinstance(item, dict) and "summary" in item and "kind" not in item:
        summary = item["summary"]
    else:
        records.append(item)

steps = [json.loads(l) for l in open(expected_path, encoding="utf-8") if l.strip()]

err_text = open(err_path, encoding="utf-8", errors="replace").read()
if rc != 0:
    problems.append("huddle run --json exited %d%s" % (rc, (": " + err_text.strip()) if err_text.strip() else ""))

pos = 0            # records before pos are used up
pending_none = []  # $none patterns: checked up to the next match (or the end)

def close_none(start, end):
    for p in pending_none:
        for r in records[start:end]:
            if match(p, r):
                problems.append("unexpected record %s (matches $none %s)" % (show(r), show(p)))
                break
    pending_none.clear()

for step in steps:
    if "$never" in step:
        for r in records:
            if match(step["$never"], r):
                problems.append("record %s must never appear (matches $never %s)" % (show(r), show(step["$never"])))
                break
        continue
    if "$none" in step:
        pending_none.append(step["$none"])
        continue
    group = step["$unordered"] if "$unordered" in step else [step]
    used, missing = [], None
    for p in group:
        for i in range(pos, len(records)):
            if i not in used and match(p, records[i]):
                used.append(i)
                break
        else:
            missing = p
            break
    if missing is not None:
        problems.append("missing record %s after record %d%s" % (show(missing), pos,
                        (" " + show(records[pos - 1])) if pos else ""))
        pending_none.clear()
        break
    close_none(pos, min(used))
    pos = max(used) + 1
close_none(pos, len(records))

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
n=$((n + 1))
dups=$(sort "$tmp/names" | uniq -d | tr '\n' ' ')
if [ "$count" -gt 0 ] && [ -z "$dups" ]; then
  echo "ok $n - $doc has $count whole-playbook examples, each with its own name"
else
  echo "not ok $n - $doc has whole-playbook examples with distinct names (found $count; repeated: $dups)"
fi

n=$((n + 1))
orphans=""
for dir in "$cases"/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  grep -qx "$name" "$tmp/names" || orphans="$orphans $name"
done
if [ -z "$orphans" ]; then
  echo "ok $n - every folder under $cases is an example of $doc"
else
  echo "not ok $n - folders under $cases with no playbook of that name in $doc:$orphans"
fi

while read -r name; do
  n=$((n + 1))
  dir=$cases/$name
  play=$tmp/play/$name.play
  if [ ! -f "$dir/trace.jsonl" ] || [ ! -f "$dir/expected.jsonl" ]; then
    echo "not ok $n - doc example $name has a trace: add $dir/trace.jsonl and $dir/expected.jsonl"
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
  if [ "$good" -eq 0 ]; then
    if [ -f "$dir/BUG.md" ]; then
      echo "ok $n - doc example $name: $title # the bug in its BUG.md is fixed: remove BUG.md"
    else
      echo "ok $n - doc example $name: $title"
    fi
  else
    if [ -f "$dir/BUG.md" ]; then
      echo "not ok $n - doc example $name: $title # BUG: $(sed -n '1s/^# *//p' "$dir/BUG.md")"
    else
      echo "not ok $n - doc example $name: $title"
    fi
    sed 's/^/#   /' "$tmp/why" | head -20
  fi
done < "$tmp/names"
exit 0
