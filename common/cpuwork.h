/*
 * cpuwork.h — "N µs of CPU work" as a fixed amount of real computation.
 *
 * A request for /cpu?us=N must cost the same work in every model, whatever
 * else shares the core. So the kernel is not a spin on the clock (two
 * threads spinning on one core would each finish in half the work); it is a
 * fixed number of iterations of an integer mix, calibrated once per process
 * at start-up to iterations per µs of thread CPU time on this machine.
 *
 * While it works, the kernel calls a checkpoint callback about every
 * CPUWORK_CHECK_US µs of work: that is where the GIL model checks its drop
 * request, as CPython's eval loop checks its "eval breaker" at loop
 * back-edges. With a NULL callback nothing is called.
 *
 * Thread safety: cpuwork_calibrate() before starting threads; after that
 * cpuwork_run() is safe from any thread (it only reads the calibration).
 */
#ifndef SHOWDOWN_CPUWORK_H
#define SHOWDOWN_CPUWORK_H

#include <stdint.h>

/* Work between two checkpoint callbacks. */
#define CPUWORK_CHECK_US 100

typedef void (*cpuwork_checkpoint_fn)(void *arg);

/*
 * Measures iterations per µs (best of several short runs, on the thread
 * CPU clock, so a busy neighbour does not shrink the figure) and keeps it.
 * Returns the figure. Takes about 50 ms.
 */
double cpuwork_calibrate(void);

/* The same, and *spread (when not NULL): how far the median round fell short
 * of the best, 0.03 for 3% (bench/calibrate.h says what it is for). */
double cpuwork_measure(double *spread);

/* Sets the calibration explicitly (so several processes can share one). */
void cpuwork_set_iters_per_us(double iters_per_us);
double cpuwork_iters_per_us(void);

/*
 * Does `us` µs of calibrated work, calling checkpoint(arg) about every
 * CPUWORK_CHECK_US µs when checkpoint is not NULL. Returns a value derived
 * from the computation, so the compiler cannot delete it.
 */
uint64_t cpuwork_run(uint64_t us, cpuwork_checkpoint_fn checkpoint, void *arg);

/* The fixed loop's checkpoint period, in iterations (a few µs in C). */
#define CPUWORK_FIXED_CHECK 4096

/*
 * GET /work?n=N: exactly n iterations of the integer loop that
 * peers/node/server.js and peers/python/peer.py run as work(), the same in
 * every language and never scaled to time, so it measures how fast a
 * runtime runs it (V8 against CPython):
 *
 *     x = 0x9e3779b9;  for i in 0..n-1:  x = ((x ^ (x >> 15)) * 0x2c1b3c6d + i) mod 2^32
 *
 * Each iteration needs the last one's x, so the loop neither vectorises nor
 * folds; the result is the answer's body, so no compiler can drop it.
 * Calls checkpoint(arg) every CPUWORK_FIXED_CHECK iterations when not NULL
 * (the GIL models' eval-breaker check). Returns x.
 */
uint32_t cpuwork_fixed(uint64_t n, cpuwork_checkpoint_fn checkpoint, void *arg);

#endif
