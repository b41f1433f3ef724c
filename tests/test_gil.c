/*
 * test_gil.c — the GIL on its own: CPU-bound threads take turns in slices
 * of about the switch interval, N of them get no more done than one, and a
 * thread that keeps releasing the lock waits about an interval to get it
 * back while a CPU-bound thread runs (the convoy effect). Each bound says
 * below what it measures and why its margin is what it is: the switch
 * interval is a timed wait, so slices and waits are wall time; whether
 * threads scale is work, so it is CPU time, and it needs two free cores
 * to be judged (tests/noise.h), which a busy machine does not give.
 */
#include "../common/clock.h"
#include "../common/cpuwork.h"
#include "../servers/gil.h"
#include "noise.h"

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
    uint64_t cpu_ns; /* thread CPU time it used, waiting included */
    unsigned slices; /* times it got the lock back after a forced switch */
};

static void worker_checkpoint(void *arg) {
    struct worker *worker = arg;
    if (gil_checkpoint(&gil, worker))
        worker->slices++;
}

static void *cpu_worker(void *arg) {
    struct worker *worker = arg;
    uint64_t cpu_start = clock_thread_cpu_ns();
    gil_take(&gil, worker);
    cpuwork_run(worker->work_us, worker_checkpoint, worker);
    worker->done_ns = clock_now_ns() - worker->start_ns;
    gil_drop(&gil, worker);
    worker->cpu_ns = clock_thread_cpu_ns() - cpu_start;
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
    /* Wall time, because the bug is a wait: a free lock that is not taken
     * at once waits on the interval's timed wait, 1000 x 5 ms = 5 s. 1000
     * uncontended rounds take well under a millisecond; 100 ms absorbs the
     * host taking the vCPU away for a while. */
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
    /* Measured first: the slices' length is judged on two free cores only (below). */
    bool is_slice_judged = is_timed() && !noise_too_few_cores(1.7, "the slice length");
    uint64_t first = 0, last = 0;
    double slice_ms = 0;
    /* Up to three runs, the first whose slices are about the interval
     * counting: a vCPU the host takes away for a while stretches one run's
     * wall time (10.4 ms slices seen once on an idle machine, the next run
     * 5.3), while a GIL that gets the interval wrong gets it wrong in all
     * three. The last run is the one judged below. */
    for (int run = 0; run < 3; run++) {
        assert_int_equal(gil_init(&gil, 5000), 0);
        run_workers(workers, 2, 200000); /* 2 x 200 ms of work */
        gil_get_stats(&gil, &stats);
        last = workers[0].done_ns > workers[1].done_ns ? workers[0].done_ns : workers[1].done_ns;
        first = workers[0].done_ns < workers[1].done_ns ? workers[0].done_ns : workers[1].done_ns;
        slice_ms = (double)last / 1e6 / (double)(stats.forced_drops + 1);
        print_message("2 threads: %llu forced drops in %.0f ms: slices of %.1f ms; first done at "
                      "%.0f ms\n",
                      (unsigned long long)stats.forced_drops, (double)last / 1e6, slice_ms,
                      (double)first / 1e6);
        if (!is_slice_judged || (slice_ms >= 3.5 && slice_ms <= 9) || run == 2)
            break;
        gil_destroy(&gil);
    }
    if (!is_timed()) {
        gil_destroy(&gil);
        return;
    }
    /* Alternating, not one after the other: the first finishes near the
     * end (one after the other, it would finish at half). Both are stalled
     * alike when the host takes the vCPU, so noise moves this little. */
    assert_true(first > last * 8 / 10);
    /* About 400 ms / 5 ms = 80 switches. The interval is a timed wait of
     * the waiting thread (Python/ceval_gil.c), so a slice is wall time:
     * 3.5 .. 9 ms around the 5 ms interval (5.3 measured on idle cores)
     * leaves room for the waiter's wake-up and the holder's next
     * checkpoint (every 100 µs), while a unit slip (5 µs or 5 s slices), an
     * interval taken twice (10 ms) or a lock never forced to drop (one
     * slice of 200 ms) is outside it. The waiter must wake on a core of
     * its own for that: with the other core busy it queues behind the
     * neighbour for up to a scheduler slice (8.9 .. 9.9 ms slices measured
     * beside `taskset -c 1` busy loop), so below 1.7 free cores the length
     * is printed, not judged; the alternation and the counts still are. */
    if (is_slice_judged)
        if (slice_ms < 3.5 || slice_ms > 9)
            fail_msg("slices of %.1f ms; expected about the 5 ms interval", slice_ms);
    /* A count: each got the lock back some 40 times, not once or twice. */
    assert_true(workers[0].slices > 10 && workers[1].slices > 10);
    gil_destroy(&gil);
}

/* The CPU time a run of workers used, their wall time, and the cores it
 * kept busy at once (CPU over wall). */
static double cores_of(const struct worker *workers, unsigned n, double *cpu_ms) {
    uint64_t cpu = 0, wall = 0;
    for (unsigned i = 0; i < n; i++) {
        cpu += workers[i].cpu_ns;
        wall = workers[i].done_ns > wall ? workers[i].done_ns : wall;
    }
    *cpu_ms = (double)cpu / 1e6;
    return wall > 0 ? (double)cpu / (double)wall : 0;
}

/*
 * N CPU-bound threads on 2+ cores finish no sooner than one thread doing
 * all the work. Judged by the work, not by comparing two wall times taken
 * a second apart (a neighbour moved that ratio past the old 0.85 .. 1.3
 * twice under load): the four threads' CPU time over their wall time is
 * how many cores they kept busy at once. Serialised by the lock: at most
 * 1.15 (1.0 and the waiters' wake-ups, 1.01 measured); without a GIL
 * that serialises, four threads on two free cores keep both busy (2.0).
 * And the same work costs the same CPU in four threads as in one, within
 * 0.7 .. 1.4 (the CPU per iteration moves with what the sibling vCPU runs,
 * by up to 0.77x, calibrate.h), while a waiter that spins for the lock
 * instead of sleeping burns a second core's worth (x2 or more). With one
 * core taken by a neighbour both a GIL and none keep one core busy, so the
 * test measures the cores it can use first and skips below 1.7.
 */
static void test_cpu_threads_do_not_scale(void **state) {
    struct worker one, four[4];
    double one_cpu_ms, four_cpu_ms;
    (void)state;
    if (is_timed())
        NOISE_NEEDS_CORES(1.7, "whether the GIL serialises threads");
    assert_int_equal(gil_init(&gil, 5000), 0);
    run_workers(&one, 1, 240000);
    run_workers(four, 4, 60000);
    cores_of(&one, 1, &one_cpu_ms);
    double cores = cores_of(four, 4, &four_cpu_ms);
    double work = four_cpu_ms / one_cpu_ms;
    print_message("1 thread: %.0f ms of CPU; 4 threads, same total work: %.0f ms of CPU (x%.2f) "
                  "on %.2f cores at once\n",
                  one_cpu_ms, four_cpu_ms, work, cores);
    if (is_timed() && cores > 1.15)
        fail_msg("4 threads kept %.2f cores busy; with a GIL at most one", cores);
    if (is_timed() && (work < 0.7 || work > 1.4))
        fail_msg("4 threads used x%.2f the CPU of one for the same work", work);
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

/*
 * bpo-7946: each time the I/O thread wants the lock back, it waits about
 * an interval behind the CPU-bound thread; alone, it does not wait. The
 * wait is the thing measured, so wall time. Alone: under 1 ms (a free lock
 * is taken at once; a few µs seen), where a take that waited the interval
 * would be 5. Behind a CPU thread: 3.5 .. 9 ms around the 5 ms interval,
 * as the slices above; a GIL without the convoy (the I/O thread gets the
 * lock at once) is under 1 ms, a unit slip far out. With a 1 ms interval,
 * under half the 5 ms figure: the wait follows the interval, not a
 * constant.
 */
static void test_io_thread_convoys_behind_cpu_thread(void **state) {
    (void)state;
    double alone = mean_retake_ms(false, 5000);
    /* Up to three runs, as the slices above: a run the host stretched does
     * not count against the model, a model that is wrong is wrong in all. */
    double convoy = 0;
    for (int run = 0; run < 3 && !(convoy >= 3.5 && convoy <= 9); run++)
        convoy = mean_retake_ms(true, 5000);
    double short_interval = 0;
    for (int run = 0; run < 3 && !(short_interval > 0 && short_interval < convoy / 2); run++)
        short_interval = mean_retake_ms(true, 1000);
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

/* A thread that wants the lock and has asked for it (its interval ran out). */
static void *asking_taker(void *arg) {
    gil_take(&gil, arg);
    gil_drop(&gil, arg);
    return NULL;
}

/*
 * FORCE_SWITCHING holds for a blocking call's drop too (drop_gil() in
 * Python/ceval_gil.c waits whenever gil_drop_request is set): a holder that
 * releases the lock before a recv() while another thread has asked for it
 * returns only once that thread has it. Without the wait it returns at once
 * and, its recv() done in microseconds, takes the lock back before the
 * waiter has woken: the waiter waits another interval. No timing bound:
 * whose the lock is when gil_drop() returns is the whole check.
 */
static void test_blocking_drop_hands_over_when_asked(void **state) {
    pthread_t taker;
    int holder, waiter;
    struct gil_stats stats;
    (void)state;
    assert_int_equal(gil_init(&gil, 1000), 0);
    gil_take(&gil, &holder);
    assert_int_equal(pthread_create(&taker, NULL, asking_taker, &waiter), 0);
    while (!atomic_load(&gil.drop_request)) /* its 1 ms interval runs out */
        nanosleep(&(struct timespec){0, 200000}, NULL);
    gil_drop(&gil, &holder); /* as before a blocking call: no checkpoint */
    pthread_mutex_lock(&gil.mutex);
    const void *had_it = gil.last_holder;
    pthread_mutex_unlock(&gil.mutex);
    assert_ptr_equal(had_it, &waiter);
    pthread_join(taker, NULL);
    gil_get_stats(&gil, &stats);
    assert_int_equal(stats.forced_drops, 1);
    assert_int_equal(stats.switches, 2);
    gil_destroy(&gil);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_lock_is_taken_at_once),
        cmocka_unit_test(test_two_cpu_threads_alternate_in_interval_slices),
        cmocka_unit_test(test_cpu_threads_do_not_scale),
        cmocka_unit_test(test_io_thread_convoys_behind_cpu_thread),
        cmocka_unit_test(test_blocking_drop_hands_over_when_asked),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
