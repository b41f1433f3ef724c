/*
 * series.h — a measurement's per-second time series (docs/DESIGN.md,
 * "Time series"): bin/loadgen's --series rows (requests, errors, corrected
 * p50/p99/max of each second of the measured window) joined with the
 * server's CPU and RSS of the same second, bucketed from watch.c's 50 ms
 * samples; and the drift rule that compares the window's last third with
 * its first.
 *
 * Alignment: second s covers [s, s + 1) seconds after the warm-up ended, as
 * bin/loadgen counts it (its README, "--series"); watch.c counts the
 * warm-up from bin/loadgen's start, so the two clocks differ by the time
 * bin/loadgen takes to exec and connect (milliseconds).
 *
 * Plain memory owned by the caller; nothing here allocates but
 * series_read, whose table csv_table_free() releases.
 */
#ifndef SHOWDOWN_BENCH_SERIES_H
#define SHOWDOWN_BENCH_SERIES_H

#include "../common/csv.h"
#include "watch.h"

#include <stdbool.h>
#include <stddef.h>

/* bin/loadgen --series FILE's header, and bench's NAME.series.csv's. */
#define SERIES_LOADGEN_HEADER "second,requests,errors,timeouts,p50_us,p99_us,max_us"
#define SERIES_HEADER                                                                              \
    "run_id,scenario,model,connections,repeat,second,rps,errors,timeouts,p50_us,p99_us,max_us,"    \
    "server_cpu_s,server_rss_kb"
/* NAME.series.csv's columns, by index. */
enum series_col {
    SC_RUN_ID,
    SC_SCENARIO,
    SC_MODEL,
    SC_CONNECTIONS,
    SC_REPEAT,
    SC_SECOND,
    SC_RPS,
    SC_ERRORS,
    SC_TIMEOUTS,
    SC_P50_US,
    SC_P99_US,
    SC_MAX_US,
    SC_SERVER_CPU_S,
    SC_SERVER_RSS_KB,
    SC_COUNT
};

#define SERIES_MAX_SECONDS 3600

/* The server's cost in each second of a window of duration_s (at most
 * nseconds; the last may be shorter): cpu_s[k] is the CPU time spent
 * between k and the second's end (each end read off the samples on
 * either side of it, interpolated linearly; NAN when no sample lies at or
 * after it: the server had died), rss_kb[k] the largest RSS sampled in
 * the second (the nearest sample's when none fell inside). */
void series_bucket(const struct watch_sample *samples, unsigned nsamples, double duration_s,
                   unsigned nseconds, double *cpu_s, double *rss_kb);

/* ---- drift ---- */

/* The drift rule: the first and the last third of the window's whole
 * seconds (k = n / 3 each, at least SERIES_DRIFT_MIN_SECONDS) are compared
 * by their means. The window drifted in a metric when the change exceeds
 * both SERIES_DRIFT_MIN_CHANGE of the first third's mean and
 * SERIES_DRIFT_SIGMAS standard errors of the difference of the two means
 * (sqrt(var_a / k + var_b / k), the seconds' own scatter within each
 * third): a change the per-second noise explains, or one too small to
 * matter, is not drift. */
#define SERIES_DRIFT_MIN_CHANGE  0.10
#define SERIES_DRIFT_SIGMAS      3.0
#define SERIES_DRIFT_MIN_SECONDS 2

struct series_drift {
    bool is_judged;  /* enough seconds, and a first third's mean > 0 */
    bool is_drifted; /* beyond the rule above */
    double change;   /* mean(last) / mean(first) - 1 */
};

/* Judges values[0..n) (one per second; NAN: a second without a figure,
 * left out of its third). */
void series_drift(const double *values, unsigned n, struct series_drift *out);

/* rps and p99 of one measurement's series. */
struct series_drifts {
    struct series_drift rps, p99;
};

/* "drifted: rps −18%, p99 +40% over the window", or "" when neither
 * drifted. */
void series_drift_text(const struct series_drifts *d, char *out, size_t cap);

/* Judges the rows [first, first + n) of a table in NAME.series.csv's
 * columns (one measurement's seconds, in order). The p99 of a second
 * without an answer is left out. */
void series_judge_rows(const struct csv_table *t, size_t first, size_t n,
                       struct series_drifts *out);

/* ---- files ---- */

/* Reads bin/loadgen's --series file (its exact header, numbers). Returns
 * 0, or -1 with "FILE:LINE: reason" in err. */
int series_read_loadgen(const char *path, struct csv_table *t, char *err, size_t err_len);

/* Reads NAME.series.csv (its exact header). Returns 0, or -1 with the
 * reason in err. */
int series_read(const char *path, struct csv_table *t, char *err, size_t err_len);

/* NAME.series.csv beside NAME.csv (csv ends in .csv). */
void series_path_for(const char *csv, char *out, size_t cap);

/* Whether rows a and b of NAME.series.csv belong to the same measurement
 * (run_id, scenario, model, connections, repeat). */
bool series_same_measurement(const struct csv_row *a, const struct csv_row *b);

/* ---- one measurement's rows ---- */

/* What joins a measurement's seconds to its result rows. */
struct series_key {
    const char *run_id, *scenario, *model;
    unsigned connections, repeat;
};

/* NAME.series.csv's rows of one measurement (no header): bin/loadgen's
 * seconds (lg, read by series_read_loadgen) with the server's CPU and RSS
 * bucketed from log; rps is a second's requests over its length (the last
 * one's may be shorter than 1 s of duration_s). Judges the drift of its
 * whole seconds into drifts. Returns 0 with *text (malloc'd, the caller
 * frees it) and *len, or -1 when out of memory. */
int series_format_rows(const struct series_key *key, const struct csv_table *lg,
                       const struct watch_log *log, double duration_s, char **text, size_t *len,
                       struct series_drifts *drifts);

#endif
