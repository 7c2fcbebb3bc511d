"""records.py - reading `huddle run --json` output and matching expected records, shared by
tests/e2e/people.sh and tests/e2e/doc_examples.sh.

An expected line is a subset of a record (nested objects too; times compare as instants;
{"$exact": X} and {"$set": [...]} compare whole values). Steps are matched in order;
{"$unordered": [...]} matches a group in any order, {"$none": P} says no record matches
P up to the next matched step, {"$never": P} that none matches anywhere.
"""
import json, re
from datetime import datetime

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


def read_run_output(out_path, problems):
    """The records and the summary ({"instances": [...]}, or None) of a --json run."""
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
    return records, summary


def walk_steps(steps, records, problems):
    """Appends to problems what in records does not follow the expected steps."""
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
