/*
 * e2e_bad_requests.c — what a request the server will not serve gets:
 * 400 for a malformed one (alone or after good ones on the same
 * connection), 431 for oversized headers, 414 for a long target; each
 * answered with Connection: close, and the server goes on serving.
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1; run by
 * `make e2e` once per model in MODELS. e2e_hostile.c has the corpus.
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_malformed_request_gets_400_and_close(void **state) {
    static const char *bad[] = {
        "GARBAGE\r\n\r\n",
        "GET /hello HTTP/9.9\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: a\x01b\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        e2e_expect_answer_then_close(e2e_shared.port, bad[i], strlen(bad[i]), 400, false);
    /* ... and the server goes on serving. */
    e2e_expect_get(e2e_shared.port, "/hello", 200, "Hello, World!");
}

static void test_bad_request_after_good_ones_on_same_connection(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    static const char reqs[] = "GET /hello HTTP/1.1\r\n\r\nBAD REQUEST LINE\r\n\r\n";
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    struct e2e_response resp;
    (void)state;
    e2e_send_request(conn, reqs);
    e2e_expect_status(conn, 200);
    e2e_expect_response(conn, &resp, false);
    assert_int_equal(resp.status, 400);
    assert_false(resp.keep_alive);
    e2e_response_free(&resp);
    assert_true(e2e_wait_closed(conn, E2E_TIMEOUT_MS));
    e2e_conn_free(conn);
}

static void test_oversized_headers_get_431(void **state) {
    size_t len = 0, cap = 40000;
    char *req = malloc(cap);
    (void)state;
    assert_non_null(req);
    len += (size_t)sprintf(req, "GET /hello HTTP/1.1\r\n");
    for (int i = 0; len < 20000; i++)
        len += (size_t)sprintf(req + len, "X-Header-%d: %0100d\r\n", i, i);
    len += (size_t)sprintf(req + len, "\r\n");
    e2e_expect_answer_then_close(e2e_shared.port, req, len, 431, false);
    free(req);
    e2e_expect_get(e2e_shared.port, "/hello", 200, "Hello, World!");
}

static void test_long_target_gets_414(void **state) {
    char req[4096];
    (void)state;
    memcpy(req, "GET /", 5);
    memset(req + 5, 'x', 2000);
    strcpy(req + 2005, " HTTP/1.1\r\n\r\n");
    e2e_expect_answer_then_close(e2e_shared.port, req, strlen(req), 414, false);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_request_gets_400_and_close),
        cmocka_unit_test(test_bad_request_after_good_ones_on_same_connection),
        cmocka_unit_test(test_oversized_headers_get_431),
        cmocka_unit_test(test_long_target_gets_414),
    };
    return cmocka_run_group_tests_name("bad requests", tests, e2e_shared_start, e2e_shared_stop) !=
           0;
}
