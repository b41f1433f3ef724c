/*
 * interval.c — what the threads measured, one interval at a time: each
 * thread records into its current interval only; the main thread swaps it
 * for an empty one each interval (the thread's lock held for the swap
 * alone) and adds it up. The same figures feed --series, --hlog and the
 * run's totals, so they can never disagree. A figure belongs to the
 * interval in which the main thread took it: at most a wake-up's delay
 * (well under a millisecond on an idle machine) after the interval's end.
 */
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>

struct lg_interval *lg_interval_new(unsigned path_count) {
    struct lg_interval *interval = calloc(1, sizeof(*interval));
    if (!interval)
        return NULL;
    interval->paths = lg_stats_new(path_count);
    if (!interval->paths) {
        free(interval);
        return NULL;
    }
    return interval;
}

void lg_interval_free(struct lg_interval *interval) {
    if (!interval)
        return;
    free(interval->paths);
    free(interval);
}

void lg_interval_merge(struct lg_interval *dst, const struct lg_interval *src, unsigned path_count,
                       struct lg_stats *total) {
    for (unsigned p = 0; p < path_count; p++) {
        lg_stats_merge(&dst->paths[p], &src->paths[p]);
        if (total)
            lg_stats_merge(total, &src->paths[p]);
    }
    lg_counters_add(&dst->conn_errors, &src->conn_errors);
}

void lg_interval_reset(struct lg_interval *interval, unsigned path_count) {
    for (unsigned p = 0; p < path_count; p++)
        lg_stats_init(&interval->paths[p]);
    memset(&interval->conn_errors, 0, sizeof(interval->conn_errors));
}

void lg_interval_take(struct lg_thread *threads, unsigned count, struct lg_interval *into,
                      unsigned path_count) {
    for (unsigned i = 0; i < count; i++) {
        struct lg_thread *thread = &threads[i];
        pthread_mutex_lock(&thread->lock);
        struct lg_interval *taken = thread->now;
        thread->now = thread->spare;
        thread->spare = taken;
        pthread_mutex_unlock(&thread->lock);
        lg_interval_merge(into, taken, path_count, NULL);
        lg_interval_reset(taken, path_count);
    }
}
