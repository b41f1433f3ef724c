#!/bin/sh
# e2e_install.sh — an installed showdown works from any directory: make
# install into a temporary DESTDIR; from a fresh directory, with no flag or
# variable naming a path, the installed showdown-bench runs io-bound (node,
# real-node and real-gunicorn-sync, --quick), judges its claims, draws its report and
# shows fidelity, writing only under ./results; the lookup order (flag >
# variable > ./scenarios > beside the executable); the man pages show the
# flags --help shows; make uninstall leaves no file of its own behind and
# keeps one that is not.
#   tests/e2e_install.sh    (from the top of the tree; under make, its BUILD,
#   BIN and SAN reach the inner make install through MAKEFLAGS)
set -u
MAKE=${MAKE:-make}
ROOT=$(pwd)
T=$(mktemp -d /tmp/e2e_install.XXXXXX)
P=$T/usr/local
failed=0
trap 'rm -rf "$T"' EXIT
# PYTHONDONTWRITEBYTECODE would hide a peer writing __pycache__ under the prefix.
unset SHOWDOWN_SERVER SHOWDOWN_LOADGEN SHOWDOWN_SCENARIOS SHOWDOWN_PEERS PYTHONDONTWRITEBYTECODE

ok() { echo "[       OK ] $1"; }
fail() { echo "[  FAILED  ] $1"; failed=$((failed + 1)); }
check() { # check NAME COMMAND...: the command must succeed
    name=$1; shift
    if "$@"; then ok "$name"; else fail "$name"; return 1; fi
}
# says_looked_for NAME DIR COMMAND...: bench, asked for scenario NAME, names DIR/NAME.ini
says_looked_for() {
    want="$2/$1.ini"; shift 2
    "$@" > "$T/lookup.out" 2>&1
    grep -qF "(looked for $want)" "$T/lookup.out" || { echo "    wanted $want; got: $(cat "$T/lookup.out")"; return 1; }
}
flags_of() { grep -o -- '--[a-z][a-z-]*' | sort -u; }

# --- make install
$MAKE -C "$ROOT" --no-print-directory install DESTDIR="$T" PREFIX=/usr/local > "$T/install.out" 2>&1 ||
    { cat "$T/install.out"; fail "make install DESTDIR=$T PREFIX=/usr/local"; exit 1; }
ok "make install DESTDIR=$T PREFIX=/usr/local"
missing=
for f in bin/showdown-server bin/showdown-loadgen bin/showdown-bench \
    share/showdown/scenarios/io-bound.ini share/showdown/peers/node/server.js \
    share/showdown/peers/python/peer.py share/showdown/peers/python/wsgi.py \
    share/showdown/peers/python/gunicorn_conf.py share/man/man1/showdown-server.1 \
    share/man/man1/showdown-loadgen.1 share/man/man1/showdown-bench.1 share/doc/showdown/README.md; do
    [ -f "$P/$f" ] || missing="$missing $P/$f"
done
check "everything is installed${missing:+ (missing:$missing)}" test -z "$missing"
for n in server loadgen bench; do
    check "showdown-$n --version says showdown-$n and a version" \
        sh -c "'$P/bin/showdown-$n' --version | grep -Eqx 'showdown-$n [0-9]+\.[0-9]+.*'"
done

# --- from another directory, by PATH, naming no path
mkdir "$T/work" "$T/env" "$T/flag"
cd "$T/work" || exit 1
PATH=$P/bin:$PATH
export PATH
find "$T/usr" | sort > "$T/before"
showdown-bench run --quick --peers --models "node real-node real-gunicorn-sync" io-bound > "$T/run.out" 2>&1
check "the installed showdown-bench runs io-bound from $T/work" test $? = 0 || tail -20 "$T/run.out"
csv=$(ls results/*.csv 2>/dev/null | grep -v "[.]series[.]csv$")
check "its results are under ./results (${csv:-none})" test -n "$csv" -a -f "$csv"
for peer in real-node real-gunicorn-sync; do
    check "$peer ran from the installed peers" grep -q ",$peer," "$csv"
done
find "$T/usr" | sort > "$T/after"
check "nothing is written under the prefix" cmp -s "$T/before" "$T/after" || diff "$T/before" "$T/after"
showdown-bench claims "$csv" > "$T/claims.out" 2>&1
check "claims are judged from the installed scenarios" grep -q 'io-bound / S8-node-better-for-io' "$T/claims.out" ||
    cat "$T/claims.out"
showdown-bench report "$csv" > "$T/report.out" 2>&1
check "the report is drawn" test $? = 0 -a -s "${csv%.csv}.html" || cat "$T/report.out"
showdown-bench fidelity "$csv" > "$T/fidelity.out" 2>&1
check "fidelity puts node beside real-node" grep -q 'real-node' "$T/fidelity.out" || cat "$T/fidelity.out"

# --- the lookup order; "no such scenario" names where bench looked
check "no flag, no variable: the installed scenarios" \
    says_looked_for nope "$P/share/showdown/scenarios" showdown-bench run nope
mkdir scenarios
check "./scenarios before the installed ones" says_looked_for nope scenarios showdown-bench run nope
check "\$SHOWDOWN_SCENARIOS before ./scenarios" \
    says_looked_for nope "$T/env" env SHOWDOWN_SCENARIOS="$T/env" showdown-bench run nope
check "--scenarios before \$SHOWDOWN_SCENARIOS" says_looked_for nope "$T/flag" \
    env SHOWDOWN_SCENARIOS="$T/env" showdown-bench run --scenarios "$T/flag" nope
rmdir scenarios
SHOWDOWN_SERVER=$T/env/server showdown-bench run --quick --models node io-bound > "$T/sibling.out" 2>&1
check "\$SHOWDOWN_SERVER before the installed showdown-server" grep -qF "$T/env/server:" "$T/sibling.out"
SHOWDOWN_LOADGEN=$T/env/loadgen showdown-bench run --loadgen "$T/flag/loadgen" --quick --models node \
    io-bound > "$T/sibling.out" 2>&1
check "--loadgen before \$SHOWDOWN_LOADGEN" grep -qF "$T/flag/loadgen:" "$T/sibling.out"

# --- the man pages show the flags --help shows
for n in server loadgen bench; do
    showdown-$n --help | flags_of > "$T/help.flags"
    MANWIDTH=200 MANPAGER=cat LC_ALL=C man -l "$P/share/man/man1/showdown-$n.1" 2> "$T/man.err" |
        flags_of > "$T/man.flags"
    check "man showdown-$n shows the $(wc -l < "$T/help.flags") flags --help shows" \
        cmp -s "$T/help.flags" "$T/man.flags" || { diff "$T/help.flags" "$T/man.flags"; cat "$T/man.err"; }
done

# --- make uninstall: nothing of showdown's is left, a file not ours is kept
cd "$ROOT" || exit 1
echo keep > "$P/bin/not-showdown"
$MAKE --no-print-directory uninstall DESTDIR="$T" PREFIX=/usr/local > "$T/uninstall.out" 2>&1
check "make uninstall DESTDIR=$T PREFIX=/usr/local" test $? = 0 || cat "$T/uninstall.out"
check "it keeps a file it did not install" test -f "$P/bin/not-showdown"
rm -f "$P/bin/not-showdown"
left=$(find "$T/usr" -type f)
check "it leaves no file behind${left:+: $left}" test -z "$left"
for d in share/showdown share/doc/showdown; do
    check "it removes $d" test ! -e "$P/$d"
done

[ "$failed" = 0 ] && echo "e2e_install: all passed" || { echo "e2e_install: $failed failed"; exit 1; }
