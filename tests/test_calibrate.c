/*
 * test_calibrate.c — one CPU-work calibration per runtime per run
 * (bench/calibrate.c): the calibrate line's parsing, and the repeats of a
 * measurement whose rounds disagree, against small shell commands that
 * stand in for bin/server --calibrate and the peers' calibrate modes.
 */
#include "../bench/calibrate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_a_line_gives_figure_spread_and_version(void **state) {
    struct cal_figure f;
    char why[128];
    (void)state;
    assert_int_equal(cal_parse("532.468 0.0058 node 20.20.2", &f, why, sizeof(why)), 0);
    assert_true(f.is_measured && f.is_steady);
    assert_float_equal(f.iters_per_us, 532.468, 1e-9);
    assert_float_equal(f.spread, 0.0058, 1e-9);
    assert_string_equal(f.version, "20.20.2");

    /* bin/server's older line: the figure alone. */
    assert_int_equal(cal_parse("251.300", &f, why, sizeof(why)), 0);
    assert_float_equal(f.spread, 0, 0);
    assert_string_equal(f.version, "");

    assert_int_equal(cal_parse("6.5 0.25 cpython 3.11.2", &f, why, sizeof(why)), 0);
    assert_false(f.is_steady);
}

static void test_a_bad_line_is_refused_with_its_text(void **state) {
    struct cal_figure f;
    char why[128];
    (void)state;
    assert_int_equal(cal_parse("Traceback (most recent call last):", &f, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "Traceback"));
    assert_int_equal(cal_parse("0 0.01", &f, why, sizeof(why)), -1);
    assert_int_equal(cal_parse("12.5 1.5", &f, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "spread"));
}

static int measure(const char *script, struct cal_figure *f, char *why, size_t cap) {
    char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
    return cal_measure(argv, f, why, cap);
}

static void test_a_steady_calibration_is_taken_once(void **state) {
    struct cal_figure f;
    char why[128];
    (void)state;
    assert_int_equal(measure("echo 250.5 0.02 c", &f, why, sizeof(why)), 0);
    assert_int_equal(f.attempts, 1);
    assert_true(f.is_steady);
    assert_float_equal(f.iters_per_us, 250.5, 1e-9);
}

static void test_disagreeing_rounds_are_measured_again_and_the_steadiest_kept(void **state) {
    char dir[] = "/tmp/test_calibrate.XXXXXX", script[512], why[128];
    struct cal_figure f;
    (void)state;
    assert_non_null(mkdtemp(dir));
    /* The first attempt is noisy (30%), the second steady. */
    snprintf(script, sizeof(script),
             "if [ -e %s/once ]; then echo 240 0.04; else touch %s/once; echo 300 0.30; fi", dir,
             dir);
    assert_int_equal(measure(script, &f, why, sizeof(why)), 0);
    assert_int_equal(f.attempts, 2);
    assert_true(f.is_steady);
    assert_float_equal(f.iters_per_us, 240, 1e-9);
    snprintf(script, sizeof(script), "rm -rf %s", dir);
    assert_int_equal(system(script), 0);
}

static void test_an_unsteady_calibration_says_so_after_every_attempt(void **state) {
    struct cal_figure f;
    char why[128], text[128];
    (void)state;
    assert_int_equal(measure("echo 12.5 0.35", &f, why, sizeof(why)), 0);
    assert_int_equal(f.attempts, CAL_ATTEMPTS);
    assert_false(f.is_steady);
    cal_format(&f, text, sizeof(text));
    assert_non_null(strstr(text, "UNSTEADY after 3 attempts"));
}

static void test_a_failing_command_is_named(void **state) {
    struct cal_figure f;
    char why[128];
    (void)state;
    assert_int_equal(measure("exit 3", &f, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "/bin/sh"));
    assert_int_equal(measure("echo nonsense", &f, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "nonsense"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_line_gives_figure_spread_and_version),
        cmocka_unit_test(test_a_bad_line_is_refused_with_its_text),
        cmocka_unit_test(test_a_steady_calibration_is_taken_once),
        cmocka_unit_test(test_disagreeing_rounds_are_measured_again_and_the_steadiest_kept),
        cmocka_unit_test(test_an_unsteady_calibration_says_so_after_every_attempt),
        cmocka_unit_test(test_a_failing_command_is_named),
    };
    return cmocka_run_group_tests_name("calibration", tests, NULL, NULL);
}
