/*
 * launch.h — bin/server and bin/loadgen for one measurement: their command
 * lines (the scenario's flags, the model's [model NAME] args, a peer's own
 * runtime from peers.h) and their start. Each child runs in a process
 * group of its own (proc.h), its output going to run.log.
 */
#ifndef SHOWDOWN_BENCH_LAUNCH_H
#define SHOWDOWN_BENCH_LAUNCH_H

#include "runner.h"

#include <stddef.h>
#include <sys/types.h>

/* Measures the CPU work's speed once for the run (calibrate.h): C's
 * always (bin/server --calibrate), Node's and CPython's where needs[] says
 * a peer of that runtime will run. Every process started afterwards is
 * given its runtime's figure, so all do the same work for /cpu?us=N.
 * Returns 0 with r->cal filled, or -1 with the reason in err. */
int launch_calibrate(struct runner *r, const bool needs[CAL_RUNTIMES], char *err, size_t err_len);

/* Asks bin/server --describe what the model is with the scenario's flags,
 * filling m's engine, processes, threads and gil. A peer is described as
 * its twin (it is given the same counts), with its own engine and GIL.
 * Returns 0, or -1 with the reason in err (bin/server refuses them). */
int launch_describe(const struct runner *r, struct measurement *m, char *err, size_t err_len);

/* Starts the measurement's server (a C model, or a peer's runtime) on
 * 127.0.0.1, an ephemeral port, on m->server_cpus, and waits until it has
 * said its port on the ready pipe and answers GET /hello with 200. Returns
 * its pid with *port set, or -1 with the reason in why (the server, if it
 * started, stopped again). */
pid_t launch_server(struct runner *r, const struct measurement *m, unsigned *port, char *why,
                    size_t why_len);

/* Starts bin/loadgen on m->loadgen_cpus against 127.0.0.1:port with the
 * scenario's load (one thread per CPU, at most one per connection),
 * writing its CSV row(s) to csv, its histogram to hgrm and its seconds to
 * series (--series). Returns its pid, or -1 when fork fails. */
pid_t launch_loadgen(struct runner *r, const struct measurement *m, unsigned port, const char *csv,
                     const char *hgrm, const char *series);

#endif
