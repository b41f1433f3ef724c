/* stats.c — adding up counters and histograms across paths and threads. */
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>

void lg_counters_add(struct lg_counters *dst, const struct lg_counters *src) {
    dst->requests += src->requests;
    dst->bytes += src->bytes;
    dst->err_connect += src->err_connect;
    dst->err_read += src->err_read;
    dst->err_write += src->err_write;
    dst->err_timeout += src->err_timeout;
    dst->err_status += src->err_status;
    dst->err_addr_unavailable += src->err_addr_unavailable;
    dst->reconnects += src->reconnects;
    dst->sent += src->sent;
    dst->late_busy += src->late_busy;
    dst->late_own += src->late_own;
    dst->unsent += src->unsent;
}

void lg_stats_init(struct lg_stats *stats) {
    hist_init(&stats->corrected);
    hist_init(&stats->uncorrected);
    memset(&stats->counters, 0, sizeof(stats->counters));
}

void lg_stats_merge(struct lg_stats *dst, const struct lg_stats *src) {
    hist_merge(&dst->corrected, &src->corrected);
    hist_merge(&dst->uncorrected, &src->uncorrected);
    lg_counters_add(&dst->counters, &src->counters);
}

struct lg_stats *lg_stats_new(unsigned count) {
    struct lg_stats *stats = calloc(count, sizeof(*stats));
    for (unsigned i = 0; stats && i < count; i++)
        lg_stats_init(&stats[i]);
    return stats;
}
