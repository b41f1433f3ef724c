/*
 * claims.c — `bin/bench claims`: every claim of the scenarios a results
 * CSV holds, judged on its rows (median over repeats; inconclusive when
 * the repeats straddle the threshold; see expr.h).
 */
#include "../common/csv.h"
#include "bench.h"
#include "capacity.h"
#include "peers.h"
#include "results.h"
#include "scenario_table.h"
#include "significance.h"
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

/* ---- one verdict ---- */

/* A side's samples when it has exactly one call: each repeat's value times
 * the side's numbers. Returns how many (0: the side has no call, or more). */
static unsigned side_samples(const struct expr *e, const struct ex_side *side, void *ctx,
                             double *values, unsigned max) {
    struct ex_filter filters[2 * EX_MAX_FILTERS];
    const struct ex_call *call = NULL;
    double scale = 1;
    for (unsigned i = 0; i < side->nterms; i++) {
        const struct ex_term *t = &side->terms[i];
        bool is_divisor = i > 0 && side->ops[i] == '/';
        if (t->is_call && (call || is_divisor))
            return 0; /* two calls, or a call's inverse: not one figure's samples */
        if (t->is_call)
            call = &t->call;
        else
            scale = is_divisor ? scale / t->number : scale * t->number;
    }
    if (!call)
        return 0;
    unsigned n = claims_samples(ctx, call, filters, ex_call_filters(e, call, filters), values, max);
    for (unsigned i = 0; i < n; i++)
        values[i] *= scale;
    return n;
}

/* With four repeats a side (significance.h), the U test decides between
 * the two sides and the medians say which way; with fewer, or a side of
 * several calls, the verdict stays the ranges' (expr.h), and says so. */
static void judge_significance(const struct expr *e, void *ctx, struct claim_verdict *v) {
    double a[EX_MAX_SAMPLES], b[EX_MAX_SAMPLES];
    unsigned nl = side_samples(e, &e->left, ctx, b, EX_MAX_SAMPLES);
    unsigned nr = side_samples(e, &e->right, ctx, a, EX_MAX_SAMPLES);
    if (!v->result.left.is_known || !v->result.right.is_known)
        return;
    if (nl == 0 || nr == 0) {
        snprintf(v->how, sizeof(v->how), "ranges (a side is not one measured figure)");
        return;
    }
    struct sig_result sig;
    char line[160];
    sig_compare(a, nr, b, nl, 1, &sig);
    if (!sig.is_callable) {
        snprintf(v->how, sizeof(v->how), "ranges (%u+%u repeats; the U test needs %d a side)", nl,
                 nr, SIG_MIN_REPEATS);
        return;
    }
    snprintf(v->how, sizeof(v->how), "U test: %s", sig_format(&sig, line, sizeof(line)));
    bool is_greater = e->cmp == EX_GE || e->cmp == EX_GT;
    bool medians_hold = is_greater ? v->result.left.median > v->result.right.median
                                   : v->result.left.median < v->result.right.median;
    if (sig.differs) {
        v->result.verdict = medians_hold ? EX_HOLDS : EX_FAILS;
        v->result.why[0] = '\0';
    } else if (v->result.verdict != EX_INCONCLUSIVE) {
        v->result.verdict = EX_INCONCLUSIVE;
        snprintf(v->result.why, sizeof(v->result.why),
                 "the U test finds no difference between the two sides");
    }
}

/* Adds to a "not measured" why the packages a missing real runtime needs. */
static void say_packages(struct claim_verdict *v) {
    const char *at = strstr(v->result.why, "not measured: ");
    if (!at)
        return;
    char model[64] = "";
    sscanf(at + strlen("not measured: "), "%*[a-z0-9_](%63[^,)]", model);
    const char *packages = peer_package(model);
    size_t n = strlen(v->result.why);
    if (packages)
        snprintf(v->result.why + n, sizeof(v->result.why) - n,
                 " (a real runtime: run with --peers; if it did not start, apt-get install %s)",
                 packages);
}

static void judge_one(const struct expr *e, const struct sc_claim *claim, void *ctx,
                      struct claim_verdict *v) {
    v->is_judged = true;
    ex_eval(e, claims_samples, ctx, &v->result);
    format_side(&e->left, &v->result.left, v->left, sizeof(v->left));
    format_side(&e->right, &v->result.right, v->right, sizeof(v->right));
    judge_significance(e, ctx, v);
    say_packages(v);
    v->has_ratio =
        claim->has_stated && ex_ratio(&v->result, &v->ratio, &v->ratio_lo, &v->ratio_hi) == 0;
}

const char *claims_verdict_text(const struct claim_verdict *v) {
    if (!v->is_judged)
        return "not judged";
    if (v->result.verdict == EX_INCONCLUSIVE && strstr(v->result.why, "not measured"))
        return "not measured";
    return ex_verdict_name(v->result.verdict);
}

/* ---- the pair ---- */

static void explain_pair(struct judged_claim *j) {
    const struct claim_verdict *m = &j->model, *r = &j->real;
    const char *rv = claims_verdict_text(r);
    if (!m->is_judged) {
        snprintf(j->meaning, sizeof(j->meaning),
                 "judged on the real runtimes only (%s); the article's reader sees: %s",
                 j->claim->reason, rv);
        return;
    }
    if (!r->is_judged) {
        snprintf(j->meaning, sizeof(j->meaning), "judged on the models only (%s)",
                 j->claim->reason);
        return;
    }
    enum ex_verdict mv = m->result.verdict;
    const char *what;
    if (!strcmp(rv, "not measured"))
        what = "the real runtime was not measured: the model's verdict says what the concurrency "
               "model alone explains";
    else if (mv == EX_INCONCLUSIVE || r->result.verdict == EX_INCONCLUSIVE)
        what = "a verdict is missing or inconclusive: the pair says nothing yet";
    else if (mv == r->result.verdict)
        what = mv == EX_HOLDS ? "both hold: the concurrency model explains it"
                              : "both fail: neither the concurrency model nor the runtime bears "
                                "it out";
    else
        what = mv == EX_HOLDS ? "the model holds, the real runtime does not: the runtime's own "
                                "cost, not the concurrency model, decides it"
                              : "the real runtime holds, the model does not: the runtime's own "
                                "speed, not the concurrency model, makes it so";
    snprintf(j->meaning, sizeof(j->meaning), "%s; the article's reader sees the real one: %s", what,
             rv);
}

int claims_judge(const struct csv_table *table, const struct scenario *scs, unsigned nscs,
                 struct judged_claim *out, unsigned max) {
    unsigned n = 0;
    for (unsigned s = 0; s < nscs; s++) {
        struct sample_ctx ctx = {table, &scs[s]};
        for (unsigned c = 0; c < scs[s].nclaims && n < max; c++) {
            struct judged_claim *j = &out[n++];
            *j = (struct judged_claim){.sc = &scs[s], .claim = &scs[s].claims[c]};
            if (sc_judges_model(j->claim))
                judge_one(&j->claim->expr, j->claim, &ctx, &j->model);
            if (sc_judges_real(j->claim))
                judge_one(&j->claim->real, j->claim, &ctx, &j->real);
            explain_pair(j);
        }
    }
    return (int)n;
}

/* ---- output ---- */

/* "x3.05 (2.9 – 3.2) against the stated 1.2..1.3: above (the article
 * understates)", or "" when the claim states nothing. */
static void format_stated(const struct sc_claim *claim, const struct claim_verdict *v, char *out,
                          size_t cap) {
    out[0] = '\0';
    if (!claim->has_stated || !v->is_judged)
        return;
    if (!v->has_ratio) {
        snprintf(out, cap, "stated %g..%g: no ratio measured", claim->stated.lo, claim->stated.hi);
        return;
    }
    snprintf(out, cap, "x%.3g (%.3g – %.3g) against the stated %g..%g: %s", v->ratio, v->ratio_lo,
             v->ratio_hi, claim->stated.lo, claim->stated.hi,
             ex_place_text(ex_place_of(&claim->stated, v->ratio)));
}

/* One side's figures for a table cell: "left >= right — why [how]". */
static void format_measured(const struct judged_claim *j, const struct claim_verdict *v, char *out,
                            size_t cap) {
    if (!v->is_judged) {
        snprintf(out, cap, "not judged: %s", j->claim->reason);
        return;
    }
    int n = snprintf(out, cap, "%s %s %s", v->left, ex_cmp_text(j->claim->expr.cmp), v->right);
    if (v->result.why[0] && n >= 0 && (size_t)n < cap)
        n += snprintf(out + n, cap - (size_t)n, " — %s", v->result.why);
    if (v->how[0] && n >= 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, " [%s]", v->how);
}

/* A cell of a Markdown table: no '|' or line break inside. */
static void md_cell(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p; p++)
        fputs(*p == '|' ? "\\|" : *p == '\n' ? " " : (char[2]){*p, 0}, out);
}

const char *const claims_columns[CLAIM_CELLS] = {
    "model verdict",   "real verdict",  "scenario / claim", "quote (source)",      "expect",
    "models measured", "real measured", "stated",           "what the pair means",
};

void claims_cells(const struct judged_claim *j, char cells[CLAIM_CELLS][1024]) {
    char stated[2][256];
    snprintf(cells[0], 1024, "%s%s", claims_verdict_text(&j->model),
             j->claim->is_required ? " (required)" : "");
    snprintf(cells[1], 1024, "%s", claims_verdict_text(&j->real));
    snprintf(cells[2], 1024, "%s / %s", j->sc->name, j->claim->name);
    snprintf(cells[3], 1024, "%s (%s)", j->claim->quote,
             j->claim->source ? j->claim->source : "no source given");
    snprintf(cells[4], 1024, "%s", j->claim->text);
    format_measured(j, &j->model, cells[5], 1024);
    format_measured(j, &j->real, cells[6], 1024);
    format_stated(j->claim, &j->model, stated[0], sizeof(stated[0]));
    format_stated(j->claim, &j->real, stated[1], sizeof(stated[1]));
    snprintf(cells[7], 1024, "%s%s%s%s%s", stated[0][0] ? "models: " : "", stated[0],
             stated[0][0] && stated[1][0] ? "; " : "", stated[1][0] ? "real: " : "", stated[1]);
    snprintf(cells[8], 1024, "%s", j->meaning);
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
            bool is_verdict = c == CLAIM_VERDICT || c == CLAIM_REAL_VERDICT;
            const char *mark = is_verdict ? "**" : c == CLAIM_EXPECT ? "`" : "";
            fprintf(out, "| %s", mark);
            /* The verdict's "(required)" stays outside the bold. */
            char *tail = c == CLAIM_VERDICT ? strstr(cells[c], " (required)") : NULL;
            if (tail)
                *tail = '\0';
            md_cell(out, cells[c]);
            fprintf(out, "%s%s ", mark, tail ? " (required)" : "");
        }
        fputs("|\n", out);
    }
}

static void print_verdict(const char *label, const struct judged_claim *j,
                          const struct claim_verdict *v) {
    char stated[256];
    if (!v->is_judged) {
        printf("  %-6s not judged: %s\n", label, j->claim->reason);
        return;
    }
    printf("  %-6s [%s] %s  %s  %s", label, claims_verdict_text(v), v->left,
           ex_cmp_text(j->claim->expr.cmp), v->right);
    double ratio, lo, hi;
    if (ex_ratio(&v->result, &ratio, &lo, &hi) == 0)
        printf("   (left ÷ right's measured figures = %.3g)", ratio);
    printf("\n");
    if (v->result.why[0])
        printf("         why: %s\n", v->result.why);
    if (v->how[0])
        printf("         judged by %s\n", v->how);
    format_stated(j->claim, v, stated, sizeof(stated));
    if (stated[0])
        printf("         ratio %s\n", stated);
}

static void print_text(const struct judged_claim *claims, unsigned n) {
    for (unsigned i = 0; i < n; i++) {
        const struct judged_claim *j = &claims[i];
        printf("%s / %s%s\n", j->sc->name, j->claim->name,
               j->claim->is_required ? "  (required)" : "");
        printf("  \"%s\"%s%s\n", j->claim->quote, j->claim->source ? " — " : "",
               j->claim->source ? j->claim->source : "");
        printf("  expect: %s\n", j->claim->text);
        print_verdict("model", j, &j->model);
        print_verdict("real", j, &j->real);
        printf("  means:  %s\n\n", j->meaning);
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
    unsigned counts[2][3] = {{0}}, judged[2] = {0}, required_failed = 0;
    for (int i = 0; i < n; i++) {
        const struct claim_verdict *v[2] = {&claims[i].model, &claims[i].real};
        for (int k = 0; k < 2; k++)
            if (v[k]->is_judged)
                counts[k][v[k]->result.verdict]++, judged[k]++;
        required_failed += claims[i].claim->is_required && claims[i].model.is_judged &&
                           claims[i].model.result.verdict == EX_FAILS;
    }
    fprintf(is_markdown ? stderr : stdout,
            "%d claims; on the models (%u judged): %u hold, %u fail, %u inconclusive; on the real "
            "runtimes (%u judged): %u hold, %u fail, %u inconclusive or not measured; %u required "
            "claim%s failed on the models\n",
            n, judged[0], counts[0][EX_HOLDS], counts[0][EX_FAILS], counts[0][EX_INCONCLUSIVE],
            judged[1], counts[1][EX_HOLDS], counts[1][EX_FAILS], counts[1][EX_INCONCLUSIVE],
            required_failed, required_failed == 1 ? "" : "s");
    for (int s = 0; s < nscs; s++)
        scenario_free(&scs[s]);
    csv_table_free(&table);
    return required_failed ? 1 : 0;
}
