#!/bin/sh
# e2e_mpirun.sh — Open MPI's mpirun as a launcher of bin/loadgen slices
# (no MPI library linked: each process reads OMPI_COMM_WORLD_RANK/SIZE):
# `mpirun -np 2` over loopback against bin/server, both slices started at
# one --start-at, must add up to the schedule: together R x duration
# requests within 1%, each half of it, each half of -c, and each says
# which slice it ran. Skipped (said, never passed) without mpirun.
#   SERVER=bin/server LOADGEN=bin/loadgen tests/e2e_mpirun.sh
set -u
LOADGEN=${LOADGEN:-bin/loadgen}
RATE=${RATE:-4000}
SECONDS_RUN=3
NAME=e2e_mpirun . "$(dirname "$0")/e2e_lib.sh"
within() { # within GOT WANT PERCENT
    awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= w * p / 100) }'
}
field() { # field CSV N: the N-th column of the CSV's one row
    tail -n 1 "$1" | cut -d, -f"$2"
}

if ! command -v mpirun >/dev/null; then
    echo "[  SKIPPED ] e2e_mpirun: no mpirun on this machine (Debian: openmpi-bin; make deps-test)"
    exit 0
fi
start_server "$T" --model node || exit 1

AT=$(awk -v now="$(date +%s.%N)" 'BEGIN { printf "%.3f", now + 2 }')
mpirun --allow-run-as-root --oversubscribe -np 2 "$LOADGEN" -t1 -c8 -R "$RATE" -d${SECONDS_RUN}s \
    --start-at "$AT" --csv "$T/slice.{segment}.csv" --hlog "$T/slice.{segment}.hlog" \
    "http://127.0.0.1:$PORT/hello" > "$T/mpirun.out" 2>&1
rc=$?
check "mpirun -np 2 bin/loadgen exits 0" test $rc = 0
[ $rc = 0 ] || sed 's/^/    /' "$T/mpirun.out"
check "each slice wrote its own CSV and log" test -s "$T/slice.0.csv" -a -s "$T/slice.1.csv" \
    -a -s "$T/slice.0.hlog" -a -s "$T/slice.1.hlog"
# bin/loadgen's CSV: path,connections,target_rate,duration_s,requests,...
want=$((RATE * SECONDS_RUN))
r0=$(field "$T/slice.0.csv" 5); r1=$(field "$T/slice.1.csv" 5)
echo "    slices: $r0 + $r1 requests, $want due"
check "the slices together sent the schedule (within 1%)" within $((r0 + r1)) $want 1
check "slice 0 sent half of it (within 1%)" within "$r0" $((want / 2)) 1
check "slice 1 sent half of it (within 1%)" within "$r1" $((want / 2)) 1
check "each slice had half of -c and half of -R" sh -c \
    "[ $(field "$T/slice.0.csv" 2) = 4 ] && [ $(field "$T/slice.1.csv" 2) = 4 ] &&
     [ $(field "$T/slice.0.csv" 3) = $((RATE / 2)).000 ]"
check "each summary says which slice ran, from mpirun's environment" sh -c \
    "grep -q 'slice 0 of 2 (0-based, from OMPI_COMM_WORLD_RANK)' '$T/mpirun.out' &&
     grep -q 'slice 1 of 2 (0-based, from OMPI_COMM_WORLD_RANK)' '$T/mpirun.out'"
check "both logs start at the one --start-at" sh -c \
    "grep -q '^#\[StartTime: $AT ' '$T/slice.0.hlog' && grep -q '^#\[StartTime: $AT ' '$T/slice.1.hlog'"

[ "$failed" = 0 ] || { echo "e2e_mpirun: $failed failed"; exit 1; }
echo "e2e_mpirun: all passed"
