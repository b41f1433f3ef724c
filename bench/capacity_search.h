/*
 * capacity_search.h — `bin/bench capacity` (docs/DESIGN.md, "Capacity"):
 * per model, the highest open-loop rate at which the latency goal holds
 * (slo.h) and no request fails, as wrk2's users find it by bisecting -R by
 * hand (wrk2 issue #96). The rate doubles from the lowest (--from) until a
 * step misses the goal, then the last passing and the first failing rate
 * are bisected until they are within CAPACITY_WITHIN of each other. Each
 * step is one short open-loop measurement on a fresh server
 * (measure_run), at one connection level. The search's row goes to the
 * results CSV as capacity.h describes; the steps print one line each.
 *
 * A step that misses the goal is run once more, and counts as missed only
 * when that run misses too: one stall of a shared machine (tens of
 * milliseconds) lifts a short run's p99 past the goal, while a rate
 * beyond the capacity misses every time (its queue grows through the
 * run). A passing run is taken as it is.
 */
#ifndef SHOWDOWN_BENCH_CAPACITY_SEARCH_H
#define SHOWDOWN_BENCH_CAPACITY_SEARCH_H

#include "runner.h"

#define CAPACITY_WITHIN 0.05 /* the bisection stops within 5% */
#define CAPACITY_GROWTH 2.0  /* the rate's factor from one step to the next, growing */

/* Searches model k of sc and appends its capacity row. Returns 0 (also
 * when the model was skipped: said on stderr), or -1 when the run stops. */
int capacity_search(struct runner *r, const struct scenario *sc, unsigned k);

/* The goal a scenario's search uses: --slo, else its slo key; NULL: none. */
const struct slo *capacity_slo(const struct run_options *options, const struct scenario *sc);

#endif
