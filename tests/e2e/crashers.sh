#!/bin/sh
# tests/e2e/crashers.sh - every input the fuzzers ever crashed on (tests/fuzz/crashers/)
# is replayed through the binary: it may be refused, but nothing may crash, leak or trip
# a sanitizer. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
# A directory file is checked against a small playbook that uses a calendar.
printf 'playbook crash_check\ncalendar "office"\non x.y as e\nstate s {\n  done "ok"\n}\n' > "$tmp/check.play"
for f in tests/fuzz/crashers/*.play tests/fuzz/crashers/*.hbc tests/fuzz/crashers/*.json; do
  [ -e "$f" ] || continue
  case "$f" in
    *.play) "$HUDDLE" build "$f" -o "$tmp/out.hbc" > "$tmp/log" 2>&1 ;;
    *.hbc) "$HUDDLE" disasm "$f" > "$tmp/log" 2>&1 ;;
    *.json) "$HUDDLE" check "$tmp/check.play" --directory "$f" > "$tmp/log" 2>&1 ;;
  esac
  rc=$?
  if [ "$rc" -lt 128 ] && ! grep -q "Sanitizer" "$tmp/log"; then
    ok "$(basename "$f") is handled (exit $rc)"
  else
    no "$(basename "$f") crashed (exit $rc)" "$tmp/log"
  fi
  if [ "${f%.play}" != "$f" ] && [ -f "$tmp/out.hbc" ]; then
    if "$HUDDLE" disasm "$tmp/out.hbc" > "$tmp/log" 2>&1; then
      ok "$(basename "$f") builds bytecode that verifies"
    else
      no "$(basename "$f") built bytecode that does not verify" "$tmp/log"
    fi
    rm -f "$tmp/out.hbc"
  fi
done
plan
