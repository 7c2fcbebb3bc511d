#!/bin/sh
# tests/crash/kill9.sh - concurrent writers killed with SIGKILL at random moments.
#
#   sh tests/crash/kill9.sh HUDDLE STORE_INVARIANTS     (prints TAP lines)
#
# One store (the crash-test playbooks, escalation.play and ping.play). Each round starts
# 3-4 background processes on it - triggers (new ids each round, a few repeating an
# earlier id), answers to open tasks (some refused: fine), ticks - all with the round's
# --now, sleeps a random few milliseconds, kills one or two of them with kill -9, and
# waits for all. Then:
#   - no process hangs (a watchdog kills what runs 5 s without progress);
#   - every process not killed exited as it should: 0 for triggers and ticks, 0 or 1
#     (refused) for answers (a refused tick is counted and reported once, at the end);
#   - store_invariants --dump holds;
#   - every trigger that exited 0 has its id in `seen`, and (store_invariants) its event
#     started or joined at most one instance per playbook, as its seen entry says.
# At the end a tick fires what is due, the invariants hold again, every accepted id is
# still in seen and started or joined exactly one instance, and no event id started or
# joined two instances of one playbook.
#
# Some rounds (about one in seven, at most KILL9_UNLINKS, default 20) also remove the
# store's lock.mdb halfway to the kill, as a temp cleaner would under running processes.
# In those rounds a process may be refused with exit 3 and a sentence about the lock
# file (it met the store while others still held the removed file); nothing else changes:
# every trigger that exited 0 must still be in seen, and the invariants must hold.
#
# KILL9_ROUNDS (default 200), KILL9_SEED (default: from the clock; printed) and
# KILL9_BUDGET (seconds, default 90: rounds stop early, said in a comment, when the next
# one would not fit) change the run. With CI=true or HUDDLE_TEST_FIXED=1 (tests/run.sh,
# so `make test`, sets it) the count is fixed instead: KILL9_ROUNDS rounds (default 60
# then), all of them whatever the time, so every build prints the same totals. Either
# way the script says "# ran N of M rounds".
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'touch "$tmp/stop"; rm -rf "$tmp"' EXIT
ulimit -c 0 2>/dev/null
cp "$1" "$tmp/huddle" && cp "$2" "$tmp/store_invariants" || exit 1
h=$tmp/huddle
inv=$tmp/store_invariants
seed=${KILL9_SEED:-$(date +%s)}
if [ "${CI:-}" = true ] || [ "${HUDDLE_TEST_FIXED:-0}" = 1 ]; then
  rounds=${KILL9_ROUNDS:-60} budget=0 how="a fixed count"
else
  rounds=${KILL9_ROUNDS:-200} budget=${KILL9_BUDGET:-90}
  how="as many as fit the ${budget} s budget"
fi
unlinks=${KILL9_UNLINKS:-20}
start=$(date +%s%3N)
db=$tmp/db
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); echo "not ok $n - $1"; if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/#   /' "$2" | head -30; fi; }
echo "# seed $seed (KILL9_SEED=$seed repeats this run)"

at() { # the --now of minute M after 08:00 on 2026-06-15
  printf '2026-06-15T%02d:%02d:00Z' $((8 + $1 / 60)) $(($1 % 60))
}

if "$h" deploy "$here/escalation.play" "$here/ping.play" --db "$db" --now "$(at 0)" > "$tmp/out" 2>&1; then
  ok "the crash-test playbooks deploy"
else
  no "the crash-test playbooks deploy" "$tmp/out"
  echo "1..$n"
  exit 1
fi

# How long a write command takes here (ms, the slowest of three), so kills land while the
# processes run: the sleep before the kill is none (three rounds in ten) or up to that.
span=0
for i in 1 2 3; do
  t0=$(date +%s%3N)
  echo '{"host":"probe","ok":true}' | "$h" trigger ops.ping --id "probe$i" --db "$db" --now "$(at 0)" > /dev/null 2>&1
  t1=$(($(date +%s%3N) - t0))
  [ "$t1" -gt "$span" ] && span=$t1
done
[ "$span" -ge 2 ] || span=2
echo "# a trigger takes up to $span ms here; kills come 0-$span ms after the launch"

# The schedule, a file a round, one line a process: ROUND SLEEP KILL(0/1) KIND ARGS...
#   alert ID SERVICE LEVEL | ping ID HOST | dup PICK | answer PICK | tick
awk -v seed="$seed" -v rounds="$rounds" -v dir="$tmp" -v unlinks="$unlinks" 'BEGIN {
  srand(seed)
  split("alert alert alert ping answer answer answer tick dup", kinds, " ")
  for (r = 1; r <= rounds; r++) {
    np = 3 + int(rand() * 2)
    sleep_ms = rand() < 0.3 ? 0 : int(rand() * 1000)   # in thousandths of span
    victims = 1 + int(rand() * 2)
    for (p = 1; p <= np; p++) kill[p] = 0
    for (v = 0; v < victims; v++) kill[1 + int(rand() * np)] = 1
    for (p = 1; p <= np; p++) {
      kind = kinds[1 + int(rand() * 9)]
      id = "k" r "." p
      if (kind == "alert")
        args = id " s" int(rand() * 6) " " (rand() < 0.3 ? "critical" : "warn")
      else if (kind == "ping")
        args = id " h" r
      else if (kind == "dup" || kind == "answer")
        args = int(rand() * 1000000)
      else
        args = ""
      print r, sleep_ms, kill[p], kind, args > (dir "/schedule." r)
    }
    close(dir "/schedule." r)
    if (unlinks > 0 && rand() < 0.15) {
      unlinks--
      print "" > (dir "/unlink." r)
      close(dir "/unlink." r)
    }
  }
}' 

# An answer to an open task of the last dump: "TASK CHOICE PERSON COMMENT?", chosen by PICK.
pick_answer() {
  awk -v pick="$1" '
    /^task / && index($0, "\"status\":\"open\"") {
      line = $0; choices = ""; holders = ""
      while (match(line, /"id":"[a-z_]+","label":("[^"]*"|null),"with_comment":(true|false)/)) {
        m = substr(line, RSTART, RLENGTH)
        c = m; sub(/^"id":"/, "", c); sub(/".*/, "", c)
        if (m ~ /"with_comment":true$/) c = c "+"
        choices = choices " " c
        line = substr(line, RSTART + RLENGTH)
      }
      line = $0
      while (match(line, /"holders":\["[^"]+"/)) {
        holders = holders " " substr(line, RSTART + 12, RLENGTH - 13)
        line = substr(line, RSTART + RLENGTH)
      }
      tasks[++count] = $2 "|" choices "|" holders
    }
    END {
      if (!count) exit
      split(tasks[1 + pick % count], t, "|")
      nc = split(t[2], cs, " "); nh = split(t[3], hs, " ")
      if (!nc || !nh) exit
      c = cs[1 + int(pick / 7) % nc]; who = hs[1 + int(pick / 13) % nh]
      comment = sub(/\+$/, "", c) ? "k9" : ""
      print t[1], c, who, comment
    }' "$tmp/dump"
}

# The watchdog: when no round ends for 5 s, it kills that round's processes, saying where
# each one was waiting (with a backtrace when gdb is there).
beat() { date +%s > "$tmp/beat.new" && mv "$tmp/beat.new" "$tmp/beat"; }
beat
: > "$tmp/pids"
(
  while [ -d "$tmp" ] && [ ! -e "$tmp/stop" ]; do
    sleep 1
    if [ $(($(date +%s) - $(cat "$tmp/beat" 2>/dev/null || date +%s))) -gt 5 ]; then
      # Say where each one waits, then kill them: the report is in place before the
      # round's `wait` returns.
      : > "$tmp/hang.w"
      alive=""
      for pid in $(cat "$tmp/pids"); do
        [ -d "/proc/$pid" ] || continue
        alive="$alive $pid"
        { echo "pid $pid ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)) waits in $(cat "/proc/$pid/wchan" 2>/dev/null):"
          command -v gdb > /dev/null && gdb -p "$pid" -batch -ex 'thread apply all bt' 2>&1 | grep -E '^#|^Thread'
        } >> "$tmp/hang.w"
      done
      [ -s "$tmp/hang.w" ] || echo "(the round's processes had ended)" > "$tmp/hang.w"
      mv "$tmp/hang.w" "$tmp/hang"
      date +%s > "$tmp/beat.w" && mv "$tmp/beat.w" "$tmp/beat"
      [ -n "$alive" ] && kill -9 $alive 2>/dev/null
    fi
  done
) &
watchdog=$!

"$inv" --dump --quiet "$db" > "$tmp/dump" 2>&1
: > "$tmp/accepted"
: > "$tmp/issued"
r=1
done_rounds=0
failures=0
unlink_rounds=0
lock_refused=0
while [ "$r" -le "$rounds" ]; do
  elapsed=$(($(date +%s%3N) - start))
  if [ "$budget" -gt 0 ] && [ "$done_rounds" -gt 0 ] && [ $((elapsed + elapsed / done_rounds + 3000)) -gt $((budget * 1000)) ]; then
    echo "# stopped after $done_rounds rounds: the next would pass the ${budget} s budget"
    break
  fi
  now=$(at "$r")
  # First every command's arguments and standard input (no forks between launches) ...
  : > "$tmp/prepared"
  sleep_ms=0
  p=0
  while read -r round ms kill kind a1 a2 a3; do
    p=$((p + 1))
    sleep_ms=$((ms * span / 1000))
    in=/dev/null
    case $kind in
      alert) in="$tmp/data.$r.$p"
             printf '{"service":"%s","level":"%s"}\n' "$a2" "$a3" > "$in"
             echo "$a1 ops.alert $in" >> "$tmp/issued"
             args="trigger ops.alert --id $a1" desc="trigger $a1" ;;
      ping)  in="$tmp/data.$r.$p"
             printf '{"host":"%s","ok":false}\n' "$a2" > "$in"
             echo "$a1 ops.ping $in" >> "$tmp/issued"
             args="trigger ops.ping --id $a1" desc="trigger $a1" ;;
      dup)   count=$(wc -l < "$tmp/issued")
             if [ "$count" -gt "$p" ]; then
               set -- $(sed -n "$((1 + a1 % (count - p + 1)))p" "$tmp/issued")
               in=$3
               args="trigger $2 --id $1" desc="trigger $1 (again)"
             else
               args="tick" desc="tick"
             fi ;;
      answer) set -- $(pick_answer "$a1")
             if [ $# -ge 3 ]; then
               args="answer $1 $2 --by $3${4:+ --comment $4}" desc="answer $1 $2 by $3"
             else
               args="answer t1 page --by ana" desc="answer t1 page by ana"
             fi ;;
      *)     args="tick" desc="tick" ;;
    esac
    echo "$kill $p $in $args --db $db --now $now|$desc" >> "$tmp/prepared"
  done < "$tmp/schedule.$r"
  np=$p
  # ... then launch them all, sleep, kill.
  : > "$tmp/pids"
  : > "$tmp/round"
  while IFS='|' read -r line desc; do
    set -- $line
    kill=$1 p=$2 in=$3
    shift 3
    "$h" "$@" < "$in" > "$tmp/p.$p" 2>&1 &
    echo "$! $kill $p $desc" >> "$tmp/round"
  done < "$tmp/prepared"
  cut -d' ' -f1 "$tmp/round" > "$tmp/pids"
  half=$((sleep_ms / 2))
  [ "$half" -gt 0 ] && sleep "$(printf '%d.%03d' $((half / 1000)) $((half % 1000)))"
  unlinked=""
  if [ -e "$tmp/unlink.$r" ]; then
    rm -f "$db/lock.mdb"
    unlinked=", lock.mdb removed after $half ms"
    unlink_rounds=$((unlink_rounds + 1))
  fi
  rest=$((sleep_ms - half))
  [ "$rest" -gt 0 ] && sleep "$(printf '%d.%03d' $((rest / 1000)) $((rest % 1000)))"
  while read -r pid kill p desc; do
    [ "$kill" = 1 ] && kill -9 "$pid" 2>/dev/null
  done < "$tmp/round"
  : > "$tmp/problems"
  killed=""
  while read -r pid kill p desc; do
    wait "$pid" 2>/dev/null
    rc=$?
    case "$rc:$desc" in
      137:*) killed="$killed, $desc" ;;
      0:trigger*) set -- $desc; echo "$2" >> "$tmp/accepted"; echo "$2" >> "$tmp/accepted.round" ;;
      0:*|1:answer*) ;;
      1:tick) echo "round $r: $(cat "$tmp/p.$p")" >> "$tmp/tick_refused" ;;
      3:*) if [ -n "$unlinked" ] && grep -q "lock file.*was removed" "$tmp/p.$p"; then
             lock_refused=$((lock_refused + 1))
           else
             echo "$desc exited 3:" >> "$tmp/problems"; sed 's/^/  /' "$tmp/p.$p" >> "$tmp/problems"
           fi ;;
      *) echo "$desc exited $rc:" >> "$tmp/problems"; sed 's/^/  /' "$tmp/p.$p" >> "$tmp/problems" ;;
    esac
  done < "$tmp/round"
  beat
  "$inv" --dump --quiet "$db" > "$tmp/dump" 2> "$tmp/inv" &   # the watchdog watches it too
  echo "$!" > "$tmp/pids"
  if ! wait "$!"; then
    { echo "store_invariants:"; cat "$tmp/inv"; } >> "$tmp/problems"
    cp -R "$db" "$tmp/kept.$r" 2>/dev/null
  fi
  if [ -e "$tmp/hang" ]; then
    { echo "a process ran 5 s without ending (killed by the watchdog):"; cat "$tmp/hang"; } >> "$tmp/problems"
    rm -f "$tmp/hang"
  fi
  if [ -e "$tmp/accepted.round" ]; then
    while read -r id; do
      grep -q "^seen ops $id " "$tmp/dump" || echo "trigger $id exited 0 but is not in seen" >> "$tmp/problems"
    done < "$tmp/accepted.round"
    rm -f "$tmp/accepted.round"
  fi
  what="round $r: $np processes, kill -9 after $sleep_ms ms: ${killed#, }$unlinked"
  [ -n "$killed" ] || what="round $r: $np processes, kill -9 after $sleep_ms ms: none killed (all had ended)$unlinked"
  if [ -s "$tmp/problems" ]; then
    failures=$((failures + 1))
    no "$what" "$tmp/problems"
    if [ -d "$tmp/kept.$r" ]; then
      mkdir -p /tmp/huddle-kill9 && cp -R "$tmp/kept.$r" "/tmp/huddle-kill9/round-$r.$$" &&
        echo "#   the store is kept in /tmp/huddle-kill9/round-$r.$$"
    fi
  else
    ok "$what"
  fi
  done_rounds=$r
  r=$((r + 1))
done
touch "$tmp/stop"
wait "$watchdog" 2>/dev/null

# A tick refused (exit 1) is a failure, reported once here with every round it happened
# in: two writers firing the same timer (tick and tick, or tick and an answer) race.
if [ ! -s "$tmp/tick_refused" ]; then
  ok "no tick was refused while other writers ran"
else
  { echo "a tick that meets a timer another writer fired or cleared first must skip it, not"
    echo "refuse (it once did, with an empty message, from STORE_NOT_FOUND):"; cat "$tmp/tick_refused"; } > "$tmp/out"
  no "no tick was refused while other writers ran ($(wc -l < "$tmp/tick_refused") were)" "$tmp/out"
fi

# ---- the end: fire what is due, then the whole store ----
if "$h" tick --db "$db" --now "$(at $((rounds + 600)))" > "$tmp/out" 2>&1; then ok "a last tick fires what is due"; else no "a last tick fires what is due" "$tmp/out"; fi
if "$inv" --dump --quiet "$db" > "$tmp/dump" 2> "$tmp/inv"; then ok "the final store satisfies the invariants"; else no "the final store satisfies the invariants" "$tmp/inv"; fi
sort -u "$tmp/accepted" > "$tmp/accepted.sorted"
grep '^seen ops ' "$tmp/dump" | cut -d' ' -f3 | sort -u > "$tmp/seen.sorted"
comm -23 "$tmp/accepted.sorted" "$tmp/seen.sorted" > "$tmp/lost"
if [ ! -s "$tmp/lost" ]; then
  ok "all $(wc -l < "$tmp/accepted.sorted") accepted trigger ids are in seen"
else
  no "every accepted trigger id is in seen ($(wc -l < "$tmp/lost") lost)" "$tmp/lost"
fi
# started/joined records per (playbook of the instance, event id): at most one.
grep '^instance-record ' "$tmp/dump" | sed 's/^instance-record \([^ ]*\) .*"playbook":"\([^"]*\)".*/\1 \2/' > "$tmp/playbooks"
grep '^history ' "$tmp/dump" | grep -E '"kind":"(started|joined)"' |
  sed 's/.*"event":{"id":"\([^"]*\)".*"instance":"\([^"]*\)".*/\2 \1/' > "$tmp/uses"
awk 'NR == FNR { pb[$1] = $2; next } { n[pb[$1] " " $2]++ } END { for (k in n) if (n[k] > 1) print k, n[k] }' \
  "$tmp/playbooks" "$tmp/uses" > "$tmp/twice"
# Every event here matches exactly one playbook (alerts are never "debug", pings never
# ok), so every accepted id started or joined exactly one instance.
awk 'NR == FNR { n[$2]++; next } { if (n[$1] != 1) print $1 " started or joined " (n[$1] + 0) " instances" }' \
  "$tmp/uses" "$tmp/accepted.sorted" > "$tmp/not_once"
if [ ! -s "$tmp/not_once" ]; then
  ok "every accepted trigger id started or joined exactly one instance"
else
  no "every accepted trigger id started or joined exactly one instance" "$tmp/not_once"
fi
if [ ! -s "$tmp/twice" ] && [ -s "$tmp/uses" ]; then
  ok "no event id started or joined two instances of one playbook ($(wc -l < "$tmp/uses") starts and joins)"
else
  no "no event id started or joined two instances of one playbook" "$tmp/twice"
fi
echo "# lock.mdb was removed in $unlink_rounds rounds; $lock_refused commands were refused for it"
echo "# ran $done_rounds of $rounds rounds ($how), $failures failed, in $((($(date +%s%3N) - start) / 1000)) s, seed $seed"
echo "1..$n"
