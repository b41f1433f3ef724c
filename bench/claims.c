/*
 * claims.c — `bin/bench claims`: every claim of the scenarios a results
 * CSV holds, judged on its rows (median over repeats; inconclusive when
 * the repeats straddle the threshold; see expr.h).
 */
#include "../common/csv.h"
#include "bench.h"
#include "capacity.h"
#include "results.h"
#include "scenario_table.h"
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCENARIOS 64
#define MAX_CLAIMS    256

unsigned claims_samples(void *arg, const struct ex_call *call, const struct ex_filter *filters,
                        unsigned nfilters, double *values, unsigned max) {
    const struct sample_ctx *ctx = arg;
    const char *conns = ex_filter_value(filters, nfilters, EX_CONNECTIONS);
    const char *rate = ex_filter_value(filters, nfilters, EX_RATE);
    const char *path = ex_filter_value(filters, nfilters, EX_PATH);
    unsigned n = 0;
    for (size_t i = 0; i < ctx->table->nrows && n < max; i++) {
        const struct csv_row *row = &ctx->table->rows[i];
        /* capacity(MODEL) reads the scenario's capacity rows (capacity.h). */
        bool is_scenario = call->metric == EX_CAPACITY
                               ? capacity_is_row_of(row->fields[RC_SCENARIO], ctx->sc->name)
                               : !strcmp(row->fields[RC_SCENARIO], ctx->sc->name);
        if (!is_scenario || strcmp(row->fields[RC_MODEL], call->model) != 0)
            continue;
        if (conns && res_number(row, RC_CONNECTIONS) != atof(conns))
            continue;
        if (rate && fabs(res_number(row, RC_TARGET_RATE) - atof(rate)) > 0.5)
            continue;
        if (path ? strcmp(row->fields[RC_PATH], path) != 0
                 : !scenario_is_main_path(ctx->sc, row->fields[RC_PATH]))
            continue;
        values[n++] = res_metric(row, call->metric);
    }
    return n;
}

/* "1.5 × 461 req/s = 692 req/s (687 – 696)": each factor, then the product
 * and its range over the repeats. */
static void format_side(const struct ex_side *side, const struct ex_value *v, char *out,
                        size_t cap) {
    char figure[64], lo[64], hi[64];
    enum ex_metric unit = EX_ERRORS; /* plain numbers */
    bool is_ratio = false;
    size_t n = 0;
    if (!v->is_known) {
        snprintf(out, cap, "not measured");
        return;
    }
    out[0] = '\0';
    for (unsigned i = 0; i < side->nterms && n < cap; i++) {
        const struct ex_term *t = &side->terms[i];
        if (t->is_call)
            units_format_metric(t->call.metric, v->terms[i], figure, sizeof(figure));
        else
            snprintf(figure, sizeof(figure), "%g", t->number);
        if (t->is_call && i > 0 && side->ops[i] == '/')
            is_ratio = true;
        else if (t->is_call && unit == EX_ERRORS)
            unit = t->call.metric;
        n += (size_t)snprintf(out + n, cap - n, "%s%s",
                              i == 0                ? ""
                              : side->ops[i] == '/' ? " ÷ "
                                                    : " × ",
                              figure);
    }
    if (is_ratio || unit == EX_ERRORS) {
        snprintf(figure, sizeof(figure), "%.3g", v->median);
        snprintf(lo, sizeof(lo), "%.3g", v->lo);
        snprintf(hi, sizeof(hi), "%.3g", v->hi);
    } else {
        units_format_metric(unit, v->median, figure, sizeof(figure));
        units_format_metric(unit, v->lo, lo, sizeof(lo));
        units_format_metric(unit, v->hi, hi, sizeof(hi));
    }
    if (side->nterms > 1 && n < cap)
        n += (size_t)snprintf(out + n, cap - n, " = %s", figure);
    if (strcmp(lo, hi) != 0 && n < cap)
        snprintf(out + n, cap - n, " (%s – %s)", lo, hi);
}

int claims_judge(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                 struct judged_claim *out, unsigned max) {
    unsigned n = 0;
    for (unsigned s = 0; s < nscs; s++) {
        struct sample_ctx ctx = {table, &scs[s]};
        for (unsigned c = 0; c < scs[s].nclaims && n < max; c++) {
            struct judged_claim *j = &out[n++];
            j->sc = &scs[s];
            j->claim = &scs[s].claims[c];
            ex_eval(&j->claim->expr, claims_samples, &ctx, &j->result);
            format_side(&j->claim->expr.left, &j->result.left, j->left, sizeof(j->left));
            format_side(&j->claim->expr.right, &j->result.right, j->right, sizeof(j->right));
        }
    }
    return (int)n;
}

/* A cell of a Markdown table: no '|' or line break inside. */
static void md_cell(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p; p++)
        fputs(*p == '|' ? "\\|" : *p == '\n' ? " " : (char[2]){*p, 0}, out);
}

const char *const claims_columns[CLAIM_CELLS] = {
    "verdict", "scenario / claim", "quote (source)", "expect", "left", "right",
};

void claims_cells(const struct judged_claim *j, char cells[CLAIM_CELLS][1024]) {
    snprintf(cells[0], 1024, "%s%s", ex_verdict_name(j->result.verdict),
             j->claim->is_required ? " (required)" : "");
    snprintf(cells[1], 1024, "%s / %s", j->sc->name, j->claim->name);
    snprintf(cells[2], 1024, "%s (%s)", j->claim->quote ? j->claim->quote : "",
             j->claim->source ? j->claim->source : "no source given");
    snprintf(cells[3], 1024, "%s", j->claim->text);
    snprintf(cells[4], 1024, "%s", j->left);
    snprintf(cells[5], 1024, "%s%s%s", j->right, j->result.why[0] ? " — " : "", j->result.why);
}

void claims_markdown(FILE *out, const struct judged_claim *claims, unsigned n) {
    char cells[CLAIM_CELLS][1024];
    for (unsigned c = 0; c < CLAIM_CELLS; c++)
        fprintf(out, "| %s ", claims_columns[c]);
    fputs("|\n", out);
    for (unsigned c = 0; c < CLAIM_CELLS; c++)
        fputs("|---", out);
    fputs("|\n", out);
    for (unsigned i = 0; i < n; i++) {
        claims_cells(&claims[i], cells);
        for (unsigned c = 0; c < CLAIM_CELLS; c++) {
            const char *mark = c == CLAIM_VERDICT ? "**" : c == CLAIM_EXPECT ? "`" : "";
            fprintf(out, "| %s", mark);
            /* The verdict's "(required)" stays outside the bold. */
            char *tail = c == CLAIM_VERDICT ? strchr(cells[c], ' ') : NULL;
            if (tail)
                *tail = '\0';
            md_cell(out, cells[c]);
            fprintf(out, "%s%s ", mark, tail ? " (required)" : "");
        }
        fputs("|\n", out);
    }
}

static void print_text(const struct judged_claim *claims, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        const struct judged_claim *j = &claims[i];
        char verdict[32];
        snprintf(verdict, sizeof(verdict), "[%s]", ex_verdict_name(j->result.verdict));
        printf("%-15s %s / %s%s\n", verdict, j->sc->name, j->claim->name,
               j->claim->is_required ? "  (required)" : "");
        if (j->claim->quote)
            printf("  \"%s\"%s%s\n", j->claim->quote, j->claim->source ? " — " : "",
                   j->claim->source ? j->claim->source : "");
        printf("  expect:   %s\n", j->claim->text);
        printf("  measured: %s  %s  %s", j->left, ex_cmp_text(j->claim->expr.cmp), j->right);
        if (j->result.left.is_known && j->result.right.is_known && j->result.right.median > 0)
            printf("   (left ÷ right = %.2f)", j->result.left.median / j->result.right.median);
        printf("\n");
        if (j->result.why[0])
            printf("  why:      %s\n", j->result.why);
        printf("\n");
    }
}

int bench_claims(const char *csv, const char *scenario_dir, bool is_markdown) {
    static struct scenario scs[MAX_SCENARIOS];
    static struct judged_claim claims[MAX_CLAIMS];
    struct csv_table table;
    char err[512];

    if (res_read(csv, &table, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    int nscs = scenario_load_for_table(&table, scenario_dir, scs, MAX_SCENARIOS);
    if (nscs < 0) {
        csv_table_free(&table);
        return 2;
    }
    int n = claims_judge(&table, scs, (unsigned)nscs, claims, MAX_CLAIMS);
    if (is_markdown)
        claims_markdown(stdout, claims, (unsigned)n);
    else
        print_text(claims, (unsigned)n);
    unsigned counts[3] = {0}, required_failed = 0;
    for (int i = 0; i < n; i++) {
        counts[claims[i].result.verdict]++;
        required_failed += claims[i].claim->is_required && claims[i].result.verdict == EX_FAILS;
    }
    fprintf(is_markdown ? stderr : stdout,
            "%d claims: %u hold, %u fail, %u inconclusive; %u required claim%s failed\n", n,
            counts[EX_HOLDS], counts[EX_FAILS], counts[EX_INCONCLUSIVE], required_failed,
            required_failed == 1 ? "" : "s");
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    csv_table_free(&table);
    return required_failed ? 1 : 0;
}
