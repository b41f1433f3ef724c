# e2e_lib.sh — what bin/bench's shell tests share (sourced, after `set -u`):
# BENCH and the binaries bin/bench starts, a temporary folder $T removed on
# exit (/tmp/NAME.XXXXXX, NAME the test's), and the checks' verdicts,
# counted in $failed.
#   . "$(dirname "$0")/e2e_lib.sh"
BENCH=${BENCH:-bin/bench}
export SHOWDOWN_SERVER=${SERVER:-bin/server} SHOWDOWN_LOADGEN=${LOADGEN:-bin/loadgen}
T=$(mktemp -d "/tmp/$(basename "$0" .sh).XXXXXX")
failed=0
trap 'rm -rf "$T"' EXIT

ok() { echo "[       OK ] $1"; }
fail() { echo "[  FAILED  ] $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: the command must succeed
    name=$1; shift
    if "$@"; then ok "$name"; else fail "$name"; return 1; fi
}
