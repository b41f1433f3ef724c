#!/bin/bash
# vs_nginx.sh — two comparisons against nginx (one worker, `return 200`),
# the server nobody argues with, each run alternating ROUNDS times, server
# pinned to CPU 0 and load generator to CPU 1, medians compared:
#
#   bench/vs_nginx.sh servers  [ROUNDS] [DURATION]   (make baseline)
#       wrk -t1 -c64 against /hello on `bin/server --model node` and on nginx:
#       is the node model as fast as nginx?
#   bench/vs_nginx.sh loadgens [ROUNDS] [DURATION]   (make bench-loadgen)
#       bin/loadgen and wrk, both -t1 -c64, against nginx: is bin/loadgen
#       faster than wrk per core?
#
# Besides requests/s it prints how busy each core was and the server's CPU
# per request, because on two cores one side or the other is saturated and
# req/s alone does not say which. wrk and nginx are what we compare against,
# not dependencies of showdown: `make deps-bench` installs them.
set -euo pipefail

MODE=${1:-}
ROUNDS=${2:-3}
DURATION=${3:-10s}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
SERVER=${SERVER:-bin/server}
LOADGEN=${LOADGEN:-bin/loadgen}
case "$MODE" in
servers | loadgens) ;;
*)
    echo "usage: bench/vs_nginx.sh servers|loadgens [ROUNDS] [DURATION]" >&2
    exit 2
    ;;
esac
NGINX=${NGINX:-/usr/sbin/nginx}

for tool in wrk taskset "$NGINX" "$SERVER" "$LOADGEN"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "vs_nginx: $tool not found; run: make deps-bench all" >&2
        exit 1
    fi
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A port nothing listens on, for nginx (showdown picks its own with --port 0).
free_port() {
    local port
    for port in $(seq 18080 18180); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    echo "vs_nginx: no free port in 18080..18180" >&2
    exit 1
}

wait_for_port() {
    local port=$1 i
    for i in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "vs_nginx: nothing listening on 127.0.0.1:$port" >&2
    exit 1
}

start_showdown() {
    taskset -c "$SERVER_CPU" "$SERVER" --model node --port 0 >"$work/showdown.out" 2>"$work/showdown.err" &
    showdown_pid=$!
    pids+=($!)
    local i
    for i in $(seq 100); do
        if grep -q '^listening on ' "$work/showdown.out"; then
            showdown_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/showdown.out")
            return
        fi
        sleep 0.05
    done
    echo "vs_nginx: $SERVER did not start:" >&2
    cat "$work/showdown.err" >&2
    exit 1
}

start_nginx() {
    local port
    port=$(free_port)
    nginx_port=$port
    # One worker, no logging, keep-alive without a request cap (nginx 1.22
    # closes after 1000 requests by default; Node has no such cap).
    cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $work;
    proxy_temp_path $work;
    fastcgi_temp_path $work;
    uwsgi_temp_path $work;
    scgi_temp_path $work;
    server {
        listen 127.0.0.1:$port;
        location / { default_type text/plain; return 200 "Hello, World!"; }
    }
}
CONF
    taskset -c "$SERVER_CPU" "$NGINX" -p "$work" -c "$work/nginx.conf" >/dev/null 2>"$work/nginx.stderr" &
    nginx_pid=$!
    pids+=($!)
    wait_for_port "$port"
}

# CPU time (user + system, clock ticks) of a process and its children
# threads/processes: nginx's work happens in its worker.
cpu_ticks() {
    local pid total=0 t
    for pid in "$@" $(pgrep -P "$1" || true); do
        t=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$((total + t))
    done
    echo "$total"
}

# Runs client (wrk or loadgen) against a port; prints "REQUESTS_PER_S
# CLIENT_BUSY SERVER_BUSY SERVER_US_PER_REQUEST CLIENT_US_PER_REQUEST": how busy each core was
# tells which side set the figure.
rps() {
    local client=$1 port=$2 pid=$3 out before after hz
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$pid")
    out=$(TIMEFORMAT='%U %S %R'; { time taskset -c "$LOADGEN_CPU" "$client" -t1 -c"$CONNECTIONS" \
        -d"$DURATION" "http://127.0.0.1:$port/hello"; } 2>&1)
    after=$(cpu_ticks "$pid")
    echo "$out" | awk -v ticks=$((after - before)) -v hz="$hz" '
        /^Requests\/sec:/ { rps = $2 }
        /requests in/ { requests = $1 }
        END { split($0, t, " "); wall = t[3]
              printf "%s %.2f %.2f %.2f %.2f\n", rps, (t[1] + t[2]) / wall, ticks / hz / wall,
                     ticks / hz * 1e6 / requests, (t[1] + t[2]) * 1e6 / requests }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Not in $(...): the PIDs must reach cleanup().
start_nginx
nginx_version=$("$NGINX" -v 2>&1 | sed 's/.*\///')
if [ "$MODE" = servers ]; then
    start_showdown
    names=("node" "nginx")
    clients=(wrk wrk)
    ports=("$showdown_port" "$nginx_port")
    server_pids=("$showdown_pid" "$nginx_pid")
    echo "wrk against bin/server --model node (127.0.0.1:$showdown_port) and nginx $nginx_version (127.0.0.1:$nginx_port)"
else
    names=("loadgen" "wrk")
    clients=("$LOADGEN" wrk)
    ports=("$nginx_port" "$nginx_port")
    server_pids=("$nginx_pid" "$nginx_pid")
    echo "bin/loadgen and wrk against nginx $nginx_version (127.0.0.1:$nginx_port)"
fi
echo "pinning: server on CPU $SERVER_CPU, client -t1 -c$CONNECTIONS -d$DURATION on CPU $LOADGEN_CPU; $ROUNDS rounds, alternating"
for round in $(seq "$ROUNDS"); do
    for i in 0 1; do
        read -r rate client_busy server_busy server_us client_us < \
            <(rps "${clients[$i]}" "${ports[$i]}" "${server_pids[$i]}")
        echo "$rate" >>"$work/$i.rps"
        echo "$server_us" >>"$work/$i.us"
        echo "$client_us" >>"$work/$i.client_us"
        printf 'round %d: %-8s %8.0f req/s   client busy %s %5.2f CPU-us/req   server busy %s %5.2f CPU-us/req\n' \
            "$round" "${names[$i]}" "$rate" "$client_busy" "$client_us" "$server_busy" "$server_us"
    done
done
a=$(median <"$work/0.rps")
b=$(median <"$work/1.rps")
printf 'median: %s %.0f req/s, %s %.0f req/s: %s/%s = %.2f\n' "${names[0]}" "$a" "${names[1]}" "$b" \
    "${names[0]}" "${names[1]}" "$(echo "$a $b" | awk '{ print $1 / $2 }')"
if [ "$MODE" = loadgens ]; then
    a=$(median <"$work/0.client_us")
    b=$(median <"$work/1.client_us")
    printf 'median client CPU per request: loadgen %.2f us, wrk %.2f us: wrk/loadgen = %.2f\n' \
        "$a" "$b" "$(echo "$a $b" | awk '{ print $2 / $1 }')"
else
    a=$(median <"$work/0.us")
    b=$(median <"$work/1.us")
    printf 'median server CPU per request: node %.2f us, nginx %.2f us: nginx/node = %.2f (above 1: node is cheaper)\n' \
        "$a" "$b" "$(echo "$a $b" | awk '{ print $2 / $1 }')"
fi
echo "(a client busy near 1.00 was saturated, a server busy near 1.00 was; the figure is the"
echo " saturated side's. Server CPU-us per request includes kernel work done on its core.)"
