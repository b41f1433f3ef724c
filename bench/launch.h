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

/* ---- the pieces, for a run across hosts (remote.c) ---- */

#define LAUNCH_MAX_ARGS 64

/* bin/server's command line for a C model (binary, bound to address, port
 * 0, its port on descriptor 3, bench's calibration, the scenario's and the
 * model's flags); the strings live in storage and m. */
void launch_server_argv(const struct runner *r, const struct measurement *m, const char *binary,
                        const char *address, char **argv, char storage[3][1024]);

/* bin/loadgen's command line for m against address:port with nthreads
 * threads (at most one per connection), its CSV to csv and, unless NULL,
 * its histogram to hgrm and its seconds to series. Room is left in a->argv for flags after the
 * returned count (argv[count] is NULL; the URL last: insert before it). */
struct loadgen_argv {
    char *argv[48];
    char conns[16], threads[16], duration[32], warmup[32], rate[32], timeout[32], url[2200];
};
int launch_loadgen_argv(const struct measurement *m, const char *binary, const char *address,
                        unsigned port, unsigned nthreads, const char *csv, const char *hgrm,
                        const char *series, struct loadgen_argv *a);

/* Reads n numbers, one a line, from ready_fd (a server's ready pipe: its
 * port; through a launcher, its pid first) within 10 s. Returns 0, or -1
 * with the reason in why. */
int launch_read_ready(int ready_fd, unsigned *values, unsigned n, char *why, size_t why_len);

/* Waits up to 5 s for GET /hello on address:port to answer 200. Returns 0,
 * or -1 with the reason in why. */
int launch_await_hello(const char *address, unsigned port, char *why, size_t why_len);

#endif
