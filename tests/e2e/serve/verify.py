"""tests/e2e/serve/verify.py - after kill -9s, checks what stream.py wrote down against a
serve started again on the same store. Prints "PASS what" / "FAIL what: why" lines.

usage: verify.py HOST PORT SECRET RESULTS
- every event that got 2xx is kept: sent again, it is a duplicate;
- every event that got an error was not applied: sent again, it is new;
- then every event id sent is applied exactly once: one instance each;
- every answer that got 2xx is in its instance's history once; one that got an error
  is not there."""
import hashlib
import hmac
import http.client
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

HOST, PORT, SECRET, RESULTS = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
# Requests go out from 8 threads, each with its own keep-alive connection, so that the
# store's group commit carries them (one at a time, a slow disk would make this minutes).
local = threading.local()


def call(method, path, body=None, headers=None):
    if not hasattr(local, "conn"):
        local.conn = http.client.HTTPConnection(HOST, PORT, timeout=20)
    local.conn.request(method, path, body=body, headers=headers or {})
    r = local.conn.getresponse()
    return r.status, json.loads(r.read() or b"null")


events, answers = {}, []
for line in open(RESULTS):
    parts = line.split()
    if parts and parts[0] == "E":
        events[parts[1]] = max(int(parts[2]), events.get(parts[1], 0))
    elif parts and parts[0] == "A":
        answers.append((parts[1], parts[2], int(parts[3])))



def resend(item):
    eid, status = item
    body = json.dumps({"id": eid, "type": "refund", "order": eid, "amount": 1, "customer": {"name": "C"}}).encode()
    sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    got, reply = call("POST", "/v1/events/shop", body, {"Content-Type": "application/json", "X-Huddle-Signature": sig})
    if got != 200:
        return "%s: resent, got %d" % (eid, got)
    if 200 <= status < 300 and not reply["duplicate"]:
        return "%s got %d but was lost" % (eid, status)
    if status >= 300 and reply["duplicate"]:
        return "%s got %d but was applied" % (eid, status)
    return None


pool = ThreadPoolExecutor(max_workers=8)
bad = [b for b in pool.map(resend, sorted(events.items())) if b]
ok2 = sum(1 for s in events.values() if 200 <= s < 300)
err = sum(1 for s in events.values() if s >= 300)
print(("PASS" if not bad else "FAIL") + " %d events got 2xx, %d an error, %d no reply: each kept or not as its reply said%s"
      % (ok2, err, len(events) - ok2 - err, (": " + "; ".join(bad[:5])) if bad else ""))

status, reply = call("GET", "/v1/instances?playbook=refund", headers={"Authorization": "Bearer ops-token"})
cases = [i["case"] for i in reply["instances"]]
dups = len(cases) - len(set(cases))
print(("PASS" if status == 200 and dups == 0 and set(cases) == set(events) else "FAIL")
      + " every event id applied exactly once (%d instances for %d ids, %d twice)" % (len(cases), len(events), dups))



def recheck(answer):
    task, inst, status = answer
    got, reply = call("GET", "/v1/instances/%s/history" % inst, headers={"Authorization": "Bearer ops-token"})
    n = sum(1 for r in (reply or {}).get("history", []) if r["kind"] == "answered" and r["by"] == "pat")
    if got != 200 or (200 <= status < 300 and n != 1) or (status >= 300 and n != 0) or n > 1:
        return "%s answered %d, %d in its history" % (task, status, n)
    return None


bad = [b for b in pool.map(recheck, answers) if b]
ok2 = sum(1 for a in answers if 200 <= a[2] < 300)
print(("PASS" if not bad else "FAIL") + " %d answers got 2xx of %d: each in its history once, or not at all as its reply said%s"
      % (ok2, len(answers), (": " + "; ".join(bad[:5])) if bad else ""))
