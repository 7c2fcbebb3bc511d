#!/usr/bin/env python3
"""tests/lang/run.py - language tests that run: each playbook carries its own trace and
what must come of it, in comments, and is run through the real `huddle run --json`.

    python3 tests/lang/run.py HUDDLE FILE.play...   (prints TAP: a line a file, and one
                                                     for each expectation of a known bug)

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
    # expect: 2 records kind=notified person=ana      exactly so many such records
A known bug (huddle breaks the contract; the test says what the contract wants):
    # bug: notify tells a person once per WHO; LANGUAGE.md says once per statement
                                 right above an `# expect:` line: that expectation is
                                 checked on its own and reported as its own TAP line,
                                 `not ok N - FILE:LINE # TODO bug: ...` while it fails
                                 (tests/run.sh counts it as skipped), a failure once it
                                 passes, until the `# bug:` line is removed. Anywhere
                                 else: the same for the whole file.

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


class Expect:
    """One `# expect:` line: what kind of check, its arguments, its line and known bug."""

    def __init__(self, kind, line, *args):
        self.kind, self.line, self.args, self.bug = kind, line, args, None


def parse_expect(text, line):
    words = text.split(None, 1)
    if not words:
        raise Bad("an empty expect")
    head, rest = words[0], words[1] if len(words) > 1 else ""
    count = None
    if re.match(r"^\d+$", head) and rest.split(None, 1)[0] in ("record", "records"):
        count, rest = int(head), rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
        head = "record"
        return Expect("count", line, count, parse_pattern(rest))
    if head == "record":
        return Expect("step", line, parse_pattern(rest))
    if head == "no" and rest.startswith("record"):
        return Expect("step", line, {"$never": parse_pattern(rest[len("record"):])})
    if head in ("instances", "exit"):
        return Expect(head, line, int(rest))
    if head == "error":
        return Expect("error", line, parse_json(rest, "the error text"))
    instance = "i1"
    if re.match(r"^i\d+$", head):
        instance, words = head, rest.split(None, 1)
        head, rest = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
    if head not in STATUSES:
        raise Bad("unknown expectation '%s'" % text)
    return Expect("end", line, instance, head, parse_json(rest, "the outcome") if rest else None)


def parse_pattern(text):
    pattern = parse_pairs(text)
    if not pattern:
        raise Bad("a record expectation names no field")
    return pattern


def read_playbook(path):
    """The trace lines, mocks, directory, expectations and file-wide known bugs that the
    playbook's comments hold."""
    trace, mocks, directory, at, events = [], {}, None, START, 0
    expects, file_bugs, bug = [], [], []
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        m = DIRECTIVE.match(line)
        if not m:
            continue
        word, text = m.groups()
        if word == "bug":
            bug.append(text)
            continue
        try:
            if word == "expect":
                expects.append(parse_expect(text, number))
                expects[-1].bug = "; ".join(bug) if bug else None
                bug = []
                continue
            file_bugs += bug
            bug = []
            if word == "at":
                at = parse_time(text, at)
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
    file_bugs += bug
    if not expects:
        raise Bad("no `# expect:` line: a playbook that is only checked belongs in tests/lang/warn/")
    return trace, mocks, directory, expects, file_bugs


def run_huddle(huddle, path, work, trace, mocks, directory):
    """Runs the playbook on the trace: (exit status, records, summary, stderr, problems)."""
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
    records, summary = read_run_output(out, problems)
    return rc, records, summary, open(err, encoding="utf-8", errors="replace").read(), problems


def check(expects, run):
    """What in the run does not meet `expects` (the record steps in their order)."""
    rc, records, summary, err_text, problems = run
    problems = list(problems)
    instances = (summary or {}).get("instances", [])
    by_id = {i.get("id"): i for i in instances}
    for e in expects:
        if e.kind == "exit" and rc != e.args[0]:
            problems.append("huddle run exited %d, expected %d%s" % (rc, e.args[0], (": " + err_text.strip()) if err_text.strip() else ""))
        elif e.kind == "error" and e.args[0] not in err_text:
            problems.append("standard error does not say %s: %s" % (show(e.args[0]), err_text.strip()))
        elif e.kind == "instances" and len(instances) != e.args[0]:
            problems.append("%d instances, expected %d: %s" % (len(instances), e.args[0], show(instances)))
        elif e.kind == "count":
            got = [r for r in records if match(e.args[1], r)]
            if len(got) != e.args[0]:
                problems.append("%d records match %s, expected %d: %s" % (len(got), show(e.args[1]), e.args[0], show(got)))
        elif e.kind == "end":
            instance, status, outcome = e.args
            got = by_id.get(instance)
            if got is None:
                problems.append("no instance %s in the summary %s" % (instance, show(instances)))
            elif got.get("status") != status or (outcome is not None and got.get("outcome") != outcome):
                problems.append("%s is %s %s, expected %s%s" % (instance, got.get("status"), show(got.get("outcome")),
                                                               status, " " + show(outcome) if outcome is not None else ""))
    walk_steps([e.args[0] for e in expects if e.kind == "step"], records, problems)
    return problems


def run_one(huddle, path, work):
    """TAP results for one playbook: [(ok, description, directive, problems)], the first
    for the file's expectations, then one per expectation marked with a known bug."""
    trace, mocks, directory, expects, file_bugs = read_playbook(path)
    run = run_huddle(huddle, path, work, trace, mocks, directory)
    main = [e for e in expects if not e.bug]
    if not any(e.kind == "exit" for e in expects):
        main.append(Expect("exit", 0, 0))
    problems = check(main, run)
    if problems:
        problems.append("the trace was: " + " ".join(json.dumps(line) for line in trace))
    results = []
    what = "%s (%d expectations)" % (path, len([e for e in expects if not e.bug]))
    if file_bugs and problems:
        results.append((False, path, "# TODO bug: " + "; ".join(file_bugs), problems))
    elif file_bugs:
        results.append((False, path + " does what it expects now: remove its `# bug:` line", "", []))
    else:
        results.append((not problems, what, "", problems))
    for e in expects:
        if e.bug:
            failing = check([e], run)
            where = "%s:%d" % (path, e.line)
            if failing:
                results.append((False, where, "# TODO bug: " + e.bug, failing))
            else:
                results.append((False, where + " is met now: remove the `# bug:` line above it", "", []))
    return results


def main(argv):
    if len(argv) < 2:
        print("usage: python3 tests/lang/run.py HUDDLE FILE.play...", file=sys.stderr)
        return 2
    huddle, failed, n = argv[0], 0, 0
    for path in argv[1:]:
        with tempfile.TemporaryDirectory() as work:
            try:
                results = run_one(huddle, path, work)
            except Bad as e:
                results = [(False, path, "", ["%s: %s" % (path, e)])]
        for ok, what, directive, problems in results:
            n += 1
            failed += not ok and not directive
            print("%s %d - %s%s" % ("ok" if ok else "not ok", n, what, " " + directive if directive else ""))
            for p in problems:
                print("#   " + p)
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
