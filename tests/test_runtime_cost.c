/* test_runtime_cost.c — the runtime-cost calibration file (bench/runtime_cost.h):
 * what bin/bench calibrate writes, bin/bench run --calibration reads back,
 * and a bad file is refused with its file, line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/runtime_cost.h"

static char file[64]; /* /tmp/test_runtime_cost.PID.ini, the tests' one file */

static void write_text(const char *text) {
    FILE *out = fopen(file, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void test_written_file_reads_back(void **state) {
    static struct rtc_table written, read;
    char err[512];
    (void)state;
    snprintf(written.host, sizeof(written.host), "vm");
    snprintf(written.date, sizeof(written.date), "2026-12-01T23:59:00Z");
    snprintf(written.record, sizeof(written.record), "rate = 400\nversions = node 20.19.2\n");
    struct rtc_model *node = rtc_add(&written, "node");
    node->cost_us = 180;
    node->real_cpu_us = 205.5;
    node->c_cpu_us = 25.5;
    snprintf(node->runtime, sizeof(node->runtime), "node-http: node 20.19.2");
    struct rtc_model *nogil = rtc_add(&written, "python-nogil");
    nogil->cost_us = 420;
    snprintf(nogil->estimate, sizeof(nogil->estimate), "python-threads' x 1.4");
    FILE *out = fopen(file, "w");
    assert_non_null(out);
    assert_int_equal(rtc_write(out, &written), 0);
    fclose(out);

    assert_int_equal(rtc_read(file, &read, err, sizeof(err)), 0);
    assert_string_equal(read.host, "vm");
    assert_string_equal(read.date, "2026-12-01T23:59:00Z");
    assert_non_null(strstr(read.record, "rate = 400\n"));
    assert_int_equal(read.nmodels, 2);
    const struct rtc_model *m = rtc_find(&read, "node");
    assert_non_null(m);
    assert_int_equal(m->cost_us, 180);
    assert_true(m->real_cpu_us == 205.5 && m->c_cpu_us == 25.5);
    assert_string_equal(m->runtime, "node-http: node 20.19.2");
    assert_string_equal(m->estimate, "");
    m = rtc_find(&read, "python-nogil");
    assert_non_null(m);
    assert_int_equal(m->cost_us, 420);
    assert_string_equal(m->estimate, "python-threads' x 1.4");
    assert_null(rtc_find(&read, "uvicorn"));
}

/* text is refused with "FILE:where: ...why...". */
static void read_fails(const char *text, const char *where, const char *why) {
    static struct rtc_table t;
    char err[512], expected[256];
    write_text(text);
    assert_int_equal(rtc_read(file, &t, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected), "%s:%s: ", file, where);
    if (strncmp(err, expected, strlen(expected)) != 0 || !strstr(err, why))
        fail_msg("got '%s', expected '%s%s'", err, expected, why);
}

static void test_bad_file_is_refused_with_line_and_column(void **state) {
    (void)state;
    read_fails("[model node]\nruntime_cost_us = lots\n", "2:19", "not a whole number");
    read_fails("[model node]\nruntime_cost_us = -3\n", "2:19", "not a whole number");
    read_fails("[model node]\nruntime_cost_us = 2000000\n", "2:19", "0 to 1000000");
    read_fails("[model node]\nruntime_cost_us = 1\n[model uvicorn]\nspeed = 3\n", "4:1",
               "unknown key 'speed'");
    read_fails("[model node]\nruntime_cost_us = 1\n[model node]\nruntime_cost_us = 2\n", "4:1",
               "runtime_cost_us of [model node] a second time");
    read_fails("[calibration]\nhost = vm\n[extra]\na = 1\n", "4:1", "unknown section [extra]");
    read_fails("[model real-node]\nruntime_cost_us = 1\n", "2:1", "is a real runtime");
    read_fails("[model node]\nthis is not ini\n", "2:1", "not a line of an ini file");
}

static void test_file_without_models_or_missing_is_refused(void **state) {
    static struct rtc_table t;
    char err[512];
    (void)state;
    write_text("[calibration]\nhost = vm\n");
    assert_int_equal(rtc_read(file, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no [model NAME] section"));
    write_text("[model node]\nruntime = node 20\n");
    assert_int_equal(rtc_read(file, &t, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "[model node] has no runtime_cost_us"));
    assert_int_equal(rtc_read("/nonexistent/cost.ini", &t, err, sizeof(err)), -1);
    assert_string_equal(err, "/nonexistent/cost.ini: cannot read it");
}

static int remove_file(void **state) {
    (void)state;
    unlink(file);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_written_file_reads_back),
        cmocka_unit_test(test_bad_file_is_refused_with_line_and_column),
        cmocka_unit_test(test_file_without_models_or_missing_is_refused),
    };
    snprintf(file, sizeof(file), "/tmp/test_runtime_cost.%d.ini", (int)getpid());
    return cmocka_run_group_tests(tests, NULL, remove_file);
}
