/*
 * watch.h — what the server costs during one measurement: its process
 * tree (proctree.h) sampled while bin/loadgen runs — from /proc here, or
 * streamed from the server's host (sample.h) — the CPU time over the
 * measured window (after the warm-up), the peaks over all.
 */
#ifndef SHOWDOWN_BENCH_WATCH_H
#define SHOWDOWN_BENCH_WATCH_H

#include "proctree.h"

#include <stdint.h>
#include <sys/types.h>

#define WATCH_SAMPLE_INTERVAL_S 0.05

struct server_usage {
    struct tree_sample start, end, peak; /* peak: rss_kb and threads */
    double start_s; /* from starting the server to its first 200 to GET /hello */
};

/* One sample of the server's process tree, for the time series (series.h):
 * t_s is seconds since the warm-up ended (negative during it). */
struct watch_sample {
    double t_s, cpu_s; /* cpu_s: user + system, the tree's total so far */
    double rss_kb;
};

/* Where watch_run keeps its samples: at most cap, in order; the caller
 * owns at. */
struct watch_log {
    struct watch_sample *at;
    unsigned n, cap;
};

/* One sample of the server's tree: 0 with *s filled, -1 when there is
 * none (the server is gone, or nothing new came from its host). */
typedef int (*watch_sample_fn)(void *ctx, struct tree_sample *s);

/* Several bin/loadgens (one a client host) and where the samples come from. */
struct watch_plan {
    const pid_t *loadgens;
    int *statuses; /* out: each one's wait status; -1: stopped, still running at the deadline */
    unsigned n;
    watch_sample_fn sample;
    void *ctx;
    double t0; /* proc_now_s() when the load starts (the warm-up begins) */
    uint64_t warmup_us, duration_us;
    struct watch_log *log; /* each sample appended while it has room; NULL: kept nowhere */
};

/* Samples every 50 ms (and at the warm-up's and the duration's end) until
 * every bin/loadgen has exited; one still running t0 + warm-up + duration
 * + 30 s is stopped (its status -1), and so is each when proc_stop_signal
 * is set. usage->start and ->end bracket the measured window (the last
 * sample if the server died; start = end if it died during the warm-up).
 * Returns 0, or -1 when the run is to stop (proc_stop_signal). */
int watch_run(const struct watch_plan *plan, struct server_usage *usage);

/* watch_run for one bin/loadgen on this machine, the server's tree read
 * from /proc: returns bin/loadgen's wait status, or -1 when it was stopped. */
int watch_server(pid_t loadgen, pid_t server, uint64_t warmup_us, uint64_t duration_us,
                 struct server_usage *usage, struct watch_log *log);

#endif
