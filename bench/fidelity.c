/*
 * fidelity.c — `bin/bench fidelity FILE.csv`: each C model beside its real
 * runtime (the rows `bin/bench run --peers` adds; peers.h), compared by
 * shape, not speed. A C handler is faster than an interpreter's, so
 * absolute figures differ; what must match is how a model scales with
 * connections and cores, how much of its waiting overlaps, and how long
 * cheap requests wait behind CPU work.
 *
 * A shape is a ratio written in the claim language (expr.h), with '$'
 * standing for the model, and evaluated on both rows with the claims'
 * sampler: medians over the repeats. Faithful when the C model's figure is
 * within 25% of the real runtime's. No shape of /hello's throughput: with
 * C handlers a request costs less than a loopback round trip and with an
 * interpreter's more, so how much concurrency buys there measures handler
 * speed, not the concurrency model.
 *
 * A model run with its runtime's cost per request (`bin/bench run
 * --calibration FILE`: rows with runtime_cost_us > 0; runtime_cost.h) is
 * meant to match the speed too, so for such models the table gains
 * ABSOLUTE rows: the figure itself, model against real runtime, faithful
 * within the same 25%. A model without a cost gets none (its speed is
 * C's, not the runtime's).
 */
#include "../common/csv.h"
#include "bench.h"
#include "peers.h"
#include "results.h"
#include "scenario_table.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct shape {
    const char *scenario;
    const char *name;
    const char *ratio; /* an expect's left side; '$' is the model */
    double floor;      /* figures below it count as it: both "not blocked" are alike */
    const char *meaning;
    enum ex_metric unit; /* an absolute figure's (rps, p99); EX_ERRORS: a plain ratio */
};

static const struct shape shapes[] = {
    {"cpu-bound", "cpu scaling", "rps($, connections=8) / rps($, connections=1)", 0,
     "/cpu?us=2000 req/s at 8 connections ÷ at 1: how far CPU work spreads over cores", EX_ERRORS},
    {"io-bound", "io overlap", "rps($, connections=256) / 12800", 0,
     "/io?ms=20 req/s at 256 connections ÷ 256 / 20 ms: how much of the waiting overlaps",
     EX_ERRORS},
    {"mixed", "hello behind cpu", "p99($, path=/hello, connections=16) / 20000", 0.5,
     "/hello p99 at 16 connections ÷ the 20 ms of a /cpu request: how long cheap requests "
     "wait behind CPU work (below 0.5, not even half a /cpu request: not held up)",
     EX_ERRORS},
};

/* The absolute figures, for calibrated models: a claim side without a ratio. */
static const struct shape absolutes[] = {
    {"hello", "hello rps", "rps($, connections=64)", 0,
     "/hello req/s at 64 connections: what a cheap request costs the runtime", EX_RPS},
    {"io-bound", "io rps", "rps($, connections=256)", 0, "/io?ms=20 req/s at 256 connections",
     EX_RPS},
    {"cpu-bound", "cpu rps", "rps($, connections=8)", 0, "/cpu?us=2000 req/s at 8 connections",
     EX_RPS},
    {"mixed", "hello p99 beside cpu", "p99($, path=/hello, connections=16)", 0,
     "/hello p99 at 16 connections, 1 in 10 requests 20 ms of CPU work", EX_P99},
};

/* Whether model ran with a runtime cost in sc (any row of it says one). */
static bool is_calibrated(const struct csv_table *table, const struct scenario *sc,
                          const char *model) {
    for (size_t i = 0; i < table->nrows; i++) {
        const struct csv_row *row = &table->rows[i];
        if (!strcmp(row->fields[RC_SCENARIO], sc->name) && !strcmp(row->fields[RC_MODEL], model) &&
            res_number(row, RC_RUNTIME_COST_US) > 0)
            return true;
    }
    return false;
}

/* The shape's figure for model, or NAN when it was not measured. */
static double shape_value(const struct shape *shape, const char *model,
                          const struct sample_ctx *ctx) {
    char text[512];
    size_t n = 0;
    for (const char *p = shape->ratio; *p && n + 64 < sizeof(text); p++)
        n += (size_t)(*p == '$' ? snprintf(text + n, sizeof(text) - n, "%s", model)
                                : snprintf(text + n, sizeof(text) - n, "%c", *p));
    snprintf(text + n, sizeof(text) - n, " >= 0");
    struct expr e;
    struct ex_result result;
    char err[256];
    unsigned column;
    if (ex_parse(text, &e, &column, err, sizeof(err)) < 0)
        return NAN; /* the table above is fixed: it parses */
    ex_eval(&e, claims_samples, (void *)ctx, &result);
    return result.left.is_known ? result.left.median : NAN;
}

/* The rows of one list of figures (shapes, or absolutes when is_absolute)
 * from out[n] on; returns the new n. */
static unsigned compare_pairs(const struct shape *list, size_t nlist, bool is_absolute,
                              const struct csv_table *table, const struct scenario *scs,
                              unsigned nscs, struct fidelity_row *out, unsigned n, unsigned max) {
    for (size_t s = 0; s < nlist; s++) {
        const struct scenario *sc = NULL;
        for (unsigned i = 0; i < nscs && !sc; i++)
            if (!strcmp(scs[i].name, list[s].scenario))
                sc = &scs[i];
        if (!sc)
            continue;
        struct sample_ctx ctx = {table, sc};
        for (unsigned p = 0; p < npeers && n < max; p++) {
            if (is_absolute && !is_calibrated(table, sc, peers[p].twin))
                continue;
            double model = shape_value(&list[s], peers[p].twin, &ctx);
            double real = shape_value(&list[s], peers[p].name, &ctx);
            if (isnan(model) && isnan(real))
                continue;
            struct fidelity_row *row = &out[n++];
            row->shape_name = list[s].name;
            row->scenario = list[s].scenario;
            row->meaning = list[s].meaning;
            row->model = peers[p].twin;
            row->real = peers[p].name;
            row->model_value = model;
            row->real_value = real;
            row->is_absolute = is_absolute;
            row->unit = list[s].unit;
            double floor = list[s].floor;
            row->difference =
                isnan(model) || isnan(real) ? NAN : fmax(model, floor) / fmax(real, floor) - 1;
            row->is_faithful = !isnan(row->difference) && fabs(row->difference) <= FIDELITY_WITHIN;
        }
    }
    return n;
}

int fidelity_compute(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                     struct fidelity_row *out, unsigned max) {
    unsigned n = compare_pairs(shapes, sizeof(shapes) / sizeof(shapes[0]), false, table, scs, nscs,
                               out, 0, max);
    n = compare_pairs(absolutes, sizeof(absolutes) / sizeof(absolutes[0]), true, table, scs, nscs,
                      out, n, max);
    return (int)n;
}

void fidelity_format(const struct fidelity_row *row, double value, char *out, size_t cap) {
    if (isnan(value))
        snprintf(out, cap, "–");
    else if (row->unit != EX_ERRORS)
        units_format_metric(row->unit, value, out, cap);
    else
        snprintf(out, cap, "%.3g", value);
}

const char *fidelity_verdict(const struct fidelity_row *row) {
    return isnan(row->difference) ? "not measured" : row->is_faithful ? "faithful" : "NOT faithful";
}

void fidelity_format_difference(const struct fidelity_row *row, char *out, size_t cap) {
    if (isnan(row->difference))
        snprintf(out, cap, "not measured");
    else
        snprintf(out, cap, "%+.0f%%", row->difference * 100);
}

int bench_fidelity(const char *csv, const char *scenario_dir, bool is_markdown) {
    static struct scenario scs[64];
    struct fidelity_row rows[64];
    struct csv_table table;
    char err[512], model[32], real[32], diff[32];

    if (res_read(csv, &table, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    int nscs = scenario_load_for_table(&table, scenario_dir, scs, 64);
    if (nscs < 0) {
        csv_table_free(&table);
        return 2;
    }
    int n = fidelity_compute(&table, scs, (unsigned)nscs, rows, 64);
    unsigned faithful = 0, compared = 0;
    if (n == 0)
        fprintf(stderr,
                "bench: %s: no rows of a C model and its real runtime in the shapes' "
                "scenarios (cpu-bound, io-bound, mixed); make peers runs them\n",
                csv);
    else if (is_markdown)
        printf("| shape | scenario | C model | real runtime | C | real | difference | verdict |\n"
               "|---|---|---|---|---|---|---|---|\n");
    else
        printf("Each C model beside its real runtime (%s). The shapes: how a model scales,\n"
               "how much of its waiting overlaps, how long cheap requests wait behind CPU work;\n"
               "a model run with its runtime's cost per request (--calibration) is compared\n"
               "on the ABSOLUTE figures too. Faithful: the C model's figure within %.0f%% of\n"
               "the real runtime's.\n",
               csv, FIDELITY_WITHIN * 100);
    const char *last_shape = NULL;
    for (int i = 0; i < n; i++) {
        const struct fidelity_row *row = &rows[i];
        fidelity_format(row, row->model_value, model, sizeof(model));
        fidelity_format(row, row->real_value, real, sizeof(real));
        fidelity_format_difference(row, diff, sizeof(diff));
        compared += !isnan(row->difference);
        faithful += row->is_faithful;
        if (is_markdown) {
            printf("| %s%s | %s | `%s` | `%s` | %s | %s | %s | %s |\n",
                   row->is_absolute ? "ABSOLUTE " : "", row->shape_name, row->scenario, row->model,
                   row->real, model, real, diff, fidelity_verdict(row));
            continue;
        }
        if (row->shape_name != last_shape)
            printf("\n%s%s (%s)\n  %s\n", row->is_absolute ? "ABSOLUTE " : "", row->shape_name,
                   row->scenario, row->meaning);
        last_shape = row->shape_name;
        printf("  %-18s %8s   %-22s %8s   %-12s %s\n", row->model, model, row->real, real, diff,
               fidelity_verdict(row));
    }
    if (n > 0)
        printf("\n%u of %u pairs faithful within %.0f%%\n", faithful, compared,
               FIDELITY_WITHIN * 100);
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    csv_table_free(&table);
    return n == 0 ? 1 : 0;
}
