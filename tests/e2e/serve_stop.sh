#!/bin/sh
# tests/e2e/serve_stop.sh - SIGTERM while requests are in flight (docs/operations.md,
# "Stopping"): serve answers every request it took (their group commit runs), refuses
# later ones with 503 or never reads them, and exits 0. An event that was committed
# must have had its 200 sent: serve once closed the connections of replies it had
# given but libmicrohttpd had not yet written, so a client saw the connection end with
# no answer for an event the store kept. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/serve/lib.sh"
db=$tmp/store
serve_store "$db" || { no "the store is made" "$tmp/deploy.out"; plan; exit 0; }

# burst ROUND: 60 signed events at once, SIGTERM 10 ms after they start; prints
# "200:N 503:N lost:N" (lost: no answer at all) and the ids answered 200 into $tmp/ok.ROUND
burst() {
  "$PY" - "$base" "$serve_pid" "$1" "$tmp/ok.$1" <<'PY'
import hashlib, hmac, http.client, json, os, signal, sys, threading, time
host, port = sys.argv[1].replace("http://", "").split(":")
pid, rnd, okfile = int(sys.argv[2]), sys.argv[3], sys.argv[4]
got = {}
def post(i):
    body = json.dumps({"id": "r%s-%d" % (rnd, i), "type": "quick", "what": "x"})
    sig = "sha256=" + hmac.new(os.environ["SHOP_SECRET"].encode(), body.encode(), hashlib.sha256).hexdigest()
    try:
        c = http.client.HTTPConnection(host, int(port), timeout=20)
        c.request("POST", "/v1/events/shop", body, {"Content-Type": "application/json", "X-Huddle-Signature": sig})
        r = c.getresponse(); r.read(); got[i] = r.status
    except OSError:
        got[i] = "lost"
threads = [threading.Thread(target=post, args=(i,)) for i in range(60)]
for t in threads: t.start()
time.sleep(0.01)
os.kill(pid, signal.SIGTERM)
for t in threads: t.join()
open(okfile, "w").write("".join("r%s-%d\n" % (rnd, i) for i, s in got.items() if s == 200))
print(" ".join("%s:%d" % (k, sum(1 for s in got.values() if s == k)) for k in (200, 503, "lost")))
PY
}

for round in 1 2 3; do
  serve_start "$db" || { no "round $round: serve starts" "$tmp/serve.log"; continue; }
  counts=$(burst $round)
  i=0
  while [ $i -lt 100 ] && kill -0 "$serve_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$serve_pid" 2>/dev/null; then kill -9 "$serve_pid"; wait "$serve_pid"; rc=124
  else wait "$serve_pid"; rc=$?; fi
  serve_pid=
  [ "$rc" -eq 0 ] && ok "round $round: SIGTERM with 60 events in flight, serve exits 0 ($counts)" ||
    no "round $round: SIGTERM with 60 events in flight, serve exits 0 (exit $rc)" "$tmp/serve.log"
  # every event the store kept got its 200 (each started an instance), and every 200 is kept
  total=$("$h" instances --db "$db" --playbook quick 2>&1 | grep -c ' quick ')
  kept=$((total - ${before:-0})) answered=$(wc -l < "$tmp/ok.$round") before=$total
  [ "$kept" -eq "$answered" ] && ok "round $round: each of the $kept events the store kept was answered 200" ||
    no "round $round: the store kept $kept events, $answered were answered 200" ""
done
plan
