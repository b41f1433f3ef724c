/*
 * gil.h — an emulation of CPython's global interpreter lock, the "new GIL"
 * of Python/ceval_gil.c (3.2+):
 *
 *  - a thread must hold the lock to run handler code, and releases it
 *    around every blocking call (accept, recv, send, sleep), as
 *    Py_BEGIN_ALLOW_THREADS does; a free lock is taken at once;
 *  - a thread that wants the lock waits on a condition for one switch
 *    interval (default 5 ms, sys.setswitchinterval); if it timed out and
 *    no switch (a change of holder) happened meanwhile, it sets the drop
 *    request;
 *  - the holder polls the drop request only at checkpoints (the eval loop's
 *    breaker checks; here, every ~100 µs inside CPU work) and drops the lock;
 *  - FORCE_SWITCHING: whoever drops the lock while the request is set — at
 *    a checkpoint or before a blocking call — does not compete again until
 *    another thread has taken it.
 *
 * So CPU work does not scale with threads, and a thread that blocks often
 * waits up to an interval each time it wants the lock back while a
 * CPU-bound thread runs: the convoy effect (bpo-7946).
 *
 * A holder is identified by any unique pointer (its thread's state).
 * Nothing here allocates; struct gil is owned by the caller.
 */
#ifndef SHOWDOWN_GIL_H
#define SHOWDOWN_GIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define GIL_DEFAULT_INTERVAL_US 5000 /* DEFAULT_INTERVAL in Python/ceval_gil.c */

struct gil {
    pthread_mutex_t mutex;
    pthread_cond_t cond;        /* the lock was released */
    pthread_cond_t switch_cond; /* another thread took it (FORCE_SWITCHING) */
    bool locked;
    const void *last_holder;
    uint64_t switch_number; /* how many times its holder has changed */
    atomic_bool drop_request;
    uint64_t interval_us;
    /* Counters for /stats; read without the mutex. */
    atomic_uint_fast64_t takes;        /* every acquisition (each follows a release) */
    atomic_uint_fast64_t switches;     /* taken by a different holder than the last */
    atomic_uint_fast64_t forced_drops; /* dropped because of a drop request */
    atomic_uint_fast64_t wait_ns;      /* total time threads waited to take it */
};

struct gil_stats {
    uint64_t takes, switches, forced_drops, wait_ns;
};

/* Returns 0, or an errno from pthread. */
int gil_init(struct gil *gil, uint64_t interval_us);
void gil_destroy(struct gil *gil);

/* Blocks until holder has the lock. */
void gil_take(struct gil *gil, const void *holder);

/* Releases the lock (before a blocking call). */
void gil_drop(struct gil *gil, const void *holder);

/* The eval-breaker check: if another thread asked for the lock, hand it
 * over and take it back afterwards. Returns true if it switched. */
bool gil_checkpoint(struct gil *gil, const void *holder);

void gil_get_stats(struct gil *gil, struct gil_stats *stats);

#endif
