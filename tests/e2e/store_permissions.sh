#!/bin/sh
# tests/e2e/store_permissions.sh - a store folder its user may not write is refused with
# a sentence about permissions, not as a failed or damaged store.
#
# The folder is read-only to the user (nobody, through setpriv), its files writable, and
# its write.lock not there yet (a copy made without it): readers still read, and a write
# is refused with exit 3 saying to check owner and permissions, with nothing written.
# Before, the write said "the store failed (an I/O error, a damaged file ...)" and advised
# restoring a backup. Needs root (to become nobody); skipped otherwise. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
if [ "$(id -u)" != 0 ] || ! command -v setpriv > /dev/null; then
  echo "ok 1 # skip needs root and setpriv"; echo "1..1"; exit 0
fi
cat > "$tmp/m.play" <<'PLAY'
playbook m
on src.ev as e
state s {
  note "seen"
  done "ok"
}
PLAY
chmod 755 "$tmp"
cp "$h" "$tmp/huddle" && chmod 755 "$tmp/huddle"
"$h" deploy "$tmp/m.play" --db "$tmp/db" --now 2026-06-15T08:00:00Z > "$tmp/out" 2>&1 || no "deploy" "$tmp/out"
echo '{}' | "$h" trigger src.ev --id e1 --db "$tmp/db" --now 2026-06-15T08:01:00Z > "$tmp/out" 2>&1 || no "a first trigger" "$tmp/out"
rm -f "$tmp/db/write.lock"
nobody=$(id -u nobody)
chown -R "$nobody" "$tmp/db" && chmod 666 "$tmp/db"/* && chmod 555 "$tmp/db"
as_nobody() { setpriv --reuid="$nobody" --regid="$nobody" --clear-groups "$tmp/huddle" "$@"; }

expect "a reader still reads the store" 0 as_nobody instances --db "$tmp/db"
has "and lists its instance" "i1"
before=$(sha256sum "$tmp/db/data.mdb")
echo '{}' > "$tmp/empty.json"
expect "a write is refused with exit 3" 3 sh -c "setpriv --reuid=$nobody --regid=$nobody --clear-groups '$tmp/huddle' trigger src.ev --id e2 --db '$tmp/db' --now 2026-06-15T09:00:00Z < '$tmp/empty.json'"
has "saying to check owner and permissions" "check their owner and permissions"
if grep -q "restore the store from a backup" "$tmp/out"; then no "and not advising a backup" "$tmp/out"; else ok "and not advising a backup"; fi
after=$(sha256sum "$tmp/db/data.mdb")
if [ "$before" = "$after" ]; then ok "data.mdb is unchanged"; else no "data.mdb is unchanged"; fi
chmod 755 "$tmp/db"
plan
