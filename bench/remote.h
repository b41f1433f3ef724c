/*
 * remote.h — `bin/bench run --hosts FILE` (README, "Several machines"):
 * one measurement across hosts (hosts.h). bin/server starts on the server
 * host through its launcher, bound to its address; once it answers GET
 * /hello, bin/bench sample streams its process tree back from there
 * (sample.h), and one bin/loadgen a client host runs one slice of the
 * load (--segment I/N), all starting at one wall-clock instant
 * (--start-at) and writing an HdrHistogram log (--hlog). The logs and
 * CSVs are fetched with `cat` through the launchers and merged exactly
 * (merge.h) into the same rows as a run on one machine, in which
 *
 *   host          the server host, NAME@ADDRESS
 *   server_cpus   the CPUs the server may use there (bench sample's "cpus")
 *   loadgen_cpus  the client hosts, NAME@ADDRESS each, space-separated
 *
 * and a fault is marked in them: "!unreachable" (its launcher could not
 * run `true` there within 10 s, just before the slices start: that slice
 * is not started), "!died" (the server during the load, or a bin/loadgen
 * that exited non-zero or by a signal), "!hung" (a bin/loadgen still
 * running 30 s past the end, stopped), "!no-results" (its log or CSV
 * could not be fetched or read whole).
 * A missing slice's requests are missing from the row; run.log and
 * stderr say which host and what happened. The measurement ends on time
 * whatever a host does.
 */
#ifndef SHOWDOWN_BENCH_REMOTE_H
#define SHOWDOWN_BENCH_REMOTE_H

#include "hosts.h"
#include "runner.h"

#include <stddef.h>

/* Readies the hosts before the first measurement: fills each remote_dir
 * with the binaries that host runs (bin/server and bin/bench on the
 * server's, bin/loadgen on a client's), measures the CPU work's speed on
 * the server's host (bin/server --calibrate there) and reads its core
 * count and CPU model into r->id. Returns 0, or -1 with the reason
 * (naming the host) in err. */
int remote_prepare(struct runner *r, char *err, size_t err_len);

/* measure_once (measure.h) across r->hosts, with its return contract: 0,
 * 1 (this measurement failed: the server did not start), -1 (stop). */
int remote_measure(struct runner *r, const struct measurement *m);

#endif
