/*
 * merge.c — HdrHistogram interval logs merged by adding counts (see
 * merge.h), and `bin/bench merge`.
 */
#define _GNU_SOURCE
#include "merge.h"
#include "../common/csv.h"
#include "../common/hlog.h"
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct hist *new_hist(void) {
    struct hist *h = malloc(sizeof(*h));
    if (h)
        hist_init(h);
    return h;
}

int merge_init(struct merge *mg) {
    memset(mg, 0, sizeof(*mg));
    mg->all = new_hist();
    return mg->all ? 0 : -1;
}

void merge_free(struct merge *mg) {
    free(mg->all);
    for (unsigned i = 0; i < mg->ntags; i++)
        free(mg->tags[i].hist);
    for (unsigned i = 0; i < mg->nintervals; i++)
        free(mg->intervals[i].hist);
    memset(mg, 0, sizeof(*mg));
}

static struct hist *tag_hist(struct merge *mg, const char *tag) {
    for (unsigned i = 0; i < mg->ntags; i++)
        if (!strcmp(mg->tags[i].name, tag))
            return mg->tags[i].hist;
    if (mg->ntags == MERGE_MAX_TAGS)
        return NULL;
    struct merge_tag *t = &mg->tags[mg->ntags];
    snprintf(t->name, sizeof(t->name), "%s", tag);
    if (!(t->hist = new_hist()))
        return NULL;
    mg->ntags++;
    return t->hist;
}

/* The interval starting at start (to the ms), kept in order of start. */
static struct merge_interval *interval_at(struct merge *mg, double start, double length) {
    double key = round(start * 1000) / 1000;
    unsigned i = 0;
    while (i < mg->nintervals && mg->intervals[i].start_epoch_s < key)
        i++;
    if (i < mg->nintervals && mg->intervals[i].start_epoch_s == key)
        return &mg->intervals[i];
    struct hist *h = mg->nintervals < MERGE_MAX_INTERVALS ? new_hist() : NULL;
    if (!h)
        return NULL;
    memmove(&mg->intervals[i + 1], &mg->intervals[i],
            (mg->nintervals - i) * sizeof(mg->intervals[0]));
    mg->intervals[i] = (struct merge_interval){.start_epoch_s = key, .length_s = length, .hist = h};
    mg->nintervals++;
    return &mg->intervals[i];
}

struct adding {
    struct merge *mg;
    double last_start; /* the file's last untagged interval, counted once a file */
    bool has_last;
};

static int add_line(void *arg, const struct hlog_entry *e) {
    struct adding *a = arg;
    if (e->tag) {
        struct hist *h = tag_hist(a->mg, e->tag);
        if (!h)
            return -1;
        hist_merge(h, e->hist);
        return 0;
    }
    double start = (e->base_time_s ? e->base_time_s : e->start_time_s) + e->start_s;
    struct merge_interval *in = interval_at(a->mg, start, e->interval_s);
    if (!in)
        return -1;
    hist_merge(a->mg->all, e->hist);
    hist_merge(in->hist, e->hist);
    if (!a->has_last || a->last_start != in->start_epoch_s)
        in->files++;
    a->last_start = in->start_epoch_s;
    a->has_last = true;
    return 0;
}

int merge_add_file(struct merge *mg, const char *path, char *err, size_t err_len) {
    struct adding a = {.mg = mg};
    char why[512] = "";
    if (hlog_read_file(path, add_line, &a, why, sizeof(why)) < 0) {
        if (strstr(why, "stopped at"))
            return snprintf(err, err_len,
                            "%s (more than %d tags or %d intervals, or out of memory)", why,
                            MERGE_MAX_TAGS, MERGE_MAX_INTERVALS),
                   -1;
        return snprintf(err, err_len, "%s", why), -1;
    }
    mg->files++;
    return 0;
}

const struct hist *merge_hist(const struct merge *mg, const char *tag) {
    if (!tag)
        return mg->all->total_count ? mg->all : NULL;
    for (unsigned i = 0; i < mg->ntags; i++)
        if (!strcmp(mg->tags[i].name, tag))
            return mg->tags[i].hist;
    return NULL;
}

/* ---- output ---- */

static void print_hist(FILE *out, const char *label, const struct hist *h) {
    fprintf(out,
            "%-24s %10llu  mean %10.1f  p50 %9llu  p90 %9llu  p99 %9llu  p99.9 %9llu  max %9llu\n",
            label, (unsigned long long)h->total_count, hist_mean(h),
            (unsigned long long)hist_value_at_percentile(h, 50),
            (unsigned long long)hist_value_at_percentile(h, 90),
            (unsigned long long)hist_value_at_percentile(h, 99),
            (unsigned long long)hist_value_at_percentile(h, 99.9), (unsigned long long)hist_max(h));
}

void merge_print(const struct merge *mg, FILE *out) {
    fprintf(out, "merged %u logs (latency in us; counts added, never percentiles averaged)\n",
            mg->files);
    fprintf(out, "%-24s %10s\n", "", "count");
    print_hist(out, "all", mg->all);
    for (unsigned i = 0; i < mg->ntags; i++)
        print_hist(out, mg->tags[i].name, mg->tags[i].hist);
    fprintf(out, "\n%-17s %6s %5s %10s %10s %10s\n", "interval start", "length", "files", "count",
            "max_us", "p99_us");
    for (unsigned i = 0; i < mg->nintervals; i++) {
        const struct merge_interval *in = &mg->intervals[i];
        fprintf(out, "%17.3f %6.3f %5u %10llu %10llu %10llu\n", in->start_epoch_s, in->length_s,
                in->files, (unsigned long long)in->hist->total_count,
                (unsigned long long)hist_max(in->hist),
                (unsigned long long)hist_value_at_percentile(in->hist, 99));
    }
}

const char merge_csv_header[] = "files,kind,tag,interval_start,interval_s,count,lat_mean_us,"
                                "lat_p50_us,lat_p90_us,lat_p99_us,lat_p999_us,lat_max_us\n";

/* One CSV row at line (cap bytes); returns its length. */
static size_t csv_row(char *line, size_t cap, unsigned files, const char *kind, const char *tag,
                      double start, double length, const struct hist *h) {
    char field[600];
    csv_field(field, sizeof(field), tag);
    return (size_t)snprintf(line, cap, "%u,%s,%s,%.3f,%.3f,%llu,%.1f,%llu,%llu,%llu,%llu,%llu\n",
                            files, kind, field, start, length, (unsigned long long)h->total_count,
                            hist_mean(h), (unsigned long long)hist_value_at_percentile(h, 50),
                            (unsigned long long)hist_value_at_percentile(h, 90),
                            (unsigned long long)hist_value_at_percentile(h, 99),
                            (unsigned long long)hist_value_at_percentile(h, 99.9),
                            (unsigned long long)hist_max(h));
}

int merge_append_csv(const struct merge *mg, const char *path, char *err, size_t err_len) {
    FILE *out = fopen(path, "a");
    if (!out)
        return snprintf(err, err_len, "--csv %s: %s", path, strerror(errno)), -1;
    char line[1024];
    double first = mg->nintervals ? mg->intervals[0].start_epoch_s : 0;
    double last = mg->nintervals ? mg->intervals[mg->nintervals - 1].start_epoch_s +
                                       mg->intervals[mg->nintervals - 1].length_s
                                 : 0;
    if (ftell(out) == 0)
        fputs(merge_csv_header, out);
    csv_row(line, sizeof(line), mg->files, "all", "", first, last - first, mg->all);
    fputs(line, out);
    for (unsigned i = 0; i < mg->ntags; i++) {
        csv_row(line, sizeof(line), mg->files, "tag", mg->tags[i].name, first, last - first,
                mg->tags[i].hist);
        fputs(line, out);
    }
    for (unsigned i = 0; i < mg->nintervals; i++) {
        const struct merge_interval *in = &mg->intervals[i];
        csv_row(line, sizeof(line), in->files, "interval", "", in->start_epoch_s, in->length_s,
                in->hist);
        fputs(line, out);
    }
    if (ferror(out) | (fclose(out) != 0))
        return snprintf(err, err_len, "--csv %s: %s", path, strerror(errno)), -1;
    return 0;
}

int bench_merge(char **files, int count, const char *csv) {
    static struct merge mg;
    char err[1024] = "";
    if (merge_init(&mg) < 0)
        return fprintf(stderr, "bench: merge: out of memory\n"), 2;
    bool is_read = true;
    for (int i = 0; i < count && is_read; i++)
        is_read = merge_add_file(&mg, files[i], err, sizeof(err)) == 0;
    if (is_read)
        merge_print(&mg, stdout);
    bool is_done = is_read && (!csv || merge_append_csv(&mg, csv, err, sizeof(err)) == 0);
    if (!is_done)
        fprintf(stderr, "bench: %s\n", err);
    merge_free(&mg);
    return is_done ? 0 : 2;
}
