#!/bin/sh
# e2e_capacity.sh — `bin/bench capacity` end to end on /io?ms=20 at 8
# connections with p99 <= 50 ms: node, uvicorn and gunicorn-sync (2
# workers) have capacities whose ratios match Little's law within 20%
# (8 / 20 ms for the event loops, 2 / 20 ms for the sync workers); one
# NAME:capacity row per model; capacity(MODEL) in claims; bars in the
# report; a goal no rate meets gives capacity 0, not a crash; a goal that
# does not parse is an error naming it. About 2 minutes of load.
#   BENCH=bin/bench SERVER=bin/server LOADGEN=bin/loadgen tests/e2e_capacity.sh
set -u
. "$(dirname "$0")/e2e_lib.sh"
S=tests/scenarios/io-capacity.ini

# --- a goal that does not parse, and one in a scenario: errors that name it
$BENCH capacity --slo 'p99<=soon' "$S" > "$T/bad.out" 2>&1
check "a bad --slo exits 2" test $? = 2
check "... naming the flag, the goal and the column" grep -q "^bench: --slo 'p99<=soon': column 6:" "$T/bad.out"
sed 's/^slo .*/slo = p99 <= 50/' "$S" > "$T/badslo.ini"
$BENCH capacity --out "$T/x.csv" "$T/badslo.ini" > "$T/badslo.out" 2>&1
check "a bad slo key exits 2, naming file:line:column" grep -q "badslo.ini:15:14: slo 'p99 <= 50'" "$T/badslo.out"
grep -v '^slo' "$S" > "$T/noslo.ini"
$BENCH capacity --out "$T/y.csv" "$T/noslo.ini" > "$T/noslo.out" 2>&1
check "a scenario without a goal and no --slo: refused, saying so" sh -c \
    "test $? = 2 && grep -q 'has no slo key; give --slo' '$T/noslo.out'"

# --- the search: from 50/s, doubling, then bisecting to 5%
started=$(date +%s)
$BENCH capacity --from 50 --out "$T/a.csv" "$S" > "$T/run.out" 2>&1
check "capacity exits 0" test $? = 0
cat "$T/run.out"
echo "the three searches took $(($(date +%s) - started)) s"
check "one capacity row per model" test \
    "$(awk -F, 'NR > 1 && $7 == "io-capacity:capacity"' "$T/a.csv" | wc -l)" = 3
check "each search stepped more than twice (grew, then bisected)" test \
    "$(grep -c ' step ' "$T/run.out")" -ge 9
cap() { awk -F, -v m="$1" 'NR > 1 && $7 == "io-capacity:capacity" && $8 == m { print $15 }' "$T/a.csv"; }
node=$(cap node) uvicorn=$(cap uvicorn) sync=$(cap gunicorn-sync)
echo "capacities: node $node, uvicorn $uvicorn, gunicorn-sync $sync req/s"
# Little's law: in flight / latency. The ratios carry the law; each rate
# is also below its bound (a search that ignored the goal would pass it).
within() { awk -v a="$1" -v b="$2" -v want="$3" 'BEGIN { r = a / b; exit !(b > 0 && r >= 0.8 * want && r <= 1.2 * want) }'; }
check "node / gunicorn-sync = 8 / 2 within 20%" within "$node" "$sync" 4
check "uvicorn / gunicorn-sync = 8 / 2 within 20%" within "$uvicorn" "$sync" 4
check "node / uvicorn = 8 / 8 within 20%" within "$node" "$uvicorn" 1
check "every capacity at or below connections / 20 ms" awk -v a="$node" -v b="$uvicorn" -v c="$sync" \
    'BEGIN { exit !(a <= 400 && b <= 400 && c <= 100 && c > 0) }'
check "each capacity row met the goal: p99 <= 50 ms, no errors" awk -F, \
    'NR > 1 && $7 ~ /:capacity$/ && ($29 > 50000 || $21 + $22 + $23 + $24 + $25 > 0) { bad = 1 } END { exit bad }' "$T/a.csv"
$BENCH claims --scenarios tests/scenarios "$T/a.csv" > "$T/claims.out" 2>&1
check "capacity(node) >= 3 * capacity(gunicorn-sync) holds on the models" sh -c \
    "grep -q '^io-capacity / loop-sustains' '$T/claims.out' && grep -q '^  model  \[holds\] ' '$T/claims.out'" ||
    cat "$T/claims.out"
$BENCH report --scenarios tests/scenarios "$T/a.csv" > "$T/report.out" 2>&1
check "the report draws the capacities as bars" sh -c \
    "grep -q 'Capacity at a latency goal' '$T/a.html' && grep -q 'io-capacity:capacity at p99&lt;=50ms' '$T/a.html'"

# --- a goal no rate meets: capacity 0, marked, not a crash
$BENCH capacity --slo 'p99<=5ms' --from 25 --models node --out "$T/b.csv" "$S" > "$T/below.out" 2>&1
check "a goal below the work's own latency: exits 0" test $? = 0
check "... after the lowest rate missed twice, a row of capacity 0" sh -c \
    "test \$(grep -c ' step .* misses the goal' '$T/below.out') = 2 && awk -F, 'NR == 2 { exit !(\$15 == 0) }' '$T/b.csv'"
check "... said as below the lowest rate" grep -q 'capacity at p99<=5ms: below 25 req/s' "$T/below.out"

[ $failed = 0 ] && echo "e2e_capacity: all passed" || echo "e2e_capacity: $failed FAILED"
[ $failed = 0 ]
