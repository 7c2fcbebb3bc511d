#!/bin/sh
# tests/e2e/doc_transcripts.sh - every ```console block of docs/*.md and README.md is a
# transcript of what huddle prints today. Prints TAP lines.
#
# In a transcript, a line that starts with "$ " is a command, run with sh from the top of
# the repository (`huddle` is the binary under test; a `cd` holds for the rest of the
# block; stdin is empty); every other line is what the commands before it print, stdout
# and stderr together. The block passes when running its commands again prints exactly
# its lines, so a doc that shows output cannot drift from the binary.
set -u
. "$TOP/tests/e2e/lib.sh"
show_lines=40

# replay BLOCK: prints the transcript BLOCK's commands give now, commands included.
replay() {
  (
    huddle() { "$h" "$@"; }
    grep '^\$ ' "$1" | sed 's/^\$ //' > "$tmp/commands"
    while IFS= read -r command; do
      printf '$ %s\n' "$command"
      eval "$command" < /dev/null 2>&1
    done < "$tmp/commands"
  )
}

# check NAME BLOCK: one TAP line, the diff when the transcript differs.
check() {
  replay "$2" > "$tmp/now"
  if diff -u "$2" "$tmp/now" > "$tmp/diff"; then ok "$1"; else no "$1 prints something else now" "$tmp/diff"; fi
}

# Each ```console block of each doc to its own file, DOC-N.txt.
mkdir -p "$tmp/blocks"
for doc in docs/*.md README.md; do
  awk -v out="$tmp/blocks/$(basename "$doc" .md)" '
    /^```console$/ { n++; file = sprintf("%s-%d.txt", out, n); inside = 1; next }
    /^```/ && inside { inside = 0; close(file); next }
    inside { print > file }' "$doc"
done

count=0
for block in "$tmp"/blocks/*.txt; do
  [ -e "$block" ] || continue
  count=$((count + 1))
  check "transcript $(basename "$block" .txt)" "$block"
done
if [ "$count" -gt 0 ]; then ok "transcripts found in the docs: $count"; else
  echo "no \`\`\`console block found" > "$tmp/diff"; no "the docs hold transcripts" "$tmp/diff"; fi

# The check itself can fail: a transcript with one changed line is reported.
printf '$ huddle help run | head -1\nusage: huddle walk\n' > "$tmp/wrong.txt"
replay "$tmp/wrong.txt" > "$tmp/now"
if diff "$tmp/wrong.txt" "$tmp/now" > /dev/null; then
  echo "a wrong transcript matched" > "$tmp/diff"; no "a transcript with a wrong line is caught" "$tmp/diff"
else
  ok "a transcript with a wrong line is caught"
fi
plan
