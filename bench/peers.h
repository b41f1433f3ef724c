/*
 * peers.h — the real runtimes bin/bench can run beside the C models
 * (docs/DESIGN.md, "Peers"): one
 * table naming each peer (real-node, real-gunicorn-sync, ...), the C model
 * it stands beside (its twin), and the command that starts it (peers/).
 *
 * A peer is told its port as bin/server is: it listens on 127.0.0.1, port
 * 0, and writes "PORT\n" to descriptor 3. It is given the twin's process
 * and thread counts (--workers, --threads) so that the two differ only in
 * being C or the real runtime. Nothing here allocates.
 */
#ifndef SHOWDOWN_PEERS_H
#define SHOWDOWN_PEERS_H

#include "calibrate.h"

#include <stdbool.h>
#include <stddef.h>

#define PEER_MAX_ARGS 16

/* The peers run Debian's node and /usr/bin/python3 (not a python3 earlier
 * on PATH: Flask, gunicorn and uvicorn come from Debian's python3-*
 * packages, which only Debian's interpreter sees). */
#define PEERS_PYTHON "/usr/bin/python3"
#define PEERS_NODE   "/usr/bin/node"

struct peer {
    const char *name;         /* real-node */
    const char *twin;         /* node: the C model it stands beside */
    const char *engine;       /* the CSV's engine column */
    const char *gil;          /* the CSV's gil column: 1 or 0 */
    enum cal_runtime runtime; /* whose CPU-work calibration it is given */
    const char *command[6];   /* command[1] is relative to the peers folder */
    bool takes_workers;       /* given --workers <the twin's processes> */
    bool takes_threads;       /* given --threads <the twin's threads> */
};

extern const struct peer peers[];
extern const unsigned npeers;

/* The peer named name, or NULL. */
const struct peer *peer_find(const char *name);

/* The peer that stands beside C model twin, or NULL. */
const struct peer *peer_of_twin(const char *twin);

/* The Debian packages to install for the peer named name ("python3-fastapi
 * python3-uvicorn"), or NULL for a name that is not a peer. */
const char *peer_package(const char *name);

/* Builds the peer's argv in argv (at most PEER_MAX_ARGS, NULL-terminated)
 * with the strings in storage; processes and threads are the twin's counts,
 * calibration the runtime's iterations per µs ("12.345"; NULL: the peer
 * calibrates itself). Returns the number of arguments, or -1 if storage is
 * too small. */
int peer_argv(const struct peer *peer, const char *peers_dir, const char *processes,
              const char *threads, const char *calibration, char *storage, size_t cap, char **argv);

/* The command that prints runtime's calibration line (calibrate.h), for
 * CAL_NODE and CAL_CPYTHON, in argv as peer_argv does. Returns the number
 * of arguments, or -1 (storage too small, or a runtime with no peers). */
int peer_calibrate_argv(enum cal_runtime runtime, const char *peers_dir, char *storage, size_t cap,
                        char **argv);

#endif
