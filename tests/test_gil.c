/*
 * test_gil.c — the GIL on its own: CPU-bound threads take turns in slices
 * of about the switch interval, N of them get no more done than one, and a
 * thread that keeps releasing the lock waits about an interval to get it
 * back while a CPU-bound thread runs (the convoy effect). Timing bounds are
 * wide: this machine is shared.
 */
#include "../common/clock.h"
#include "../common/cpuwork.h"
#include "../servers/gil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

static struct gil gil;

/* Under valgrind (make valgrind sets SHOWDOWN_VALGRIND) threads run one at a
 * time in long slices: the code paths run, the timing is not checked. */
static bool is_timed(void) {
    return getenv("SHOWDOWN_VALGRIND") == NULL;
}

struct worker {
    pthread_t id;
    uint64_t work_us;
    uint64_t done_ns; /* when it finished, since the test's start */
    uint64_t start_ns;
    unsigned slices; /* times it got the lock back after a forced switch */
};

static void worker_checkpoint(void *arg) {
    struct worker *worker = arg;
    if (gil_checkpoint(&gil, worker))
        worker->slices++;
}

static void *cpu_worker(void *arg) {
    struct worker *worker = arg;
    gil_take(&gil, worker);
    cpuwork_run(worker->work_us, worker_checkpoint, worker);
    worker->done_ns = clock_now_ns() - worker->start_ns;
    gil_drop(&gil, worker);
    return NULL;
}

static int setup(void **state) {
    (void)state;
    cpuwork_calibrate();
    return 0;
}

static void run_workers(struct worker *workers, unsigned n, uint64_t work_us) {
    uint64_t start = clock_now_ns();
    for (unsigned i = 0; i < n; i++) {
        workers[i] = (struct worker){.work_us = work_us, .start_ns = start};
        assert_int_equal(pthread_create(&workers[i].id, NULL, cpu_worker, &workers[i]), 0);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(workers[i].id, NULL);
}

static void test_free_lock_is_taken_at_once(void **state) {
    struct gil_stats stats;
    (void)state;
    assert_int_equal(gil_init(&gil, 5000), 0);
    uint64_t start = clock_now_ns();
    for (int i = 0; i < 1000; i++) {
        gil_take(&gil, &start);
        assert_false(gil_checkpoint(&gil, &start)); /* nobody asked */
        gil_drop(&gil, &start);
    }
    assert_true(clock_now_ns() - start < 100000000ull);
    gil_get_stats(&gil, &stats);
    assert_int_equal(stats.switches, 1);
    assert_int_equal(stats.forced_drops, 0);
    gil_destroy(&gil);
}

/* Two CPU-bound threads alternate, each holding the lock about 5 ms. */
static void test_two_cpu_threads_alternate_in_interval_slices(void **state) {
    struct worker workers[2];
    struct gil_stats stats;
    (void)state;
    assert_int_equal(gil_init(&gil, 5000), 0);
    run_workers(workers, 2, 200000); /* 2 x 200 ms of work */
    gil_get_stats(&gil, &stats);
    uint64_t last =
        workers[0].done_ns > workers[1].done_ns ? workers[0].done_ns : workers[1].done_ns;
    uint64_t first =
        workers[0].done_ns < workers[1].done_ns ? workers[0].done_ns : workers[1].done_ns;
    double slice_ms = (double)last / 1e6 / (double)(stats.forced_drops + 1);
    print_message("2 threads: %llu forced drops in %.0f ms: slices of %.1f ms; first done at "
                  "%.0f ms\n",
                  (unsigned long long)stats.forced_drops, (double)last / 1e6, slice_ms,
                  (double)first / 1e6);
    if (!is_timed()) {
        gil_destroy(&gil);
        return;
    }
    /* Alternating, not one after the other: the first finishes near the end. */
    assert_true(first > last * 8 / 10);
    /* About 400 ms / 5 ms = 80 switches. */
    if (slice_ms < 3.5 || slice_ms > 9)
        fail_msg("slices of %.1f ms; expected about the 5 ms interval", slice_ms);
    assert_true(workers[0].slices > 10 && workers[1].slices > 10);
    gil_destroy(&gil);
}

/* N CPU-bound threads on 2+ cores finish no sooner than one thread doing all the work. */
static void test_cpu_threads_do_not_scale(void **state) {
    struct worker one, four[4];
    (void)state;
    assert_int_equal(gil_init(&gil, 5000), 0);
    run_workers(&one, 1, 240000);
    run_workers(four, 4, 60000);
    uint64_t four_ns = 0;
    for (int i = 0; i < 4; i++)
        four_ns = four[i].done_ns > four_ns ? four[i].done_ns : four_ns;
    double ratio = (double)four_ns / (double)one.done_ns;
    print_message("1 thread: %.0f ms; 4 threads, same total work: %.0f ms (x%.2f)\n",
                  (double)one.done_ns / 1e6, (double)four_ns / 1e6, ratio);
    if (is_timed() && (ratio < 0.85 || ratio > 1.3))
        fail_msg("4 threads took x%.2f the time of one; with a GIL it should be about x1", ratio);
    gil_destroy(&gil);
}

struct io_thread {
    pthread_t id;
    unsigned rounds;
    uint64_t retake_ns; /* total time to get the lock back */
    const _Atomic bool *stop;
};

static void *io_worker(void *arg) {
    struct io_thread *io = arg;
    struct timespec short_wait = {0, 100000}; /* 100 µs "recv" */
    gil_take(&gil, io);
    for (unsigned i = 0; i < io->rounds; i++) {
        gil_drop(&gil, io);
        nanosleep(&short_wait, NULL);
        uint64_t start = clock_now_ns();
        gil_take(&gil, io);
        io->retake_ns += clock_now_ns() - start;
    }
    gil_drop(&gil, io);
    return NULL;
}

struct spinner {
    pthread_t id;
    _Atomic bool stop;
};

static void spinner_checkpoint(void *arg) {
    gil_checkpoint(&gil, arg);
}

static void *cpu_spinner(void *arg) {
    struct spinner *spinner = arg;
    gil_take(&gil, spinner);
    while (!atomic_load(&spinner->stop))
        cpuwork_run(1000, spinner_checkpoint, spinner);
    gil_drop(&gil, spinner);
    return NULL;
}

static double mean_retake_ms(bool with_cpu_thread, uint64_t interval_us) {
    struct io_thread io = {.rounds = 40};
    struct spinner spinner;
    atomic_init(&spinner.stop, false);
    assert_int_equal(gil_init(&gil, interval_us), 0);
    if (with_cpu_thread)
        assert_int_equal(pthread_create(&spinner.id, NULL, cpu_spinner, &spinner), 0);
    struct timespec settle = {0, 20000000};
    nanosleep(&settle, NULL);
    assert_int_equal(pthread_create(&io.id, NULL, io_worker, &io), 0);
    pthread_join(io.id, NULL);
    if (with_cpu_thread) {
        atomic_store(&spinner.stop, true);
        pthread_join(spinner.id, NULL);
    }
    gil_destroy(&gil);
    return (double)io.retake_ns / io.rounds / 1e6;
}

/* bpo-7946: each time the I/O thread wants the lock back, it waits about
 * an interval behind the CPU-bound thread; alone, it does not wait. */
static void test_io_thread_convoys_behind_cpu_thread(void **state) {
    (void)state;
    double alone = mean_retake_ms(false, 5000);
    double convoy = mean_retake_ms(true, 5000);
    double short_interval = mean_retake_ms(true, 1000);
    print_message("retake: alone %.3f ms, behind a CPU thread %.2f ms (5 ms interval), %.2f ms "
                  "(1 ms interval)\n",
                  alone, convoy, short_interval);
    if (!is_timed())
        return;
    assert_true(alone < 1.0);
    if (convoy < 3.5 || convoy > 9)
        fail_msg("retake behind a CPU thread took %.2f ms; expected about 5 ms", convoy);
    assert_true(short_interval < convoy / 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_lock_is_taken_at_once),
        cmocka_unit_test(test_two_cpu_threads_alternate_in_interval_slices),
        cmocka_unit_test(test_cpu_threads_do_not_scale),
        cmocka_unit_test(test_io_thread_convoys_behind_cpu_thread),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
