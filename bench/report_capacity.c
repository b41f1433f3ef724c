/*
 * report_capacity.c — the report's capacities (capacity.h): per scenario
 * searched by `bin/bench capacity`, a bar per model at the rate it
 * sustained within the latency goal, and a table of the rows.
 */
#define _GNU_SOURCE
#include "capacity.h"
#include "report.h"
#include "results.h"
#include "scenario.h"
#include "units.h"

#include <stdio.h>
#include <string.h>

#define MAX_CAPACITY_SCENARIOS 32

/* The capacity scenarios of table (NAME:capacity), in the CSV's order. */
static unsigned capacity_names(const struct csv_table *t, const char **names) {
    unsigned n = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const char *name = t->rows[i].fields[RC_SCENARIO];
        unsigned k = 0;
        while (k < n && strcmp(names[k], name) != 0)
            k++;
        if (k == n && n < MAX_CAPACITY_SCENARIOS && capacity_is_name(name))
            names[n++] = name;
    }
    return n;
}

/* The goal of a capacity scenario, as text. */
static const char *goal_of(const char *name, const struct scenario *scs, unsigned nscs) {
    char base[1024];
    capacity_base_name(name, base, sizeof(base));
    for (unsigned k = 0; k < nscs; k++)
        if (!strcmp(scs[k].name, base) && scs[k].has_slo)
            return scs[k].slo.text;
    return "the goal given to --slo (see the run's run.log)";
}

/* dir/capN.dat (index model rate) and dir/capN.gp; runs gnuplot. */
static int draw(const struct csv_table *t, const char *name, const char *goal, const char *dir,
                unsigned c) {
    char data[4200], script[4200];
    snprintf(data, sizeof(data), "%s/cap%u.dat", dir, c);
    snprintf(script, sizeof(script), "%s/cap%u.gp", dir, c);
    FILE *dat = fopen(data, "w"), *gp = fopen(script, "w");
    if (!dat || !gp) {
        if (dat)
            fclose(dat);
        if (gp)
            fclose(gp);
        return -1;
    }
    unsigned n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (!strcmp(t->rows[i].fields[RC_SCENARIO], name))
            fprintf(dat, "%u \"%s\" %s\n", n++, t->rows[i].fields[RC_MODEL],
                    t->rows[i].fields[RC_TARGET_RATE]);
    fclose(dat);
    fprintf(gp,
            "set terminal svg size 760,360 dynamic font \"sans,11\" background rgb \"white\"\n"
            "set output \"%s/cap%u.svg\"\nset grid ytics\nset style fill solid 0.6 border -1\n"
            "set boxwidth 0.6\nset yrange [0:*]\nset xrange [-0.6:%u.6]\nunset key\n"
            "set ylabel \"requests/s\"\nset title \"%s: capacity at %s\" noenhanced\n"
            "plot \"%s\" using 1:3:xtic(2) with boxes lt 1, \"\" using 1:3:3 with labels "
            "offset 0,0.7\n",
            dir, c, n ? n - 1 : 0, name, goal, data);
    fclose(gp);
    return report_gnuplot(script);
}

/* The table of one capacity scenario's rows. */
static void html_rows(FILE *out, const struct csv_table *t, const char *name) {
    fprintf(out, "<table><tr><th>model</th><th>connections</th><th>capacity</th><th>p99 there"
                 "</th><th>req/s there</th></tr>\n");
    for (size_t i = 0; i < t->nrows; i++) {
        const struct csv_row *row = &t->rows[i];
        char rate[48], p99[48], rps[48];
        if (strcmp(row->fields[RC_SCENARIO], name) != 0)
            continue;
        double capacity = res_number(row, RC_TARGET_RATE);
        units_format_metric(EX_CAPACITY, capacity, rate, sizeof(rate));
        units_format_metric(EX_P99, res_number(row, RC_LAT_P99_US), p99, sizeof(p99));
        units_format_number(res_number(row, RC_RPS), rps, sizeof(rps));
        fprintf(out, "<tr><td>");
        html_text(out, row->fields[RC_MODEL]);
        fprintf(out, "</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                row->fields[RC_CONNECTIONS], capacity > 0 ? rate : "below the lowest rate tried",
                p99, rps);
    }
    fprintf(out, "</table>\n");
}

int report_capacity_section(FILE *out, const struct csv_table *table, const struct scenario *scs,
                            unsigned nscs, const char *dir) {
    const char *names[MAX_CAPACITY_SCENARIOS];
    char svg[4200];
    unsigned n = capacity_names(table, names);
    if (n == 0)
        return 0;
    fprintf(out, "<h2>Capacity at a latency goal</h2>\n<p>The highest open-loop rate each "
                 "model sustained with the goal met and no failed request (bin/bench capacity: "
                 "the rate doubled until a step missed, then bisected to within 5%%; each step "
                 "a fresh server). The goal named is the scenario's slo key; a --slo given "
                 "instead is named in the run's run.log.</p>\n");
    for (unsigned c = 0; c < n; c++) {
        const char *goal = goal_of(names[c], scs, nscs);
        fprintf(out, "<h3>");
        html_text(out, names[c]);
        fprintf(out, " at ");
        html_text(out, goal);
        fprintf(out, "</h3>\n");
        snprintf(svg, sizeof(svg), "%s/cap%u.svg", dir, c);
        if (draw(table, names[c], goal, dir, c) < 0 || html_inline_svg(out, svg) < 0) {
            fprintf(stderr, "bench: gnuplot wrote no %s\n", svg);
            return -1;
        }
        html_rows(out, table, names[c]);
    }
    return 0;
}
