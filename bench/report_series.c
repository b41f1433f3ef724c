/*
 * report_series.c — the report's time series (series.h): per scenario,
 * small multiples of rps and p99 over the measured window's seconds, a
 * panel per model and connection level with a line per repeat; and which
 * measurements drifted. Read from NAME.series.csv beside NAME.csv; a CSV
 * without one gets a note instead.
 */
#define _GNU_SOURCE
#include "report.h"
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PANELS  64
#define MAX_REPEATS 16
#define PANEL_COLS  3

/* A panel: a model at a level, and the measurements (repeats) drawn in it. */
struct panel {
    const char *model, *connections;
    size_t first[MAX_REPEATS], count[MAX_REPEATS]; /* each repeat's rows */
    unsigned nrepeats;
};

void report_series_open(struct report_series *rs, const char *csv) {
    char path[4200], why[8000];
    memset(rs, 0, sizeof(*rs));
    series_path_for(csv, path, sizeof(path));
    if (series_read(path, &rs->t, why, sizeof(why)) == 0) {
        rs->is_loaded = true;
        return;
    }
    snprintf(rs->note, sizeof(rs->note), "No time series: %s", why);
    fprintf(stderr, "bench: %s; the report has no time series\n", why);
}

void report_series_close(struct report_series *rs) {
    if (rs->is_loaded)
        csv_table_free(&rs->t);
    memset(rs, 0, sizeof(*rs));
}

void report_series_note(FILE *out, const struct report_series *rs) {
    fprintf(out, "<p>");
    if (!rs->is_loaded)
        html_text(out, rs->note);
    else {
        fprintf(out, "Time series: each measurement's seconds (bin/loadgen --series, the "
                     "server's CPU and RSS sampled every 50 ms) in ");
        html_text(out, rs->t.path);
        fprintf(out,
                ". A measurement <em>drifted</em> when the mean rps or p99 of its last third "
                "of seconds differs from its first third's by more than %.0f%% and by more "
                "than %.0f standard errors of the two means (the seconds' own scatter); at "
                "least %d seconds a third.",
                SERIES_DRIFT_MIN_CHANGE * 100, SERIES_DRIFT_SIGMAS, SERIES_DRIFT_MIN_SECONDS);
    }
    fprintf(out, "</p>\n");
}

/* The panels of a scenario's seconds, in the file's order; returns how many. */
static unsigned collect_panels(const struct csv_table *t, const char *scenario,
                               struct panel *panels) {
    unsigned n = 0;
    for (size_t i = 0; i < t->nrows;) {
        size_t count = 1;
        while (i + count < t->nrows && series_same_measurement(&t->rows[i], &t->rows[i + count]))
            count++;
        char **f = t->rows[i].fields;
        if (!strcmp(f[SC_SCENARIO], scenario)) {
            unsigned p = 0;
            while (p < n && (strcmp(panels[p].model, f[SC_MODEL]) != 0 ||
                             strcmp(panels[p].connections, f[SC_CONNECTIONS]) != 0))
                p++;
            if (p == n && n < MAX_PANELS)
                panels[n++] =
                    (struct panel){.model = f[SC_MODEL], .connections = f[SC_CONNECTIONS]};
            if (p < n && panels[p].nrepeats < MAX_REPEATS) {
                panels[p].first[panels[p].nrepeats] = i;
                panels[p].count[panels[p].nrepeats++] = count;
            }
        }
        i += count;
    }
    return n;
}

/* One data file per panel, a block per repeat: second rps p99_ms. */
static int write_panel_data(const struct csv_table *t, const struct panel *p, const char *file) {
    FILE *out = fopen(file, "w");
    if (!out)
        return -1;
    for (unsigned r = 0; r < p->nrepeats; r++) {
        for (size_t i = p->first[r]; i < p->first[r] + p->count[r]; i++) {
            char **f = t->rows[i].fields;
            fprintf(out, "%s %s %.4f\n", f[SC_SECOND], f[SC_RPS],
                    strtod(f[SC_P99_US], NULL) / 1000);
        }
        fprintf(out, "\n\n");
    }
    return fclose(out);
}

/* Writes dir/sS.series.gp and its data, and runs gnuplot on it. */
static int draw(const struct csv_table *t, const struct panel *panels, unsigned n,
                const char *scenario, const char *dir, unsigned s) {
    char script[4200], data[4200];
    snprintf(script, sizeof(script), "%s/s%u.series.gp", dir, s);
    FILE *gp = fopen(script, "w");
    if (!gp)
        return -1;
    unsigned rows = (n + PANEL_COLS - 1) / PANEL_COLS;
    double last = 0; /* the x-axis: every second, even when there is one */
    for (unsigned p = 0; p < n; p++)
        for (unsigned r = 0; r < panels[p].nrepeats; r++) {
            double second = strtod(
                t->rows[panels[p].first[r] + panels[p].count[r] - 1].fields[SC_SECOND], NULL);
            last = second > last ? second : last;
        }
    fprintf(gp, "set xrange [-0.5:%.1f]\n", last + 0.5);
    fprintf(gp,
            "set terminal svg size 1100,%u dynamic font \"sans,10\" background rgb \"white\"\n"
            "set output \"%s/s%u.series.svg\"\nset grid\nset xlabel \"second\"\n"
            "set ylabel \"req/s\"\nset y2label \"p99 (ms)\"\nset ytics nomirror\nset y2tics\n"
            "set yrange [0:*]\nset y2range [0:*]\nunset key\n"
            "set multiplot layout %u,%u title \"%s: rps (solid, left axis) and p99 (dashed, right "
            "axis) per second, a line per repeat\" noenhanced\n",
            240 * rows + 40, dir, s, rows, PANEL_COLS, scenario);
    for (unsigned p = 0; p < n; p++) {
        snprintf(data, sizeof(data), "%s/s%u.series%u.dat", dir, s, p);
        if (write_panel_data(t, &panels[p], data) != 0) {
            fclose(gp);
            return -1;
        }
        fprintf(gp,
                "set title \"%s c=%s\" noenhanced\n"
                "plot for [i=0:%u] \"%s\" index i using 1:2 axes x1y1 with linespoints lt 1 pt 7 "
                "ps 0.4, for [i=0:%u] \"%s\" index i using 1:3 axes x1y2 with linespoints lt 2 "
                "dt 2 pt 6 ps 0.4\n",
                panels[p].model, panels[p].connections, panels[p].nrepeats - 1, data,
                panels[p].nrepeats - 1, data);
    }
    fprintf(gp, "unset multiplot\n");
    fclose(gp);
    return report_gnuplot(script);
}

/* The measurements of the panels that drifted, as a list (nothing if none). */
static void html_drifts(FILE *out, const struct csv_table *t, const struct panel *panels,
                        unsigned n) {
    bool is_open = false;
    for (unsigned p = 0; p < n; p++)
        for (unsigned r = 0; r < panels[p].nrepeats; r++) {
            struct series_drifts d;
            char text[128];
            series_judge_rows(t, panels[p].first[r], panels[p].count[r], &d);
            series_drift_text(&d, text, sizeof(text));
            if (!*text)
                continue;
            if (!is_open)
                fprintf(out, "<ul class=\"drift\">\n");
            is_open = true;
            fprintf(out, "<li>");
            html_text(out, panels[p].model);
            fprintf(out, " c=%s repeat %s: ", panels[p].connections,
                    t->rows[panels[p].first[r]].fields[SC_REPEAT]);
            html_text(out, text);
            fprintf(out, "</li>\n");
        }
    fprintf(out, is_open ? "</ul>\n" : "<p>No measurement drifted.</p>\n");
}

int report_series_section(FILE *out, const struct report_series *rs, const char *scenario,
                          const char *dir, unsigned s) {
    static struct panel panels[MAX_PANELS];
    char svg[4200];
    if (!rs->is_loaded)
        return 0;
    unsigned n = collect_panels(&rs->t, scenario, panels);
    fprintf(out, "<h3>Over time</h3>\n");
    if (n == 0) {
        fprintf(out, "<p>No time series for this scenario.</p>\n");
        return 0;
    }
    if (draw(&rs->t, panels, n, scenario, dir, s) < 0)
        return -1;
    snprintf(svg, sizeof(svg), "%s/s%u.series.svg", dir, s);
    if (html_inline_svg(out, svg) < 0) {
        fprintf(stderr, "bench: gnuplot wrote no %s\n", svg);
        return -1;
    }
    html_drifts(out, &rs->t, panels, n);
    return 0;
}
