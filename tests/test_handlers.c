/* test_handlers.c — routing and parameter checking of the shared handlers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "servers/handlers.h"

static struct reply_plan route(const char *target) {
    struct reply_plan plan;
    handler_route(target, strlen(target), &plan);
    return plan;
}

static void test_hello_and_json_bodies(void **state) {
    (void)state;
    struct reply_plan w = route("/hello");
    assert_int_equal(w.status, 200);
    assert_string_equal(w.content_type, "text/plain");
    assert_int_equal(w.body_len, 13);
    assert_memory_equal(w.body, "Hello, World!", 13);
    assert_int_equal(w.cpu_us + w.wait_ms, 0);

    w = route("/json");
    assert_string_equal(w.content_type, "application/json");
    assert_int_equal(w.body_len, strlen("{\"message\":\"Hello, World!\"}"));
    assert_memory_equal(w.body, "{\"message\":\"Hello, World!\"}", w.body_len);
}

static void test_io_cpu_and_mixed_carry_their_work(void **state) {
    (void)state;
    struct reply_plan w = route("/io?ms=20");
    assert_int_equal(w.status, 200);
    assert_int_equal(w.wait_ms, 20);
    assert_int_equal(w.cpu_us, 0);

    w = route("/cpu?us=2000");
    assert_int_equal(w.cpu_us, 2000);
    assert_int_equal(w.wait_ms, 0);

    w = route("/mixed?cpu_us=300&io_ms=7");
    assert_int_equal(w.status, 200);
    assert_int_equal(w.cpu_us, 300);
    assert_int_equal(w.wait_ms, 7);

    w = route("/mixed?io_ms=7&x=1&cpu_us=300");
    assert_int_equal(w.cpu_us, 300);
    assert_int_equal(w.wait_ms, 7);
}

static void test_work_and_hash_carry_their_work_and_a_result_body(void **state) {
    (void)state;
    struct reply_plan w = route("/work?n=1000000");
    assert_int_equal(w.status, 200);
    assert_string_equal(w.content_type, "text/plain");
    assert_int_equal(w.work_n, 1000000);
    assert_int_equal(w.result_of, RESULT_WORK);
    assert_int_equal(w.cpu_us + w.wait_ms + w.hash_kb, 0);
    assert_int_equal(w.body_len, 0); /* until work_perform() writes the result */

    w = route("/hash?kb=64");
    assert_int_equal(w.status, 200);
    assert_int_equal(w.hash_kb, 64);
    assert_int_equal(w.result_of, RESULT_HASH);
    assert_int_equal(w.cpu_us + w.wait_ms + w.work_n, 0);

    w = route("/hello");
    assert_int_equal(w.result_of, RESULT_NONE);
}

static void test_result_body_is_read_from_the_plan(void **state) {
    (void)state;
    struct reply_plan w = route("/work?n=0");
    size_t len;
    strcpy(w.result, "2654435769");
    w.body_len = 10;
    const char *p = handler_body_at(&w, 4, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(p, "435769", 6);
}

static void test_limits_are_inclusive(void **state) {
    (void)state;
    assert_int_equal(route("/io?ms=60000").status, 200);
    assert_int_equal(route("/io?ms=0").status, 200);
    assert_int_equal(route("/cpu?us=10000000").status, 200);
    assert_int_equal(route("/bytes?n=67108864").status, 200);
    assert_int_equal(route("/work?n=1000000000").status, 200);
    assert_int_equal(route("/work?n=0").status, 200);
    assert_int_equal(route("/hash?kb=65536").status, 200);
    assert_int_equal(route("/hash?kb=0").status, 200);
}

static void test_bad_parameters_get_400_with_a_reason(void **state) {
    static const char *bad[] = {
        "/io",
        "/io?ms=",
        "/io?ms=-1",
        "/io?ms=abc",
        "/io?ms=60001",
        "/io?ms=1e3",
        "/io?ms=99999999999999999999999",
        "/cpu?us=10000001",
        "/cpu?ms=5",
        "/mixed?cpu_us=1",
        "/mixed?io_ms=1",
        "/bytes?n=67108865",
        "/bytes?n=+5",
        "/io?ms=5x",
        "/work",
        "/work?n=",
        "/work?n=1000000001",
        "/work?n=-1",
        "/work?iterations=5",
        "/hash",
        "/hash?kb=65537",
        "/hash?kb=1k",
        "/hash?n=1",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct reply_plan w = route(bad[i]);
        if (w.status != 400)
            fail_msg("%s gave %d, not 400", bad[i], w.status);
        assert_non_null(w.body);
        /* One line naming the parameter. */
        assert_non_null(memchr(w.body, '\n', w.body_len));
        assert_ptr_equal(memchr(w.body, '\n', w.body_len), w.body + w.body_len - 1);
        assert_int_equal(w.cpu_us + w.wait_ms + w.work_n + w.hash_kb, 0);
        assert_int_equal(w.result_of, RESULT_NONE);
    }
}

static void test_unknown_paths_get_404(void **state) {
    (void)state;
    assert_int_equal(route("/").status, 404);
    assert_int_equal(route("/hello/").status, 404);
    assert_int_equal(route("/helloo").status, 404);
    assert_int_equal(route("/hell").status, 404);
    assert_int_equal(route("*").status, 404);
    assert_int_equal(route("/hello?x=1").status, 200);
}

static void test_bytes_body_is_the_alphabet_pattern_across_chunks(void **state) {
    (void)state;
    struct reply_plan w = route("/bytes?n=200000");
    uint64_t offset = 0;
    size_t len;
    assert_int_equal(w.body_len, 200000);
    assert_string_equal(w.content_type, "application/octet-stream");
    while (offset < w.body_len) {
        const char *p = handler_body_at(&w, offset, &len);
        assert_true(len > 0 && len <= 65536);
        for (size_t i = 0; i < len; i++) {
            if (p[i] != (char)('a' + (offset + i) % 26))
                fail_msg("byte %llu is '%c'", (unsigned long long)(offset + i), p[i]);
        }
        offset += len;
    }
    assert_int_equal(offset, 200000);
    handler_body_at(&w, offset, &len);
    assert_int_equal(len, 0);
}

static void test_static_body_resumes_at_any_offset(void **state) {
    (void)state;
    struct reply_plan w = route("/hello");
    size_t len;
    const char *p = handler_body_at(&w, 7, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(p, "World!", 6);
}

static int setup(void **state) {
    (void)state;
    handlers_init();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_and_json_bodies),
        cmocka_unit_test(test_io_cpu_and_mixed_carry_their_work),
        cmocka_unit_test(test_work_and_hash_carry_their_work_and_a_result_body),
        cmocka_unit_test(test_result_body_is_read_from_the_plan),
        cmocka_unit_test(test_limits_are_inclusive),
        cmocka_unit_test(test_bad_parameters_get_400_with_a_reason),
        cmocka_unit_test(test_unknown_paths_get_404),
        cmocka_unit_test(test_bytes_body_is_the_alphabet_pattern_across_chunks),
        cmocka_unit_test(test_static_body_resumes_at_any_offset),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
