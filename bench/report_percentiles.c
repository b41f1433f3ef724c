/* report_percentiles.c — see report_percentiles.h. */
#define _GNU_SOURCE
#include "report_percentiles.h"
#include "html.h"
#include "outputs.h"
#include "results.h"

#include <stdlib.h>
#include <string.h>

/* The percentiles HdrHistogram's plotter labels, at 1/(1−p); "%%%%" is a
 * "%" through printf and gnuplot, which reads a tic label as a format. */
#define PCT_XTICS                                                                                  \
    "(\"50%%%%\" 2, \"90%%%%\" 10, \"99%%%%\" 100, \"99.9%%%%\" 1000, \"99.99%%%%\" 10000, "       \
    "\"99.999%%%%\" 100000)"

static int compare_unsigned(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* The scenario's models (in the CSV's order) and levels (ascending). */
static void models_and_levels(const struct csv_table *t, const char *scenario,
                              const char *models[PCT_MAX_MODELS], unsigned *nmodels,
                              struct pct_scenario *ps) {
    *nmodels = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const struct csv_row *row = &t->rows[i];
        if (strcmp(row->fields[RC_SCENARIO], scenario) != 0)
            continue;
        unsigned m = 0, l = 0, level = (unsigned)res_number(row, RC_CONNECTIONS);
        while (m < *nmodels && strcmp(models[m], row->fields[RC_MODEL]) != 0)
            m++;
        if (m == *nmodels && *nmodels < PCT_MAX_MODELS)
            models[(*nmodels)++] = row->fields[RC_MODEL];
        while (l < ps->nlevels && ps->levels[l] != level)
            l++;
        if (l == ps->nlevels && ps->nlevels < PCT_MAX_LEVELS)
            ps->levels[ps->nlevels++] = level;
    }
    qsort(ps->levels, ps->nlevels, sizeof(ps->levels[0]), compare_unsigned);
}

struct ranked_repeat {
    double p99;
    unsigned repeat;
};

static int compare_p99(const void *a, const void *b) {
    double x = ((const struct ranked_repeat *)a)->p99, y = ((const struct ranked_repeat *)b)->p99;
    return (x > y) - (x < y);
}

/* The repeat of (model, level) whose p99 is the median (the lower of two),
 * over its whole-stream rows; 0 when it has none. */
static unsigned median_repeat(const struct csv_table *t, const char *scenario,
                              const char *main_path, const char *model, unsigned level) {
    struct ranked_repeat got[64];
    unsigned n = 0;
    for (size_t i = 0; i < t->nrows && n < 64; i++) {
        const struct csv_row *row = &t->rows[i];
        if (strcmp(row->fields[RC_SCENARIO], scenario) != 0 ||
            strcmp(row->fields[RC_MODEL], model) != 0 ||
            (main_path && strcmp(row->fields[RC_PATH], main_path) != 0) ||
            (unsigned)res_number(row, RC_CONNECTIONS) != level)
            continue;
        got[n++] = (struct ranked_repeat){res_number(row, RC_LAT_P99_US),
                                          (unsigned)res_number(row, RC_REPEAT)};
    }
    qsort(got, n, sizeof(got[0]), compare_p99);
    return n ? got[(n - 1) / 2].repeat : 0;
}

/* Copies a .hgrm's rows below the 100th percentile as "1/(1−p) value_ms"
 * to out. Returns the rows copied, or -1 when the file cannot be read. */
static int copy_hgrm(const char *file, FILE *out) {
    FILE *in = fopen(file, "re");
    char line[256];
    int rows = 0;
    if (!in)
        return -1;
    while (fgets(line, sizeof(line), in)) {
        double value, p, count, x;
        if (sscanf(line, "%lf %lf %lf %lf", &value, &p, &count, &x) == 4 && p < 1)
            fprintf(out, "%.6g %.6g\n", 1 / (1 - p), value), rows++;
    }
    fclose(in);
    return rows;
}

/* Notes a .hgrm that is not there. */
static void note_missing(struct pct_scenario *ps, const char *file, bool is_uncorrected) {
    if (is_uncorrected)
        ps->missing_uncorrected++;
    else
        ps->missing++;
    if (!ps->example[0] || (!is_uncorrected && ps->missing == 1))
        snprintf(ps->example, sizeof(ps->example), "%s", file);
}

/* Level l's data file: per model, a corrected block then an uncorrected
 * one (index 2m, 2m+1; "nan nan" when missing, has_rows[i] false).
 * Returns the blocks with rows, or -1 when the file cannot be written. */
static int write_level(const char *data, const char *run_dir, const struct csv_table *t,
                       const char *scenario, const char *main_path, const char *const *models,
                       unsigned nmodels, unsigned level, struct pct_scenario *ps,
                       bool has_rows[2 * PCT_MAX_MODELS]) {
    FILE *out = fopen(data, "w");
    int drawn = 0;
    if (!out)
        return -1;
    for (unsigned m = 0; m < nmodels; m++) {
        unsigned repeat = median_repeat(t, scenario, main_path, models[m], level);
        for (int is_uncorrected = 0; is_uncorrected < 2; is_uncorrected++) {
            char file[4400];
            int rows = 0;
            if (repeat) {
                outputs_hgrm_path(run_dir, scenario, models[m], level, repeat, is_uncorrected, file,
                                  sizeof(file));
                rows = copy_hgrm(file, out);
                if (rows < 0)
                    note_missing(ps, file, is_uncorrected);
            }
            if (rows <= 0)
                fprintf(out, "nan nan\n");
            has_rows[2 * m + (unsigned)is_uncorrected] = rows > 0;
            drawn += rows > 0;
            fprintf(out, "\n\n");
        }
    }
    return fclose(out) == 0 ? drawn : -1;
}

static void write_level_plot(FILE *gp, const char *tmp_dir, const char *scenario, unsigned s,
                             unsigned level, const char *const *models, unsigned nmodels,
                             const bool has_rows[2 * PCT_MAX_MODELS]) {
    const char *sep = "";
    fprintf(gp,
            "set output \"%s/s%u-c%u.pct.svg\"\nset title \"%s at %u connections: latency by "
            "percentile (median repeat)\" noenhanced\n"
            "set logscale x 10\nset xrange [1:100000]\nset xtics " PCT_XTICS "\n"
            "set xlabel \"percentile\"\nset ylabel \"latency (ms); dashed: uncorrected\"\n"
            "unset logscale y\nset yrange [0:*]\nplot ",
            tmp_dir, s, level, scenario, level);
    for (unsigned i = 0; i < 2 * nmodels; i++) {
        if (!has_rows[i])
            continue;
        fprintf(gp, "%s\"%s/s%u-c%u.pct.dat\" index %u using 1:2 with lines lt %u ", sep, tmp_dir,
                s, level, i, i / 2 + 1);
        if (i % 2)
            fprintf(gp, "dt 2 title \"%s uncorrected\"", models[i / 2]);
        else
            fprintf(gp, "lw 2 title \"%s\"", models[i / 2]);
        sep = ", ";
    }
    fprintf(gp, "\n");
}

int pct_write(FILE *gp, const char *tmp_dir, const char *run_dir, const struct csv_table *t,
              const char *scenario, const char *main_path, unsigned s, struct pct_scenario *ps) {
    const char *models[PCT_MAX_MODELS];
    unsigned nmodels;
    memset(ps, 0, sizeof(*ps));
    models_and_levels(t, scenario, models, &nmodels, ps);
    for (unsigned l = 0; l < ps->nlevels; l++) {
        char data[4200];
        bool has_rows[2 * PCT_MAX_MODELS];
        snprintf(data, sizeof(data), "%s/s%u-c%u.pct.dat", tmp_dir, s, ps->levels[l]);
        int drawn = write_level(data, run_dir, t, scenario, main_path, models, nmodels,
                                ps->levels[l], ps, has_rows);
        if (drawn < 0)
            return -1;
        ps->is_drawn[l] = drawn > 0;
        if (drawn > 0)
            write_level_plot(gp, tmp_dir, scenario, s, ps->levels[l], models, nmodels, has_rows);
    }
    /* Back to the throughput charts' axes. */
    fprintf(gp, "unset logscale x\nset xrange [*:*]\nset xtics autofreq\n"
                "set xlabel \"connections\"\n");
    return 0;
}

int pct_html(FILE *out, const char *tmp_dir, const char *run_dir, unsigned s,
             const struct pct_scenario *ps) {
    for (unsigned l = 0; l < ps->nlevels; l++) {
        char file[4200];
        if (!ps->is_drawn[l])
            continue;
        snprintf(file, sizeof(file), "%s/s%u-c%u.pct.svg", tmp_dir, s, ps->levels[l]);
        if (html_inline_svg(out, file) < 0) {
            fprintf(stderr, "bench: gnuplot wrote no %s\n", file);
            return -1;
        }
    }
    if (!ps->missing && !ps->missing_uncorrected)
        return 0;
    char text[9000];
    if (ps->missing)
        snprintf(text, sizeof(text),
                 "Latency by percentile: %u .hgrm file(s) are not in %s (e.g. %s); their lines "
                 "are left out.",
                 ps->missing + ps->missing_uncorrected, run_dir, ps->example);
    else
        snprintf(text, sizeof(text),
                 "Latency by percentile: corrected lines only; %u uncorrected .hgrm file(s) are "
                 "not there (e.g. %s: a run before bin/loadgen wrote them).",
                 ps->missing_uncorrected, ps->example);
    fprintf(out, "<p><em>");
    html_text(out, text);
    fprintf(out, "</em></p>\n");
    fprintf(stderr, "bench: report: %s\n", text);
    return 0;
}
