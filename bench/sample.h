/*
 * sample.h — a server's process tree sampled on its own host and streamed
 * back, for a run across hosts: `bin/bench sample PID`, run on the
 * server's host through its launcher (hosts.h), prints
 *
 *   cpus 0-3                              the CPUs it may run on there, first
 *   sample USER_S SYS_S RSS_KB THREADS PROCESSES     every 50 ms (watch.h)
 *   gone                                  when PID's tree is no more
 *
 * the figures summed over PID's tree as proctree.h reads them from that
 * host's /proc. bin/bench reads the stream with a struct sample_stream.
 */
#ifndef SHOWDOWN_BENCH_SAMPLE_H
#define SHOWDOWN_BENCH_SAMPLE_H

#include "proctree.h"

#include <stdbool.h>
#include <stddef.h>

struct sample_stream {
    int fd; /* non-blocking; the reader owns it */
    char buf[4096];
    size_t n;
    bool is_ended;  /* "gone", or the stream closed */
    char cpus[256]; /* the "cpus" line's list; "" until read */
};

/* Reads what fd holds now. Returns 0 with *out the newest sample that
 * came since the last call, or -1 when none came (s->is_ended says if
 * none ever will). */
int sample_stream_read(struct sample_stream *s, struct tree_sample *out);

/* Reads one "sample ..." line into out. Returns 0, or -1 when it is not one. */
int sample_parse(const char *line, struct tree_sample *out);

#endif
