#!/bin/sh
# tests/e2e/deep_input.sh - input nested past the limits is refused with a sentence,
# never a crash (RUNTIME.md "Limits and damage"): expressions nest at most 1,000
# operators (and, apart, 1,000 pairs of parentheses) deep in check, graph, build, deploy
# and run; event data at most 1,000 levels of arrays and objects; long chains of consts,
# fns and states (not nesting, but as deep for a recursive walk) still check, build and
# run. The big files are generated here, not kept in the repository. Prints TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"
show_lines=8
# expect_says DESC STATUS TEXT CMD...: CMD exits STATUS and (when TEXT is not empty) says
# TEXT, one TAP line for both.
expect_says() { desc=$1 want=$2 text=$3; shift 3; "$@" > "$tmp/out" 2>&1; rc=$?
  if [ "$rc" -ne "$want" ]; then echo "# exit $rc, wanted $want" >> "$tmp/out"; no "$desc"
  elif [ -n "$text" ] && ! grep -qF -- "$text" "$tmp/out"; then echo "# no '$text'" >> "$tmp/out"; no "$desc"
  else ok "$desc"; fi; }
too_deep="expression nests deeper than 1,000 operators"
now=2026-06-02T09:00:00Z
echo "{\"at\": \"$now\", \"event\": {\"source\": \"ops\", \"type\": \"case\", \"id\": \"c1\", \"data\": {\"a\": 1}}}" > "$tmp/one.jsonl"

# gen NAME COUNT: writes $tmp/NAME.play, a playbook whose one expression nests COUNT deep.
gen() { python3 - "$tmp/$1.play" "$1" "$2" <<'PY'
import sys
path, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
expr = {
    "plus": lambda: " + ".join(["1"] * (n + 1)),
    "field": lambda: "e" + ".a" * n,
    "neg": lambda: "- " * n + "1",
    "paren": lambda: "(1 + " * n + "1" + ")" * n,
    "list": lambda: "[" * n + "]" * n,
    "coalesce": lambda: " ?? ".join(["e.a"] * (n + 1)),
    "ifs": lambda: "if true then 1 else " * n + "2",
}[kind.rstrip("0123456789_")]()
open(path, "w").write("playbook deep\non ops.case as e\nstate s {\n  let x = %s\n  done \"{x}\"\n}\n" % expr)
PY
}

for kind in plus field neg paren list coalesce ifs; do
  gen "$kind" 60000
  f=$tmp/$kind.play
  # 60,000 `(1 + ` cross both limits: the parser's stack runs out with more than 1,000
  # parentheses open, and says so (docs/language.md, Limits)
  too_deep="expression nests deeper than 1,000 operators"
  [ "$kind" = paren ] && too_deep="parentheses nest deeper than 1,000"
  expect_says "check refuses $kind of 60k terms" 1 "$too_deep" "$h" check "$f"
  expect_says "graph refuses $kind of 60k terms" 1 "$too_deep" "$h" graph "$f"
  expect_says "build refuses $kind of 60k terms" 1 "$too_deep" "$h" build "$f" -o "$tmp/x.hbc"
  expect_says "deploy refuses $kind of 60k terms" 1 "$too_deep" "$h" deploy "$f" --db "$tmp/db_$kind" --now $now
  expect_says "run refuses $kind of 60k terms" 1 "$too_deep" "$h" run "$f" --events "$tmp/one.jsonl"
done
too_deep="expression nests deeper than 1,000 operators"
gen plus_1000 999
expect_says "1,000 terms of + (999 operators) run" 0 "" "$h" run "$tmp/plus_1000.play" --events "$tmp/one.jsonl"
gen neg_1000 1000
expect_says "1,000 unary minuses run" 0 "" "$h" run "$tmp/neg_1000.play" --events "$tmp/one.jsonl"
gen neg_1001 1001
expect_says "1,001 unary minuses are refused" 1 "$too_deep" "$h" check "$tmp/neg_1001.play"
if grep -q "^$tmp/neg_1001.play:4:11: error: $too_deep" "$tmp/out"; then ok "at the expression (4:11)"; else no "at the expression (4:11)"; fi

# Every expression the checker takes runs: the VM's stack is sized to what the program
# needs (bc_verify's max_stack), not 1,024 values. Lists and maps keep the items before
# the nested one on the stack: 2, 2 and 100 a level, 1,000 levels (999 literals inside
# the let's) hold 2,000 to 100,000 values ("invalid bytecode: the stack grows past 1024"
# before).
# wide NAME KIND LEVELS WIDTH: $tmp/NAME.play, lists or maps LEVELS deep, WIDTH items before the next.
wide() { python3 - "$tmp/$1.play" "$2" "$3" "$4" <<'PY'
import sys
path, kind, n, w = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if kind == "lists":
    expr = ("[" + "e.a, " * w) * n + "e.a" + "]" * n
else:
    expr = ("{" + "".join("k%d: e.a, " % i for i in range(w)) + "z: ") * n + "e.a" + "}" * n
open(path, "w").write("playbook deep\non ops.case as e\nstate s {\n  let x = %s\n  done \"{%s}\"\n}\n"
                       % (expr, "x" if w < 10 else "len(x)"))
PY
}
wide lists998 lists 998 2
expect_says "lists 999 deep, two items each, run" 0 "done     [1,1,[1,1," "$h" run "$tmp/lists998.play" --events "$tmp/one.jsonl"
wide lists999 lists 999 2
expect_says "lists 1,000 deep (the most the checker takes), two items each, run" 0 "done     [1,1,[1,1," "$h" run "$tmp/lists999.play" --events "$tmp/one.jsonl"
expect_says "and deploy" 0 "" "$h" deploy "$tmp/lists999.play" --db "$tmp/db_wide" --now $now
expect_says "and trigger" 0 "accepted w1: started i1" sh -c "echo '{\"a\": 1}' | '$h' trigger ops.case --id w1 --db '$tmp/db_wide' --now $now"
wide maps999 maps 999 1
expect_says "maps 1,000 deep, two entries each, run" 0 'done     {"k0":1,"z":{"k0":1,' "$h" run "$tmp/maps999.play" --events "$tmp/one.jsonl"
wide lists_wide lists 999 100
expect_says "lists 1,000 deep, 100 items each (100,000 values on the stack), run" 0 "done     101" "$h" run "$tmp/lists_wide.play" --events "$tmp/one.jsonl"
wide lists1000 lists 1000 2
expect_says "lists 1,001 deep are refused" 1 "$too_deep" "$h" check "$tmp/lists1000.play"
if grep -q "^$tmp/lists1000.play:4:11: error: $too_deep" "$tmp/out"; then ok "at the expression (4:11)"; else no "at the expression (4:11)"; fi

# Strings nest at most 16 deep: 60k nested interpolations get one error, at once.
python3 -c "
n = 60000
open('$tmp/interp.play', 'w').write('playbook deep\non ops.case as e\nstate s {\n  done \"' + '{\"' * n + 'x' + '\"}' * n + '\"\n}\n')"
expect_says "60k nested interpolations are refused" 1 "strings are nested too deeply" timeout 20 "$h" check "$tmp/interp.play"
if [ "$(grep -c 'error:' "$tmp/out")" -eq 1 ]; then ok "with one error"; else no "with one error"; fi

# Chains: 100,000 consts declared last-first, fns, and states, each leaning on the next.
python3 - "$tmp" <<'PY'
import sys
d, n, hdr = sys.argv[1], 100000, "playbook chains\non ops.case as e\n"
open(d + "/consts.play", "w").write(hdr + "".join("const c%d = c%d + 1\n" % (i, i + 1) for i in range(n))
    + "const c%d = 1\nstate s {\n  done \"{c0}\"\n}\n" % n)
open(d + "/names.play", "w").write(hdr + "const c0 = 7\n" + "".join("const c%d = c%d\n" % (i, i - 1) for i in range(1, n))
    + "state s {\n  done \"{c%d}\"\n}\n" % (n - 1))
open(d + "/fns.play", "w").write(hdr + "".join("fn f%d(a) = f%d(a)\n" % (i, i + 1) for i in range(n))
    + "fn f%d(a) = f0(a)\nstate s {\n  done \"{f0(1)}\"\n}\n" % n)
open(d + "/states.play", "w").write(hdr + "".join("state s%d {\n  goto s%d\n}\n" % (i, i + 1) for i in range(n))
    + "state s%d {\n  done \"end\"\n}\n" % n)
PY
expect_says "100k consts, each the next + 1, run" 0 "100001" "$h" run "$tmp/consts.play" --events "$tmp/one.jsonl"
expect_says "100k consts naming the one before run" 0 "7" "$h" run "$tmp/names.play" --events "$tmp/one.jsonl"
expect_says "a cycle of 100k fns is found" 1 "recursion is not allowed" "$h" check "$tmp/fns.play"
expect_says "100k chained states check" 0 "" "$h" check "$tmp/states.play"

# Event data: 1,000 levels of arrays pass; 1,001 and 60,000 are refused, by run and trigger.
deep() { python3 -c "
import sys
d = $1
sys.stdout.write('[' * d + ']' * d)"; }
cat > "$tmp/any.play" <<'PLAY'
playbook takes_any
on ops.case as e
state s {
  done "got it"
}
PLAY
for d in 1000 1001 60000; do
  echo "{\"at\": \"$now\", \"event\": {\"source\": \"ops\", \"type\": \"case\", \"id\": \"c1\", \"data\": $(deep $d)}}" > "$tmp/deep$d.jsonl"
  deep $d > "$tmp/deep$d.json"
done
expect_says "run takes data 1,000 deep" 0 "got it" "$h" run "$tmp/any.play" --events "$tmp/deep1000.jsonl"
# A trace line whose data nests too deep is refused as trigger refuses it, and the run
# goes on (RUNTIME.md, Trace format): it stopped the run with exit 1.
expect_says "run refuses data 1,001 deep, as a refused line" 0 "REFUSED  trace line 1: the event's data is not JSON: JSON nests deeper than 1,000 levels" "$h" run "$tmp/any.play" --events "$tmp/deep1001.jsonl"
expect_says "run refuses data 60,000 deep, as a refused line" 0 "REFUSED  trace line 1: the event's data is not JSON: JSON nests deeper than 1,000 levels" "$h" run "$tmp/any.play" --events "$tmp/deep60000.jsonl"
db=$tmp/events
expect_says "deploy for trigger" 0 "" "$h" deploy "$tmp/any.play" --db "$db" --now $now
expect_says "trigger takes data 1,000 deep" 0 "accepted d1" sh -c "'$h' trigger ops.case --id d1 --db '$db' --now $now < '$tmp/deep1000.json'"
expect_says "trigger refuses data 1,001 deep" 1 "nests deeper than 1,000 levels" sh -c "'$h' trigger ops.case --id d2 --db '$db' --now $now < '$tmp/deep1001.json'"
expect_says "trigger refuses data 60,000 deep" 1 "nests deeper than 1,000 levels" sh -c "'$h' trigger ops.case --id d3 --db '$db' --now $now < '$tmp/deep60000.json'"
echo '{"big": 18446744073709551616, "max": 9223372036854775807}' > "$tmp/big.json"
expect_says "trigger takes an integer past 64 bits" 0 "accepted d4" sh -c "'$h' trigger ops.case --id d4 --db '$db' --now $now < '$tmp/big.json'"

# A quorum const the checker can't work out because it nests too deeply says so, rather
# than that it is not an integer const; 400 consts (800 levels with their operators) check.
quorum() { python3 - "$tmp/quorum$1.play" "$1" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
consts = "const n0 = 2\n" + "".join("const n%d = n%d * 1\n" % (i, i - 1) for i in range(1, n))
open(path, "w").write("playbook quorum\non ops.case as e\n" + consts +
    "state s {\n  ask n%d of person(\"a\"), person(\"b\") \"ok?\"\n      choices yes, no\n      within 1h\n"
    "  {\n    yes -> done \"y\"\n    no -> done \"n\"\n    no_quorum -> done \"q\"\n    timeout -> done \"t\"\n  }\n}\n" % (n - 1))
PY
}
quorum 1100
expect_says "a quorum const 1,100 consts deep is refused for its depth" 1 \
  "a quorum is an integer literal or an integer const: this one nests more than 1,000 operators and consts deep" \
  "$h" check "$tmp/quorum1100.play"
quorum 400
expect_says "the same 400 deep checks" 0 "" "$h" check "$tmp/quorum400.play"

# Blocks: 1,500 nested ifs run; 60,000 are refused with a sentence, not a crash.
blocks() { python3 -c "
n = $1
open('$tmp/blocks$1.play', 'w').write('playbook blocks\non ops.case as e\nstate s {\n' + 'if e.a == 1 {\n' * n + 'done \"in\"\n' + '}\n' * n + 'done \"out\"\n}\n')"; }
blocks 1500
expect_says "1,500 nested blocks run" 0 "in" "$h" run "$tmp/blocks1500.play" --events "$tmp/one.jsonl"
blocks 60000
expect_says "60,000 nested blocks are refused" 1 "blocks nest too deeply to parse" "$h" check "$tmp/blocks60000.play"
plan
