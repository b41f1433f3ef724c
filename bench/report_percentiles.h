/*
 * report_percentiles.h — the report's latency-by-percentile plots, the
 * picture HdrHistogram users know (HdrHistogram's plotFiles.html and
 * wrk2's README draw it): per scenario and connection level, latency
 * against the percentile on a 1/(1−p) log scale (50% … 99.999%), one
 * colour per model, corrected solid and uncorrected dashed, from the
 * .hgrm files bin/bench kept in NAME/ beside NAME.csv. Of a model's
 * repeats, the one whose p99 is the median is drawn.
 *
 * A CSV without its NAME/ folder, or from a run before bin/loadgen wrote
 * uncorrected .hgrm files, gets the plots it can and a line saying what
 * is missing; nothing fails for want of a file.
 */
#ifndef SHOWDOWN_BENCH_REPORT_PERCENTILES_H
#define SHOWDOWN_BENCH_REPORT_PERCENTILES_H

#include "../common/csv.h"

#include <stdbool.h>
#include <stdio.h>

#define PCT_MAX_MODELS 32
#define PCT_MAX_LEVELS 32

/* One scenario's plots: what pct_write drew, for pct_html to show. */
struct pct_scenario {
    unsigned levels[PCT_MAX_LEVELS];
    bool is_drawn[PCT_MAX_LEVELS];
    unsigned nlevels;
    unsigned missing, missing_uncorrected; /* .hgrm files not found */
    char example[4400];                    /* one missing file, to name */
};

/* Scenario s (named scenario; its whole-stream rows have main_path) of
 * table t: writes one data file per level to tmp_dir and the gnuplot
 * commands that draw it to gp, reading run_dir's .hgrm files, and fills
 * *ps. Restores the x axis the throughput charts use. Returns 0, or -1
 * when a file in tmp_dir cannot be written. */
int pct_write(FILE *gp, const char *tmp_dir, const char *run_dir, const struct csv_table *t,
              const char *scenario, const char *main_path, unsigned s, struct pct_scenario *ps);

/* Scenario s's plots as HTML, inlined from tmp_dir, and a line naming
 * what was missing. Returns 0, or -1 when gnuplot wrote no SVG it was
 * asked to (said on stderr). */
int pct_html(FILE *out, const char *tmp_dir, const char *run_dir, unsigned s,
             const struct pct_scenario *ps);

#endif
