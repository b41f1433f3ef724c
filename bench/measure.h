/*
 * measure.h — one measurement, from start to rows: a fresh server, bin/
 * loadgen against it while its process tree is sampled, the server
 * stopped, and the rows appended to the results CSV.
 */
#ifndef SHOWDOWN_BENCH_MEASURE_H
#define SHOWDOWN_BENCH_MEASURE_H

#include "runner.h"

#include <stddef.h>

/* Measures m (its connections and repeat set) and appends its rows; says
 * on stderr why when it cannot. Returns 0, 1 (this measurement failed: a
 * server that did not start, a bin/loadgen that failed or wrote no row;
 * the run goes on) or -1 (stop the run: a stop signal, no room left, a
 * write that failed). */
int measure_once(struct runner *r, const struct measurement *m);

/* Now, UTC, as the started_at column has it: 2026-12-01T23:59:59Z. */
void measure_started_at(char *out, size_t cap);

#endif
