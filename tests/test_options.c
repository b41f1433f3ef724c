/* test_options.c — durations, sizes and integers from the command line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "common/options.h"

static uint64_t duration_us(const char *s) {
    char err[OPT_ERR_MAX];
    uint64_t us = 0;
    assert_int_equal(opt_parse_duration_us(s, &us, err, sizeof(err)), 0);
    return us;
}

static void test_duration_units_scale(void **state) {
    (void)state;
    assert_int_equal(duration_us("10s"), 10000000);
    assert_int_equal(duration_us("250ms"), 250000);
    assert_int_equal(duration_us("2m"), 120000000);
    assert_int_equal(duration_us("1h"), 3600000000u);
    assert_int_equal(duration_us("500us"), 500);
    assert_int_equal(duration_us("1.5s"), 1500000);
    assert_int_equal(duration_us("0s"), 0);
}

static void test_duration_bare_number_is_seconds(void **state) {
    (void)state;
    assert_int_equal(duration_us("3"), 3000000);
}

static void test_duration_garbage_is_rejected_with_the_value_named(void **state) {
    static const char *bad[] = {"", "s", "10x", "-1s", "1e3s", "ten", "10 s", ".s", "1.2.3s"};
    char err[OPT_ERR_MAX];
    uint64_t us;
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(opt_parse_duration_us(bad[i], &us, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "duration"));
        if (bad[i][0])
            assert_non_null(strstr(err, bad[i]));
    }
}

static void test_size_suffixes_are_binary(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_size("16k", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 16384);
    assert_int_equal(opt_parse_size("64m", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 64u << 20);
    assert_int_equal(opt_parse_size("2KiB", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2048);
    assert_int_equal(opt_parse_size("512", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 512);
    assert_int_equal(opt_parse_size("1g", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1u << 30);
}

static void test_size_rejects_fractions_of_bytes_and_junk(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_size("1.5", &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_size("12q", &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "12q"));
    assert_int_equal(opt_parse_size("", &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_size("1.5k", &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1536);
}

static void test_uint_range_and_overflow(void **state) {
    char err[OPT_ERR_MAX];
    uint64_t n;
    (void)state;
    assert_int_equal(opt_parse_uint("8080", 0, 65535, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 8080);
    assert_int_equal(opt_parse_uint("65536", 0, 65535, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(opt_parse_uint("-1", 0, 65535, &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_uint("99999999999999999999999", 0, UINT64_MAX, &n, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "too large"));
    assert_int_equal(opt_parse_uint("", 0, 5, &n, err, sizeof(err)), -1);
    assert_int_equal(opt_parse_uint("0", 1, 5, &n, err, sizeof(err)), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_units_scale),
        cmocka_unit_test(test_duration_bare_number_is_seconds),
        cmocka_unit_test(test_duration_garbage_is_rejected_with_the_value_named),
        cmocka_unit_test(test_size_suffixes_are_binary),
        cmocka_unit_test(test_size_rejects_fractions_of_bytes_and_junk),
        cmocka_unit_test(test_uint_range_and_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
