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

#endif
