"""tests/e2e/serve/stream.py - several clients stream events (and answers to the asks
those events start) at a serve until it goes away; every reply is written down.

usage: stream.py HOST PORT SECRET PREFIX CLIENTS SECONDS > results
Each line: "E ID STATUS" for an event, "A TASK INSTANCE STATUS" for an answer; STATUS
0 when no reply came (the connection failed or closed: the outcome is unknown)."""
import hashlib
import hmac
import http.client
import json
import sys
import threading
import time

HOST, PORT, SECRET, PREFIX = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
CLIENTS, SECONDS = int(sys.argv[5]), float(sys.argv[6])
lock = threading.Lock()


def post(path, body, headers):
    try:
        c = http.client.HTTPConnection(HOST, PORT, timeout=10)
        c.request("POST", path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data
    except (OSError, http.client.HTTPException):
        return 0, b""


def client(n):
    end = time.time() + SECONDS
    k = 0
    failures = 0
    while time.time() < end and failures < 3:
        k += 1
        eid = "%s-%d-%d" % (PREFIX, n, k)
        body = json.dumps({"id": eid, "type": "refund", "order": eid, "amount": k, "customer": {"name": "C"}}).encode()
        sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        status, data = post("/v1/events/shop", body, {"Content-Type": "application/json", "X-Huddle-Signature": sig})
        with lock:
            print("E %s %d" % (eid, status), flush=True)
        failures = failures + 1 if status == 0 else 0
        if status == 200 and k % 2 == 0:
            went = json.loads(data).get("went") or []
            if went and went[0].get("instance"):
                inst = went[0]["instance"]
                task = "t" + inst[1:]
                status, _ = post("/v1/tasks/%s/answer" % task, b'{"choice": "yes"}',
                                 {"Content-Type": "application/json", "Authorization": "Bearer pat-token"})
                with lock:
                    print("A %s %s %d" % (task, inst, status), flush=True)


threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
