#!/bin/sh
# e2e_hlog.sh — bin/loadgen --hlog read by an implementation nobody here
# wrote: hdr-histogram-js (npm, installed by `make deps-test` into
# build/npm) decodes every line, and the count, max and p50/p90/p99/p99.9
# agree with the same run's --json (tests/hlog_check.js), open loop over a
# --mix and closed loop at another --hlog-interval, against bin/server.
#   SERVER=bin/server LOADGEN=bin/loadgen NODE_MODULES=build/npm/node_modules tests/e2e_hlog.sh
set -u
LOADGEN=${LOADGEN:-bin/loadgen}
NODE_MODULES=${NODE_MODULES:-build/npm/node_modules}
NAME=e2e_hlog . "$(dirname "$0")/e2e_lib.sh"
agrees() { # agrees HLOG JSON LINES: hdr-histogram-js agrees with bin/loadgen
    NODE_PATH=$NODE_MODULES node tests/hlog_check.js "$@" > "$T/check.out" 2>&1
    rc=$?
    sed 's/^/    /' "$T/check.out"
    return $rc
}

if ! command -v node >/dev/null || [ ! -d "$NODE_MODULES/hdr-histogram-js" ]; then
    echo "[  SKIPPED ] e2e_hlog: node or $NODE_MODULES/hdr-histogram-js missing (make deps-test)"
    exit 0
fi
start_server "$T" --model node || exit 1
URL=http://127.0.0.1:$PORT

# Open loop, two paths: 3 intervals x (1 untagged + 2 tagged) lines.
"$LOADGEN" -t1 -c8 -R 2000 -d3s --mix '/hello:3,/io?ms=2:1' --hlog "$T/open.hlog" --json \
    "$URL/" > "$T/open.json"
check "open loop over a mix: loadgen exits 0" test $? = 0
check "hdr-histogram-js reads every line and agrees (open loop, per path)" \
    agrees "$T/open.hlog" "$T/open.json" 9
check "the log starts with HistogramLogWriter's header lines" sh -c \
    "sed -n 2p '$T/open.hlog' | grep -qx '#\[Histogram log format version 1.3\]' &&
     sed -n 3p '$T/open.hlog' | grep -Eq '^#\[StartTime: [0-9]+\.[0-9]{3} \(seconds since epoch\), ' &&
     sed -n 5p '$T/open.hlog' | grep -qx '\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"'"

# Closed loop, half-second intervals: 4 lines of one path and 4 untagged.
"$LOADGEN" -t1 -c4 -d2s --hlog-interval 500ms --hlog "$T/closed.hlog" --json \
    "$URL/hello" > "$T/closed.json"
check "closed loop: loadgen exits 0" test $? = 0
check "hdr-histogram-js reads every line and agrees (closed loop, 500 ms intervals)" \
    agrees "$T/closed.hlog" "$T/closed.json" 8

[ "$failed" = 0 ] || { echo "e2e_hlog: $failed failed"; exit 1; }
echo "e2e_hlog: all passed"
