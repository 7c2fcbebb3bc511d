#!/usr/bin/python3
"""tests/peers/http_peer.py - an HTTP peer for the outbox's tests: it records every
request and answers as it is told, on 127.0.0.1 at a free port.

    http_peer.py DIR

writes DIR/port once it listens, appends every request to DIR/requests.jsonl as
{"method", "path", "headers": {lower-case name: value}, "body"} (one line each, in the
order they arrived, flushed at once), and answers from DIR/script.json when it exists:

    {"/path": [ANSWER, ANSWER, ...]}   answers used in turn; the last one again and again
    ANSWER: {"status": 200, "body": "text", "delay_ms": 0, "headers": {"Retry-After": "120"}}

A path with no script gets 200 and {"ok": true, "n": N} (N: how many requests that
path had). Standard library only; it stops on SIGTERM.
"""
import http.server
import json
import os
import signal
import sys
import threading
import time

DIR = sys.argv[1]
LOCK = threading.Lock()
COUNTS = {}


def answer_for(path):
    script = {}
    try:
        with open(os.path.join(DIR, "script.json")) as f:
            script = json.load(f)
    except (OSError, ValueError):
        pass
    with LOCK:
        n = COUNTS.get(path, 0) + 1
        COUNTS[path] = n
    answers = script.get(path)
    if not answers:
        return {"status": 200, "body": json.dumps({"ok": True, "n": n})}
    return answers[min(n, len(answers)) - 1]


class Peer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body,
                  "at": time.time()}
        with LOCK:
            with open(os.path.join(DIR, "requests.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
        a = answer_for(self.path)
        if a.get("delay_ms"):
            time.sleep(a["delay_ms"] / 1000.0)
        data = a.get("body", "").encode("utf-8")
        try:
            self.send_response(a.get("status", 200))
            self.send_header("Content-Type", a.get("type", "application/json"))
            self.send_header("Content-Length", str(len(data)))
            for name, value in a.get("headers", {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (a timeout): nothing to answer

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256  # the dispatcher opens many connections at once


def main():
    server = Server(("127.0.0.1", 0), Peer)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    with open(os.path.join(DIR, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
    server.serve_forever()


main()
