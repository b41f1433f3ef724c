/*
 * clock.h — monotonic time in nanoseconds and microseconds.
 *
 * Every duration showdown measures or waits for comes from CLOCK_MONOTONIC,
 * which never jumps with wall-clock adjustments. The thread CPU clock is for
 * checking how much real work a thread did (the CPU kernel's calibration).
 */
#ifndef SHOWDOWN_CLOCK_H
#define SHOWDOWN_CLOCK_H

#include <stdint.h>

uint64_t clock_now_ns(void);
uint64_t clock_now_us(void);
/* CPU time consumed by the calling thread, in nanoseconds. */
uint64_t clock_thread_cpu_ns(void);

#endif
