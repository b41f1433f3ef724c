/*
 * e2e_peers.c — every real runtime of bench/peers.c, started exactly as
 * bin/bench starts it (peer_argv), beside its C twin: the same status and
 * body for every endpoint, its CPU work and waits taking the time they say,
 * and a clean stop on SIGTERM. Needs `make deps-peers` (make test runs it).
 */
#include "../bench/peers.h"
#include "../common/clock.h"
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct e2e_server twin, real;

static int stop_both(void **state) {
    (void)state;
    if (twin.pid > 0)
        e2e_server_stop(&twin, SIGKILL, 5000);
    if (real.pid > 0)
        e2e_server_stop(&real, SIGKILL, 5000);
    twin.pid = real.pid = 0;
    return 0;
}

static const char *peers_dir(void) {
    return getenv("SHOWDOWN_PEERS") ? getenv("SHOWDOWN_PEERS") : "peers";
}

static void start_peer(const struct peer *peer) {
    char storage[8192], *argv[PEER_MAX_ARGS + 1];
    /* Two processes and four threads keep the start quick. */
    assert_true(peer_argv(peer, peers_dir(), "2", "4", storage, sizeof(storage), argv) > 0);
    assert_int_equal(e2e_command_start(&real, (const char *const *)argv), 0);
}

/* Same status, same body, on the C twin and the real runtime. */
static void test_every_endpoint_answers_the_same_bytes(void **state) {
    static const char *const targets[] = {
        "/hello",
        "/json",
        "/io?ms=5",
        "/cpu?us=100",
        "/mixed?cpu_us=100&io_ms=1",
        "/bytes?n=0",
        "/bytes?n=100000",
        "/nowhere",
        "/io?ms=x",
        "/cpu?us=99999999999",
        "/mixed?cpu_us=1",
        "/bytes?n=-1",
    };
    (void)state;
    for (unsigned p = 0; p < npeers; p++) {
        assert_int_equal(e2e_server_start_model(&twin, peers[p].twin, NULL), 0);
        start_peer(&peers[p]);
        for (size_t t = 0; t < sizeof(targets) / sizeof(targets[0]); t++) {
            struct e2e_response want, got;
            assert_int_equal(e2e_get(twin.port, targets[t], &want), 0);
            int rc = e2e_get(real.port, targets[t], &got);
            if (rc != 0 || got.status != want.status || got.body_len != want.body_len ||
                memcmp(got.body, want.body, want.body_len) != 0)
                print_error("%s %s: got %d (rc %d) \"%.60s\", want %d \"%.60s\"\n", peers[p].name,
                            targets[t], rc == 0 ? got.status : 0, rc, rc == 0 ? got.body : "",
                            want.status, want.body);
            assert_int_equal(rc, 0);
            assert_int_equal(got.status, want.status);
            assert_int_equal(got.body_len, want.body_len);
            assert_memory_equal(got.body, want.body, want.body_len);
            e2e_response_free(&want);
            e2e_response_free(&got);
        }
        print_message("%-22s same bytes as %s on %zu requests\n", peers[p].name, peers[p].twin,
                      sizeof(targets) / sizeof(targets[0]));
        assert_int_equal(e2e_server_stop(&twin, SIGTERM, E2E_TIMEOUT_MS), 0);
        assert_true(e2e_server_stop(&real, SIGTERM, E2E_TIMEOUT_MS) >= 0);
        twin.pid = real.pid = 0;
    }
}

/* /cpu?us=30000 is calibrated work in the runtime's own language, and
 * /io?ms=50 a wait: neither comes back early (but for a timer's rounding). */
static void test_work_and_waits_take_their_time(void **state) {
    (void)state;
    for (unsigned p = 0; p < npeers; p++) {
        start_peer(&peers[p]);
        struct e2e_response resp;
        uint64_t cpu_best = UINT64_MAX;
        for (int i = 0; i < 3; i++) {
            assert_int_equal(e2e_get(real.port, "/cpu?us=30000", &resp), 0);
            assert_int_equal(resp.status, 200);
            cpu_best = resp.elapsed_us < cpu_best ? resp.elapsed_us : cpu_best;
            e2e_response_free(&resp);
        }
        assert_int_equal(e2e_get(real.port, "/io?ms=50", &resp), 0);
        uint64_t io = resp.elapsed_us;
        e2e_response_free(&resp);
        print_message("%-22s /cpu?us=30000 %.1f ms, /io?ms=50 %.1f ms\n", peers[p].name,
                      (double)cpu_best / 1000, (double)io / 1000);
        /* Calibrated on CPU time: best of three within -30% .. +100%. */
        assert_true(cpu_best >= 21000 && cpu_best <= 60000);
        /* libuv (Node, uvloop) keeps its loop time in whole milliseconds,
         * cached per iteration: a timer may fire up to 1 ms early by the
         * wall clock (49.8 ms seen from real-uvicorn). */
        assert_true(io >= 48500 && io <= 150000);
        assert_true(e2e_server_stop(&real, SIGTERM, E2E_TIMEOUT_MS) >= 0);
        real.pid = 0;
    }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_every_endpoint_answers_the_same_bytes, stop_both),
        cmocka_unit_test_teardown(test_work_and_waits_take_their_time, stop_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
