/*
 * runinfo.h — a run's record of what it ran on: NAME/run.json, beside
 * run.log in the folder named after the results CSV. The rows carry the
 * host, CPU model and cores; this file carries what one row cannot: the
 * CPU pinning, the CPU-work calibration of every runtime (its figure,
 * spread and attempts, calibrate.h), the environment (environment.h: the
 * kernel, governor, limits, versions …) and the warnings given before the
 * run (warnings.h). It is written once, when the run has
 * calibrated, with libjansson (a JSON reader must be able to read it back),
 * to a temporary name and renamed.
 */
#ifndef SHOWDOWN_BENCH_RUNINFO_H
#define SHOWDOWN_BENCH_RUNINFO_H

#include "runner.h"

#include <jansson.h>

#include <stddef.h>

/* Writes r's record, with env (env_read) and warnings (warn_before_run),
 * which it only reads, to r->out.dir/run.json. Returns 0, or -1 with the
 * reason (naming the file) in err. */
int runinfo_write(const struct runner *r, const json_t *env, const json_t *warnings, char *err,
                  size_t err_len);

#endif
