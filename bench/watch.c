/*
 * watch.c — sampling the server's process tree while bin/loadgen runs.
 */
#define _GNU_SOURCE
#include "watch.h"
#include "proc.h"

#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#define LOADGEN_SLACK_S 30.0 /* beyond warm-up + duration: kill bin/loadgen */

/* Folds one sample in: the peaks, and the window's ends once reached. */
static void take(struct server_usage *usage, const struct tree_sample *s, double now, double t_warm,
                 double t_end, bool *has_start, bool *has_end) {
    if (s->rss_kb > usage->peak.rss_kb)
        usage->peak.rss_kb = s->rss_kb;
    if (s->threads > usage->peak.threads)
        usage->peak.threads = s->threads;
    if (!*has_start && now >= t_warm)
        usage->start = *s, *has_start = true;
    if (!*has_end && now >= t_end)
        usage->end = *s, *has_end = true;
    if (!*has_end)
        usage->end = *s; /* the last seen, if the server dies */
}

/* Appends s, taken at now, to log while it has room. */
static void keep(struct watch_log *log, const struct tree_sample *s, double now, double t_warm) {
    if (!log || log->n == log->cap)
        return;
    log->at[log->n++] = (struct watch_sample){
        .t_s = now - t_warm, .cpu_s = s->cpu_user_s + s->cpu_sys_s, .rss_kb = (double)s->rss_kb};
}

/* Reaps the bin/loadgens that exited; stops them all when is_stopping.
 * Returns how many are still running. */
static unsigned reap(const struct watch_plan *p, bool *is_running, bool is_stopping) {
    unsigned running = 0;
    for (unsigned i = 0; i < p->n; i++) {
        if (!is_running[i])
            continue;
        if (waitpid(p->loadgens[i], &p->statuses[i], WNOHANG) == p->loadgens[i]) {
            is_running[i] = false;
        } else if (is_stopping) {
            proc_stop_group(p->loadgens[i], 2);
            p->statuses[i] = -1;
            is_running[i] = false;
        } else {
            running++;
        }
    }
    return running;
}

int watch_run(const struct watch_plan *p, struct server_usage *usage) {
    double t_warm = p->t0 + (double)p->warmup_us / 1e6;
    double t_end = t_warm + (double)p->duration_us / 1e6;
    bool has_start = false, has_end = false, is_running[p->n];
    memset(usage, 0, sizeof(*usage));
    for (unsigned i = 0; i < p->n; i++)
        is_running[i] = p->loadgens[i] > 0, p->statuses[i] = -1;
    for (;;) {
        struct tree_sample s;
        int rc_sample = p->sample(p->ctx, &s);
        double now = proc_now_s();
        if (rc_sample == 0) {
            take(usage, &s, now, t_warm, t_end, &has_start, &has_end);
            keep(p->log, &s, now, t_warm);
        }
        bool is_stopping = proc_stop_signal || now > t_end + LOADGEN_SLACK_S;
        if (reap(p, is_running, is_stopping) == 0)
            break;
        double next = now + WATCH_SAMPLE_INTERVAL_S;
        if (!has_start && t_warm < next)
            next = t_warm;
        else if (!has_end && t_end < next && t_end > now)
            next = t_end;
        proc_sleep_s(next - proc_now_s());
    }
    if (!has_start)
        usage->start = usage->end;
    return proc_stop_signal ? -1 : 0;
}

static int sample_local(void *ctx, struct tree_sample *s) {
    return tree_sample(*(const pid_t *)ctx, s);
}

int watch_server(pid_t loadgen, pid_t server, uint64_t warmup_us, uint64_t duration_us,
                 struct server_usage *usage, struct watch_log *log) {
    int status;
    struct watch_plan plan = {.loadgens = &loadgen,
                              .statuses = &status,
                              .n = 1,
                              .sample = sample_local,
                              .ctx = &server,
                              .t0 = proc_now_s(),
                              .warmup_us = warmup_us,
                              .duration_us = duration_us,
                              .log = log};
    return watch_run(&plan, usage) < 0 ? -1 : status;
}
