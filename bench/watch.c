/*
 * watch.c — sampling the server's process tree while bin/loadgen runs.
 */
#define _GNU_SOURCE
#include "watch.h"
#include "proc.h"

#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#define LOADGEN_SLACK_S   30.0 /* beyond warm-up + duration: kill bin/loadgen */
#define SAMPLE_INTERVAL_S 0.05

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

int watch_server(pid_t loadgen, pid_t server, uint64_t warmup_us, uint64_t duration_us,
                 struct server_usage *usage, struct watch_log *log) {
    double t0 = proc_now_s();
    double t_warm = t0 + (double)warmup_us / 1e6;
    double t_end = t_warm + (double)duration_us / 1e6;
    bool has_start = false, has_end = false;
    int status = -1;
    memset(usage, 0, sizeof(*usage));
    for (;;) {
        struct tree_sample s;
        int rc_sample = tree_sample(server, &s);
        double now = proc_now_s();
        if (rc_sample == 0) {
            take(usage, &s, now, t_warm, t_end, &has_start, &has_end);
            keep(log, &s, now, t_warm);
        }
        pid_t got = waitpid(loadgen, &status, WNOHANG);
        if (got == loadgen)
            break;
        if (proc_stop_signal || now > t_end + LOADGEN_SLACK_S) {
            proc_stop_group(loadgen, 2);
            return -1;
        }
        double next = now + SAMPLE_INTERVAL_S;
        if (!has_start && t_warm < next)
            next = t_warm;
        else if (!has_end && t_end < next && t_end > now)
            next = t_end;
        proc_sleep_s(next - proc_now_s());
    }
    if (!has_start)
        usage->start = usage->end;
    return status;
}
