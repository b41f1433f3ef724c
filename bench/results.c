/*
 * results.c — the results CSV's columns (common/columns.h; docs/DESIGN.md,
 * "Results") and reading a results file back.
 */
#include "results.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_COLUMN_(ID, name, source, type) {#name, COLUMN_##source, COLUMN_##type},
const struct res_column res_columns[RC_COUNT] = {RESULT_COLUMNS(RES_COLUMN_)};

const char *res_header(void) {
    return COLUMNS_HEADER;
}

/* Columns appended since the first results CSV (docs/DESIGN.md, "Results":
 * a new column goes at the end) begin here; a file written before them
 * is read with each later column "0". */
#define RES_FIRST_APPENDED RC_SERVER_START_S

/* Gives every row (and the header) of t, whose columns are the first
 * t->ncols of today's, all RC_COUNT columns; the added fields are static
 * strings, which csv_table_free() leaves alone (it frees fields[0], the
 * row's one allocation, and the array). Returns 0, or -1 (out of memory). */
static int widen(struct csv_table *t) {
    static const char zero[] = "0";
    char **header = realloc(t->header, RC_COUNT * sizeof(*header));
    if (!header)
        return -1;
    t->header = header;
    for (unsigned c = t->ncols; c < RC_COUNT; c++)
        header[c] = (char *)res_columns[c].name;
    for (size_t r = 0; r < t->nrows; r++) {
        char **fields = realloc(t->rows[r].fields, RC_COUNT * sizeof(*fields));
        if (!fields)
            return -1;
        t->rows[r].fields = fields;
        for (unsigned c = t->ncols; c < RC_COUNT; c++)
            fields[c] = (char *)zero;
    }
    t->ncols = RC_COUNT;
    return 0;
}

/* Whether t's header is today's, or its first ncols (RES_FIRST_APPENDED at
 * least): a results CSV of an earlier showdown. */
static bool is_our_header(const struct csv_table *t) {
    if (t->ncols < RES_FIRST_APPENDED || t->ncols > RC_COUNT)
        return false;
    for (unsigned c = 0; c < t->ncols; c++)
        if (strcmp(t->header[c], res_columns[c].name) != 0)
            return false;
    return true;
}

int res_read(const char *path, struct csv_table *table, char *err, size_t err_len) {
    if (csv_read(path, NULL, table, err, err_len) < 0)
        return -1;
    if (!is_our_header(table)) {
        snprintf(err, err_len, "%s:1: not a showdown results CSV: its header differs", path);
        csv_table_free(table);
        return -1;
    }
    if (widen(table) < 0) {
        snprintf(err, err_len, "%s: out of memory", path);
        csv_table_free(table);
        return -1;
    }
    for (size_t r = 0; r < table->nrows; r++) {
        for (unsigned c = 0; c < RC_COUNT; c++) {
            const char *v = table->rows[r].fields[c];
            char *end;
            if (res_columns[c].type == COLUMN_TEXT)
                continue;
            strtod(v, &end);
            if (end == v || *end) {
                snprintf(err, err_len, "%s:%u: %s: '%s' is not a number", path, table->rows[r].line,
                         res_columns[c].name, v);
                csv_table_free(table);
                return -1;
            }
        }
    }
    return 0;
}

double res_number(const struct csv_row *row, enum res_col col) {
    return strtod(row->fields[col], NULL);
}

/* The sum of the ERRORS columns, added in column order. */
static double res_errors(const struct csv_row *row) {
    double sum = 0;
    for (unsigned c = 0; c < RC_COUNT; c++)
        if (res_columns[c].type == COLUMN_ERRORS)
            sum += res_number(row, c);
    return sum;
}

int res_metric_column(enum ex_metric metric) {
    switch (metric) {
    case EX_RPS:
        return RC_RPS;
    case EX_P50:
        return RC_LAT_P50_US;
    case EX_P90:
        return RC_LAT_P90_US;
    case EX_P99:
        return RC_LAT_P99_US;
    case EX_P999:
        return RC_LAT_P999_US;
    case EX_MEAN:
        return RC_LAT_MEAN_US;
    case EX_MAX:
        return RC_LAT_MAX_US;
    case EX_RSS_KB:
        return RC_SERVER_RSS_MAX_KB;
    case EX_THREADS:
        return RC_SERVER_THREADS_MAX;
    case EX_CAPACITY:
        return RC_TARGET_RATE;
    case EX_CPU_S:
    case EX_ERRORS:
    case EX_CPU_PER_1K:
    case EX_RSS_PER_1K_CONNS:
    case EX_START_MS:
        break;
    }
    return -1;
}

double res_metric(const struct csv_row *row, enum ex_metric metric) {
    int col = res_metric_column(metric);
    if (col >= 0)
        return res_number(row, (enum res_col)col);
    switch (metric) {
    case EX_CPU_S:
        return res_number(row, RC_SERVER_CPU_USER_S) + res_number(row, RC_SERVER_CPU_SYS_S);
    case EX_CPU_PER_1K: {
        double requests = res_number(row, RC_REQUESTS);
        return requests > 0 ? res_metric(row, EX_CPU_S) / requests * 1000 : 0;
    }
    case EX_RSS_PER_1K_CONNS: {
        double connections = res_number(row, RC_CONNECTIONS);
        return connections > 0 ? res_number(row, RC_SERVER_RSS_MAX_KB) / connections * 1000 : 0;
    }
    case EX_START_MS:
        return res_number(row, RC_SERVER_START_S) * 1000;
    default:
        return res_errors(row);
    }
}
