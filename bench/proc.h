/*
 * proc.h — bin/bench's child processes: each runs in a process group of
 * its own and is stopped by group; bench is their child subreaper, so a
 * worker orphaned by a dying arbiter comes back to it and is reaped.
 * SIGINT and SIGTERM only set proc_stop_signal: whoever waits checks it.
 */
#ifndef SHOWDOWN_BENCH_PROC_H
#define SHOWDOWN_BENCH_PROC_H

/* cpu_set_t: the includer defines _GNU_SOURCE first. */
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* The signal that asked the run to stop (SIGINT, SIGTERM), or 0. */
extern volatile sig_atomic_t proc_stop_signal;

/* Makes this process a supervisor of children: raises the descriptor
 * limit to its hard maximum (c10k needs descriptors; children inherit it),
 * becomes a child subreaper, sets proc_stop_signal on SIGINT and SIGTERM
 * and ignores SIGPIPE. */
void proc_init(void);

/* Seconds on the monotonic clock. */
double proc_now_s(void);

/* Sleeps s seconds (nothing if s <= 0); a signal cuts it short, so the
 * caller checks proc_stop_signal. */
void proc_sleep_s(double s);

/* fork + exec argv in a process group of its own, pinned to cpus (NULL:
 * not pinned), with default signal handling; out and err become its
 * stdout and stderr (-1: /dev/null), fd3 (if >= 0) its descriptor 3.
 * Returns the child's pid (its group's id), or -1 when fork fails. A child
 * that cannot exec says so on its stderr and exits 127. */
pid_t proc_spawn(char *const argv[], const cpu_set_t *cpus, int out, int err, int fd3);

/* proc_spawn with in as the child's stdin (-1: /dev/null). */
pid_t proc_spawn_input(char *const argv[], const cpu_set_t *cpus, int in, int out, int err,
                       int fd3);

/* Waits for pid until deadline (proc_now_s()); returns its wait status,
 * or -1 (still running at the deadline, or not a child). */
int proc_wait_until(pid_t pid, double deadline);

/* SIGTERM to pid, grace_s to exit, then SIGKILL to its whole group; reaps
 * what the subreaper inherited; returns once no process of the group is
 * left (or says on stderr that one would not die). */
void proc_stop_group(pid_t pid, double grace_s);

/* Runs argv and waits for it (at most 120 s); its stdout, trimmed of
 * trailing newlines and spaces, goes to out (cap bytes, always
 * terminated), its stderr to err_fd (-1: /dev/null). Returns 0 when it
 * exits 0, else -1. */
int proc_capture(char *const argv[], char *out, size_t cap, int err_fd);

#endif
