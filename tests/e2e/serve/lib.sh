# tests/e2e/serve/lib.sh - what the serve suites share (sourced after tests/e2e/lib.sh):
# a store with a playbook, people, connectors and tokens; starting and stopping serve on
# a free port of 127.0.0.1; HTTP calls through curl with bounded timeouts; signatures.
#
#   serve_store DIR          deploys tests/e2e/serve/*.play with people, connectors
#   serve_start DIR [ARGS]   starts serve on a free port (log in $tmp/serve.log), sets $base
#   serve_stop               SIGTERM, waits (10 s at most), sets $serve_rc
#   serve_log_ok DESC        every log line is JSON, and none is a sanitizer's report
#   call DESC STATUS METHOD PATH [CURL ARGS]   the reply's body into $tmp/out
#   wait_done INSTANCE       polls GET /v1/instances/INSTANCE until it is done (5 s)
#   sign BODY                prints sha256=<hex> under $SHOP_SECRET
#   post_event BODY [CURL ARGS]  signed POST /v1/events/shop (status in $status)

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
export SHOP_SECRET=s3cret-shop
serve_pid=

serve_tokens() { # the tokens file: pat and sam (people), bot (on behalf), ops (operator)
  for who in pat sam bot ops feeder; do
    eval "${who}_hash=\$(printf %s $who-token | sha256sum | cut -c1-64)"
  done
  cat > "$tmp/tokens.json" <<JSON
{"pat": {"sha256": "$pat_hash", "person": "pat"},
 "sam": {"sha256": "$sam_hash", "person": "sam"},
 "bot": {"sha256": "$bot_hash", "on_behalf": true, "may": ["answer"]},
 "ops": {"sha256": "$ops_hash", "person": "op", "may": ["read", "answer", "operate"]},
 "feeder": {"sha256": "$feeder_hash", "on_behalf": true, "may": ["events"]}}
JSON
}

serve_store() { # serve_store DIR
  serve_tokens
  printf '{"people": {"pat": {"email": "pat@x"}, "sam": {"email": "sam@x"}, "op": {"email": "op@x"}, "boss": {"email": "b@x"}}}\n' > "$tmp/people.json"
  cp "$TOP/tests/e2e/serve/connectors.json" "$tmp/connectors.json"
  "$h" deploy "$TOP/tests/e2e/serve/refund.play" "$TOP/tests/e2e/serve/quick.play" --db "$1" --connectors "$tmp/connectors.json" > "$tmp/deploy.out" 2>&1 &&
    "$h" directory load "$tmp/people.json" --db "$1" >> "$tmp/deploy.out" 2>&1
}

serve_start() { # serve_start DIR [MORE ARGS]
  db_dir=$1; shift
  : > "$tmp/serve.log"
  "$h" serve --db "$db_dir" --listen 127.0.0.1:0 --tokens "$tmp/tokens.json" "$@" 2> "$tmp/serve.log" &
  serve_pid=$!
  base=
  i=0
  while [ $i -lt 100 ] && [ -z "$base" ]; do
    base=$(sed -n 's/.*"event":"listening","address":"\([0-9.:]*\)".*/http:\/\/\1/p' "$tmp/serve.log")
    [ -n "$base" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1; i=$((i + 1))
  done
  [ -n "$base" ]
}

serve_stop() { # SIGTERM; $serve_rc is its exit status (124: it did not stop in 10 s)
  serve_rc=124
  [ -n "$serve_pid" ] || return
  kill -TERM "$serve_pid" 2>/dev/null
  i=0
  while [ $i -lt 100 ] && kill -0 "$serve_pid" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
  if kill -0 "$serve_pid" 2>/dev/null; then kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null
  else wait "$serve_pid"; serve_rc=$?; fi
  serve_pid=
}

at_exit() { [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null; [ -n "${extra_pids:-}" ] && kill -9 $extra_pids 2>/dev/null; :; }

serve_log_ok() { # every line of the log is one JSON object, and no sanitizer spoke
  if "$PY" -c '
import json, sys
for n, line in enumerate(open(sys.argv[1]), 1):
    j = json.loads(line)
    assert isinstance(j, dict) and "event" in j and "at" in j, n
' "$tmp/serve.log" 2> "$tmp/logcheck" && ! grep -q "Sanitizer\|runtime error:" "$tmp/serve.log"; then
    ok "$1"
  else
    no "$1" "$tmp/serve.log"
  fi
}

call() { # call DESC WANT_STATUS METHOD PATH [CURL ARGS...]
  desc=$1 want=$2 method=$3 path=$4; shift 4
  status=$(curl -s -o "$tmp/out" -w '%{http_code}' --max-time 10 -X "$method" "$@" "$base$path")
  if [ "$status" = "$want" ]; then ok "$desc"; else printf '\n# status %s, wanted %s\n' "$status" "$want" >> "$tmp/out"; no "$desc"; fi
}

wait_done() { # wait_done INSTANCE: polls it (5 s at most) until it is done; the last reply in $tmp/out
  i=0
  while [ $i -lt 50 ]; do
    curl -s --max-time 5 -H 'Authorization: Bearer ops-token' "$base/v1/instances/$1" > "$tmp/out"
    grep -q '"status":"done"' "$tmp/out" && return 0
    sleep 0.1; i=$((i + 1))
  done
}

sign() { # sign BODY: sha256=<hex> under $SHOP_SECRET
  "$PY" -c 'import hmac, hashlib, os, sys; print("sha256=" + hmac.new(os.environ["SHOP_SECRET"].encode(), sys.argv[1].encode(), hashlib.sha256).hexdigest())' "$1"
}

json_post() { # curl arguments for a JSON POST with a token: json_post TOKEN
  echo "-H Content-Type:application/json -H Authorization:Bearer\\ $1"
}
