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
};

/* One sample of the server's process tree, for the time series (series.h):
 * t_s is seconds since the warm-up ended (negative during it). */
struct watch_sample {
    double t_s, cpu_s; /* cpu_s: user + system, the tree's total so far */
    double rss_kb;
};

/* Where watch_server keeps its samples: at most cap, in order; the caller
 * owns at. */
struct watch_log {
    struct watch_sample *at;
    unsigned n, cap;
};

/* Samples server every 50 ms (and at the warm-up's and the duration's
 * end) until loadgen exits; a bin/loadgen still running warmup_us +
 * duration_us + 30 s later, or when proc_stop_signal is set, is stopped.
 * usage->start and ->end bracket the measured window (the last sample if
 * the server died; start = end if it died during the warm-up). Returns
 * bin/loadgen's wait status, or -1 when it was stopped. Each sample is
 * also appended to log (NULL: kept nowhere) while it has room. */
int watch_server(pid_t loadgen, pid_t server, uint64_t warmup_us, uint64_t duration_us,
                 struct server_usage *usage, struct watch_log *log);

#endif
