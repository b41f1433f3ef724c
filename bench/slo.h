/*
 * slo.h — a latency goal, `p99<=50ms` (docs/DESIGN.md, "Capacity"): a
 * latency metric of expr.h (p50, p90, p99, p999, mean, max), `<=` or `<`,
 * and a duration with its unit (opt_parse_duration_us: 50ms, 1.5s, 800us).
 * Spaces may stand between the three. Given by `bin/bench capacity --slo`
 * or a scenario's `slo =` key; capacity.h searches for the highest rate
 * that meets it. The caller owns the struct; nothing is allocated.
 */
#ifndef SHOWDOWN_BENCH_SLO_H
#define SHOWDOWN_BENCH_SLO_H

#include "expr.h"

#include <stdbool.h>
#include <stddef.h>

struct slo {
    enum ex_metric metric; /* a latency: EX_P50 ... EX_MAX */
    bool is_strict;        /* '<' rather than '<=' */
    double limit_us;
    char text[64]; /* as given, for messages and the report */
};

/* Parses text. Returns 0, or -1 with *column (1-based, in text) and the
 * reason in err. */
int slo_parse(const char *text, struct slo *out, unsigned *column, char *err, size_t err_len);

/* Whether a measured latency (µs) meets the goal. */
bool slo_is_met(const struct slo *slo, double latency_us);

#endif
