/*
 * capacity.h — capacity rows in the results CSV (docs/DESIGN.md,
 * "Capacity"): `bin/bench capacity` (capacity_search.h) writes one row per
 * model, the row of the highest open-loop rate that met the scenario's
 * latency goal with no failed request. Its target_rate is that rate (0:
 * not even the lowest rate tried met it), and its scenario is the
 * scenario's name with CAPACITY_SUFFIX, so that no reader takes it for one
 * of the scenario's closed-loop or fixed-rate rows: `io-bound:capacity`.
 * Every other column is the passing step's, as any row's. Claims read it
 * as capacity(MODEL); the report draws it as bars.
 */
#ifndef SHOWDOWN_BENCH_CAPACITY_H
#define SHOWDOWN_BENCH_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>

#define CAPACITY_SUFFIX ":capacity"

/* Whether a row's scenario column names a capacity row. */
bool capacity_is_name(const char *row_scenario);

/* Whether a row's scenario column is scenario's capacity row. */
bool capacity_is_row_of(const char *row_scenario, const char *scenario);

/* The scenario's own name: row_scenario without CAPACITY_SUFFIX. */
void capacity_base_name(const char *row_scenario, char *out, size_t cap);

/* "NAME:capacity". */
void capacity_row_name(const char *scenario, char *out, size_t cap);

#endif
