/* test_hist.c — the HDR histogram against exact statistics of known samples. */
#include "../common/hist.h"
#include "../common/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static int compare_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* An empty histogram on the heap (it is about 190 KiB); the test frees it. */
static struct hist *new_hist(void) {
    struct hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    hist_init(h);
    return h;
}

/* The exact percentile of sorted samples, as HdrHistogram defines it. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double percentile) {
    size_t rank = (size_t)(percentile / 100.0 * (double)n + 0.5);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* Within 3 significant figures: the same slot, i.e. off by less than 1/1024. */
static void assert_close(uint64_t got, uint64_t want) {
    uint64_t tolerance = want / 1024 + 1;
    uint64_t diff = got > want ? got - want : want - got;
    if (diff > tolerance)
        fail_msg("got %llu, want %llu (+/- %llu)", (unsigned long long)got,
                 (unsigned long long)want, (unsigned long long)tolerance);
}

static void test_percentiles_match_sorted_samples(void **state) {
    enum { N = 200000 };
    static const double percentiles[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
    struct hist *h = new_hist();
    uint64_t *samples = malloc(N * sizeof(*samples));
    uint64_t seed = 42;
    (void)state;
    assert_non_null(samples);
    for (size_t i = 0; i < N; i++) {
        /* Log-uniform from 1 µs to ~17 s: every bucket gets used. */
        unsigned shift = (unsigned)(rng_splitmix64(&seed) % 24);
        samples[i] = 1 + rng_splitmix64(&seed) % (1ull << shift);
        hist_record(h, samples[i]);
    }
    qsort(samples, N, sizeof(*samples), compare_u64);
    assert_int_equal(h->total_count, N);
    for (size_t i = 0; i < sizeof(percentiles) / sizeof(percentiles[0]); i++)
        assert_close(hist_value_at_percentile(h, percentiles[i]),
                     exact_percentile(samples, N, percentiles[i]));
    assert_int_equal(hist_max(h), samples[N - 1]);
    assert_int_equal(hist_min(h), samples[0]);
    double sum = 0;
    for (size_t i = 0; i < N; i++)
        sum += (double)samples[i];
    assert_true(hist_mean(h) > sum / N * 0.999999 && hist_mean(h) < sum / N * 1.000001);
    free(samples);
    free(h);
}

static void test_small_values_are_exact(void **state) {
    struct hist *h = new_hist();
    (void)state;
    for (uint64_t v = 1; v <= 2047; v++)
        hist_record(h, v);
    for (uint64_t v = 1; v <= 2047; v++) {
        assert_int_equal(hist_lowest_equivalent(v), v);
        assert_int_equal(hist_highest_equivalent(v), v);
    }
    assert_int_equal(hist_value_at_percentile(h, 50), 1024);
    /* Above 2048 slots widen: 2048 and 2049 share one. */
    assert_int_equal(hist_lowest_equivalent(2049), 2048);
    assert_int_equal(hist_highest_equivalent(2048), 2049);
    assert_int_equal(hist_lowest_equivalent(1000000), 999936);
    free(h);
}

static void test_bounds_are_clamped(void **state) {
    struct hist *h = new_hist();
    (void)state;
    assert_int_equal(hist_value_at_percentile(h, 50), 0);
    assert_int_equal(hist_max(h), 0);
    assert_int_equal(hist_min(h), 0);
    hist_record(h, 0);
    hist_record(h, HIST_HIGHEST);
    hist_record(h, UINT64_MAX);
    assert_int_equal(h->total_count, 3);
    assert_int_equal(hist_min(h), HIST_LOWEST);
    assert_int_equal(hist_max(h), HIST_HIGHEST);
    assert_int_equal(hist_value_at_percentile(h, 100), HIST_HIGHEST);
    assert_int_equal(hist_value_at_percentile(h, 0), HIST_LOWEST);
    free(h);
}

static void test_merge_equals_recording_into_one(void **state) {
    struct hist *a = new_hist(), *b = new_hist(), *all = new_hist();
    uint64_t seed = 7;
    (void)state;
    for (int i = 0; i < 50000; i++) {
        uint64_t v = 1 + rng_splitmix64(&seed) % 5000000;
        hist_record(i % 3 ? a : b, v);
        hist_record(all, v);
    }
    hist_merge(a, b);
    assert_int_equal(a->total_count, all->total_count);
    assert_memory_equal(a->counts, all->counts, sizeof(a->counts));
    assert_int_equal(hist_max(a), hist_max(all));
    assert_int_equal(hist_min(a), hist_min(all));
    assert_int_equal(hist_value_at_percentile(a, 99.9), hist_value_at_percentile(all, 99.9));
    hist_reset(a);
    assert_int_equal(a->total_count, 0);
    assert_int_equal(hist_value_at_percentile(a, 99), 0);
    free(a);
    free(b);
    free(all);
}

static void test_stddev_and_share_within(void **state) {
    struct hist *h = new_hist();
    (void)state;
    hist_record_n(h, 100, 50);
    hist_record_n(h, 300, 50);
    assert_true(hist_mean(h) > 199.999 && hist_mean(h) < 200.001);
    assert_true(hist_stddev(h) > 99.999 && hist_stddev(h) < 100.001);
    assert_true(hist_within_stddev(h) > 99.9);
    hist_record_n(h, 1000, 1);
    assert_true(hist_within_stddev(h) < 99.1);
    free(h);
}

/* The .hgrm text: header, rows that HdrHistogram's plotter reads, footer. */
static void test_hgrm_output_format(void **state) {
    struct hist *h = new_hist();
    char *text = NULL;
    size_t len = 0;
    (void)state;
    for (uint64_t v = 1; v <= 1000; v++)
        hist_record(h, v * 1000); /* 1 ms .. 1 s */
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(hist_write_hgrm(h, out, 5, 1000.0), 0);
    fclose(out);

    assert_true(strncmp(text,
                        "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
                        "       1.000     0.000000            1         1.00\n",
                        strlen("       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
                               "       1.000     0.000000            1         1.00\n")) == 0);
    assert_non_null(strstr(text, "     500.223     0.500000          500         2.00\n"));
    assert_non_null(strstr(text, "    1000.000     1.000000         1000          inf\n"));
    assert_non_null(strstr(text, "#[Mean    =      500.500, StdDeviation   =      288.675]\n"));
    assert_non_null(strstr(text, "#[Max     =     1000.000, Total count    =         1000]\n"));
    assert_non_null(strstr(text, "#[Buckets =           22, SubBuckets     =         2048]\n"));

    /* Rows: percentiles never decrease, counts never decrease, one 100% row. */
    double last_percentile = -1;
    unsigned long long last_count = 0;
    int rows = 0, full_rows = 0;
    for (char *line = strstr(text, "\n\n") + 2; line && *line && *line != '#';) {
        double value, percentile;
        unsigned long long count;
        assert_int_equal(sscanf(line, "%lf %lf %llu", &value, &percentile, &count), 3);
        assert_true(percentile >= last_percentile);
        assert_true(count >= last_count);
        full_rows += percentile == 1.0;
        last_percentile = percentile;
        last_count = count;
        rows++;
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    assert_true(rows > 40);
    assert_int_equal(full_rows, 1);
    free(text);
    free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_match_sorted_samples),
        cmocka_unit_test(test_small_values_are_exact),
        cmocka_unit_test(test_bounds_are_clamped),
        cmocka_unit_test(test_merge_equals_recording_into_one),
        cmocka_unit_test(test_stddev_and_share_within),
        cmocka_unit_test(test_hgrm_output_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
