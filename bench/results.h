/*
 * results.h — the results CSV of DESIGN.md: its columns, in order, and
 * reading one back with every number checked (errors name file and line).
 */
#ifndef SHOWDOWN_RESULTS_H
#define SHOWDOWN_RESULTS_H

#include "../common/csv.h"
#include "expr.h"

enum res_col {
    RC_RUN_ID,
    RC_STARTED_AT,
    RC_GIT_REV,
    RC_HOST,
    RC_CPU_MODEL,
    RC_CORES,
    RC_SCENARIO,
    RC_MODEL,
    RC_ENGINE,
    RC_PROCESSES,
    RC_THREADS,
    RC_GIL,
    RC_PATH,
    RC_CONNECTIONS,
    RC_TARGET_RATE,
    RC_DURATION_S,
    RC_REPEAT,
    RC_REQUESTS,
    RC_RPS,
    RC_BYTES_PER_S,
    RC_ERR_CONNECT,
    RC_ERR_READ,
    RC_ERR_WRITE,
    RC_ERR_TIMEOUT,
    RC_ERR_STATUS,
    RC_LAT_MEAN_US,
    RC_LAT_P50_US,
    RC_LAT_P90_US,
    RC_LAT_P99_US,
    RC_LAT_P999_US,
    RC_LAT_MAX_US,
    RC_SERVER_CPU_USER_S,
    RC_SERVER_CPU_SYS_S,
    RC_SERVER_RSS_MAX_KB,
    RC_SERVER_THREADS_MAX,
    RC_LOADGEN_CPU_S,
    RC_SERVER_CPUS,
    RC_LOADGEN_CPUS,
    RC_COUNT
};

/* "run_id,started_at,...,loadgen_cpus" without a line end. */
const char *res_header(void);

/* Reads a results CSV: the exact header, and numbers where numbers go. */
int res_read(const char *path, struct csv_table *table, char *err, size_t err_len);

double res_number(const struct csv_row *row, enum res_col col);

/* A claim metric of one row: rps, latency in µs, rss_kb, cpu_s (user +
 * system), threads, errors (all classes). */
double res_metric(const struct csv_row *row, enum ex_metric metric);

#endif
