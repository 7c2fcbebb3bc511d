# tests/peers/peers.sh - starts the outbox tests' peers (sourced after tests/e2e/lib.sh):
#
#   start_peer http|smtp DIR    starts tests/peers/{http,smtp}_peer.py on 127.0.0.1 at a
#                               free port, waits (at most 15 s) until DIR/port says where,
#                               and sets peer_port to it; returns 1 when it never came up.
#                               Call it directly, never in $(...): the peer's process id
#                               must reach this shell's peer_pids for stop_peers
#   peer_or_bail http|smtp DIR  start_peer, or "Bail out!" and exit 1 when the peer never
#                               came up; the same rule (call it directly)
#   stop_peers                  kills every peer started: sourcing this file makes
#                               at_exit call it (a script with more to undo defines its
#                               own at_exit after sourcing, and calls stop_peers there)
#
# The peers run under Debian's /usr/bin/python3 (python3-aiosmtpd is one of its packages).
# Proxies in the environment are unset so libcurl talks to 127.0.0.1 directly.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
PEER_PY=/usr/bin/python3
peer_pids=""

start_peer() { # start_peer KIND DIR
  mkdir -p "$2"
  rm -f "$2/port"
  "$PEER_PY" "$TOP/tests/peers/$1_peer.py" "$2" > "$2/log" 2>&1 &
  peer_pids="$peer_pids $!"
  i=0
  while [ ! -s "$2/port" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$2/port" ] || return 1
  peer_port=$(cat "$2/port")
}

stop_peers() {
  for p in $peer_pids; do kill "$p" 2>/dev/null; done
  for p in $peer_pids; do wait "$p" 2>/dev/null; done
  peer_pids=""
}

peer_or_bail() { # peer_or_bail KIND DIR
  start_peer "$1" "$2" && return 0
  echo "Bail out! the $(echo "$1" | tr a-z A-Z) peer did not start"
  exit 1
}

at_exit() { stop_peers; }
