/* cpuwork.c — see cpuwork.h. */
#include "cpuwork.h"

#include "clock.h"

#include <stdlib.h>

/* Calibrated before any thread starts; read-only afterwards. */
static double iters_per_us = 100.0;

/* Sink for results, so the optimiser must keep the computation. */
static volatile uint64_t cpuwork_sink;

/*
 * One iteration is a round of splitmix64-style mixing: multiply, shift and
 * xor with a loop-carried dependency, so it neither vectorises nor
 * overlaps, and costs the same on every call.
 */
static uint64_t cpuwork_iterate(uint64_t iterations, uint64_t state) {
    for (uint64_t i = 0; i < iterations; i++) {
        state += 0x9e3779b97f4a7c15u;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        state ^= z ^ (z >> 31);
    }
    return state;
}

#define CALIBRATION_ROUNDS 15

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

double cpuwork_measure(double *spread) {
    const uint64_t iterations = 200000;
    uint64_t took[CALIBRATION_ROUNDS];
    uint64_t state = 1;

    /* A first untimed run warms caches and lets the CPU leave idle clocks. */
    state = cpuwork_iterate(iterations * 4, state);
    for (int round = 0; round < CALIBRATION_ROUNDS; round++) {
        uint64_t start = clock_thread_cpu_ns();
        state = cpuwork_iterate(iterations, state);
        took[round] = clock_thread_cpu_ns() - start;
        if (took[round] == 0)
            took[round] = 1;
    }
    cpuwork_sink = state;
    qsort(took, CALIBRATION_ROUNDS, sizeof(took[0]), compare_u64);
    /* The fastest round is the figure; the median's shortfall, the spread. */
    if (spread)
        *spread = 1.0 - (double)took[0] / (double)took[CALIBRATION_ROUNDS / 2];
    iters_per_us = (double)iterations * 1000.0 / (double)took[0];
    return iters_per_us;
}

double cpuwork_calibrate(void) {
    return cpuwork_measure(NULL);
}

void cpuwork_set_iters_per_us(double value) {
    if (value > 0)
        iters_per_us = value;
}

double cpuwork_iters_per_us(void) {
    return iters_per_us;
}

uint64_t cpuwork_run(uint64_t us, cpuwork_checkpoint_fn checkpoint, void *arg) {
    uint64_t state = us;
    uint64_t done_iterations = 0;

    /* Slices end on whole multiples of CPUWORK_CHECK_US, and each slice's
     * iterations are the difference of rounded totals, so the sum is exact. */
    for (uint64_t done_us = 0; done_us < us;) {
        uint64_t next_us = done_us + CPUWORK_CHECK_US < us ? done_us + CPUWORK_CHECK_US : us;
        uint64_t target = (uint64_t)((double)next_us * iters_per_us + 0.5);

        state = cpuwork_iterate(target - done_iterations, state);
        done_iterations = target;
        done_us = next_us;
        if (checkpoint && done_us < us)
            checkpoint(arg);
    }
    cpuwork_sink = state;
    return state;
}

uint32_t cpuwork_fixed(uint64_t n, cpuwork_checkpoint_fn checkpoint, void *arg) {
    uint32_t x = 0x9e3779b9u;

    for (uint64_t done = 0; done < n;) {
        uint64_t end = n - done > CPUWORK_FIXED_CHECK ? done + CPUWORK_FIXED_CHECK : n;
        for (uint64_t i = done; i < end; i++)
            x = (x ^ (x >> 15)) * 0x2c1b3c6du + (uint32_t)i;
        done = end;
        if (checkpoint && done < n)
            checkpoint(arg);
    }
    return x;
}
