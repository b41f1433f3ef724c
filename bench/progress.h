/*
 * progress.h — what a person at the terminal sees during a run: on a tty,
 * one progress line on stderr (rewritten in place, with an ETA); on
 * stdout, one summary line per result row.
 */
#ifndef SHOWDOWN_BENCH_PROGRESS_H
#define SHOWDOWN_BENCH_PROGRESS_H

#include "../common/csv.h"
#include "runner.h"
#include "watch.h"

/* "[3/12] hello · node · c=50 · repeat 1/3 · ETA 2m05s", if stderr is a tty. */
void progress_show(const struct runner *r, const struct measurement *m);

/* Clears the progress line before something else goes to the terminal. */
void progress_clear(const struct runner *r);

/* Prints a measurement's figures: the run's row with the server's CPU and
 * RSS and note (e.g. the drift, series.h; "" for none), then each path of
 * a --mix. */
void progress_summary(const struct runner *r, const struct measurement *m,
                      const struct csv_table *lg, const struct server_usage *u, const char *note);

#endif
