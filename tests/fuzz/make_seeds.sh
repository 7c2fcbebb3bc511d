#!/bin/sh
# make_seeds.sh - seed inputs for the binary fuzz targets, made from the repository's
# playbooks.
#
#   sh tests/fuzz/make_seeds.sh [TARGET]      (HUDDLE=path/to/huddle, default bin/huddle)
#
# fuzz_bytecode (the default TARGET): build/fuzz/seeds-fuzz_bytecode/ gets the
# `huddle build` output of every workflows/*/*.play and tests/lang/{run,warn}/*.play. Each
# .hbc embeds its playbook's text for listings, which makes most of them larger than
# the fuzzer's -max_len (8192 in tests/fuzz/run.sh), and a cut .hbc is only ever
# refused; so each seed is also written with the source text and name emptied
# (NAME.nosrc.hbc), which the loader accepts just the same.
#
# Other targets have no generated seeds: the script does nothing for them. It is run by
# tests/fuzz/run.sh before each target's corpus is built; the seeds are regenerated
# every time, so they follow the compiler.
set -u
cd "$(dirname "$0")/../.." || exit 2
target=${1:-fuzz_bytecode}
[ "$target" = fuzz_bytecode ] || exit 0

huddle=${HUDDLE:-bin/huddle}
out=build/fuzz/seeds-$target
if [ ! -x "$huddle" ]; then
    echo "make_seeds.sh: $huddle not built (run make first); $target gets no seeds" >&2
    exit 0
fi
rm -rf "$out"
mkdir -p "$out"

count=0
for src in workflows/*/*.play tests/lang/run/*.play tests/lang/warn/*.play; do
    [ -f "$src" ] || continue
    name=$(printf '%s' "${src%.play}" | tr '/' '_')
    if ! "$huddle" build "$src" -o "$out/$name.hbc" > /dev/null 2>&1; then
        echo "make_seeds.sh: $src does not build; skipped" >&2
        rm -f "$out/$name.hbc"
        continue
    fi
    count=$((count + 1))
done

# The header is "HBC\0" and six u32s, then the source name and the source, each a u32
# length and bytes (lang/bytecode/bytecode.c, bc_write): write both as empty.
python3 - "$out" <<'PY'
import os, struct, sys
out = sys.argv[1]
for name in sorted(os.listdir(out)):
    if not name.endswith(".hbc") or name.endswith(".nosrc.hbc"):
        continue
    data = open(os.path.join(out, name), "rb").read()
    at = 4 + 4 * 6
    (n,) = struct.unpack_from("<I", data, at)
    (m,) = struct.unpack_from("<I", data, at + 4 + n)
    rest = data[at + 4 + n + 4 + m:]
    small = data[:at] + struct.pack("<II", 0, 0) + rest
    open(os.path.join(out, name[:-4] + ".nosrc.hbc"), "wb").write(small)
PY
echo "make_seeds.sh: $count programs in $out ($(ls "$out" | wc -l | tr -d ' ') files)" >&2
