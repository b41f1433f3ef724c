# e2e_lib.sh — what the shell e2e tests share (sourced, after `set -u`):
# BENCH and the binaries bin/bench starts, a temporary folder $T removed on
# exit (/tmp/NAME.XXXXXX, NAME the test's, with the server stopped),
# ok/fail/check, which count failures in $failed, and start_server, which
# starts $SERVER (bin/server) on 127.0.0.1, port 0, and sets PORT (from its
# --ready-fd) and SERVER_PID; stop_server ends that process, by its PID.
#   . "$(dirname "$0")/e2e_lib.sh"; start_server "$T" --model node || exit 1
BENCH=${BENCH:-bin/bench}
export SHOWDOWN_SERVER=${SERVER:-bin/server} SHOWDOWN_LOADGEN=${LOADGEN:-bin/loadgen}
T=$(mktemp -d "/tmp/${NAME:-$(basename "$0" .sh)}.XXXXXX")
failed=0
trap 'stop_server; rm -rf "$T"' EXIT

ok() { echo "[       OK ] $1"; }
fail() { echo "[  FAILED  ] $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: the command must succeed
    name=$1; shift
    if "$@"; then ok "$name"; else fail "$name"; return 1; fi
}

start_server() { # start_server DIR [server args...]
    dir=$1; shift
    rm -f "$dir/ready"
    mkfifo "$dir/ready" || return 1
    "${SERVER:-bin/server}" --host 127.0.0.1 --port 0 --ready-fd 3 "$@" \
        3>"$dir/ready" >"$dir/server.log" 2>&1 &
    SERVER_PID=$!
    PORT=$(timeout 20 head -n 1 "$dir/ready")
    [ -n "$PORT" ] || { echo "bin/server did not start: $(cat "$dir/server.log")"; return 1; }
}

stop_server() {
    [ -n "${SERVER_PID:-}" ] || return 0
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
