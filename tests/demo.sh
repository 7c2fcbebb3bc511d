#!/bin/sh
# tests/demo.sh - what `make demo` shows: every workflow checked, and one drawn.
# (Once the runtime lands, the demo runs a workflow's trace on a virtual clock.)
set -u
huddle=$1
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
mkdir -p build/demo
status=0
echo "Huddle demo"
echo
echo "1. A card looks stolen. Three analysts must agree, more alerts join the case, and a"
echo "   stronger alert later freezes the card (workflows/card_fraud, on a virtual clock):"
echo
"$huddle" run workflows/card_fraud/card_fraud.play --events workflows/card_fraud/trace.jsonl \
  --mocks workflows/card_fraud/mocks.json || status=1
echo
echo "2. Every playbook in workflows/, checked:"
echo
for f in workflows/*/*.play; do
  if out=$("$huddle" check "$f" 2>&1); then
    states=$(grep -c '^state ' "$f")
    triggers=$(grep -c '^on ' "$f")
    printf '  ok    %-52s %2d states, %d trigger(s)\n' "$f" "$states" "$triggers"
  else
    printf '  FAIL  %s\n%s\n' "$f" "$out"
    status=1
  fi
done
echo
play=workflows/product_complaint/product_complaint.play
"$huddle" graph "$play" > build/demo/product_complaint.dot || status=1
if "$huddle" graph "$play" --svg -o build/demo/product_complaint.svg; then
  echo "3. The product complaint playbook, drawn: build/demo/product_complaint.svg"
fi
echo
echo "Its states and where each one can go:"
awk '/ -> / && !/^  start/ {
  line = $0
  match(line, /^  "[^"]*"/); from = substr(line, 4, RLENGTH - 4)
  rest = substr(line, RLENGTH + 5)
  match(rest, /^"([^"\\]|\\.)*"/); to = substr(rest, 2, RLENGTH - 2)
  match(line, /label="([^"\\]|\\.)*"/); label = substr(line, RSTART + 7, RLENGTH - 8)
  gsub(/\\"/, "\"", to); gsub(/\\"/, "\"", label)
  if (from != last) { printf "  %s\n", from; last = from }
  printf "      %-44s -> %s\n", label, to }' build/demo/product_complaint.dot
exit $status
