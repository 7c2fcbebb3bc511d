#!/usr/bin/env python3
"""verify_export.py - checks an export of Huddle's decision record without Huddle.

    python3 tools/verify_export.py EXPORT.jsonl [--head HASH]

EXPORT.jsonl is what `huddle audit export --format jsonl` writes (docs/audit.md, "The
export"): a header line, one line a history record in commit order, and a last line
with the head the store keeps. This script recomputes, with Python's standard library
alone:

  - each record's link: SHA-256(prev || canonical JSON of the record), where the
    canonical form is RFC 8785 with integers written exactly (canonical() below);
  - that each record follows the one before it in its instance (seq n after n-1, prev
    equal to that record's hash);
  - the store-wide chain: H = SHA-256(H_before || "<instance> <seq>\\n" || hash), in
    commit order from the header's store_prev, against each line's "chain" and the
    last line's head and count;
  - that each instance has as many records as the last line says it has;
  - with --head, that the head given (kept somewhere else) is in the chain.

A line with "entry": [FIRST, LAST] is a record that the store keeps in one entry with
the records FIRST to LAST of its instance (one step's records, since 2026-12-05 early
morning), whose stored hash is the last's alone: the export worked the others out from
the records, so a change to any of them shows as the last's hash not matching, and is
named as the entry ("i2 seq 14 to 20: changed"); the store's head cannot be checked
past it then, and is not named again.

It prints one line per finding, "i2 seq 14: changed (...)" or "store: head (...)", the
same names `huddle audit verify` uses, then "verified: ..." or "TAMPERED: ...", and with
a --head the chain holds, "the head given covers the first N records (M newer)", as
huddle does. Exit 0 clean, 1 tampered, 2 usage or an export it cannot read.
"""
import hashlib
import json
import sys

ZERO = "0" * 64


def canon_string(s):
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif c < 0x20:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(c, "\\u%04x" % c))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def canon_real(v):
    """ECMAScript's Number.prototype.toString for a finite double (RFC 8785 3.2.2.3)."""
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError("a number that is not finite")
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    r = repr(abs(v))  # the shortest digits that read back as v
    mantissa, _, exp = r.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    lead_zeros = len(whole + frac) - len((whole + frac).lstrip("0"))
    n = len(whole) + int(exp or 0) - lead_zeros  # v = 0.digits x 10^n
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + text


def canonical(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)  # exactly, however large
    if isinstance(value, float):
        return canon_real(value)
    if isinstance(value, str):
        return canon_string(value)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
        return "{" + ",".join(canon_string(k) + ":" + canonical(value[k]) for k in keys) + "}"
    raise ValueError("not JSON: %r" % (value,))


def sha(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()


def span(instance, first, last):
    """Where a finding is: one record, or records first to last."""
    return "%s seq %d" % (instance, first) if last <= first else "%s seq %d to %d" % (instance, first, last)


def misplaced(row):
    """What is kept at a record's place when it is not the record of that place, else None."""
    record = row["record"]
    if record.get("instance") == row["instance"] and record.get("seq") == row["seq"]:
        return None
    return "the record kept at seq %d is record %s of %s" % (row["seq"], record.get("seq"),
                                                             record.get("instance") or "no instance")


def walk_finding(row, counts):
    """What `huddle audit verify` says of a record when it walks its instance's records in
    seq order, before the store's chain: past the instance's last record, or kept at a seq
    not its own (reordered); None for a record in its place."""
    if row["instance"] not in counts:
        return "there is no such instance"
    if row["seq"] > counts[row["instance"]]:
        return "past the instance's last record (%d)" % counts[row["instance"]]
    return misplaced(row)


def copies_of(rows, counts):
    """The records that take the place in the store's chain of another: for each place
    taken more than once, the record chained there is the first in its place (the first
    of all when none is), and every other is a copy, named inserted with the place it
    takes, on one line with what its place in its instance says (as huddle's
    place_taken_twice does: keep in sync). Returns {index of the row: why}."""
    by_order = {}
    for i, row in enumerate(rows):
        by_order.setdefault(row["order"], []).append(i)
    copies = {}
    for group in by_order.values():
        if len(group) < 2:
            continue
        chained = next((i for i in group if walk_finding(rows[i], counts) is None), group[0])
        for i in group:
            if i != chained:
                named = walk_finding(rows[i], counts)
                copies[i] = (named + "; " if named else "") + "it takes place %d of the store's chain, as %s seq %d does" % (
                    rows[i]["order"], rows[chained]["instance"], rows[chained]["seq"])
    return copies


def record_check(row, last, since, say):
    """The record against the one before it in its instance (last: instance -> [highest
    seq seen, its hash, whether that hash can be trusted as prev]): True when it is in an
    entry found changed, whose links before its last are not known (nor the head past it)."""
    where = "%s seq %d" % (row["instance"], row["seq"])
    entry = row.get("entry")
    record = row["record"]
    seen = last.get(row["instance"])
    head_unknown = False
    if misplaced(row):
        say(where, "reordered", misplaced(row))
        trusted = False
    elif seen and row["seq"] <= seen[0]:
        trusted = False  # after a reordered record: its neighbours were named
    elif seen and row["seq"] > seen[0] + 1:
        say(span(row["instance"], seen[0] + 1, row["seq"] - 1), "removed",
            "the history goes from %d to %d" % (seen[0], row["seq"]))
        trusted = False
    elif not seen and row["seq"] > 1 and since is None:
        say(span(row["instance"], 1, row["seq"] - 1), "removed", "the history starts at %d" % row["seq"])
        trusted = False
    else:
        trusted = True
        if seen and not seen[2]:
            # the record before it was named: its link cannot be checked, nor, inside an
            # entry, the links worked out from it, up to the entry's last (stored)
            trusted = not (entry and row["seq"] < entry[1])
        elif (seen and row["prev"] != seen[1]) or (not seen and row["seq"] == 1 and row["prev"] != ZERO):
            say(where, "changed", "its prev is not the hash of the record before it")
        elif sha(bytes.fromhex(row["prev"]), canonical(record).encode("utf-8")) != row["hash"]:
            if entry and entry[0] < row["seq"]:
                # only the entry's last hash is stored: the export worked out the others
                # from the records, so a change anywhere in it shows here
                say(span(row["instance"], entry[0], row["seq"]), "changed",
                    "the content of a record of the entry of seqs %d to %d does not match the entry's hash"
                    % (entry[0], row["seq"]))
                head_unknown = True
            else:
                say(where, "changed", "its content does not match its hash")
    top = max(row["seq"], seen[0]) if seen else row["seq"]
    last[row["instance"]] = [top, row["hash"], trusted]
    return head_unknown


def verify(lines, head_given):
    problems = []

    def say(where, kind, why):
        problems.append("%s: %s (%s)" % (where, kind, why))

    header, rows, trailer = lines[0], lines[1:-1], lines[-1]
    if header.get("export") != "huddle audit" or "head" not in trailer:
        raise ValueError("not a huddle audit export (no header or no head line)")
    chain = header["store_prev"]
    heads = {chain: header["from"] - 1}  # each chain link -> the store's records it covers
    last = {}  # instance -> [highest seq seen, its hash, whether that hash can be trusted as prev]
    head_unknown = False  # an entry of several records changed: the head cannot be worked out past it
    expected_order = header["from"]
    counts = trailer.get("instances", {})
    copies = copies_of(rows, counts)
    for n, row in enumerate(rows):
        where = "%s seq %d" % (row["instance"], row["seq"])
        if n in copies:
            say(where, "inserted", copies[n])  # not of its instance's history: the others are checked without it
        else:
            if row["order"] != expected_order:
                say("store", "removed", "the chain goes from place %d to %d" % (expected_order - 1, row["order"]))
            expected_order = row["order"] + 1
            past = row["instance"] not in counts or row["seq"] > counts[row["instance"]]
            if past:
                say(where, "inserted", walk_finding(row, counts))
            elif record_check(row, last, header.get("since"), say):
                head_unknown = True
        chain = sha(bytes.fromhex(chain), ("%s %d\n" % (row["instance"], row["seq"])).encode(), bytes.fromhex(row["hash"]))
        heads.setdefault(chain, row["order"])
        if row["chain"] != chain:
            say(where, "changed", "the store's chain does not pass through it as the export says")
    for instance, records in sorted(trailer.get("instances", {}).items()):
        seen = last.get(instance)
        if header.get("since") is None and (seen[0] if seen else 0) < records:
            first = seen[0] + 1 if seen else 1
            say(span(instance, first, records), "removed", "the instance has %d records and its history ends at %d"
                % (records, first - 1))
    count = rows[-1]["order"] if rows else header["from"] - 1
    if head_unknown:
        pass  # named with the entry
    elif trailer["head"] != chain or trailer["count"] != len(rows) + header["from"] - 1:
        say("store", "head", "the store's head (meta audit_head, %d records) is not the head of its records (%d): "
            "the head was edited, or records were moved, added or removed" % (trailer["count"], len(rows) + header["from"] - 1))
    if head_given and head_given.lower() not in heads and not head_unknown:
        say("store", "cut", "the head given is not in this export's chain: records it covered were cut off or rewritten"
            + ("" if header.get("since") is None else ", or it is older than this export's first record"
               " (export --since an earlier time, or the whole chain, to check it)"))
    covers = heads.get(head_given.lower()) if head_given and not head_unknown else None
    return problems, chain, len(rows), len(trailer.get("instances", {})), covers, count


def main(argv):
    args = argv[1:]
    head = None
    if "--head" in args:
        i = args.index("--head")
        if i + 1 >= len(args):
            print("usage: verify_export.py EXPORT.jsonl [--head HASH]", file=sys.stderr)
            return 2
        head = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: verify_export.py EXPORT.jsonl [--head HASH]", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as f:
            lines = [json.loads(l) for l in f if l.strip()]
        if len(lines) < 2:
            raise ValueError("too short: no header or no head line")
        problems, chain, records, instances, covers, count = verify(lines, head)
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("verify_export.py: %s: %s" % (args[0], e), file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    print("%s: %d record%s of %d instance%s, head %s" % ("TAMPERED" if problems else "verified", records,
          "" if records == 1 else "s", instances, "" if instances == 1 else "s", chain))
    if covers is not None:  # as huddle audit verify --head says it
        print("the head given covers the first %d records (%d newer)" % (covers, count - covers))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
