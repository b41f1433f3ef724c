/*
 * environment.h — what a run's figures depend on besides the code, for
 * run.json (runinfo.h): the kernel, CPU model, cores online, frequency
 * governor, boost/turbo, SMT, virtualisation, clock source, the listen
 * backlog limits (net.core.somaxconn, net.ipv4.tcp_max_syn_backlog), the
 * file limit (ulimit -n), the git revision with a dirty flag, and the
 * version of every library and runtime a model or a peer uses.
 *
 * A fact this machine does not give is JSON null, and its reason (the
 * file or command that failed) is in the "absent" object under the same
 * key ("versions.node"): nothing is invented, nothing is fatal.
 *
 * The /sys and /proc files are read under $SHOWDOWN_SYS_ROOT when it is
 * set (a test's fake tree: a governor of powersave), else under /.
 */
#ifndef SHOWDOWN_BENCH_ENVIRONMENT_H
#define SHOWDOWN_BENCH_ENVIRONMENT_H

#include "identity.h"

#include <jansson.h>

/* The governor below which google/benchmark warns "CPU scaling is enabled". */
#define ENV_GOVERNOR_STEADY "performance"

/* Reads the environment now: returns a new JSON object (the caller's, to
 * json_decref) with every key above, and under "absent" why each null
 * is null; NULL only when out of memory. id gives the git revision. */
json_t *env_read(const struct run_identity *id);

/* "node 20.20.2, cpython 3.11.2, gunicorn 20.1.0, uvicorn 0.17.6, flask
 * 2.2.2": the runtimes the peers run, from env_read's "versions" (one that
 * is absent is left out), for a calibration file's record. */
void env_runtime_versions(const struct run_identity *id, char *out, size_t cap);

#endif
