#!/bin/sh
# tests/run.sh - runs every test against one or more builds of huddle and ends with
# one line "N passed, N failed, N skipped" for the whole run (CI reads its
# "N passed, N failed" prefix).
#
#   sh tests/run.sh [--update] --variant NAME HUDDLE UNIT_DIR [--variant ...]
#
# For each variant (the release build, the ASan+UBSan build):
#   unit       the cmocka binaries in UNIT_DIR, read as TAP
#   lang       tests/lang/invalid/*.play must fail with exactly their .expected text;
#              tests/lang/warn/*.play must check with exactly their .expected warnings;
#              tests/lang/run/*.play must check clean and do what their `# expect:`
#              lines say when run (tests/lang/run.py)
#   docs       every ```play block in docs/*.md passes; every ```play-invalid fails
#   workflows  every workflows/*/*.play passes with no diagnostics
#   e2e        tests/e2e/*.sh, which print TAP lines (ok / not ok) and their plan
#              (but tests/e2e/lib.sh, the helpers they source, which is no test)
# --update rewrites the .expected files from what huddle prints now (review the diff).
#
# The variants run side by side, each printing its lines when it is done
# (HUDDLE_TEST_JOBS=1 runs them one after another, printing as they go).
#
# TAP: a line "ok N - ..." passes, "not ok N - ..." fails, and either one with "# SKIP"
# in it is counted as skipped, as is one with "# TODO" (a known bug, shown in the log).
# Every unit binary and e2e script must print its plan ("1..N", first or last): one
# without a plan (it ended early), one whose result lines do not number N, or one that
# exits non-zero is a failure of its own.
#
# The time-budgeted suites (tests/crash/run_crash.sh, tests/crash/kill9.sh) run a fixed
# count here, so every variant prints the same totals: HUDDLE_TEST_FIXED=1 is exported
# unless the caller set it (HUDDLE_TEST_FIXED=0 lets them fill their time budgets). Their
# "# ran N of M ..." lines are shown with the variant and the script's name.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export HUDDLE_TEST_FIXED="${HUDDLE_TEST_FIXED:-1}"
update=0
passed=0
failed=0
skipped=0
root=$(mktemp -d)
tmp=$root
trap 'rm -rf "$root"' EXIT

pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL [$variant] $1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then sed 's/^/    /' "$2" | head -40; fi
}

# tap_count NAME OUTPUT EXIT: counts OUTPUT's TAP lines into passed, failed and skipped,
# and fails NAME once more when its plan is missing or wrong or it exited non-zero.
tap_count() {
  name=$1 out=$2 rc=$3
  results=$(grep -cE '^(not )?ok ' "$out")
  skip=$(grep -E '^(not )?ok ' "$out" | grep -Eic '# (skip|todo)')
  ok=$(grep '^ok ' "$out" | grep -Evic '# (skip|todo)')
  bad=$(grep '^not ok ' "$out" | grep -Evic '# (skip|todo)')
  plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out")
  passed=$((passed + ok))
  skipped=$((skipped + skip))
  failed=$((failed + bad))
  grep '^not ok ' "$out" | grep -Evi '# (skip|todo)' | while read -r line; do echo "FAIL [$variant] $name: $line"; done
  grep -E '^(not )?ok .*# todo' -i "$out" | while read -r line; do echo "TODO [$variant] $name: $line"; done
  if [ -z "$plan" ] || [ "$(echo "$plan" | wc -l)" -ne 1 ]; then
    fail "$name printed no plan (1..N), or several: it ended early (exit $rc)" "$out"
  elif [ "$plan" -ne "$results" ]; then
    fail "$name planned $plan tests and reported $results (exit $rc)" "$out"
  elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
    fail "$name exited $rc" "$out"
  elif [ "$bad" -gt 0 ]; then
    sed 's/^/    /' "$out" | grep -v '^    ok ' | head -40
  fi
}

run_unit() {
  for bin in "$unit_dir"/test_*; do
    [ -x "$bin" ] || continue
    CMOCKA_MESSAGE_OUTPUT=TAP "$bin" > "$tmp/unit.out" 2>&1
    tap_count "unit $(basename "$bin")" "$tmp/unit.out" $?
  done
}

# check_golden DIR FILE WANT_RC: the diagnostics of FILE must equal FILE's .expected
# (or be empty when there is none and WANT_RC is 0).
check_golden() {
  dir=$1 file=$2 want_rc=$3
  expected="${file%.play}.expected"
  (cd "$dir" && "$huddle" check "$file") > "$tmp/out" 2>&1
  rc=$?
  if [ "$update" = 1 ] && [ "$want_rc" = 1 -o -s "$tmp/out" ]; then
    cp "$tmp/out" "$dir/$expected"
  fi
  if [ "$rc" -ne "$want_rc" ]; then
    fail "lang $file: exit $rc, expected $want_rc" "$tmp/out"
  elif [ -f "$dir/$expected" ]; then
    if diff -u "$dir/$expected" "$tmp/out" > "$tmp/diff"; then pass; else
      fail "lang $file: diagnostics differ from $expected" "$tmp/diff"; fi
  elif [ -s "$tmp/out" ]; then
    fail "lang $file: printed diagnostics (add $expected if they are meant)" "$tmp/out"
  else
    pass
  fi
}

run_lang() {
  for f in tests/lang/invalid/*.play; do
    [ -e "$f" ] && check_golden tests/lang "invalid/$(basename "$f")" 1
  done
  for f in tests/lang/warn/*.play tests/lang/run/*.play; do
    [ -e "$f" ] && check_golden tests/lang "$(basename "$(dirname "$f")")/$(basename "$f")" 0
  done
  python3 tests/lang/run.py "$huddle" tests/lang/run/*.play > "$tmp/lang.out" 2>&1
  tap_count "lang run.py" "$tmp/lang.out" $?
}

# Writes each ```play and ```play-invalid block of the docs to its own file.
extract_docs() {
  rm -rf "$tmp/docs"; mkdir -p "$tmp/docs"
  for doc in docs/*.md README.md; do
    [ -f "$doc" ] || continue
    awk -v dir="$tmp/docs" -v base="$(basename "$doc" .md)" '
      /^```play(-invalid)?$/ { n++; kind = ($0 ~ /invalid/) ? "invalid" : "valid";
                               file = sprintf("%s/%s-%02d-%s.play", dir, base, n, kind); inside = 1; next }
      /^```/ && inside { inside = 0; close(file); next }
      inside { print > file }' "$doc"
  done
}

# Every ```play block of the docs is a whole playbook that checks clean.
check_docs() {
  extract_docs
  for f in "$tmp"/docs/*.play; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    "$huddle" check "$f" > "$tmp/out" 2>&1
    rc=$?
    case "$name" in
      *-invalid.play) if [ "$rc" -eq 1 ]; then pass; else fail "docs example $name should fail the check" "$f"; fi ;;
      *) if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]; then pass; else fail "docs example $name" "$tmp/out"; fi ;;
    esac
  done
}

run_workflows() {
  for f in workflows/*/*.play; do
    [ -e "$f" ] || continue
    "$huddle" check "$f" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$tmp/out" ]; then pass; else fail "workflow $f" "$tmp/out"; fi
  done
}

run_e2e() {
  for script in tests/e2e/*.sh; do
    [ -e "$script" ] || continue
    [ "$script" = tests/e2e/lib.sh ] && continue
    HUDDLE="$huddle" TOP="$top" sh "$script" > "$tmp/e2e.out" 2>&1
    tap_count "e2e $(basename "$script")" "$tmp/e2e.out" $?
    # what a suite that samples says it ran ("# ran N of M ..."), for the log
    sed -n "s/^# ran /[$variant] $(basename "$script"): ran /p" "$tmp/e2e.out"
  done
}

# run_variant NAME HUDDLE UNIT_DIR: every test against one build, in its own scratch
# folder; prints what fails and the variant's line, and leaves its counts in the folder.
run_variant() {
  variant=$1 huddle=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") unit_dir=$3
  tmp=$root/$variant
  mkdir -p "$tmp"
  passed=0 failed=0 skipped=0
  run_unit; run_lang; check_docs; run_workflows; run_e2e
  echo "$variant: $passed passed, $failed failed, $skipped skipped"
  echo "$passed $failed $skipped" > "$tmp/counts"
}

: > "$root/variants"
while [ $# -gt 0 ]; do
  case "$1" in
    --update) update=1; shift ;;
    --variant) [ $# -ge 4 ] || set -- --usage
               echo "$2 $3 $4" >> "$root/variants"; shift 4 ;;
    *) echo "usage: tests/run.sh [--update] --variant NAME HUDDLE UNIT_DIR ..." >&2; exit 2 ;;
  esac
done
# The variants run side by side (most of their time is spent waiting on fsync and
# process start-up), each printing when it is done; HUDDLE_TEST_JOBS=1, or --update
# (which rewrites files the next variant reads), runs them one after another instead.
jobs=${HUDDLE_TEST_JOBS:-2}
[ "$update" = 1 ] && jobs=1
while read -r name build units; do
  if [ "$jobs" -gt 1 ]; then
    run_variant "$name" "$build" "$units" > "$root/$name.log" 2>&1 &
  else
    run_variant "$name" "$build" "$units"
    update=0
  fi
done < "$root/variants"
wait
total_pass=0 total_fail=0 total_skip=0
while read -r name build units; do
  [ "$jobs" -gt 1 ] && cat "$root/$name.log"
  read -r p f k < "$root/$name/counts" 2>/dev/null || { echo "FAIL [$name] the variant did not finish"; p=0 f=1 k=0; }
  total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + k))
done < "$root/variants"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
