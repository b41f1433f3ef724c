/* hist.c — see hist.h. Index arithmetic after HdrHistogram_c (unit magnitude 0). */
#include "hist.h"

#include <math.h>
#include <string.h>

#define SUB_BUCKET_HALF_MAGNITUDE 10 /* log2(HIST_SUB_BUCKETS / 2) */
#define SUB_BUCKET_HALF           (HIST_SUB_BUCKETS / 2)
#define SUB_BUCKET_MASK           ((uint64_t)HIST_SUB_BUCKETS - 1)

static unsigned bucket_of(uint64_t value) {
    /* Values below HIST_SUB_BUCKETS are in bucket 0, exactly. */
    return (unsigned)(64 - __builtin_clzll(value | SUB_BUCKET_MASK)) -
           (SUB_BUCKET_HALF_MAGNITUDE + 1);
}

static unsigned index_of(uint64_t value) {
    unsigned bucket = bucket_of(value);
    unsigned sub_bucket = (unsigned)(value >> bucket);
    return ((bucket + 1) << SUB_BUCKET_HALF_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF;
}

static uint64_t value_of(unsigned index) {
    int bucket = (int)(index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
    unsigned sub_bucket = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
    if (bucket < 0) {
        sub_bucket -= SUB_BUCKET_HALF;
        bucket = 0;
    }
    return (uint64_t)sub_bucket << bucket;
}

uint64_t hist_lowest_equivalent(uint64_t value) {
    unsigned bucket = bucket_of(value);
    return (value >> bucket) << bucket;
}

uint64_t hist_highest_equivalent(uint64_t value) {
    unsigned bucket = bucket_of(value);
    return hist_lowest_equivalent(value) + (1ull << bucket) - 1;
}

void hist_init(struct hist *h) {
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void hist_reset(struct hist *h) {
    hist_init(h);
}

static uint64_t clamp(uint64_t value) {
    if (value < HIST_LOWEST)
        return HIST_LOWEST;
    return value > HIST_HIGHEST ? HIST_HIGHEST : value;
}

void hist_record_n(struct hist *h, uint64_t value, uint64_t count) {
    value = clamp(value);
    h->counts[index_of(value)] += count;
    h->total_count += count;
    h->sum += (double)value * (double)count;
    h->sum_sq += (double)value * (double)value * (double)count;
    if (value < h->min)
        h->min = value;
    if (value > h->max)
        h->max = value;
}

void hist_record(struct hist *h, uint64_t value) {
    hist_record_n(h, value, 1);
}

void hist_merge(struct hist *dst, const struct hist *src) {
    if (src->total_count == 0)
        return;
    for (unsigned i = 0; i < HIST_COUNTS; i++)
        dst->counts[i] += src->counts[i];
    dst->total_count += src->total_count;
    dst->sum += src->sum;
    dst->sum_sq += src->sum_sq;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t hist_value_at_percentile(const struct hist *h, double percentile) {
    if (h->total_count == 0)
        return 0;
    if (percentile < 0)
        percentile = 0;
    if (percentile > 100)
        percentile = 100;
    uint64_t wanted = (uint64_t)(percentile / 100.0 * (double)h->total_count + 0.5);
    if (wanted < 1)
        wanted = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_COUNTS; i++) {
        seen += h->counts[i];
        if (seen >= wanted) {
            uint64_t value = hist_highest_equivalent(value_of(i));
            /* Never report beyond what was recorded. */
            return value > h->max ? h->max : value;
        }
    }
    return h->max;
}

double hist_mean(const struct hist *h) {
    return h->total_count ? h->sum / (double)h->total_count : 0;
}

double hist_stddev(const struct hist *h) {
    if (h->total_count < 2)
        return 0;
    double mean = hist_mean(h);
    double variance = h->sum_sq / (double)h->total_count - mean * mean;
    return variance > 0 ? sqrt(variance) : 0;
}

uint64_t hist_max(const struct hist *h) {
    return h->max;
}

uint64_t hist_min(const struct hist *h) {
    return h->total_count ? h->min : 0;
}

double hist_within_stddev(const struct hist *h) {
    if (h->total_count == 0)
        return 0;
    double mean = hist_mean(h), stddev = hist_stddev(h);
    double low = mean - stddev, high = mean + stddev;
    uint64_t within = 0;
    for (unsigned i = 0; i < HIST_COUNTS; i++) {
        if (h->counts[i] == 0)
            continue;
        double value = (double)value_of(i);
        if (value >= low && value <= high)
            within += h->counts[i];
    }
    return 100.0 * (double)within / (double)h->total_count;
}

/* One row of the distribution: value, percentile, count so far, 1/(1-p). */
static int hgrm_row(FILE *out, uint64_t value, double percentile, uint64_t count, double scale) {
    double fraction = percentile / 100.0;
    double inverse = fraction < 1.0 ? 1.0 / (1.0 - fraction) : INFINITY;
    return fprintf(out, "%12.*f %12f %12llu %12.2f\n", HIST_SIG_FIGURES, (double)value / scale,
                   fraction, (unsigned long long)count, inverse) < 0
               ? -1
               : 0;
}

/*
 * HdrHistogram's percentile iterator: report at percentile_to_iterate_to,
 * then step by 100 / (ticks * 2^(floor(log2(100 / (100 - p))) + 1)), so the
 * rows get denser towards the tail; finish with a row at 100%.
 */
int hist_write_hgrm(const struct hist *h, FILE *out, int ticks_per_half_distance,
                    double value_scale) {
    double next_percentile = 0;
    uint64_t cumulative = 0;

    if (fprintf(out, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)") < 0)
        return -1;
    for (unsigned i = 0; i < HIST_COUNTS && cumulative < h->total_count; i++) {
        if (h->counts[i] == 0)
            continue;
        cumulative += h->counts[i];
        double current = 100.0 * (double)cumulative / (double)h->total_count;
        uint64_t value = hist_highest_equivalent(value_of(i));
        if (value > h->max)
            value = h->max;
        while (next_percentile <= current && next_percentile < 100.0) {
            if (hgrm_row(out, value, next_percentile, cumulative, value_scale) < 0)
                return -1;
            double half_distance = pow(2, floor(log2(100.0 / (100.0 - next_percentile))) + 1);
            next_percentile += 100.0 / (ticks_per_half_distance * half_distance);
            if (cumulative == h->total_count)
                break; /* the last value gets one row, then the 100% row */
        }
    }
    if (h->total_count > 0 && hgrm_row(out, h->max, 100.0, h->total_count, value_scale) < 0)
        return -1;
    if (fprintf(out,
                "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
                "#[Max     = %12.3f, Total count    = %12llu]\n"
                "#[Buckets = %12d, SubBuckets     = %12d]\n",
                hist_mean(h) / value_scale, hist_stddev(h) / value_scale,
                (double)hist_max(h) / value_scale, (unsigned long long)h->total_count, HIST_BUCKETS,
                HIST_SUB_BUCKETS) < 0)
        return -1;
    return 0;
}
