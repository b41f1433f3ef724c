/*
 * results.h — the results CSV of docs/DESIGN.md: its columns (common/columns.h), and
 * reading one back with every number checked (errors name file and line).
 */
#ifndef SHOWDOWN_RESULTS_H
#define SHOWDOWN_RESULTS_H

#include "../common/columns.h"
#include "../common/csv.h"
#include "expr.h"

/* RC_RUN_ID, RC_STARTED_AT, ...: the columns of common/columns.h, in order. */
#define RES_COL_ENUM_(ID, name, source, type) RC_##ID,
enum res_col { RESULT_COLUMNS(RES_COL_ENUM_) RC_COUNT };

struct res_column {
    const char *name;
    enum column_source source;
    enum column_type type;
};

/* Every column's name, where it comes from and what it holds, by res_col. */
extern const struct res_column res_columns[RC_COUNT];

/* "run_id,started_at,...,loadgen_cpus" without a line end. */
const char *res_header(void);

/* Reads a results CSV: today's header, or the beginning of it that an
 * earlier showdown wrote (its later columns then read "0"), and numbers
 * where numbers go. The table has RC_COUNT columns. */
int res_read(const char *path, struct csv_table *table, char *err, size_t err_len);

double res_number(const struct csv_row *row, enum res_col col);

/* The one column a claim metric reads, or -1 for cpu_s and errors (sums
 * of several). */
int res_metric_column(enum ex_metric metric);

/* A claim metric of one row: rps, latency in µs, rss_kb, cpu_s (user +
 * system), threads, errors (all classes), capacity (target_rate);
 * cpu_per_1k (cpu_s per 1,000 requests; 0 with none), rss_per_1k_conns
 * (rss_kb per 1,000 connections), start_ms (server_start_s in ms). */
double res_metric(const struct csv_row *row, enum ex_metric metric);

#endif
