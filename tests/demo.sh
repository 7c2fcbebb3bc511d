#!/bin/sh
# tests/demo.sh - what `make demo` shows: a workflow's trace run on a virtual clock, the
# decision record that run kept (searched and verified), every workflow checked, and
# one drawn.
set -u
huddle=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mkdir -p build/demo
status=0
echo "Huddle demo"
echo
w=workflows/product_complaint
echo "1. Complaints about the N9's camera spike. Its owner is on vacation, so her"
echo "   delegate is asked; nobody answers in two business hours, so the question climbs"
echo "   to a manager; two of three people then decide on a firmware fix ($w,"
echo "   on a virtual clock, with the directory of people and calendars beside it):"
echo
store=build/demo/store
rm -rf "$store"
"$huddle" run $w/product_complaint.play --events $w/trace.jsonl --mocks $w/mocks.json \
  --directory $w/directory.json --keep "$store" || status=1
echo
echo "2. What the record keeps: each decision, who answered what and how long it took"
echo "   (huddle audit search on the run's store), and the hash chain over every record:"
echo
"$huddle" audit search --db "$store" || status=1
"$huddle" audit verify --db "$store" || status=1
echo
echo "3. Every playbook in workflows/, checked:"
echo
for f in workflows/*/*.play; do
  if out=$("$huddle" check "$f" 2>&1); then
    states=$(grep -c '^state ' "$f")
    triggers=$(grep -c '^on ' "$f")
    [ "$triggers" -eq 1 ] && noun=trigger || noun=triggers
    printf '  ok    %-52s %2d states, %d %s\n' "$f" "$states" "$triggers" "$noun"
  else
    printf '  FAIL  %s\n%s\n' "$f" "$out"
    status=1
  fi
done
echo
play=workflows/product_complaint/product_complaint.play
"$huddle" graph "$play" > build/demo/product_complaint.dot || status=1
if "$huddle" graph "$play" --svg -o build/demo/product_complaint.svg; then
  echo "4. The product complaint playbook, drawn: build/demo/product_complaint.svg"
fi
echo
echo "Its states and where each one can go (the trigger first):"
awk '/ -> / {
  line = $0
  match(line, /^  "[^"]*"/); from = substr(line, 4, RLENGTH - 4)
  rest = substr(line, RLENGTH + 5)
  match(rest, /^"([^"\\]|\\.)*"/); to = substr(rest, 2, RLENGTH - 2)
  match(line, /label="([^"\\]|\\.)*"/); label = substr(line, RSTART + 7, RLENGTH - 8)
  gsub(/\\"/, "\"", to); gsub(/\\"/, "\"", label)
  if (from != last) { printf "  %s\n", from; last = from }
  printf "      %-44s -> %s\n", label, to }' build/demo/product_complaint.dot
exit $status
