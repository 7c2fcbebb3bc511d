#!/bin/sh
# tests/e2e/audit5_store.sh - the fifth audit, by the lens of RUNTIME.md's "Limits and
# damage", "The store" and "bad input gets a clear error and changes nothing"
# (2026-12-06, helper aud5s): each check here failed on the binary before its fix (a few
# are the sanity checks beside them). On real stores with --now. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/store
when="--now 2026-06-15T08:00:00Z"
"$h" deploy tests/crash/ping.play --db "$db" $when > /dev/null || { no "deploy"; exit 1; }

fingerprint() { # every file of the folder $1: name, size and checksum
  (cd "$1" && find . -type f -exec sha256sum {} + | sort; find . | sort)
}

# The exit codes table (RUNTIME.md "Interfaces"): 2 is a usage error. serve's --listen
# takes a numeric address (docs/operations.md); a name or an empty host was found only
# when the HTTP server started, after the store was opened and locked, and was exit 3
# (a store or system error) with no way out. Now it is refused with the options, and the
# store's folder is left as it was (no serve.lock, no idempotency.jsonl).
fingerprint "$db" > "$tmp/before"
for listen in localhost:19250 :19250 999.1.1.1:19250; do
  expect "serve --listen $listen is a usage error" 2 "$h" serve --db "$db" --listen "$listen"
  has "  saying the host is no numeric address, and what to give" \
      "the host is not a numeric IPv4 or IPv6 address: give 127.0.0.1:PORT, 0.0.0.0:PORT or [::1]:PORT"
done
fingerprint "$db" > "$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok "  and the store's folder is as it was"
else diff "$tmp/before" "$tmp/after" > "$tmp/out"; no "  and the store's folder is as it was"; fi

# Event data is JSON (docs/language.md, "Event data is JSON"), and a trace line's, a
# trigger --file line's or an HTTP event's "data" may be any JSON value. huddle trigger
# refused a bare number, string, true or null on standard input as "not JSON" (jansson's
# "'[' or '{' expected"), which it is; it takes them now, as the other doors do.
for data in 5 '"text"' true null; do
  echo "$data" > "$tmp/data.json"
  expect "trigger takes $data as the event's data" 0 "$h" trigger ops.ping --id "d-$data" --db "$db" $when --json < "$tmp/data.json"
  json "  and accepts it" "j['duplicate'] == False"
done
printf '5 6\n' > "$tmp/data.json"
expect "two values are still not one event's data" 1 "$h" trigger ops.ping --id d-two --db "$db" $when < "$tmp/data.json"
has "  saying it is not JSON" "the event data on standard input is not JSON: end of file expected"

# serve's DIR/idempotency.jsonl keeps replies (who answered what, where events went)
# beside the store, whose files are the owner's alone (0600). It was made through
# fopen, so with the umask's mode (0644 under umask 022): readable by anyone who may not
# read the store. Now it is 0600 whatever the umask, as inputs.inflight is.
serve_pid=
at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; :; }
(umask 022; exec "$h" serve --db "$db" --listen 127.0.0.1:0 2> "$tmp/serve.log") &
serve_pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q '"listening"' "$tmp/serve.log"; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$serve_pid"; wait "$serve_pid"; serve_pid=
mode=$(stat -c %a "$db/idempotency.jsonl" 2>&1)
if [ "$mode" = 600 ]; then ok "serve's idempotency.jsonl is 0600 under umask 022"
else echo "mode $mode" > "$tmp/out"; no "serve's idempotency.jsonl is 0600 under umask 022"; fi
mode=$(stat -c %a "$db/inputs.inflight" 2>&1)
if [ "$mode" = 600 ]; then ok "  as inputs.inflight is"; else echo "mode $mode" > "$tmp/out"; no "  as inputs.inflight is"; fi
plan
