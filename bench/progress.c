/*
 * progress.c — the progress line and the per-measurement summary.
 */
#define _GNU_SOURCE
#include "progress.h"
#include "rows.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>

void progress_clear(const struct runner *r) {
    if (r->is_tty)
        fputs("\r\033[K", stderr);
}

void progress_show(const struct runner *r, const struct measurement *m) {
    if (!r->is_tty)
        return;
    int eta = (int)r->remaining_s;
    fprintf(stderr, "\r\033[K[%u/%u] %s · %s · c=%u · repeat %u/%u · ETA %dm%02ds", r->done + 1,
            r->total, m->sc->name, m->model->name, m->connections, m->repeat, m->set->repeat,
            eta / 60, eta % 60);
}

void progress_summary(const struct runner *r, const struct measurement *m,
                      const struct csv_table *lg, const struct server_usage *u, const char *note) {
    progress_clear(r);
    for (size_t i = 0; i < lg->nrows; i++) {
        const char *path = lg->rows[i].fields[0];
        double errors = rows_loadgen_errors(lg, i);
        char t_rps[32], t_p50[32], t_p99[32];
        units_format_number(rows_loadgen_number(lg, i, RC_RPS), t_rps, sizeof(t_rps));
        units_format_metric(EX_P50, rows_loadgen_number(lg, i, RC_LAT_P50_US), t_p50,
                            sizeof(t_p50));
        units_format_metric(EX_P99, rows_loadgen_number(lg, i, RC_LAT_P99_US), t_p99,
                            sizeof(t_p99));
        if (i == 0)
            printf(
                "%-10s %-17s c=%-5u r%u  %8s req/s  p50 %9s  p99 %9s  err %-6.0f cpu %5.2fs  "
                "rss %6.1f MB%s%s\n",
                m->sc->name, m->model->name, m->connections, m->repeat, t_rps, t_p50, t_p99, errors,
                (u->end.cpu_user_s - u->start.cpu_user_s) + (u->end.cpu_sys_s - u->start.cpu_sys_s),
                (double)u->peak.rss_kb / 1024, *note ? "  " : "", note);
        else
            printf("%-10s %-17s   %-30.30s %8s req/s  p50 %9s  p99 %9s  err %.0f\n", "", "", path,
                   t_rps, t_p50, t_p99, errors);
    }
    fflush(stdout);
}
