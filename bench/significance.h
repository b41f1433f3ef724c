/*
 * significance.h — is the difference between two sets of repeats real?
 * The Mann-Whitney U test, two-sided at α = 0.05, as google/benchmark's
 * tools/gbench/report.py calls scipy.stats.mannwhitneyu on the repeats of
 * two runs, and the effect as the ratio of the medians (b over a) with a
 * 95% bootstrap confidence interval over the repeats.
 *
 * The U test is exact: the p-value is the share of all
 * C(na+nb, na) ways to split the pooled repeats into a group of na that
 * lie as far from the mean rank as a does (midranks for ties; without
 * ties this is the distribution scipy's method='exact' and the published
 * critical-value tables use), counted by rank sum so it stays exact at
 * any size up to SIG_MAX_REPEATS a side (scipy falls back to the normal
 * approximation beyond 8). With fewer than SIG_MIN_REPEATS a side nothing is
 * called: four a side is the fewest at which a two-sided 0.05 test can
 * reject at all (the smallest exact p for 3+3 is 0.1).
 *
 * The bootstrap draws both sides with replacement SIG_BOOTSTRAP_DRAWS
 * times from splitmix64 (common/rng.h) started at the caller's seed, so
 * the same repeats and seed give the same interval.
 *
 * Pure functions over the caller's arrays, which they do not keep or
 * modify; safe from any thread.
 */
#ifndef SHOWDOWN_BENCH_SIGNIFICANCE_H
#define SHOWDOWN_BENCH_SIGNIFICANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIG_ALPHA           0.05
#define SIG_MIN_REPEATS     4
#define SIG_BOOTSTRAP_DRAWS 2000
/* The most repeats a side sig_compare reads (bench's EX_MAX_SAMPLES). */
#define SIG_MAX_REPEATS 64

struct sig_result {
    size_t na, nb;          /* the repeats each side had */
    bool is_callable;       /* both sides have at least SIG_MIN_REPEATS */
    double u;               /* U of a: pairs (a_i, b_j) with a_i > b_j, ties ½ */
    double p;               /* two-sided, at any size (called only if is_callable) */
    bool differs;           /* is_callable and p < SIG_ALPHA */
    double ratio;           /* median(b) / median(a); NAN when median(a) is 0 */
    double ci_low, ci_high; /* the ratio's 95% bootstrap interval; NAN as ratio */
};

/* Compares repeats b against repeats a (na, nb ≥ 1, at most
 * SIG_MAX_REPEATS each; more are ignored) and fills *out. Never fails:
 * out of memory leaves p at 1 and nothing called. */
void sig_compare(const double *a, size_t na, const double *b, size_t nb, uint64_t seed,
                 struct sig_result *out);

/* The U test alone: fills *u (U of a) and *p (two-sided, exact). Any
 * sizes ≥ 1 up to SIG_MAX_REPEATS. Returns 0, or -1 when out of memory
 * (then *p is 1). */
int sig_mann_whitney(const double *a, size_t na, const double *b, size_t nb, double *u, double *p);

/* One line for a person, e.g. "x1.12 [1.05, 1.20], p=0.008 (U=0, 5+5): differs"
 * or "x1.12 [0.97, 1.31], too few repeats to call it (3+3, the U test needs 4
 * a side)". Returns buf. */
char *sig_format(const struct sig_result *r, char *buf, size_t size);

#endif
