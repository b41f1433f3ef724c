/*
 * e2e_keepalive.c — when a connection stays open after an answer: many
 * requests on one, Connection: close and HTTP/1.0 (with and without
 * keep-alive asked for), and Gunicorn's sync worker, which closes every one.
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1; run by
 * `make e2e` once per model in MODELS. The idle timeout is in e2e_timeouts.c.
 */
#include "e2e_client.h"

#include <setjmp.h>
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_serves_many_requests),
        cmocka_unit_test(test_connection_close_and_http10),
        cmocka_unit_test(test_sync_closes_every_connection),
    };
    return cmocka_run_group_tests_name("keep-alive", tests, e2e_shared_start, e2e_shared_stop) != 0;
}
