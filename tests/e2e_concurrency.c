/*
 * e2e_concurrency.c — how long work takes, alone and side by side: /io
 * waits at least its ms, many waits overlap as far as the model serves
 * requests at once, and CPU work blocks a concurrent /hello only on a
 * single loop. bin/server --port 0 for the model in $SHOWDOWN_MODEL on
 * 127.0.0.1; run by `make e2e` once per model in MODELS.
 */
#include "../common/clock.h"
#include "e2e_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_io_waits_at_least_ms(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(e2e_shared.port, "/io?ms=50", &resp), 0);
    assert_int_equal(resp.status, 200);
    if (resp.elapsed_us < 50000)
        fail_msg("/io?ms=50 answered after %llu us", (unsigned long long)resp.elapsed_us);
    e2e_response_free(&resp);

    assert_int_equal(e2e_get(e2e_shared.port, "/mixed?cpu_us=1000&io_ms=30", &resp), 0);
    assert_int_equal(resp.status, 200);
    if (resp.elapsed_us < 31000)
        fail_msg("/mixed?cpu_us=1000&io_ms=30 answered after %llu us",
                 (unsigned long long)resp.elapsed_us);
    e2e_response_free(&resp);
}

#define CONCURRENT 100

/* How many requests a model serves at once: unbounded for a loop or a
 * thread per connection; a pool's size for a pool (Little's law then says
 * how long 100 waits take). */
static unsigned model_concurrency(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (strcmp(e2e_model(), "python-nogil") == 0)
        return 8; /* --threads */
    if (strcmp(e2e_model(), "gunicorn-gthread") == 0)
        return 8 * (unsigned)(cores > 0 ? cores : 1); /* --threads x --workers */
    if (strcmp(e2e_model(), "gunicorn-sync") == 0)
        return 2 * (unsigned)(cores > 0 ? cores : 1) + 1; /* --workers */
    return CONCURRENT;
}

static void test_concurrent_io_waits_overlap(void **state) {
    struct e2e_conn *conns = calloc(CONCURRENT, sizeof(*conns));
    static const char req[] = "GET /io?ms=100 HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)state;
    assert_non_null(conns);
    for (int i = 0; i < CONCURRENT; i++)
        assert_true(e2e_conn_open(&conns[i], e2e_shared.port));
    uint64_t start = clock_now_us();
    for (int i = 0; i < CONCURRENT; i++)
        e2e_send_request(&conns[i], req);
    for (int i = 0; i < CONCURRENT; i++)
        e2e_expect_status(&conns[i], 200);
    uint64_t elapsed = clock_now_us() - start;
    unsigned rounds = (CONCURRENT + model_concurrency() - 1) / model_concurrency();
    uint64_t low = rounds * 100000ull, high = rounds == 1 ? 1000000 : rounds * 100000ull * 2;
    if (elapsed < low || elapsed >= high)
        fail_msg("%d concurrent /io?ms=100 took %llu us; expected %llu .. %llu us", CONCURRENT,
                 (unsigned long long)elapsed, (unsigned long long)low, (unsigned long long)high);
    for (int i = 0; i < CONCURRENT; i++)
        e2e_conn_close(&conns[i]);
    free(conns);
}

/*
 * A /cpu?us=300000 request in flight, then a /hello: on `node` and `uvicorn`
 * the loop is blocked and /hello waits for the CPU work (>= 150 ms) — that
 * is the model; with uvicorn-workers it depends on which worker the kernel
 * hands the connection;
 * everywhere else /hello goes by (a pool thread, another thread, or the
 * GIL's switch interval) in well under 100 ms.
 */
static void test_cpu_work_and_a_concurrent_hello(void **state) {
    struct e2e_conn *cpu, *hello;
    struct e2e_response resp;
    bool is_blocking = strcmp(e2e_model(), "node") == 0 || strcmp(e2e_model(), "uvicorn") == 0;
    (void)state;
    /* Workers sharing one socket: the kernel picks which worker takes each
     * connection, often the same busy one (measured on real uvicorn), so
     * either outcome is the model's. */
    if (strcmp(e2e_model(), "uvicorn-workers") == 0) {
        skip();
        return;
    }
    cpu = e2e_conn_new(e2e_shared.port);
    hello = e2e_conn_new(e2e_shared.port);
    e2e_send_request(cpu, "GET /cpu?us=300000 HTTP/1.1\r\n\r\n");
    e2e_sleep_ms(20); /* let the server start the work */
    uint64_t start = clock_now_us();
    e2e_send_request(hello, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(hello, &resp, false);
    uint64_t waited = clock_now_us() - start;
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    if (is_blocking && waited < 150000)
        fail_msg("/hello behind /cpu?us=300000 answered after %llu us; expected >= 150 ms",
                 (unsigned long long)waited);
    if (!is_blocking && waited >= 100000)
        fail_msg("/hello beside /cpu?us=300000 answered after %llu us; expected < 100 ms",
                 (unsigned long long)waited);
    e2e_expect_status(cpu, 200);
    e2e_conn_free(cpu);
    e2e_conn_free(hello);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_waits_at_least_ms),
        cmocka_unit_test(test_concurrent_io_waits_overlap),
        cmocka_unit_test(test_cpu_work_and_a_concurrent_hello),
    };
    return cmocka_run_group_tests_name("concurrency", tests, e2e_shared_start, e2e_shared_stop) !=
           0;
}
