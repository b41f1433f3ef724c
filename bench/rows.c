/*
 * rows.c — assembling a measurement's result rows in the columns' order.
 */
#define _GNU_SOURCE
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>

/* The text of bench's own columns, for every row of the measurement. */
struct run_fields {
    char repeat[16], conns[16], cpu_user[32], cpu_sys[32], rss[32], threads[32], start[32];
};

static void format_double(char *out, size_t cap, double v, int decimals) {
    snprintf(out, cap, "%.*f", decimals, v);
}

static void format_run_fields(struct run_fields *f, const struct measurement *m,
                              const struct server_usage *u) {
    snprintf(f->repeat, sizeof(f->repeat), "%u", m->repeat);
    snprintf(f->conns, sizeof(f->conns), "%u", m->connections);
    format_double(f->cpu_user, sizeof(f->cpu_user), u->end.cpu_user_s - u->start.cpu_user_s, 3);
    format_double(f->cpu_sys, sizeof(f->cpu_sys), u->end.cpu_sys_s - u->start.cpu_sys_s, 3);
    snprintf(f->rss, sizeof(f->rss), "%llu", (unsigned long long)u->peak.rss_kb);
    snprintf(f->threads, sizeof(f->threads), "%u", u->peak.threads);
    format_double(f->start, sizeof(f->start), u->start_s, 4);
}

const char *rows_loadgen_field(const struct csv_table *lg, size_t i, enum res_col col) {
    int c = csv_column(lg, res_columns[col].name);
    return c >= 0 ? lg->rows[i].fields[c] : "0";
}

double rows_loadgen_number(const struct csv_table *lg, size_t i, enum res_col col) {
    return strtod(rows_loadgen_field(lg, i, col), NULL);
}

double rows_loadgen_errors(const struct csv_table *lg, size_t i) {
    double errors = 0;
    for (unsigned c = 0; c < RC_COUNT; c++)
        if (res_columns[c].type == COLUMN_ERRORS)
            errors += rows_loadgen_number(lg, i, c);
    return errors;
}

/* Row i as one CSV line at line (cap bytes); returns its length. */
static size_t format_row(const struct runner *r, const struct measurement *m,
                         const char *started_at, const struct run_fields *f,
                         const struct csv_table *lg, size_t i, char *line, size_t cap) {
    char field[256];
    size_t len = 0;
    const char *v[RC_COUNT] = {
        [RC_RUN_ID] = r->out.run_id,
        [RC_STARTED_AT] = started_at,
        [RC_GIT_REV] = r->id.git_rev,
        [RC_HOST] = m->host_text ? m->host_text : r->id.host,
        [RC_CPU_MODEL] = r->id.cpu_model,
        [RC_CORES] = r->id.cores,
        [RC_SCENARIO] = m->sc->name,
        [RC_MODEL] = m->model->name,
        [RC_ENGINE] = m->engine,
        [RC_PROCESSES] = m->processes,
        [RC_THREADS] = m->threads,
        [RC_GIL] = m->gil,
        [RC_CONNECTIONS] = f->conns,
        [RC_REPEAT] = f->repeat,
        [RC_SERVER_CPU_USER_S] = f->cpu_user,
        [RC_SERVER_CPU_SYS_S] = f->cpu_sys,
        [RC_SERVER_RSS_MAX_KB] = f->rss,
        [RC_SERVER_THREADS_MAX] = f->threads,
        [RC_SERVER_CPUS] = m->server_cpus_text,
        [RC_LOADGEN_CPUS] = m->loadgen_cpus_text,
        [RC_SERVER_START_S] = f->start,
        [RC_RUNTIME_COST_US] = m->runtime_cost[0] ? m->runtime_cost : "0",
    };
    for (unsigned c = 0; c < RC_COUNT; c++) {
        if (res_columns[c].source == COLUMN_LOADGEN)
            v[c] = rows_loadgen_field(lg, i, c);
        csv_field(field, sizeof(field), v[c] ? v[c] : "");
        len += (size_t)snprintf(line + len, cap - len, "%s%s", c ? "," : "", field);
    }
    len += (size_t)snprintf(line + len, cap - len, "\n");
    return len;
}

int rows_append(struct runner *r, const struct measurement *m, const char *started_at,
                const struct csv_table *lg, const struct server_usage *u, char *err,
                size_t err_len) {
    char line[8192];
    size_t len = 0;
    struct run_fields f;
    format_run_fields(&f, m, u);
    for (size_t i = 0; i < lg->nrows; i++)
        len += format_row(r, m, started_at, &f, lg, i, line + len, sizeof(line) - len);
    return outputs_append(&r->out, line, len, (unsigned)lg->nrows, err, err_len);
}
