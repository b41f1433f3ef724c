/*
 * results.c — the results CSV's columns (DESIGN.md, "Results").
 */
#include "results.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[RC_COUNT] = {
    "run_id",
    "started_at",
    "git_rev",
    "host",
    "cpu_model",
    "cores",
    "scenario",
    "model",
    "engine",
    "processes",
    "threads",
    "gil",
    "path",
    "connections",
    "target_rate",
    "duration_s",
    "repeat",
    "requests",
    "rps",
    "bytes_per_s",
    "err_connect",
    "err_read",
    "err_write",
    "err_timeout",
    "err_status",
    "lat_mean_us",
    "lat_p50_us",
    "lat_p90_us",
    "lat_p99_us",
    "lat_p999_us",
    "lat_max_us",
    "server_cpu_user_s",
    "server_cpu_sys_s",
    "server_rss_max_kb",
    "server_threads_max",
    "loadgen_cpu_s",
    "server_cpus",
    "loadgen_cpus",
};

const char *res_header(void) {
    static char header[1024];
    if (!header[0]) {
        size_t n = 0;
        for (unsigned i = 0; i < RC_COUNT; i++)
            n += (size_t)snprintf(header + n, sizeof(header) - n, "%s%s", i ? "," : "", names[i]);
    }
    return header;
}

static bool is_text(enum res_col col) {
    return col <= RC_CPU_MODEL || col == RC_SCENARIO || col == RC_MODEL || col == RC_ENGINE ||
           col == RC_PATH || col == RC_SERVER_CPUS || col == RC_LOADGEN_CPUS;
}

int res_read(const char *path, struct csv_table *table, char *err, size_t err_len) {
    if (csv_read(path, res_header(), table, err, err_len) < 0)
        return -1;
    for (size_t r = 0; r < table->nrows; r++) {
        for (unsigned c = 0; c < RC_COUNT; c++) {
            const char *v = table->rows[r].fields[c];
            char *end;
            if (is_text(c))
                continue;
            strtod(v, &end);
            if (end == v || *end) {
                snprintf(err, err_len, "%s:%u: %s: '%s' is not a number", path, table->rows[r].line,
                         names[c], v);
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

double res_metric(const struct csv_row *row, enum ex_metric metric) {
    switch (metric) {
    case EX_RPS:
        return res_number(row, RC_RPS);
    case EX_P50:
        return res_number(row, RC_LAT_P50_US);
    case EX_P90:
        return res_number(row, RC_LAT_P90_US);
    case EX_P99:
        return res_number(row, RC_LAT_P99_US);
    case EX_P999:
        return res_number(row, RC_LAT_P999_US);
    case EX_MEAN:
        return res_number(row, RC_LAT_MEAN_US);
    case EX_MAX:
        return res_number(row, RC_LAT_MAX_US);
    case EX_RSS_KB:
        return res_number(row, RC_SERVER_RSS_MAX_KB);
    case EX_CPU_S:
        return res_number(row, RC_SERVER_CPU_USER_S) + res_number(row, RC_SERVER_CPU_SYS_S);
    case EX_THREADS:
        return res_number(row, RC_SERVER_THREADS_MAX);
    case EX_ERRORS:
        return res_number(row, RC_ERR_CONNECT) + res_number(row, RC_ERR_READ) +
               res_number(row, RC_ERR_WRITE) + res_number(row, RC_ERR_TIMEOUT) +
               res_number(row, RC_ERR_STATUS);
    }
    return 0;
}
