/* test_hlog.c — HdrHistogram interval logs: the encoding round trip, count
 * for count; a log file read back; bad lines named by file, line, column. */
#include "../common/hlog.h"
#include "../common/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct hist *new_hist(void) {
    struct hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    hist_init(h);
    return h;
}

static void assert_same_counts(const struct hist *a, const struct hist *b) {
    assert_int_equal(a->total_count, b->total_count);
    for (unsigned i = 0; i < HIST_COUNTS; i++)
        if (a->counts[i] != b->counts[i])
            fail_msg("slot %u: %llu != %llu", i, (unsigned long long)a->counts[i],
                     (unsigned long long)b->counts[i]);
}

static struct hist *round_trip(const struct hist *h) {
    char err[256], *encoded;
    struct hist *back = new_hist();
    assert_int_equal(hlog_encode(h, &encoded, err, sizeof(err)), 0);
    assert_int_equal(strncmp(encoded, "HISTF", 5), 0); /* the V2 compressed cookie in base64 */
    if (hlog_decode_hist(encoded, strlen(encoded), back, err, sizeof(err)) < 0)
        fail_msg("decode: %s", err);
    free(encoded);
    return back;
}

static void test_every_slot_comes_back_with_its_exact_count(void **state) {
    (void)state;
    struct hist *h = new_hist();
    /* One value in every µs slot, a different count each, 1 µs .. 1 hour. */
    for (uint64_t v = 1; v <= HIST_HIGHEST; v = hist_highest_equivalent(v) + 1)
        hist_record_n(h, v, 1 + v % 97);
    struct hist *back = round_trip(h);
    assert_same_counts(h, back);
    free(h);
    free(back);
}

static void test_random_latencies_keep_every_percentile(void **state) {
    (void)state;
    struct hist *h = new_hist();
    uint64_t rng = 42;
    for (int i = 0; i < 100000; i++)
        hist_record(h, 1 + rng_splitmix64(&rng) % 3000000);
    struct hist *back = round_trip(h);
    assert_same_counts(h, back);
    const double percentiles[] = {50, 90, 99, 99.9};
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(hist_lowest_equivalent(hist_value_at_percentile(h, percentiles[i])),
                         hist_lowest_equivalent(hist_value_at_percentile(back, percentiles[i])));
    free(h);
    free(back);
}

static void test_an_empty_histogram_encodes_and_decodes_empty(void **state) {
    (void)state;
    struct hist *h = new_hist();
    struct hist *back = round_trip(h);
    assert_int_equal(back->total_count, 0);
    free(h);
    free(back);
}

static int sum_counts(void *arg, uint64_t lowest_ns, uint64_t highest_ns, uint64_t count) {
    uint64_t *sums = arg;
    assert_true(lowest_ns <= highest_ns);
    sums[0] += count;
    sums[1] = highest_ns;
    return 0;
}

static void test_slots_are_nanoseconds_within_the_microsecond_recorded(void **state) {
    (void)state;
    struct hist *h = new_hist();
    char err[256], *encoded;
    uint64_t sums[2] = {0, 0};
    hist_record_n(h, 1234, 7); /* 1234 µs: 1,234,000 .. 1,234,999 ns */
    assert_int_equal(hlog_encode(h, &encoded, err, sizeof(err)), 0);
    assert_int_equal(
        hlog_decode_counts(encoded, strlen(encoded), sum_counts, sums, err, sizeof(err)), 0);
    assert_int_equal(sums[0], 7);
    assert_in_range(sums[1], 1234000, 1234999);
    free(encoded);
    free(h);
}

/* Damaged lines: not base64, another cookie, a broken deflate stream. */
static void test_corrupt_encodings_are_refused_with_a_reason(void **state) {
    (void)state;
    char err[256];
    struct hist *h = new_hist();
    assert_int_equal(hlog_decode_hist("HISTF!AA", 8, h, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "base64"));
    assert_int_equal(hlog_decode_hist("AAAAAAAA", 8, h, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "cookie"));
    char *encoded;
    hist_record(h, 5);
    assert_int_equal(hlog_encode(h, &encoded, err, sizeof(err)), 0);
    size_t len = strlen(encoded);
    encoded[len - 6] = encoded[len - 6] == 'A' ? 'B' : 'A'; /* damage the deflate stream */
    assert_int_equal(hlog_decode_hist(encoded, len, h, err, sizeof(err)), -1);
    free(encoded);
    free(h);
}

/* A line hdr-histogram-js 3.0.1 wrote (HistogramLogWriter, 3 significant
 * figures, its normalizing index offset 1): 1,017 .. 10,000,017 ns, the
 * values i * 1000 + 17 ns for i = 1 .. 10000, recorded once each. */
static const char js_line[] =
    "HISTFAAAANh4nJNpmSzMwCDyjoGBgZGBgYGZAQIYGRiY3Qx2LGCA8T/yM53lZ2rmYHrKzjSThekj"
    "MxQtZmL6zogFLWdkqmaqxIMzmWyZrMGQXFqXSZZJmkkWSiJY9OTzgiE3lMbOGv7yrHDIjMTGL0q8"
    "ylH9Q0k/MxMDBsQihB1SX+Go5aOWj1pOT8sxAAumEA5AtEoaGDlq+ajlo5ZTbiQLBmDDFMIqRjfB"
    "UctHLR+1nEaCHBDAxcGBwSJekBw9VDNo1PJRy0ctJ9cgAQEhAQHsBPGC9JLBoZwHALSDguE=";

static void test_a_histogram_hdr_histogram_js_wrote_decodes(void **state) {
    (void)state;
    char err[256];
    struct hist *h = new_hist();
    if (hlog_decode_hist(js_line, strlen(js_line), h, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(h->total_count, 10000);
    /* Its ns slots are 3 figures wide: within 0.1% of the value recorded. */
    assert_in_range(hist_value_at_percentile(h, 50), 4995, 5005);
    assert_in_range(hist_value_at_percentile(h, 99), 9890, 9910);
    assert_in_range(hist_max(h), 9990, 10010);
    free(h);
}

struct seen {
    unsigned lines, tagged;
    uint64_t total, max_us;
    double base;
};

static int count_lines(void *arg, const struct hlog_entry *entry) {
    struct seen *seen = arg;
    seen->lines++;
    seen->base = entry->base_time_s;
    if (entry->tag) {
        assert_string_equal(entry->tag, "/hello");
        seen->tagged++;
        return 0;
    }
    seen->total += entry->hist->total_count;
    seen->max_us = entry->hist->max;
    return 0;
}

static void test_a_written_log_reads_back_line_by_line(void **state) {
    (void)state;
    char path[] = "/tmp/test_hlog_XXXXXX", err[256];
    int fd = mkstemp(path);
    FILE *out = fdopen(fd, "w");
    struct hist *h = new_hist();
    struct seen seen = {0};

    hist_record_n(h, 100, 10);
    hist_record(h, 123457); /* the exact max survives through Interval_Max */
    assert_int_equal(hlog_write_header(out, "showdown test", 1764632074.25), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(hlog_write_line(out, NULL, i, 1.0, h, err, sizeof(err)), 0);
        assert_int_equal(hlog_write_line(out, "/hello", i, 1.0, h, err, sizeof(err)), 0);
    }
    assert_int_equal(hlog_write_line(out, "a,b", 3, 1.0, h, err, sizeof(err)), -1);
    fclose(out);
    if (hlog_read_file(path, count_lines, &seen, err, sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(seen.lines, 6);
    assert_int_equal(seen.tagged, 3);
    assert_int_equal(seen.total, 33);
    assert_int_equal(seen.max_us, 123457);
    assert_true(seen.base > 1764632074.2 && seen.base < 1764632074.3);
    unlink(path);
    free(h);
}

static void test_a_bad_line_is_named_by_file_line_and_column(void **state) {
    (void)state;
    char path[] = "/tmp/test_hlog_XXXXXX", err[512];
    int fd = mkstemp(path);
    FILE *out = fdopen(fd, "w");
    struct seen seen = {0};

    fputs("#[Histogram log format version 1.3]\n", out);
    fputs("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_"
          "Histogram\"\n",
          out);
    fputs("0.000,1.000,x,HISTFAAA\n", out);
    fclose(out);
    assert_int_equal(hlog_read_file(path, count_lines, &seen, err, sizeof(err)), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s:3:13: expected Interval_Max", path);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got '%s', want '%s...'", err, want);
    out = fopen(path, "w");
    fputs("Tag=/a,0.000,1.000,1.000,HISTF###\n", out);
    fclose(out);
    assert_int_equal(hlog_read_file(path, count_lines, &seen, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:1:26: not base64", path);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got '%s', want '%s...'", err, want);
    assert_int_equal(hlog_read_file("/nonexistent.hlog", count_lines, &seen, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent.hlog: "));
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_slot_comes_back_with_its_exact_count),
        cmocka_unit_test(test_random_latencies_keep_every_percentile),
        cmocka_unit_test(test_an_empty_histogram_encodes_and_decodes_empty),
        cmocka_unit_test(test_slots_are_nanoseconds_within_the_microsecond_recorded),
        cmocka_unit_test(test_corrupt_encodings_are_refused_with_a_reason),
        cmocka_unit_test(test_a_histogram_hdr_histogram_js_wrote_decodes),
        cmocka_unit_test(test_a_written_log_reads_back_line_by_line),
        cmocka_unit_test(test_a_bad_line_is_named_by_file_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
