# tests/e2e/lib.sh - what the end-to-end scripts share: the scratch folder, the TAP
# counter and the checks they make on the binary's output. POSIX sh, sourced (not run)
# by each tests/e2e/*.sh right after `set -u`:
#
#   . "$TOP/tests/e2e/lib.sh"
#
# Sourcing it goes to the top of the repository ($TOP), names the binary under test h
# ($HUDDLE), makes the scratch folder $tmp and removes it when the script exits (a script
# with more to undo first, an unmount say, defines at_exit after sourcing; it runs before
# the folder is removed), and sets the TAP count n to 0. A script prints its plan with
# `plan N` before its tests, or `plan` after them (the plan is then the count, n).
#
#   ok DESC                  one passing TAP line
#   no DESC [FILE]           one failing TAP line, then FILE (default $tmp/out; an empty
#                            FILE shows nothing) as TAP comments: show_lines lines of it
#   skip DESC WHY            one passing line marked "# SKIP WHY"
#   plan [N]                 the plan line 1..N (N defaults to n, the tests so far)
#   expect DESC RC CMD...    runs CMD, its stdout and stderr into $tmp/out: passes when
#                            it exits RC
#   has DESC TEXT            $tmp/out holds TEXT
#   hasnt DESC TEXT          $tmp/out does not hold TEXT
#   json DESC PYTHON         $tmp/out is one JSON value, `j`, that makes the Python
#                            expression PYTHON true
#   now HH:MM                prints the option --now 2026-03-02THH:MM:00Z
#   verdict DESC RC DIR WHY  the TAP line of a test of the folder DIR that passed (RC 0)
#                            or not, then WHY when it did not. A DIR with a BUG.md holds a
#                            known bug: its failure is marked "# BUG: " and the BUG.md's
#                            first line, its pass asks for the BUG.md to go
#
# These scripts are run by tests/run.sh, which reads their TAP lines and checks the plan.

h=$HUDDLE
cd "$TOP" || exit 1
tmp=$(mktemp -d) || exit 1
at_exit() { :; }
trap 'at_exit; rm -rf "$tmp"' EXIT
n=0
show_lines=20 # how much of a failing test's output `no` shows

# show FILE: up to show_lines lines of FILE, each cut at 500 characters, as TAP comments.
show() {
  [ -n "$1" ] && [ -f "$1" ] && cut -c1-500 "$1" | head -n "$show_lines" | sed 's/^/#   /'
  return 0
}

ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
no() { n=$((n + 1)); printf 'not ok %d - %s\n' "$n" "$1"; show "${2-$tmp/out}"; }
skip() { n=$((n + 1)); printf 'ok %d - %s # SKIP %s\n' "$n" "$1" "$2"; }
plan() { echo "1..${1:-$n}"; }

expect() { # expect DESCRIPTION WANT_RC COMMAND...
  desc=$1 want=$2; shift 2
  "$@" > "$tmp/out" 2>&1; rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$desc"; else echo "# exit $rc, wanted $want" >> "$tmp/out"; no "$desc"; fi
}
has() { # has DESCRIPTION TEXT: the last output contains TEXT
  if grep -qF -- "$2" "$tmp/out"; then ok "$1"; else no "$1 (no '$2')"; fi
}
hasnt() { # hasnt DESCRIPTION TEXT: the last output does not contain TEXT
  if grep -qF -- "$2" "$tmp/out"; then no "$1 ('$2' is there)"; else ok "$1"; fi
}
json() { # json DESCRIPTION PYTHON-EXPRESSION: the output, parsed as `j`, makes it true
  if python3 -c 'import json,sys; j=json.loads(open(sys.argv[1]).read()); sys.exit(0 if ('"$2"') else 1)' "$tmp/out" 2>>"$tmp/out"
  then ok "$1"; else no "$1"; fi
}
now() { echo "--now 2026-03-02T$1:00Z"; }
verdict() { # verdict DESCRIPTION RC DIR WHY-FILE
  if [ "$2" -eq 0 ]; then
    if [ -f "$3/BUG.md" ]; then ok "$1 # the bug in its BUG.md is fixed: remove BUG.md"; else ok "$1"; fi
  elif [ -f "$3/BUG.md" ]; then
    no "$1 # BUG: $(sed -n '1s/^# *//p' "$3/BUG.md")" "$4"
  else
    no "$1" "$4"
  fi
}
