/*
 * report.c — `bin/bench report FILE.csv`: FILE.html, one self-contained
 * page: per scenario, throughput, latency (p50 dashed, p99 solid; both
 * with the repeats' range as error bars) and server memory against
 * connections, one line per model, and latency by percentile per level
 * (report_percentiles.h), drawn by gnuplot
 * as SVG and inlined; a table of the medians; and the claims table.
 * The page is derived from the CSV alone: writing it again replaces it.
 */
#define _GNU_SOURCE
#include "report.h"
#include "../common/csv.h"
#include "bench.h"
#include "capacity.h"
#include "html.h"
#include "peers.h"
#include "report_claims.h"
#include "report_environment.h"
#include "report_percentiles.h"
#include "results.h"
#include "scenario_table.h"
#include "units.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_MODELS 32
#define MAX_LEVELS 32
#define MAX_PATHS  17

struct cell {
    double rps[EX_MAX_SAMPLES], p50[EX_MAX_SAMPLES], p99[EX_MAX_SAMPLES], rss[EX_MAX_SAMPLES];
    unsigned n;
};

struct chart_data {
    const char *models[MAX_MODELS];
    unsigned nmodels;
    unsigned levels[MAX_LEVELS];
    unsigned nlevels;
    const char *paths[MAX_PATHS]; /* [0]: the whole stream; then a mix's paths */
    unsigned npaths;
    struct cell cells[MAX_PATHS][MAX_MODELS][MAX_LEVELS];
};

static unsigned index_of(const char **list, unsigned *n, unsigned max, const char *name) {
    for (unsigned i = 0; i < *n; i++) {
        if (!strcmp(list[i], name))
            return i;
    }
    if (*n == max)
        return max;
    list[*n] = name;
    return (*n)++;
}

static void collect(const struct csv_table *t, const char *scenario, const struct scenario *sc,
                    struct chart_data *d) {
    memset(d, 0, sizeof(*d));
    d->npaths = 1;
    for (size_t i = 0; i < t->nrows; i++) {
        const struct csv_row *row = &t->rows[i];
        if (strcmp(row->fields[RC_SCENARIO], scenario) != 0)
            continue;
        unsigned level = (unsigned)res_number(row, RC_CONNECTIONS), l = 0;
        while (l < d->nlevels && d->levels[l] != level)
            l++;
        if (l == d->nlevels && d->nlevels < MAX_LEVELS)
            d->levels[d->nlevels++] = level;
    }
    /* Levels in order, for the x-axis. */
    for (unsigned a = 0; a < d->nlevels; a++)
        for (unsigned b = a + 1; b < d->nlevels; b++)
            if (d->levels[b] < d->levels[a]) {
                unsigned x = d->levels[a];
                d->levels[a] = d->levels[b];
                d->levels[b] = x;
            }
    for (size_t i = 0; i < t->nrows; i++) {
        const struct csv_row *row = &t->rows[i];
        if (strcmp(row->fields[RC_SCENARIO], scenario) != 0)
            continue;
        const char *path = row->fields[RC_PATH];
        unsigned p = 0;
        if (!sc || scenario_is_main_path(sc, path)) {
            d->paths[0] = path;
        } else {
            unsigned count = d->npaths - 1;
            p = index_of(d->paths + 1, &count, MAX_PATHS - 1, path) + 1;
            d->npaths = count + 1;
        }
        unsigned m = index_of(d->models, &d->nmodels, MAX_MODELS, row->fields[RC_MODEL]);
        unsigned level = (unsigned)res_number(row, RC_CONNECTIONS), l = 0;
        while (l < d->nlevels && d->levels[l] != level)
            l++;
        if (p >= MAX_PATHS || m >= MAX_MODELS || l >= d->nlevels)
            continue;
        struct cell *c = &d->cells[p][m][l];
        if (c->n == EX_MAX_SAMPLES)
            continue;
        c->rps[c->n] = res_number(row, RC_RPS);
        c->p50[c->n] = res_number(row, RC_LAT_P50_US);
        c->p99[c->n] = res_number(row, RC_LAT_P99_US);
        c->rss[c->n++] = res_number(row, RC_SERVER_RSS_MAX_KB);
    }
}

/* Writes a cell's median and range of values (ex_median sorts them):
 * " median lo hi", scaled. */
static void write_spread(FILE *out, double *values, unsigned n, double scale) {
    double median = ex_median(values, n);
    fprintf(out, " %.4f %.4f %.4f", median / scale, values[0] / scale, values[n - 1] / scale);
}

/* One gnuplot data block per model (index i), rows: conns, then median, lo
 * and hi (the repeats' range, for the error bars) of rps, p50_ms and
 * p99_ms, then the median rss_mb. */
static int write_data(const char *file, struct chart_data *d, unsigned p) {
    FILE *out = fopen(file, "w");
    if (!out)
        return -1;
    for (unsigned m = 0; m < d->nmodels; m++) {
        fprintf(out, "# %s\n", d->models[m]);
        unsigned rows = 0;
        for (unsigned l = 0; l < d->nlevels; l++) {
            struct cell *c = &d->cells[p][m][l];
            if (!c->n)
                continue;
            fprintf(out, "%u", d->levels[l]);
            write_spread(out, c->rps, c->n, 1);
            write_spread(out, c->p50, c->n, 1000);
            write_spread(out, c->p99, c->n, 1000);
            fprintf(out, " %.3f\n", ex_median(c->rss, c->n) / 1024);
            rows++;
        }
        if (!rows) /* keep the block, so index i stays model i */
            fprintf(out, "nan nan nan nan nan nan nan nan nan nan nan\n");
        fprintf(out, "\n\n");
    }
    return fclose(out);
}

static void write_plot(FILE *gp, const char *dir, const char *stem, const struct chart_data *d,
                       const char *title) {
    fprintf(gp, "models = \"");
    for (unsigned m = 0; m < d->nmodels; m++)
        fprintf(gp, "%s%s", m ? " " : "", d->models[m]);
    fprintf(gp, "\"\nn = %u\nset title \"%s\" noenhanced\n", d->nmodels, title);
    if (d->nlevels > 1)
        fprintf(gp, "set logscale x 2\n");
    else
        fprintf(gp, "unset logscale x\nset xrange [%g:%g]\n", d->levels[0] * 0.5,
                d->levels[0] * 1.5);
    fprintf(gp,
            "set output \"%s/%s.rps.svg\"\nset ylabel \"requests/s\"\nunset logscale y\n"
            "set yrange [0:*]\n"
            "plot for [i=0:n-1] \"%s/%s.dat\" index i using 1:2:3:4 with yerrorlines lt i+1 pt 7 "
            "title word(models, i+1)\n",
            dir, stem, dir, stem);
    fprintf(gp,
            "set output \"%s/%s.latency.svg\"\nset ylabel \"latency (ms): p99 solid, p50 dashed\"\n"
            "set logscale y 10\nset yrange [*:*]\n"
            "plot for [i=0:n-1] \"%s/%s.dat\" index i using 1:8:9:10 with yerrorlines lt i+1 pt 7 "
            "title word(models, i+1).\" p99\", "
            "for [i=0:n-1] \"%s/%s.dat\" index i using 1:5:6:7 with yerrorlines lt i+1 dt 2 pt 6 "
            "title word(models, i+1).\" p50\"\n",
            dir, stem, dir, stem, dir, stem);
    fprintf(gp,
            "set output \"%s/%s.rss.svg\"\nset ylabel \"server RSS (MB), whole process tree\"\n"
            "unset logscale y\nset yrange [0:*]\n"
            "plot for [i=0:n-1] \"%s/%s.dat\" index i using 1:11 with linespoints lt i+1 pt 7 "
            "title word(models, i+1)\n",
            dir, stem, dir, stem);
    if (d->nlevels <= 1)
        fprintf(gp, "set xrange [*:*]\n");
}

static void html_table(FILE *out, struct chart_data *d, unsigned p) {
    fprintf(out, "<table><tr><th>model</th><th>connections</th><th>req/s</th><th>p50</th>"
                 "<th>p99</th><th>server RSS</th><th>repeats</th></tr>\n");
    for (unsigned m = 0; m < d->nmodels; m++) {
        for (unsigned l = 0; l < d->nlevels; l++) {
            struct cell *c = &d->cells[p][m][l];
            char t[4][48];
            if (!c->n)
                continue;
            units_format_number(ex_median(c->rps, c->n), t[0], sizeof(t[0]));
            units_format_metric(EX_P50, ex_median(c->p50, c->n), t[1], sizeof(t[1]));
            units_format_metric(EX_P99, ex_median(c->p99, c->n), t[2], sizeof(t[2]));
            units_format_metric(EX_RSS_KB, ex_median(c->rss, c->n), t[3], sizeof(t[3]));
            fprintf(out,
                    "<tr><td>%s</td><td>%u</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                    "<td>%u</td></tr>\n",
                    d->models[m], d->levels[l], t[0], t[1], t[2], t[3], c->n);
        }
    }
    fprintf(out, "</table>\n");
}

static void html_claims(FILE *out, const struct judged_claim *claims, unsigned n) {
    char cells[CLAIM_CELLS][1024];
    fprintf(out, "<h2>Claims</h2>\n<table><tr>");
    for (unsigned c = 0; c < CLAIM_CELLS; c++)
        fprintf(out, "<th>%s</th>", claims_columns[c]);
    fprintf(out, "</tr>\n");
    for (unsigned i = 0; i < n; i++) {
        claims_cells(&claims[i], cells);
        fputs("<tr>", out);
        for (unsigned c = 0; c < CLAIM_CELLS; c++) {
            if (c == CLAIM_VERDICT || c == CLAIM_REAL_VERDICT)
                fprintf(
                    out, "<td class=\"%s\">",
                    claims_verdict_text(c == CLAIM_VERDICT ? &claims[i].model : &claims[i].real));
            else
                fputs(c == CLAIM_EXPECT ? "<td><code>" : "<td>", out);
            html_text(out, cells[c]);
            fputs(c == CLAIM_EXPECT ? "</code></td>" : "</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fprintf(out, "</table>\n");
}

/* A section per C model measured beside its real runtime (bin/bench run
 * --peers): the shapes of fidelity.c side by side. Nothing without peers. */
static void html_fidelity(FILE *out, const struct csv_table *t, const struct scenario *scs,
                          unsigned nscs) {
    struct fidelity_row rows[64];
    char model[32], real[32], diff[32];
    int n = fidelity_compute(t, scs, nscs, rows, 64);
    if (n <= 0)
        return;
    fprintf(out,
            "<h2>Fidelity: each C model beside its real runtime</h2>\n<p>The shapes, and, "
            "for a model run with its runtime's cost per request (--calibration), the "
            "ABSOLUTE figures. Faithful: the C model's figure within %.0f%% of the real "
            "runtime's.</p>\n",
            FIDELITY_WITHIN * 100);
    for (unsigned p = 0; p < npeers; p++) {
        bool is_open = false;
        for (int i = 0; i < n; i++) {
            const struct fidelity_row *row = &rows[i];
            if (strcmp(row->real, peers[p].name) != 0)
                continue;
            if (!is_open)
                fprintf(out,
                        "<h3><code>%s</code> beside <code>%s</code></h3>\n<table><tr>"
                        "<th>shape</th><th>what it is</th><th>C model</th><th>real</th>"
                        "<th>difference</th><th>verdict</th></tr>\n",
                        row->model, row->real);
            is_open = true;
            fidelity_format(row, row->model_value, model, sizeof(model));
            fidelity_format(row, row->real_value, real, sizeof(real));
            fidelity_format_difference(row, diff, sizeof(diff));
            fprintf(out, "<tr><td>%s%s</td><td>", row->is_absolute ? "ABSOLUTE " : "",
                    row->shape_name);
            html_text(out, row->meaning);
            fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td class=\"%s\">%s</td></tr>\n",
                    model, real, diff,
                    isnan(row->difference) ? "inconclusive"
                    : row->is_faithful     ? "holds"
                                           : "fails",
                    fidelity_verdict(row));
        }
        if (is_open)
            fprintf(out, "</table>\n");
    }
}

static void remove_dir(const char *path) {
    DIR *d = opendir(path);
    struct dirent *e;
    char file[4200];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        unlink(file);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

int run_gnuplot(const char *script) {
    pid_t pid = fork();
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int report_gnuplot(const char *script) {
    int got = run_gnuplot(script);
    if (got != 0)
        fprintf(stderr, "bench: gnuplot %s on %s (make deps installs gnuplot-nox)\n",
                got == 127 ? "is not installed" : "failed", script);
    return got == 0 ? 0 : -1;
}

/* The scenario of that name, or NULL (its file was not found). */
static const struct scenario *scenario_named(const struct scenario *scs, unsigned nscs,
                                             const char *name) {
    const struct scenario *sc = NULL;
    for (unsigned k = 0; k < nscs; k++)
        if (!strcmp(scs[k].name, name))
            sc = &scs[k];
    return sc;
}

/* The report's inputs: the rows, their scenarios (in the CSV's order), the
 * judged claims, and the folder the charts go to. */
struct report {
    struct csv_table t;
    struct scenario scs[64];
    unsigned nscs;
    const char *names[64];
    unsigned nnames;
    struct judged_claim claims[256];
    int nclaims;
    struct chart_data data;
    struct report_series series; /* report_series.c */
    char dir[32];
    char run_dir[4200]; /* NAME/ beside NAME.csv: its .hgrm files and run.json */
    struct pct_scenario pct[64];
};

/* Writes dir/plot.gp and the data of every scenario's charts, and runs
 * gnuplot on it. Returns 0, or -1 (said on stderr when gnuplot failed). */
static int write_charts(struct report *rp) {
    char file[4200];
    snprintf(file, sizeof(file), "%s/plot.gp", rp->dir);
    FILE *gp = fopen(file, "w");
    if (!gp)
        return -1;
    fprintf(gp, "set terminal svg size 760,420 dynamic font \"sans,11\" background rgb \"white\"\n"
                "set key outside right top noenhanced\nset grid\nset xlabel \"connections\"\n"
                "set datafile missing \"nan\"\n"
                "set offsets graph 0.04, graph 0.04, 0, 0\n" /* the end levels' error bars off the border */);
    for (unsigned s = 0; s < rp->nnames; s++) {
        collect(&rp->t, rp->names[s], scenario_named(rp->scs, rp->nscs, rp->names[s]), &rp->data);
        for (unsigned p = 0; p < rp->data.npaths; p++) {
            char stem[64], title[512];
            snprintf(stem, sizeof(stem), "s%u-p%u", s, p);
            snprintf(file, sizeof(file), "%s/%s.dat", rp->dir, stem);
            if (write_data(file, &rp->data, p) != 0)
                return -1;
            snprintf(title, sizeof(title), "%s: %.400s", rp->names[s],
                     rp->data.paths[p] ? rp->data.paths[p] : "");
            write_plot(gp, rp->dir, stem, &rp->data, title);
        }
        if (pct_write(gp, rp->dir, rp->run_dir, &rp->t, rp->names[s], rp->data.paths[0], s,
                      &rp->pct[s]) < 0) {
            fclose(gp);
            return -1;
        }
    }
    if (claims_chart_write(gp, rp->dir, rp->claims, (unsigned)rp->nclaims) < 0) {
        fclose(gp);
        return -1;
    }
    fclose(gp);
    snprintf(file, sizeof(file), "%s/plot.gp", rp->dir);
    int got = run_gnuplot(file);
    if (got != 0) {
        fprintf(stderr, "bench: gnuplot %s (make deps installs gnuplot-nox)\n",
                got == 127 ? "is not installed" : "failed");
        return -1;
    }
    return 0;
}

/* The page's head and the run's identity, from its first row. */
static void html_head(FILE *out, const struct csv_row *first) {
    fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>showdown: ");
    html_text(out, first->fields[RC_RUN_ID]);
    fprintf(
        out,
        "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;"
        "color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid "
        "#ccc;padding:3px 8px;text-align:left;vertical-align:top}td.holds{background:"
        "#d8f5d0}td.fails{background:#f8d0d0}td.inconclusive{background:#f3efc8}"
        "svg{max-width:100%%;height:auto}</style></head><body>\n<h1>showdown results</h1>\n<p>");
    html_text(out, first->fields[RC_RUN_ID]);
    fprintf(out, " — host ");
    html_text(out, first->fields[RC_HOST]);
    fprintf(out, ", ");
    html_text(out, first->fields[RC_CPU_MODEL]);
    fprintf(out, ", %s cores, git ", first->fields[RC_CORES]);
    html_text(out, first->fields[RC_GIT_REV]);
    fprintf(out, ", started ");
    html_text(out, first->fields[RC_STARTED_AT]);
    fprintf(out, ". Medians over repeats, error bars spanning the repeats; server figures are "
                 "summed over its process tree.</p>\n");
}

/* Scenario s's section: its description, pinning, charts and table.
 * Returns 0, or -1 when gnuplot wrote no chart (said on stderr). */
static int html_scenario(FILE *out, struct report *rp, unsigned s) {
    char file[4200];
    const struct scenario *sc = scenario_named(rp->scs, rp->nscs, rp->names[s]);
    collect(&rp->t, rp->names[s], sc, &rp->data);
    fprintf(out, "<h2>");
    html_text(out, rp->names[s]);
    fprintf(out, "</h2>\n<p>");
    if (sc)
        html_text(out, sc->description);
    const struct csv_row *row = &rp->t.rows[0];
    for (size_t i = 0; i < rp->t.nrows && strcmp(row->fields[RC_SCENARIO], rp->names[s]) != 0; i++)
        row = &rp->t.rows[i];
    fprintf(out, " Pinning: server on CPU %s, bin/loadgen on CPU %s.</p>\n",
            row->fields[RC_SERVER_CPUS], row->fields[RC_LOADGEN_CPUS]);
    for (unsigned p = 0; p < rp->data.npaths; p++) {
        static const char *const kinds[] = {"rps", "latency", "rss"};
        for (unsigned k = 0; k < 3; k++) {
            if (p > 0 && k != 1)
                continue; /* a mix's paths: their latency */
            snprintf(file, sizeof(file), "%s/s%u-p%u.%s.svg", rp->dir, s, p, kinds[k]);
            if (html_inline_svg(out, file) < 0) {
                fprintf(stderr, "bench: gnuplot wrote no %s\n", file);
                return -1;
            }
        }
        if (p == 0)
            html_table(out, &rp->data, 0);
    }
    if (pct_html(out, rp->dir, rp->run_dir, s, &rp->pct[s]) < 0)
        return -1;
    return report_series_section(out, &rp->series, rp->names[s], rp->dir, s);
}

/* Writes the page to html (through html.partial). Returns 0, or -1 with
 * the reason on stderr. */
static int write_page(struct report *rp, const char *html) {
    char partial[4300];
    snprintf(partial, sizeof(partial), "%s.partial", html);
    FILE *out = fopen(partial, "w");
    if (!out) {
        fprintf(stderr, "bench: %s: %s\n", partial, strerror(errno));
        return -1;
    }
    html_head(out, &rp->t.rows[0]);
    report_environment_html(out, rp->run_dir);
    html_claims(out, rp->claims, (unsigned)rp->nclaims);
    claims_chart_html(out, rp->dir, rp->claims, (unsigned)rp->nclaims);
    html_fidelity(out, &rp->t, rp->scs, rp->nscs);
    if (report_capacity_section(out, &rp->t, rp->scs, rp->nscs, rp->dir) < 0) {
        fclose(out);
        return -1;
    }
    report_series_note(out, &rp->series);
    for (unsigned s = 0; s < rp->nnames; s++) {
        if (html_scenario(out, rp, s) < 0) {
            fclose(out);
            return -1;
        }
    }
    fprintf(out, "</body></html>\n");
    if (fclose(out) != 0 || rename(partial, html) < 0) {
        fprintf(stderr, "bench: %s: %s\n", html, strerror(errno));
        unlink(partial);
        return -1;
    }
    return 0;
}

int bench_report(const char *csv, const char *scenario_dir) {
    static struct report rp;
    char err[512], html[4200];
    int rc = 2;

    snprintf(rp.dir, sizeof(rp.dir), "/tmp/showdown-report.XXXXXX");
    if (res_read(csv, &rp.t, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 2;
    }
    if (rp.t.nrows == 0) {
        fprintf(stderr, "bench: %s: no rows to report\n", csv);
        csv_table_free(&rp.t);
        return 2;
    }
    size_t n = strlen(csv);
    int stem = (int)(n > 4 && !strcmp(csv + n - 4, ".csv") ? n - 4 : n);
    snprintf(html, sizeof(html), "%.*s.html", stem, csv);
    snprintf(rp.run_dir, sizeof(rp.run_dir), "%.*s", stem, csv);
    int loaded = scenario_load_for_table(&rp.t, scenario_dir, rp.scs, 64);
    if (loaded < 0) {
        csv_table_free(&rp.t);
        return 2;
    }
    rp.nscs = (unsigned)loaded;
    rp.nclaims = claims_judge(&rp.t, rp.scs, rp.nscs, rp.claims, 256);
    if (!mkdtemp(rp.dir)) {
        fprintf(stderr, "bench: %s: %s\n", rp.dir, strerror(errno));
        goto out;
    }
    /* The scenarios in the order the CSV has them; capacity rows have their
     * own section (report_capacity.c). */
    for (size_t i = 0; i < rp.t.nrows; i++)
        if (!capacity_is_name(rp.t.rows[i].fields[RC_SCENARIO]))
            index_of(rp.names, &rp.nnames, 64, rp.t.rows[i].fields[RC_SCENARIO]);
    report_series_open(&rp.series, csv);
    if (write_charts(&rp) < 0 || write_page(&rp, html) < 0)
        goto out;
    printf("report: %s\n", html);
    rc = 0;
out:
    report_series_close(&rp.series);
    remove_dir(rp.dir);
    for (unsigned s = 0; s < rp.nscs; s++)
        scenario_free(&rp.scs[s]);
    csv_table_free(&rp.t);
    return rc;
}
