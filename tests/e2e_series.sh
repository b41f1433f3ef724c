#!/bin/sh
# e2e_series.sh — bin/bench's per-second time series end to end: a server
# stopped (SIGSTOP) for 1 s in the middle of an open-loop run shows in
# NAME.series.csv as a second with almost no answers followed by a second
# whose p99 and max are about the stall (corrected latency); the report
# draws the series; a CSV without its series file is reported, not a crash.
#   BENCH=bin/bench SERVER=bin/server LOADGEN=bin/loadgen tests/e2e_series.sh
set -u
. "$(dirname "$0")/e2e_lib.sh"

# --- the stall: 6 s at 400 req/s after a 500 ms warm-up; the server is
# stopped from 2.05 s to 3.05 s of bin/loadgen's window, counted from when
# bin/loadgen appears (it starts its warm-up within milliseconds), so the
# second [2, 3) has almost no answers whatever the shell's own delays.
$BENCH run --out "$T/a.csv" --scenarios tests/scenarios tests/scenarios/stall.ini > "$T/run.out" 2>&1 &
pid=$!
loadgen=
for _ in $(seq 1 500); do # bin/bench's calibration and the server's start: up to 10 s
    loadgen=$(pgrep -P $pid -f -- ' --series ' | head -1)
    [ -n "$loadgen" ] && break
    sleep 0.02
done
server=$(pgrep -P $pid -f -- '--model node ' | head -1)
if [ -n "$loadgen" ] && [ -n "$server" ]; then
    sleep 2.55 # the warm-up (0.5 s), then 2.05 s of the window
    kill -STOP "$server"
    sleep 1
    kill -CONT "$server"
fi
wait $pid
rc=$?
check "the run found its server and bin/loadgen to stop" test -n "$loadgen" -a -n "$server"
check "run exits 0" test $rc = 0
S="$T/a.series.csv"
check "NAME.series.csv is published beside NAME.csv" test -f "$S" -a ! -e "$S.partial"
check "its header is the documented one" test "$(head -1 "$S")" = \
    "run_id,scenario,model,connections,repeat,second,rps,errors,timeouts,p50_us,p99_us,max_us,server_cpu_s,server_rss_kb"
check "a row per second of the 6 s window" test "$(tail -n +2 "$S" | wc -l)" = 6
check "rows joined by run_id, scenario, model, connections, repeat" awk -F, \
    'NR > 1 && ($1 != "a" || $2 != "stall" || $3 != "node" || $4 != 4 || $5 != 1) { bad = 1 } END { exit bad }' "$S"
check "every second has the server's RSS and a CPU figure" awk -F, \
    'NR > 1 && ($14 <= 0 || $13 == "nan" || $13 < 0) { bad = 1 } END { exit bad }' "$S"
# The stopped second: at most 25% of the rate (the stall covers 95% of
# it); the seconds away from the stall near the rate (75%: bin/loadgen
# sends on schedule, so only a stall or a lost second falls below).
check "the stopped second [2, 3) has almost no answers" awk -F, \
    'NR > 1 && $6 == 2 { found = 1; if ($7 > 0.25 * 400) bad = 1 } END { exit bad || !found }' "$S"
check "the seconds away from the stall are served at the rate" awk -F, \
    'NR > 1 && ($6 == 0 || $6 == 5) && $7 < 0.75 * 400 { bad = 1 } END { exit bad }' "$S"
# Corrected latency: the requests due while it was stopped waited up to
# the stall's 1 s; 0.8 s allows for the shell's timing of SIGSTOP/SIGCONT.
check "the second it resumed in has p99 and max of about the stall (>= 0.8 s)" awk -F, \
    'NR > 1 && $6 == 3 { found = 1; if ($11 < 800000 || $12 < 800000) bad = 1 } END { exit bad || !found }' "$S"
check "the seconds before the stall have no such latency (< 0.5 s)" awk -F, \
    'NR > 1 && $6 <= 1 && $12 >= 500000 { bad = 1 } END { exit bad }' "$S"

# --- the report draws it
$BENCH report --scenarios tests/scenarios "$T/a.csv" > "$T/report.out" 2>&1
check "report exits 0" test $? = 0
check "report has the time series' small multiples" sh -c \
    "grep -q '<h3>Over time</h3>' '$T/a.html' && test \$(grep -c '<svg' '$T/a.html') -ge 4"
check "report states the drift rule" grep -q 'drifted</em> when' "$T/a.html"

# --- a CSV without its series file: said, not a crash
cp "$T/a.csv" "$T/b.csv"
$BENCH report --scenarios tests/scenarios "$T/b.csv" > "$T/b.out" 2>&1
check "report of a CSV without NAME.series.csv exits 0" test $? = 0
check "... and says the series is missing" sh -c \
    "grep -q 'No time series' '$T/b.html' && grep -q 'b.series.csv' '$T/b.out'"
printf 'run_id,oops\n' > "$T/c.series.csv"
cp "$T/a.csv" "$T/c.csv"
$BENCH report --scenarios tests/scenarios "$T/c.csv" > "$T/c.out" 2>&1
check "a malformed series file: report exits 0 and names the file" sh -c \
    "test $? = 0 && grep -q 'c.series.csv:1' '$T/c.out'"

# --- an existing series file is never overwritten
printf 'keep\n' > "$T/d.series.csv"
$BENCH run --out "$T/d.csv" --scenarios tests/scenarios tests/scenarios/stall.ini > "$T/d.out" 2>&1
check "a run whose NAME.series.csv exists is refused" sh -c \
    "test $? != 0 && grep -q 'never overwritten' '$T/d.out' && test \"\$(cat '$T/d.series.csv')\" = keep"

[ $failed = 0 ] && echo "e2e_series: all passed" || echo "e2e_series: $failed FAILED"
[ $failed = 0 ]
