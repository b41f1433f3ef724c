# showdown — one plain GNU Makefile.
#
#   make            build bin/server, bin/loadgen and bin/bench
#   make test       install missing dependencies, build, run unit and end-to-end tests
#   make bench      the default suite (--quick; FULL=1 for the full one), report, claims
#                   SCENARIOS="io-bound cpu-bound" MODELS="node gunicorn-sync" narrow it
#   make claims     the quick suite, then the claims: fails on a required one (CI)
#   make compare A=old.csv B=new.csv [THRESHOLD=10%]    make report R=results/X.csv
#   make baseline   node model vs nginx under wrk (make deps-bench installs them)
#   make bench-loadgen  bin/loadgen vs wrk against nginx
#   make sanitize   the tests again, built with ASan + UBSan in build/sanitize
#   make deps       install the Debian packages (as root; otherwise prints the command)
#   make install    PREFIX=/usr/local DESTDIR=  (make uninstall with the same)
#   V=1             show full commands

PREFIX  ?= /usr/local
BUILD   ?= build
BIN     ?= bin
CC      ?= cc

# Exactly the Debian packages showdown builds and tests with.
DEBIAN_PACKAGES := gcc libc6-dev pkg-config libuv1-dev libevent-dev node-llhttp libcmocka-dev libinih-dev \
	libjansson-dev zlib1g-dev gnuplot-nox libssl-dev
# libcrypto (libssl-dev): /hash's SHA-256, the OpenSSL that CPython's hashlib and Node's crypto call.
PKG_MODULES     := libuv libevent cmocka inih jansson zlib libcrypto
# node-llhttp ships llhttp's C sources, not a library: we compile them here.
LLHTTP_SRC      := /usr/share/llhttp
LLHTTP_INC      := /usr/share/include/llhttp

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-8s %s\n' $(1) $(2)
endif

# Installs Debian packages $(1) as root (apt-get update only when needed);
# otherwise prints the exact command and fails. `make deps` and the config
# step use it for DEBIAN_PACKAGES, `fuzz`, `valgrind` and `deps-bench` for theirs.
apt_install = if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y --no-install-recommends $(1) || \
	    { apt-get update && apt-get install -y --no-install-recommends $(1); }; \
	else \
	    echo "showdown needs Debian packages; run:"; \
	    echo "  sudo apt-get install -y $(1)"; \
	    exit 1; \
	fi
install_deps = $(call apt_install,$(DEBIAN_PACKAGES))

deps_missing = ! command -v $(CC) >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1 || \
	! command -v gnuplot >/dev/null 2>&1 || \
	! pkg-config --exists $(PKG_MODULES) || [ ! -f $(LLHTTP_SRC)/llhttp.c ]

.DEFAULT_GOAL := all

# Goals that need no compiler flags skip the dependency check.
NO_CONFIG_GOALS := clean deps deps-bench deps-peers deps-test help uninstall
ifneq ($(filter-out $(NO_CONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(BUILD)/config.mk
endif

$(BUILD)/config.mk: Makefile
	$(Q)if $(deps_missing); then $(install_deps); fi
	$(Q)mkdir -p $(@D)
	$(Q){ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKG_MODULES))"; \
	      echo "UV_LIBS := $$(pkg-config --libs libuv)"; \
	      echo "EVENT_LIBS := $$(pkg-config --libs libevent)"; \
	      echo "CMOCKA_LIBS := $$(pkg-config --libs cmocka)"; \
	      echo "INIH_LIBS := $$(pkg-config --libs inih)"; \
	      echo "JANSSON_LIBS := $$(pkg-config --libs jansson)"; \
	      echo "ZLIB_LIBS := $$(pkg-config --libs zlib)"; \
	      echo "CRYPTO_LIBS := $$(pkg-config --libs libcrypto)"; } > $@.tmp && mv $@.tmp $@

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -I. -I$(LLHTTP_INC) $(PKG_CFLAGS) $(SAN_FLAGS)
LDLIBS   := -lm -lpthread
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

COMMON_SRC := common/clock.c common/cpuwork.c common/options.c common/hist.c common/csv.c \
	common/hlog.c
# An engine is a file: a new servers/engine_*.c is built without a line here.
SERVER_LIB_SRC := servers/http1.c servers/handlers.c servers/response.c servers/listen.c \
	servers/server.c servers/models.c $(sort $(wildcard servers/engine_*.c)) \
	servers/blocking.c servers/arbiter.c servers/stats.c servers/gil.c servers/work.c
SERVER_SRC := servers/main.c servers/args.c $(SERVER_LIB_SRC)
LOADGEN_LIB_SRC := loadgen/options.c loadgen/schedule.c loadgen/segment.c loadgen/stats.c \
	loadgen/interval.c loadgen/timeline.c loadgen/conn.c \
	loadgen/report.c
LOADGEN_SRC := loadgen/main.c $(LOADGEN_LIB_SRC)
BENCH_LIB_SRC := bench/expr.c bench/ini_lines.c bench/scenario.c bench/scenario_table.c bench/results.c bench/units.c \
	bench/proc.c bench/identity.c bench/cpus.c bench/outputs.c bench/launch.c bench/proctree.c \
	bench/watch.c bench/rows.c bench/progress.c bench/measure.c bench/run.c \
	bench/claims.c bench/compare.c bench/report.c bench/peers.c bench/fidelity.c bench/paths.c \
	bench/calibrate.c bench/runinfo.c bench/significance.c bench/environment.c \
	bench/warnings.c bench/html.c bench/report_percentiles.c \
	bench/report_environment.c bench/series.c bench/slo.c bench/capacity.c \
	bench/capacity_search.c bench/report_series.c bench/report_capacity.c \
	bench/hosts.c bench/sample.c bench/merge.c bench/remote.c bench/report_claims.c \
	bench/runtime_cost.c bench/cost_calibrate.c
BENCH_SRC := bench/main.c $(BENCH_LIB_SRC)
LLHTTP_OBJ := $(BUILD)/llhttp/api.o $(BUILD)/llhttp/http.o $(BUILD)/llhttp/llhttp.o

UNIT_TESTS := test_options test_cpuwork test_http1 test_handlers test_work test_response test_hist test_hlog test_merge test_loadgen test_gil \
	test_expr test_scenario test_csv test_fidelity test_calibrate test_significance test_series \
	test_runtime_cost
# bin/server's features, a file each; `make e2e` runs each once per model.
E2E_SERVER_TESTS := e2e_endpoints e2e_concurrency e2e_framing e2e_keepalive e2e_bad_requests \
	e2e_gil_releases e2e_timeouts e2e_lifecycle e2e_prefork e2e_runtime_cost
E2E_TESTS  := $(E2E_SERVER_TESTS) e2e_hostile e2e_faults e2e_slowloris e2e_loadgen e2e_shapes e2e_peers

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

.PHONY: all test unit e2e fuzz torture valgrind bench claims compare report baseline bench-loadgen deps-bench sanitize deps clean install uninstall man help \
	peers deps-peers deps-test
ROUNDS ?= 3
DURATION ?= 10s
all: $(BIN)/server $(BIN)/loadgen $(BIN)/bench

$(BUILD)/%.o: %.c $(BUILD)/config.mk
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# llhttp is generated C; it is compiled as its authors ship it, without our -Werror,
# in its strict mode (LLHTTP_STRICT_MODE: no lenient request lines, header names,
# obs-fold or chunk framing; hostile input gets 400).
$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c $(BUILD)/config.mk
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -w -DLLHTTP_STRICT_MODE=1 -I$(LLHTTP_INC) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libllhttp.a: $(LLHTTP_OBJ)
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/libcommon.a: $(call obj,$(COMMON_SRC))
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BIN)/server: $(call obj,$(SERVER_SRC)) $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(UV_LIBS) $(EVENT_LIBS) $(CRYPTO_LIBS) $(LDLIBS)

$(BIN)/loadgen: $(call obj,$(LOADGEN_SRC)) $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(EVENT_LIBS) $(ZLIB_LIBS) $(LDLIBS)

$(BIN)/bench: $(call obj,$(BENCH_SRC)) $(BUILD)/libcommon.a
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(INIH_LIBS) $(JANSSON_LIBS) $(UV_LIBS) $(EVENT_LIBS) $(ZLIB_LIBS) $(LDLIBS)

# Unit tests: each links the modules it tests.
TEST_LIBS = $(BUILD)/libcommon.a $(BUILD)/libllhttp.a $(CMOCKA_LIBS) $(INIH_LIBS) $(ZLIB_LIBS) $(CRYPTO_LIBS) $(LDLIBS)
$(BUILD)/tests/test_options: $(BUILD)/tests/test_options.o $(BUILD)/servers/args.o \
	$(BUILD)/servers/models.o
$(BUILD)/tests/test_cpuwork: $(BUILD)/tests/test_cpuwork.o
$(BUILD)/tests/test_hist: $(BUILD)/tests/test_hist.o
$(BUILD)/tests/test_hlog: $(BUILD)/tests/test_hlog.o
$(BUILD)/tests/test_merge: $(BUILD)/tests/test_merge.o $(BUILD)/bench/merge.o
$(BUILD)/tests/test_gil: $(BUILD)/tests/test_gil.o $(BUILD)/servers/gil.o $(BUILD)/tests/noise.o
$(BUILD)/tests/test_loadgen: $(BUILD)/tests/test_loadgen.o $(call obj,loadgen/options.c \
	loadgen/schedule.c loadgen/segment.c loadgen/stats.c loadgen/report.c)
$(BUILD)/tests/test_http1: $(BUILD)/tests/test_http1.o $(BUILD)/servers/http1.o
$(BUILD)/tests/test_handlers: $(BUILD)/tests/test_handlers.o $(BUILD)/servers/handlers.o
$(BUILD)/tests/test_work: $(BUILD)/tests/test_work.o $(BUILD)/servers/work.o $(BUILD)/servers/handlers.o
$(BUILD)/tests/test_response: $(BUILD)/tests/test_response.o $(call obj,servers/response.c \
	servers/handlers.c servers/http1.c)
$(BUILD)/tests/test_expr: $(BUILD)/tests/test_expr.o $(BUILD)/bench/expr.o
$(BUILD)/tests/test_scenario: $(BUILD)/tests/test_scenario.o $(BUILD)/bench/scenario.o $(BUILD)/bench/peers.o \
	$(BUILD)/bench/ini_lines.o $(BUILD)/bench/expr.o $(BUILD)/bench/slo.o
$(BUILD)/tests/test_csv: $(BUILD)/tests/test_csv.o $(BUILD)/bench/results.o
$(BUILD)/tests/test_series: $(BUILD)/tests/test_series.o $(BUILD)/bench/series.o
$(BUILD)/tests/test_calibrate: $(BUILD)/tests/test_calibrate.o $(BUILD)/bench/calibrate.o \
	$(BUILD)/bench/proc.o
$(BUILD)/tests/test_significance: $(BUILD)/tests/test_significance.o $(BUILD)/bench/significance.o \
	$(BUILD)/bench/expr.o
$(BUILD)/tests/test_runtime_cost: $(BUILD)/tests/test_runtime_cost.o $(call obj,bench/runtime_cost.c \
	bench/peers.c)
$(BUILD)/tests/test_fidelity: $(BUILD)/tests/test_fidelity.o $(call obj,bench/fidelity.c \
	bench/peers.c bench/claims.c bench/results.c bench/scenario.c bench/ini_lines.c \
	bench/scenario_table.c bench/units.c bench/expr.c bench/slo.c bench/capacity.c bench/significance.c)
$(addprefix $(BUILD)/tests/,$(E2E_SERVER_TESTS)): $(BUILD)/tests/%: $(BUILD)/tests/%.o \
	$(BUILD)/tests/e2e_client.o
# e2e_concurrency judges a blocked loop by the CPU its server spends (bench/proctree.c).
$(BUILD)/tests/e2e_concurrency: $(BUILD)/bench/proctree.o
$(BUILD)/tests/e2e_hostile: $(BUILD)/tests/e2e_hostile.o $(BUILD)/tests/e2e_client.o
$(BUILD)/tests/e2e_faults: $(BUILD)/tests/e2e_faults.o $(BUILD)/tests/e2e_client.o \
	$(BUILD)/bench/proctree.o
$(BUILD)/tests/e2e_slowloris: $(BUILD)/tests/e2e_slowloris.o $(BUILD)/tests/e2e_client.o
$(BUILD)/tests/e2e_loadgen: $(BUILD)/tests/e2e_loadgen.o $(BUILD)/tests/e2e_client.o
$(BUILD)/tests/e2e_shapes: $(BUILD)/tests/e2e_shapes.o $(BUILD)/tests/e2e_client.o \
	$(BUILD)/tests/noise.o $(BUILD)/bench/proctree.o
$(BUILD)/tests/e2e_peers: $(BUILD)/tests/e2e_peers.o $(BUILD)/tests/e2e_client.o $(BUILD)/bench/peers.o \
	$(BUILD)/bench/calibrate.o $(BUILD)/bench/proc.o $(BUILD)/bench/proctree.o
# Every e2e test has the shared client, which reads a server's CPU from /proc.
$(addprefix $(BUILD)/tests/,$(E2E_TESTS)): $(BUILD)/tests/e2e_client.o $(BUILD)/bench/proctree.o
$(addprefix $(BUILD)/tests/,$(UNIT_TESTS) $(E2E_TESTS)): $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(filter %.o,$^) $(TEST_LIBS)

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
	$(Q)set -e; for t in $^; do echo "== $$t"; $$t; done

# End-to-end: real servers on 127.0.0.1, port 0, real HTTP. MODELS picks which.
MODELS ?= node node-cluster node-workers uvicorn python-threads python-nogil gunicorn-sync \
	gunicorn-gthread uvicorn-workers
# One CPU-work calibration for every bin/server the tests start, measured at
# the start of `make e2e` and read through $SHOWDOWN_CPU_CALIBRATION, as
# bin/bench gives one to every process of a run (bench/calibrate.h).
E2E_CALIBRATION = $(BUILD)/e2e-cpu-calibration
E2E_ENV = SHOWDOWN_CPU_CALIBRATION=$$(cut -d' ' -f1 $(E2E_CALIBRATION))
e2e: $(BIN)/server $(BIN)/loadgen $(BIN)/bench $(addprefix $(BUILD)/tests/,$(E2E_TESTS)) | deps-peers \
	deps-test
	$(Q)$(BIN)/server --calibrate > $(E2E_CALIBRATION); \
	    echo "== CPU work for every test server: $$(cat $(E2E_CALIBRATION)) (iterations/us, spread)"
	$(Q)export $(E2E_ENV); set -e; for m in $(MODELS); do \
	    for t in $(E2E_SERVER_TESTS); do echo "== $$t --model $$m"; \
	        SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_MODEL=$$m $(BUILD)/tests/$$t; done; \
	    echo "== e2e_hostile, e2e_faults, e2e_slowloris --model $$m"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_MODEL=$$m $(BUILD)/tests/e2e_hostile; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen SHOWDOWN_MODEL=$$m \
	        $(if $(SAN),SHOWDOWN_SANITIZED=1) $(BUILD)/tests/e2e_faults; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen SHOWDOWN_MODEL=$$m \
	        $(BUILD)/tests/e2e_slowloris; done
	$(Q)export $(E2E_ENV); echo "== e2e_loadgen (against --model node)"; SHOWDOWN_SERVER=$(BIN)/server \
	    SHOWDOWN_MODEL=node SHOWDOWN_LOADGEN=$(BIN)/loadgen $(BUILD)/tests/e2e_loadgen
	$(Q)export $(E2E_ENV); echo "== e2e_hlog (bin/loadgen --hlog read by hdr-histogram-js)"; \
	    SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen NODE_MODULES=$(NPM_DIR)/node_modules tests/e2e_hlog.sh
	$(Q)export $(E2E_ENV); echo "== e2e_mpirun (mpirun -np 2 bin/loadgen: two slices of one schedule)"; \
	    SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen tests/e2e_mpirun.sh
	$(Q)export $(E2E_ENV); echo "== e2e_shapes (every model's shape, with bin/loadgen)"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen $(BUILD)/tests/e2e_shapes
	$(Q)export $(E2E_ENV); echo "== e2e_bench (bin/bench on tests/scenarios/tiny.ini)"; \
	    BENCH=$(BIN)/bench SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen tests/e2e_bench.sh
	$(Q)export $(E2E_ENV); echo "== e2e_series (the time series: a server stopped for 1 s shows in it)"; \
	    BENCH=$(BIN)/bench SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen tests/e2e_series.sh
	$(Q)export $(E2E_ENV); echo "== e2e_capacity (capacity at p99<=50ms on /io?ms=20: Little's law)"; \
	    BENCH=$(BIN)/bench SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen tests/e2e_capacity.sh
	$(Q)export $(E2E_ENV); echo "== e2e_hosts (bin/bench run --hosts across three network namespaces, ip netns exec and ssh)"; \
	    BENCH=$(BIN)/bench SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen tests/e2e_hosts.sh; rc=$$?; \
	    if [ $$rc = 77 ]; then echo "== e2e_hosts SKIPPED (see above why)"; elif [ $$rc != 0 ]; then exit $$rc; fi
	$(Q)export $(E2E_ENV); echo "== e2e_peers (each real runtime beside its C twin: same bytes)"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_PEERS=peers $(BUILD)/tests/e2e_peers
	$(Q)command -v man >/dev/null || { $(call apt_install,man-db); }
	$(Q)export $(E2E_ENV); echo "== e2e_install (make install into a temporary DESTDIR, showdown-bench from elsewhere, uninstall)"; \
	    tests/e2e_install.sh

test: unit e2e

# libFuzzer (clang) on the request path, with ASan + UBSan; the hostile
# corpus is the seed (the first byte of a seed picks how its bytes are cut).
FUZZ_SECONDS ?= 60
# libFuzzer's runtime comes with compiler-rt, which Debian 12's clang only recommends.
FUZZ_PACKAGES := clang libclang-rt-dev
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_SRC := tests/fuzz_http1.c servers/http1.c servers/handlers.c servers/response.c $(COMMON_SRC) \
	$(LLHTTP_SRC)/api.c $(LLHTTP_SRC)/http.c $(LLHTTP_SRC)/llhttp.c
$(FUZZ_DIR)/fuzz_http1: $(FUZZ_SRC) $(wildcard servers/*.h common/*.h) $(BUILD)/config.mk
	$(Q)command -v clang >/dev/null && [ -n "$$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
	    2>/dev/null)" ] || { $(call apt_install,$(FUZZ_PACKAGES)); }
	$(call say,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -DLLHTTP_STRICT_MODE=1 -I. -I$(LLHTTP_INC) $(FUZZ_SRC) -o $@ -lm -lpthread

fuzz: $(FUZZ_DIR)/fuzz_http1 $(BUILD)/tests/e2e_hostile
	$(Q)mkdir -p $(FUZZ_DIR)/seeds $(FUZZ_DIR)/corpus
	$(Q)$(BUILD)/tests/e2e_hostile --dump $(FUZZ_DIR)/seeds
	$(FUZZ_DIR)/fuzz_http1 -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds

# The long versions of the fault tests (bounded, loopback only, under 15
# minutes on 2 cores): slowloris with 1,000 connections for 15 s and the
# leak check over a million requests on every model, then 2 minutes of fuzzing.
torture: $(BIN)/server $(BIN)/loadgen $(addprefix $(BUILD)/tests/,$(E2E_TESTS))
	$(Q)set -e; for m in $(MODELS); do echo "== torture --model $$m"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_MODEL=$$m $(BUILD)/tests/e2e_hostile; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen SHOWDOWN_MODEL=$$m \
	        FAULTS_REQUESTS=1000000 FAULTS_IDLE_CONNECTIONS=10000 $(BUILD)/tests/e2e_faults; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen SHOWDOWN_MODEL=$$m \
	        SLOWLORIS_CONNECTIONS=1000 SLOWLORIS_SECONDS=15 $(BUILD)/tests/e2e_slowloris; done
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(or $(TORTURE_FUZZ_SECONDS),120)

# Memcheck: the unit tests, and the hostile corpus against a node model
# running under valgrind (its exit status on SIGTERM carries the verdict).
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
valgrind: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS)) $(BIN)/server $(BUILD)/tests/e2e_hostile
	$(Q)command -v valgrind >/dev/null || { $(call apt_install,valgrind); }
	$(Q)set -e; for t in $(addprefix $(BUILD)/tests/,$(UNIT_TESTS)); do echo "== valgrind $$t"; \
	    SHOWDOWN_VALGRIND=1 $(VALGRIND) $$t > $$t.valgrind.log 2>&1 || { cat $$t.valgrind.log; exit 1; }; done
	$(Q)printf '#!/bin/sh\nexec $(VALGRIND) %s "$$@"\n' "$(abspath $(BIN)/server)" > $(BUILD)/valgrind-server
	$(Q)chmod +x $(BUILD)/valgrind-server
	@echo "== valgrind bin/server --model node under the hostile corpus"
	$(Q)SHOWDOWN_SERVER=$(BUILD)/valgrind-server SHOWDOWN_MODEL=node $(BUILD)/tests/e2e_hostile

sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=build/sanitize BIN=build/sanitize/bin SAN=1 test

# The suite: every scenario (SCENARIOS narrows it, MODELS too), --quick
# unless FULL=1; then the report and the claims. `make claims` is what CI
# runs: the quick suite over the models and their real runtimes (--peers,
# so each claim gets both verdicts), failing only when a required claim
# fails on the models; a real runtime's verdict is reported, never required.
# calibrate.ini is bin/bench calibrate's, not the suite's.
SCENARIO_ORDER := hello io-bound cpu-bound mixed convoy convoy-1ms c10k
SCENARIOS ?= $(SCENARIO_ORDER) $(filter-out $(SCENARIO_ORDER) calibrate,$(basename $(notdir $(wildcard \
	scenarios/*.ini))))
BENCH_MODELS = $(if $(filter command line environment,$(origin MODELS)),--models "$(MODELS)")
BENCH_RUN = out=results/$$(date -u +%Y%m%dT%H%M%SZ)-$$(hostname -s).csv; \
	$(BIN)/bench run $(if $(FULL),,--quick) $(BENCH_PEERS) $(BENCH_MODELS) --out $$out $(SCENARIOS) && \
	$(BIN)/bench report $$out
bench: all
	$(Q)$(BENCH_RUN) || exit $$?; $(BIN)/bench claims $$out || [ $$? = 1 ]

claims: BENCH_PEERS = --peers
claims: all
	$(Q)$(MAKE) --no-print-directory deps-peers || \
	    echo "claims: a real runtime is missing; its verdicts will say not measured, with the package"
	$(Q)$(BENCH_RUN); rc=$$?; [ $$rc = 0 ] || exit $$rc; \
	if [ -n "$$GITHUB_STEP_SUMMARY" ]; then $(BIN)/bench claims --markdown $$out >> "$$GITHUB_STEP_SUMMARY"; fi; \
	$(BIN)/bench claims $$out

compare: $(BIN)/bench
	$(Q)[ -n "$(A)" ] && [ -n "$(B)" ] || { echo "usage: make compare A=old.csv B=new.csv [THRESHOLD=10%]  (A=\"a1.csv a2.csv ...\": several runs a side)"; exit 2; }
	$(BIN)/bench compare $(if $(THRESHOLD),--threshold $(THRESHOLD)) $(A) -- $(B)

report: $(BIN)/bench
	$(Q)[ -n "$(R)" ] || { echo "usage: make report R=results/FILE.csv"; exit 2; }
	$(BIN)/bench report $(R)

# Comparisons against nginx (one worker, return 200), pinned, alternating:
# the node model vs nginx under wrk, and bin/loadgen vs wrk. They need wrk
# and nginx-light, which are not showdown's dependencies: make deps-bench.
BENCH_PACKAGES := wrk nginx-light
baseline: $(BIN)/server $(BIN)/loadgen
	$(Q)command -v wrk >/dev/null && [ -x /usr/sbin/nginx ] || $(MAKE) --no-print-directory deps-bench
	SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen bench/vs_nginx.sh servers $(ROUNDS) $(DURATION)

bench-loadgen: $(BIN)/server $(BIN)/loadgen
	$(Q)command -v wrk >/dev/null && [ -x /usr/sbin/nginx ] || $(MAKE) --no-print-directory deps-bench
	SERVER=$(BIN)/server LOADGEN=$(BIN)/loadgen bench/vs_nginx.sh loadgens $(ROUNDS) $(DURATION)

# nginx-light's postinst would start nginx on port 80: policy-rc.d keeps it from
# starting a service we did not ask for (only if the machine has none already).
deps-bench:
	$(Q)made=; if [ "$$(id -u)" = 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made=1; fi; \
	( $(call apt_install,$(BENCH_PACKAGES)) ); \
	rc=$$?; [ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc

# The real runtimes beside the models (peers/, bench/peers.c): Debian's
# CPython stacks, and Node.js (the machine's, else Debian's nodejs). uvloop
# and httptools are what `pip install uvicorn[standard]` brings.
PEER_PACKAGES := python3 python3-flask python3-gunicorn python3-uvicorn python3-uvloop \
	python3-httptools python3-fastapi
peers_missing = [ ! -x /usr/bin/node ] || ! /usr/bin/python3 -c \
	'import flask, gunicorn, uvicorn, uvloop, httptools, fastapi' 2>/dev/null
deps-peers:
	$(Q)if $(peers_missing); then \
	    $(call apt_install,$(PEER_PACKAGES) $(if $(wildcard /usr/bin/node),,nodejs)); fi

# What only the tests need: Open MPI's mpirun (a launcher of bin/loadgen
# slices, tests/e2e_mpirun.sh), hdr-histogram-js, an HdrHistogram
# nobody here wrote, which reads bin/loadgen's --hlog in tests/e2e_hlog.sh
# (installed with npm into build/npm; showdown itself never needs it), and
# for bin/bench run --hosts (tests/e2e_hosts.sh) network namespaces
# (iproute2) and a real sshd and ssh (OpenSSH).
TEST_PACKAGES := openmpi-bin npm openssh-server openssh-client iproute2
HDR_JS        := hdr-histogram-js@3.0.1
NPM_DIR       := $(BUILD)/npm
test_missing = ! command -v mpirun >/dev/null || ! command -v npm >/dev/null || [ ! -x /usr/sbin/sshd ] || \
	! command -v ssh >/dev/null || ! command -v ssh-keygen >/dev/null || ! command -v ip >/dev/null
deps-test:
	$(Q)if $(test_missing); then $(call apt_install,$(TEST_PACKAGES)); fi
	$(Q)[ -f $(NPM_DIR)/node_modules/hdr-histogram-js/package.json ] || \
	    npm install --no-audit --no-fund --prefix $(NPM_DIR) $(HDR_JS) >/dev/null

# The C models and their real runtimes on the quick scenarios (FULL=1: the
# full ones), then the report and the fidelity table.
PEER_SCENARIOS := hello io-bound cpu-bound mixed
peers: all deps-peers
	$(Q)out=results/$$(date -u +%Y%m%dT%H%M%SZ)-$$(hostname -s)-peers.csv; \
	$(BIN)/bench run $(if $(FULL),,--quick) --peers $(BENCH_MODELS) --out $$out $(PEER_SCENARIOS) && \
	$(BIN)/bench report $$out && $(BIN)/bench fidelity $$out

deps:
	$(Q)if $(deps_missing); then $(install_deps); else echo "dependencies present: $(DEBIAN_PACKAGES)"; fi

# make install: the binaries as showdown-*, their data beside them in
# share/showdown (bench/paths.c finds it from the executable's own place, so
# DESTDIR and a moved prefix work), a man page each, made from --help and
# --version by help2man (run by the installed name, which --help shows),
# and the README. uninstall removes just those.
INSTALL_NAMES := server loadgen bench
INSTALL_DATA  := $(wildcard scenarios/*.ini peers/node/*.js peers/python/*.py)
DATADIR       := $(PREFIX)/share/showdown
MANDIR        := $(PREFIX)/share/man/man1
DOCDIR        := $(PREFIX)/share/doc/showdown
MAN_PAGES     := $(patsubst %,$(BUILD)/man/showdown-%.1,$(INSTALL_NAMES))
MAN_NAME_server  := HTTP server in the concurrency model of Node, CPython, gunicorn or uvicorn
MAN_NAME_loadgen := HTTP load generator with wrk's flags and wrk2's open loop
MAN_NAME_bench   := run showdown's benchmark scenarios, judge their claims, compare and report

$(BUILD)/man/showdown-%.1: $(BIN)/%
	$(Q)command -v help2man >/dev/null || { $(call apt_install,help2man); }
	$(call say,MAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)ln -sf $(abspath $<) $(@D)/showdown-$*
	$(Q)help2man --no-info --name="$(MAN_NAME_$*)" --output=$@.tmp $(@D)/showdown-$* && mv $@.tmp $@

man: $(MAN_PAGES)

install: all $(MAN_PAGES)
	$(Q)set -e; for n in $(INSTALL_NAMES); do \
	    install -D -m 755 $(BIN)/$$n $(DESTDIR)$(PREFIX)/bin/showdown-$$n; \
	    install -D -m 644 $(BUILD)/man/showdown-$$n.1 $(DESTDIR)$(MANDIR)/showdown-$$n.1; done
	$(Q)set -e; for f in $(INSTALL_DATA); do install -D -m 644 $$f $(DESTDIR)$(DATADIR)/$$f; done
	$(Q)install -D -m 644 README.md $(DESTDIR)$(DOCDIR)/README.md
	@echo "installed showdown-server, showdown-loadgen, showdown-bench in $(DESTDIR)$(PREFIX)/bin"

uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/showdown-,$(INSTALL_NAMES)) \
	    $(patsubst %,$(DESTDIR)$(MANDIR)/showdown-%.1,$(INSTALL_NAMES)) \
	    $(addprefix $(DESTDIR)$(DATADIR)/,$(INSTALL_DATA)) $(DESTDIR)$(DOCDIR)/README.md
	$(Q)cd $(DESTDIR)$(DATADIR) 2>/dev/null && rmdir -p --ignore-fail-on-non-empty \
	    $(sort $(dir $(INSTALL_DATA))) || true
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build bin

help:
	@sed -n '3,15s/^# //p' Makefile

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
