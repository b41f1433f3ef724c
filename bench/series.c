/*
 * series.c — the per-second time series: bucketing the server's samples
 * into seconds, the drift rule, NAME.series.csv's rows (see series.h).
 */
#include "series.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- bucketing ---- */

/* bin/loadgen's window starts a few milliseconds after the one watch.c
 * counts (it execs and connects first): a second's end this close after
 * the last sample is read off that sample. */
#define CLOCK_SKEW_S 0.1

/* The tree's CPU total at time t, interpolated between the samples on
 * either side; the first sample's before it; the last one's up to
 * CLOCK_SKEW_S after it, NAN beyond. */
static double cpu_at(const struct watch_sample *s, unsigned n, double t) {
    if (n == 0 || t > s[n - 1].t_s + CLOCK_SKEW_S)
        return NAN;
    if (t >= s[n - 1].t_s)
        return s[n - 1].cpu_s;
    if (t <= s[0].t_s)
        return s[0].cpu_s;
    unsigned i = 1;
    while (s[i].t_s < t)
        i++;
    double span = s[i].t_s - s[i - 1].t_s;
    if (span <= 0)
        return s[i].cpu_s;
    return s[i - 1].cpu_s + (s[i].cpu_s - s[i - 1].cpu_s) * (t - s[i - 1].t_s) / span;
}

/* The largest RSS sampled in [from, to), else the nearest sample's. */
static double rss_in(const struct watch_sample *s, unsigned n, double from, double to) {
    double peak = NAN, nearest = NAN, distance = INFINITY;
    for (unsigned i = 0; i < n; i++) {
        if (s[i].t_s >= from && s[i].t_s < to && !(s[i].rss_kb <= peak))
            peak = s[i].rss_kb;
        double d = fabs(s[i].t_s - (from + to) / 2);
        if (d < distance)
            distance = d, nearest = s[i].rss_kb;
    }
    return isnan(peak) ? nearest : peak;
}

void series_bucket(const struct watch_sample *samples, unsigned nsamples, double duration_s,
                   unsigned nseconds, double *cpu_s, double *rss_kb) {
    for (unsigned k = 0; k < nseconds; k++) {
        double end = k + 1.0 < duration_s ? k + 1.0 : duration_s;
        cpu_s[k] = cpu_at(samples, nsamples, end) - cpu_at(samples, nsamples, k);
        rss_kb[k] = rss_in(samples, nsamples, k, end);
    }
}

/* ---- drift ---- */

/* Mean and variance (n - 1) of the figures of values[from, to) that are
 * not NAN; returns how many. */
static unsigned third(const double *values, unsigned from, unsigned to, double *mean, double *var) {
    unsigned k = 0;
    double sum = 0, sq = 0;
    for (unsigned i = from; i < to; i++)
        if (!isnan(values[i]))
            sum += values[i], k++;
    *mean = k ? sum / k : NAN;
    for (unsigned i = from; i < to; i++)
        if (!isnan(values[i]))
            sq += (values[i] - *mean) * (values[i] - *mean);
    *var = k > 1 ? sq / (k - 1) : NAN;
    return k;
}

void series_drift(const double *values, unsigned n, struct series_drift *out) {
    double mean_a, var_a, mean_b, var_b;
    unsigned k = n / 3;
    *out = (struct series_drift){.change = NAN};
    if (k < SERIES_DRIFT_MIN_SECONDS)
        return;
    unsigned ka = third(values, 0, k, &mean_a, &var_a);
    unsigned kb = third(values, n - k, n, &mean_b, &var_b);
    if (ka < SERIES_DRIFT_MIN_SECONDS || kb < SERIES_DRIFT_MIN_SECONDS || !(mean_a > 0))
        return;
    double difference = fabs(mean_b - mean_a);
    double standard_error = sqrt(var_a / ka + var_b / kb);
    out->is_judged = true;
    out->change = mean_b / mean_a - 1;
    out->is_drifted = difference > SERIES_DRIFT_MIN_CHANGE * mean_a &&
                      difference > SERIES_DRIFT_SIGMAS * standard_error;
}

void series_drift_text(const struct series_drifts *d, char *out, size_t cap) {
    const struct series_drift *metrics[] = {&d->rps, &d->p99};
    static const char *const names[] = {"rps", "p99"};
    size_t len = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < 2; i++) {
        if (!metrics[i]->is_drifted || len >= cap)
            continue;
        double pct = metrics[i]->change * 100;
        len += (size_t)snprintf(out + len, cap - len, "%s%s %s%.0f%%",
                                len ? ", " : "drifted: ", names[i], pct < 0 ? "−" : "+", fabs(pct));
    }
    if (len && len < cap)
        snprintf(out + len, cap - len, " over the window");
}

void series_judge_rows(const struct csv_table *t, size_t first, size_t n,
                       struct series_drifts *out) {
    double *rps = calloc(n + 1, sizeof(double)), *p99 = calloc(n + 1, sizeof(double));
    memset(out, 0, sizeof(*out));
    if (rps && p99) {
        for (size_t i = 0; i < n; i++) {
            char **f = t->rows[first + i].fields;
            rps[i] = strtod(f[SC_RPS], NULL);
            bool has_answers = rps[i] > 0;
            p99[i] = has_answers ? strtod(f[SC_P99_US], NULL) : NAN;
        }
        series_drift(rps, (unsigned)n, &out->rps);
        series_drift(p99, (unsigned)n, &out->p99);
    }
    free(rps);
    free(p99);
}

/* ---- files ---- */

/* Every field of every row is a number. */
static int check_numbers(struct csv_table *t, unsigned from, char *err, size_t err_len) {
    for (size_t r = 0; r < t->nrows; r++)
        for (unsigned c = from; c < t->ncols; c++) {
            char *end;
            const char *v = t->rows[r].fields[c];
            strtod(v, &end);
            if (end == v || *end) {
                snprintf(err, err_len, "%s:%u: %s: '%s' is not a number", t->path, t->rows[r].line,
                         t->header[c], v);
                csv_table_free(t);
                return -1;
            }
        }
    return 0;
}

int series_read_loadgen(const char *path, struct csv_table *t, char *err, size_t err_len) {
    if (csv_read(path, SERIES_LOADGEN_HEADER, t, err, err_len) < 0)
        return -1;
    return check_numbers(t, 0, err, err_len);
}

int series_read(const char *path, struct csv_table *t, char *err, size_t err_len) {
    if (csv_read(path, SERIES_HEADER, t, err, err_len) < 0)
        return -1;
    return check_numbers(t, SC_CONNECTIONS, err, err_len);
}

void series_path_for(const char *csv, char *out, size_t cap) {
    size_t n = strlen(csv);
    snprintf(out, cap, "%.*s.series.csv", (int)(n > 4 && !strcmp(csv + n - 4, ".csv") ? n - 4 : n),
             csv);
}

bool series_same_measurement(const struct csv_row *a, const struct csv_row *b) {
    for (unsigned c = SC_RUN_ID; c <= SC_REPEAT; c++)
        if (strcmp(a->fields[c], b->fields[c]) != 0)
            return false;
    return true;
}

/* ---- one measurement's rows ---- */

/* bin/loadgen's field of row i, by its column's index in SERIES_LOADGEN_HEADER. */
static double lg_number(const struct csv_table *lg, size_t i, unsigned col) {
    return strtod(lg->rows[i].fields[col], NULL);
}

int series_format_rows(const struct series_key *key, const struct csv_table *lg,
                       const struct watch_log *log, double duration_s, char **text, size_t *len,
                       struct series_drifts *drifts) {
    enum { LG_SECOND, LG_REQUESTS, LG_ERRORS, LG_TIMEOUTS, LG_P50, LG_P99, LG_MAX };
    char prefix[1024], field[3][256];
    csv_field(field[0], sizeof(field[0]), key->run_id);
    csv_field(field[1], sizeof(field[1]), key->scenario);
    csv_field(field[2], sizeof(field[2]), key->model);
    snprintf(prefix, sizeof(prefix), "%s,%s,%s,%u,%u", field[0], field[1], field[2],
             key->connections, key->repeat);
    /* A row is the prefix and nine numbers of at most 24 characters each. */
    size_t n = lg->nrows < SERIES_MAX_SECONDS ? lg->nrows : SERIES_MAX_SECONDS;
    size_t cap = (strlen(prefix) + 9 * 25 + 2) * n + 1;
    double *cpu = calloc(n + 1, sizeof(double)), *rss = calloc(n + 1, sizeof(double));
    double *rps = calloc(n + 1, sizeof(double)), *p99 = calloc(n + 1, sizeof(double));
    char *out = malloc(cap);
    int rc = -1;
    if (!cpu || !rss || !rps || !p99 || !out)
        goto out;
    series_bucket(log->at, log->n, duration_s, (unsigned)n, cpu, rss);
    *len = 0;
    unsigned whole = 0; /* the whole seconds, for the drift rule */
    for (size_t i = 0; i < n; i++) {
        double second = lg_number(lg, i, LG_SECOND);
        double span = duration_s - second < 1 ? duration_s - second : 1;
        double requests = lg_number(lg, i, LG_REQUESTS);
        rps[i] = span > 0 ? requests / span : 0;
        p99[i] = requests > 0 ? lg_number(lg, i, LG_P99) : NAN;
        whole += span >= 1;
        *len += (size_t)snprintf(
            out + *len, cap - *len, "%s,%.0f,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,%.4f,%.0f\n", prefix,
            second, rps[i], lg_number(lg, i, LG_ERRORS), lg_number(lg, i, LG_TIMEOUTS),
            lg_number(lg, i, LG_P50), lg_number(lg, i, LG_P99), lg_number(lg, i, LG_MAX), cpu[i],
            rss[i]);
    }
    series_drift(rps, whole, &drifts->rps);
    series_drift(p99, whole, &drifts->p99);
    *text = out, out = NULL;
    rc = 0;
out:
    free(cpu), free(rss), free(rps), free(p99), free(out);
    return rc;
}
