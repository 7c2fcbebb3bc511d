# tests/crash/tools.sh - sourced by the crash wrappers in tests/e2e/: which build of the
# tools in tests/crash/*.c goes with $HUDDLE (`make test` builds both).
#
#   crash_tools NAME...   sets tool_NAME to build/asan/tools/NAME for the ASan huddle,
#                         else build/rel/tools/NAME (STORE_INVARIANTS overrides
#                         store_invariants); when one is missing, prints a `not ok` line
#                         and the plan, and returns 1.
crash_tools() {
  case $HUDDLE in
    */build/asan/*) tools_dir=$TOP/build/asan/tools ;;
    *) tools_dir=$TOP/build/rel/tools ;;
  esac
  for tool in "$@"; do
    path=$tools_dir/$tool
    [ "$tool" = store_invariants ] && path=${STORE_INVARIANTS:-$path}
    if [ ! -x "$path" ]; then
      echo "not ok 1 - $path is built (make ${path#"$TOP"/})"
      echo "1..1"
      return 1
    fi
    eval "tool_$tool=\$path"
  done
}

# invariants_hold STORE...: one TAP line a store, passing when store_invariants (set by
# `crash_tools store_invariants`) finds no violation in it: the records agree with each
# other, and meta's gauges with the records they count. Sourced after tests/e2e/lib.sh.
invariants_hold() {
  for store in "$@"; do
    expect "the invariants hold in $(basename "$store"), gauges and all" 0 "$tool_store_invariants" "$store"
  done
}
