/*
 * e2e_timeouts.c — the server's clocks on a connection: an idle keep-alive
 * connection is closed after --keep-alive-timeout, headers that do not
 * complete within --headers-timeout (from the connection, as Node's
 * headersTimeout) get 408 — on the node models only when the sweep every
 * --connections-checking-interval (Node's 30 s) finds them late. Each test starts its own
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1 with the flag it tests; run by
 * `make e2e` once per model in MODELS.
 */
#include "../common/clock.h"
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Starts the model with args as the test's own server; a connection to it. */
static struct e2e_conn *connect_to_own(const char *const *args) {
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    return e2e_conn_new(e2e_own.port);
}

static void test_idle_keep_alive_connection_is_closed(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    static const char *const args[] = {"--keep-alive-timeout", "200ms", NULL};
    struct e2e_conn *conn = connect_to_own(args);
    struct e2e_response resp;
    (void)state;
    e2e_send_request(conn, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(e2e_header(&resp, "Keep-Alive"), "timeout=1");
    e2e_response_free(&resp);
    uint64_t start = clock_now_us();
    assert_true(e2e_wait_closed(conn, 3000));
    uint64_t idle = clock_now_us() - start;
    /* A timeout must fire, and not early: wall time by nature. 150 ms for
     * 200: the server's clock starts when it wrote the answer, a little
     * before ours, and libuv's loop time is cached per iteration; 2 s is
     * ten times the timeout for a busy machine, while one read in seconds
     * (200 s) or never armed (the 3 s wait runs out) fails. */
    if (idle < 150000 || idle > 2000000)
        fail_msg("idle connection closed after %llu us; expected about 200 ms",
                 (unsigned long long)idle);
    e2e_conn_free(conn);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

static void test_slow_headers_get_408(void **state) {
    /* The checking interval is the node models' (10 ms: a sweep that
     * barely moves the 408); the others' timeout is a timer of its own. */
    static const char *const args[] = {"--headers-timeout", "300ms",
                                       "--connections-checking-interval", "10ms", NULL};
    struct e2e_conn *conn = connect_to_own(args);
    struct e2e_response resp;
    (void)state;
    /* Headers trickle in, never complete: the timeout counts from the first byte. */
    uint64_t start = clock_now_us();
    e2e_send_request(conn, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; i < 3; i++) {
        e2e_sleep_ms(50);
        e2e_send_request(conn, "X-Slow: 1\r\n");
    }
    e2e_expect_response(conn, &resp, false);
    uint64_t waited = clock_now_us() - start;
    assert_int_equal(resp.status, 408);
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    /* From the first byte, which our clock saw first: never under 280 ms
     * for 300 (a loop's cached time is up to 1 ms early, with margin), and
     * a timer reset by each trickled byte would answer at 450 ms or never;
     * 3 s is ten times the timeout, room for a busy machine. */
    if (waited < 280000 || waited > 3000000)
        fail_msg("408 after %llu us; expected about 300 ms", (unsigned long long)waited);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_close(conn);

    /* A connection that never sends a byte is on the same clock (Node's
     * headersTimeout counts from the connection), while others are served. */
    assert_true(e2e_conn_open(conn, e2e_own.port));
    start = clock_now_us();
    e2e_expect_get(e2e_own.port, "/hello", 200, "Hello, World!");
    e2e_expect_response(conn, &resp, false);
    waited = clock_now_us() - start;
    assert_int_equal(resp.status, 408);
    e2e_response_free(&resp);
    /* The server's clock started at the connect, before ours (one /hello
     * in between), so 250 ms; a clock that waits for a first byte never
     * answers, and the 3 s bound is the same as above. */
    if (waited < 250000 || waited > 3000000)
        fail_msg("silent connection: 408 after %llu us; expected about 300 ms",
                 (unsigned long long)waited);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_free(conn);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* Node checks headersTimeout only every connectionsCheckingInterval
 * (lib/_http_server.js, checkConnections; 30 s by default): a 300 ms
 * timeout does not answer a slow head at 300 ms, but at the next sweep. */
static void test_node_checks_header_timeout_only_at_its_interval(void **state) {
    static const char *const args[] = {"--headers-timeout", "300ms", NULL};
    struct e2e_response resp;
    (void)state;
    if (strncmp(e2e_model(), "node", 4) != 0) {
        skip();
        return;
    }
    struct e2e_conn *conn = connect_to_own(args);
    e2e_send_request(conn, "GET /hello HTTP/1.1\r\nX-Slow: 1\r\n");
    /* A count, not a speed: no answer in five times the timeout, where a
     * timer per connection answers 408 at 300 ms. */
    assert_int_equal(e2e_read_response(conn, &resp, false, 1500), -3);
    e2e_conn_free(conn);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_idle_keep_alive_connection_is_closed, e2e_own_stop),
        cmocka_unit_test_teardown(test_slow_headers_get_408, e2e_own_stop),
        cmocka_unit_test_teardown(test_node_checks_header_timeout_only_at_its_interval,
                                  e2e_own_stop),
    };
    return cmocka_run_group_tests_name("timeouts", tests, NULL, NULL) != 0;
}
