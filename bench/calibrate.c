/* calibrate.c — see calibrate.h. */
#include "calibrate.h"

#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cal_runtime_name(enum cal_runtime runtime) {
    static const char *const names[CAL_RUNTIMES] = {"c", "node", "cpython"};
    return runtime < CAL_RUNTIMES ? names[runtime] : "?";
}

int cal_parse(const char *line, struct cal_figure *out, char *why, size_t why_len) {
    char *end;
    errno = 0;
    double figure = strtod(line, &end);
    if (end == line || errno || !(figure > 0 && figure < 1e6)) {
        snprintf(why, why_len, "expected iterations per µs, got '%.40s'", line);
        return -1;
    }
    const char *at = end;
    double spread = strtod(at, &end);
    if (end == at)
        spread = 0;
    else if (!(spread >= 0 && spread < 1)) {
        snprintf(why, why_len, "spread %.40s is not a share from 0 to 1", at);
        return -1;
    }
    out->is_measured = true;
    out->iters_per_us = figure;
    out->spread = spread;
    out->is_steady = spread <= CAL_MAX_SPREAD;
    out->version[0] = '\0';
    /* "node 20.20.2": the runtime's name, then its version. */
    char name[16], version[sizeof(out->version)];
    if (sscanf(end, " %15s %47s", name, version) == 2)
        snprintf(out->version, sizeof(out->version), "%s", version);
    return 0;
}

int cal_measure(char *const argv[], struct cal_figure *out, char *why, size_t why_len) {
    struct cal_figure best = {0};
    for (unsigned attempt = 1; attempt <= CAL_ATTEMPTS; attempt++) {
        char line[256], reason[160];
        struct cal_figure figure;
        if (proc_capture(argv, line, sizeof(line), 2) < 0) {
            snprintf(why, why_len, "%s: its calibrate command failed", argv[0]);
            return -1;
        }
        if (cal_parse(line, &figure, reason, sizeof(reason)) < 0) {
            snprintf(why, why_len, "%s: %s", argv[0], reason);
            return -1;
        }
        if (!best.is_measured || figure.spread < best.spread)
            best = figure;
        best.attempts = attempt;
        if (best.is_steady)
            break;
    }
    *out = best;
    return 0;
}

void cal_format(const struct cal_figure *figure, char *out, size_t cap) {
    int n = snprintf(out, cap, "%.1f iterations/µs (spread %.1f%%", figure->iters_per_us,
                     figure->spread * 100);
    if (n < 0 || (size_t)n >= cap)
        return;
    if (!figure->is_steady)
        snprintf(out + n, cap - (size_t)n, ", UNSTEADY after %u attempts)", figure->attempts);
    else
        snprintf(out + n, cap - (size_t)n, ")");
}
