#!/bin/sh
# tests/e2e/long_keys.sh - case keys, person ids and playbook names longer than LMDB's
# 511-byte key limit work like short ones: the store keeps such keys under a prefix and
# their SHA-256 (docs/runtime.md, "Limits and damage"). Before, such an event could
# never be accepted ("the store failed (an I/O error ...)", exit 3). TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
db=$tmp/db
now=2026-03-02T09:00:00Z
long() { head -c "$1" /dev/zero | tr '\0' "$2"; } # N copies of a letter

# A playbook name of 600 letters; the case key and the person come from the event.
name=p$(long 599 l)
cat > "$tmp/long.play" <<PLAY
playbook $name

on ops.alert as alert
  case alert.service

state decide {
  ask person(alert.owner) "Take {alert.level}?"
      choices yes, no
      within 2h
  {
    yes     -> done "taken"
    no      -> fail "declined"
    timeout -> done "by default"
  }
}
PLAY
cat > "$tmp/spike.play" <<'PLAY'
playbook spike

on ops.post as post
  case post.topic for 1d
  at least 3 within 1h

state tell {
  note "{case.events} posts"
  done "told"
}
PLAY
service=$(long 2000 s)
twin=$(long 1000 s)t$(long 999 s)   # the same first 1,000 bytes, another key
owner=o$(long 255 w)   # person ids are at most 256 bytes (docs/runtime.md, "Limits")
topic=$(long 560 t)                 # window keys of ~600 bytes: hashed, scanned by prefix
event() { printf '{"service":"%s","owner":"%s","level":"%s"}\n' "$1" "$owner" "$2" > "$tmp/event.json"; }

expect "a playbook with a 600-byte name deploys" 0 "$h" deploy "$tmp/long.play" "$tmp/spike.play" --db "$db" --now "$now"
event "$service" L1
expect "an event with a 2,000-byte case key is accepted" 0 sh -c "'$h' trigger ops.alert --id a1 --db '$db' --now $now < '$tmp/event.json'"
has "and starts an instance" "started i1"
event "$service" L2
expect "another event with the same long key" 0 sh -c "'$h' trigger ops.alert --id a2 --db '$db' --now $now < '$tmp/event.json'"
has "joins that instance" "joined i1"
event "$twin" L3
expect "a key that shares its first 1,000 bytes" 0 sh -c "'$h' trigger ops.alert --id a3 --db '$db' --now $now < '$tmp/event.json'"
has "is another case" "started i2"
expect "the same long id again is a duplicate" 0 sh -c "'$h' trigger ops.alert --id a3 --db '$db' --now $now < '$tmp/event.json'"
has "and says so" "duplicate"
expect "the 256-byte person has the tasks in their inbox" 0 "$h" tasks --for "$owner" --db "$db" --json
if [ "$(grep -c '"id": "t' "$tmp/out")" -eq 2 ]; then ok "both of them"; else no "both of them"; fi
expect "they answer" 0 "$h" answer t1 yes --by "$owner" --db "$db" --now 2026-03-02T09:05:00Z
expect "instances lists the long playbook" 0 "$h" instances --db "$db" --playbook "$name" --json
if python3 -c 'import json,sys; d={i["id"]: i for i in json.load(open(sys.argv[1]))}; assert d["i1"]["status"]=="done" and d["i2"]["status"]=="running", d' "$tmp/out"; then
  ok "i1 is done, i2 runs"; else no "i1 is done, i2 runs"; fi
expect "the history of i1" 0 "$h" history i1 --db "$db" --json
has "names its long case key" "\"case\":\"$service\""

# A threshold on a long key: the window's entries are found by prefix and counted.
for i in 1 2 3; do
  printf '{"topic":"%s"}\n' "$topic" > "$tmp/post.json"
  expect "post $i on a 560-byte topic" 0 sh -c "'$h' trigger ops.post --id q$i --db '$db' --now 2026-03-02T09:1$i:00Z < '$tmp/post.json'"
done
has "the third starts the case" "started i3"
expect "the case counts three posts" 0 "$h" history i3 --db "$db" --json
if [ "$(grep -c '"kind":"joined"' "$tmp/out")" -eq 2 ]; then ok "with the two earlier posts joined"; else no "with the two earlier posts joined"; fi

# A post older than the window falls out of it: the third post counts only two.
printf '{"topic":"%s"}\n' "$topic" > "$tmp/post.json"
for at in 10:00 10:30 11:20; do
  expect "post at $at" 0 sh -c "'$h' trigger ops.post --id w$at --db '$db' --now 2026-03-02T$at:00Z < '$tmp/post.json'"
done
if grep -q "started" "$tmp/out"; then no "the 11:20 post does not start a case (10:00 fell out)"; else ok "the 11:20 post does not start a case (10:00 fell out)"; fi
expect "post at 11:25" 0 sh -c "'$h' trigger ops.post --id w11:25 --db '$db' --now 2026-03-02T11:25:00Z < '$tmp/post.json'"
has "the third post inside the hour starts it" "started i4"
expect "the history of i4" 0 "$h" history i4 --db "$db" --json
if [ "$(grep -c '"kind":"joined"' "$tmp/out")" -eq 2 ]; then ok "joined by the 10:30 and 11:20 posts only"; else no "joined by the 10:30 and 11:20 posts only"; fi
plan
