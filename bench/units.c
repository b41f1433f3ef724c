/*
 * units.c — numbers and metric values formatted for people.
 */
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void units_format_number(double v, char *out, size_t cap) {
    double a = fabs(v);
    if (a >= 999.5e3)
        snprintf(out, cap, "%.3gM", v / 1e6);
    else if (a >= 1e4)
        snprintf(out, cap, "%.3gk", v / 1e3);
    else if (a >= 100 || v == floor(v))
        snprintf(out, cap, "%.0f", v);
    else
        snprintf(out, cap, "%.3g", v);
}

void units_format_metric(enum ex_metric metric, double v, char *out, size_t cap) {
    switch (metric) {
    case EX_P50:
    case EX_P90:
    case EX_P99:
    case EX_P999:
    case EX_MEAN:
    case EX_MAX:
        if (v >= 1e6)
            snprintf(out, cap, "%.3g s", v / 1e6);
        else if (v >= 1e3)
            snprintf(out, cap, "%.3g ms", v / 1e3);
        else
            snprintf(out, cap, "%.0f µs", v);
        return;
    case EX_RSS_KB:
        snprintf(out, cap, "%.3g MB", v / 1024);
        return;
    case EX_CPU_S:
        snprintf(out, cap, "%.3g s", v);
        return;
    case EX_CPU_PER_1K:
        snprintf(out, cap, "%.3g CPU-s/1k req", v);
        return;
    case EX_RSS_PER_1K_CONNS:
        snprintf(out, cap, "%.3g MB/1k conns", v / 1024);
        return;
    case EX_START_MS:
        snprintf(out, cap, "%.0f ms", v);
        return;
    case EX_RPS:
    case EX_CAPACITY:
        units_format_number(v, out, cap);
        snprintf(out + strlen(out), cap - strlen(out), " req/s");
        return;
    case EX_THREADS:
    case EX_ERRORS:
        units_format_number(v, out, cap);
        return;
    }
}
