/* test_merge.c — bench/merge.c: several HdrHistogram logs merged exactly,
 * the figures one histogram of all the values gives, per path and per
 * interval; never the average of the logs' percentiles. */
#include "../bench/merge.h"
#include "../common/hlog.h"
#include "../common/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define INTERVALS 3

static struct hist *new_hist(void) {
    struct hist *h = malloc(sizeof(*h));
    assert_non_null(h);
    hist_init(h);
    return h;
}

/* Writes a log of INTERVALS one-second intervals at base time 1000 s, each
 * with n values of /a (from 1 + x % spread µs) and n / 2 of /b (10x),
 * recording every value in all too (and /a's in a). */
static void write_log(const char *path, uint64_t seed, uint64_t spread, int n, struct hist *all,
                      struct hist *a) {
    char err[256];
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(hlog_write_header(out, "test_merge", 1000.0), 0);
    struct hist *both = new_hist(), *ha = new_hist(), *hb = new_hist();
    for (int t = 0; t < INTERVALS; t++) {
        hist_reset(both), hist_reset(ha), hist_reset(hb);
        for (int i = 0; i < n; i++) {
            uint64_t va = 1 + rng_splitmix64(&seed) % spread, vb = 10 * va;
            hist_record(ha, va), hist_record(both, va), hist_record(all, va), hist_record(a, va);
            if (i % 2 == 0)
                hist_record(hb, vb), hist_record(both, vb), hist_record(all, vb);
        }
        assert_int_equal(hlog_write_line(out, NULL, t, 1.0, both, err, sizeof(err)), 0);
        assert_int_equal(hlog_write_line(out, "/a", t, 1.0, ha, err, sizeof(err)), 0);
        assert_int_equal(hlog_write_line(out, "/b", t, 1.0, hb, err, sizeof(err)), 0);
    }
    fclose(out);
    free(both), free(ha), free(hb);
}

static void assert_same_histogram(const struct hist *merged, const struct hist *truth) {
    assert_non_null(merged);
    assert_int_equal(merged->total_count, truth->total_count);
    for (unsigned i = 0; i < HIST_COUNTS; i++)
        if (merged->counts[i] != truth->counts[i])
            fail_msg("slot %u: merged %llu, one histogram %llu", i,
                     (unsigned long long)merged->counts[i], (unsigned long long)truth->counts[i]);
    static const double ps[] = {50, 90, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_int_equal(hist_value_at_percentile(merged, ps[i]),
                         hist_value_at_percentile(truth, ps[i]));
}

/* Two slices whose loads differ, as two logs (seeds 1 and 2 of write_log),
 * merged into mg; each slice's values also in all[i] and its /a's in a[i]. */
struct two_slices {
    struct merge mg;
    struct hist *all[2], *a[2];
};

static void merge_two_slices(struct two_slices *t, uint64_t spread0, int n0, uint64_t spread1,
                             int n1) {
    char dir[] = "/tmp/test_merge.XXXXXX", path[2][64], err[512];
    const uint64_t spreads[2] = {spread0, spread1};
    const int ns[2] = {n0, n1};
    assert_non_null(mkdtemp(dir));
    assert_int_equal(merge_init(&t->mg), 0);
    for (int i = 0; i < 2; i++) {
        snprintf(path[i], sizeof(path[i]), "%s/%d.hlog", dir, i);
        t->all[i] = new_hist(), t->a[i] = new_hist();
        write_log(path[i], (uint64_t)i + 1, spreads[i], ns[i], t->all[i], t->a[i]);
        if (merge_add_file(&t->mg, path[i], err, sizeof(err)) < 0)
            fail_msg("%s", err);
        unlink(path[i]);
    }
    rmdir(dir);
}

static void free_two_slices(struct two_slices *t) {
    merge_free(&t->mg);
    for (int i = 0; i < 2; i++)
        free(t->all[i]), free(t->a[i]);
}

static void test_two_logs_merge_to_exactly_one_histogram_of_all_values(void **state) {
    (void)state;
    static struct two_slices t;
    /* A fast slice with many values, a slow one with few. */
    merge_two_slices(&t, 2000, 20000, 400000, 2000);
    struct hist *all = new_hist(), *a = new_hist();
    for (int i = 0; i < 2; i++)
        hist_merge(all, t.all[i]), hist_merge(a, t.a[i]);
    assert_int_equal(t.mg.files, 2);
    assert_same_histogram(merge_hist(&t.mg, NULL), all);
    assert_same_histogram(merge_hist(&t.mg, "/a"), a);
    assert_null(merge_hist(&t.mg, "/c"));
    /* The intervals line up across the files: both files in each, counts added. */
    assert_int_equal(t.mg.nintervals, INTERVALS);
    uint64_t total = 0;
    for (unsigned i = 0; i < t.mg.nintervals; i++) {
        assert_int_equal(t.mg.intervals[i].files, 2);
        assert_true(t.mg.intervals[i].start_epoch_s == 1000.0 + i);
        total += t.mg.intervals[i].hist->total_count;
    }
    assert_int_equal(total, all->total_count);
    free(all), free(a);
    free_two_slices(&t);
}

static void test_the_merged_p99_is_not_the_average_of_the_p99s(void **state) {
    (void)state;
    static struct two_slices t;
    merge_two_slices(&t, 1000, 10000, 100000, 1000);
    uint64_t merged = hist_value_at_percentile(merge_hist(&t.mg, NULL), 99);
    uint64_t fast = hist_value_at_percentile(t.all[0], 99);
    uint64_t averaged = (fast + hist_value_at_percentile(t.all[1], 99)) / 2;
    /* The slow slice holds 1/11 of the values, and its slowest 11% are the
     * merged top 1%: the merged p99 is within its range, not midway. */
    print_message("merged p99 %llu us, average of the two p99s %llu us\n",
                  (unsigned long long)merged, (unsigned long long)averaged);
    assert_true(merged > fast);
    assert_true(merged > averaged + averaged / 10 || merged < averaged - averaged / 10);
    free_two_slices(&t);
}

static void test_a_bad_line_is_named_by_file_line_and_column(void **state) {
    (void)state;
    static struct merge mg;
    char path[] = "/tmp/test_merge.XXXXXX", err[512] = "";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    dprintf(fd, "#[Histogram log format version 1.3]\n0.000,1.000,2.047,HISTFAAAnot-base64!\n");
    close(fd);
    assert_int_equal(merge_init(&mg), 0);
    assert_int_equal(merge_add_file(&mg, path, err, sizeof(err)), -1);
    char expected[64];
    snprintf(expected, sizeof(expected), "%s:2:", path);
    if (strncmp(err, expected, strlen(expected)) != 0)
        fail_msg("got '%s'", err);
    assert_int_equal(merge_add_file(&mg, "/nonexistent.hlog", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent.hlog"));
    merge_free(&mg);
    unlink(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_logs_merge_to_exactly_one_histogram_of_all_values),
        cmocka_unit_test(test_the_merged_p99_is_not_the_average_of_the_p99s),
        cmocka_unit_test(test_a_bad_line_is_named_by_file_line_and_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
