/*
 * report_claims.h — the report's chart per claim: the two sides of its
 * expect as bars, on the C models and on their real twins side by side
 * (left side, then right side with its threshold factor), each bar's
 * error bar the range over the repeats (expr.h's lo..hi). A side not
 * judged or not measured has no bar; its title says so.
 */
#ifndef SHOWDOWN_BENCH_REPORT_CLAIMS_H
#define SHOWDOWN_BENCH_REPORT_CLAIMS_H

#include "bench.h"

#include <stdio.h>

/* Writes tmp_dir/claim-I.dat for each claim and the gnuplot commands that
 * draw tmp_dir/claim-I.svg to gp. Returns 0, or -1 when a data file
 * cannot be written. */
int claims_chart_write(FILE *gp, const char *tmp_dir, const struct judged_claim *claims,
                       unsigned n);

/* Inlines the charts claims_chart_write drew (after gnuplot ran), one per
 * claim under its name; a missing one is named in the page, never fatal. */
void claims_chart_html(FILE *out, const char *tmp_dir, const struct judged_claim *claims,
                       unsigned n);

#endif
