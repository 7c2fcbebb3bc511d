#!/usr/bin/env python3
"""tests/lang/run.py - language tests that run: each playbook carries its own trace and
what must come of it, in comments, and is run through the real `huddle run --json`.

    python3 tests/lang/run.py HUDDLE FILE.play...        (prints TAP, one line a file)

A line of the playbook whose text is `# WORD: ...` for one of the words below is a
directive; every other comment is just a comment. Put them where they read best (the
files in tests/lang/run/ keep them at the end, so line numbers in listings stay put).

The trace, in order (each becomes one line of the --events file):
    # at: 2026-06-15T09:00:00Z   the time of the lines below (RFC 3339), or +30s, +15m,
                                 +2h, +1d, +1w after the time before; the first time
                                 is 2026-06-15T09:00:00Z (a Monday) until one is given
    # event: {"source": "shop", "type": "order", "data": {...}}
                                 an event ("id" is e1, e2, ... unless given)
    # answer: {"by": "ana", "choice": "yes"}     also ack:, away:, back: - the trace's
                                 objects as `huddle help run` describes them
    # end:                       moves the clock to the time of the line (timers fire)
The run's setting:
    # mock: crm.customer {"tier": "gold"}    a --mocks entry: connector.operation, then
                                 a reply, a list of replies used in turn, or
                                 {"fail": "message"}
    # directory: people.json     --directory, a path relative to the playbook's folder
What must come of it:
    # expect: done "paid"        the instance (i1) ended with this status and outcome;
    # expect: i2 failed "split"  also failed, stalled, running, cancelled (the outcome,
                                 a JSON string, may be left out)
    # expect: instances 2        how many instances the run made
    # expect: record kind=tagged tags=["a","b"]
                                 a record with these fields (KEY=VALUE, VALUE is JSON or
                                 a bare word for a string; objects match the keys they
                                 name); record expectations are met in order, each after
                                 the one before (other records may come in between)
    # expect: no record kind=asked        no record like this anywhere
    # expect: exit 1             the run's exit status (default 0)
    # expect: error "no task"    text the run's standard error must contain
A known bug:
    # bug: json() keeps insertion order, LANGUAGE.md says code-point order
                                 the file is expected to fail until huddle is fixed: its
                                 failure is reported `not ok ... # TODO bug: ...` (run.sh
                                 counts it as skipped), and once it passes it fails
                                 until the `# bug:` line is removed

A file needs at least one `# expect:` line. Records are compared with tests/e2e/records.py
(times compare as instants).
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from records import match, show, read_run_output, walk_steps  # noqa: E402

DIRECTIVE = re.compile(r"^\s*#\s*(at|event|answer|ack|away|back|end|mock|directory|expect|bug):\s*(.*?)\s*$")
RELATIVE = re.compile(r"^\+(\d+)([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STATUSES = ("done", "failed", "stalled", "running", "cancelled")
START = datetime(2026, 6, 15, 9, 0, tzinfo=timezone.utc)


class Bad(Exception):
    """A directive that cannot be read: the file is wrong, not huddle."""


def parse_time(text, before):
    m = RELATIVE.match(text)
    if m:
        return before + timedelta(**{UNITS[m.group(2)]: int(m.group(1))})
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Bad("'%s' is neither an RFC 3339 time nor +N followed by s, m, h, d or w" % text)


def time_text(t):
    return t.isoformat().replace("+00:00", "Z")


def parse_json(text, what):
    try:
        return json.loads(text)
    except ValueError as e:
        raise Bad("%s is not JSON (%s): %s" % (what, e, text))


def parse_pairs(text):
    """KEY=VALUE KEY=VALUE ... into a pattern; VALUE is JSON, or a bare word for a string."""
    pattern, pos, decoder = {}, 0, json.JSONDecoder()
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return pattern
        m = re.compile(r"([A-Za-z_]\w*)=").match(text, pos)
        if not m:
            raise Bad("expected KEY=VALUE at '%s'" % text[pos:])
        pos = m.end()
        end = pos
        while end < len(text) and not text[end].isspace():
            end += 1
        try:  # JSON, when it ends where a word would (2026-06-15T09:00:00Z is a word)
            value, after = decoder.raw_decode(text, pos)
            if after < len(text) and not text[after].isspace():
                raise ValueError("not a whole value")
        except ValueError:
            value, after = text[pos:end], end
        pattern[m.group(1)] = value
        pos = after


def parse_expect(text, want):
    words = text.split(None, 1)
    rest = words[1] if len(words) > 1 else ""
    if not words:
        raise Bad("an empty expect")
    head = words[0]
    if head == "record" or (head == "no" and rest.startswith("record")):
        pattern = parse_pairs(rest if head == "record" else rest[len("record"):])
        if not pattern:
            raise Bad("a record expectation names no field")
        want["steps"].append(pattern if head == "record" else {"$never": pattern})
    elif head == "instances":
        want["instances"] = int(rest)
    elif head == "exit":
        want["exit"] = int(rest)
    elif head == "error":
        want["errors"].append(parse_json(rest, "the error text"))
    else:
        instance = "i1"
        if re.match(r"^i\d+$", head):
            instance, words = head, rest.split(None, 1)
            head, rest = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
        if head not in STATUSES:
            raise Bad("unknown expectation '%s'" % text)
        outcome = parse_json(rest, "the outcome") if rest else None
        want["ends"].append((instance, head, outcome))
    want["count"] += 1


def read_playbook(path):
    """The trace lines, mocks, directory and expectations the playbook's comments hold."""
    trace, mocks, directory, at, events = [], {}, None, START, 0
    want = {"steps": [], "ends": [], "instances": None, "exit": 0, "errors": [], "count": 0, "bugs": []}
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        m = DIRECTIVE.match(line)
        if not m:
            continue
        word, text = m.groups()
        try:
            if word == "at":
                at = parse_time(text, at)
            elif word == "expect":
                parse_expect(text, want)
            elif word == "bug":
                want["bugs"].append(text)
            elif word == "mock":
                name, _, reply = text.partition(" ")
                mocks[name] = parse_json(reply, "the mock of " + name)
            elif word == "directory":
                directory = os.path.join(os.path.dirname(path), text)
            else:
                value = parse_json(text, "the " + word) if text else True
                if word == "event" and isinstance(value, dict) and "id" not in value:
                    events += 1
                    value["id"] = "e%d" % events
                trace.append({"at": time_text(at), word: value})
        except Bad as e:
            raise Bad("line %d: %s" % (number, e))
    if not want["count"]:
        raise Bad("no `# expect:` line: a playbook that is only checked belongs in tests/lang/warn/")
    return trace, mocks, directory, want


def check_ends(want, summary, problems):
    instances = (summary or {}).get("instances", [])
    if want["instances"] is not None and len(instances) != want["instances"]:
        problems.append("%d instances, expected %d: %s" % (len(instances), want["instances"], show(instances)))
    by_id = {i.get("id"): i for i in instances}
    for instance, status, outcome in want["ends"]:
        got = by_id.get(instance)
        if got is None:
            problems.append("no instance %s in the summary %s" % (instance, show(instances)))
        elif got.get("status") != status or (outcome is not None and got.get("outcome") != outcome):
            problems.append("%s is %s %s, expected %s%s" % (instance, got.get("status"), show(got.get("outcome")),
                                                           status, " " + show(outcome) if outcome is not None else ""))


def run_one(huddle, path, work):
    """The problems of one playbook's run (an empty list: it did what it says)."""
    trace, mocks, directory, want = read_playbook(path)
    events = os.path.join(work, "trace.jsonl")
    with open(events, "w", encoding="utf-8") as f:
        for line in trace:
            f.write(json.dumps(line) + "\n")
    argv = [huddle, "run", path, "--events", events, "--json"]
    if mocks:
        with open(os.path.join(work, "mocks.json"), "w", encoding="utf-8") as f:
            json.dump(mocks, f)
        argv += ["--mocks", os.path.join(work, "mocks.json")]
    if directory:
        argv += ["--directory", directory]
    out, err = os.path.join(work, "out"), os.path.join(work, "err")
    with open(out, "w") as o, open(err, "w") as e:
        rc = subprocess.call(argv, stdout=o, stderr=e)
    problems = []
    err_text = open(err, encoding="utf-8", errors="replace").read()
    if rc != want["exit"]:
        problems.append("huddle run exited %d, expected %d%s" % (rc, want["exit"], (": " + err_text.strip()) if err_text.strip() else ""))
    for text in want["errors"]:
        if text not in err_text:
            problems.append("standard error does not say %s: %s" % (show(text), err_text.strip()))
    records, summary = read_run_output(out, problems)
    walk_steps(want["steps"], records, problems)
    check_ends(want, summary, problems)
    if problems:
        problems.append("the trace was: " + " ".join(json.dumps(line) for line in trace))
    return problems, want["count"], want["bugs"]


def main(argv):
    if len(argv) < 2:
        print("usage: python3 tests/lang/run.py HUDDLE FILE.play...", file=sys.stderr)
        return 2
    huddle, files, failed = argv[0], argv[1:], 0
    for n, path in enumerate(files, 1):
        with tempfile.TemporaryDirectory() as work:
            try:
                problems, count, bugs = run_one(huddle, path, work)
            except Bad as e:
                problems, count, bugs = ["%s: %s" % (path, e)], 0, []
        if problems and bugs:
            print("not ok %d - %s # TODO bug: %s" % (n, path, "; ".join(bugs)))
        elif problems:
            failed += 1
            print("not ok %d - %s" % (n, path))
        elif bugs:
            failed += 1
            print("not ok %d - %s does what it expects now: remove its `# bug:` line" % (n, path))
        else:
            print("ok %d - %s (%d expectations)" % (n, path, count))
        for p in problems:
            print("#   " + p)
    print("1..%d" % len(files))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
