/*
 * e2e_gil_releases.c — the GIL models release and take back the GIL where
 * their runtime does, counted by GET /stats ("gil": "takes", every
 * acquisition): python-threads as http.server.ThreadingHTTPServer on
 * CPython 3.11 (engine_threads.c lists the 9 takes of a /hello on a fresh
 * connection, with the file and function of each), gunicorn-gthread as
 * Gunicorn 20.1's gthread worker (engine_pool.c lists the 10 of a
 * keep-alive request). Each takes the GIL back after a release, and beside
 * a CPU-bound thread each is a wait of up to a switch interval: the count
 * is the cost. Skips the models without a GIL; run by `make e2e` once per
 * model in MODELS.
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define REQUESTS 100

/* The GIL's takes so far, from GET /stats on conn (or a new connection).
 * The request goes 50 ms after the connection opens, so every take that
 * opening a connection costs (the accept, the new thread's start) is over
 * before the count is formatted, whichever thread the GIL went to first. */
static double gil_takes(unsigned port, struct e2e_conn *conn) {
    struct e2e_conn *own = conn ? NULL : e2e_conn_new(port);
    struct e2e_response resp;
    e2e_sleep_ms(50);
    e2e_send_request(conn ? conn : own, "GET /stats HTTP/1.1\r\n\r\n");
    e2e_expect_response(conn ? conn : own, &resp, false);
    assert_int_equal(resp.status, 200);
    double takes = e2e_json_number(resp.body, "gil", "takes");
    e2e_response_free(&resp);
    if (own)
        e2e_conn_free(own);
    return takes;
}

/*
 * Between two GET /stats formatted at the same point of their requests lie
 * REQUESTS /hello requests and one whole /stats request's worth of takes:
 * the part of the first after its count, the part of the second before.
 */
static double takes_per_request(unsigned port, struct e2e_conn *conn) {
    double before = gil_takes(port, conn);
    for (int i = 0; i < REQUESTS; i++) {
        if (conn) {
            e2e_send_request(conn, "GET /hello HTTP/1.1\r\n\r\n");
            e2e_expect_status(conn, 200);
        } else {
            e2e_expect_get(port, "/hello", 200, "Hello, World!");
        }
    }
    double after = gil_takes(port, conn);
    return (after - before) / (REQUESTS + 1);
}

/* ThreadingHTTPServer: 9 takes a connection, one request each (HTTP/1.0):
 * select, accept, Thread.start()'s wait for the new thread; the new
 * thread's first take, the read, the head, the body, shutdown, close. The
 * model before this counted 4 and kept the connection. */
static void test_python_threads_takes_the_gil_nine_times_a_connection(void **state) {
    (void)state;
    if (strcmp(e2e_model(), "python-threads") != 0) {
        skip();
        return;
    }
    assert_int_equal(e2e_server_start(&e2e_own, NULL), 0);
    double per = takes_per_request(e2e_own.port, NULL);
    print_message("      python-threads: %.2f GIL takes per /hello on its own connection\n", per);
    assert_true(per == 9.0); /* no timer takes it: the count is exact */
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* With --keep-alive (HTTP/1.1), a request on an open connection is the
 * read, the head and the body: 3. */
static void test_python_threads_keep_alive_takes_it_three_times_a_request(void **state) {
    static const char *const args[] = {"--keep-alive", NULL};
    (void)state;
    if (strcmp(e2e_model(), "python-threads") != 0) {
        skip();
        return;
    }
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    struct e2e_conn *conn = e2e_conn_new(e2e_own.port);
    double per = takes_per_request(e2e_own.port, conn);
    print_message("      python-threads --keep-alive: %.2f GIL takes per /hello\n", per);
    assert_true(per == 3.0);
    e2e_conn_free(conn);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* gthread, a keep-alive request: 4 on the main thread (select returns,
 * unregister, setblocking(True), the loop's notify) and 6 on a pool thread
 * (the queue, the read, the head, the body, setblocking(False), register).
 * The main thread's loop also wakes once a second (select(1.0)), 2 takes
 * each, and a request whose bytes arrive while the main thread is already
 * awake shares its wake-up: a few takes in 10,000 either way, so the count
 * is judged to the nearest whole number (9.99 has been seen; the model
 * before this counted none). */
static void test_gthread_takes_the_gil_ten_times_a_keep_alive_request(void **state) {
    static const char *const args[] = {"--workers", "1", NULL};
    (void)state;
    if (strcmp(e2e_model(), "gunicorn-gthread") != 0) {
        skip();
        return;
    }
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    struct e2e_conn *conn = e2e_conn_new(e2e_own.port);
    double per = takes_per_request(e2e_own.port, conn);
    print_message("      gunicorn-gthread: %.2f GIL takes per keep-alive /hello\n", per);
    assert_true(per > 9.5 && per < 10.5);
    e2e_conn_free(conn);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_python_threads_takes_the_gil_nine_times_a_connection,
                                  e2e_own_stop),
        cmocka_unit_test_teardown(test_python_threads_keep_alive_takes_it_three_times_a_request,
                                  e2e_own_stop),
        cmocka_unit_test_teardown(test_gthread_takes_the_gil_ten_times_a_keep_alive_request,
                                  e2e_own_stop),
    };
    return cmocka_run_group_tests_name("GIL release points", tests, NULL, NULL) != 0;
}
