/*
 * noise.h — how many cores this test process can really use right now, for
 * the tests whose shape needs more than one (CPU work scaling with
 * processes or threads, a GIL that must be seen to serialise). On this
 * shared 2-core VM a neighbour (a build, `taskset -c 1 sh -c 'while :; do
 * :; done'`) takes a core away, and a test that needs two cannot then tell
 * a model that scales from one that does not: it skips, saying so.
 */
#ifndef SHOWDOWN_NOISE_H
#define SHOWDOWN_NOISE_H

#include <stdbool.h>

/*
 * The parallelism this process achieves: two threads each spin for the same
 * 300 ms of wall time, and the CPU time they were given (clock_thread_cpu_ns)
 * is summed and divided by the wall time. About 2.0 on two idle cores,
 * about 1.0-1.4 with the other core busy (the spinners share what is left
 * with the busy loop), 1.0 on one core.
 */
double noise_free_cores(void);

/*
 * Measures noise_free_cores() and, when fewer than need are free, prints
 * why `what` cannot be judged ("only 1.1 cores free (need 1.7): the other
 * is busy; CPU scaling cannot be judged") and returns true: the caller
 * skips the test (cmocka's skip()). Returns false, printing the figure,
 * otherwise.
 */
bool noise_too_few_cores(double need, const char *what);

/* Skips the running cmocka test, with the reason, when fewer than need
 * cores are free. */
#define NOISE_NEEDS_CORES(need, what)                                                              \
    do {                                                                                           \
        if (noise_too_few_cores((need), (what))) {                                                 \
            skip();                                                                                \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#endif
