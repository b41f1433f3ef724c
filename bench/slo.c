/*
 * slo.c — parsing and judging a latency goal (see slo.h).
 */
#include "slo.h"

#include "../common/options.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const enum ex_metric latencies[] = {EX_P50, EX_P90, EX_P99, EX_P999, EX_MEAN, EX_MAX};

static int fail(unsigned *column, unsigned at, char *err, size_t err_len, const char *why) {
    *column = at;
    snprintf(err, err_len, "%s", why);
    return -1;
}

/* The latency metric named by the len characters at name, or -1. */
static int metric_of(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof(latencies) / sizeof(latencies[0]); i++) {
        const char *known = ex_metric_name(latencies[i]);
        if (strlen(known) == len && !strncmp(known, name, len))
            return (int)latencies[i];
    }
    return -1;
}

int slo_parse(const char *text, struct slo *out, unsigned *column, char *err, size_t err_len) {
    const char *p = text + strspn(text, " \t");
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    snprintf(out->text, sizeof(out->text), "%s", text);
    while (isalnum((unsigned char)p[len]))
        len++;
    int metric = metric_of(p, len);
    if (metric < 0)
        return fail(column, (unsigned)(p - text) + 1, err, err_len,
                    "expected a latency goal such as p99<=50ms (p50, p90, p99, p999, mean, max)");
    out->metric = (enum ex_metric)metric;
    p += len;
    p += strspn(p, " \t");
    if (p[0] != '<')
        return fail(column, (unsigned)(p - text) + 1, err, err_len,
                    "expected <= or < after the metric");
    out->is_strict = p[1] != '=';
    p += out->is_strict ? 1 : 2;
    p += strspn(p, " \t");
    char value[64], why[128];
    len = strcspn(p, " \t");
    snprintf(value, sizeof(value), "%.*s", (int)len, p);
    uint64_t us;
    unsigned at = (unsigned)(p - text) + 1;
    if (len == 0 || strspn(value, "0123456789.") == len)
        return fail(column, at, err, err_len, "expected a duration with its unit, e.g. 50ms");
    if (opt_parse_duration_us(value, &us, why, sizeof(why)) < 0)
        return fail(column, at, err, err_len, why);
    if (us == 0)
        return fail(column, at, err, err_len, "the goal must be above 0");
    size_t rest = len + strspn(p + len, " \t");
    if (p[rest] != '\0')
        return fail(column, at + (unsigned)rest, err, err_len, "unexpected text after the goal");
    out->limit_us = (double)us;
    return 0;
}

bool slo_is_met(const struct slo *slo, double latency_us) {
    return slo->is_strict ? latency_us < slo->limit_us : latency_us <= slo->limit_us;
}
