/*
 * cpus.h — where the server and bin/loadgen run: on a machine with two
 * CPUs or more, bin/loadgen gets the last one and the server the rest, so
 * the load generator does not steal the server's cycles (a scenario with
 * pin = no shares them all).
 */
#ifndef SHOWDOWN_BENCH_CPUS_H
#define SHOWDOWN_BENCH_CPUS_H

/* cpu_set_t: the includer defines _GNU_SOURCE first. */
#include <sched.h>
#include <stdbool.h>

struct cpu_plan {
    cpu_set_t server, loadgen, all;
    char server_text[256], loadgen_text[256], all_text[256]; /* "0-2,5" */
};

/* Splits the CPUs this process may run on (every online one if it
 * cannot tell) between the server and bin/loadgen. */
void cpus_plan(struct cpu_plan *plan);

/* The CPUs of one scenario's server and bin/loadgen: the split if
 * is_pinned, else all of them for both. The texts point into plan. */
void cpus_for(const struct cpu_plan *plan, bool is_pinned, cpu_set_t *server, cpu_set_t *loadgen,
              const char **server_text, const char **loadgen_text);

#endif
