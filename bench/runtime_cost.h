/*
 * runtime_cost.h — the runtime-cost calibration file (docs/DESIGN.md,
 * "Runtime cost"): for each C model, the µs of CPU work per request that
 * its real runtime spends beyond the model's C (bin/server --runtime-cost),
 * as `bin/bench calibrate` measured them on one host, and the runtimes'
 * versions they were measured on. An ini file, read with inih:
 *
 *   [calibration]
 *   host = vm                       ; the rest of the section is the record:
 *   date = 2026-12-01T23:59:00Z     ; when, at what load, on what
 *   load = closed loop ...
 *
 *   [model node]
 *   runtime_cost_us = 180           ; the one value bin/bench run reads
 *   real_cpu_us = 205               ; real-node's server CPU per /hello
 *   c_cpu_us = 25                   ; node's
 *   runtime = node 20.19.2
 *
 *   [model python-nogil]
 *   runtime_cost_us = 420
 *   estimate = python-threads x 1.4 (...)   ; no real twin: an estimate
 *
 * Reading checks what bin/bench run uses: [model NAME] names a C model
 * (not a real-* peer) and gives runtime_cost_us once, a whole number of µs
 * (0..RTC_MAX_US); keys other than these are refused. A mistake is
 * reported as FILE:LINE:COLUMN: reason. Nothing is allocated.
 */
#ifndef SHOWDOWN_BENCH_RUNTIME_COST_H
#define SHOWDOWN_BENCH_RUNTIME_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define RTC_MAX_MODELS 16
#define RTC_MAX_US     1000000 /* bin/server --runtime-cost's bound */

struct rtc_model {
    char name[32];
    unsigned cost_us;
    bool has_cost;                /* runtime_cost_us was read */
    double real_cpu_us, c_cpu_us; /* as measured; 0 for an estimate */
    char runtime[96];             /* "gunicorn 20.1.0, cpython 3.11.2" */
    char estimate[256];           /* why it is one; "" when measured */
};

struct rtc_table {
    char host[128], date[32];
    char record[6144]; /* [calibration]'s other lines, "key = value\n" each */
    unsigned nmodels;
    struct rtc_model models[RTC_MAX_MODELS];
};

/* Reads path into *table. Returns 0, or -1 with "FILE:LINE:COLUMN: reason"
 * (or "FILE: reason") in err. */
int rtc_read(const char *path, struct rtc_table *table, char *err, size_t err_len);

/* Writes table as the file above, with a header comment saying what made
 * it; 0 or -1 (errno set). */
int rtc_write(FILE *out, const struct rtc_table *table);

/* The model's entry, or NULL when the file has none. */
const struct rtc_model *rtc_find(const struct rtc_table *table, const char *model);

/* Adds an entry for model (name set, the rest zero); NULL when full. */
struct rtc_model *rtc_add(struct rtc_table *table, const char *model);

#endif
