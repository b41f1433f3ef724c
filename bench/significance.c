/* significance.c — see significance.h. */
#include "significance.h"

#include "../common/rng.h"
#include "expr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Twice each value's midrank in the pooled sample (ranks from 1, ties
 * share the mean of their ranks), so that every rank sum is an integer. */
static void doubled_midranks(const double *pooled, size_t n, long *rank2) {
    for (size_t i = 0; i < n; i++) {
        size_t below = 0, equal = 0;
        for (size_t j = 0; j < n; j++) {
            below += pooled[j] < pooled[i];
            equal += pooled[j] == pooled[i];
        }
        /* The tied run holds ranks below+1 … below+equal; twice their mean. */
        rank2[i] = (long)(2 * below + equal + 1);
    }
}

/*
 * ways[k * width + s]: how many subsets of k of the pooled values have
 * doubled ranks summing to s — the rank-sum distribution under the null,
 * built one value at a time as a 0/1 knapsack (k runs down so each value
 * is taken at most once). Returns the share of the C(n, na) subsets of na
 * whose sum lies at least as far from the mean na·(n+1) as observed.
 */
static double exact_two_sided(const long *rank2, size_t n, size_t na, long observed) {
    long width = 0;
    for (size_t i = 0; i < n; i++)
        width += rank2[i];
    width++;
    double *ways = calloc((na + 1) * (size_t)width, sizeof(*ways));
    if (!ways)
        return -1;
    ways[0] = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t k = (i + 1 < na ? i + 1 : na); k >= 1; k--)
            for (long s = width - 1; s >= rank2[i]; s--)
                ways[k * width + s] += ways[(k - 1) * width + s - rank2[i]];
    long mean2 = (long)(na * (n + 1)), far = labs(observed - mean2);
    double extreme = 0, all = 0;
    for (long s = 0; s < width; s++) {
        all += ways[na * width + s];
        if (labs(s - mean2) >= far)
            extreme += ways[na * width + s];
    }
    free(ways);
    return extreme / all;
}

int sig_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u, double *p) {
    double pooled[2 * SIG_MAX_REPEATS];
    long rank2[2 * SIG_MAX_REPEATS], sum2 = 0;
    na = na < SIG_MAX_REPEATS ? na : SIG_MAX_REPEATS;
    nb = nb < SIG_MAX_REPEATS ? nb : SIG_MAX_REPEATS;
    memcpy(pooled, a, na * sizeof(*a));
    memcpy(pooled + na, b, nb * sizeof(*b));
    doubled_midranks(pooled, na + nb, rank2);
    for (size_t i = 0; i < na; i++)
        sum2 += rank2[i];
    /* U = R_a − na(na+1)/2: the pairs a wins, a tie counting one half. */
    *u = sum2 / 2.0 - na * (na + 1) / 2.0;
    *p = exact_two_sided(rank2, na + nb, na, sum2);
    if (*p < 0)
        return *p = 1, -1;
    return 0;
}

/* The median of n values drawn with replacement from v. */
static double resampled_median(const double *v, size_t n, uint64_t *state) {
    double draw[SIG_MAX_REPEATS];
    for (size_t i = 0; i < n; i++)
        draw[i] = v[rng_splitmix64(state) % n];
    return ex_median(draw, (unsigned)n);
}

/* The percentile bootstrap: the 2.5th and 97.5th percentiles of the
 * ratio of medians over SIG_BOOTSTRAP_DRAWS resamples of both sides. */
static void bootstrap_ratio(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                            double *low, double *high) {
    static const size_t draws = SIG_BOOTSTRAP_DRAWS;
    double ratios[SIG_BOOTSTRAP_DRAWS];
    uint64_t state = seed;
    for (size_t i = 0; i < draws; i++) {
        double ma = resampled_median(a, na, &state), mb = resampled_median(b, nb, &state);
        ratios[i] = ma > 0 ? mb / ma : INFINITY;
    }
    ex_median(ratios, (unsigned)draws); /* sorts them */
    *low = ratios[(size_t)(0.025 * draws)];
    *high = ratios[(size_t)(0.975 * draws) - 1];
}

void sig_compare(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                 struct sig_result *out) {
    double copy_a[SIG_MAX_REPEATS], copy_b[SIG_MAX_REPEATS];
    na = na < SIG_MAX_REPEATS ? na : SIG_MAX_REPEATS;
    nb = nb < SIG_MAX_REPEATS ? nb : SIG_MAX_REPEATS;
    *out = (struct sig_result){
        .na = na, .nb = nb, .p = 1, .ratio = NAN, .ci_low = NAN, .ci_high = NAN};
    if (na == 0 || nb == 0)
        return;
    int rc = sig_mann_whitney(a, na, b, nb, &out->u, &out->p);
    out->is_callable = rc == 0 && na >= SIG_MIN_REPEATS && nb >= SIG_MIN_REPEATS;
    out->differs = out->is_callable && out->p < SIG_ALPHA;
    memcpy(copy_a, a, na * sizeof(*a));
    memcpy(copy_b, b, nb * sizeof(*b));
    double median_a = ex_median(copy_a, (unsigned)na), median_b = ex_median(copy_b, (unsigned)nb);
    if (median_a == 0)
        return;
    out->ratio = median_b / median_a;
    bootstrap_ratio(a, na, b, nb, seed, &out->ci_low, &out->ci_high);
}

char *sig_format(const struct sig_result *r, char *buf, size_t size) {
    int n = isnan(r->ratio)
                ? snprintf(buf, size, "x? (A's median is 0)")
                : snprintf(buf, size, "x%.2f [%.2f, %.2f]", r->ratio, r->ci_low, r->ci_high);
    size_t used = n < 0 ? 0 : (size_t)n < size ? (size_t)n : size;
    if (!r->is_callable)
        snprintf(buf + used, size - used,
                 ", too few repeats to call it (%zu+%zu, the U test needs %d a side)", r->na, r->nb,
                 SIG_MIN_REPEATS);
    else
        snprintf(buf + used, size - used, ", p=%.3g (U=%g, %zu+%zu): %s", r->p, r->u, r->na, r->nb,
                 r->differs ? "differs" : "no difference");
    return buf;
}
