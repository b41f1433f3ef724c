/*
 * proc.c — bin/bench's child processes: spawn in a group of their own,
 * wait with a deadline, stop by group, capture a command's output.
 */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t proc_stop_signal;

static void on_stop(int sig) {
    proc_stop_signal = sig;
}

void proc_init(void) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

double proc_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void proc_sleep_s(double s) {
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

pid_t proc_spawn(char *const argv[], const cpu_set_t *cpus, int out, int err, int fd3) {
    return proc_spawn_input(argv, cpus, -1, out, err, fd3);
}

pid_t proc_spawn_input(char *const argv[], const cpu_set_t *cpus, int in, int out, int err,
                       int fd3) {
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (cpus)
        sched_setaffinity(0, sizeof(*cpus), cpus);
    if (fd3 >= 0 && fd3 != 3) {
        dup2(fd3, 3);
        close(fd3);
    }
    int null = open("/dev/null", O_RDWR);
    dup2(in >= 0 ? in : null, 0);
    dup2(out >= 0 ? out : null, 1);
    dup2(err >= 0 ? err : null, 2);
    execvp(argv[0], argv);
    dprintf(2, "bench: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

int proc_wait_until(pid_t pid, double deadline) {
    int status;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return status;
        if (got < 0 && errno != EINTR)
            return -1;
        if (proc_now_s() >= deadline)
            return -1;
        proc_sleep_s(0.01);
    }
}

void proc_stop_group(pid_t pid, double grace_s) {
    kill(pid, SIGTERM);
    if (proc_wait_until(pid, proc_now_s() + grace_s) < 0) {
        kill(-pid, SIGKILL);
        proc_wait_until(pid, proc_now_s() + 5);
    }
    for (double deadline = proc_now_s() + 5; proc_now_s() < deadline;) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (kill(-pid, 0) < 0 && errno == ESRCH)
            return;
        kill(-pid, SIGKILL);
        proc_sleep_s(0.01);
    }
    fprintf(stderr, "bench: process group %d would not die\n", (int)pid);
}

int proc_capture(char *const argv[], char *out, size_t cap, int err_fd) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = proc_spawn(argv, NULL, fds[1], err_fd, -1);
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < cap &&
           ((got = read(fds[0], out + n, cap - n - 1)) > 0 || (got < 0 && errno == EINTR)))
        n += got > 0 ? (size_t)got : 0;
    close(fds[0]);
    out[n] = '\0';
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    int status = pid > 0 ? proc_wait_until(pid, proc_now_s() + 120) : -1;
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
