/*
 * e2e_endpoints.c — what each endpoint answers (/hello, /json, /io, /cpu,
 * /mixed, /work, /hash, /bytes, /stats, an unknown path, bad parameters), from
 * bin/server --port 0 for the model in $SHOWDOWN_MODEL on 127.0.0.1.
 * Run by `make e2e` once per model in MODELS.
 */
#define _GNU_SOURCE /* strptime, timegm */
#include "e2e_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static void test_hello_has_body_and_headers(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(e2e_shared.port, "/hello", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_int_equal(resp.http_major, 1);
    assert_int_equal(resp.http_minor, 1);
    assert_string_equal(resp.body, "Hello, World!");
    assert_string_equal(e2e_header(&resp, "Content-Length"), "13");
    assert_string_equal(e2e_header(&resp, "Content-Type"), "text/plain");
    assert_string_equal(e2e_header(&resp, "Server"), "showdown");
    const char *date = e2e_header(&resp, "Date");
    assert_non_null(date);
    struct tm tm;
    const char *end = strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    assert_non_null(end);
    assert_int_equal(*end, '\0');
    time_t sent = timegm(&tm), now = time(NULL);
    assert_true(sent <= now + 1 && sent >= now - 5);
    assert_true(resp.keep_alive == e2e_keeps_alive());
    assert_string_equal(e2e_header(&resp, "Connection"),
                        e2e_keeps_alive() ? "keep-alive" : "close");
    e2e_response_free(&resp);
}

static void test_json(void **state) {
    struct e2e_response resp;
    (void)state;
    assert_int_equal(e2e_get(e2e_shared.port, "/json", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"message\":\"Hello, World!\"}");
    assert_string_equal(e2e_header(&resp, "Content-Type"), "application/json");
    e2e_response_free(&resp);
}

static void test_work_endpoints_answer_ok(void **state) {
    static const char *targets[] = {
        "/io?ms=0",
        "/io?ms=5",
        "/cpu?us=0",
        "/cpu?us=1000",
        "/mixed?cpu_us=500&io_ms=5",
        "/mixed?io_ms=5&cpu_us=500",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        e2e_expect_get(e2e_shared.port, targets[i], 200, "OK");
}

/* /work's body is the loop's result (peer.py's work() gives the same for
 * the same N), /hash's the SHA-256 that sha256sum gives for the first N KiB
 * of the /bytes pattern: the same on every model, whatever its engine, GIL
 * or pool does with the work. */
static void test_work_and_hash_answer_their_result(void **state) {
    static const struct {
        const char *target, *body;
    } cases[] = {
        {"/work?n=0", "2654435769"},
        {"/work?n=1000000", "3526090145"},
        {"/hash?kb=0", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"/hash?kb=100", "b685ea53b32c84cb89246232f9969af9af476f6c602f1364e86a3c039e34a4e0"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        e2e_expect_get(e2e_shared.port, cases[i].target, 200, cases[i].body);
}

static void test_unknown_paths_get_404(void **state) {
    static const char *targets[] = {"/", "/nope", "/hello/", "/helloo"};
    (void)state;
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
        e2e_expect_get(e2e_shared.port, targets[i], 404, NULL);
}

static void test_bad_parameters_get_400_with_a_reason(void **state) {
    static const char *bad[] = {
        "/io",
        "/io?ms=",
        "/io?ms=-1",
        "/io?ms=abc",
        "/io?ms=1x",
        "/io?ms=60001",
        "/cpu?us=10000001",
        "/cpu?us=-5",
        "/bytes?n=-",
        "/bytes?n=67108865",
        "/mixed?cpu_us=1",
        "/mixed?cpu_us=1&io_ms=99999999",
        "/work",
        "/work?n=1000000001",
        "/work?n=1e6",
        "/hash?kb=65537",
        "/hash?kb=",
        "/hash?kb=-1",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct e2e_response resp;
        assert_int_equal(e2e_get(e2e_shared.port, bad[i], &resp), 0);
        if (resp.status != 400)
            fail_msg("GET %s: status %d, expected 400", bad[i], resp.status);
        /* one line of reason, newline-terminated */
        assert_true(resp.body_len > 1);
        assert_non_null(strchr(resp.body, '\n'));
        assert_int_equal(strchr(resp.body, '\n') - resp.body, (long)resp.body_len - 1);
        e2e_response_free(&resp);
    }
}

static void test_bytes_sends_exactly_n_pattern_bytes(void **state) {
    static const size_t sizes[] = {0, 1, 26, 65519, 65520, 65521, 1 << 20, 5000003};
    (void)state;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char target[64];
        struct e2e_response resp;
        snprintf(target, sizeof(target), "/bytes?n=%zu", sizes[i]);
        assert_int_equal(e2e_get(e2e_shared.port, target, &resp), 0);
        e2e_check_pattern(&resp, sizes[i]);
        char length[32];
        snprintf(length, sizeof(length), "%zu", sizes[i]);
        assert_string_equal(e2e_header(&resp, "Content-Length"), length);
        e2e_response_free(&resp);
    }
}

/* Total of "requests" over the processes in a /stats body. */
static unsigned long long stats_requests(const char *body) {
    unsigned long long total = 0;
    for (const char *p = strstr(body, "\"requests\":"); p; p = strstr(p + 1, "\"requests\":"))
        total += strtoull(p + strlen("\"requests\":"), NULL, 10);
    return total;
}

/* GET /stats on every model: JSON naming the model, requests per process
 * that grow as requests are answered, and the GIL's counters where there
 * is one. */
static void test_stats_reports_requests_and_gil(void **state) {
    struct e2e_response resp;
    char name[80];
    (void)state;
    assert_int_equal(e2e_get(e2e_shared.port, "/stats", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(e2e_header(&resp, "Content-Type"), "application/json");
    snprintf(name, sizeof(name), "{\"model\":\"%s\"", e2e_model());
    assert_true(strncmp(resp.body, name, strlen(name)) == 0);
    assert_non_null(strstr(resp.body, "\"processes\":[{\"pid\":"));
    bool has_gil =
        strcmp(e2e_model(), "python-threads") == 0 || strcmp(e2e_model(), "gunicorn-gthread") == 0;
    assert_true((strstr(resp.body, "\"gil\":{\"switch_interval_us\":5000") != NULL) == has_gil);
    unsigned long long before = stats_requests(resp.body);
    e2e_response_free(&resp);
    for (int i = 0; i < 20; i++)
        e2e_expect_get(e2e_shared.port, "/hello", 200, "Hello, World!");
    assert_int_equal(e2e_get(e2e_shared.port, "/stats", &resp), 0);
    unsigned long long after = stats_requests(resp.body);
    if (after < before + 21)
        fail_msg("requests went from %llu to %llu after 21 more: %s", before, after, resp.body);
    e2e_response_free(&resp);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_has_body_and_headers),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_work_endpoints_answer_ok),
        cmocka_unit_test(test_work_and_hash_answer_their_result),
        cmocka_unit_test(test_unknown_paths_get_404),
        cmocka_unit_test(test_bad_parameters_get_400_with_a_reason),
        cmocka_unit_test(test_bytes_sends_exactly_n_pattern_bytes),
        cmocka_unit_test(test_stats_reports_requests_and_gil),
    };
    return cmocka_run_group_tests_name("endpoints", tests, e2e_shared_start, e2e_shared_stop) != 0;
}
