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

# RUNTIME.md "Connectors": a repeated event id "changes nothing". A duplicate (and the
# repeat of an applied answer, an ack of seats acked already) committed a step anyway,
# whose only write was the store's engine time: so a duplicate with a later --now
# moved the clock, and a command at a time between was then refused as earlier than it.
# Now such a repeat is not committed: the store is byte for byte as it was.
d=$tmp/dup
cat > "$tmp/two.play" <<'PLAY'
playbook two

on src.alert as a

state start {
  ask 2 of person("ana"), person("ben") "Go?" choices yes, no within 1h
  { yes -> done "yes"  no -> done "no"  timeout -> done "late"  no_quorum -> done "split" }
}
PLAY
"$h" deploy "$tmp/two.play" --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
echo '{}' | "$h" trigger src.alert --id e1 --db "$d" --now 2026-06-15T08:00:00Z > /dev/null
"$h" answer t1 yes --by ana --db "$d" --now 2026-06-15T08:01:00Z > /dev/null
"$h" ack t1 --by ben --db "$d" --now 2026-06-15T08:02:00Z > /dev/null
for repeat in "30 trigger src.alert --id e1" "40 answer t1 yes --by ana" "50 ack t1 --by ben"; do
  set -- $repeat; minute=$1; shift
  mdb_dump -a "$d" > "$tmp/before.dump"
  echo '{}' > "$tmp/data.json"
  expect "a repeat ($*) at a later --now is taken" 0 "$h" "$@" --db "$d" --now "2026-06-15T08:$minute:00Z" < "$tmp/data.json"
  mdb_dump -a "$d" > "$tmp/after.dump"
  if cmp -s "$tmp/before.dump" "$tmp/after.dump"; then ok "  and the store is byte for byte as it was"
  else diff "$tmp/before.dump" "$tmp/after.dump" > "$tmp/out"; no "  and the store is byte for byte as it was"; fi
done
expect "so a command at a time before those repeats is still taken" 0 "$h" answer t1 yes --by ben --db "$d" --now 2026-06-15T08:10:00Z
has "  (and decides the ask)" "done: yes"

# RUNTIME.md "Limits and damage": refused "with a sentence that says what to do". serve
# said only "cannot make DIR/serve.lock: Is a directory" when a folder stood where its
# own files go beside the store.
for name in serve.lock inputs.inflight; do
  s=$tmp/in-the-way-$name
  cp -R "$db" "$s"
  rm -f "$s/$name"; mkdir "$s/$name"
  expect "serve with a folder named $name in the store's folder exits 3" 3 timeout 10 "$h" serve --db "$s" --listen 127.0.0.1:0
  has "  saying what to do" "Is a directory (serve keeps this file in the store's folder: check the folder's owner and permissions, or move away what is in its way"
done

# RUNTIME.md "Limits and damage" / docs/runtime.md: "A damaged store is an error, never
# an answer". A counter missing from meta reads as 0 (a new store has none), so a store
# whose next_instance, next_task or next_outbox was lost (or went back) gave a new one
# (instance, task, outbox entry) the number of one that was there, and overwrote it: an
# instance's record, frame and history chain (audit verify then found records
# "inserted"), or a message not yet sent. Now the new number is checked
# against the table first, and the step is refused as the store's damage.
without_meta() { # without_meta FROM TO KEY: TO is a copy of the store FROM without meta's KEY
  hex=$(printf %s "$3" | od -An -tx1 | tr -d ' \n')
  mkdir "$2" && mdb_dump -a "$1" |
    awk -v k=" $hex" '/^database=/ { db = substr($0, 10) } skip { skip = 0; next }
                      db == "meta" && $0 == k { skip = 1; next } { print }' | mdb_load -f /dev/stdin "$2" 2> /dev/null
}
for counter in next_instance next_task next_outbox; do
  without_meta "$d" "$tmp/no-$counter" "$counter"
  verify_before=$("$h" audit verify --db "$tmp/no-$counter" 2>&1)
  echo '{}' > "$tmp/data.json"
  expect "without meta's $counter, a new event is refused" 3 "$h" trigger src.alert --id e2 --db "$tmp/no-$counter" --now 2026-06-15T09:00:00Z < "$tmp/data.json"
  has "  as the store's damage, naming the counter" "the store is damaged: meta's $counter gives"
  has "  and what to do" "restore the store from a backup made with mdb_copy"
  "$h" audit verify --db "$tmp/no-$counter" > "$tmp/out" 2>&1
  if [ "$(cat "$tmp/out")" = "$verify_before" ]; then ok "  and overwrote nothing: audit verify says what it said"; else no "  and overwrote nothing: audit verify says what it said"; fi
done
plan
