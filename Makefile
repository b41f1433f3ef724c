# showdown — one plain GNU Makefile.
#
#   make            build bin/server and bin/loadgen
#   make test       install missing dependencies, build, run unit and end-to-end tests
#   make bench      start the node model and show how to drive it
#   make baseline   node model vs nginx under wrk (make deps-bench installs them)
#   make bench-loadgen  bin/loadgen vs wrk against nginx
#   make sanitize   the tests again, built with ASan + UBSan in build/sanitize
#   make deps       install the Debian packages (as root; otherwise prints the command)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show full commands

PREFIX  ?= /usr/local
BUILD   ?= build
BIN     ?= bin
CC      ?= cc

# Exactly the Debian packages showdown builds and tests with.
DEBIAN_PACKAGES := gcc libc6-dev pkg-config libuv1-dev libevent-dev node-llhttp libcmocka-dev libinih-dev
PKG_MODULES     := libuv libevent cmocka inih
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

# What `make deps` runs; also run by the config step when something is missing.
define install_deps
	if [ "$$(id -u)" = 0 ]; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y --no-install-recommends $(DEBIAN_PACKAGES) || \
	    { apt-get update && apt-get install -y --no-install-recommends $(DEBIAN_PACKAGES); }; \
	else \
	    echo "showdown needs Debian packages; run:"; \
	    echo "  sudo apt-get install -y $(DEBIAN_PACKAGES)"; \
	    exit 1; \
	fi
endef

deps_missing = ! command -v $(CC) >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1 || \
	! pkg-config --exists $(PKG_MODULES) || [ ! -f $(LLHTTP_SRC)/llhttp.c ]

.DEFAULT_GOAL := all

# Goals that need no compiler flags skip the dependency check.
NO_CONFIG_GOALS := clean deps deps-bench help
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
	      echo "INIH_LIBS := $$(pkg-config --libs inih)"; } > $@.tmp && mv $@.tmp $@

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -MMD -MP -I. -I$(LLHTTP_INC) $(PKG_CFLAGS) $(SAN_FLAGS)
LDLIBS   := -lm -lpthread
ifeq ($(SAN),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

COMMON_SRC := common/clock.c common/cpuwork.c common/options.c common/hist.c
SERVER_LIB_SRC := servers/http1.c servers/handlers.c servers/listen.c servers/models.c \
	servers/engine_uv.c servers/engine_event.c servers/engine_threads.c servers/engine_pool.c \
	servers/engine_sync.c servers/blocking.c servers/arbiter.c servers/stats.c \
	servers/gil.c
SERVER_SRC := servers/main.c $(SERVER_LIB_SRC)
LOADGEN_LIB_SRC := loadgen/options.c loadgen/schedule.c loadgen/stats.c loadgen/conn.c \
	loadgen/report.c
LOADGEN_SRC := loadgen/main.c $(LOADGEN_LIB_SRC)
LLHTTP_OBJ := $(BUILD)/llhttp/api.o $(BUILD)/llhttp/http.o $(BUILD)/llhttp/llhttp.o

UNIT_TESTS := test_options test_cpuwork test_http1 test_handlers test_hist test_loadgen test_gil
E2E_TESTS  := e2e_server e2e_loadgen e2e_shapes

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

.PHONY: all test unit e2e bench baseline bench-loadgen deps-bench sanitize deps clean install help
ROUNDS ?= 3
DURATION ?= 10s
all: $(BIN)/server $(BIN)/loadgen

$(BUILD)/%.o: %.c $(BUILD)/config.mk
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# llhttp is generated C; it is compiled as its authors ship it, without our -Werror.
$(BUILD)/llhttp/%.o: $(LLHTTP_SRC)/%.c $(BUILD)/config.mk
	$(call say,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -w -I$(LLHTTP_INC) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/libllhttp.a: $(LLHTTP_OBJ)
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BUILD)/libcommon.a: $(call obj,$(COMMON_SRC))
	$(call say,AR,$@)
	$(Q)ar rcs $@ $^

$(BIN)/server: $(call obj,$(SERVER_SRC)) $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(UV_LIBS) $(EVENT_LIBS) $(LDLIBS)

$(BIN)/loadgen: $(call obj,$(LOADGEN_SRC)) $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $^ $(EVENT_LIBS) $(LDLIBS)

# Unit tests: each links the modules it tests.
TEST_LIBS = $(BUILD)/libcommon.a $(BUILD)/libllhttp.a $(CMOCKA_LIBS) $(LDLIBS)
$(BUILD)/tests/test_options: $(BUILD)/tests/test_options.o
$(BUILD)/tests/test_cpuwork: $(BUILD)/tests/test_cpuwork.o
$(BUILD)/tests/test_hist: $(BUILD)/tests/test_hist.o
$(BUILD)/tests/test_gil: $(BUILD)/tests/test_gil.o $(BUILD)/servers/gil.o
$(BUILD)/tests/test_loadgen: $(BUILD)/tests/test_loadgen.o $(call obj,loadgen/options.c \
	loadgen/schedule.c loadgen/stats.c loadgen/report.c)
$(BUILD)/tests/test_http1: $(BUILD)/tests/test_http1.o $(BUILD)/servers/http1.o
$(BUILD)/tests/test_handlers: $(BUILD)/tests/test_handlers.o $(BUILD)/servers/handlers.o \
	$(BUILD)/servers/http1.o
$(BUILD)/tests/e2e_server: $(BUILD)/tests/e2e_server.o $(BUILD)/tests/e2e_client.o
$(BUILD)/tests/e2e_loadgen: $(BUILD)/tests/e2e_loadgen.o $(BUILD)/tests/e2e_client.o
$(BUILD)/tests/e2e_shapes: $(BUILD)/tests/e2e_shapes.o $(BUILD)/tests/e2e_client.o
$(addprefix $(BUILD)/tests/,$(UNIT_TESTS) $(E2E_TESTS)): $(BUILD)/libcommon.a $(BUILD)/libllhttp.a
	$(call say,LD,$@)
	$(Q)$(CC) $(SAN_FLAGS) -o $@ $(filter %.o,$^) $(TEST_LIBS)

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
	$(Q)set -e; for t in $^; do echo "== $$t"; $$t; done

# End-to-end: real servers on 127.0.0.1, port 0, real HTTP. MODELS picks which.
MODELS ?= node node-cluster node-workers uvicorn python-threads python-nogil gunicorn-sync \
	gunicorn-gthread uvicorn-workers
e2e: $(BIN)/server $(BIN)/loadgen $(addprefix $(BUILD)/tests/,$(E2E_TESTS))
	$(Q)set -e; for m in $(MODELS); do echo "== e2e_server --model $$m"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_MODEL=$$m $(BUILD)/tests/e2e_server; done
	$(Q)echo "== e2e_loadgen (against --model node)"; SHOWDOWN_SERVER=$(BIN)/server \
	    SHOWDOWN_MODEL=node SHOWDOWN_LOADGEN=$(BIN)/loadgen $(BUILD)/tests/e2e_loadgen
	$(Q)echo "== e2e_shapes (every model's shape, with bin/loadgen)"; \
	    SHOWDOWN_SERVER=$(BIN)/server SHOWDOWN_LOADGEN=$(BIN)/loadgen $(BUILD)/tests/e2e_shapes

test: unit e2e

sanitize:
	$(Q)$(MAKE) --no-print-directory BUILD=build/sanitize BIN=build/sanitize/bin SAN=1 test

bench: $(BIN)/server
	@echo "The suite runner (bin/bench) is not built yet; starting the node model."
	@echo "Drive it from another shell, e.g.:"
	@echo "  curl http://127.0.0.1:8080/hello"
	@echo "  wrk -t1 -c64 -d10s http://127.0.0.1:8080/hello        (apt-get install wrk)"
	@echo "  wrk -t1 -c64 -d10s 'http://127.0.0.1:8080/io?ms=20'"
	@echo "Stop it with Ctrl-C."
	$(BIN)/server --model node --port 8080

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
	$(Q)if [ "$$(id -u)" != 0 ]; then \
	    echo "run: sudo apt-get install -y $(BENCH_PACKAGES)"; exit 1; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	if [ -e /usr/sbin/policy-rc.d ]; then made=; else \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made=1; fi; \
	apt-get install -y --no-install-recommends $(BENCH_PACKAGES) || \
	    { apt-get update && apt-get install -y --no-install-recommends $(BENCH_PACKAGES); }; \
	rc=$$?; [ -z "$$made" ] || rm -f /usr/sbin/policy-rc.d; exit $$rc

deps:
	$(Q)if $(deps_missing); then $(install_deps); else echo "dependencies present: $(DEBIAN_PACKAGES)"; fi

install: all
	install -D -m 755 $(BIN)/server $(DESTDIR)$(PREFIX)/bin/showdown-server
	install -D -m 755 $(BIN)/loadgen $(DESTDIR)$(PREFIX)/bin/showdown-loadgen

clean:
	rm -rf build bin

help:
	@sed -n '3,12s/^# //p' Makefile

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
