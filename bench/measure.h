/*
 * measure.h — one measurement, from start to rows: a fresh server, bin/
 * loadgen against it while its process tree is sampled, the server
 * stopped, and the rows appended to the results CSV and its time series.
 */
#ifndef SHOWDOWN_BENCH_MEASURE_H
#define SHOWDOWN_BENCH_MEASURE_H

#include "../common/csv.h"
#include "runner.h"
#include "watch.h"

#include <stddef.h>

/* What one measurement gave. measure_free() releases it. */
struct measured {
    char started_at[32];      /* UTC */
    struct csv_table lg;      /* bin/loadgen's --csv rows: the run's, then a mix's paths' */
    struct csv_table seconds; /* bin/loadgen's --series rows; nrows 0 when it wrote none */
    struct server_usage usage;
    struct watch_log log; /* the server's samples (watch.h) */
};

/* Runs m (its connections, repeat and settings set) and reads what
 * bin/loadgen wrote; says on stderr why when it cannot. Returns 0 with
 * *got filled, 1 (this measurement failed: a server that did not start,
 * a bin/loadgen that failed or wrote no row; *got holds nothing) or -1
 * (stop the run: a stop signal, no room left). */
int measure_run(struct runner *r, const struct measurement *m, struct measured *got);

void measure_free(struct measured *got);

/* measure_run, then the rows appended to the results CSV and the seconds
 * to NAME.series.csv, and the summary line (with the drift, series.h).
 * Returns 0, 1 (as measure_run) or -1 (stop the run: as measure_run, or a
 * write that failed). */
int measure_once(struct runner *r, const struct measurement *m);

/* The hidden file NAME/.SCENARIO.MODEL.cN.rN.KIND where a measurement's
 * bin/loadgen output waits to be read (KIND: loadgen.csv, series.csv,
 * merged.csv). */
void measure_work_file(const struct runner *r, const struct measurement *m, const char *kind,
                       char *out, size_t cap);

/* Now, UTC, as the started_at column has it: 2026-12-01T23:59:59Z. */
void measure_started_at(char *out, size_t cap);

#endif
