/* options.c — see options.h. */
#include "options.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *suffix;
    double factor;
};

int opt_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                   size_t err_len) {
    uint64_t value = 0;
    const char *p = s;

    if (*p == '\0') {
        snprintf(err, err_len, "empty value where a number from %llu to %llu is expected",
                 (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            snprintf(err, err_len, "'%s' is not a whole number", s);
            return -1;
        }
        unsigned digit = (unsigned)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10) {
            snprintf(err, err_len, "'%s' is too large (at most %llu)", s, (unsigned long long)max);
            return -1;
        }
        value = value * 10 + digit;
    }
    if (value < min || value > max) {
        snprintf(err, err_len, "'%s' is out of range (%llu to %llu)", s, (unsigned long long)min,
                 (unsigned long long)max);
        return -1;
    }
    *out = value;
    return 0;
}

/* Parses "<non-negative decimal><suffix>" with a suffix from units[]. */
static int opt_parse_scaled(const char *s, const struct unit *units, size_t n_units, double *out,
                            const char *kind, const char *example, char *err, size_t err_len) {
    const char *p = s;
    double value = 0;
    int digits = 0;

    while (isdigit((unsigned char)*p)) {
        value = value * 10 + (*p++ - '0');
        digits++;
    }
    if (*p == '.') {
        double scale = 0.1;
        for (p++; isdigit((unsigned char)*p); p++, scale /= 10) {
            value += (*p - '0') * scale;
            digits++;
        }
    }
    if (digits == 0)
        goto fail;
    for (size_t i = 0; i < n_units; i++) {
        if (strcasecmp(p, units[i].suffix) == 0) {
            *out = value * units[i].factor;
            if (!isfinite(*out) || *out > 1.8e19)
                goto fail;
            return 0;
        }
    }
fail:
    snprintf(err, err_len, "'%s' is not a %s (e.g. %s)", s, kind, example);
    return -1;
}

int opt_parse_duration_us(const char *s, uint64_t *out_us, char *err, size_t err_len) {
    static const struct unit units[] = {
        {"", 1e6}, {"us", 1}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {"min", 60e6}, {"h", 3600e6},
    };
    double us;

    if (opt_parse_scaled(s, units, sizeof(units) / sizeof(units[0]), &us, "duration",
                         "10s, 250ms, 2m", err, err_len) < 0)
        return -1;
    *out_us = (uint64_t)(us + 0.5);
    return 0;
}

int opt_parse_size(const char *s, uint64_t *out_bytes, char *err, size_t err_len) {
    static const struct unit units[] = {
        {"", 1},          {"b", 1},           {"k", 1024.0},       {"kib", 1024.0},
        {"m", 1048576.0}, {"mib", 1048576.0}, {"g", 1073741824.0}, {"gib", 1073741824.0},
    };
    double bytes;

    if (opt_parse_scaled(s, units, sizeof(units) / sizeof(units[0]), &bytes, "size",
                         "512, 16k, 64m", err, err_len) < 0)
        return -1;
    if (bytes != floor(bytes)) {
        snprintf(err, err_len, "'%s' is not a whole number of bytes", s);
        return -1;
    }
    *out_bytes = (uint64_t)bytes;
    return 0;
}
