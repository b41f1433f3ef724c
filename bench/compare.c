/*
 * compare.c — `bin/bench compare A.csv B.csv`: per (scenario, model, path,
 * connections), the median rps and p99 of each file and their ratio. A
 * change is marked only where the repeats' ranges do not overlap; with
 * --threshold, a marked regression beyond it makes the exit status 1.
 */
#include "../common/csv.h"
#include "bench.h"
#include "results.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct group {
    const struct csv_row *first; /* names the group */
    double rps[EX_MAX_SAMPLES], p99[EX_MAX_SAMPLES];
    unsigned n;
};

static bool same_group(const struct csv_row *a, const struct csv_row *b) {
    return !strcmp(a->fields[RC_SCENARIO], b->fields[RC_SCENARIO]) &&
           !strcmp(a->fields[RC_MODEL], b->fields[RC_MODEL]) &&
           !strcmp(a->fields[RC_PATH], b->fields[RC_PATH]) &&
           res_number(a, RC_CONNECTIONS) == res_number(b, RC_CONNECTIONS);
}

/* Groups a table's rows; returns the count, or -1 (out of memory). */
static int group_rows(const struct csv_table *t, struct group **out) {
    struct group *groups = calloc(t->nrows ? t->nrows : 1, sizeof(*groups));
    unsigned n = 0;
    if (!groups)
        return -1;
    for (size_t i = 0; i < t->nrows; i++) {
        const struct csv_row *row = &t->rows[i];
        unsigned g = 0;
        while (g < n && !same_group(groups[g].first, row))
            g++;
        if (g == n)
            groups[n++].first = row;
        if (groups[g].n < EX_MAX_SAMPLES) {
            groups[g].rps[groups[g].n] = res_number(row, RC_RPS);
            groups[g].p99[groups[g].n++] = res_number(row, RC_LAT_P99_US);
        }
    }
    *out = groups;
    return (int)n;
}

struct spread {
    double median, lo, hi;
};

static struct spread spread_of(double *v, unsigned n) {
    double median = ex_median(v, n);
    return (struct spread){median, v[0], v[n - 1]};
}

/* Prints one group of A beside the same group of B: medians, ratios and
 * what changed (spread_of sorts their samples). Returns whether it is a
 * regression beyond threshold. */
static bool print_pair(struct group *ga, struct group *gb, double threshold) {
    const struct csv_row *row = ga->first;
    struct spread ra = spread_of(ga->rps, ga->n), rb = spread_of(gb->rps, gb->n);
    struct spread pa = spread_of(ga->p99, ga->n), pb = spread_of(gb->p99, gb->n);
    double rps_ratio = ra.median > 0 ? rb.median / ra.median : 0;
    double p99_ratio = pa.median > 0 ? pb.median / pa.median : 0;
    char change[128] = "", t[4][32];
    bool is_regression = false;
    /* Marked only when the repeats do not overlap. */
    if (rb.lo > ra.hi)
        snprintf(change, sizeof(change), "faster");
    else if (rb.hi < ra.lo) {
        snprintf(change, sizeof(change), "slower");
        is_regression = threshold > 0 && rps_ratio < 1 - threshold;
    }
    if (pb.lo > pa.hi) {
        snprintf(change + strlen(change), sizeof(change) - strlen(change), "%sp99 worse",
                 change[0] ? ", " : "");
        is_regression |= threshold > 0 && p99_ratio > 1 + threshold;
    } else if (pb.hi < pa.lo) {
        snprintf(change + strlen(change), sizeof(change) - strlen(change), "%sp99 better",
                 change[0] ? ", " : "");
    }
    if (is_regression)
        snprintf(change + strlen(change), sizeof(change) - strlen(change),
                 "  REGRESSION beyond %.0f%%", threshold * 100);
    units_format_number(ra.median, t[0], sizeof(t[0]));
    units_format_number(rb.median, t[1], sizeof(t[1]));
    units_format_metric(EX_P99, pa.median, t[2], sizeof(t[2]));
    units_format_metric(EX_P99, pb.median, t[3], sizeof(t[3]));
    printf("%-10s %-17s %-22.22s %6s %9s %9s %6.2f  %9s %9s %6.2f  %s\n", row->fields[RC_SCENARIO],
           row->fields[RC_MODEL], row->fields[RC_PATH], row->fields[RC_CONNECTIONS], t[0], t[1],
           rps_ratio, t[2], t[3], p99_ratio, change[0] ? change : "-");
    return is_regression;
}

int bench_compare(const char *path_a, const char *path_b, double threshold) {
    struct csv_table a, b;
    struct group *ga = NULL, *gb = NULL;
    char err[512];
    int rc = 2;

    if (res_read(path_a, &a, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    if (res_read(path_b, &b, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        csv_table_free(&a);
        return 2;
    }
    int na = group_rows(&a, &ga), nb = group_rows(&b, &gb);
    if (na < 0 || nb < 0) {
        fprintf(stderr, "bench: out of memory\n");
        goto out;
    }
    printf("A: %s\nB: %s\n", path_a, path_b);
    printf("%-10s %-17s %-22s %6s %9s %9s %6s  %9s %9s %6s  %s\n", "scenario", "model", "path",
           "conns", "A rps", "B rps", "B/A", "A p99", "B p99", "B/A", "change");
    unsigned regressions = 0, matched = 0;
    for (int i = 0; i < na; i++) {
        const struct csv_row *row = ga[i].first;
        int j = 0;
        while (j < nb && !same_group(gb[j].first, row))
            j++;
        if (j == nb) {
            printf("%-10s %-17s %-22.22s %6s  only in A\n", row->fields[RC_SCENARIO],
                   row->fields[RC_MODEL], row->fields[RC_PATH], row->fields[RC_CONNECTIONS]);
            continue;
        }
        matched++;
        regressions += print_pair(&ga[i], &gb[j], threshold);
    }
    for (int j = 0; j < nb; j++) {
        int i = 0;
        while (i < na && !same_group(ga[i].first, gb[j].first))
            i++;
        if (i == na)
            printf("%-10s %-17s %-22.22s %6s  only in B\n", gb[j].first->fields[RC_SCENARIO],
                   gb[j].first->fields[RC_MODEL], gb[j].first->fields[RC_PATH],
                   gb[j].first->fields[RC_CONNECTIONS]);
    }
    if (matched == 0) {
        fprintf(stderr,
                "bench: %s and %s have no (scenario, model, path, connections) in "
                "common\n",
                path_a, path_b);
        goto out;
    }
    printf("%u compared; %u regression%s%s\n", matched, regressions, regressions == 1 ? "" : "s",
           threshold > 0 ? "" : " (no --threshold: none fails the run)");
    rc = regressions ? 1 : 0;
out:
    free(ga);
    free(gb);
    csv_table_free(&a);
    csv_table_free(&b);
    return rc;
}
