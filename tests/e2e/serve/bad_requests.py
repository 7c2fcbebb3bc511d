"""tests/e2e/serve/bad_requests.py - sends the table of bad requests (bad_requests.txt)
to a running serve over raw sockets, each followed by a good request, then slowloris
clients and 1,000 idle connections. Prints one line a check: "PASS what" or
"FAIL what: why"; tests/e2e/serve_bad_requests.sh turns them into TAP.

usage: bad_requests.py HOST PORT TABLE SECRET IDLE_TIMEOUT_S"""
import hashlib
import hmac
import json
import socket
import sys
import time

HOST, PORT, TABLE, SECRET, IDLE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].encode(), int(sys.argv[5])


def exchange(raw, timeout=8.0, half_close=False, whole=False):
    """Sends raw bytes; returns the status of the reply (0: closed without one), or with
    whole, the status and the reply's body (read until the server closes)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        s.sendall(raw)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        data = b""
        while (whole or b"\r\n" not in data) and len(data) < 1 << 20:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError, BrokenPipeError):
        data = data if whole and b"\r\n\r\n" in data else b""
    finally:
        s.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
    return (status, data.partition(b"\r\n\r\n")[2]) if whole else status


def error_body(body):
    """Why a refusal's body is not {"error": {"code", "message", "field"}}, or ""."""
    try:
        j = json.loads(body)
    except ValueError:
        return "not JSON: %r" % body[:80]
    e = j.get("error") if isinstance(j, dict) else None
    if not isinstance(e, dict) or set(e) != {"code", "message", "field"}:
        return "not an error object: %r" % body[:80]
    return ""


def body_of(spec):
    if spec == "-":
        return b""
    if spec == "@big":
        return b'{"choice": "' + b"x" * 65537 + b'"}'
    if spec == "@deep":
        return b"[" * 1001 + b"]" * 1001
    if spec == "@badutf8":
        return b'{"choice": "\xff\xfe"}'
    if spec == "@longid":
        return ('{"id": "%s", "type": "refund", "order": "L", "amount": 1, "customer": {"name": "X"}}' % ("x" * 257)).encode()
    return spec.encode()


def request(method, path, headers, body, extra=()):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s:%d" % (HOST, PORT), "Connection: close"]
    length = None
    for h in headers.split():
        if h == "-":
            continue
        if h == "json":
            lines.append("Content-Type: application/json")
        elif h == "text":
            lines.append("Content-Type: text/plain")
        elif h.startswith("tok:"):
            lines.append("Authorization: Bearer %s-token" % h[4:])
        elif h.startswith("auth:"):
            lines.append("Authorization: " + h[5:].replace("_", " "))
        elif h == "sig":
            lines.append("X-Huddle-Signature: sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest())
        elif h.startswith("sig:"):
            lines.append("X-Huddle-Signature: " + h[4:])
        elif h.startswith("idem:"):
            lines.append("Idempotency-Key: " + h[5:])
        elif h.startswith("cl:"):
            length = int(h[3:])
        elif h.startswith("long:"):
            lines.append("X-Long: " + "v" * int(h[5:]))
        elif h.startswith("pad:"):
            lines.extend("X-Pad-%03d: %s" % (i, "v" * 88) for i in range(int(h[4:])))
    lines.append("Content-Length: %d" % (len(body) if length is None else length))
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def good():
    return exchange(request("GET", "/v1/tasks", "tok:pat", b""))


def report(ok, what, why=""):
    print(("PASS %s" % what) if ok else ("FAIL %s: %s" % (what, why)), flush=True)


def table():
    for line in open(TABLE, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        want, what, target, headers, body = [p.strip() for p in line.split(" | ", 4)]
        method, path = target.split(" ", 1)
        if body.startswith("@raw:"):
            raw = body[5:].replace("\\r", "\r").replace("\\n", "\n").encode()
            got, reply = exchange(raw, whole=True)
        else:
            data = body_of(body)
            cut = "cl:" in headers and int(headers.split("cl:")[1].split()[0]) > len(data)
            got, reply = exchange(request(method, path, headers, data), half_close=cut and want == "0", whole=True)
        own = want.endswith("!")   # libmicrohttpd's own refusal: no JSON body
        want = want.rstrip("!")
        why = "got %d" % got if got != int(want) else error_body(reply) if got >= 400 and not own else ""
        report(why == "", "%s: %s" % (want, what), why)   # every refusal has the JSON error body
        after = good()
        report(after == 200, "and then a good request (after: %s)" % what, "got %d" % after)


def slowloris():
    """50 clients send their headers a byte at a time; others are served meanwhile; one
    that stops sending is closed after the idle timeout."""
    slow = []
    for _ in range(50):
        s = socket.create_connection((HOST, PORT), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        slow.append(s)
    served = 0
    for _ in range(4):
        for s in slow:
            s.sendall(b"a")
        served += good() == 200
        time.sleep(0.2)
    report(served == 4, "slowloris: 50 clients trickling headers, good requests still served", "%d of 4" % served)
    start = time.time()
    closed = 0
    for s in slow:
        s.settimeout(IDLE + 5 - min(time.time() - start, IDLE + 4))
        try:
            closed += s.recv(100) is not None
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
    took = time.time() - start
    report(closed == 50 and took < IDLE + 5, "slowloris: silent clients are closed after the idle timeout",
           "%d closed in %.1f s" % (closed, took))


def idle_thousand():
    conns = []
    try:
        for _ in range(1000):
            conns.append(socket.create_connection((HOST, PORT), timeout=10))
    except OSError as e:
        report(False, "1,000 idle connections open", str(e))
    report(len(conns) == 1000, "1,000 idle connections open")
    report(good() == 200, "a good request beside 1,000 idle connections")
    start = time.time()
    closed = 0
    for s in conns[:20]:
        s.settimeout(max(0.1, IDLE + 5 - (time.time() - start)))
        try:
            closed += s.recv(100) == b""
        except (socket.timeout, ConnectionResetError):
            pass
    report(closed == 20, "idle connections are closed after the idle timeout", "%d of 20" % closed)
    for s in conns:
        s.close()
    report(good() == 200, "a good request after them")


table()
slowloris()
idle_thousand()
