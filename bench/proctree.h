/*
 * proctree.h — what a server costs, summed over its whole process tree
 * (an arbiter and its pre-forked workers), read from /proc/PID/stat.
 */
#ifndef SHOWDOWN_PROCTREE_H
#define SHOWDOWN_PROCTREE_H

#include <stdint.h>
#include <sys/types.h>

struct tree_sample {
    double cpu_user_s, cpu_sys_s;
    uint64_t rss_kb;
    unsigned threads;
    unsigned processes;
};

/* Sums root and every process descended from it. Returns 0, or -1 when
 * root is gone. */
int tree_sample(pid_t root, struct tree_sample *out);

#endif
