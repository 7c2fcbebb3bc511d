#!/bin/sh
# tests/e2e/cli_build.sh - `huddle build` and `huddle disasm` as a user runs them.
# Prints TAP lines.
#
#   - every listing in tests/disasm/NAME.disasm equals `huddle disasm SOURCE` today, where
#     SOURCE is workflows/NAME/NAME.play or one of the tests/lang/run playbooks below
#     (UPDATE=1 in the environment, as `make test UPDATE=1` sets it, rewrites the listings
#     instead: review the diff like code);
#   - building a playbook twice gives the same version hash and the same bytes, and the
#     listing of the .hbc equals the listing of the .play;
#   - a truncated .hbc, one with a flipped byte in its code, and a file that is not
#     bytecode are refused with exit 1 and a message naming the file (never a crash);
#   - building a playbook with errors exits 1 and writes nothing.
#
# Paths are given relative to the repository root, as the listings record them.
set -u
. "$TOP/tests/e2e/lib.sh"

# The playbooks with golden listings: every workflow and a few language tests.
sources=$(ls workflows/*/*.play 2>/dev/null | tr "\n" " ")
for name in ask_every_clause calls_and_sends declarations numbers_and_operators triggers wait_arms; do
  sources="$sources tests/lang/run/$name.play"
done

# ---- golden listings ----

mkdir -p tests/disasm
for src in $sources; do
  name=$(basename "$src" .play)
  golden=tests/disasm/$name.disasm
  "$h" disasm "$src" > "$tmp/listing" 2> "$tmp/out"
  rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "# exit $rc" >> "$tmp/out"
    no "disasm $src"
    continue
  fi
  if [ "${UPDATE:-0}" = 1 ]; then
    cp "$tmp/listing" "$golden"
  fi
  if [ ! -f "$golden" ]; then
    echo "no $golden: run 'make test UPDATE=1' and review it" > "$tmp/out"
    no "listing of $src"
  elif diff -u "$golden" "$tmp/listing" > "$tmp/out"; then
    ok "listing of $src matches $golden"
  else
    no "listing of $src differs from $golden (UPDATE=1 rewrites it)"
  fi
done
for golden in tests/disasm/*.disasm; do
  [ -e "$golden" ] || continue
  name=$(basename "$golden" .disasm)
  case " $sources " in
    *"/$name.play "*) ;;
    *) echo "$golden has no playbook among: $sources" > "$tmp/out"; no "listing $golden is used" ;;
  esac
done

# ---- builds are reproducible, and .hbc listings equal .play listings ----

version_of() { sed -n 's/.*, version \([0-9a-f]*\)$/\1/p' "$1"; }
for src in $sources; do
  name=$(basename "$src" .play)
  "$h" build "$src" -o "$tmp/$name.1.hbc" > "$tmp/build1" 2>&1; rc1=$?
  "$h" build "$src" -o "$tmp/$name.2.hbc" > "$tmp/build2" 2>&1; rc2=$?
  v1=$(version_of "$tmp/build1") v2=$(version_of "$tmp/build2")
  cat "$tmp/build1" "$tmp/build2" > "$tmp/out"
  if [ "$rc1" -ne 0 ] || [ "$rc2" -ne 0 ] || [ -z "$v1" ]; then
    no "build $src (exit $rc1, $rc2)"
    continue
  fi
  if [ "$v1" = "$v2" ] && cmp -s "$tmp/$name.1.hbc" "$tmp/$name.2.hbc"; then
    ok "building $src twice gives the same version and bytes"
  else
    no "building $src twice gives the same version and bytes ($v1, $v2)"
  fi
  sum=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$tmp/$name.1.hbc")
  if [ "$sum" = "$v1" ]; then ok "the version of $name is the SHA-256 of its .hbc"; else
    echo "printed $v1, file hashes to $sum" > "$tmp/out"; no "the version of $name is the SHA-256 of its .hbc"; fi
  "$h" disasm "$tmp/$name.1.hbc" > "$tmp/from_hbc" 2> "$tmp/out"; rc=$?
  "$h" disasm "$src" > "$tmp/from_play" 2>> "$tmp/out"
  if [ "$rc" -eq 0 ] && diff -u "$tmp/from_play" "$tmp/from_hbc" > "$tmp/out"; then
    ok "disasm $name.hbc equals disasm $src"
  else
    no "disasm $name.hbc equals disasm $src (exit $rc)"
  fi
  if grep -qF "version $v1" "$tmp/from_play"; then ok "the listing of $name names its version"; else
    head -1 "$tmp/from_play" > "$tmp/out"; no "the listing of $name names its version"; fi
done

# ---- damaged bytecode is refused ----

src=workflows/refund_approval/refund_approval.play
[ -f "$src" ] || src=$(echo $sources | cut -d' ' -f1)
if ! "$h" build "$src" -o "$tmp/good.hbc" > "$tmp/out" 2>&1 || [ ! -s "$tmp/good.hbc" ]; then
  no "build $src for the damaged-bytecode tests"
  plan
  exit 1
fi
size=$(wc -c < "$tmp/good.hbc" | tr -d ' ')

# refused DESCRIPTION FILE MESSAGE: disasm FILE exits 1 (no crash) naming the file and MESSAGE
refused() {
  "$h" disasm "$2" > "$tmp/out" 2>&1; rc=$?
  if [ "$rc" -eq 1 ] && grep -qF -- "$2" "$tmp/out" && grep -qF -- "$3" "$tmp/out"; then
    ok "$1 is refused: $(head -1 "$tmp/out")"
  else
    echo "# exit $rc, wanted 1 with '$3'" >> "$tmp/out"
    no "$1 is refused"
  fi
}

for cut in 0 3 8 100 $((size / 2)) $((size - 4)) $((size - 1)); do
  head -c "$cut" "$tmp/good.hbc" > "$tmp/cut-$cut.hbc"
done
refused "an empty .hbc" "$tmp/cut-0.hbc" "not Huddle bytecode"
refused "a 3-byte .hbc" "$tmp/cut-3.hbc" "not Huddle bytecode"
for cut in 8 100 $((size / 2)) $((size - 4)) $((size - 1)); do
  refused "a .hbc cut to $cut of $size bytes" "$tmp/cut-$cut.hbc" "corrupt bytecode"
done
cp "$tmp/good.hbc" "$tmp/long.hbc"; printf 'x' >> "$tmp/long.hbc"
refused "a .hbc with a stray byte at the end" "$tmp/long.hbc" "stray bytes"

# Where the code is: after the header, the source name, the source and the constants
# (lang/bytecode/bytecode.c, bc_write). flip.py FILE OUT WHAT flips one byte of the first
# instruction: its opcode (0x5A ^) or the top byte of its operand.
cat > "$tmp/flip.py" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
at = 4 + 4 * 6
for _ in range(2):                      # source name, source
    (n,) = struct.unpack_from("<I", data, at); at += 4 + n
(consts,) = struct.unpack_from("<I", data, at); at += 4
for _ in range(consts):
    t = data[at]; at += 1
    if t == 1: at += 1                  # bool
    elif t in (2, 3, 4, 6): at += 8     # int, float, duration, time
    elif t == 5: at += 9                # business
    elif t == 7:                        # string
        (n,) = struct.unpack_from("<I", data, at); at += 4 + n
(count,) = struct.unpack_from("<I", data, at); at += 4
assert count > 0
if sys.argv[3] == "opcode":
    data[at] ^= 0x5A
else:
    data[at + 3] ^= 0x80
open(sys.argv[2], "wb").write(data)
PY
if python3 "$tmp/flip.py" "$tmp/good.hbc" "$tmp/opcode.hbc" opcode 2> "$tmp/out"; then
  refused "a .hbc with a flipped opcode byte" "$tmp/opcode.hbc" "invalid bytecode"
else
  no "could not find the code in the .hbc"
fi
if python3 "$tmp/flip.py" "$tmp/good.hbc" "$tmp/operand.hbc" operand 2> "$tmp/out"; then
  refused "a .hbc with a flipped operand byte" "$tmp/operand.hbc" "invalid bytecode"
fi
printf 'HBC\0\002\0\0\0' > "$tmp/future.hbc"
refused "a .hbc of another format version" "$tmp/future.hbc" "format 2"
cp "$src" "$tmp/text.hbc"
refused "a playbook named .hbc" "$tmp/text.hbc" "not Huddle bytecode"
for seed in 1 2 3; do
  python3 -c 'import random, sys; random.seed(int(sys.argv[1])); sys.stdout.buffer.write(b"HBC\0\1\0\0\0" + bytes(random.getrandbits(8) for _ in range(4096)))' "$seed" > "$tmp/noise.hbc"
  "$h" disasm "$tmp/noise.hbc" > "$tmp/out" 2>&1; rc=$?
  if [ "$rc" -eq 1 ]; then ok "random bytes after an HBC header are refused (seed $seed)"; else
    echo "# exit $rc" >> "$tmp/out"; no "random bytes after an HBC header are refused (seed $seed)"; fi
done
expect "a missing .hbc is refused" 1 "$h" disasm "$tmp/nope.hbc"
has "a missing .hbc is named" "nope.hbc"

# ---- build refuses what the checker refuses ----

bad=tests/lang/invalid/arithmetic_on_null.play
[ -f "$bad" ] || bad=$(ls tests/lang/invalid/*.play | head -1)
expect "build of a playbook with errors exits 1" 1 "$h" build "$bad" -o "$tmp/bad.hbc"
has "its diagnostics are printed" "error:"
if [ ! -e "$tmp/bad.hbc" ]; then ok "no .hbc is written for it"; else no "no .hbc is written for it"; fi
expect "disasm of a playbook with errors exits 1" 1 "$h" disasm "$bad"
expect "build with no file is a usage error" 2 "$h" build
expect "build with two files is a usage error" 2 "$h" build "$src" "$src"
expect "disasm with no file is a usage error" 2 "$h" disasm
expect "build -o with no value is a usage error" 2 "$h" build "$src" -o
has "(saying -o needs a value, not that -o is unexpected)" "-o needs a value"
expect "check --connectors with no value is a usage error" 2 "$h" check "$src" --connectors
has "(saying it needs a value, not that it is unknown)" "--connectors needs a value"
expect "graph --instance with no value is a usage error" 2 "$h" graph "$src" --instance
has "(saying it needs a value)" "--instance needs a value"
cp "$src" "$tmp/default.play"
expect "build without -o writes NAME.hbc beside the playbook" 0 "$h" build "$tmp/default.play"
if [ -s "$tmp/default.hbc" ]; then ok "the default output is there"; else no "the default output is there"; fi

# An output that can't be written is a system error (exit 3) that names the file and why,
# as huddle's other messages do.
expect "build to a folder that does not exist exits 3" 3 "$h" build "$tmp/default.play" -o "$tmp/no/such/dir/x.hbc"
has "build says it can't write the output" "huddle: can't write $tmp/no/such/dir/x.hbc: No such file or directory"
expect "graph to a folder that does not exist exits 3" 3 "$h" graph "$tmp/default.play" -o "$tmp/no/such/dir/x.dot"
has "graph says it can't write the output" "huddle: can't write $tmp/no/such/dir/x.dot: No such file or directory"
# The version is of the source and the file's name, not of the path it was given by: the
# same file built from another folder, or by its absolute path, is the same version.
mkdir -p "$tmp/elsewhere"
cp "$tmp/default.play" "$tmp/elsewhere/default.play"
v1=$("$h" build "$tmp/default.play" -o "$tmp/v1.hbc" | sed 's/.*version //')
v2=$("$h" build "$tmp/elsewhere/default.play" -o "$tmp/v2.hbc" | sed 's/.*version //')
v3=$(cd "$tmp/elsewhere" && "$h" build default.play -o "$tmp/v3.hbc" | sed 's/.*version //')
if [ -n "$v1" ] && [ "$v1" = "$v2" ] && [ "$v2" = "$v3" ] && cmp -s "$tmp/v1.hbc" "$tmp/v3.hbc"; then
  ok "the same file from three paths is one version, byte for byte"
else
  no "the same file from three paths is one version ($v1 / $v2 / $v3)"
fi
# A .hbc given where a playbook goes is said to be one, in one error (it was read as source:
# an error for every byte of it).
for cmd in check deploy; do
  if [ $cmd = deploy ]; then set -- --db "$tmp/hbcstore"; else set --; fi
  expect "$cmd of a .hbc exits 1" 1 "$h" $cmd "$tmp/v1.hbc" "$@"
  has "saying it is bytecode and what to give instead" "v1.hbc is compiled Huddle bytecode (what huddle build writes), not a playbook: give the .play file it was built from"
  if [ "$(grep -ac 'error:' "$tmp/out")" = 1 ]; then ok "in one error"; else no "in one error"; fi
done
set --
plan
