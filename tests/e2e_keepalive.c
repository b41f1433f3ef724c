/*
 * e2e_keepalive.c — when a connection stays open after an answer: many
 * requests on one, Connection: close and HTTP/1.0 (with and without
 * keep-alive asked for), Gunicorn's sync worker, which closes every one, and
 * gthread's caps (max_keepalived, worker_connections).
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1; run by
 * `make e2e` once per model in MODELS. The idle timeout is in e2e_timeouts.c.
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

/* Keep-alive: many requests on one connection, one after the other. */
static void test_keep_alive_serves_many_requests(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    (void)state;
    for (int i = 0; i < 200; i++) {
        struct e2e_response resp;
        e2e_send_request(conn, "GET /hello HTTP/1.1\r\n\r\n");
        e2e_expect_response(conn, &resp, false);
        assert_int_equal(resp.status, 200);
        assert_true(resp.keep_alive);
        e2e_response_free(&resp);
    }
    e2e_conn_free(conn);
}

static void test_connection_close_and_http10(void **state) {
    static const char close_req[] = "GET /hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    static const char http10[] = "GET /hello HTTP/1.0\r\n\r\n";
    (void)state;
    e2e_expect_answer_then_close(e2e_shared.port, close_req, strlen(close_req), 200, false);
    e2e_expect_answer_then_close(e2e_shared.port, http10, strlen(http10), 200, false);

    /* HTTP/1.0 with keep-alive asked for stays open. */
    if (!e2e_keeps_alive())
        return;
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    struct e2e_response resp;
    for (int i = 0; i < 2; i++) {
        e2e_send_request(conn, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        e2e_expect_response(conn, &resp, false);
        assert_int_equal(resp.status, 200);
        assert_string_equal(e2e_header(&resp, "Connection"), "keep-alive");
        e2e_response_free(&resp);
    }
    e2e_conn_free(conn);
}

/* Gunicorn's sync worker: every answer closes its connection, even when
 * the client asked for keep-alive; pipelined requests after the first are
 * dropped with the connection. */
static void test_sync_closes_every_connection(void **state) {
    static const char reqs[] = "GET /hello HTTP/1.1\r\nConnection: keep-alive\r\n\r\n"
                               "GET /json HTTP/1.1\r\n\r\n";
    struct e2e_conn *conn;
    struct e2e_response resp;
    (void)state;
    if (e2e_keeps_alive()) {
        skip();
        return;
    }
    conn = e2e_conn_new(e2e_shared.port);
    e2e_send_request(conn, reqs);
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(resp.body, "Hello, World!");
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_free(conn);
}

/* On gunicorn-gthread, starts the test's own one worker of 2 threads and
 * --worker-connections 4; skips the test (false) on any other model. */
static bool start_small_gthread(void) {
    static const char *const args[] = {"--workers", "1", "--threads", "2", "--worker-connections",
                                       "4",         NULL};
    if (strcmp(e2e_model(), "gunicorn-gthread") != 0) {
        skip();
        return false;
    }
    assert_int_equal(e2e_server_start(&e2e_own, args), 0);
    return true;
}

/* gthread (--threads 2 --worker-connections 4, so max_keepalived = 4 - 2
 * = 2, gunicorn/workers/gthread.py): an answer says close once two
 * connections wait idle already (handle_request: resp.force_close()). */
static void test_gthread_refuses_keep_alive_past_max_keepalived(void **state) {
    struct e2e_conn *idle[2], *third;
    struct e2e_response resp;
    (void)state;
    if (!start_small_gthread())
        return;
    for (int i = 0; i < 2; i++) {
        idle[i] = e2e_conn_new(e2e_own.port);
        e2e_send_request(idle[i], "GET /hello HTTP/1.1\r\n\r\n");
        e2e_expect_response(idle[i], &resp, false);
        assert_true(resp.keep_alive);
        e2e_response_free(&resp);
    }
    e2e_sleep_ms(100); /* both parked on the poller */
    third = e2e_conn_new(e2e_own.port);
    e2e_send_request(third, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(third, &resp, false);
    assert_int_equal(resp.status, 200);
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(third, E2E_TIMEOUT_MS));
    e2e_conn_free(third);
    for (int i = 0; i < 2; i++)
        e2e_conn_free(idle[i]);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

/* gthread at worker_connections open (2 idle kept alive, 2 that never send,
 * each holding a thread) stops selecting: a fifth connection gets no
 * answer until one of them closes, then it does (run(): nr_conns). */
static void test_gthread_stops_accepting_at_worker_connections(void **state) {
    struct e2e_conn *open[4], *fifth;
    struct e2e_response resp;
    (void)state;
    if (!start_small_gthread())
        return;
    for (int i = 0; i < 4; i++) {
        open[i] = e2e_conn_new(e2e_own.port);
        if (i < 2) {
            e2e_send_request(open[i], "GET /hello HTTP/1.1\r\n\r\n");
            e2e_expect_status(open[i], 200);
        }
        e2e_sleep_ms(50);
    }
    fifth = e2e_conn_new(e2e_own.port);
    e2e_send_request(fifth, "GET /hello HTTP/1.1\r\n\r\n");
    /* Not a timing bound: 1.5 s is longer than a turn of the loop (1 s),
     * and an uncapped poller answers in a millisecond. */
    assert_int_equal(e2e_read_response(fifth, &resp, false, 1500), -3);
    e2e_conn_free(open[3]); /* a silent one: its thread and a place go */
    e2e_expect_response(fifth, &resp, false);
    assert_int_equal(resp.status, 200);
    e2e_response_free(&resp);
    e2e_conn_free(fifth);
    for (int i = 0; i < 3; i++)
        e2e_conn_free(open[i]);
    assert_int_equal(e2e_server_stop(&e2e_own, SIGTERM, E2E_TIMEOUT_MS), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_serves_many_requests),
        cmocka_unit_test(test_connection_close_and_http10),
        cmocka_unit_test(test_sync_closes_every_connection),
        cmocka_unit_test_teardown(test_gthread_refuses_keep_alive_past_max_keepalived,
                                  e2e_own_stop),
        cmocka_unit_test_teardown(test_gthread_stops_accepting_at_worker_connections, e2e_own_stop),
    };
    return cmocka_run_group_tests_name("keep-alive", tests, e2e_shared_start, e2e_shared_stop) != 0;
}
