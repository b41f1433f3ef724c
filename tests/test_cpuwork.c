/*
 * test_cpuwork.c — the CPU work kernel: calibrated work costs what it says
 * in thread CPU time, and the checkpoint fires about every 100 µs.
 *
 * Thread CPU time (not wall time) is what is checked, so a busy neighbour
 * on this shared machine slows the test without failing it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clock.h"
#include "common/cpuwork.h"

static int setup(void **state) {
    (void)state;
    cpuwork_calibrate();
    return 0;
}

/* The median of several measurements, so one preemption does not decide. */
static double median_cpu_us_of(uint64_t us) {
    double samples[7];
    for (int i = 0; i < 7; i++) {
        uint64_t start = clock_thread_cpu_ns();
        cpuwork_run(us, NULL, NULL);
        samples[i] = (double)(clock_thread_cpu_ns() - start) / 1000.0;
    }
    for (int i = 1; i < 7; i++)
        for (int j = i; j > 0 && samples[j - 1] > samples[j]; j--) {
            double t = samples[j];
            samples[j] = samples[j - 1];
            samples[j - 1] = t;
        }
    return samples[3];
}

/* Thread CPU time, the work itself: a neighbour that takes the core only
 * stretches wall time. Within half: a unit or scaling mistake in the
 * calibration is off by far more (x1000 for ms/µs, x10 for a figure a digit
 * off), while what a vCPU does in a µs still moves with what its sibling
 * runs, by a third between the calibration and the test (2628 µs for 2000
 * seen in CI; 2044 .. 2087 beside a `taskset -c 1` busy loop). The median
 * of seven keeps one preemption's cache refill from deciding. */
static void test_two_ms_of_work_costs_two_ms_of_cpu_within_half(void **state) {
    (void)state;
    double took = median_cpu_us_of(2000);
    print_message("2000 us of work took %.0f us of thread CPU (%.1f iterations/us)\n", took,
                  cpuwork_iters_per_us());
    assert_true(took >= 1000 && took <= 3000);
}

static void test_work_scales_linearly(void **state) {
    (void)state;
    double small = median_cpu_us_of(1000);
    double large = median_cpu_us_of(10000);
    double ratio = large / small;
    print_message("10 ms / 1 ms of work: CPU ratio %.2f\n", ratio);
    /* Linear, not exact, in thread CPU time: a 1 ms sample is noisier (6.37
     * seen in CI, 10.0 .. 10.2 beside a busy core); 5 .. 15 around 10 still
     * fails work that does not grow with us (1) or grows with its square. */
    assert_true(ratio > 5.0 && ratio < 15.0);
}

static void count_calls(void *arg) {
    (*(int *)arg)++;
}

static void test_checkpoint_runs_about_every_100_us(void **state) {
    int calls = 0;
    (void)state;
    cpuwork_run(2000, count_calls, &calls);
    /* A count, not a time: 2000 µs in 100 µs slices is 20 slices, a
     * checkpoint between each pair, whatever the machine does. */
    assert_int_equal(calls, 19);
    calls = 0;
    cpuwork_run(50, count_calls, &calls);
    assert_int_equal(calls, 0);
}

static void test_zero_work_returns_at_once(void **state) {
    int calls = 0;
    (void)state;
    uint64_t start = clock_thread_cpu_ns();
    cpuwork_run(0, count_calls, &calls);
    assert_int_equal(calls, 0);
    /* Thread CPU time: returning at once is a few µs of work, and 1 ms of
     * CPU is what work of 0 taken as "some default" (1 ms or more) costs. */
    assert_true(clock_thread_cpu_ns() - start < 1000000);
}

static void test_explicit_calibration_is_used(void **state) {
    double measured = cpuwork_iters_per_us();
    (void)state;
    double full = median_cpu_us_of(2000);
    cpuwork_set_iters_per_us(measured / 2);
    double half = median_cpu_us_of(2000);
    cpuwork_set_iters_per_us(measured);
    /* Half the iterations per µs: 2000 µs of work is half as long. Compared
     * back to back in thread CPU time, so the machine's speed of the moment
     * cancels out: 0.35 .. 0.65 around 0.5 holds through the sibling's
     * noise over the few ms between the two medians, while a calibration
     * that is ignored (1.0) or applied the wrong way (2.0) fails. */
    if (half / full < 0.35 || half / full > 0.65)
        fail_msg("at half the calibration: %.0f us of CPU vs %.0f us", half, full);
    cpuwork_set_iters_per_us(-1); /* ignored */
    assert_true(cpuwork_iters_per_us() == measured);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_ms_of_work_costs_two_ms_of_cpu_within_half),
        cmocka_unit_test(test_work_scales_linearly),
        cmocka_unit_test(test_checkpoint_runs_about_every_100_us),
        cmocka_unit_test(test_zero_work_returns_at_once),
        cmocka_unit_test(test_explicit_calibration_is_used),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
