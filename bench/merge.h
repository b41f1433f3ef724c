/*
 * merge.h — `bin/bench merge FILE.hlog...`: several HdrHistogram interval
 * logs (common/hlog.h; one a bin/loadgen slice, --segment I/N) merged
 * exactly. Merging adds the counts of the histograms, slot by slot, and
 * reads the percentiles off the sum: the figures one histogram of all
 * the values would give. Percentiles are never averaged (an average of
 * p99s is not the p99 of anything, and is too low when loads differ).
 *
 * Per tag (a path, Tag=), overall (the untagged lines: every path of an
 * interval), and per interval (the untagged lines of every file starting
 * at the same instant, StartTime + StartTimestamp rounded to the ms).
 *
 * Contract: a struct merge owns its histograms (about 190 KiB each);
 * merge_free() releases them; one thread.
 */
#ifndef SHOWDOWN_BENCH_MERGE_H
#define SHOWDOWN_BENCH_MERGE_H

#include "../common/hist.h"

#include <stddef.h>
#include <stdio.h>

#define MERGE_MAX_TAGS      64
#define MERGE_MAX_INTERVALS 4096

struct merge_tag {
    char name[256];
    struct hist *hist;
};

struct merge_interval {
    double start_epoch_s; /* StartTime + StartTimestamp (or BaseTime + ...) */
    double length_s;
    unsigned files; /* how many files had a line for it */
    struct hist *hist;
};

struct merge {
    unsigned files;
    struct hist *all; /* the untagged lines */
    struct merge_tag tags[MERGE_MAX_TAGS];
    unsigned ntags;
    struct merge_interval intervals[MERGE_MAX_INTERVALS]; /* in order of start */
    unsigned nintervals;
    unsigned file_intervals; /* the current file's, to count files per interval */
};

/* An empty merge. Returns 0, or -1 (out of memory). */
int merge_init(struct merge *mg);
void merge_free(struct merge *mg);

/* Adds every line of the .hlog at path. Returns 0, or -1 with "FILE:LINE:
 * COL: reason" in err (the merge then holds the lines before it). */
int merge_add_file(struct merge *mg, const char *path, char *err, size_t err_len);

/* The merged histogram of tag (NULL: the untagged lines, all paths), or
 * NULL when no line had it. */
const struct hist *merge_hist(const struct merge *mg, const char *tag);

/* The merged figures as text: overall, per tag, per interval. */
void merge_print(const struct merge *mg, FILE *out);

/* Appends the rows (merge_csv_header's columns) to the CSV at path,
 * writing the header first when the file is new or empty. Returns 0, or
 * -1 with the reason (naming the file) in err. */
int merge_append_csv(const struct merge *mg, const char *path, char *err, size_t err_len);

/* kind is "all" (the untagged lines), "tag" (one path) or "interval"
 * (the untagged lines of one interval, across files). */
extern const char merge_csv_header[];

#endif
