#!/bin/sh
# run.sh - runs the libFuzzer targets built by `make fuzz`, one after the other.
#
#   sh tests/fuzz/run.sh SECONDS TARGET...
#
# For each TARGET (a binary build/fuzz/TARGET):
#   - builds the seed corpus build/fuzz/corpus-TARGET/. Targets that read playbook text
#     (PLAYBOOK_TARGETS below) get copies of tests/lang/**/*.play, workflows/*/*.play,
#     stdlib/*.play and every ```play / ```play-invalid block of docs/*.md. Any target
#     also gets the files of tests/fuzz/seeds-TARGET/ and build/fuzz/seeds-TARGET/ when
#     they exist; tests/fuzz/make_seeds.sh TARGET fills the latter first (this is how
#     binary-input targets such as fuzz_bytecode are seeded, with `huddle build`
#     outputs). The sources are only read; the corpus keeps what earlier runs found.
#   - runs it for SECONDS with -timeout=10 -rss_limit_mb=2048 -max_len=8192 and a
#     dictionary (tests/fuzz/TARGET.dict if present, else tests/fuzz/huddle.dict for
#     playbook targets). Findings (crash-, leak-, timeout-, oom- files) go to
#     build/fuzz/findings-TARGET/, the log to build/fuzz/TARGET.log.
#   - prints one line: ok with runs, coverage and corpus size, or what it found.
#
# Exit status: 0 when every target ran clean; 1 when any target found a crash, leak,
# timeout or out-of-memory (or could not run); 2 on a usage error.
set -u

PLAYBOOK_TARGETS=${PLAYBOOK_TARGETS:-"fuzz_front fuzz_lexer fuzz_parse fuzz_check fuzz_compile fuzz_run"}

if [ $# -lt 2 ]; then
    echo "usage: sh tests/fuzz/run.sh SECONDS TARGET..." >&2
    exit 2
fi
seconds=$1
shift
case $seconds in
    ''|*[!0-9]*) echo "run.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;;
esac

# Run from the repository root whatever the caller's directory.
cd "$(dirname "$0")/../.." || exit 2
out=build/fuzz
mkdir -p "$out"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

is_playbook_target() {
    for t in $PLAYBOOK_TARGETS; do
        [ "$t" = "$1" ] && return 0
    done
    return 1
}

# Copies one file into the corpus under a name made from its path.
seed_file() { # corpus src
    name=$(printf '%s' "$2" | tr '/' '_')
    cp "$2" "$1/seed-$name"
}

# Writes each ```play or ```play-invalid block of a Markdown file as its own seed.
seed_doc_blocks() { # corpus file.md
    base=$(printf '%s' "$2" | tr '/' '_')
    awk -v dir="$1" -v base="$base" '
        /^```play(-invalid)?[ \t]*$/ { n++; file = sprintf("%s/seed-%s-%03d.play", dir, base, n); inside = 1; next }
        inside && /^```/             { inside = 0; close(file); next }
        inside                       { print > file }
    ' "$2"
}

build_corpus() { # target corpus
    mkdir -p "$2"
    if is_playbook_target "$1"; then
        find tests/lang -name '*.play' -type f 2>/dev/null | sort | while read -r f; do
            seed_file "$2" "$f"
        done
        for f in workflows/*/*.play stdlib/*.play; do
            [ -f "$f" ] && seed_file "$2" "$f"
        done
        for f in docs/*.md; do
            [ -f "$f" ] && seed_doc_blocks "$2" "$f"
        done
    fi
    # Generated seeds (build/fuzz/seeds-TARGET/, see tests/fuzz/make_seeds.sh).
    [ -f tests/fuzz/make_seeds.sh ] && sh tests/fuzz/make_seeds.sh "$1"
    for dir in "tests/fuzz/seeds-$1" "$out/seeds-$1"; do
        [ -d "$dir" ] || continue
        for f in "$dir"/*; do
            [ -f "$f" ] && cp "$f" "$2/seed-$(basename "$f")"
        done
    done
}

status=0
for target in "$@"; do
    bin=$out/$target
    if [ ! -x "$bin" ]; then
        echo "$target: FAILED: $bin not built (make fuzz builds it)"
        status=1
        continue
    fi
    corpus=$out/corpus-$target
    findings=$out/findings-$target
    log=$out/$target.log
    mkdir -p "$findings"
    build_corpus "$target" "$corpus"
    seeds=$(ls "$corpus" | wc -l | tr -d ' ')

    dict=""
    if [ -f "tests/fuzz/$target.dict" ]; then
        dict="-dict=tests/fuzz/$target.dict"
    elif is_playbook_target "$target" && [ -f tests/fuzz/huddle.dict ]; then
        dict="-dict=tests/fuzz/huddle.dict"
    fi

    # shellcheck disable=SC2086
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$findings/" $dict "$corpus" >"$log" 2>&1
    rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+' "$log" | sed -n 's/.* cov: \([0-9]*\).*/\1/p' | tail -n 1)
    files=$(ls "$corpus" | wc -l | tr -d ' ')
    # libFuzzer names each finding as it writes it: crash-, leak-, timeout-, oom-.
    found=$(sed -n 's/.*Test unit written to //p' "$log" | grep -E '/(crash|leak|timeout|oom)-' | tr '\n' ' ' | sed 's/ $//')

    if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
        echo "$target: ok: ${runs:-?} runs in ${seconds}s, cov ${cov:-?}, corpus $files files ($seeds before)"
        continue
    fi
    status=1
    kind=$(sed -n 's/^SUMMARY: //p' "$log" | head -n 1)
    [ -z "$kind" ] && kind=$(grep -m 1 -E 'ERROR: |runtime error:|out-of-memory|deadly signal' "$log" | sed 's/^==[0-9]*== *//')
    [ -z "$kind" ] && kind="exit status $rc"
    if [ -n "$found" ]; then
        echo "$target: FOUND: $kind; input: $found; log: $log"
    else
        echo "$target: FAILED: $kind; log: $log"
    fi
done
exit $status
