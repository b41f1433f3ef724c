/*
 * cpus.c — the server's and bin/loadgen's CPUs, and their "0-2,5" text.
 */
#define _GNU_SOURCE
#include "cpus.h"

#include <stdio.h>
#include <unistd.h>

static void cpus_format(const cpu_set_t *set, char *out, size_t cap) {
    size_t n = 0;
    out[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && n < cap; c++) {
        if (!CPU_ISSET(c, set))
            continue;
        int end = c;
        while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, set))
            end++;
        n += (size_t)(end > c ? snprintf(out + n, cap - n, "%s%d-%d", n ? "," : "", c, end)
                              : snprintf(out + n, cap - n, "%s%d", n ? "," : "", c));
        c = end;
    }
}

void cpus_plan(struct cpu_plan *plan) {
    cpu_set_t *all = &plan->all;
    CPU_ZERO(all);
    if (sched_getaffinity(0, sizeof(*all), all) < 0)
        for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN); c++)
            CPU_SET((int)c, all);
    cpus_format(all, plan->all_text, sizeof(plan->all_text));
    plan->server = *all;
    CPU_ZERO(&plan->loadgen);
    int last = -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, all))
            last = c;
    if (CPU_COUNT(all) >= 2) {
        CPU_CLR(last, &plan->server);
        CPU_SET(last, &plan->loadgen);
    } else {
        plan->loadgen = *all;
    }
    cpus_format(&plan->server, plan->server_text, sizeof(plan->server_text));
    cpus_format(&plan->loadgen, plan->loadgen_text, sizeof(plan->loadgen_text));
}

void cpus_for(const struct cpu_plan *plan, bool is_pinned, cpu_set_t *server, cpu_set_t *loadgen,
              const char **server_text, const char **loadgen_text) {
    if (is_pinned) {
        *server = plan->server, *loadgen = plan->loadgen;
        *server_text = plan->server_text, *loadgen_text = plan->loadgen_text;
    } else {
        CPU_ZERO(server);
        CPU_OR(server, &plan->server, &plan->loadgen);
        *loadgen = *server;
        *server_text = *loadgen_text = plan->all_text;
    }
}
