/* test_response.c — a response's head, body and send cursor (servers/response.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "servers/response.h"
#include "servers/server.h"

/* 4.5 s: the head advertises whole seconds, rounded up. */
static const struct server_config config = {.keep_alive_timeout_ms = 4500};

/* As an engine does: plans the answer to a request for target, then (the
 * work done) starts the response. */
static void start(struct response *response, const char *target, bool is_head, bool keep_alive,
                  bool may_keep_alive) {
    struct http_request req = {.is_head = is_head, .keep_alive = keep_alive};
    req.target_len = strlen(target);
    memcpy(req.target, target, req.target_len + 1);
    response_plan_request(response, &req);
    response_start(response, &config, may_keep_alive);
}

/* The head response_pending() offers first, NUL-terminated in out. */
static void head_of(const struct response *response, char *out) {
    memcpy(out, response->head, response->head_len);
    out[response->head_len] = '\0';
}

/* Everything the response still has to send, as the engine would write it. */
static size_t drain(struct response *response, char *out, size_t cap) {
    struct iovec iov[RESPONSE_IOV_MAX];
    size_t total = 0;
    unsigned n;
    while ((n = response_pending(response, iov)) > 0) {
        assert_true(total + iov[0].iov_len <= cap);
        memcpy(out + total, iov[0].iov_base, iov[0].iov_len);
        total += iov[0].iov_len;
        response_advance(response, iov[0].iov_len);
    }
    return total;
}

static void test_a_response_is_its_head_then_its_body(void **state) {
    (void)state;
    struct response response = {0};
    char head[HTTP_RESPONSE_HEAD_CAP + 1];
    struct iovec iov[RESPONSE_IOV_MAX];

    start(&response, "/hello", false, true, true);
    assert_true(response.keep_alive);
    head_of(&response, head);
    assert_non_null(strstr(head, "\r\nContent-Length: 13\r\n"));
    assert_non_null(strstr(head, "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"));
    assert_int_equal(response_pending(&response, iov), 2);
    assert_ptr_equal(iov[0].iov_base, response.head);
    assert_int_equal(iov[0].iov_len, response.head_len);
    assert_int_equal(iov[1].iov_len, 13);
    assert_memory_equal(iov[1].iov_base, "Hello, World!", 13);
}

static void test_a_short_write_resumes_mid_head_then_mid_body(void **state) {
    (void)state;
    struct response response = {0};
    struct iovec iov[RESPONSE_IOV_MAX];

    start(&response, "/hello", false, true, true);
    response_advance(&response, response.head_len - 3);
    assert_int_equal(response_pending(&response, iov), 2);
    assert_int_equal(iov[0].iov_len, 3);
    assert_memory_equal(iov[0].iov_base, "\n\r\n", 3);
    response_advance(&response, 3 + 5); /* across the boundary */
    assert_int_equal(response_pending(&response, iov), 1);
    assert_int_equal(iov[0].iov_len, 8);
    assert_memory_equal(iov[0].iov_base, ", World!", 8);
    response_advance(&response, 8);
    assert_int_equal(response_pending(&response, iov), 0);
}

static void test_a_head_request_gets_the_length_and_no_body(void **state) {
    (void)state;
    struct response response = {0};
    char out[HTTP_RESPONSE_HEAD_CAP + 64];

    start(&response, "/json", true, true, true);
    size_t len = drain(&response, out, sizeof(out) - 1);
    out[len] = '\0';
    assert_non_null(strstr(out, "\r\nContent-Length: 27\r\n"));
    assert_string_equal(strstr(out, "\r\n\r\n"), "\r\n\r\n"); /* nothing after the head */
}

static void test_keep_alive_needs_both_the_client_and_the_server(void **state) {
    (void)state;
    struct response response = {0};
    char head[HTTP_RESPONSE_HEAD_CAP + 1];
    const bool wishes[][2] = {{false, true}, {true, false}}; /* client's, server's */

    for (unsigned i = 0; i < 2; i++) {
        start(&response, "/hello", false, wishes[i][0], wishes[i][1]);
        head_of(&response, head);
        assert_false(response.keep_alive);
        assert_non_null(strstr(head, "\r\nConnection: close\r\n"));
    }
}

static void test_an_error_closes_and_carries_its_reason_even_to_head(void **state) {
    (void)state;
    struct response response = {0};
    char out[HTTP_RESPONSE_HEAD_CAP + 64];

    start(&response, "/hello", true, true, true); /* a HEAD request, then a timeout */
    response_plan_error(&response, 408, "request headers not received in time\n");
    response_start(&response, &config, true);
    assert_false(response.keep_alive);
    size_t len = drain(&response, out, sizeof(out));
    out[len] = '\0';
    assert_true(strncmp(out, "HTTP/1.1 408 ", 13) == 0);
    assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
    assert_string_equal(strstr(out, "\r\n\r\n") + 4, "request headers not received in time\n");
}

static void test_a_bytes_body_comes_in_pattern_chunks_to_its_exact_length(void **state) {
    (void)state;
    struct response response = {0};
    struct iovec iov[RESPONSE_IOV_MAX];
    uint64_t body = 0;

    start(&response, "/bytes?n=200000", false, true, true);
    response_advance(&response, response.head_len);
    unsigned n;
    while ((n = response_pending(&response, iov)) > 0) {
        assert_int_equal(n, 1);
        assert_true(iov[0].iov_len > 0 && iov[0].iov_len <= 65536);
        assert_int_equal(((const char *)iov[0].iov_base)[0], 'a' + body % 26);
        body += iov[0].iov_len;
        response_advance(&response, iov[0].iov_len);
    }
    assert_int_equal(body, 200000);
}

static void test_the_stats_buffer_is_made_once_per_connection(void **state) {
    (void)state;
    struct response response = {0};
    char *first = response_stats_buffer(&response);
    assert_non_null(first);
    assert_ptr_equal(response_stats_buffer(&response), first);
    response_free(&response);
    assert_null(response.stats_body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_response_is_its_head_then_its_body),
        cmocka_unit_test(test_a_short_write_resumes_mid_head_then_mid_body),
        cmocka_unit_test(test_a_head_request_gets_the_length_and_no_body),
        cmocka_unit_test(test_keep_alive_needs_both_the_client_and_the_server),
        cmocka_unit_test(test_an_error_closes_and_carries_its_reason_even_to_head),
        cmocka_unit_test(test_a_bytes_body_comes_in_pattern_chunks_to_its_exact_length),
        cmocka_unit_test(test_the_stats_buffer_is_made_once_per_connection),
    };
    handlers_init(); /* the /bytes pattern */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
