# tests/audit/make_store.sh - sourced by tests/e2e/audit*.sh: `audit_store DIR` makes a
# store with known decisions from tests/audit/refund.play (every time below is UTC):
#
#   i1 (order A1, region eu, 10): asked anna and ming 06:00; ming answers yes "in policy"
#      06:20 (20 minutes); done refunded. 14 records.
#   i2 (order A2, region us, 20): asked anna and ming 07:00; escalated at 08:00 to craig
#      (level 1, manager of both); craig reassigns anna's seat to lars 08:10; craig
#      answers no "fraud suspected" 08:30 (90 minutes); done kept. 20 records.
#   i3 (order A3, region eu, 30): asked 09:00; anna answers no "duplicate order" 09:45
#      (45 minutes); done kept.
#   i4 (order A4, region eu, 40): asked 10:00; open (nobody answered).
# Needs $h (the huddle under test).
audit_store() {
  "$h" directory load "$TOP/tests/audit/people.json" --db "$1" --now 2026-06-15T05:00:00Z > /dev/null &&
  "$h" deploy "$TOP/tests/audit/refund.play" --db "$1" --now 2026-06-15T05:00:00Z > /dev/null &&
  echo '{"order":"A1","region":"eu","amount":10}' | "$h" trigger shop.refund --id e1 --db "$1" --now 2026-06-15T06:00:00Z > /dev/null &&
  "$h" answer t1 yes --by ming --comment "in policy" --db "$1" --now 2026-06-15T06:20:00Z > /dev/null &&
  echo '{"order":"A2","region":"us","amount":20}' | "$h" trigger shop.refund --id e2 --db "$1" --now 2026-06-15T07:00:00Z > /dev/null &&
  "$h" tick --db "$1" --now 2026-06-15T08:05:00Z > /dev/null &&
  "$h" reassign t2 --from anna --to lars --by craig --db "$1" --now 2026-06-15T08:10:00Z > /dev/null &&
  "$h" answer t2 no --by craig --comment "fraud suspected" --db "$1" --now 2026-06-15T08:30:00Z > /dev/null &&
  echo '{"order":"A3","region":"eu","amount":30}' | "$h" trigger shop.refund --id e3 --db "$1" --now 2026-06-15T09:00:00Z > /dev/null &&
  "$h" answer t3 no --by anna --comment "duplicate order" --db "$1" --now 2026-06-15T09:45:00Z > /dev/null &&
  echo '{"order":"A4","region":"eu","amount":40}' | "$h" trigger shop.refund --id e4 --db "$1" --now 2026-06-15T10:00:00Z > /dev/null
}

# `audit_store_more DIR` goes on from audit_store:
#   i4 escalated at 11:00 to craig; times out at 14:00: choice timeout, done late.
#   i5 (order A5, region us, 50): asked anna and ming 14:30; open; its first level
#      (15:30, craig) is fired by the write at 15:40 (every write fires due timers).
#   i6 (tests/audit/expense.play, team retail): asked lars 14:40; lars answers ok
#      "ok, within budget" 15:40 (60 minutes); done approved.
audit_store_more() {
  "$h" tick --db "$1" --now 2026-06-15T14:00:00Z > /dev/null &&
  "$h" deploy "$TOP/tests/audit/expense.play" --db "$1" --now 2026-06-15T14:05:00Z > /dev/null &&
  echo '{"order":"A5","region":"us","amount":50}' | "$h" trigger shop.refund --id e5 --db "$1" --now 2026-06-15T14:30:00Z > /dev/null &&
  echo '{"what":"a laptop","team":"retail"}' | "$h" trigger shop.expense --id x1 --db "$1" --now 2026-06-15T14:40:00Z > /dev/null &&
  "$h" answer t6 ok --by lars --comment "ok, within budget" --db "$1" --now 2026-06-15T15:40:00Z > /dev/null
}

# `audit_store_all DIR`: audit_store and audit_store_more, as one TAP line.
audit_store_all() {
  { audit_store "$1" && audit_store_more "$1"; } > "$tmp/out" 2>&1 && ok "a store with known decisions is made" ||
    no "a store with known decisions is made"
}
