/* noise.c — see noise.h. */
#include "noise.h"

#include "../common/clock.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NOISE_WINDOW_NS 300000000ull
#define NOISE_THREADS   2

struct spinner {
    pthread_t id;
    uint64_t until_ns;
    uint64_t cpu_ns;
};

/* Spins until the deadline; notes the CPU time it was given meanwhile. */
static void *spin(void *arg) {
    struct spinner *s = arg;
    uint64_t start = clock_thread_cpu_ns();
    volatile uint64_t sink = 0;
    while (clock_now_ns() < s->until_ns)
        for (int i = 0; i < 1000; i++)
            sink += (uint64_t)i;
    s->cpu_ns = clock_thread_cpu_ns() - start;
    return NULL;
}

double noise_free_cores(void) {
    struct spinner spinners[NOISE_THREADS];
    uint64_t start = clock_now_ns();
    unsigned started = 0;
    for (unsigned i = 0; i < NOISE_THREADS; i++) {
        spinners[i] = (struct spinner){.until_ns = start + NOISE_WINDOW_NS};
        if (pthread_create(&spinners[i].id, NULL, spin, &spinners[i]) == 0)
            started++;
        else
            break;
    }
    uint64_t cpu = 0;
    for (unsigned i = 0; i < started; i++) {
        pthread_join(spinners[i].id, NULL);
        cpu += spinners[i].cpu_ns;
    }
    uint64_t wall = clock_now_ns() - start;
    return wall > 0 ? (double)cpu / (double)wall : 0;
}

bool noise_too_few_cores(double need, const char *what) {
    double free_cores = noise_free_cores();
    if (free_cores < need) {
        printf("only %.1f cores free (need %.1f): another process is using the rest; %s cannot "
               "be judged\n",
               free_cores, need, what);
        fflush(stdout);
        return true;
    }
    printf("%.1f cores free (need %.1f) for %s\n", free_cores, need, what);
    return false;
}
