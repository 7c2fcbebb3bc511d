#!/bin/sh
# tests/e2e/check_many_fns.sh - the checker's memory grows with the number of fns, not
# with its square: its recursion search used a stack as long as the fns for each fn it
# started from (16,000 fns: 2 GB and 10 s; now one stack: about 20 MB, 50 MB under the
# sanitizers). A playbook of 16,000 small fns is checked, a recursive pair among them
# still found, and the checker's peak memory (its maximum resident set) stays under
# 400 MB. TAP lines.
set -u
. "$TOP/tests/e2e/lib.sh"

python3 - "$tmp/many.play" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("playbook many\n\non src.ev as ev\n\n")
    for i in range(16000):
        f.write("fn f%d(a) = a + %d\n" % (i, i))
    f.write("fn ping(a) = pong(a)\nfn pong(a) = ping(a)\n")
    f.write('\nstate s {\n  note "{f15999(1)}"\n  done "ok"\n}\n')
PY
python3 - "$h" "$tmp/many.play" > "$tmp/out" 2>&1 <<'PY'
import json, resource, subprocess, sys
r = subprocess.run([sys.argv[1], "check", sys.argv[2]], capture_output=True, text=True)
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(json.dumps({"rc": r.returncode, "peak_mb": peak_mb, "out": r.stdout + r.stderr}))
PY
json "16,000 fns and a recursive pair: refused for the pair (exit 1)" 'j["rc"] == 1'
json "  the pair is found" '"fn '"'"'ping'"'"' calls itself, directly or through other fns" in j["out"]'
json "  in less than 400 MB" 'j["peak_mb"] < 400'
plan
