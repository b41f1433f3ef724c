/* test_series.c — the per-second time series (bench/series.c): the server's
 * samples bucketed into seconds, and the drift rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "bench/series.h"

/* Samples every 50 ms from -0.5 s to end_s: CPU at rate(t) core-seconds
 * per second, RSS 1000 KB plus 100 KB per whole second. */
static unsigned make_samples(struct watch_sample *s, double end_s, double (*rate)(double)) {
    unsigned n = 0;
    double cpu = 0;
    for (double t = -0.5; t <= end_s + 1e-9; t += 0.05) {
        s[n++] = (struct watch_sample){.t_s = t, .cpu_s = cpu, .rss_kb = 1000 + 100 * floor(t)};
        cpu += rate(t) * 0.05;
    }
    return n;
}

static double half_core(double t) {
    (void)t;
    return 0.5;
}

/* A whole core in the second [2, 3), none otherwise. */
static double busy_in_third_second(double t) {
    return t >= 2 - 1e-9 && t < 3 - 1e-9 ? 1.0 : 0.0;
}

static void test_bucket_gives_each_second_its_own_cpu_and_peak_rss(void **state) {
    (void)state;
    struct watch_sample s[200];
    double cpu[5], rss[5];
    unsigned n = make_samples(s, 5, half_core);
    series_bucket(s, n, 5, 5, cpu, rss);
    for (unsigned k = 0; k < 5; k++) {
        assert_float_equal(cpu[k], 0.5, 0.01);
        assert_float_equal(rss[k], 1000 + 100 * k, 0.01);
    }
    n = make_samples(s, 5, busy_in_third_second);
    series_bucket(s, n, 5, 5, cpu, rss);
    assert_float_equal(cpu[1], 0.0, 0.01);
    assert_float_equal(cpu[2], 1.0, 0.01);
    assert_float_equal(cpu[3], 0.0, 0.01);
}

static void test_bucket_says_nan_after_the_server_died(void **state) {
    (void)state;
    struct watch_sample s[200];
    double cpu[5], rss[5];
    unsigned n = make_samples(s, 2.2, half_core); /* samples stop at 2.2 s */
    series_bucket(s, n, 5, 5, cpu, rss);
    assert_float_equal(cpu[1], 0.5, 0.01);
    assert_true(isnan(cpu[3]));
    assert_true(isnan(cpu[4]));
    assert_float_equal(rss[4], 1000 + 100 * 2, 0.01); /* the nearest sample's */
}

static void test_bucket_ends_a_short_last_second_with_the_window(void **state) {
    (void)state;
    struct watch_sample s[200];
    double cpu[3], rss[3];
    unsigned n = make_samples(s, 2.4, half_core); /* a 2.4 s window */
    series_bucket(s, n, 2.4, 3, cpu, rss);
    assert_float_equal(cpu[1], 0.5, 0.01);
    assert_float_equal(cpu[2], 0.2, 0.01); /* 0.4 s at half a core */
    assert_float_equal(rss[2], 1200, 0.01);
}

static void test_bucket_interpolates_between_sparse_samples(void **state) {
    (void)state;
    /* Two samples a whole 2 s apart: one second gets half the CPU. */
    struct watch_sample s[] = {{.t_s = 0, .cpu_s = 10, .rss_kb = 5}, {.t_s = 2, .cpu_s = 12}};
    double cpu[2], rss[2];
    series_bucket(s, 2, 2, 2, cpu, rss);
    assert_float_equal(cpu[0], 1.0, 1e-9);
    assert_float_equal(cpu[1], 1.0, 1e-9);
}

/* The drift of nine seconds. */
static struct series_drift drift_of(const double values[9]) {
    struct series_drift d;
    series_drift(values, 9, &d);
    return d;
}

static void test_steady_noisy_window_has_not_drifted(void **state) {
    (void)state;
    const double rps[] = {1000, 1040, 960, 1010, 990, 1030, 970, 1020, 980};
    struct series_drift d = drift_of(rps);
    assert_true(d.is_judged);
    assert_false(d.is_drifted);
}

static void test_falling_rate_has_drifted_by_its_change(void **state) {
    (void)state;
    const double rps[] = {1000, 1010, 990, 900, 880, 860, 820, 810, 830};
    struct series_drift d = drift_of(rps);
    assert_true(d.is_drifted);
    assert_float_equal(d.change, 820.0 / 1000 - 1, 1e-9);
    struct series_drifts both = {.rps = d};
    char text[128];
    series_drift_text(&both, text, sizeof(text));
    assert_string_equal(text, "drifted: rps −18% over the window");
}

static void test_change_within_the_seconds_scatter_is_not_drift(void **state) {
    (void)state;
    /* The means differ by 15%, but the seconds scatter by ±40%. */
    const double rps[] = {600, 1400, 1000, 1000, 1000, 1000, 1250, 450, 850};
    struct series_drift d = drift_of(rps);
    assert_true(d.is_judged);
    assert_float_equal(d.change, -0.15, 1e-9);
    assert_false(d.is_drifted);
    /* ... and a steady 5% change is too small to call, however quiet. */
    const double quiet[] = {1000, 1000, 1000, 1000, 1000, 1000, 950, 950, 950};
    d = drift_of(quiet);
    assert_false(d.is_drifted);
}

static void test_a_stall_in_the_middle_third_is_not_drift(void **state) {
    (void)state;
    const double rps[] = {1000, 1000, 1010, 990, 0, 1000, 995, 1005, 1000};
    struct series_drift d = drift_of(rps);
    assert_false(d.is_drifted);
}

static void test_too_few_seconds_or_figures_are_not_judged(void **state) {
    (void)state;
    const double five[] = {1000, 1000, 1000, 500, 500};
    struct series_drift d;
    series_drift(five, 5, &d); /* a third of 5 s is 1 s */
    assert_false(d.is_judged);
    const double gaps[] = {NAN, 3, NAN, 1, 1, 1, 9, 9, 9};
    series_drift(gaps, 9, &d); /* one figure in the first third */
    assert_false(d.is_judged);
    assert_false(d.is_drifted);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_gives_each_second_its_own_cpu_and_peak_rss),
        cmocka_unit_test(test_bucket_says_nan_after_the_server_died),
        cmocka_unit_test(test_bucket_ends_a_short_last_second_with_the_window),
        cmocka_unit_test(test_bucket_interpolates_between_sparse_samples),
        cmocka_unit_test(test_steady_noisy_window_has_not_drifted),
        cmocka_unit_test(test_falling_rate_has_drifted_by_its_change),
        cmocka_unit_test(test_change_within_the_seconds_scatter_is_not_drift),
        cmocka_unit_test(test_a_stall_in_the_middle_third_is_not_drift),
        cmocka_unit_test(test_too_few_seconds_or_figures_are_not_judged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
