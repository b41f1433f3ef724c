/*
 * rows.h — one measurement's result rows: for each row bin/loadgen wrote
 * (the run's, then a --mix's paths'), the columns of common/columns.h,
 * bench's own (RUN, ASKED) beside bin/loadgen's (LOADGEN).
 */
#ifndef SHOWDOWN_BENCH_ROWS_H
#define SHOWDOWN_BENCH_ROWS_H

#include "../common/csv.h"
#include "results.h"
#include "runner.h"
#include "watch.h"

/* Row i's field of column col in bin/loadgen's CSV, by the column's name;
 * "0" when bin/loadgen wrote no such column. */
const char *rows_loadgen_field(const struct csv_table *lg, size_t i, enum res_col col);

/* Row i's field of column col in bin/loadgen's CSV as a number (0: none). */
double rows_loadgen_number(const struct csv_table *lg, size_t i, enum res_col col);

/* Row i's failed requests in bin/loadgen's CSV: every ERRORS column's sum. */
double rows_loadgen_errors(const struct csv_table *lg, size_t i);

/* Appends the rows of one measurement to the results CSV (in one write;
 * started_at: when it started, UTC). Returns 0, or -1 with the reason in
 * err. */
int rows_append(struct runner *r, const struct measurement *m, const char *started_at,
                const struct csv_table *lg, const struct server_usage *u, char *err,
                size_t err_len);

#endif
