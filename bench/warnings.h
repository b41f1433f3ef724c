/*
 * warnings.h — what makes a run's figures doubtful, said as
 * google/benchmark says it (src/sysinfo.cc, src/benchmark.cc: "***WARNING***
 * CPU scaling is enabled, the benchmark real time measurements may be noisy
 * and will incur extra overhead."): a frequency governor other than
 * performance, a server and a load generator that share a core, and a
 * load generator whose CPU was saturated (its figures may be its own
 * limit, not the server's).
 */
#ifndef SHOWDOWN_BENCH_WARNINGS_H
#define SHOWDOWN_BENCH_WARNINGS_H

#include "../common/csv.h"
#include "runner.h"

#include <jansson.h>

/* bin/loadgen's CPU over its window beyond which it may have been the
 * limit: the share loadgen/report.c's own note uses. */
#define WARN_SATURATED_SHARE 0.9

/* The run's warnings before it measures: the governor in env (env_read)
 * and, per scenario, whether its server and bin/loadgen share a CPU.
 * Returns a new JSON array of the texts (the caller's), each printed on
 * stderr and in run.log as it is found. */
json_t *warn_before_run(struct runner *r, const struct scenario *scs, int nscs, const json_t *env);

/* After measurement m, whose bin/loadgen CSV is lg: warns (stderr and
 * run.log) when bin/loadgen's CPU was saturated. */
void warn_after_measurement(struct runner *r, const struct measurement *m,
                            const struct csv_table *lg);

#endif
