/*
 * test_http1.c — the llhttp glue: requests split over many reads, several
 * in one read, the header limit, bad input, keep-alive rules, and the
 * response head.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "servers/http1.h"

static struct http_conn conn;

static int reset(void **state) {
    (void)state;
    http_conn_init(&conn);
    return 0;
}

static enum http_event feed(const char *data, size_t len, size_t *used) {
    enum http_event event;
    *used = http_conn_feed(&conn, data, len, &event);
    return event;
}

static enum http_event feed_str(const char *s) {
    size_t used;
    enum http_event event = feed(s, strlen(s), &used);
    if (event != HTTP_EV_ERROR)
        assert_int_equal(used, strlen(s));
    return event;
}

static void test_simple_get_is_one_request(void **state) {
    (void)state;
    assert_int_equal(feed_str("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"), HTTP_EV_REQUEST);
    assert_string_equal(conn.req.target, "/hello");
    assert_int_equal(conn.req.method, HTTP_GET);
    assert_true(conn.req.keep_alive);
    assert_false(conn.req.is_head);
    assert_false(http_conn_is_mid_request(&conn));
}

static void test_request_split_byte_by_byte_completes_on_last_byte(void **state) {
    const char *req = "GET /io?ms=5 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n";
    size_t len = strlen(req), used;
    (void)state;
    for (size_t i = 0; i + 1 < len; i++) {
        assert_int_equal(feed(req + i, 1, &used), HTTP_EV_NEED_MORE);
        assert_int_equal(used, 1);
        assert_true(http_conn_is_mid_request(&conn));
    }
    assert_int_equal(feed(req + len - 1, 1, &used), HTTP_EV_REQUEST);
    assert_string_equal(conn.req.target, "/io?ms=5");
}

static void test_pipelined_requests_come_out_one_at_a_time_in_order(void **state) {
    const char *reqs = "GET /a HTTP/1.1\r\n\r\n"
                       "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"
                       "GET /c HTTP/1.1\r\n\r\n";
    const char *p = reqs, *end = reqs + strlen(reqs);
    const char *expected[] = {"/a", "/b", "/c"};
    size_t used;
    (void)state;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(feed(p, (size_t)(end - p), &used), HTTP_EV_REQUEST);
        assert_string_equal(conn.req.target, expected[i]);
        p += used;
        /* Until the request is answered, nothing more is parsed. */
        assert_int_equal(feed(p, (size_t)(end - p), &used), HTTP_EV_REQUEST);
        assert_int_equal(used, 0);
        http_conn_next(&conn);
    }
    assert_ptr_equal(p, end);
    assert_int_equal(feed(p, 0, &used), HTTP_EV_NEED_MORE);
}

static void test_body_split_across_reads_is_consumed(void **state) {
    (void)state;
    assert_int_equal(feed_str("POST /hello HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"),
                     HTTP_EV_NEED_MORE);
    assert_true(http_conn_is_mid_request(&conn));
    assert_int_equal(feed_str("cde"), HTTP_EV_REQUEST);
    assert_string_equal(conn.req.target, "/hello");
}

static char *make_request_with_header_bytes(size_t value_len) {
    const char *start = "GET /hello HTTP/1.1\r\nX-Big: ";
    char *buf = malloc(strlen(start) + value_len + 8);
    strcpy(buf, start);
    memset(buf + strlen(start), 'v', value_len);
    strcpy(buf + strlen(start) + value_len, "\r\n\r\n");
    return buf;
}

static void test_headers_over_16k_get_431(void **state) {
    char *req = make_request_with_header_bytes(HTTP_REQUEST_HEAD_LIMIT);
    (void)state;
    assert_int_equal(feed_str(req), HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 431);
    free(req);
}

static void test_headers_just_under_16k_are_accepted(void **state) {
    char *req = make_request_with_header_bytes(HTTP_REQUEST_HEAD_LIMIT - 100);
    (void)state;
    assert_int_equal(feed_str(req), HTTP_EV_REQUEST);
    free(req);
}

static void test_oversized_headers_in_small_reads_get_431(void **state) {
    char *req = make_request_with_header_bytes(HTTP_REQUEST_HEAD_LIMIT * 2);
    size_t len = strlen(req), used, off = 0;
    enum http_event event = HTTP_EV_NEED_MORE;
    (void)state;
    while (off < len && event == HTTP_EV_NEED_MORE) {
        size_t n = len - off < 1000 ? len - off : 1000;
        event = feed(req + off, n, &used);
        off += used;
    }
    assert_int_equal(event, HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 431);
    assert_true(off <= HTTP_REQUEST_HEAD_LIMIT + 1000);
    free(req);
}

static void test_ten_thousand_tiny_headers_get_431(void **state) {
    size_t n = 10000;
    char *req = malloc(64 + n * 6);
    char *p = req + sprintf(req, "GET /hello HTTP/1.1\r\n");
    (void)state;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "a: b\r\n");
    strcpy(p, "\r\n");
    assert_int_equal(feed_str(req), HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 431);
    free(req);
}

static void test_garbage_gets_400_and_stays_an_error(void **state) {
    (void)state;
    assert_int_equal(feed_str("GARBAGE\r\n\r\n"), HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 400);
    assert_non_null(conn.error_reason);
    assert_int_equal(feed_str("GET /hello HTTP/1.1\r\n\r\n"), HTTP_EV_ERROR);
}

static void test_bad_requests_get_400(void **state) {
    static const char *bad[] = {
        "GET /hello HTTP/9.9\r\n\r\n",
        "GET /hello HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /hello HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
        "GET /he\x01llo HTTP/1.1\r\n\r\n",
        "GET /hello HTTP/1.1\r\nHost: x\x01y\r\n\r\n",
        "GET /hello HTTP/1.1\r\n\x01: x\r\n\r\n",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_conn_init(&conn);
        size_t used;
        enum http_event event = feed(bad[i], strlen(bad[i]), &used);
        if (event == HTTP_EV_REQUEST) /* a good first request: the rest must fail */
            fail_msg("case %zu parsed as a request: %s", i, bad[i]);
        assert_int_equal(event, HTTP_EV_ERROR);
        assert_int_equal(conn.error_status, 400);
    }
}

/* What strict llhttp 8.1 still accepts and RFC 9112 forbids: refused here,
 * whole or fed one byte at a time. */
static void test_lenient_heads_are_refused_even_byte_by_byte(void **state) {
    static const char *bad[] = {
        "GET /hello\r\n\r\n",                         /* HTTP/0.9 */
        "GET  /hello HTTP/1.1\r\n\r\n",               /* two spaces */
        " GET /hello HTTP/1.1\r\n\r\n",               /* a leading space */
        "GET\t/hello HTTP/1.1\r\n\r\n",               /* a tab */
        "GET /hello HTTP/1.1\r\nA: b\r\n c\r\n\r\n",  /* obs-fold */
        "GET /hello HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", /* obs-fold, tab */
        "GET /hello HTTP/1.1\r\n: b\r\n\r\n",         /* empty header name */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int is_bytewise = 0; is_bytewise < 2; is_bytewise++) {
            enum http_event event = HTTP_EV_NEED_MORE;
            http_conn_init(&conn);
            size_t len = strlen(bad[i]), step = is_bytewise ? 1 : len, used;
            for (size_t off = 0; off < len && event == HTTP_EV_NEED_MORE; off += step)
                event = feed(bad[i] + off, step, &used);
            if (event != HTTP_EV_ERROR || conn.error_status != 400)
                fail_msg("case %zu (%s): event %d, status %d", i,
                         is_bytewise ? "bytewise" : "whole", event, conn.error_status);
        }
    }
    /* Leading empty lines before a request are fine (RFC 9112 2.2). */
    http_conn_init(&conn);
    assert_int_equal(feed_str("\r\n\r\nGET /hello HTTP/1.1\r\nA: b\r\n\r\n"), HTTP_EV_REQUEST);
}

static void test_chunk_extensions_over_16k_get_413(void **state) {
    static char req[40000];
    (void)state;
    int n =
        snprintf(req, sizeof(req), "POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;");
    memset(req + n, 'a', 20000);
    snprintf(req + n + 20000, sizeof(req) - (size_t)n - 20000, "\r\nhello\r\n0\r\n\r\n");
    assert_int_equal(feed_str(req), HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 413);
    http_conn_init(&conn);
    assert_int_equal(
        feed_str("POST /hello HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n"
                 "0\r\n\r\n"),
        HTTP_EV_REQUEST);
}

static void test_target_over_limit_gets_414(void **state) {
    char req[HTTP_REQUEST_TARGET_LIMIT + 64];
    (void)state;
    memcpy(req, "GET /", 5);
    memset(req + 5, 'a', HTTP_REQUEST_TARGET_LIMIT);
    strcpy(req + 5 + HTTP_REQUEST_TARGET_LIMIT, " HTTP/1.1\r\n\r\n");
    assert_int_equal(feed_str(req), HTTP_EV_ERROR);
    assert_int_equal(conn.error_status, 414);
}

static void test_keep_alive_follows_http_version_and_connection_header(void **state) {
    static const struct {
        const char *req;
        bool keep_alive;
    } cases[] = {
        {"GET / HTTP/1.1\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
        {"GET / HTTP/1.0\r\n\r\n", false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
        {"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_conn_init(&conn);
        assert_int_equal(feed_str(cases[i].req), HTTP_EV_REQUEST);
        assert_int_equal(conn.req.keep_alive, cases[i].keep_alive);
    }
}

static void test_head_request_is_marked(void **state) {
    (void)state;
    assert_int_equal(feed_str("HEAD /hello HTTP/1.1\r\n\r\n"), HTTP_EV_REQUEST);
    assert_true(conn.req.is_head);
}

static void test_response_head_has_length_date_server_and_connection(void **state) {
    char buf[HTTP_RESPONSE_HEAD_CAP];
    struct http_head head = {.status = 200,
                             .content_type = "text/plain",
                             .content_length = 13,
                             .keep_alive = true,
                             .keep_alive_s = 5};
    (void)state;
    size_t len = http_format_head(buf, &head);
    buf[len] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(strstr(buf, "\r\nContent-Length: 13\r\n"));
    assert_non_null(strstr(buf, "\r\nContent-Type: text/plain\r\n"));
    assert_non_null(strstr(buf, "\r\nServer: showdown\r\n"));
    assert_non_null(strstr(buf, "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"));
    assert_string_equal(buf + len - 4, "\r\n\r\n");
    const char *date = strstr(buf, "\r\nDate: ");
    assert_non_null(date);
    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" is 29 characters. */
    assert_int_equal(strcspn(date + 8, "\r"), 29);
    assert_memory_equal(date + 8 + 26, "GMT", 3);

    head.status = 431;
    head.keep_alive = false;
    head.content_length = 0;
    len = http_format_head(buf, &head);
    buf[len] = '\0';
    assert_true(strncmp(buf, "HTTP/1.1 431 Request Header Fields Too Large\r\n", 46) == 0);
    assert_non_null(strstr(buf, "\r\nConnection: close\r\n"));
    assert_non_null(strstr(buf, "\r\nContent-Length: 0\r\n"));
}

int main(void) {
#define T(name) cmocka_unit_test_setup(name, reset)
    const struct CMUnitTest tests[] = {
        T(test_simple_get_is_one_request),
        T(test_request_split_byte_by_byte_completes_on_last_byte),
        T(test_pipelined_requests_come_out_one_at_a_time_in_order),
        T(test_body_split_across_reads_is_consumed),
        T(test_headers_over_16k_get_431),
        T(test_headers_just_under_16k_are_accepted),
        T(test_oversized_headers_in_small_reads_get_431),
        T(test_ten_thousand_tiny_headers_get_431),
        T(test_garbage_gets_400_and_stays_an_error),
        T(test_bad_requests_get_400),
        T(test_lenient_heads_are_refused_even_byte_by_byte),
        T(test_chunk_extensions_over_16k_get_413),
        T(test_target_over_limit_gets_414),
        T(test_keep_alive_follows_http_version_and_connection_header),
        T(test_head_request_is_marked),
        T(test_response_head_has_length_date_server_and_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
