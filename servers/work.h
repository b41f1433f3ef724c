/*
 * work.h — a plan's CPU work, performed once for every engine
 * (docs/DESIGN.md, "Endpoints"): the calibrated /cpu?us=N, the fixed
 * /work?n=N loop (common/cpuwork.h), and /hash?kb=N, SHA-256 in a C
 * library with the GIL released.
 *
 * /hash mimics CPython's hashlib: hashlib.sha256(data) on a buffer of at
 * least HASHLIB_GIL_MINSIZE (2048) bytes hashes it between
 * Py_BEGIN_ALLOW_THREADS and Py_END_ALLOW_THREADS (Modules/hashlib.h,
 * Modules/_hashopenssl.c; Modules/sha2module.c where OpenSSL is absent).
 * The digest comes from OpenSSL's libcrypto, the library Debian's CPython
 * (_hashlib) and Node's crypto both call, so the three runtimes do the same
 * work. The data is the first N KiB of the /bytes pattern, so any sha256sum
 * can check the answer.
 *
 * The engine says how the work meets its GIL (struct work_gil): none (an
 * event loop, a pool, python-nogil), or a checkpoint inside the "Python"
 * loops and a release/retake around the C library's work. Thread safety:
 * any thread; the plan is the caller's.
 */
#ifndef SHOWDOWN_WORK_H
#define SHOWDOWN_WORK_H

#include "../common/cpuwork.h"
#include "handlers.h"

#include <stdbool.h>

struct work_gil {
    cpuwork_checkpoint_fn checkpoint; /* the eval breaker, inside /cpu and /work */
    void (*release)(void *arg);       /* Py_BEGIN_ALLOW_THREADS, before /hash's digest */
    void (*retake)(void *arg);        /* Py_END_ALLOW_THREADS, after it */
    void *arg;
};

/* Whether the plan has CPU work to perform (for an engine that sends it
 * to a pool). */
bool work_is_due(const struct reply_plan *plan);

/*
 * Performs the plan's CPU work; gil is NULL for a model without one. For
 * /work and /hash, writes the result into the plan's body. Returns 0, or
 * -1 if libcrypto failed (the plan then answers 500 with the reason).
 */
int work_perform(struct reply_plan *plan, const struct work_gil *gil);

#endif
