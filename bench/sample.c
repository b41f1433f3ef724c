/*
 * sample.c — `bin/bench sample PID` (the server host's side) and reading
 * its stream (bin/bench's side); see sample.h.
 */
#define _GNU_SOURCE
#include "sample.h"
#include "bench.h"
#include "cpus.h"
#include "proc.h"
#include "watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bench_sample(const char *pid_text) {
    char *end;
    long pid = strtol(pid_text, &end, 10);
    if (end == pid_text || *end || pid <= 0)
        return fprintf(stderr, "bench: sample: '%s': expected a process id\n", pid_text), 2;
    struct cpu_plan plan;
    cpus_plan(&plan);
    printf("cpus %s\n", plan.all_text);
    for (;;) {
        struct tree_sample s;
        if (tree_sample((pid_t)pid, &s) < 0) {
            printf("gone\n");
            return fflush(stdout) == 0 ? 0 : 1;
        }
        printf("sample %.3f %.3f %llu %u %u\n", s.cpu_user_s, s.cpu_sys_s,
               (unsigned long long)s.rss_kb, s.threads, s.processes);
        /* bin/bench stopped reading (the run ended): so do we. */
        if (fflush(stdout) != 0)
            return 1;
        proc_sleep_s(WATCH_SAMPLE_INTERVAL_S);
    }
}

int sample_parse(const char *line, struct tree_sample *out) {
    unsigned long long rss;
    if (sscanf(line, "sample %lf %lf %llu %u %u", &out->cpu_user_s, &out->cpu_sys_s, &rss,
               &out->threads, &out->processes) != 5)
        return -1;
    out->rss_kb = rss;
    return 0;
}

/* Takes one whole line of the stream. Returns 0 when it was a sample. */
static int take_line(struct sample_stream *s, const char *line, struct tree_sample *out) {
    struct tree_sample sample;
    if (!strncmp(line, "cpus ", 5))
        snprintf(s->cpus, sizeof(s->cpus), "%s", line + 5);
    else if (!strcmp(line, "gone"))
        s->is_ended = true;
    else if (sample_parse(line, &sample) == 0)
        return *out = sample, 0;
    return -1;
}

int sample_stream_read(struct sample_stream *s, struct tree_sample *out) {
    bool is_new = false;
    while (!s->is_ended) {
        ssize_t got = read(s->fd, s->buf + s->n, sizeof(s->buf) - 1 - s->n);
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (got <= 0) {
            s->is_ended = true;
            break;
        }
        s->n += (size_t)got;
        s->buf[s->n] = '\0';
        char *line = s->buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            is_new |= take_line(s, line, out) == 0;
            line = nl + 1;
        }
        s->n -= (size_t)(line - s->buf);
        memmove(s->buf, line, s->n);
        if (s->n == sizeof(s->buf) - 1)
            s->n = 0; /* a line this long is no sample */
    }
    return is_new ? 0 : -1;
}
