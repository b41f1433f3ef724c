/*
 * timeline.c — the run over time: --series (a CSV row per second, the
 * format in the README's "Per-second time series") and --hlog (an
 * HdrHistogram interval log, common/hlog.h: per interval one untagged line
 * for all paths and one Tag=PATH line per path). Both are written as the
 * run goes, from the intervals interval.c takes from the threads, so a run
 * cut short keeps what it had.
 */
#include "../common/hlog.h"
#include "../common/version.h"
#include "loadgen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SERIES_HEADER "second,requests,errors,timeouts,p50_us,p99_us,max_us\n"

static FILE *create(const char *flag, const char *path, char *err, size_t err_len) {
    FILE *out = fopen(path, "wx");
    if (!out)
        snprintf(err, err_len, "%s %s: %s", flag, path,
                 errno == EEXIST ? "exists; results are never overwritten" : strerror(errno));
    return out;
}

int lg_timeline_open(struct lg_timeline *tl, const struct lg_config *config, char *err,
                     size_t err_len) {
    memset(tl, 0, sizeof(*tl));
    tl->config = config;
    if (config->series_path &&
        !(tl->series = create("--series", config->series_path, err, err_len)))
        return -1;
    if (config->hlog_path && !(tl->hlog = create("--hlog", config->hlog_path, err, err_len)))
        return -1;
    tl->pending = lg_interval_new(config->path_count);
    tl->row = malloc(sizeof(*tl->row));
    if (!tl->pending || !tl->row) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

int lg_timeline_begin(struct lg_timeline *tl, double start_epoch_s, char *err, size_t err_len) {
    const struct lg_config *config = tl->config;
    char comment[LG_MAX_TARGET + 128];
    int rc = 0;

    tl->pending_from_ns = config->warmup_ns;
    if (tl->series && fputs(SERIES_HEADER, tl->series) < 0)
        rc = -1;
    snprintf(comment, sizeof(comment), "showdown-loadgen %s %s, slice %u of %u", SHOWDOWN_VERSION,
             config->url, config->segment, config->segments);
    if (tl->hlog && hlog_write_header(tl->hlog, comment, start_epoch_s) < 0)
        rc = -1;
    if (rc < 0)
        snprintf(err, err_len, "--series/--hlog: %s", strerror(errno));
    return rc;
}

static uint64_t errors_of(const struct lg_counters *n) {
    return n->err_connect + n->err_addr_unavailable + n->err_read + n->err_write + n->err_timeout +
           n->err_status;
}

/* One --series row: the tick's paths together. */
static int write_row(struct lg_timeline *tl, const struct lg_interval *tick, uint64_t from_ns) {
    struct lg_stats *row = tl->row;
    lg_stats_init(row);
    for (unsigned p = 0; p < tl->config->path_count; p++)
        lg_stats_merge(row, &tick->paths[p]);
    const struct hist *h = &row->corrected;
    int rc = fprintf(
        tl->series, "%llu,%llu,%llu,%llu,%llu,%llu,%llu\n",
        (unsigned long long)((from_ns - tl->config->warmup_ns) / 1000000000ull),
        (unsigned long long)row->counters.requests,
        (unsigned long long)(errors_of(&row->counters) + errors_of(&tick->conn_errors)),
        (unsigned long long)row->counters.err_timeout,
        (unsigned long long)hist_value_at_percentile(h, 50),
        (unsigned long long)hist_value_at_percentile(h, 99), (unsigned long long)hist_max(h));
    return rc < 0 || fflush(tl->series) != 0 ? -1 : 0;
}

/* The pending --hlog interval: its untagged line, then a line per path. */
static int write_hlog_lines(struct lg_timeline *tl, uint64_t to_ns, char *err, size_t err_len) {
    const struct lg_config *config = tl->config;
    double start_s = (double)tl->pending_from_ns / 1e9;
    double length_s = (double)(to_ns - tl->pending_from_ns) / 1e9;
    struct lg_stats *all = tl->row;

    lg_stats_init(all);
    for (unsigned p = 0; p < config->path_count; p++)
        lg_stats_merge(all, &tl->pending->paths[p]);
    if (hlog_write_line(tl->hlog, NULL, start_s, length_s, &all->corrected, err, err_len) < 0)
        return -1;
    for (unsigned p = 0; p < config->path_count; p++)
        if (hlog_write_line(tl->hlog, config->paths[p].target, start_s, length_s,
                            &tl->pending->paths[p].corrected, err, err_len) < 0)
            return -1;
    lg_interval_reset(tl->pending, config->path_count);
    tl->pending_from_ns = to_ns;
    return fflush(tl->hlog) == 0 ? 0 : -1;
}

int lg_timeline_add(struct lg_timeline *tl, const struct lg_interval *tick, uint64_t from_ns,
                    uint64_t to_ns, bool is_last, char *err, size_t err_len) {
    if (tl->series && write_row(tl, tick, from_ns) < 0) {
        snprintf(err, err_len, "--series %s: %s", tl->config->series_path, strerror(errno));
        return -1;
    }
    if (!tl->hlog)
        return 0;
    lg_interval_merge(tl->pending, tick, tl->config->path_count, NULL);
    if (!is_last && to_ns - tl->pending_from_ns < tl->config->hlog_interval_ns)
        return 0;
    char reason[LG_ERR_MAX];
    if (write_hlog_lines(tl, to_ns, reason, sizeof(reason)) < 0) {
        snprintf(err, err_len, "--hlog %s: %s", tl->config->hlog_path,
                 reason[0] ? reason : strerror(errno));
        return -1;
    }
    return 0;
}

int lg_timeline_close(struct lg_timeline *tl) {
    int rc = 0;
    if (tl->series && fclose(tl->series) != 0)
        rc = -1;
    if (tl->hlog && fclose(tl->hlog) != 0)
        rc = -1;
    lg_interval_free(tl->pending);
    free(tl->row);
    memset(tl, 0, sizeof(*tl));
    return rc;
}
