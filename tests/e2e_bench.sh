#!/bin/sh
# e2e_bench.sh — bin/bench end to end on a tiny scenario: the CSV's exact
# columns, .hgrm files, never overwriting, claims and their exit status,
# compare, report, bad files, a model that will not start, SIGINT (rows
# kept in .partial, no process left behind), a server killed mid-run, --peers
# (a real runtime beside its twin), and a full disk.
#   BENCH=bin/bench SERVER=bin/server LOADGEN=bin/loadgen tests/e2e_bench.sh
set -u
. "$(dirname "$0")/e2e_lib.sh"
# This run's processes carry its token in their environment, so another
# bench on the machine is never mistaken for one this test left behind.
export E2E_BENCH_RUN="$$.$(date +%s%N)"
ours() { # ours PATTERN: does a process of this run match PATTERN?
    for p in $(pgrep -f -- "$1"); do
        grep -qzx "E2E_BENCH_RUN=$E2E_BENCH_RUN" /proc/"$p"/environ 2>/dev/null && return 0
    done
    return 1
}
no_children() { ! ours "--cpu-calibration .* --graceful-timeout 3s"; }

HEADER='run_id,started_at,git_rev,host,cpu_model,cores,scenario,model,engine,processes,threads,gil,path,connections,target_rate,duration_s,repeat,requests,rps,bytes_per_s,err_connect,err_read,err_write,err_timeout,err_status,lat_mean_us,lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us,server_cpu_user_s,server_cpu_sys_s,server_rss_max_kb,server_threads_max,loadgen_cpu_s,server_cpus,loadgen_cpus,server_start_s,runtime_cost_us'

# --- run: 2 models x 2 levels x 2 repeats
$BENCH run --out "$T/a.csv" tests/scenarios/tiny.ini > "$T/run.out" 2>&1
check "run exits 0" test $? = 0
check "the CSV has docs/DESIGN.md's header" test "$(head -1 "$T/a.csv")" = "$HEADER"
check "one row per measurement (8)" test "$(tail -n +2 "$T/a.csv" | wc -l)" = 8
check "every row has 40 fields" test "$(tail -n +2 "$T/a.csv" | awk -F, '{print NF}' | sort -u)" = 40
check "no runtime cost without --calibration" awk -F, 'NR > 1 && $40 != 0 { bad = 1 } END { exit bad }' "$T/a.csv"
check "no .partial is left" test ! -e "$T/a.csv.partial"
check "one .hgrm per measurement" test "$(ls "$T"/a/*.r[0-9].hgrm | wc -l)" = 8
check "... and its uncorrected twin" test "$(ls "$T"/a/*.r[0-9].uncorrected.hgrm | wc -l)" = 8
check ".hgrm is HdrHistogram text" grep -Eq '^#\[Max += +[0-9.]+, Total count += +[0-9]+\]' "$T/a/tiny.node.c16.r1.hgrm"
check "gunicorn-sync: 2 x cores + 1 processes, summed RSS > 0" awk -F, -v c="$(nproc)" \
    '$8 == "gunicorn-sync" { if ($10 != 2 * c + 1 || $34 <= 0) bad = 1; n++ } END { exit bad || n != 4 }' "$T/a.csv"
check "node's rows: engine libuv, requests > 0, no errors" awk -F, \
    '$8 == "node" { if ($9 != "libuv" || $18 <= 0 || $21 + $22 + $23 + $24 + $25 > 0) bad = 1; n++ } END { exit bad || n != 4 }' "$T/a.csv"
if [ "$(nproc)" -ge 2 ]; then
    last=$(($(nproc) - 1))
    check "pinned apart: loadgen on the last core" awk -F, -v l="$last" \
        'NR > 1 && ($38 != l || $37 == l) { bad = 1 } END { exit bad }' "$T/a.csv"
fi
check "run.json records the run's C calibration and its spread" \
    sh -c "grep -q '\"c\": {' '$T/a/run.json' && grep -q '\"spread\": 0[.]' '$T/a/run.json'"
# Every environment key, each null one with its reason (python3: a JSON reader).
check "run.json has every environment field, a reason for each null one" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
e = d["environment"]
keys = "kernel cpu_model cores_online governor boost smt virtualization sys_vendor clocksource somaxconn tcp_max_syn_backlog nofile git_rev git_dirty versions absent".split()
libs = "libuv libevent llhttp jansson zlib node python3 gunicorn uvicorn flask fastapi uvloop".split()
missing = [k for k in keys if k not in e] + [l for l in libs if l not in e["versions"]]
nulls = [k for k in keys if e.get(k, 0) is None] + ["versions." + l for l in libs if e["versions"].get(l, 0) is None]
unexplained = [k for k in nulls if not e["absent"].get(k)]
assert not missing and not unexplained, (missing, unexplained)
assert e["cores_online"] >= 1 and e["nofile"]["soft"] and e["versions"]["libuv"] and e["versions"]["llhttp"]
assert isinstance(e["git_dirty"], bool) or e["git_rev"] is None
assert "pinning" in d and isinstance(d["warnings"], list)
' "$T/a/run.json"
check "every bin/server of the run was given the one calibration" \
    test "$(grep -o 'cpu work [0-9.]* iterations' "$T/a/run.log" | sort -u | wc -l)" = 1
check "bench says the calibration it gave" grep -q 'CPU work, c: .* given to every bin/server' "$T/run.out"
check "no server is left running" no_children

# --- warnings: a governor other than performance (a fake /sys), a shared core (pin = no)
mkdir -p "$T/sys/proc/sys/net/core"
for cpu in $(seq 0 $(($(nproc) - 1))); do
    mkdir -p "$T/sys/sys/devices/system/cpu/cpu$cpu/cpufreq"
    echo powersave > "$T/sys/sys/devices/system/cpu/cpu$cpu/cpufreq/scaling_governor"
done
echo 128 > "$T/sys/proc/sys/net/core/somaxconn"
sed 's/^\[scenario\]/&\npin = no/' tests/scenarios/tiny.ini > "$T/shared.ini"
SHOWDOWN_SYS_ROOT="$T/sys" $BENCH run --quick --models node --out "$T/w.csv" "$T/shared.ini" \
    > /dev/null 2> "$T/w.err"
check "a powersave governor: bench warns as google/benchmark does" \
    grep -q '^\*\*\*WARNING\*\*\* CPU scaling is enabled (governor powersave, not performance)' "$T/w.err"
check "pin = no: bench warns that the server and bin/loadgen share a core" \
    grep -q '^\*\*\*WARNING\*\*\* shared: the server (CPU .*) and bin/loadgen (CPU .*) share [0-9]* core(s) (pin = no)' "$T/w.err"
check "... both warnings in run.json, the governor and somaxconn read from the fake tree" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["warnings"]) == 2 and d["environment"]["governor"] == "powersave", d["warnings"]
assert d["environment"]["somaxconn"] == 128 and d["environment"]["clocksource"] is None
assert "clocksource" in d["environment"]["absent"]
' "$T/w/run.json"
check "a run on the real /sys, pinned apart, gives neither warning" \
    sh -c "! grep -q 'share' '$T/run.out' && (grep -q '\"governor\": \"performance\"' '$T/a/run.json' || ! grep -q 'CPU scaling' '$T/run.out')"

# --- never overwrite
sum=$(md5sum < "$T/a.csv")
$BENCH run --out "$T/a.csv" tests/scenarios/tiny.ini > "$T/again.out" 2>&1
check "an existing CSV is refused" test $? != 0
check "... and left as it was" test "$(md5sum < "$T/a.csv")" = "$sum"
check "... saying why" grep -q "never overwritten" "$T/again.out"

# --- claims
$BENCH claims --scenarios tests/scenarios "$T/a.csv" > "$T/claims.out"
check "claims exit 0 when no required claim fails" test $? = 0
# The two claims are rates of waits (/io?ms=5 at 16 connections), so wall
# time, and Little's law gives their figures: node serves all 16 at once
# (16 / 5 ms = 3200 req/s), gunicorn-sync one per worker, 2 x cores + 1 = 5
# on this machine (1000 req/s): x3.2. Holding at x1.5 leaves node half its
# rate to lose to a busy machine, while a loop that does not overlap waits
# (x1, or x0.2) fails it; the claim that must fail asks for the opposite at
# x2, which no noise gives a pool of 5 against a loop.
check "the claim that must hold holds on the models" \
    sh -c "grep -A5 '^tiny / loop-beats-sync' '$T/claims.out' | grep -q '^  model  \[holds\]'"
check "the claim that must fail fails on the models" \
    sh -c "grep -A5 '^tiny / sync-beats-loop' '$T/claims.out' | grep -q '^  model  \[fails\]'"
check "claims show the quote and the measured figures" grep -Eq '^  model  \[holds\] [0-9.]+k? req/s .*>=  [0-9.]+ × [0-9.]+k? req/s = ' "$T/claims.out" ||
    cat "$T/claims.out"
check "a run without --peers: the real verdict is not measured, with the package to install" \
    grep -q '^  real   \[not measured\] .*' "$T/claims.out"
check "... saying what to install" grep -q 'apt-get install nodejs\|apt-get install python3-gunicorn' "$T/claims.out"
# The two verdicts and what the pair means, without more load: the run's
# rows again as their real twins' (column 8 is the model), first alike,
# then with real-gunicorn-sync ten times as fast as its model.
awk -F, -v OFS=, 'NR > 1 && ($8 == "node" || $8 == "gunicorn-sync") { $8 = "real-" $8; print }' \
    "$T/a.csv" > "$T/twins.rows"
cat "$T/a.csv" "$T/twins.rows" > "$T/both.csv"
$BENCH claims --scenarios tests/scenarios "$T/both.csv" > "$T/both.out"
check "real twins alike: both verdicts hold, and the pair is the concurrency model's" \
    sh -c "grep -A8 '^tiny / loop-beats-sync' '$T/both.out' | grep -q '^  real   \[holds\] ' &&
        grep -A8 '^tiny / loop-beats-sync' '$T/both.out' | grep -q 'means:  both hold: the concurrency model explains it'"
awk -F, -v OFS=, '$8 == "real-gunicorn-sync" { $19 = $19 * 10 } { print }' "$T/twins.rows" \
    > "$T/fast.rows"
cat "$T/a.csv" "$T/fast.rows" > "$T/split.csv"
$BENCH claims --scenarios tests/scenarios "$T/split.csv" > "$T/split.out"
check "a real twin ten times faster: the model holds, the real one fails, and bench says the runtime decides" \
    sh -c "grep -A8 '^tiny / loop-beats-sync' '$T/split.out' | grep -q '^  real   \[fails\] ' &&
        grep -A8 '^tiny / loop-beats-sync' '$T/split.out' | grep -q \"the runtime's own cost, not the concurrency model, decides it; the article's reader sees the real one: fails\""
check "... and still exits 0: a real verdict is never required" \
    sh -c "$BENCH claims --scenarios tests/scenarios '$T/split.csv' > /dev/null"
mkdir "$T/sc"
sed 's/^quote    = a claim that must fail/&\nrequired = yes/' tests/scenarios/tiny.ini > "$T/sc/tiny.ini"
$BENCH claims --scenarios "$T/sc" "$T/a.csv" > /dev/null
check "claims exit 1 when a required claim fails" test $? = 1
$BENCH claims --markdown --scenarios tests/scenarios "$T/a.csv" > "$T/claims.md" 2>/dev/null
check "--markdown prints a table with both verdicts" \
    grep -q '^| \*\*holds\*\* (required) | \*\*not measured\*\* | tiny / loop-beats-sync |' "$T/claims.md"

# --- compare
$BENCH run --quick --out "$T/b.csv" tests/scenarios/tiny.ini > /dev/null 2>&1
$BENCH compare "$T/a.csv" "$T/b.csv" > "$T/compare.out"
check "compare exits 0 without --threshold" test $? = 0
check "compare lists the common level and the ratio" grep -Eq '^tiny +node +/io\?ms=5 +16 .* [0-9]+\.[0-9]{2} ' "$T/compare.out"
check "compare says what only one file has" grep -q 'only in A' "$T/compare.out"
# A copy with every rps halved: a regression beyond 10%, whose repeats do not overlap.
awk -F, -v OFS=, 'NR > 1 { $19 = $19 / 2 } { print }' "$T/a.csv" > "$T/slow.csv"
$BENCH compare --threshold 10% "$T/a.csv" "$T/slow.csv" > "$T/slow.out"
check "two repeats a side, halved: compare calls nothing, so --threshold exits 0" test $? = 0
check "... and says too few repeats to call it, on every figure" \
    grep -q '^too few repeats to call it: 8 of 8 figures .* --threshold cannot fail them' "$T/slow.out"
check "... marking each row, with its ratio still printed" \
    test "$(grep -Ec ' 0\.50 \[.*too few repeats \(2\+2\)' "$T/slow.out")" = 4
check "... and no row called slower" sh -c "! grep -Eq 'slower|REGRESSION' '$T/slow.out'"
# Four repeats a side from a.csv's two (each row again at +1%), and a copy
# 30% slower: the U test calls it (p = 2/70, the least 4+4 can give).
awk -F, -v OFS=, 'NR == 1 { print; next } { r = $17; for (k = 0; k < 2; k++) {
    $17 = 2 * (r - 1) + k + 1; $19 = $19 * (1 + 0.01 * k); print } }' "$T/a.csv" > "$T/a4.csv"
awk -F, -v OFS=, 'NR > 1 { $19 = $19 * 0.7 } { print }' "$T/a4.csv" > "$T/slow4.csv"
$BENCH compare "$T/a4.csv" "$T/slow4.csv" > "$T/slow4.out"
check "four repeats a side, 30% slower: the U test marks every row slower" \
    test "$(grep -c 'slower (p=0.029)' "$T/slow4.out")" = 4
check "... printing the ratio with its 95% interval" \
    grep -Eq '^tiny +node +/io\?ms=5 +16 .* 0\.70 \[0\.[0-9]{2},0\.[0-9]{2}\] ' "$T/slow4.out"
check "... and no word of too few repeats" sh -c "! grep -q 'too few' '$T/slow4.out'"
$BENCH compare --threshold 10% "$T/a4.csv" "$T/slow4.csv" > "$T/slow4t.out"
check "... and with --threshold 10% it exits 1" test $? = 1
check "... marking the regression" test "$(grep -c 'REGRESSION beyond 10%' "$T/slow4t.out")" = 4
# Runs as samples: four CSVs a side, each a run of a.csv's rows at +0..3%;
# B's 30% slower. A run's repeats say nothing here: each side has 2 a file.
for k in 0 1 2 3; do
    awk -F, -v OFS=, -v k=$k 'NR > 1 { $19 = $19 * (1 + 0.01 * k) } { print }' "$T/a.csv" > "$T/run$k.csv"
    awk -F, -v OFS=, 'NR > 1 { $19 = $19 * 0.7 } { print }' "$T/run$k.csv" > "$T/slowrun$k.csv"
done
$BENCH compare "$T/run0.csv" "$T/run1.csv" "$T/run2.csv" "$T/run3.csv" -- \
    "$T/slowrun0.csv" "$T/slowrun1.csv" "$T/slowrun2.csv" "$T/slowrun3.csv" > "$T/runs.out"
check "four runs a side, 30% slower: a run is a sample, and the U test calls every row slower" \
    sh -c "grep -q '^a sample is a run: each file.s median (4 runs of A, 4 of B)' '$T/runs.out' &&
        test \$(grep -c 'slower (p=0.029)' '$T/runs.out') = 4"
$BENCH compare "$T/run0.csv" "$T/run2.csv" -- "$T/run1.csv" "$T/run3.csv" > "$T/runs2.out"
check "two runs a side: too few runs to call it, nothing called" \
    sh -c "grep -q '^too few runs to call it' '$T/runs2.out' && ! grep -q 'slower\|faster' '$T/runs2.out'"
$BENCH compare "$T/run0.csv" "$T/run1.csv" -- 2> "$T/runs3.err"
check "nothing after --: exit 2, saying what compare wants" \
    sh -c "test $? = 2 && grep -q 'at least one CSV before -- and one after' '$T/runs3.err'"
# 5% slower, every repeat (1001..1004 against 951..954 req/s): significant
# (p = 2/70), but under the noise floor.
awk -F, -v OFS=, 'NR > 1 { $19 = 1000 + $17 } { print }' "$T/a4.csv" > "$T/flat4.csv"
awk -F, -v OFS=, 'NR > 1 { $19 = 950 + $17 } { print }' "$T/a4.csv" > "$T/near4.csv"
$BENCH compare "$T/flat4.csv" "$T/near4.csv" > "$T/near4.out"
check "5% slower at p=0.029: under the 10% noise floor, not called, and it says so" \
    sh -c "! grep -q 'slower' '$T/near4.out' && grep -q 'a change under 10% is not called' '$T/near4.out'"
$BENCH compare --noise 0 "$T/flat4.csv" "$T/near4.csv" > "$T/near4.0.out"
check "... with --noise 0 it is called on every row" \
    test "$(grep -c 'slower (p=0.029)' "$T/near4.0.out")" = 4
$BENCH compare "$T/a4.csv" "$T/a4.csv" > "$T/same4.out"
check "the same repeats against themselves: no change on any row" \
    sh -c "! grep -Eq 'slower|faster|worse|better' '$T/same4.out' && grep -q '^4 compared' '$T/same4.out'"
printf 'not,a,results,file\n' > "$T/bad.csv"
$BENCH compare "$T/a.csv" "$T/bad.csv" 2> "$T/bad.err"
check "a CSV with another header exits 2" test $? = 2
check "... naming the file and line 1" grep -q "$T/bad.csv:1: " "$T/bad.err"
sed '3s/,libuv,/,libuv,x,/' "$T/a.csv" > "$T/short.csv"
$BENCH claims --scenarios tests/scenarios "$T/short.csv" 2> "$T/short.err" > /dev/null
check "a malformed row exits 2 naming its line" sh -c "test $? = 2 && grep -q '$T/short.csv:3: ' '$T/short.err'"

# --- report
$BENCH report --scenarios tests/scenarios "$T/a.csv" > /dev/null
check "report exits 0" test $? = 0
check "report writes FILE.html with three charts" test "$(grep -c '<svg' "$T/a.html")" -ge 3
check "report has the claims table" grep -q 'loop-beats-sync' "$T/a.html"
check "report has the environment from run.json" \
    sh -c "grep -q '<th>kernel</th><td>Linux ' '$T/a.html' && grep -q 'libuv 1[.]' '$T/a.html'"
check "report draws latency by percentile at each level (2 levels: 5 charts in all)" \
    sh -c "test \$(grep -c '<svg' '$T/a.html') -ge 5 && test \$(grep -c 'latency by percentile' '$T/a.html') -ge 2"
check "... with the uncorrected lines" grep -q 'node uncorrected' "$T/a.html"
# A CSV without its NAME/ folder (an older run, or a copied file): the page, saying what is missing.
cp "$T/a.csv" "$T/old.csv"
$BENCH report --scenarios tests/scenarios "$T/old.csv" > /dev/null 2> "$T/old.err"
check "a CSV without run.json and .hgrm files: report still exits 0" test $? = 0
check "... saying the environment is not known" grep -q "no environment: $T/old/run.json" "$T/old.err"
check "... and which .hgrm files are missing" grep -q "8 .hgrm file(s) are not in $T/old" "$T/old.err"
check "... on the page too" grep -q 'Not known: ' "$T/old.html"

# --- bad scenario, model that will not start
printf '[scenario]\npath = /hello\nmodels = node\nconnections = 1 2\n[claim x]\nexpect = rps(node) >= 1\n' > "$T/bad.ini"
$BENCH run --out "$T/c.csv" "$T/bad.ini" 2> "$T/badini.err"
check "a bad scenario exits 2" test $? = 2
check "... naming file, line and column" grep -q "$T/bad.ini:6:10: say which level" "$T/badini.err"
check "... and writes nothing" test ! -e "$T/c.csv.partial" -a ! -e "$T/c"
printf '[scenario]\npath = /hello\nmodels = node python-nogil\nconnections = 1\n[claim x]\nquote = q\nexpect = rps(node) >= rps(python-nogil)\n' > "$T/notwin.ini"
$BENCH run --out "$T/nt.csv" "$T/notwin.ini" 2> "$T/notwin.err"
check "a claim whose model has no real twin exits 2 before anything runs" \
    sh -c "test $? = 2 && grep -q '$T/notwin.ini:7:23: model .python-nogil. has no real twin' '$T/notwin.err' && test ! -e '$T/nt.csv.partial'"
{ sed -n '/^\[scenario\]/,/^repeat/p' tests/scenarios/tiny.ini; printf '[model gunicorn-sync]\nargs = --workers 0\n'; } > "$T/broken.ini"
$BENCH run --quick --out "$T/d.csv" "$T/broken.ini" > /dev/null 2> "$T/broken.err"
check "a model the server refuses is skipped, the run goes on" test $? = 0
check "... saying so" grep -q "model gunicorn-sync: bin/server refuses it" "$T/broken.err"
check "... with the other model's rows" awk -F, \
    'NR > 1 { n[$8]++ } END { exit !(n["node"] == 4 && !("gunicorn-sync" in n)) }' "$T/d.csv"

# --- SIGINT: rows kept in .partial, no child left
$BENCH run --out "$T/e.csv" tests/scenarios/tiny.ini > /dev/null 2> "$T/int.err" &
pid=$!
# A deadline, not a bound: up to 10 s for the first row (about 0.5 s idle).
for _ in $(seq 100); do
    [ "$(cat "$T/e.csv.partial" 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
check "SIGINT: bench exits 130" test $rc = 130
check "... keeps the measured rows in .partial" test "$(wc -l < "$T/e.csv.partial")" -ge 2
check "... does not rename it" test ! -e "$T/e.csv"
check "... says so" grep -q "interrupted: the run did not complete; [0-9]* rows kept in $T/e.csv.partial" "$T/int.err"
check "... and leaves no server behind" no_children

# --- a server killed mid-run: the row is recorded, the run goes on
{ sed -n '/^\[scenario\]/,/^repeat/p' tests/scenarios/tiny.ini |
    sed 's/^connections .*/connections = 16/; s/^duration .*/duration = 2s/; s/^repeat .*/repeat = 1/'; } > "$T/die.ini"
$BENCH run --out "$T/f.csv" "$T/die.ini" > "$T/die.out" 2>&1 &
pid=$!
victim=
for _ in $(seq 100); do
    victim=$(pgrep -P $pid -f -- '--model node ' | head -1)
    [ -n "$victim" ] && break
    sleep 0.05
done
# Killed 1 s after it started: inside its 2 s row, after the 100 ms warmup.
sleep 1
[ -n "$victim" ] && kill -9 "$victim"
wait $pid
rc=$?
check "a server killed mid-run: bench still exits 0" test $rc = 0
check "... with a row for it (errors or short) and one for the next model" awk -F, \
    'NR > 1 { n[$8]++ } END { exit !(n["node"] == 1 && n["gunicorn-sync"] == 1) }' "$T/f.csv"
check "... and no server left" no_children

# --- --peers: the real runtime runs right after its twin, same columns
$BENCH run --quick --peers --models "gunicorn-sync real-gunicorn-sync" --out "$T/p.csv" \
    tests/scenarios/tiny.ini > "$T/peers.out" 2>&1
check "--peers: bench exits 0" test $? = 0 || cat "$T/peers.out"
check "... a row of real-gunicorn-sync after gunicorn-sync's, with the twin's processes" awk -F, \
    'NR > 1 { order = order $8 " " } $8 == "real-gunicorn-sync" { ok = $9 == "gunicorn-sync-flask" &&
     $10 == 2 * '"$(nproc)"' + 1 && $12 == 1 && $18 > 0 && $21 + $22 + $23 + $24 + $25 == 0 }
     END { exit !(ok && order == "gunicorn-sync real-gunicorn-sync ") }' "$T/p.csv"
check "... its RSS summed over the arbiter and workers (> 30 MB of Python)" awk -F, \
    '$8 == "real-gunicorn-sync" && $34 > 30000 { ok = 1 } END { exit !ok }' "$T/p.csv"
check "... every gunicorn worker given CPython's one calibration, none measuring its own" sh -c \
    "grep -q '\"cpython\": {' '$T/p/run.json' && ! grep -q 'gunicorn worker.*(measured)' '$T/p/run.log' &&
     test \"\$(grep -o 'gunicorn worker [0-9]*, cpu work [0-9.]*' '$T/p/run.log' | sed 's/.*cpu work //' | sort -u | wc -l)\" = 1"
check "... and no gunicorn left" eval '! ours "gunicorn_conf[.]py"'
$BENCH fidelity "$T/p.csv" > /dev/null 2> "$T/fid.err"
check "fidelity without the shapes' scenarios exits 1, saying why" \
    sh -c "test $? = 1 && grep -q 'make peers runs them' '$T/fid.err'"

# --- calibrate: the runtime cost of node (real-node beside it), into a file run --calibration reads
$BENCH calibrate --scenarios tests/scenarios --out "$T/cal.ini" > "$T/cal.out" 2>&1
check "calibrate exits 0" test $? = 0 || cat "$T/cal.out"
check "... its file has node's cost and the runtimes' versions" sh -c \
    "grep -Eq '^runtime_cost_us = [0-9]+$' '$T/cal.ini' && grep -q '^\[model node\]' '$T/cal.ini' &&
     grep -Eq '^versions = node [0-9]' '$T/cal.ini' && grep -q '^host = ' '$T/cal.ini'"
check "... its rows beside it" test "$(tail -n +2 "$T/cal.csv" | cut -d, -f8 | sort | tr '\n' ' ')" = "node real-node "
cost=$(sed -n 's/^runtime_cost_us = //p' "$T/cal.ini")
$BENCH calibrate --scenarios tests/scenarios --out "$T/cal.ini" > /dev/null 2> "$T/cal2.err"
check "calibrate never overwrites its file" sh -c "test $? = 2 && grep -q 'never overwritten' '$T/cal2.err'"
$BENCH run --quick --calibration "$T/cal.ini" --models node --out "$T/cal-run.csv" tests/scenarios/tiny.ini \
    > "$T/cal-run.out" 2>&1
check "run --calibration: node's rows carry its cost" awk -F, -v c="$cost" \
    '$8 == "node" { if ($40 != c) bad = 1; n++ } END { exit bad || n != 1 }' "$T/cal-run.csv"
check "... and its server was given it" grep -q "model node .* runtime cost $cost us" "$T/cal-run/run.log"
printf '[model node]\nruntime_cost_us = soon\n' > "$T/bad-cal.ini"
$BENCH run --quick --calibration "$T/bad-cal.ini" --out "$T/x.csv" tests/scenarios/tiny.ini > /dev/null 2> "$T/bad-cal.err"
check "a bad calibration file: exit 2 with file:line:column, before any run" sh -c \
    "test $? = 2 && grep -q '$T/bad-cal.ini:2:19: runtime_cost_us' '$T/bad-cal.err' && test ! -e '$T/x.csv'"

# --- disk full: a clear error, earlier files untouched (needs root for a tiny tmpfs)
mkdir "$T/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
    echo "an earlier result" > "$T/full/old.csv"
    $BENCH run --quick --out "$T/full/new.csv" tests/scenarios/tiny.ini > /dev/null 2> "$T/full.err"
    rc=$?
    check "disk full: bench exits 1" test $rc = 1
    check "... saying why, naming the place" grep -q "$T/full/new: less than 1 MiB free" "$T/full.err"
    check "... the earlier file untouched" test "$(cat "$T/full/old.csv")" = "an earlier result"
    check "... no .csv claimed complete" test ! -e "$T/full/new.csv"
    # bin/loadgen's own CSV on a full disk.
    dd if=/dev/zero of="$T/full/fill" bs=4k 2>/dev/null
    $SHOWDOWN_SERVER --model node --port 0 > "$T/srv.out" 2>/dev/null &
    srv=$!
    for _ in $(seq 50); do grep -q listening "$T/srv.out" && break; sleep 0.05; done
    port=$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$T/srv.out")
    $SHOWDOWN_LOADGEN -c1 -d300ms --csv "$T/full/lg.csv" "http://127.0.0.1:$port/hello" \
        > /dev/null 2> "$T/lgfull.err"
    rc=$?
    kill $srv; wait $srv 2>/dev/null
    check "disk full: bin/loadgen --csv says so, naming the file" \
        sh -c "test $rc != 0 && grep -q -- '--csv $T/full/lg.csv: No space left on device' '$T/lgfull.err'" ||
        cat "$T/lgfull.err"
    umount "$T/full"
else
    echo "[  SKIPPED ] disk full (needs root to mount a tmpfs)"
fi

echo "e2e_bench: $failed failed"
[ $failed = 0 ]
