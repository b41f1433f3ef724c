/*
 * capacity_search.c — the search for a model's capacity at a latency goal
 * (see capacity_search.h): grow, bisect, one row.
 */
#define _GNU_SOURCE
#include "capacity_search.h"
#include "capacity.h"
#include "cpus.h"
#include "launch.h"
#include "measure.h"
#include "progress.h"
#include "rows.h"
#include "units.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* One search: its measurement (renamed NAME:capacity, so its files and
 * row say so), the settings its steps run with, the best step so far. */
struct search {
    struct scenario named;
    char name[1024];
    struct sc_settings set;
    struct measurement m;
    const struct slo *slo;
    struct measured best;          /* the highest passing step; lg.nrows 0: none */
    struct measured lowest_failed; /* kept only while no step passed */
    unsigned steps, best_step;
};

const struct slo *capacity_slo(const struct run_options *options, const struct scenario *sc) {
    return options->slo ? options->slo : sc->has_slo ? &sc->slo : NULL;
}

/* Runs one measurement at rate and says whether it met the goal with no
 * failed request, on stdout. Returns 1 (met), 0 (missed) with *got
 * filled, or 2 (it could not measure: the model is skipped), -1 (stop). */
static int try_rate(struct runner *r, struct search *s, double rate, struct measured *got) {
    s->set.rate = rate;
    s->m.repeat = ++s->steps;
    int rc = measure_run(r, &s->m, got);
    if (rc != 0)
        return rc < 0 ? -1 : 2;
    int col = res_metric_column(s->slo->metric);
    double latency = rows_loadgen_number(&got->lg, 0, (enum res_col)col);
    double errors = rows_loadgen_errors(&got->lg, 0);
    bool is_met = slo_is_met(s->slo, latency) && errors == 0;
    char t_rate[32], t_latency[32];
    units_format_metric(EX_RPS, rate, t_rate, sizeof(t_rate));
    units_format_metric(s->slo->metric, latency, t_latency, sizeof(t_latency));
    progress_clear(r);
    printf("%-10s %-17s c=%-5u step %-2u %12s  %s %9s  err %-6.0f %s\n", s->named.name,
           s->m.model->name, s->m.connections, s->steps, t_rate, ex_metric_name(s->slo->metric),
           t_latency, errors, is_met ? "meets the goal" : "misses the goal");
    fflush(stdout);
    return is_met;
}

/* One step of the search at rate: a miss is tried once more (see
 * capacity_search.h). Returns as try_rate. */
static int step(struct runner *r, struct search *s, double rate, struct measured *got) {
    int met = try_rate(r, s, rate, got);
    if (met != 0)
        return met;
    measure_free(got);
    return try_rate(r, s, rate, got);
}

/* Keeps got as the best step (a pass) or the lowest failure (while none
 * passed); frees what it replaces, or got when it is not kept. */
static void keep(struct search *s, struct measured *got, bool is_met) {
    if (is_met) {
        measure_free(&s->best);
        measure_free(&s->lowest_failed);
        s->best = *got;
        s->best_step = s->steps;
    } else if (s->best.lg.nrows == 0 && s->lowest_failed.lg.nrows == 0) {
        s->lowest_failed = *got;
    } else {
        measure_free(got);
    }
}

/* Grows from --from until a step misses (hi) or --to is passed; then
 * bisects [lo, hi]. *lo is the capacity (0: none), *hi the first missed
 * rate (0: none up to --to). Returns 0, 2 or -1 as step(). */
static int find(struct runner *r, struct search *s, double *lo, double *hi) {
    struct measured got;
    *lo = *hi = 0;
    for (double rate = r->options->from_rate; rate <= r->options->to_rate && !*hi;
         rate = round(rate * CAPACITY_GROWTH)) {
        int met = step(r, s, rate, &got);
        if (met < 0 || met == 2)
            return met;
        keep(s, &got, met);
        *(met ? lo : hi) = rate;
    }
    while (*lo > 0 && *hi > 0 && *hi - *lo > CAPACITY_WITHIN * *lo) {
        double mid = round((*lo + *hi) / 2);
        if (mid <= *lo || mid >= *hi)
            break;
        int met = step(r, s, mid, &got);
        if (met < 0 || met == 2)
            return met;
        keep(s, &got, met);
        *(met ? lo : hi) = mid;
    }
    return 0;
}

/* Appends the search's row: the best step's, or the lowest failed step's
 * with target_rate 0 ("below" the lowest rate). Returns 0 or -1. */
static int append_row(struct runner *r, struct search *s, double lo, double hi) {
    char err[8600], t_lo[32], t_from[32];
    struct measured *row = lo > 0 ? &s->best : &s->lowest_failed;
    int col = csv_column(&row->lg, res_columns[RC_TARGET_RATE].name);
    if (lo == 0 && col > 0) {
        /* Fields point into one allocation that starts at field 0, which
         * csv_table_free releases; a constant in another field is safe. */
        static char zero[] = "0";
        for (size_t i = 0; i < row->lg.nrows; i++)
            row->lg.rows[i].fields[col] = zero;
    }
    s->m.repeat = lo > 0 ? s->best_step : 1; /* the step whose row it is; see capacity.h */
    units_format_metric(EX_CAPACITY, lo, t_lo, sizeof(t_lo));
    units_format_metric(EX_CAPACITY, r->options->from_rate, t_from, sizeof(t_from));
    printf("%-10s %-17s c=%-5u capacity at %s: %s%s%s\n", s->named.name, s->m.model->name,
           s->m.connections, s->slo->text,
           lo == 0   ? "below "
           : hi == 0 ? "at least "
                     : "",
           lo == 0 ? t_from : t_lo, lo > 0 && hi == 0 ? " (--to reached)" : "");
    fflush(stdout);
    if (rows_append(r, &s->m, row->started_at, &row->lg, &row->usage, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    return 0;
}

int capacity_search(struct runner *r, const struct scenario *sc, unsigned k) {
    static struct search s;
    char err[512];
    memset(&s, 0, sizeof(s));
    s.slo = capacity_slo(r->options, sc);
    assert(s.slo); /* run.c's check_run refuses a scenario without one */
    s.named = *sc;
    capacity_row_name(sc->name, s.name, sizeof(s.name));
    s.named.name = s.name;
    s.set = r->options->is_quick ? sc->quick : sc->full;
    s.m = (struct measurement){.sc = &s.named, .model = &sc->models[k], .set = &s.set};
    s.m.connections =
        r->options->connections ? r->options->connections : s.set.connections[s.set.nlevels - 1];
    if (launch_describe(r, &s.m, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 0;
    }
    cpus_for(&r->cpus, sc->is_pinned, &s.m.server_cpus, &s.m.loadgen_cpus, &s.m.server_cpus_text,
             &s.m.loadgen_cpus_text);
    outputs_log(&r->out, "== %s %s c=%u: capacity at %s\n", s.named.name, s.m.model->name,
                s.m.connections, s.slo->text);
    double lo, hi;
    int rc = find(r, &s, &lo, &hi);
    if (rc == 0 && (s.best.lg.nrows || s.lowest_failed.lg.nrows))
        rc = append_row(r, &s, lo, hi);
    else if (rc == 2)
        fprintf(stderr, "bench: %s: model %s: a step could not measure; no capacity row\n",
                sc->name, sc->models[k].name);
    measure_free(&s.best);
    measure_free(&s.lowest_failed);
    r->done++;
    return rc < 0 ? -1 : 0;
}
