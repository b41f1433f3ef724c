/*
 * hlog.h — HdrHistogram interval logs (.hlog): the format HdrHistogram's
 * own HistogramLogWriter writes (HdrHistogram/HdrHistogram,
 * src/main/java/org/HdrHistogram/HistogramLogWriter.java, log format 1.3)
 * and HistogramLogProcessor and the JavaScript and Python ports read; the
 * histogram in each line is the V2 compressed encoding of
 * HdrHistogram_c's src/hdr_histogram_log.c (hdr_encode_compressed):
 *
 *   base64( be32 0x1c849314  be32 LEN  zlib-deflate(
 *           be32 0x1c849313  be32 PAYLOAD_LEN  be32 normalizing offset 0
 *           be32 significant figures  be64 lowest  be64 highest
 *           be64 conversion ratio 1.0 (IEEE bits)
 *           counts, ZigZag LEB128, a run of k empty slots written as -k ) )
 *
 * (the cookies 0x1c849304 / 0x1c849303 with word size 0x10 or-ed in, as
 * both writers do). A file:
 *
 *   #[showdown-loadgen VERSION ...]
 *   #[Histogram log format version 1.3]
 *   #[StartTime: 1764632074.250 (seconds since epoch), Mon Dec 01 23:34:34 UTC 2025]
 *   #[BaseTime: 1764632074.250 (seconds since epoch)]
 *   "StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"
 *   0.000,1.000,2.047,HISTFAAA...                 every path of the interval together
 *   Tag=/hello,0.000,1.000,2.047,HISTFAAA...      one line per path
 *
 * StartTimestamp is seconds after BaseTime, Interval_Length seconds,
 * Interval_Max milliseconds (HistogramLogWriter's default
 * maxValueUnitRatio of 10^6 on nanoseconds). An interval's untagged line
 * holds all its paths; its Tag= lines hold one path each: a merger sums
 * either the untagged lines or one tag's lines, never both.
 *
 * Values are in NANOSECONDS, as HdrHistogram's tools expect. A struct hist
 * (hist.h) holds microseconds, 3 significant figures: slot [lo, hi] µs
 * stands for the latencies lo*1000 .. hi*1000+999 ns. The log puts each
 * slot's count at the middle of that range, in a histogram of 4
 * significant figures (lowest 1 ns, highest 1 hour): fine enough that no
 * two µs slots share an ns slot, so a reader sees every value within half
 * a µs slot of the truth, and hlog_decode_hist maps each ns slot back to
 * the very µs slot it came from (the round trip is exact, count for
 * count). 3 figures in ns would merge neighbouring µs slots.
 *
 * Contract: pure functions on caller-owned memory, any thread; errors in
 * the caller's buffer; a struct hist is about 190 KiB (never on a small
 * stack twice).
 */
#ifndef SHOWDOWN_HLOG_H
#define SHOWDOWN_HLOG_H

#include "hist.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HLOG_SIG_FIGURES 4
#define HLOG_LOWEST_NS   1ull
#define HLOG_HIGHEST_NS  (HIST_HIGHEST * 1000ull) /* 1 hour */

/* ---- one histogram <-> one base64 string ---- */

/*
 * Encodes h (µs) as a base64 V2 compressed histogram of nanoseconds.
 * *out is malloc'd and NUL-terminated; the caller frees it. 0, or -1 with
 * err (out of memory, zlib).
 */
int hlog_encode(const struct hist *h, char **out, char *err, size_t err_len);

/*
 * Called for each non-empty slot of a decoded histogram, in rising order:
 * the slot holds count values from lowest_ns to highest_ns. Return 0 to go
 * on, -1 to stop (hlog_decode_counts then returns -1 with err untouched).
 */
typedef int (*hlog_count_fn)(void *arg, uint64_t lowest_ns, uint64_t highest_ns, uint64_t count);

/*
 * Decodes a base64 V2 compressed histogram (any significant figures 1..5,
 * any lowest discernible value, as HdrHistogram's Java, C and JavaScript
 * writers write them; V0/V1 are refused) of len characters, calling fn for each non-empty slot. 0,
 * or -1 with err saying what is wrong (base64, cookie, zlib, a count).
 */
int hlog_decode_counts(const char *base64, size_t len, hlog_count_fn fn, void *arg, char *err,
                       size_t err_len);

/*
 * Decodes as above and ADDS the counts into h (µs): each ns slot's middle
 * divided by 1000. h's min and max are those of the slots; a reader that
 * knows the interval's exact max (the line's Interval_Max) may set it.
 * 0, or -1 with err.
 */
int hlog_decode_hist(const char *base64, size_t len, struct hist *h, char *err, size_t err_len);

/* ---- writing a log ---- */

/*
 * Writes the header lines above: "#[comment]" when comment is not NULL,
 * the format version, StartTime and BaseTime (both start_epoch_s, seconds
 * since the epoch, fractional), the legend. 0, or -1 on a write error.
 */
int hlog_write_header(FILE *out, const char *comment, double start_epoch_s);

/*
 * Writes one interval line: "Tag=TAG," first unless tag is NULL (a tag
 * holds no comma, space or line break), then start_s after BaseTime, the
 * interval's length, h's max in ms, the encoded h. 0, or -1 with err
 * (encoding, a bad tag, a write error).
 */
int hlog_write_line(FILE *out, const char *tag, double start_s, double interval_s,
                    const struct hist *h, char *err, size_t err_len);

/* ---- reading a log ---- */

struct hlog_entry {
    const char *tag;         /* NULL on an untagged line; valid during the callback */
    double start_time_s;     /* the header's StartTime (seconds since epoch), 0 if none */
    double base_time_s;      /* the header's BaseTime, else StartTime, else 0 */
    double start_s;          /* the line's StartTimestamp (relative to base_time_s) */
    double interval_s;       /* Interval_Length */
    double max_ms;           /* Interval_Max as written */
    const struct hist *hist; /* the line's histogram in µs, max set from Interval_Max */
    const char *path;        /* the file */
    unsigned line;           /* 1-based */
};

/* Called once per interval line; return 0 to go on, -1 to stop. */
typedef int (*hlog_line_fn)(void *arg, const struct hlog_entry *entry);

/*
 * Reads the .hlog file at path line by line: comments and the legend are
 * skipped (StartTime and BaseTime noted), every other line is decoded and
 * handed to fn. 0 when the whole file was read; -1 with err "FILE:LINE:COL:
 * reason" on a bad line (the column where it goes wrong, 1-based), with
 * "FILE: reason" when it cannot be opened, or when fn returned -1 (err
 * then says "stopped at FILE:LINE").
 */
int hlog_read_file(const char *path, hlog_line_fn fn, void *arg, char *err, size_t err_len);

#endif
