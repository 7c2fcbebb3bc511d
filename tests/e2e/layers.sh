#!/bin/sh
# tests/e2e/layers.sh - the layer rule holds: an include that runs the wrong way between
# the folders is a compile error (docs/internals.md, the Makefile's "layers" section).
# Prints TAP lines.
#
# Each case takes a real source file of a folder (the first .c there), compiles it
# as it is with the exact include flags the Makefile gives that folder (`make -s
# print-includes FILE=...`), which must succeed, then a copy with one include added on
# top, which must fail saying why: "No such file" / "not found" for a header outside the
# folder's paths, or the #error of build/forbidden/ ("is not for this layer") for a
# library the layer may not use. An allowed arrow added the same way still compiles, so
# the failures come from the rule and not from the copying.
set -u
. "$TOP/tests/e2e/lib.sh"
cc=${CC:-cc}

# flags FILE: the Makefile's include flags for FILE (make's environment left out, so a
# `make test` above does not hand its jobserver down).
flags() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory print-includes FILE="$1" 2> "$tmp/out"
}

# compile FILE FLAGS...: a syntax-only compile as the Makefile would, into $tmp/out.
compile() {
  file=$1; shift
  "$cc" -std=c11 -D_GNU_SOURCE "$@" -fsyntax-only "$file" > "$tmp/out" 2>&1
}

# arrow FOLDER INCLUDE EXPECT: FOLDER's first .c compiles as it is and fails with INCLUDE
# added, printing EXPECT (an extended regular expression); EXPECT "" means it compiles.
arrow() {
  folder=$1 include=$2 expect=$3
  src=$(ls "$folder"/*.c 2>/dev/null | head -1)
  if [ -z "$src" ]; then
    echo "no .c file in $folder" > "$tmp/out"; no "$folder has a source file to try"; return
  fi
  if ! inc=$(flags "$src") || [ -z "$inc" ]; then no "make print-includes FILE=$src"; return; fi
  case " $tried " in
    *" $src "*) ;;
    *) tried="$tried $src"
       # shellcheck disable=SC2086 # the flags are words
       if compile "$src" $inc; then ok "$src compiles as it is with its folder's flags"
       else no "$src compiles as it is with its folder's flags ($inc)"; return; fi ;;
  esac
  copy=$tmp/$(basename "$src")
  { echo "$include"; echo "#line 1 \"$src\""; cat "$src"; } > "$copy"
  # shellcheck disable=SC2086
  compile "$copy" $inc
  rc=$?
  if [ -z "$expect" ]; then
    if [ "$rc" -eq 0 ]; then ok "$folder may have $include"; else no "$folder may have $include"; fi
  elif [ "$rc" -ne 0 ] && grep -Eq -- "$expect" "$tmp/out"; then
    ok "$folder may not have $include: $(grep -Eo -- "$expect" "$tmp/out" | head -1)"
  else
    echo "(exit $rc; wanted a failure saying /$expect/)" >> "$tmp/out"
    no "$folder may not have $include"
  fi
}

missing() { # the compiler's words for a header that is not on the paths
  echo "$1('|\")?(: No such file or directory| file not found)"
}
forbidden="is not for this layer"
tried=""

arrow runtime/vm '#include "store.h"' "$(missing store.h)"
arrow runtime/vm '#include "directory.h"' "$(missing directory.h)"
arrow runtime/people '#include "engine.h"' "$(missing engine.h)"
arrow runtime/cli '#include "store.h"' "$(missing store.h)"
arrow runtime/engine '#include <lmdb.h>' "lmdb.h $forbidden"
arrow runtime/engine '#include <curl/curl.h>' "curl.h $forbidden"
arrow lang '#include "engine.h"' "$(missing engine.h)"
arrow lang/check '#include <jansson.h>' "jansson.h $forbidden"
arrow lang/base '#include "ast.h"' "$(missing ast.h)"
arrow runtime/connectors '#include "store.h"' "$(missing store.h)"
arrow runtime/connectors '#include "engine.h"' "$(missing engine.h)"
arrow runtime/connectors '#include "cli.h"' "$(missing cli.h)"
arrow runtime/connectors '#include <lmdb.h>' "lmdb.h $forbidden"
arrow runtime/connectors '#include <curl/curl.h>' ""
arrow runtime/connectors '#include <microhttpd.h>' ""
arrow runtime/cli '#include <microhttpd.h>' "microhttpd.h $forbidden"
arrow runtime/connectors '#include "text.h"' ""
arrow runtime/connectors '#include <jansson.h>' ""
arrow runtime/cli '#include "connectors_file.h"' ""
arrow runtime/engine '#include "connectors_file.h"' ""
arrow runtime/people '#include "connectors_file.h"' "$(missing connectors_file.h)"
arrow runtime/cli '#include "engine.h"' ""
arrow runtime/engine '#include "store.h"' ""
arrow runtime/store '#include <lmdb.h>' ""
plan
