/*
 * units.h — figures for people: "12.3k", "1.20 ms", "692 req/s", in the
 * claims, the report, compare and the run's summary alike.
 */
#ifndef SHOWDOWN_BENCH_UNITS_H
#define SHOWDOWN_BENCH_UNITS_H

#include "expr.h"

#include <stddef.h>

/* A plain number to three figures, "k" and "M" past 10,000 and 999,500;
 * an integer below 10,000 as it is. */
void units_format_number(double value, char *out, size_t cap);

/* A claim metric's value in its unit: latencies (µs) in µs, ms or s, RSS
 * (KiB) in MB, CPU in s, rps as "N req/s", threads and errors plain. */
void units_format_metric(enum ex_metric metric, double value, char *out, size_t cap);

#endif
