/*
 * schedule.c — when requests are due, in one place (docs/DESIGN.md, "Data
 * path: loadgen"). wrk2's schedule (request k of a connection due at
 * start + k / rate_per_connection), generalised three ways:
 *
 *   - the connections are interleaved, so the run as a whole sends at an
 *     even pace instead of in bursts of `connections` requests;
 *   - the run may be one slice of N (--segment I/N): global request n goes
 *     to slice n mod N, so N loadgens together send exactly the schedule
 *     one would (-R is the total);
 *   - the rate may change in stages (k6's `stages`, vegeta's pacers): a step
 *     holds a rate, a ramp moves linearly from the previous stage's rate.
 *
 * Everything reduces to one formula: the n-th request of the whole run
 * (0-based) is due when the cumulative count of the rate, ∫ rate dt,
 * reaches n (lg_due_ns). Which n a connection's k-th request is, is
 * lg_request_index.
 */
#include "../common/options.h"
#include "loadgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rate a stage starts at: a ramp starts where the stage before ended. */
static double stage_start_rate(const struct lg_schedule *s, unsigned i) {
    if (!s->stages[i].is_ramp)
        return s->stages[i].rate;
    return i > 0 ? s->stages[i - 1].rate : 0;
}

/* Requests a finite stage holds: its mean rate times its length. */
static double stage_count(const struct lg_schedule *s, unsigned i) {
    return (stage_start_rate(s, i) + s->stages[i].rate) / 2 * (double)s->stages[i].duration_ns /
           1e9;
}

/*
 * Seconds into stage i at which m more requests have come due: solve
 * r0 τ + (r1 − r0) τ² / (2 d) = m for τ, written 2m / (r0 + √(r0² + 2am))
 * (a = (r1 − r0) / d), which stays exact when a is 0 and when r0 is 0.
 */
static double stage_seconds_for(const struct lg_schedule *s, unsigned i, double m) {
    double r0 = stage_start_rate(s, i), r1 = s->stages[i].rate;
    double d = (double)s->stages[i].duration_ns / 1e9;
    if (m <= 0)
        return 0;
    if (!s->stages[i].is_ramp || d == 0)
        return m / r1;
    double a = (r1 - r0) / d;
    return 2 * m / (r0 + sqrt(r0 * r0 + 2 * a * m));
}

uint64_t lg_due_ns(const struct lg_schedule *s, uint64_t n) {
    double before = 0;  /* requests due before stage i */
    uint64_t at_ns = 0; /* when stage i starts */
    for (unsigned i = 0; i < s->count; i++) {
        const struct lg_stage *stage = &s->stages[i];
        double count = stage->duration_ns ? stage_count(s, i) : INFINITY;
        if ((double)n < before + count) {
            double m = (double)n - before;
            /* A run that starts with a step keeps m * 1e9 / rate exact, as wrk2's k / rate. */
            if (!stage->is_ramp && at_ns == 0)
                return (uint64_t)(m * 1e9 / stage->rate);
            return at_ns + (uint64_t)(stage_seconds_for(s, i, m) * 1e9);
        }
        before += count;
        at_ns += stage->duration_ns;
    }
    /* Past the last stage its rate holds (0: nothing more is due). */
    double rate = s->count ? s->stages[s->count - 1].rate : 0;
    if (!(rate > 0))
        return UINT64_MAX;
    return at_ns + (uint64_t)(((double)n - before) * 1e9 / rate);
}

double lg_due_count(const struct lg_schedule *s, uint64_t t_ns) {
    double before = 0;
    uint64_t at_ns = 0;
    for (unsigned i = 0; i < s->count; i++) {
        const struct lg_stage *stage = &s->stages[i];
        bool is_last = i + 1 == s->count;
        if (t_ns < at_ns + stage->duration_ns || stage->duration_ns == 0 || is_last) {
            double tau = (double)(t_ns - at_ns) / 1e9, r0 = stage_start_rate(s, i);
            double d = (double)stage->duration_ns / 1e9;
            if (!stage->is_ramp || d == 0)
                return before + stage->rate * tau;
            if (tau > d) /* beyond the last stage: its rate holds */
                return before + stage_count(s, i) + stage->rate * (tau - d);
            return before + r0 * tau + (stage->rate - r0) * tau * tau / (2 * d);
        }
        before += stage_count(s, i);
        at_ns += stage->duration_ns;
    }
    return before;
}

uint64_t lg_request_index(unsigned segment, unsigned segments, unsigned connections, unsigned g,
                          uint64_t k) {
    return (k * connections + g) * segments + segment;
}

uint64_t lg_schedule_length_ns(const struct lg_schedule *s) {
    uint64_t total = 0;
    for (unsigned i = 0; i < s->count; i++) {
        if (s->stages[i].duration_ns == 0)
            return 0;
        total += s->stages[i].duration_ns;
    }
    return total;
}

unsigned lg_share(unsigned total, unsigned parts, unsigned index) {
    return total / parts + (index < total % parts ? 1 : 0);
}

/* ---- -R: "RATE", or stages "RATE@DUR,~RATE@DUR,...,RATE" ---- */

static int stage_error(char *err, size_t err_len, size_t column, const char *reason) {
    snprintf(err, err_len, "-R: column %zu: %s", column, reason);
    return -1;
}

/* One stage starting at spec[at]; its end (a ',' or the end) at *end. */
static int parse_stage(const char *spec, size_t at, size_t *end, struct lg_stage *stage, char *err,
                       size_t err_len) {
    const char *p = spec + at;
    char *after, reason[OPT_ERR_MAX], duration[64];

    stage->is_ramp = *p == '~';
    p += stage->is_ramp;
    stage->rate = strtod(p, &after);
    if (after == p || !(stage->rate >= 0) || stage->rate > 1e9 ||
        (*after && *after != '@' && *after != ','))
        return stage_error(err, err_len, (size_t)(p - spec) + 1,
                           "expected requests/s, a number (0 to 1e9)");
    stage->duration_ns = 0;
    p = after;
    if (*p == '@') {
        size_t len = strcspn(p + 1, ",");
        uint64_t us;
        snprintf(duration, sizeof(duration), "%.*s", (int)(len < 63 ? len : 63), p + 1);
        if (opt_parse_duration_us(duration, &us, reason, sizeof(reason)) < 0 || us == 0)
            return stage_error(err, err_len, (size_t)(p - spec) + 2,
                               us == 0 ? "a stage lasts more than 0" : reason);
        stage->duration_ns = us * 1000;
        p += 1 + len;
    }
    *end = (size_t)(p - spec);
    return 0;
}

int lg_schedule_parse(const char *spec, struct lg_schedule *out, char *err, size_t err_len) {
    size_t at = 0, end;
    memset(out, 0, sizeof(*out));
    for (;;) {
        if (out->count == LG_MAX_STAGES)
            return stage_error(err, err_len, at + 1, "at most 32 stages");
        struct lg_stage *stage = &out->stages[out->count];
        if (parse_stage(spec, at, &end, stage, err, err_len) < 0)
            return -1;
        out->count++;
        if (!spec[end])
            break;
        if (stage->duration_ns == 0)
            return stage_error(err, err_len, end + 1,
                               "only the last stage may go without @DURATION");
        at = end + 1;
    }
    if (out->count == 1 && out->stages[0].duration_ns == 0 && out->stages[0].rate == 0)
        return stage_error(err, err_len, 1, "expected requests/s, a number above 0");
    return 0;
}
