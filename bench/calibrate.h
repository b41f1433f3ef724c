/*
 * calibrate.h — one CPU-work calibration per runtime per run
 * (docs/DESIGN.md, "CPU work").
 *
 * "/cpu?us=N" is a fixed number of iterations of each runtime's own kernel
 * (common/cpuwork.c, peers/node/server.js, peers/python/peer.py), scaled by
 * that runtime's iterations per µs of CPU time on this machine. A process
 * that measures its own figure carries the measurement's noise into every
 * answer: two gunicorn workers calibrating in the same second came out 40%
 * apart on this 2-core VM, so /cpu?us=N was a different amount of work
 * depending on which worker answered. So bin/bench measures each runtime
 * once, at the start of a run, and gives the figure to every process it
 * starts (`--cpu-calibration X`; a process given one never calibrates).
 *
 * Each runtime's calibrate command prints one line,
 *     ITERATIONS_PER_US SPREAD [RUNTIME VERSION]
 * where ITERATIONS_PER_US is the best of several rounds and SPREAD is how far
 * the median round fell short of the best (0.03: 3%). A measurement whose
 * spread exceeds CAL_MAX_SPREAD is taken again, up to CAL_ATTEMPTS times; the
 * steadiest attempt is kept and, if even that one is over, it is reported as
 * unsteady (in bench's output and the run's record), never silently used.
 */
#ifndef SHOWDOWN_CALIBRATE_H
#define SHOWDOWN_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>

#define CAL_MAX_SPREAD 0.10 /* the median round within 10% of the best */
#define CAL_ATTEMPTS   3

enum cal_runtime { CAL_C, CAL_NODE, CAL_CPYTHON, CAL_RUNTIMES };

struct cal_figure {
    bool is_measured;
    double iters_per_us;
    double spread;     /* of the attempt kept */
    unsigned attempts; /* how many were made */
    bool is_steady;    /* spread <= CAL_MAX_SPREAD */
    char version[48];  /* "20.20.2", as the command said; "" if it did not */
};

struct calibration {
    struct cal_figure of[CAL_RUNTIMES];
};

/* "c", "node", "cpython". */
const char *cal_runtime_name(enum cal_runtime runtime);

/* Parses one calibrate line into out (is_measured, iters_per_us, spread,
 * version; a line without a spread has spread 0). Returns 0, or -1 with the
 * reason in why. */
int cal_parse(const char *line, struct cal_figure *out, char *why, size_t why_len);

/* Runs argv (a runtime's calibrate command, its stdout captured) until an
 * attempt is steady or CAL_ATTEMPTS were made, and keeps the steadiest in
 * out. Returns 0, or -1 with the reason (naming argv[0]) in why. */
int cal_measure(char *const argv[], struct cal_figure *out, char *why, size_t why_len);

/* "12.3 iterations/µs (spread 2.1%)" plus ", UNSTEADY after 3 attempts"
 * where it is; into out. */
void cal_format(const struct cal_figure *figure, char *out, size_t cap);

#endif
