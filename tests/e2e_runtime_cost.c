/*
 * e2e_runtime_cost.c — --runtime-cost US: every model spends that many µs
 * of calibrated CPU work (common/cpuwork.c, the work /cpu?us=N does) on
 * each request, where its runtime spends its own (server.h,
 * server_runtime_cost). Judged by the CPU the server's process tree
 * spends per request, with the cost and without: a ratio of work, which a
 * busy neighbour does not stretch. That the cost serialises under a GIL is
 * e2e_shapes.c's (it needs bin/loadgen). bin/server --port 0 for the model
 * in $SHOWDOWN_MODEL; run by `make e2e` once per model in MODELS.
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#define REQUESTS 200
#define COST_US  1000

/* The server CPU (µs) per /hello of the model started with cost_us. */
static double cpu_per_hello_us(const char *cost_us) {
    const char *const args[] = {"--runtime-cost", cost_us, NULL};
    struct e2e_response resp;
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    double before = e2e_server_cpu_s(&e2e_own);
    for (int i = 0; i < REQUESTS; i++) {
        assert_int_equal(e2e_get(e2e_own.port, "/hello", &resp), 0);
        assert_int_equal(resp.status, 200);
        e2e_response_free(&resp);
    }
    double spent = e2e_server_cpu_s(&e2e_own) - before;
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
    return spent * 1e6 / REQUESTS;
}

/*
 * 1000 µs of runtime cost adds about 1000 µs of server CPU to a /hello,
 * whichever thread spends it: 0.8 .. 1.5 of it (the calibration is the
 * fastest of its rounds, so work costs a little more than it says; a
 * neighbour on the core stretches the work's CPU time a little through
 * the cache). A flag that is ignored adds nothing (0), one spent twice
 * (on two paths, or per read) adds 2.
 */
static void test_runtime_cost_adds_its_cpu_to_each_request(void **state) {
    (void)state;
    double without = cpu_per_hello_us("0");
    double with = cpu_per_hello_us("1000");
    double ratio = (with - without) / COST_US;
    print_message("%s: %.0f us of server CPU per /hello, %.0f with --runtime-cost %d: %.2f of "
                  "it\n",
                  e2e_model(), without, with, COST_US, ratio);
    if (ratio < 0.8 || ratio > 1.5)
        fail_msg("--runtime-cost %d added %.0f us of CPU per request (%.2f of it); expected "
                 "0.8 .. 1.5",
                 COST_US, with - without, ratio);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_runtime_cost_adds_its_cpu_to_each_request, e2e_own_stop),
    };
    return cmocka_run_group_tests_name("runtime cost", tests, NULL, NULL) != 0;
}
