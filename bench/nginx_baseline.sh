#!/bin/bash
# nginx_baseline.sh — how fast is the node model at the simplest request,
# next to a server nobody argues with? Runs wrk -t1 -c64 against /hello on
# `bin/server --model node` and against nginx (one worker, `return 200`),
# alternating, ROUNDS times each, server pinned to CPU 0 and wrk to CPU 1,
# and prints requests/s per run, the medians and their ratio.
#
#   bench/nginx_baseline.sh [ROUNDS] [DURATION]      (make baseline)
#
# wrk and nginx are what we compare against, not dependencies of showdown:
# it asks for them instead of installing them.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-10s}
CONNECTIONS=${CONNECTIONS:-64}
SERVER_CPU=${SERVER_CPU:-0}
LOADGEN_CPU=${LOADGEN_CPU:-1}
SERVER=${SERVER:-bin/server}
NGINX=${NGINX:-/usr/sbin/nginx}

for tool in wrk taskset "$NGINX" "$SERVER"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "nginx_baseline: $tool not found; run: apt-get install -y wrk nginx-light (and make)" >&2
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
    echo "nginx_baseline: no free port in 18080..18180" >&2
    exit 1
}

wait_for_port() {
    local port=$1 i
    for i in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nginx_baseline: nothing listening on 127.0.0.1:$port" >&2
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
    echo "nginx_baseline: $SERVER did not start:" >&2
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

# Prints "REQUESTS_PER_S WRK_BUSY SERVER_BUSY SERVER_US_PER_REQUEST": how
# busy each core was tells which side set the figure.
rps() {
    local pid=$2 out before after hz
    hz=$(getconf CLK_TCK)
    before=$(cpu_ticks "$pid")
    out=$(TIMEFORMAT='%U %S %R'; { time taskset -c "$LOADGEN_CPU" wrk -t1 -c"$CONNECTIONS" \
        -d"$DURATION" "http://127.0.0.1:$1/hello"; } 2>&1)
    after=$(cpu_ticks "$pid")
    echo "$out" | awk -v ticks=$((after - before)) -v hz="$hz" '
        /^Requests\/sec:/ { rps = $2 }
        /requests in/ { requests = $1 }
        END { split($0, t, " "); wall = t[3]
              printf "%s %.2f %.2f %.2f\n", rps, (t[1] + t[2]) / wall, ticks / hz / wall,
                     ticks / hz * 1e6 / requests }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Not in $(...): the PIDs must reach cleanup().
start_showdown
start_nginx
echo "node model: 127.0.0.1:$showdown_port, nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'): 127.0.0.1:$nginx_port"
echo "pinning: servers on CPU $SERVER_CPU, wrk -t1 -c$CONNECTIONS -d$DURATION on CPU $LOADGEN_CPU; $ROUNDS rounds, alternating"
: >"$work/node.rps"
: >"$work/nginx.rps"
for round in $(seq "$ROUNDS"); do
    read -r node node_wrk node_busy node_us < <(rps "$showdown_port" "$showdown_pid")
    read -r nginx nginx_wrk nginx_busy nginx_us < <(rps "$nginx_port" "$nginx_pid")
    echo "$node" >>"$work/node.rps"
    echo "$nginx" >>"$work/nginx.rps"
    echo "$node_us" >>"$work/node.us"
    echo "$nginx_us" >>"$work/nginx.us"
    printf 'round %d: node  %8.0f req/s  server busy %s  %5.2f CPU-us/req  wrk busy %s\n' \
        "$round" "$node" "$node_busy" "$node_us" "$node_wrk"
    printf '         nginx %8.0f req/s  server busy %s  %5.2f CPU-us/req  wrk busy %s\n' \
        "$nginx" "$nginx_busy" "$nginx_us" "$nginx_wrk"
done
node=$(median <"$work/node.rps")
nginx=$(median <"$work/nginx.rps")
node_us=$(median <"$work/node.us")
nginx_us=$(median <"$work/nginx.us")
printf 'median:  node %.0f req/s, nginx %.0f req/s: node/nginx %.2f\n' "$node" "$nginx" \
    "$(echo "$node $nginx" | awk '{ print $1 / $2 }')"
printf '         node %.2f, nginx %.2f CPU-us per request: nginx/node %.2f (above 1: node is cheaper)\n' \
    "$node_us" "$nginx_us" "$(echo "$node_us $nginx_us" | awk '{ print $2 / $1 }')"
echo "(wrk busy near 1.00: wrk's core was saturated and req/s is a floor for both servers;"
echo " CPU-us per request then is the fair comparison)"
