/*
 * watch.h — what the server costs during one measurement: its process
 * tree (proctree.h) sampled from /proc while bin/loadgen runs, the CPU
 * time over the measured window (after the warm-up), the peaks over all.
 */
#ifndef SHOWDOWN_BENCH_WATCH_H
#define SHOWDOWN_BENCH_WATCH_H

#include "proctree.h"

#include <stdint.h>
#include <sys/types.h>

struct server_usage {
    struct tree_sample start, end, peak; /* peak: rss_kb and threads */
    double start_s; /* from starting the server to its first 200 to GET /hello */
};

/* Samples server every 50 ms (and at the warm-up's and the duration's
 * end) until loadgen exits; a bin/loadgen still running warmup_us +
 * duration_us + 30 s later, or when proc_stop_signal is set, is stopped.
 * usage->start and ->end bracket the measured window (the last sample if
 * the server died; start = end if it died during the warm-up). Returns
 * bin/loadgen's wait status, or -1 when it was stopped. */
int watch_server(pid_t loadgen, pid_t server, uint64_t warmup_us, uint64_t duration_us,
                 struct server_usage *usage);

#endif
