/*
 * proctree.c — sums /proc/PID/stat over a process tree (see proctree.h).
 * Fields as proc(5) numbers them: 4 ppid, 14 utime, 15 stime (clock
 * ticks), 20 num_threads, 24 rss (pages).
 */
#include "proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc {
    pid_t pid, ppid;
    unsigned long long utime, stime, rss_pages;
    unsigned threads;
};

static int read_proc(pid_t pid, struct proc *p) {
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *in = fopen(path, "re");
    if (!in)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: start after the last ')'. */
    char *s = strrchr(buf, ')');
    if (!s)
        return -1;
    int ppid;
    unsigned long long utime, stime, rss;
    long threads;
    if (sscanf(s + 2,
               "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d "
               "%*u %*u %llu",
               &ppid, &utime, &stime, &threads, &rss) != 5)
        return -1;
    *p = (struct proc){pid, ppid, utime, stime, rss, (unsigned)threads};
    return 0;
}

int tree_sample(pid_t root, struct tree_sample *out) {
    struct proc *procs = NULL;
    size_t n = 0, cap = 0;
    DIR *dir = opendir("/proc");
    struct dirent *e;

    *out = (struct tree_sample){0};
    if (!dir)
        return -1;
    while ((e = readdir(dir))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            struct proc *grown = realloc(procs, cap * sizeof(*grown));
            if (!grown)
                break;
            procs = grown;
        }
        if (read_proc((pid_t)atoi(e->d_name), &procs[n]) == 0)
            n++;
    }
    closedir(dir);

    /* Mark the tree: a process is in it when its parent is, until no change. */
    char *in_tree = calloc(n ? n : 1, 1);
    int found = 0;
    for (size_t i = 0; in_tree && i < n; i++) {
        if (procs[i].pid == root)
            in_tree[i] = 1, found = 1;
    }
    for (int changed = found; changed && in_tree;) {
        changed = 0;
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; !in_tree[i] && j < n; j++) {
                if (in_tree[j] && procs[i].ppid == procs[j].pid)
                    in_tree[i] = 1, changed = 1;
            }
        }
    }
    double tick = (double)sysconf(_SC_CLK_TCK);
    long page_kb = sysconf(_SC_PAGESIZE) / 1024;
    for (size_t i = 0; in_tree && i < n; i++) {
        if (!in_tree[i])
            continue;
        out->cpu_user_s += (double)procs[i].utime / tick;
        out->cpu_sys_s += (double)procs[i].stime / tick;
        out->rss_kb += procs[i].rss_pages * (unsigned long long)page_kb;
        out->threads += procs[i].threads;
        out->processes++;
    }
    free(in_tree);
    free(procs);
    return found ? 0 : -1;
}
