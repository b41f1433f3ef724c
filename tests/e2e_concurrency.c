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

/* A wait must not end early: wall time, with no slack below (a timer that
 * fires early is the bug) and no bound above (a busy machine only makes it
 * later; e2e_peers and e2e_shapes bound waits from above). /mixed is its
 * 1 ms of work and then its 30 ms wait, so at least 31 ms. */
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

/*
 * Overlap is about waits, so wall time: 100 waits of 100 ms take rounds x
 * 100 ms, rounds = 100 / what the model serves at once. Never less (a wait
 * cut short); for the models that serve all 100 at once, under 1 s, which
 * leaves 900 ms for 100 connections' accept and parse on a busy machine,
 * while a model that does not overlap waits takes 10 s. A pool (rounds >
 * 1) gets twice its rounds: gunicorn-sync's 5 workers make 20 rounds, 2 ..
 * 4 s, and a pool half the size it says would take 4 s or more.
 */
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
 * the loop is blocked and /hello waits for the CPU work — that is the
 * model; with uvicorn-workers it depends on which worker the kernel hands
 * the connection; everywhere else /hello goes by (a pool thread, another
 * thread, or the GIL's switch interval).
 *
 * Judged by the work the server did while /hello waited, its process
 * tree's CPU time (bench/proctree.h, 10 ms ticks), not by the wall clock:
 * a neighbour on the other core stretches the wait at will, but the server
 * cannot spend more CPU than the work there is. Blocked: /hello waited for
 * the rest of the work, about 280 ms of CPU (290 and 300 measured on
 * node and uvicorn); at least 150 leaves room for
 * ticks and for the work begun before /hello was sent, and a loop that
 * does not block spends a few ms. Not blocked: under 100 ms of CPU, the
 * work that runs beside /hello while it is served (a switch interval, 5
 * ms, on a GIL; under a 10 ms tick measured on every model), while /hello that waited for the work
 * costs 280.
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
    double cpu_before = (e2e_server_cpu_s(&e2e_shared) * 1000);
    e2e_send_request(hello, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(hello, &resp, false);
    double spent_ms = (e2e_server_cpu_s(&e2e_shared) * 1000) - cpu_before;
    uint64_t waited = clock_now_us() - start;
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    print_message("/hello %s /cpu?us=300000: answered after %.1f ms, %.0f ms of server CPU\n",
                  is_blocking ? "behind" : "beside", (double)waited / 1000, spent_ms);
    if (is_blocking && spent_ms < 150)
        fail_msg("/hello behind /cpu?us=300000 answered after %.0f ms of server CPU; expected "
                 ">= 150",
                 spent_ms);
    if (!is_blocking && spent_ms >= 100)
        fail_msg("/hello beside /cpu?us=300000 answered after %.0f ms of server CPU; expected "
                 "< 100",
                 spent_ms);
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
