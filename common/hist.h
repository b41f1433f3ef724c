/*
 * hist.h — an HDR latency histogram: values 1 µs .. 1 hour, 3 significant
 * figures, fixed memory, O(1) record, mergeable.
 *
 * Written here because Debian ships HdrHistogram for Java and Go but not
 * for C (apt-cache search hdrhistogram). The layout is HdrHistogram_c's:
 * 2048 sub-buckets (3 significant figures), each bucket twice the range of
 * the one before with half its sub-buckets overlapping, so a value's slot
 * is found with one count-leading-zeros and two shifts, and every value is
 * kept within 1/2048 of what was recorded. Output follows HdrHistogram's
 * percentile-distribution text (.hgrm), which its plotter reads.
 *
 * Contract: a struct hist is plain memory owned by the caller (about 190
 * KiB); one writer at a time; merge threads' histograms at the end.
 */
#ifndef SHOWDOWN_HIST_H
#define SHOWDOWN_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_LOWEST      1ull          /* 1 µs */
#define HIST_HIGHEST     3600000000ull /* 1 hour in µs */
#define HIST_SIG_FIGURES 3
#define HIST_SUB_BUCKETS 2048 /* 2 * 10^3 rounded up to a power of two */
#define HIST_BUCKETS     22   /* enough for HIST_HIGHEST */
#define HIST_COUNTS      ((HIST_BUCKETS + 1) * (HIST_SUB_BUCKETS / 2))

struct hist {
    uint64_t total_count;
    uint64_t min, max; /* exact recorded extremes; min is UINT64_MAX when empty */
    double sum;        /* for the exact mean */
    double sum_sq;     /* for the standard deviation */
    uint64_t counts[HIST_COUNTS];
};

void hist_init(struct hist *h);
void hist_reset(struct hist *h);

/* Records one value (µs); values beyond the range are clamped to it. */
void hist_record(struct hist *h, uint64_t value);
void hist_record_n(struct hist *h, uint64_t value, uint64_t count);

/* Adds every count of src into dst. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The value at a percentile (0..100): the highest value equivalent to the
 * smallest recorded value with at least that share of counts at or below it,
 * as HdrHistogram's getValueAtPercentile. 0 when empty. */
uint64_t hist_value_at_percentile(const struct hist *h, double percentile);

double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);
uint64_t hist_max(const struct hist *h);
uint64_t hist_min(const struct hist *h);

/* Share of recorded values within mean ± one standard deviation, 0..100 (wrk's "+/- Stdev"). */
double hist_within_stddev(const struct hist *h);

/* Values that land in the same slot are equivalent: the bounds of v's slot. */
uint64_t hist_lowest_equivalent(uint64_t value);
uint64_t hist_highest_equivalent(uint64_t value);

/*
 * Writes the percentile distribution in HdrHistogram's text format
 * (ticks_per_half_distance steps per halving of the remaining percentile
 * distance; values divided by value_scale, e.g. 1000 for milliseconds).
 * Returns 0, or -1 on a write error.
 */
int hist_write_hgrm(const struct hist *h, FILE *out, int ticks_per_half_distance,
                    double value_scale);

#endif
