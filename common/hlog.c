/*
 * hlog.c — see hlog.h. The byte layout, the cookies and the ZigZag LEB128
 * counts are HdrHistogram_c's (src/hdr_histogram_log.c, src/hdr_encoding.c);
 * the line and header formats HdrHistogram's HistogramLogWriter.java.
 * Written here on zlib because Debian ships no C HdrHistogram.
 */
#include "hlog.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define V2_ENCODING_COOKIE    0x1c849303u
#define V2_COMPRESSION_COOKIE 0x1c849304u
#define COOKIE_WORD_SIZE      0x10u /* or-ed into both cookies, as both writers do */
#define ENCODING_HEADER       40    /* cookie, payload length, offset, figures, 3 x 8 bytes */
#define COMPRESSION_HEADER    8     /* cookie, compressed length */
#define MAX_LEB128            9

static int fail(char *err, size_t err_len, const char *reason) {
    snprintf(err, err_len, "%s", reason);
    return -1;
}

/* ######## The layout: HdrHistogram's index arithmetic for any figures ######## */

struct layout {
    unsigned unit_magnitude;      /* log2 of the lowest discernible value */
    unsigned sub_bucket_half_mag; /* log2(sub_bucket_count / 2) */
    uint64_t sub_bucket_count;    /* 2 * 10^figures rounded up to a power of two */
    uint64_t sub_bucket_mask;     /* (sub_bucket_count - 1) << unit_magnitude */
    uint64_t counts_len;
};

static int layout_init(struct layout *l, unsigned figures, uint64_t lowest, uint64_t highest) {
    if (figures < 1 || figures > 5 || lowest < 1 || highest < 2 * lowest)
        return -1;
    double largest_single_unit = 2 * pow(10, figures);
    unsigned count_mag = (unsigned)ceil(log2(largest_single_unit));
    l->sub_bucket_half_mag = (count_mag > 1 ? count_mag : 1) - 1;
    l->unit_magnitude = (unsigned)(63 - __builtin_clzll(lowest));
    l->sub_bucket_count = 1ull << (l->sub_bucket_half_mag + 1);
    l->sub_bucket_mask = (l->sub_bucket_count - 1) << l->unit_magnitude;
    if (l->unit_magnitude + l->sub_bucket_half_mag + 1 > 62)
        return -1;
    /* HdrHistogram_c's buckets_needed_to_cover_value. */
    uint64_t smallest_untrackable = l->sub_bucket_count << l->unit_magnitude;
    uint64_t buckets = 1;
    while (smallest_untrackable <= highest) {
        if (smallest_untrackable > INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    l->counts_len = (buckets + 1) * (l->sub_bucket_count / 2);
    return 0;
}

static unsigned bucket_index(const struct layout *l, uint64_t value) {
    unsigned pow2_ceiling = (unsigned)(64 - __builtin_clzll(value | l->sub_bucket_mask));
    return pow2_ceiling - l->unit_magnitude - (l->sub_bucket_half_mag + 1);
}

static uint64_t counts_index_for(const struct layout *l, uint64_t value) {
    unsigned bucket = bucket_index(l, value);
    uint64_t sub_bucket = value >> (bucket + l->unit_magnitude);
    /* The equivalent of (bucket + 1) * sub_bucket_half_count + (sub_bucket - half). */
    return ((uint64_t)(bucket + 1) << l->sub_bucket_half_mag) + sub_bucket -
           (l->sub_bucket_count / 2);
}

/* The lowest value of slot index, and the slot's width. */
static uint64_t value_from_index(const struct layout *l, uint64_t index, uint64_t *width) {
    int bucket = (int)(index >> l->sub_bucket_half_mag) - 1;
    uint64_t half = l->sub_bucket_count / 2;
    uint64_t sub_bucket = (index & (half - 1)) + half;
    if (bucket < 0) {
        sub_bucket -= half;
        bucket = 0;
    }
    *width = 1ull << (l->unit_magnitude + (unsigned)bucket);
    return sub_bucket << (l->unit_magnitude + (unsigned)bucket);
}

/* ######## ZigZag LEB128 (HdrHistogram_c's hdr_encoding.c) ######## */

/* The 9th byte carries 8 bits, not 7: 64 bits in at most 9 bytes. */
static size_t zigzag_put(uint8_t *out, int64_t signed_value) {
    uint64_t v = ((uint64_t)signed_value << 1) ^ (uint64_t)(signed_value >> 63);
    size_t n = 0;
    while (n < 8 && v >> 7) {
        out[n++] = (uint8_t)((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* 0 with *value and *used, -1 when the bytes end mid-number. */
static int zigzag_get(const uint8_t *in, size_t len, int64_t *value, size_t *used) {
    uint64_t v = 0;
    size_t n = 0;
    for (;;) {
        if (n >= len)
            return -1;
        uint8_t b = in[n];
        if (n == 8) {
            v |= (uint64_t)b << 56;
            n++;
            break;
        }
        v |= (uint64_t)(b & 0x7f) << (7 * n);
        n++;
        if (!(b & 0x80))
            break;
    }
    *value = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
    *used = n;
    return 0;
}

/* ######## Big-endian fields and base64 ######## */

static void put_be(uint8_t *out, uint64_t v, unsigned bytes) {
    for (unsigned i = 0; i < bytes; i++)
        out[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *in, unsigned bytes) {
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v = v << 8 | in[i];
    return v;
}

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *in, size_t len) {
    char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        *p++ = base64_alphabet[v >> 18 & 63];
        *p++ = base64_alphabet[v >> 12 & 63];
        *p++ = i + 1 < len ? base64_alphabet[v >> 6 & 63] : '=';
        *p++ = i + 2 < len ? base64_alphabet[v & 63] : '=';
    }
    *p = '\0';
    return out;
}

/* Decodes len characters into a malloc'd buffer; NULL with *bad_at (0-based)
 * at the first character that is not base64, or len when the length is wrong. */
static uint8_t *base64_decode(const char *in, size_t len, size_t *out_len, size_t *bad_at) {
    uint8_t *out = malloc(len / 4 * 3 + 3);
    size_t n = 0;
    uint32_t v = 0;
    unsigned bits = 0;

    *bad_at = len;
    if (!out || len % 4 != 0) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < len; i++) {
        const char *at = in[i] ? strchr(base64_alphabet, in[i]) : NULL;
        if (in[i] == '=' && i >= len - 2 && (i == len - 1 || in[len - 1] == '='))
            break;
        if (!at) {
            *bad_at = i;
            free(out);
            return NULL;
        }
        v = v << 6 | (uint32_t)(at - base64_alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(v >> bits);
        }
    }
    *out_len = n;
    return out;
}

/* ######## Encoding ######## */

/* The µs layout of hist.h, in the terms of any HdrHistogram. */
static void hist_layout(struct layout *l) {
    layout_init(l, HIST_SIG_FIGURES, HIST_LOWEST, HIST_HIGHEST);
}

static void ns_layout(struct layout *l) {
    layout_init(l, HLOG_SIG_FIGURES, HLOG_LOWEST_NS, HLOG_HIGHEST_NS);
}

/*
 * The counts of h as ZigZag LEB128 after the 40-byte header, into out
 * (ENCODING_HEADER + MAX_LEB128 * 2 per µs slot is enough): each µs slot's
 * count at the ns index of the middle of its ns range (see hlog.h). Returns
 * the payload's length.
 */
static size_t encode_counts(const struct hist *h, uint8_t *out) {
    struct layout us, ns;
    uint64_t next = 0; /* the ns index the stream has reached */
    size_t n = 0;

    hist_layout(&us);
    ns_layout(&ns);
    for (uint64_t i = 0; i < us.counts_len && i < HIST_COUNTS; i++) {
        if (!h->counts[i])
            continue;
        uint64_t width, lo = value_from_index(&us, i, &width);
        uint64_t index = counts_index_for(&ns, lo * 1000 + width * 500);
        if (index > next)
            n += zigzag_put(out + n, -(int64_t)(index - next));
        n += zigzag_put(out + n, (int64_t)h->counts[i]);
        next = index + 1;
    }
    return n;
}

int hlog_encode(const struct hist *h, char **out, char *err, size_t err_len) {
    size_t slots = 0;
    for (unsigned i = 0; i < HIST_COUNTS; i++)
        slots += h->counts[i] != 0;
    size_t raw_cap = ENCODING_HEADER + 2 * MAX_LEB128 * slots;
    uint8_t *raw = malloc(raw_cap);
    uLongf zipped_len = compressBound((uLong)raw_cap);
    uint8_t *zipped = malloc(COMPRESSION_HEADER + zipped_len);
    int rc = -1;

    *out = NULL;
    if (!raw || !zipped) {
        fail(err, err_len, "out of memory");
        goto done;
    }
    size_t payload = encode_counts(h, raw + ENCODING_HEADER);
    put_be(raw, V2_ENCODING_COOKIE | COOKIE_WORD_SIZE, 4);
    put_be(raw + 4, payload, 4);
    put_be(raw + 8, 0, 4); /* normalizing index offset */
    put_be(raw + 12, HLOG_SIG_FIGURES, 4);
    put_be(raw + 16, HLOG_LOWEST_NS, 8);
    put_be(raw + 24, HLOG_HIGHEST_NS, 8);
    double ratio = 1.0;
    uint64_t ratio_bits;
    memcpy(&ratio_bits, &ratio, sizeof(ratio_bits));
    put_be(raw + 32, ratio_bits, 8);
    if (compress2(zipped + COMPRESSION_HEADER, &zipped_len, raw, ENCODING_HEADER + payload,
                  Z_BEST_COMPRESSION) != Z_OK) {
        fail(err, err_len, "zlib: cannot compress the histogram");
        goto done;
    }
    put_be(zipped, V2_COMPRESSION_COOKIE | COOKIE_WORD_SIZE, 4);
    put_be(zipped + 4, zipped_len, 4);
    *out = base64_encode(zipped, COMPRESSION_HEADER + zipped_len);
    rc = *out ? 0 : fail(err, err_len, "out of memory");
done:
    free(raw);
    free(zipped);
    return rc;
}

/* ######## Decoding ######## */

/*
 * Inflates a V2 encoding: its 40-byte header first, which states the
 * payload's length, then exactly that much more, into a malloc'd buffer.
 * NULL with err.
 */
static uint8_t *inflate_encoding(const uint8_t *src, size_t len, size_t *out_len, char *err,
                                 size_t err_len) {
    uint8_t header[ENCODING_HEADER], *out = NULL;
    z_stream zs = {.next_in = (Bytef *)src, .avail_in = (uInt)len};

    if (inflateInit(&zs) != Z_OK) {
        fail(err, err_len, "zlib: out of memory");
        return NULL;
    }
    zs.next_out = header;
    zs.avail_out = sizeof(header);
    int rc = inflate(&zs, Z_SYNC_FLUSH);
    if ((rc != Z_OK && rc != Z_STREAM_END) || zs.avail_out != 0) {
        fail(err, err_len, "zlib: the histogram does not inflate");
        goto done;
    }
    size_t total = ENCODING_HEADER + get_be(header + 4, 4);
    out = malloc(total);
    if (!out) {
        fail(err, err_len, "out of memory");
        goto done;
    }
    memcpy(out, header, sizeof(header));
    zs.next_out = out + ENCODING_HEADER;
    zs.avail_out = (uInt)(total - ENCODING_HEADER);
    rc = total > ENCODING_HEADER ? inflate(&zs, Z_FINISH) : Z_STREAM_END;
    if (rc != Z_STREAM_END || zs.avail_out != 0) {
        fail(err, err_len, "zlib: the histogram's counts do not inflate to their stated length");
        free(out);
        out = NULL;
        goto done;
    }
    *out_len = total;
done:
    inflateEnd(&zs);
    return out;
}

/* Walks the counts of an inflated V2 encoding, calling fn per non-empty slot. */
static int walk_counts(const uint8_t *raw, size_t raw_len, hlog_count_fn fn, void *arg, char *err,
                       size_t err_len) {
    struct layout l;
    uint64_t payload = get_be(raw + 4, 4);

    if ((get_be(raw, 4) & ~0xf0u) != V2_ENCODING_COOKIE)
        return fail(err, err_len, "not a V2 encoding (cookie)");
    /* The normalizing index offset (raw + 8) is not read: the counts come in
     * the order of their values whatever it is (Java's decoder stores them
     * through it and reads them back through it; hdr-histogram-js writes 1
     * and ignores it). */
    if (layout_init(&l, (unsigned)get_be(raw + 12, 4), get_be(raw + 16, 8), get_be(raw + 24, 8)))
        return fail(err, err_len, "bad significant figures, lowest or highest value");
    if (payload > raw_len - ENCODING_HEADER)
        return fail(err, err_len, "the counts are shorter than their stated length");
    const uint8_t *p = raw + ENCODING_HEADER;
    uint64_t index = 0;
    for (size_t at = 0, used; at < payload; at += used) {
        int64_t v;
        if (zigzag_get(p + at, payload - at, &v, &used) < 0)
            return fail(err, err_len, "a count is cut off");
        uint64_t run = v < 0 ? (uint64_t)-v : 1;
        if (index + run > l.counts_len || v == INT64_MIN)
            return fail(err, err_len, "counts beyond the histogram's range");
        if (v > 0) {
            uint64_t width, lowest = value_from_index(&l, index, &width);
            if (fn(arg, lowest, lowest + width - 1, (uint64_t)v) < 0)
                return -1;
        }
        index += run;
    }
    return 0;
}

int hlog_decode_counts(const char *base64, size_t len, hlog_count_fn fn, void *arg, char *err,
                       size_t err_len) {
    size_t zipped_len, raw_len, bad_at;
    uint8_t *zipped = base64_decode(base64, len, &zipped_len, &bad_at);
    uint8_t *raw = NULL;
    int rc = -1;

    if (!zipped) {
        snprintf(err, err_len, bad_at < len ? "not base64 at character %zu" : "bad base64 length",
                 bad_at + 1);
        return -1;
    }
    if (zipped_len < COMPRESSION_HEADER || (get_be(zipped, 4) & ~0xf0u) != V2_COMPRESSION_COOKIE) {
        fail(err, err_len, "not a V2 compressed histogram (cookie)");
        goto done;
    }
    uint64_t stated = get_be(zipped + 4, 4);
    if (stated > zipped_len - COMPRESSION_HEADER) {
        fail(err, err_len, "the compressed histogram is shorter than its stated length");
        goto done;
    }
    raw = inflate_encoding(zipped + COMPRESSION_HEADER, stated, &raw_len, err, err_len);
    if (!raw)
        goto done;
    rc = walk_counts(raw, raw_len, fn, arg, err, err_len);
done:
    free(zipped);
    free(raw);
    return rc;
}

static int add_to_hist(void *arg, uint64_t lowest_ns, uint64_t highest_ns, uint64_t count) {
    uint64_t middle = lowest_ns + (highest_ns - lowest_ns + 1) / 2;
    hist_record_n(arg, middle / 1000, count);
    return 0;
}

int hlog_decode_hist(const char *base64, size_t len, struct hist *h, char *err, size_t err_len) {
    return hlog_decode_counts(base64, len, add_to_hist, h, err, err_len);
}

/* ######## Writing a log ######## */

int hlog_write_header(FILE *out, const char *comment, double start_epoch_s) {
    time_t seconds = (time_t)start_epoch_s;
    struct tm tm;
    char date[64];

    /* Java's Date.toString, as HistogramLogWriter.outputStartTime prints it. */
    gmtime_r(&seconds, &tm);
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm);
    if (comment && fprintf(out, "#[%s]\n", comment) < 0)
        return -1;
    if (fprintf(out,
                "#[Histogram log format version 1.3]\n"
                "#[StartTime: %.3f (seconds since epoch), %s]\n"
                "#[BaseTime: %.3f (seconds since epoch)]\n"
                "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
                "\"Interval_Compressed_Histogram\"\n",
                start_epoch_s, date, start_epoch_s) < 0)
        return -1;
    return 0;
}

int hlog_write_line(FILE *out, const char *tag, double start_s, double interval_s,
                    const struct hist *h, char *err, size_t err_len) {
    char *encoded;

    if (tag && (!*tag || strpbrk(tag, ", \t\r\n")))
        return fail(err, err_len, "a tag holds no comma, space or line break");
    if (hlog_encode(h, &encoded, err, err_len) < 0)
        return -1;
    int rc =
        fprintf(out, "%s%s%s%.3f,%.3f,%.3f,%s\n", tag ? "Tag=" : "", tag ? tag : "", tag ? "," : "",
                start_s, interval_s, h->total_count ? (double)h->max / 1000.0 : 0.0, encoded);
    free(encoded);
    if (rc < 0)
        return fail(err, err_len, strerror(errno));
    return 0;
}

/* ######## Reading a log ######## */

struct reader {
    const char *path;
    unsigned line;
    double start_time_s, base_time_s;
    bool has_base_time;
    struct hist *hist;
    char *err;
    size_t err_len;
};

static int bad_line(struct reader *r, const char *line, const char *at, const char *reason) {
    snprintf(r->err, r->err_len, "%s:%u:%zu: %s", r->path, r->line, (size_t)(at - line) + 1,
             reason);
    return -1;
}

/* "#[StartTime: 1764632074.250 ..." and "#[BaseTime: ..." are noted; other comments skipped. */
static void read_comment(struct reader *r, const char *line) {
    if (strncmp(line, "#[StartTime: ", 13) == 0) {
        r->start_time_s = strtod(line + 13, NULL);
        if (!r->has_base_time)
            r->base_time_s = r->start_time_s;
    } else if (strncmp(line, "#[BaseTime: ", 12) == 0) {
        r->base_time_s = strtod(line + 12, NULL);
        r->has_base_time = true;
    }
}

/* One number and its comma; NULL (said in r->err) when there is none. */
static const char *read_field(struct reader *r, const char *line, const char *p, const char *name,
                              double *out) {
    char *end, reason[96];
    *out = strtod(p, &end);
    if (end == p || *end != ',' || !isfinite(*out)) {
        snprintf(reason, sizeof(reason), "expected %s, a number followed by ','", name);
        bad_line(r, line, end == p ? p : end, reason);
        return NULL;
    }
    return end + 1;
}

/* An interval line: [Tag=TAG,]START,LENGTH,MAX,BASE64. */
static int read_interval(struct reader *r, char *line, hlog_line_fn fn, void *arg) {
    struct hlog_entry entry = {.path = r->path, .line = r->line, .hist = r->hist};
    const char *p = line;
    char reason[160];

    if (strncmp(line, "Tag=", 4) == 0) {
        char *comma = strchr(line + 4, ',');
        if (!comma || comma == line + 4)
            return bad_line(r, line, line + 4, "expected Tag=TAG, followed by the interval");
        *comma = '\0';
        entry.tag = line + 4;
        p = comma + 1;
    }
    if (!(p = read_field(r, line, p, "StartTimestamp", &entry.start_s)) ||
        !(p = read_field(r, line, p, "Interval_Length", &entry.interval_s)) ||
        !(p = read_field(r, line, p, "Interval_Max", &entry.max_ms)))
        return -1;
    hist_reset(r->hist);
    if (hlog_decode_hist(p, strlen(p), r->hist, reason, sizeof(reason)) < 0)
        return bad_line(r, line, p, reason);
    /* The line's max is exact to the µs where ours wrote it: keep it when it
     * lies in the histogram's top slot. */
    uint64_t max_us = (uint64_t)llround(entry.max_ms * 1000.0);
    if (r->hist->total_count &&
        hist_lowest_equivalent(max_us) == hist_lowest_equivalent(r->hist->max))
        r->hist->max = max_us;
    entry.start_time_s = r->start_time_s;
    entry.base_time_s = r->base_time_s;
    if (fn(arg, &entry) < 0) {
        snprintf(r->err, r->err_len, "stopped at %s:%u", r->path, r->line);
        return -1;
    }
    return 0;
}

int hlog_read_file(const char *path, hlog_line_fn fn, void *arg, char *err, size_t err_len) {
    struct reader r = {.path = path, .err = err, .err_len = err_len};
    FILE *in = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    if (!in) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    r.hist = malloc(sizeof(*r.hist));
    if (!r.hist) {
        fclose(in);
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        r.line++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '"')
            continue;
        if (line[0] == '#')
            read_comment(&r, line);
        else
            rc = read_interval(&r, line, fn, arg);
    }
    if (rc == 0 && ferror(in)) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    free(r.hist);
    fclose(in);
    return rc;
}
