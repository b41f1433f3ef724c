#!/bin/sh
# e2e_hosts.sh — bin/bench run --hosts on this machine, real hosts
# simulated: three network namespaces (a server host and two client
# hosts) on a bridge, addresses from 198.18.0.0/15 (RFC 2544's range for
# benchmarks). Runs tests/scenarios/hosts.ini with the `ip netns exec`
# launcher and again through real OpenSSH (an sshd per namespace, started
# here on a throwaway key, port 2222, its own config), and checks the rows
# against a loopback run's: the same columns, the hosts recorded, and
# Little's law on /io?ms=20 (rps = connections / 0.020 s within 10%).
# Then the faults: a client that cannot be reached and a bin/loadgen
# killed mid-run (the run ends on time, the row is written and marked),
# a server killed mid-run, and hosts files with mistakes (an error naming
# file, line and column before anything starts).
# Skipped (exit 77) where network namespaces are not allowed.
#   BENCH=bin/bench SERVER=bin/server LOADGEN=bin/loadgen tests/e2e_hosts.sh
set -u
BENCH=$(realpath "${BENCH:-bin/bench}")
export SHOWDOWN_SERVER=$(realpath "${SERVER:-bin/server}") SHOWDOWN_LOADGEN=$(realpath "${LOADGEN:-bin/loadgen}")
SC=tests/scenarios/hosts.ini
N=sd$(($$ % 100000))
# A /24 of 198.19.0.0/16 picked by our pid: helpers side by side do not collide.
NET=198.19.$(($$ % 200 + 20))
SSH_PORT=2222

skip() { echo "[  SKIPPED ] e2e_hosts: $1"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root (uid $(id -u))"
ip netns add "$N-probe" 2>/dev/null || skip "this machine does not allow network namespaces (ip netns add failed)"
ip netns del "$N-probe"

# $T, ok, fail, check (tests/e2e_lib.sh); our own exit trap ends what we started.
NAME=e2e_hosts . tests/e2e_lib.sh
SSHD_PIDS=
BENCH_PID=
cleanup() {
    [ -z "$BENCH_PID" ] || kill "$BENCH_PID" 2>/dev/null
    for p in $SSHD_PIDS; do kill "$p" 2>/dev/null; done
    for h in srv c1 c2; do ip netns del "$N-$h" 2>/dev/null; done
    ip link del "$N-br" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
field() { # field CSV COLUMN: the first row's value of COLUMN
    awk -F, -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i } NR == 2 { print $c }' "$1"
}
# Little's law: each connection waits 20 ms a request, so rps = c / 0.020 s;
# 10% absorbs the server's and the network's own time beside the wait.
pids_of() { # pids_of NAMESPACE WORD: the pids there whose command line has WORD, once there is one (20 s at most)
    for _ in $(seq 200); do
        found=
        for p in $(ip netns pids "$1"); do
            tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q -- "$2" && found="$found $p"
        done
        [ -n "$found" ] && { echo $found; return 0; }
        sleep 0.1
    done
    return 1
}
bench_run() { # bench_run OUT ARGS...: bin/bench run ARGS > OUT, saying how long it took
    out=$1; shift
    t=$(date +%s.%N)
    $BENCH run "$@" > "$out" 2>&1
    rc=$?
    echo "  (bench run $*: $(awk -v t="$t" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t }') s)"
    return $rc
}
littles_law() { # littles_law CSV CONNECTIONS
    awk -v rps="$(field "$1" rps)" -v c="$2" 'BEGIN { want = c / 0.020; exit !(rps >= 0.9 * want && rps <= 1.1 * want) }'
}

# --- the hosts: a bridge, three namespaces with an address each
ip link add "$N-br" type bridge && ip addr add "$NET.1/24" dev "$N-br" && ip link set "$N-br" up || skip "cannot make a bridge"
i=2
for h in srv c1 c2; do
    ip netns add "$N-$h"
    ip link add "$N-$h" type veth peer name eth0 netns "$N-$h"
    ip link set "$N-$h" master "$N-br" up
    ip -n "$N-$h" addr add "$NET.$i/24" dev eth0
    ip -n "$N-$h" link set eth0 up
    ip -n "$N-$h" link set lo up
    eval "ADDR_$h=$NET.$i"
    i=$((i + 1))
done

hosts_file() { # hosts_file FILE LAUNCHER_SRV LAUNCHER_C1 LAUNCHER_C2 [C2_DIR]
    cat > "$1" <<EOH
; three namespaces on a bridge
[server srv]
address    = $ADDR_srv
launcher   = $2
remote_dir = $T/srv

[client c1]
address    = $ADDR_c1
launcher   = $3
remote_dir = $T/c1

[client c2]
address    = $ADDR_c2
launcher   = $4
${5:+remote_dir = $5}
EOH
}
NETNS="ip netns exec $N"
hosts_file "$T/netns.ini" "$NETNS-srv" "$NETNS-c1" "$NETNS-c2" "$T/c2"

# --- a loopback run, then the same across the namespaces
bench_run "$T/loop.out" --out "$T/loop.csv" $SC
rc=$?
check "the loopback run exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/loop.out"
bench_run "$T/ns.out" --hosts "$T/netns.ini" --out "$T/ns.csv" $SC
rc=$?
check "the run across namespaces exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/ns.out"
check "... with the loopback run's header" test "$(head -1 "$T/ns.csv")" = "$(head -1 "$T/loop.csv")"
check "... one row of as many fields" test "$(tail -n +2 "$T/ns.csv" | awk -F, '{print NF}')" = "$(tail -n +2 "$T/loop.csv" | awk -F, '{print NF}')"
check "host: the server host, NAME@ADDRESS" test "$(field "$T/ns.csv" host)" = "srv@$ADDR_srv"
check "loadgen_cpus: the client hosts" test "$(field "$T/ns.csv" loadgen_cpus)" = "c1@$ADDR_c1 c2@$ADDR_c2"
check "server_cpus: the CPUs the server host has" test -n "$(field "$T/ns.csv" server_cpus)"
check "the server's CPU was sampled there" awk -v s="$(field "$T/ns.csv" server_cpu_user_s)" -v y="$(field "$T/ns.csv" server_cpu_sys_s)" 'BEGIN { exit !(s + y > 0) }'
check "no errors" test "$(field "$T/ns.csv" err_connect)$(field "$T/ns.csv" err_read)$(field "$T/ns.csv" err_timeout)$(field "$T/ns.csv" err_status)" = 0000
check "Little's law on one machine: rps = 8 / 0.020 s within 10%" littles_law "$T/loop.csv" 8
check "Little's law across hosts: rps = 8 / 0.020 s within 10%" littles_law "$T/ns.csv" 8
check "one HdrHistogram log per client host kept" test "$(ls "$T"/ns/*.hlog | wc -l)" = 2
$BENCH merge --csv "$T/merged.csv" "$T"/ns/*.hlog > "$T/merge.out" 2>&1
check "bench merge reads the two logs" test $? = 0
check "... the merged p99 is the row's" test "$(awk -F, '$2 == "all" { print $10 }' "$T/merged.csv")" = "$(field "$T/ns.csv" lat_p99_us)"
check "... its count is the row's requests" test "$(awk -F, '$2 == "all" { print $6 }' "$T/merged.csv")" = "$(field "$T/ns.csv" requests)"
check "run.json records the hosts" grep -q "\"launcher\": \"ip netns exec $N-c2\"" "$T/ns/run.json"
check "the run's files were removed from the hosts" test -z "$(ls "$T"/c1/showdown.* "$T"/c2/showdown.* 2>/dev/null)"

# --- the same through real OpenSSH: an sshd in each namespace, a throwaway key
ssh-keygen -q -t ed25519 -N '' -f "$T/key" && ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" || fail "ssh-keygen"
cp "$T/key.pub" "$T/authorized_keys"
mkdir -p /run/sshd
for h in srv c1 c2; do
    eval "addr=\$ADDR_$h"
    cat > "$T/sshd_$h.conf" <<EOC
Port $SSH_PORT
ListenAddress $addr
HostKey $T/host_key
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $T/sshd_$h.pid
EOC
    ip netns exec "$N-$h" /usr/sbin/sshd -D -e -f "$T/sshd_$h.conf" 2> "$T/sshd_$h.log" &
    SSHD_PIDS="$SSHD_PIDS $!"
done
SSH="ssh -i $T/key -p $SSH_PORT -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
for _ in 1 2 3 4 5 6 7 8 9 10; do
    $SSH -o BatchMode=yes "root@$ADDR_srv" true 2>/dev/null && break
    sleep 0.3
done
check "sshd answers in the server's namespace" $SSH -o BatchMode=yes "root@$ADDR_srv" true
hosts_file "$T/ssh.ini" "$SSH root@$ADDR_srv" "$SSH root@$ADDR_c1" "$SSH root@$ADDR_c2" "$T/c2"
bench_run "$T/ssh.out" --hosts "$T/ssh.ini" --out "$T/ssh.csv" $SC
rc=$?
check "the run through ssh exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/ssh.out"
check "... the loopback run's header" test "$(head -1 "$T/ssh.csv")" = "$(head -1 "$T/loop.csv")"
check "... the hosts recorded" test "$(field "$T/ssh.csv" loadgen_cpus)" = "c1@$ADDR_c1 c2@$ADDR_c2"
check "... the server's CPU sampled through ssh" awk -v s="$(field "$T/ssh.csv" server_cpu_user_s)" -v y="$(field "$T/ssh.csv" server_cpu_sys_s)" 'BEGIN { exit !(s + y > 0) }'
check "Little's law through ssh: rps = 8 / 0.020 s within 10%" littles_law "$T/ssh.csv" 8

echo "  (rps at 8 connections: loopback $(field "$T/loop.csv" rps), namespaces $(field "$T/ns.csv" rps), ssh $(field "$T/ssh.csv" rps); p99 us: $(field "$T/loop.csv" lat_p99_us), $(field "$T/ns.csv" lat_p99_us), $(field "$T/ssh.csv" lat_p99_us))"

# --- a client that cannot be reached: its launcher names no namespace
hosts_file "$T/gone.ini" "$NETNS-srv" "$NETNS-c1" "$NETNS-gone"
bench_run "$T/gone.out" --hosts "$T/gone.ini" --out "$T/gone.csv" $SC
rc=$?
check "a client that cannot be reached: the run still exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/gone.out"
check "... the row is written" test "$(tail -n +2 "$T/gone.csv" | wc -l)" = 1
check "... and marked: c2 unreachable" test "$(field "$T/gone.csv" loadgen_cpus)" = "c1@$ADDR_c1 c2@$ADDR_c2!unreachable"
check "... stderr names the host" grep -q "client c2@$ADDR_c2: unreachable" "$T/gone.out"
# One slice of two sent: c1's 4 connections, 4 / 0.020 s.
echo "  (one slice of two: rps $(field "$T/gone.csv" rps))"
check "... the row holds c1's slice: rps = 4 / 0.020 s within 10%" littles_law "$T/gone.csv" 4

# --- a bin/loadgen killed mid-run on c2 (the processes of c2's namespace: ours)
$BENCH run --hosts "$T/netns.ini" --out "$T/died.csv" $SC > "$T/died.out" 2>&1 &
BENCH_PID=$!
# Once c2's bin/loadgen runs (a deadline, not a timing: 20 s), a second into its load.
pids_of "$N-c2" --segment > /dev/null
sleep 2.5
for p in $(pids_of "$N-c2" --segment); do kill -9 "$p"; done
start=$(date +%s)
wait "$BENCH_PID"
rc=$?
BENCH_PID=
check "a bin/loadgen killed mid-run: the run exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/died.out"
# The run's own length is 1.5 s ahead + 0.5 s warm-up + 2 s; 20 s is far
# beyond it and far below the 30 s a hung slice would be given.
check "... on time (within 20 s of the kill)" test $(($(date +%s) - start)) -lt 20
check "... the row is written and marked: c2 died" test "$(field "$T/died.csv" loadgen_cpus)" = "c1@$ADDR_c1 c2@$ADDR_c2!died"
check "... run.log says so" grep -q "client c2@$ADDR_c2: died" "$T/died/run.log"

# --- the server killed mid-run
# Two repeats: the server killed in the first; the second starts a new one.
sed 's/^repeat .*/repeat = 2/' $SC > "$T/twice.ini"
$BENCH run --hosts "$T/netns.ini" --out "$T/srvdied.csv" "$T/twice.ini" > "$T/srvdied.out" 2>&1 &
BENCH_PID=$!
pids_of "$N-c1" --segment > /dev/null
sleep 2.5
for p in $(pids_of "$N-srv" --ready-fd); do kill -9 "$p"; done
wait "$BENCH_PID"
rc=$?
BENCH_PID=
check "a server killed mid-run: the run exits 0" test $rc = 0; [ $rc = 0 ] || cat "$T/srvdied.out"
check "... the row is written and marked: the server died" test "$(field "$T/srvdied.csv" host)" = "srv@$ADDR_srv!died"
check "... and the next repeat's row follows, unmarked" test "$(awk -F, 'NR == 3 { print $4 }' "$T/srvdied.csv")" = "srv@$ADDR_srv"

# --- hosts files with mistakes: file:line:column, and nothing started
bad() { # bad NAME TEXT EXPECTED
    printf '%b' "$2" > "$T/bad.ini"
    $BENCH run --hosts "$T/bad.ini" --out "$T/bad.csv" $SC > "$T/bad.out" 2>&1
    check "$1: exit 2" test $? = 2
    check "$1: '$3'" grep -q -- "$3" "$T/bad.out"
    check "$1: nothing started" test ! -e "$T/bad.csv.partial"
}
bad "an unknown key" '[server]\naddress = 198.19.0.2\nport = 80\n[client a]\naddress = 198.19.0.3\n' "$T/bad.ini:3:1: unknown key 'port'"
bad "a missing address" '[server]\naddress = 198.19.0.2\n[client a]\nlauncher = true\n' "$T/bad.ini:3:1: \[client a\] needs address"
bad "an empty section" '[server]\naddress = 198.19.0.2\n[client a]\n; nothing\n[client b]\naddress = 198.19.0.4\n' "$T/bad.ini:3:1: a section without keys"
bad "no client" '[server]\naddress = 198.19.0.2\n' "$T/bad.ini:1:1: no \[client NAME\]"
bad "a bad launcher" '[server]\naddress = 198.19.0.2\n[client a]\naddress = 198.19.0.3\nlauncher = no-such-launcher x\n' "$T/bad.ini:5:12: launcher: 'no-such-launcher' is not a command"
bad "a quoted launcher" "[server]\naddress = 198.19.0.2\nlauncher = ssh 'a b'\n[client a]\naddress = 198.19.0.3\n" "$T/bad.ini:3:16: launcher: ''': no quoting"
bad "a bad address" '[server]\naddress = srv.example\n[client a]\naddress = 198.19.0.3\n' "$T/bad.ini:2:11: address: 'srv.example' is not an IPv4"

[ "$failed" = 0 ] && echo "e2e_hosts: all passed" || echo "e2e_hosts: $failed FAILED"
[ "$failed" = 0 ]
