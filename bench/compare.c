/*
 * compare.c — `bin/bench compare A.csv B.csv`: per (scenario, model, path,
 * connections), the median rps and p99 of each file and their ratio with
 * its 95% bootstrap interval. A change is marked where the Mann-Whitney U
 * test calls it at α = 0.05 (significance.h, as google/benchmark's
 * tools/gbench/report.py does), which needs 4 repeats a side; with fewer,
 * nothing is called: the line says "too few repeats (2+2)" beside the
 * ratio. Ranges that do not overlap are no test: 10 pairs of quick runs of
 * the same code (2 repeats) were called different on 39 of 60 rows that
 * way. A change smaller than the noise floor (--noise, COMPARE_NOISE) is
 * not called either: repeats taken back to back within
 * one run cannot see how much a whole run shifts with the machine's load,
 * so a p-value alone calls that shift a change (benchstat and
 * google/benchmark print the delta beside p for the same reason). With
 * --threshold, a marked regression beyond it makes the exit status 1.
 *
 * With several CSVs a side (A's -- B's) a sample is a run: each file's
 * median of the group. Runs taken in turn (A B A B …) carry the drift of
 * the machine between runs into the test, which repeats inside one run
 * cannot: on a 2-core VM whole runs moved by up to 2.5x while their
 * repeats stayed within 7%.
 */
#include "../common/csv.h"
#include "bench.h"
#include "results.h"
#include "significance.h"
#include "units.h"

#include <math.h>
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

/* The index of row's group among groups[0 .. n), or n. */
static unsigned find_group(const struct group *groups, unsigned n, const struct csv_row *row) {
    unsigned g = 0;
    while (g < n && !same_group(groups[g].first, row))
        g++;
    return g;
}

/* Row's group among groups[0 .. *n), added as groups[*n] when it is new. */
static struct group *group_of(struct group *groups, unsigned *n, const struct csv_row *row) {
    unsigned g = find_group(groups, *n, row);
    if (g == *n)
        groups[(*n)++].first = row;
    return &groups[g];
}

static void add_sample(struct group *g, double rps, double p99) {
    if (g->n < EX_MAX_SAMPLES) {
        g->rps[g->n] = rps;
        g->p99[g->n++] = p99;
    }
}

/* Groups a table's rows; returns the count, or -1 (out of memory). */
static int group_rows(const struct csv_table *t, struct group **out) {
    struct group *groups = calloc(t->nrows ? t->nrows : 1, sizeof(*groups));
    unsigned n = 0;
    if (!groups)
        return -1;
    for (size_t i = 0; i < t->nrows; i++)
        add_sample(group_of(groups, &n, &t->rows[i]), res_number(&t->rows[i], RC_RPS),
                   res_number(&t->rows[i], RC_LAT_P99_US));
    *out = groups;
    return (int)n;
}

/* One side of the comparison: its files, read, and their groups. */
struct side {
    const char *const *paths;
    int nfiles;
    struct csv_table *tables;
    struct group *groups;
    unsigned ngroups;
};

/* Groups a side's rows: one file's as group_rows does (a repeat a sample),
 * several files' with a sample per file, its median (a run a sample).
 * Returns 0, or -1 (out of memory). */
static int group_side(struct side *side, bool is_by_runs) {
    if (!is_by_runs) {
        int n = group_rows(&side->tables[0], &side->groups);
        side->ngroups = n < 0 ? 0 : (unsigned)n;
        return n < 0 ? -1 : 0;
    }
    size_t cap = 1;
    for (int f = 0; f < side->nfiles; f++)
        cap += side->tables[f].nrows;
    if (!(side->groups = calloc(cap, sizeof(*side->groups))))
        return -1;
    for (int f = 0; f < side->nfiles; f++) {
        struct group *runs;
        int nruns = group_rows(&side->tables[f], &runs);
        if (nruns < 0)
            return -1;
        for (int r = 0; r < nruns; r++)
            add_sample(group_of(side->groups, &side->ngroups, runs[r].first),
                       ex_median(runs[r].rps, runs[r].n), ex_median(runs[r].p99, runs[r].n));
        free(runs);
    }
    return 0;
}

/* Reads a side's files; returns 0, or -1 having said why. */
static int read_side(struct side *side) {
    char err[512];
    if (!(side->tables = calloc((size_t)side->nfiles, sizeof(*side->tables)))) {
        fprintf(stderr, "bench: out of memory\n");
        return -1;
    }
    for (int f = 0; f < side->nfiles; f++)
        if (res_read(side->paths[f], &side->tables[f], err, sizeof(err)) < 0) {
            fprintf(stderr, "bench: %s\n", err);
            return -1;
        }
    return 0;
}

static void free_side(struct side *side) {
    for (int f = 0; side->tables && f < side->nfiles; f++)
        csv_table_free(&side->tables[f]);
    free(side->tables);
    free(side->groups);
}

/* "A: FILE", or "A: 4 runs: F1, F2, …". */
static void print_side(const char *name, const struct side *side) {
    printf("%s: ", name);
    if (side->nfiles > 1)
        printf("%d runs: ", side->nfiles);
    for (int f = 0; f < side->nfiles; f++)
        printf("%s%s", f ? ", " : "", side->paths[f]);
    printf("\n");
}

/* One seed for every bootstrap, so that comparing the same files twice
 * prints the same intervals. */
#define COMPARE_SEED 0x5eed

enum direction { SAME, HIGHER, LOWER };

/* What B's repeats of one metric say against A's: a direction, decided by
 * the U test when both sides have its SIG_MIN_REPEATS, otherwise none
 * (is_too_few). */
struct judgement {
    enum direction direction;
    bool is_too_few;
    struct sig_result sig;
    double median_a, median_b;
};

static struct judgement judge(double *a, unsigned na, double *b, unsigned nb, double noise) {
    struct judgement j = {.direction = SAME};
    sig_compare(a, na, b, nb, COMPARE_SEED, &j.sig);
    j.median_a = ex_median(a, na);
    j.median_b = ex_median(b, nb);
    j.is_too_few = !j.sig.is_callable;
    if (j.is_too_few || !(fabs(j.median_b - j.median_a) >= noise * j.median_a))
        return j; /* too few repeats, or within the noise floor: not called */
    if (j.sig.differs)
        /* U counts the pairs A wins: below its mean, B's values are higher. */
        j.direction = j.sig.u < na * nb / 2.0 ? HIGHER : LOWER;
    return j;
}

/* Appends "WORD (p=0.008)" to change, after a comma when it already holds
 * something. */
static void note_change(char *change, size_t size, const char *word, const struct judgement *j) {
    size_t used = strlen(change);
    snprintf(change + used, size - used, "%s%s (p=%.2g)", used ? ", " : "", word, j->sig.p);
}

/* "1.23 [1.10,1.31]": the ratio of medians and its 95% bootstrap interval. */
static const char *ratio_text(const struct sig_result *sig, char *buf, size_t size) {
    if (isnan(sig->ratio))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.2f [%.2f,%.2f]", sig->ratio, sig->ci_low, sig->ci_high);
    return buf;
}

/* Prints one group of A beside the same group of B: medians, ratios with
 * their intervals and what changed (judge sorts their samples). Returns
 * whether it is a regression beyond threshold; counts in *too_few the
 * metrics not judged for want of repeats. */
static bool print_pair(struct group *ga, struct group *gb, double threshold, double noise,
                       const char *unit, unsigned *too_few) {
    const struct csv_row *row = ga->first;
    struct judgement rps = judge(ga->rps, ga->n, gb->rps, gb->n, noise);
    struct judgement p99 = judge(ga->p99, ga->n, gb->p99, gb->n, noise);
    char change[160] = "", t[4][32], ratio[2][48];
    bool is_regression = false;
    if (rps.direction == HIGHER)
        note_change(change, sizeof(change), "faster", &rps);
    else if (rps.direction == LOWER) {
        note_change(change, sizeof(change), "slower", &rps);
        is_regression = threshold > 0 && rps.median_b < rps.median_a * (1 - threshold);
    }
    if (p99.direction == HIGHER) {
        note_change(change, sizeof(change), "p99 worse", &p99);
        is_regression |= threshold > 0 && p99.median_b > p99.median_a * (1 + threshold);
    } else if (p99.direction == LOWER)
        note_change(change, sizeof(change), "p99 better", &p99);
    if (rps.is_too_few)
        snprintf(change, sizeof(change), "too few %s (%u+%u)", unit, ga->n, gb->n);
    else if (!change[0])
        snprintf(change, sizeof(change), "-");
    if (is_regression)
        snprintf(change + strlen(change), sizeof(change) - strlen(change),
                 "  REGRESSION beyond %.0f%%", threshold * 100);
    *too_few += rps.is_too_few + p99.is_too_few;
    units_format_number(rps.median_a, t[0], sizeof(t[0]));
    units_format_number(rps.median_b, t[1], sizeof(t[1]));
    units_format_metric(EX_P99, p99.median_a, t[2], sizeof(t[2]));
    units_format_metric(EX_P99, p99.median_b, t[3], sizeof(t[3]));
    printf("%-10s %-17s %-22.22s %6s %9s %9s %-17s  %9s %9s %-17s  %s\n", row->fields[RC_SCENARIO],
           row->fields[RC_MODEL], row->fields[RC_PATH], row->fields[RC_CONNECTIONS], t[0], t[1],
           ratio_text(&rps.sig, ratio[0], sizeof(ratio[0])), t[2], t[3],
           ratio_text(&p99.sig, ratio[1], sizeof(ratio[1])), change);
    return is_regression;
}

int bench_compare(const char *const *paths_a, int na_files, const char *const *paths_b,
                  int nb_files, double threshold, double noise) {
    struct side sa = {.paths = paths_a, .nfiles = na_files};
    struct side sb = {.paths = paths_b, .nfiles = nb_files};
    bool is_by_runs = na_files > 1 || nb_files > 1;
    const char *unit = is_by_runs ? "runs" : "repeats";
    int rc = 2;

    if (read_side(&sa) < 0 || read_side(&sb) < 0)
        goto out;
    if (group_side(&sa, is_by_runs) < 0 || group_side(&sb, is_by_runs) < 0) {
        fprintf(stderr, "bench: out of memory\n");
        goto out;
    }
    struct group *ga = sa.groups, *gb = sb.groups;
    unsigned na = sa.ngroups, nb = sb.ngroups;
    print_side("A", &sa);
    print_side("B", &sb);
    if (is_by_runs)
        printf("a sample is a run: each file's median (%d runs of A, %d of B)\n", na_files,
               nb_files);
    printf("%-10s %-17s %-22s %6s %9s %9s %-17s  %9s %9s %-17s  %s\n", "scenario", "model", "path",
           "conns", "A rps", "B rps", "B/A [95% CI]", "A p99", "B p99", "B/A [95% CI]", "change");
    unsigned regressions = 0, matched = 0, too_few = 0;
    for (unsigned i = 0; i < na; i++) {
        const struct csv_row *row = ga[i].first;
        unsigned j = find_group(gb, nb, row);
        if (j == nb) {
            printf("%-10s %-17s %-22.22s %6s  only in A\n", row->fields[RC_SCENARIO],
                   row->fields[RC_MODEL], row->fields[RC_PATH], row->fields[RC_CONNECTIONS]);
            continue;
        }
        matched++;
        regressions += print_pair(&ga[i], &gb[j], threshold, noise, unit, &too_few);
    }
    for (unsigned j = 0; j < nb; j++)
        if (find_group(ga, na, gb[j].first) == na)
            printf("%-10s %-17s %-22.22s %6s  only in B\n", gb[j].first->fields[RC_SCENARIO],
                   gb[j].first->fields[RC_MODEL], gb[j].first->fields[RC_PATH],
                   gb[j].first->fields[RC_CONNECTIONS]);
    if (matched == 0) {
        fprintf(stderr, "bench: A and B have no (scenario, model, path, connections) in common\n");
        goto out;
    }
    if (too_few)
        printf("too few %s to call it: %u of %u figures have fewer than %d a side, the U "
               "test's least, so no change is called on them%s\n",
               unit, too_few, 2 * matched, SIG_MIN_REPEATS,
               threshold > 0 ? " and --threshold cannot fail them" : "");
    if (noise > 0)
        printf("a change under %.0f%% is not called (--noise): whole runs shift that much\n",
               noise * 100);
    printf("%u compared; %u regression%s%s\n", matched, regressions, regressions == 1 ? "" : "s",
           threshold > 0 ? "" : " (no --threshold: none fails the run)");
    rc = regressions ? 1 : 0;
out:
    free_side(&sa);
    free_side(&sb);
    return rc;
}
