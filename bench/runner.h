/*
 * runner.h — private to `bin/bench run` (run.c, measure.c, launch.c,
 * rows.c, progress.c, remote.c): the state of one run and of one measurement.
 * A struct runner lives for the run; a struct measurement is one
 * scenario × model, its connection level and repeat filled in per run.
 */
#ifndef SHOWDOWN_BENCH_RUNNER_H
#define SHOWDOWN_BENCH_RUNNER_H

/* cpu_set_t: the includer defines _GNU_SOURCE first. */
#include "bench.h"
#include "calibrate.h"
#include "cpus.h"
#include "identity.h"
#include "outputs.h"
#include "runtime_cost.h"

#include <sched.h>
#include <stdbool.h>

struct runner {
    const struct run_options *options;
    struct outputs out;
    struct run_identity id;
    struct cpu_plan cpus;
    struct calibration cal; /* the CPU work's speed per runtime, measured once */
    struct rtc_table costs; /* --calibration: each model's runtime cost (nmodels 0: none) */
    unsigned done, total;
    double remaining_s;        /* for the ETA */
    bool is_tty;               /* stderr: a progress line */
    const struct hosts *hosts; /* --hosts (hosts.h, remote.h); NULL: this machine */
};

struct measurement {
    const struct scenario *sc;
    const struct sc_model *model;
    const struct sc_settings *set; /* the full or the --quick settings */
    unsigned connections, repeat;
    char engine[32], processes[16], threads[16], gil[8]; /* bin/server --describe */
    char runtime_cost[16]; /* bin/server --runtime-cost, from --calibration; "": none */
    cpu_set_t server_cpus, loadgen_cpus;
    const char *server_cpus_text, *loadgen_cpus_text;
    const char *host_text; /* the host column; NULL: this machine's name (across hosts: remote.h) */
};

#endif
