/*
 * report.h — the pieces of `bin/bench report` (report.c) that its other
 * sections share: the time series (report_series.c) and the capacities
 * (report_capacity.c), each drawn by gnuplot into the report's folder and
 * inlined into the one page.
 */
#ifndef SHOWDOWN_BENCH_REPORT_H
#define SHOWDOWN_BENCH_REPORT_H

#include "../common/csv.h"
#include "html.h" /* html_text, html_inline_svg */

#include <stdbool.h>
#include <stdio.h>

/* ---- report.c ---- */

/* Runs gnuplot on script; returns its exit status (127: not installed),
 * or -1. */
int run_gnuplot(const char *script);

/* run_gnuplot, saying on stderr why it failed. Returns 0 or -1. */
int report_gnuplot(const char *script);

/* ---- report_series.c: the time series beside the CSV ---- */

struct report_series {
    struct csv_table t; /* NAME.series.csv; nrows 0 when there is none */
    bool is_loaded;
    char note[8300]; /* why there is no time series, for the page */
};

/* Reads NAME.series.csv beside csv. A missing or malformed file is no
 * error: the reason goes to rs->note and stderr, and the page says it. */
void report_series_open(struct report_series *rs, const char *csv);

/* The page's paragraph about the series (the note, or the drift rule). */
void report_series_note(FILE *out, const struct report_series *rs);

/* Scenario s's time series: small multiples of rps and p99 over the
 * window's seconds, a panel per model and connection level (a line per
 * repeat), drawn in dir; and the measurements that drifted. Returns 0, or
 * -1 when gnuplot drew no chart (said on stderr). */
int report_series_section(FILE *out, const struct report_series *rs, const char *scenario,
                          const char *dir, unsigned s);

void report_series_close(struct report_series *rs);

/* ---- report_capacity.c: capacity rows (capacity.h) ---- */

struct scenario;

/* A section with the capacity rows of table, if any: per scenario, a bar
 * per model (its capacity at the goal: the scenario's slo key, when scs
 * has the scenario and it has one), and their table. Returns 0, or -1
 * when gnuplot drew no chart (said on stderr). */
int report_capacity_section(FILE *out, const struct csv_table *table, const struct scenario *scs,
                            unsigned nscs, const char *dir);

#endif
