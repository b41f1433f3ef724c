/*
 * e2e_framing.c — where one message ends and the next begins: pipelined
 * requests answered in order, a request dribbled in byte by byte, HEAD's
 * length without a body, and a client that vanishes mid-response.
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1; run by
 * `make e2e` once per model in MODELS.
 */
#include "e2e_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

/* Several requests in one write come back complete and in order, even when
 * the first one waits longest. */
static void test_pipelined_requests_answer_in_order(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    static const char reqs[] = "GET /io?ms=30 HTTP/1.1\r\n\r\n"
                               "GET /hello HTTP/1.1\r\n\r\n"
                               "HEAD /json HTTP/1.1\r\n\r\n"
                               "GET /bytes?n=100000 HTTP/1.1\r\n\r\n"
                               "GET /nope HTTP/1.1\r\n\r\n"
                               "GET /json HTTP/1.1\r\n\r\n";
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    struct e2e_response resp;
    (void)state;
    e2e_send_request(conn, reqs);

    e2e_expect_response(conn, &resp, false);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "OK");
    e2e_response_free(&resp);
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    e2e_expect_response(conn, &resp, true);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Length"), "27");
    e2e_response_free(&resp);
    e2e_expect_response(conn, &resp, false);
    e2e_check_pattern(&resp, 100000);
    e2e_response_free(&resp);
    e2e_expect_status(conn, 404);
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(resp.body, "{\"message\":\"Hello, World!\"}");
    e2e_response_free(&resp);
    e2e_conn_free(conn);
}

/* A request dribbled in byte by byte is parsed as one request. */
static void test_request_split_into_single_bytes(void **state) {
    static const char req[] = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: abcdef\r\n\r\n";
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    struct e2e_response resp;
    (void)state;
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        assert_true(e2e_send(conn->fd, req + i, 1));
        if (i % 8 == 0)
            e2e_sleep_ms(1);
    }
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    e2e_conn_free(conn);
}

static void test_head_has_length_but_no_body(void **state) {
    E2E_NEEDS_KEEP_ALIVE();
    struct e2e_conn *conn = e2e_conn_new(e2e_shared.port);
    struct e2e_response resp;
    (void)state;
    e2e_send_request(conn, "HEAD /bytes?n=5000 HTTP/1.1\r\n\r\n");
    e2e_expect_response(conn, &resp, true);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Length"), "5000");
    e2e_response_free(&resp);
    /* If a body had been sent, it would be read as the next response. */
    e2e_send_request(conn, "GET /hello HTTP/1.1\r\n\r\n");
    e2e_expect_response(conn, &resp, false);
    assert_string_equal(resp.body, "Hello, World!");
    e2e_response_free(&resp);
    e2e_conn_free(conn);
}

/* A client that vanishes mid-response costs the server nothing. */
static void test_client_closing_mid_response(void **state) {
    (void)state;
    for (int i = 0; i < 20; i++) {
        int fd = e2e_connect(e2e_shared.port);
        assert_true(fd >= 0);
        assert_true(e2e_send_str(fd, "GET /bytes?n=16777216 HTTP/1.1\r\n\r\n"
                                     "GET /io?ms=50 HTTP/1.1\r\n\r\n"));
        char buf[1000];
        assert_true(read(fd, buf, sizeof(buf)) > 0);
        close(fd);
    }
    e2e_expect_get(e2e_shared.port, "/hello", 200, "Hello, World!");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipelined_requests_answer_in_order),
        cmocka_unit_test(test_request_split_into_single_bytes),
        cmocka_unit_test(test_head_has_length_but_no_body),
        cmocka_unit_test(test_client_closing_mid_response),
    };
    return cmocka_run_group_tests_name("framing", tests, e2e_shared_start, e2e_shared_stop) != 0;
}
